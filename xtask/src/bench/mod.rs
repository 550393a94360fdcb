//! `cargo xtask bench-report`: runs katapult-core's benchmarks and stitches
//! the markdown sections they write into one report.
//!
//! The convention (`crates/katapult-core/benches/support/report.rs`): each
//! benchmark renders its own section from its own results and writes it to
//! the file `KATAPULT_BENCH_OUT` names. Here each runs with that set to
//! `target/bench-report/<bench>.md` (`runner.rs`: `overhead` pinned to one
//! core with criterion writing under `target/criterion`), and a section
//! older than its run is refused: the benchmark did not write it.
//! `--no-run` stitches the sections of the last run. `--build-cost` adds
//! clean build times, crate counts and the generated code's size per
//! operation (`build_cost.rs`).
//!
//! `crates/katapult-core/BENCHMARKS.md` explains the method and each figure.

mod build_cost;
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
const BENCHES: &[(&str, bool)] = &[
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
    let mut facts = runner::machine();
    let mut sections = Vec::new();
    let selected = BENCHES
        .iter()
        .filter(|(name, _)| flags.only.is_empty() || flags.only.iter().any(|n| n == name));
    for &(name, pinned) in selected.filter(|_| !flags.skip_bench) {
        let out = section_path(root, name);
        if !root
            .join(format!("crates/katapult-core/benches/{name}.rs"))
            .exists()
        {
            facts.push_str(&format!("- `{name}`: not in this tree, skipped\n"));
            continue;
        }
        let since = (!flags.no_run).then(SystemTime::now);
        if !flags.no_run {
            let ran = runner::run_bench(root, name, pinned, &out, flags)?;
            facts.push_str(&format!("- `{name}`: {ran}\n"));
        }
        sections.push(read_section(&out, since)?);
    }
    let mut report = format!("# katapult-core: benchmarks\n\n{facts}");
    for section in sections {
        report.push('\n');
        report.push_str(&section);
    }
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
fn section_path(root: &Path, bench: &str) -> PathBuf {
    target_dir(root)
        .join("bench-report")
        .join(format!("{bench}.md"))
}

/// The section at `path`, unless it predates `since` (the start of its run).
fn read_section(path: &Path, since: Option<SystemTime>) -> Result<String, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_is_read_unless_it_predates_its_run() {
        let path = std::env::temp_dir().join(format!("xtask-section-{}.md", std::process::id()));
        std::fs::write(&path, "## fleet\n").unwrap();
        let fresh = read_section(&path, None);
        let later = SystemTime::now() + std::time::Duration::from_secs(60);
        let stale = read_section(&path, Some(later));
        let _ = std::fs::remove_file(&path);
        let missing = read_section(&path, None);
        assert_eq!(fresh.unwrap(), "## fleet\n");
        assert!(stale.unwrap_err().contains("predates this run"));
        assert!(missing.unwrap_err().contains("run the benchmark first"));
    }

    #[test]
    fn every_bench_is_named_once() {
        for (n, (name, _)) in BENCHES.iter().enumerate() {
            assert!(!BENCHES[..n].iter().any(|b| b.0 == *name), "{name}");
        }
        assert!(section_path(Path::new("/w"), "fleet").ends_with("bench-report/fleet.md"));
    }
}
