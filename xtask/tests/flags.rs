//! The command line of `cargo xtask`, as `src/flags.rs` declares it.

use std::path::PathBuf;

use clap::{CommandFactory, Parser};
use xtask::flags::{BenchReport, Codegen, Command, Xtask};

fn parse(args: &[&str]) -> Result<Command, clap::Error> {
    Xtask::try_parse_from(["cargo xtask"].iter().chain(args)).map(|xtask| xtask.command)
}

fn bench_report(args: &[&str]) -> BenchReport {
    match parse(&[&["bench-report"], args].concat()) {
        Ok(Command::BenchReport(flags)) => flags,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_declaration_is_consistent() {
    Xtask::command().debug_assert();
}

#[test]
fn codegen() {
    assert!(matches!(
        parse(&["codegen"]),
        Ok(Command::Codegen(Codegen { check: false }))
    ));
    assert!(matches!(
        parse(&["codegen", "--check"]),
        Ok(Command::Codegen(Codegen { check: true }))
    ));
    let error = parse(&["codegen", "--chekc"]).unwrap_err();
    assert_eq!(error.exit_code(), 2);
    assert!(error.to_string().contains("--chekc"), "{error}");
}

#[test]
fn bench_report_defaults() {
    let flags = bench_report(&[]);
    assert!(!flags.no_run && !flags.skip_bench && !flags.no_pin && !flags.build_cost);
    assert_eq!(flags.repeat, 1);
    assert_eq!(flags.out, None);
    assert!(flags.bench_args.is_empty() && flags.only.is_empty());
}

#[test]
fn bench_report_options() {
    let flags = bench_report(&[
        "--bench",
        "fleet",
        "--bench",
        "tasks",
        "--no-run",
        "--build-cost",
        "--repeat",
        "2",
        "--out",
        "r.md",
        "--",
        "--measurement-time",
        "20",
    ]);
    assert!(flags.no_run && flags.build_cost);
    assert_eq!(flags.only, ["fleet", "tasks"]);
    assert_eq!(flags.repeat, 2);
    assert_eq!(flags.out, Some(PathBuf::from("r.md")));
    assert_eq!(flags.bench_args, ["--measurement-time", "20"]);
    // After `--`, even `--help` belongs to the benchmark binary.
    assert_eq!(bench_report(&["--", "--help"]).bench_args, ["--help"]);
    assert!(parse(&["bench-report", "--repeat", "0"]).is_err());
    assert!(parse(&["bench-report", "--bogus"]).is_err());
}

/// `--record` records the document `--upstream` names: alone it is refused.
#[test]
fn drift_record_needs_an_upstream_file() {
    let error = parse(&["drift", "--record"]).unwrap_err();
    assert_eq!(
        error.kind(),
        clap::error::ErrorKind::MissingRequiredArgument
    );
    assert!(error.to_string().contains("--upstream <FILE>"), "{error}");
    assert!(matches!(
        parse(&["drift", "--upstream", "x.json", "--record"]),
        Ok(Command::Drift(_))
    ));
}
