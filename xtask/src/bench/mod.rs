//! `cargo xtask bench-report`: katapult-core's benchmarks' markdown sections
//! (each written to `KATAPULT_BENCH_OUT`, `target/bench-report/<bench>.md`;
//! see `benches/support/report.rs`) stitched after the machine's facts.
//! A section older than its run is refused: the benchmark did not write it.

pub mod build_cost;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::SystemTime;

use crate::{cargo, flags};

/// The benchmarks, in order, and whether each runs pinned to one core (see
/// [`run_bench`]); one not in the tree is skipped, and said so.
pub const BENCHES: &[(&str, bool)] = &[
    ("overhead", true),
    ("governor", false),
    ("fleet", false),
    ("tasks", false),
];

/// Prints the report and, with `--out`, writes it to a file too.
pub fn run(root: &Path, flags: &flags::BenchReport) -> ExitCode {
    let written = report(root, flags).and_then(|report| {
        crate::print_report(&report);
        if let Some(out) = &flags.out {
            std::fs::write(out, &report)
                .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            eprintln!("wrote {}", out.display());
        }
        Ok(())
    });
    let Err(message) = written else {
        return ExitCode::SUCCESS;
    };
    eprintln!("bench-report: {message}");
    ExitCode::FAILURE
}

/// Machine facts, a line per benchmark run, each benchmark's section, and
/// (with `--build-cost`) the build cost.
fn report(root: &Path, flags: &flags::BenchReport) -> Result<String, String> {
    let mut report = format!("# katapult-core: benchmarks\n\n{}", machine());
    let mut sections = String::new();
    let selected = |name: &str| {
        !flags.skip_bench && (flags.only.is_empty() || flags.only.iter().any(|n| n == name))
    };
    for &(name, pinned) in BENCHES.iter().filter(|(name, _)| selected(name)) {
        let bench = root.join(format!("crates/katapult-core/benches/{name}.rs"));
        if !bench.exists() {
            report.push_str(&format!("- `{name}`: not in this tree, skipped\n"));
            continue;
        }
        let since = (!flags.no_run).then(SystemTime::now);
        if !flags.no_run {
            let ran = run_bench(root, name, pinned && !flags.no_pin, &flags.bench_args)?;
            report.push_str(&format!("- `{name}`: {ran}\n"));
        }
        sections.push('\n');
        sections.push_str(&read_section(&section_path(root, name), since)?);
    }
    report.push_str(&sections);
    if flags.build_cost {
        report.push('\n');
        report.push_str(&build_cost::build_cost(root, flags.repeat)?);
    }
    Ok(report)
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

pub fn section_path(root: &Path, bench: &str) -> PathBuf {
    target_dir(root).join(format!("bench-report/{bench}.md"))
}

/// The section at `path`, unless it predates `since` (the start of its run).
pub fn read_section(path: &Path, since: Option<SystemTime>) -> Result<String, String> {
    let stale = |modified: SystemTime| since.is_some_and(|since| modified < since);
    let shown = path.display();
    match std::fs::metadata(path).and_then(|m| m.modified()) {
        Err(e) => Err(format!(
            "cannot read {shown}: {e} (run the benchmark first)"
        )),
        Ok(modified) if stale(modified) => Err(format!(
            "{shown} predates this run: the benchmark did not write its section"
        )),
        Ok(_) => std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}")),
    }
}

/// Builds and runs the benchmark, `KATAPULT_BENCH_OUT` its section's path;
/// returns how. Pinned to one core, a loopback hand-off is a plain context
/// switch; across two vCPUs it can wait for one to wake (~30 to ~180 µs).
fn run_bench(root: &Path, name: &str, pin: bool, bench_args: &[String]) -> Result<String, String> {
    let args = ["bench", "-p", "katapult-core", "--bench", name];
    let status = |command: &mut Command, what: &str| match command.status() {
        Err(e) => Err(format!("cannot run cargo: {e}")),
        Ok(status) if !status.success() => Err(format!("{name} {what} ({status})")),
        Ok(_) => Ok(()),
    };
    status(cargo(root).args(args).arg("--no-run"), "did not build")?;
    let taskset =
        pin && (Command::new("taskset").arg("-V").output()).is_ok_and(|o| o.status.success());
    if pin && !taskset {
        eprintln!("taskset not found: running unpinned; expect noisier round trips");
    }
    // The last core.
    let core = taskset.then(|| std::thread::available_parallelism().map_or(0, |n| n.get() - 1));
    let mut command = match core {
        None => cargo(root),
        Some(core) => {
            let mut taskset = Command::new("taskset");
            taskset.current_dir(root).args(["-c", &core.to_string()]);
            taskset.arg(cargo(root).get_program());
            taskset
        }
    };
    command
        .args(args)
        .arg("--")
        .args(bench_args)
        .env("KATAPULT_BENCH_OUT", section_path(root, name))
        .env("CRITERION_HOME", target_dir(root).join("criterion"));
    let pinned = core.map_or_else(|| "not pinned".into(), |c| format!("pinned to core {c}"));
    let (cargo_args, bench_args) = (args.join(" "), bench_args.join(" "));
    eprintln!("running ({pinned}): cargo {cargo_args} -- {bench_args}");
    let before = load_average();
    status(&mut command, "failed")?;
    let after = load_average();
    Ok(format!(
        "{pinned}; load average (1 min) before / after: {before} / {after}"
    ))
}

/// `nproc`, the CPU model and `rustc -V`, as a markdown list.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = (info.lines().find(|line| line.starts_with("model name")))
        .and_then(|line| Some(line.split_once(':')?.1.trim()))
        .unwrap_or("unknown");
    let rustc = Command::new("rustc").arg("-V").output();
    let rustc = rustc.map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned());
    let rustc = rustc.unwrap_or_else(|_| "unknown".into());
    format!("- cores (`nproc`): {cores}\n- CPU: {cpu}\n- {rustc}\n")
}

fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace().next().unwrap_or("?").to_owned()
}
