//! `cargo xtask <task>`: parses the command line (declared in `flags.rs`)
//! and runs the task.

use std::process::ExitCode;

use clap::Parser as _;
use xtask::flags::{Command, Xtask};
use xtask::{bench, codegen, drift, release, workspace_root};

fn main() -> ExitCode {
    let root = workspace_root();
    match Xtask::parse().command {
        Command::Codegen(flags) => codegen::run(&root, &flags),
        Command::BenchReport(flags) => bench::run(&root, &flags),
        Command::Drift(flags) => drift::run(&root, flags.upstream.as_deref(), flags.record),
        Command::ReleaseCheck => release::release_check(&root),
    }
}
