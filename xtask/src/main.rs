//! `cargo xtask <task>`: parses the command line (declared in `flags.rs`)
//! and runs the task.

use std::process::ExitCode;

use clap::Parser as _;
use xtask::flags::{Command, Xtask};
use xtask::{bench, codegen, workspace_root};

fn main() -> ExitCode {
    let root = workspace_root();
    match Xtask::parse().command {
        Command::Codegen(flags) => codegen::run(&root, &flags),
        Command::BenchReport(flags) => bench::run(&root, &flags),
    }
}
