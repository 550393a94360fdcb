//! Running the benchmark (`cargo bench`, pinned with `taskset`) and the
//! facts about the machine it ran on.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::cargo;

/// Builds the benchmark, then runs it, with criterion writing under `home`.
/// Pinned, the client, its runtime and the loopback server share one core:
/// each hand-off is a plain context switch, where across two vCPUs it can
/// wait for an idle vCPU to be woken, which made loopback round trips swing
/// between ~30 and ~180 µs here.
pub(super) fn run_benchmarks(
    root: &Path,
    home: &Path,
    core: Option<usize>,
    bench_args: &[String],
) -> Result<(), String> {
    let bench = ["bench", "-p", "katapult-core", "--bench", "overhead"];
    let build = cargo(root).args(bench).arg("--no-run").status();
    match build.map_err(|e| format!("cannot run cargo: {e}"))? {
        status if !status.success() => {
            return Err(format!("the benchmarks did not build ({status})"));
        }
        _ => {}
    }
    let mut command = cargo(root);
    if let Some(core) = core {
        let cargo = command.get_program().to_owned();
        command = Command::new("taskset");
        command
            .current_dir(root)
            .args(["-c", &core.to_string()])
            .arg(cargo);
    }
    command
        .args(bench)
        .arg("--")
        .args(bench_args)
        .env("CRITERION_HOME", home);
    eprintln!(
        "running{}: cargo {} -- {}",
        core.map_or_else(String::new, |core| format!(" on core {core} (taskset)")),
        bench.join(" "),
        bench_args.join(" ")
    );
    match command
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?
    {
        status if !status.success() => Err(format!("the benchmarks failed ({status})")),
        _ => Ok(()),
    }
}

/// The last core, when `taskset` is there to pin to it.
pub(super) fn pin_core() -> Option<usize> {
    let taskset = Command::new("taskset")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get() - 1);
    taskset
        .is_ok_and(|status| status.success())
        .then_some(cores)
}

/// `nproc`, the CPU model and `rustc -V`, as a markdown list.
pub(super) fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = info
        .lines()
        .find(|line| line.starts_with("model name"))
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
pub(super) fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace().next().unwrap_or("?").to_owned()
}
