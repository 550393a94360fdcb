//! `cargo xtask bench-report`: what the generated client costs against the
//! hand-written floor, as a markdown report.
//!
//! - Runs `cargo bench -p katapult-core --bench overhead` (criterion, plus a
//!   paired interleaved measurement of each ratio; see
//!   `crates/katapult-core/benches/support/paired.rs`) with `CRITERION_HOME`
//!   pointed at `target/criterion` (`runner.rs`), then reads each
//!   benchmark's `new/estimates.json` and `paired/<group>.json`
//!   (`criterion.rs`) and writes medians and client/floor ratios
//!   (`table.rs`). Results older than the run are refused.
//! - Then runs the rate-limit governor's measurement
//!   (`cargo bench -p katapult-core --bench governor`: jobs against a
//!   loopback server with fixed windows, governor on and off, one client and
//!   two client processes, the server's clock on time and 30 s off; a few
//!   minutes) and renders its table (`governor.rs`). `--no-run` re-reads
//!   the last results of both.
//! - `--build-cost` also measures, from clean and offline, the release build
//!   time and the number of crates in the dependency tree of `katapult-core`
//!   and of the hand-written floor (`build_cost.rs`).
//!
//! `crates/katapult-core/BENCHMARKS.md` explains the method and each ratio.

mod build_cost;
mod criterion;
mod governor;
mod runner;
mod table;

use std::path::Path;
use std::process::ExitCode;
use std::time::SystemTime;

use crate::flags;
use criterion::Results;

/// `cargo xtask bench-report` for the workspace at `root`: prints the report
/// and, with `--out`, writes it to a file too.
pub fn run(root: &Path, flags: &flags::BenchReport) -> ExitCode {
    match report(root, flags) {
        Ok(report) => {
            print!("{report}");
            if let Some(out) = &flags.out {
                if let Err(error) = std::fs::write(out, &report) {
                    eprintln!("cannot write {}: {error}", out.display());
                    return ExitCode::FAILURE;
                }
                eprintln!("wrote {}", out.display());
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("bench-report: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Machine facts, then (unless `--skip-bench`) the benchmark table, run
/// first unless `--no-run`, then (with `--build-cost`) the build cost.
fn report(root: &Path, flags: &flags::BenchReport) -> Result<String, String> {
    let mut report = format!(
        "# katapult-core: SDK against the hand-written floor\n\n{}\n",
        runner::machine()
    );
    if !flags.skip_bench {
        let since = (!flags.no_run).then(SystemTime::now);
        let home = criterion::target_path(root, "criterion");
        let mut load = None;
        if !flags.no_run {
            let before = runner::load_average();
            let core = if flags.no_pin {
                None
            } else {
                runner::pin_core()
            };
            let pinned = core.map_or_else(|| "no".to_owned(), |core| format!("core {core}"));
            report.push_str(&format!(
                "- benchmark process (client and loopback server) pinned to one core: {pinned}\n"
            ));
            if !flags.no_pin && core.is_none() {
                eprintln!("taskset not found: running unpinned; expect noisier round trips");
            }
            runner::run_benchmarks(root, &home, core, &flags.bench_args)?;
            load = Some((before, runner::load_average()));
        }
        report.push_str(&table::render(&Results { home, since }, load)?);

        let governor_results = criterion::target_path(root, "governor").join("results.jsonl");
        let since = (!flags.no_run).then(SystemTime::now);
        if !flags.no_run {
            governor::run(root, &governor_results)?;
        }
        report.push('\n');
        report.push_str(&governor::render(&governor_results, since)?);
    }
    if flags.build_cost {
        report.push('\n');
        report.push_str(&build_cost::build_cost(root, flags.repeat)?);
    }
    Ok(report)
}
