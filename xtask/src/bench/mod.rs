//! `cargo xtask bench-report`: runs katapult-core's benchmarks and stitches
//! the markdown sections they write into one report.
//!
//! The convention (`crates/katapult-core/benches/support/report.rs`): each
//! benchmark renders its own section from its own results and writes it to
//! the file `KATAPULT_BENCH_OUT` names, here `target/bench-report/<bench>.md`
//! (`runner.rs`). A section older than its run is refused: the benchmark did
//! not write it. `--no-run` stitches the sections of the last run.
//! `--build-cost` adds clean build times, crate counts and the generated
//! code's size per operation (`build_cost.rs`).
//!
//! `crates/katapult-core/BENCHMARKS.md` explains the method and each figure.

pub mod build_cost;
mod runner;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use crate::flags;

/// The benchmarks of the report, in order, and whether each runs pinned to
/// one core (loopback round trips; see `runner.rs`). A new one is a line
/// here: a `[[bench]]` of katapult-core (`benches/<name>.rs`) that follows
/// the convention above. One whose file is not in the tree is skipped, and
/// the report says so.
pub const BENCHES: &[(&str, bool)] = &[
    ("overhead", true),
    ("governor", false),
    ("fleet", false),
    ("tasks", false),
];

/// `cargo xtask bench-report` for the workspace at `root`: prints the report
/// and, with `--out`, writes it to a file too.
pub fn run(root: &Path, flags: &flags::BenchReport) -> ExitCode {
    let written = report(root, flags).and_then(|report| {
        print!("{report}");
        if let Some(out) = &flags.out {
            std::fs::write(out, &report)
                .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            eprintln!("wrote {}", out.display());
        }
        Ok(())
    });
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench-report: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Machine facts, a line per benchmark run, each benchmark's section, and
/// (with `--build-cost`) the build cost.
fn report(root: &Path, flags: &flags::BenchReport) -> Result<String, String> {
    let mut report = format!("# katapult-core: benchmarks\n\n{}", runner::machine());
    let mut sections = String::new();
    let selected = BENCHES
        .iter()
        .filter(|(name, _)| flags.only.is_empty() || flags.only.iter().any(|n| n == name));
    for &(name, pinned) in selected.filter(|_| !flags.skip_bench) {
        let out = section_path(root, name);
        let bench = root.join(format!("crates/katapult-core/benches/{name}.rs"));
        if !bench.exists() {
            report.push_str(&format!("- `{name}`: not in this tree, skipped\n"));
            continue;
        }
        let since = (!flags.no_run).then(SystemTime::now);
        if !flags.no_run {
            let ran = runner::run_bench(root, name, pinned, &out, flags)?;
            report.push_str(&format!("- `{name}`: {ran}\n"));
        }
        sections.push('\n');
        sections.push_str(&read_section(&out, since)?);
    }
    report.push_str(&sections);
    if flags.build_cost {
        report.push('\n');
        report.push_str(&build_cost::build_cost(root, flags.repeat)?);
    }
    Ok(report)
}

/// `target/` (`$CARGO_TARGET_DIR` if set).
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

/// `target/bench-report/<bench>.md`.
pub fn section_path(root: &Path, bench: &str) -> PathBuf {
    target_dir(root).join(format!("bench-report/{bench}.md"))
}

/// The section at `path`, unless it predates `since` (the start of its run).
pub fn read_section(path: &Path, since: Option<SystemTime>) -> Result<String, String> {
    let stale = |modified: SystemTime| since.is_some_and(|since| modified < since);
    match std::fs::metadata(path).and_then(|m| m.modified()) {
        Err(e) => Err(format!(
            "cannot read {}: {e} (run the benchmark first)",
            path.display()
        )),
        Ok(modified) if stale(modified) => Err(format!(
            "{} predates this run: the benchmark did not write its section",
            path.display()
        )),
        Ok(_) => std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display())),
    }
}
