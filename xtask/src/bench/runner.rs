//! Running the benchmark (`cargo bench`, pinned with `taskset`) and the
//! facts about the machine it ran on.

use std::path::Path;
use std::process::{Command, Stdio};

/// The cargo that runs xtask (`$CARGO`), else the one on `PATH`.
pub(super) fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

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
    let status = Command::new(cargo())
        .current_dir(root)
        .args(bench)
        .arg("--no-run")
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("the benchmarks did not build ({status})"));
    }

    let mut command = match core {
        Some(core) => {
            let mut command = Command::new("taskset");
            command.args(["-c", &core.to_string(), &cargo()]);
            command
        }
        None => Command::new(cargo()),
    };
    command
        .current_dir(root)
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
    let status = command
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("the benchmarks failed ({status})"));
    }
    Ok(())
}

/// The last core, when `taskset` is there to pin to it.
pub(super) fn pin_core() -> Option<usize> {
    let taskset = Command::new("taskset")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    taskset.then(|| std::thread::available_parallelism().map_or(0, |n| n.get() - 1))
}

/// `nproc`, the CPU model and `rustc -V`, as a markdown list.
pub(super) fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let rustc = Command::new("rustc")
        .arg("-V")
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    format!("- cores (`nproc`): {cores}\n- CPU: {cpu}\n- {rustc}\n")
}

/// The 1-minute load average, or `?`.
pub(super) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}
