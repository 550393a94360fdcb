//! Running one benchmark (`cargo bench`, pinned with `taskset` when asked)
//! and the facts about the machine it ran on.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::{cargo, flags};

/// Builds the benchmark, then runs it with `KATAPULT_BENCH_OUT=out` (and
/// criterion writing under `target/criterion`). Pinned, the client, its
/// runtime and the loopback server share one core: each hand-off is a plain
/// context switch, where across two vCPUs it can wait for an idle vCPU to be
/// woken, which made loopback round trips swing between ~30 and ~180 µs
/// here. Returns how it ran: pinning and the load average before / after.
pub(super) fn run_bench(
    root: &Path,
    name: &str,
    pinned: bool,
    out: &Path,
    flags: &flags::BenchReport,
) -> Result<String, String> {
    let args = ["bench", "-p", "katapult-core", "--bench", name];
    let status = |command: &mut Command, what: &str| match command.status() {
        Err(e) => Err(format!("cannot run cargo: {e}")),
        Ok(status) if !status.success() => Err(format!("{name} {what} ({status})")),
        Ok(_) => Ok(()),
    };
    status(cargo(root).args(args).arg("--no-run"), "did not build")?;
    let core = (pinned && !flags.no_pin).then(pin_core).flatten();
    if pinned && !flags.no_pin && core.is_none() {
        eprintln!("taskset not found: running unpinned; expect noisier round trips");
    }
    let mut command = cargo(root);
    if let Some(core) = core {
        let cargo = command.get_program().to_owned();
        command = Command::new("taskset");
        let core = core.to_string();
        command.current_dir(root).args(["-c", &core]).arg(cargo);
    }
    command
        .args(args)
        .arg("--")
        .args(&flags.bench_args)
        .env("KATAPULT_BENCH_OUT", out)
        .env("CRITERION_HOME", super::target_dir(root).join("criterion"));
    let pinned = core.map_or_else(|| "not pinned".into(), |c| format!("pinned to core {c}"));
    let bench_args = flags.bench_args.join(" ");
    eprintln!(
        "running ({pinned}): cargo {} -- {bench_args}",
        args.join(" ")
    );
    let before = load_average();
    status(&mut command, "failed")?;
    let after = load_average();
    Ok(format!(
        "{pinned}; load average (1 min) before / after: {before} / {after}"
    ))
}

/// The last core, when `taskset` is there to pin to it.
fn pin_core() -> Option<usize> {
    let taskset = Command::new("taskset")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let last = std::thread::available_parallelism().map_or(0, |n| n.get() - 1);
    taskset.is_ok_and(|status| status.success()).then_some(last)
}

/// `nproc`, the CPU model and `rustc -V`, as a markdown list.
pub(super) fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = (info.lines().find(|line| line.starts_with("model name")))
        .and_then(|line| Some(line.split_once(':')?.1.trim()))
        .unwrap_or("unknown");
    let rustc = Command::new("rustc").arg("-V").output();
    let rustc = rustc.map_or_else(
        |_| "unknown".to_owned(),
        |out| String::from_utf8_lossy(&out.stdout).trim().to_owned(),
    );
    format!("- cores (`nproc`): {cores}\n- CPU: {cpu}\n- {rustc}\n")
}

/// The 1-minute load average, or `?`.
fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace().next().unwrap_or("?").to_owned()
}
