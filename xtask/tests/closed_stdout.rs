//! A task's report written to a standard output nobody reads any more.

use std::process::Command;

/// A reader that stops early (`cargo xtask drift | head`) ends the output,
/// not the task: no panic, and the exit status is drift's own. The pipe's
/// read end is closed before xtask starts, so its write always fails.
#[test]
fn a_closed_stdout_is_not_a_panic() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("drift")
        .stdout(writer)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}
