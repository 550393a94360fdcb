//! Maintainer tasks for the Katapult SDK workspace, run as `cargo xtask <task>`.
//! The work is in this library, so that tests can call it directly;
//! `main.rs` only dispatches the command line.

pub mod api_change;
pub mod bench;
pub mod codegen;
pub mod doc;
pub mod drift;
pub mod flags;
pub mod fragment;
pub mod lint;
pub mod outline;
pub mod problem;
pub mod release;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root: the directory above `xtask/`, unless
/// `XTASK_WORKSPACE_ROOT` names another (the tests point the binary at a
/// scratch copy of the workspace that way).
pub fn workspace_root() -> PathBuf {
    match std::env::var_os("XTASK_WORKSPACE_ROOT") {
        Some(root) => PathBuf::from(root),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
    }
}

/// `cargo`, run in `dir`: the cargo running xtask (`cargo xtask` sets
/// `CARGO`), else the one on `PATH`.
pub(crate) fn cargo(dir: &Path) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(dir);
    command
}

/// Writes a task's report to standard output. A reader that stops early
/// (`cargo xtask drift | head`) closes the pipe: that ends the output, not
/// the task, where `print!` would panic. The exit status stays the task's.
pub(crate) fn print_report(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if let Err(error) = out.write_all(text.as_bytes()).and_then(|()| out.flush())
        && error.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("cannot write the report to standard output: {error}");
    }
}

/// `text`, or its first `max - 3` characters and `...` when it is longer
/// than `max`.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max.saturating_sub(3)).collect();
    format!("{kept}...")
}
