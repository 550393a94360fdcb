//! The whole command line of `cargo xtask`: a new task is one variant of
//! [`Command`] (its flags a struct here) and one arm in `main.rs`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Maintainer tasks for the Katapult SDK workspace.
#[derive(Debug, Parser)]
#[command(bin_name = "cargo xtask", arg_required_else_help = true)]
pub struct Xtask {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint openapi/katapult-core-v1.yaml and regenerate the code generated
    /// from it.
    Codegen(Codegen),
    /// Run katapult-core's benchmarks and print their markdown sections as
    /// one report.
    ///
    /// Each benchmark writes its own section to the file
    /// KATAPULT_BENCH_OUT names (target/bench-report/<bench>.md). By default
    /// runs them all: overhead (about 3 minutes, pinned to one core), the
    /// rate-limit governor (about 6 minutes), the fleet of disk changes
    /// (about 4 minutes) and task waiting; see
    /// crates/katapult-core/BENCHMARKS.md.
    BenchReport(BenchReport),
    /// Compare all the fragment's operations with Katapult's published
    /// document: the recorded extract under openapi/upstream/, or a new
    /// document. Operations pair up by method and path; one the document
    /// lacks is a difference, and the document's others are ignored.
    ///
    /// Every difference must be a departure the fragment declares
    /// (`x-departure: Dn`); undeclared drift, and a declared departure that
    /// no longer differs, fail (exit 1). A file that cannot be read as an
    /// OpenAPI 3.0 document with at least one of the fragment's operations
    /// is exit 2.
    Drift(Drift),
    /// Say on one screen what a release would contain and whether it can
    /// be made: crate metadata, `cargo package` of both crates (offline),
    /// drift, the public API's changes since the last release tag and
    /// cargo-semver-checks' verdict on them, the changelog.
    ReleaseCheck,
}

#[derive(Debug, Args)]
pub struct Drift {
    /// A published Katapult OpenAPI document (JSON or YAML) to compare with,
    /// instead of the recorded extract.
    #[arg(long, value_name = "FILE")]
    pub upstream: Option<PathBuf>,
    /// Record the closure of the fragment's operations from --upstream
    /// under openapi/upstream/ (with the document's version, sha256 and
    /// where it was published).
    #[arg(long, requires = "upstream")]
    pub record: bool,
}

#[derive(Debug, Args)]
pub struct Codegen {
    /// Write nothing; print a diff of every stale generated file and fail if
    /// any.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct BenchReport {
    /// Only this benchmark (repeatable): overhead, governor, fleet, tasks.
    #[arg(long = "bench", value_name = "NAME")]
    pub only: Vec<String>,
    /// Stitch the sections of the last run without running the benchmarks.
    #[arg(long)]
    pub no_run: bool,
    /// No benchmark sections (with --build-cost: the build cost alone).
    #[arg(long)]
    pub skip_bench: bool,
    /// Do not pin the benchmark process to one core with `taskset`.
    #[arg(long)]
    pub no_pin: bool,
    /// Also time clean release builds of katapult-core and of the floor,
    /// count the crates in each dependency tree (offline), and measure the
    /// generated code per operation.
    #[arg(long)]
    pub build_cost: bool,
    /// Build each subject N times from clean and keep every time.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Also write the report to FILE.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Passed to each benchmark binary run; pick one with --bench (e.g.
    /// `--bench overhead -- --measurement-time 20`).
    #[arg(last = true, value_name = "BENCH_ARGS")]
    pub bench_args: Vec<String>,
}
