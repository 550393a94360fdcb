//! `cargo xtask codegen [--check]`: regenerate (or check) the generated code.

use std::process::ExitCode;

use xtask::{codegen, workspace_root};

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  codegen           lint openapi/katapult-core-v1.yaml and regenerate the code generated from it
  codegen --check   write nothing; print a diff of every stale generated file and fail if any
  bench-report      benchmark the SDK against the hand-written floor (--help for options)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["codegen"] => codegen::run(&workspace_root(), false),
        ["codegen", "--check"] => codegen::run(&workspace_root(), true),
        ["bench-report", rest @ ..] => xtask::bench_report::main(&workspace_root(), rest),
        ["help" | "--help" | "-h"] => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
