//! `cargo xtask codegen [--check]`: regenerate (or check) the generated code.

use std::process::ExitCode;

use xtask::{codegen, expected_outputs, problem};

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
        ["codegen"] => codegen_task(false),
        ["codegen", "--check"] => codegen_task(true),
        ["bench-report", rest @ ..] => xtask::bench_report::main(&codegen::workspace_root(), rest),
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

fn codegen_task(check: bool) -> ExitCode {
    // progenitor panics on some shapes the linter may not know yet; the
    // generator catches those and reports them as problems, so the default
    // hook's "thread panicked" line would only be noise.
    std::panic::set_hook(Box::new(|_| {}));

    let root = codegen::workspace_root();
    let outputs = match expected_outputs(&root) {
        Ok(outputs) => outputs,
        Err(problems) => {
            eprintln!("{}", problem::render(&problems));
            eprintln!(
                "\n{} problem(s) in the fragment; nothing was generated.",
                problems.len()
            );
            return ExitCode::FAILURE;
        }
    };

    if check {
        let stale = codegen::stale(&root, &outputs);
        if stale.is_empty() {
            println!("generated code is up to date ({} files)", outputs.len());
            return ExitCode::SUCCESS;
        }
        eprintln!("{}", codegen::stale_message(&stale));
        return ExitCode::FAILURE;
    }

    match codegen::write(&root, &outputs) {
        Ok(written) if written.is_empty() => {
            println!("generated code is up to date ({} files)", outputs.len());
            ExitCode::SUCCESS
        }
        Ok(written) => {
            for path in &written {
                println!("wrote {path}");
            }
            println!("review the change with `git diff` and `cargo insta review`");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("cannot write generated code: {error}");
            ExitCode::FAILURE
        }
    }
}
