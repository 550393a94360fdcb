//! `katapult`: Katapult's Core API from a shell or a script, built on
//! katapult-core (its client, retries, rate-limit governor, errors and
//! tracing).
//!
//! ```text
//! katapult disk get --disk-id disk_123
//! katapult disk update --disk-id disk_123 --name logs
//! katapult disk update --json-body body.json --dry-run
//! katapult disk update --from updates.jsonl --concurrency 16
//! katapult disk resize --disk-id disk_123 --size-in-gb 50
//! katapult disk change --disk-id disk_123 --name db --size-in-gb 50 --plan
//! katapult task wait --task-id task_123
//! katapult completions bash
//! ```
//!
//! Module map: [`cli`] declares the command line, [`generated`] each
//! operation's request flags (written by `cargo xtask codegen` from the
//! OpenAPI fragment), [`update`] and [`bulk`] run `disk update`, [`read`]
//! the reads and `task wait`, [`write`](mod@write) the raw writes, [`change`] and
//! [`change_bulk`] `disk change`, [`session`] and [`credentials`]
//! configure the client, [`exit`] maps every outcome to an exit code.

mod bulk;
mod change;
mod change_bulk;
mod cli;
mod credentials;
mod dry_run;
mod exit;
// Written by `cargo xtask codegen`; never edited by hand.
#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic)]
mod generated;
mod output;
mod progress;
mod read;
mod request;
mod session;
mod update;
mod write;

use std::process::ExitCode;

use clap::{CommandFactory as _, Parser as _};

use crate::cli::{Cli, Command, DiskCommand, Shell, TaskCommand};
use crate::exit::{Exit, Failure};
use crate::write::WriteBody;

fn main() -> ExitCode {
    let mut cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version go to stdout with 0; usage errors to stderr
            // with 2 (clap's convention, and exit code 2 here too).
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
        }
    };
    if cli.connection.debug {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_max_level(tracing::Level::DEBUG)
            .with_target(true)
            .init();
    }

    match cli.command {
        Command::Completions { shell } => completions(shell),
        Command::Disk(DiskCommand::Schema) => schema(),
        Command::Disk(DiskCommand::Update(args)) => block_on(update::run(&cli.connection, *args)),
        Command::Disk(DiskCommand::Resize(args)) => block_on(write::run(
            &cli.connection,
            args.into_parts(),
            WriteBody::Resize,
        )),
        Command::Disk(DiskCommand::IoProfile(args)) => block_on(write::run(
            &cli.connection,
            args.into_parts(),
            WriteBody::IoProfile,
        )),
        Command::Disk(DiskCommand::Attach(args)) => block_on(write::run(
            &cli.connection,
            args.into_parts(),
            WriteBody::Attach,
        )),
        Command::Disk(DiskCommand::Detach(args)) => block_on(write::run(
            &cli.connection,
            args.into_parts(),
            WriteBody::Detach,
        )),
        Command::Disk(DiskCommand::Assign(args)) => block_on(write::run(
            &cli.connection,
            args.into_parts(),
            WriteBody::Assign,
        )),
        Command::Disk(DiskCommand::Unassign(args)) => block_on(write::run(
            &cli.connection,
            args.into_parts(),
            WriteBody::Unassign,
        )),
        Command::Disk(DiskCommand::Change(args)) => {
            cli.connection.per_attempt_within(args.timeout);
            block_on(change::run(&cli.connection, *args))
        }
        Command::Disk(DiskCommand::Get(args)) => block_on(read::disk(&cli.connection, args)),
        Command::Task(TaskCommand::Get(args)) => block_on(read::task(&cli.connection, args)),
        Command::Task(TaskCommand::Wait(args)) => {
            cli.connection.per_attempt_within(args.timeout);
            block_on(read::wait(&cli.connection, args))
        }
    }
}

/// Runs a command on a multi-threaded runtime and turns its outcome into
/// the exit code, printing a failure on stderr.
fn block_on(command: impl Future<Output = Result<Exit, Failure>>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return Exit::Bug.into();
        }
    };
    match runtime.block_on(command) {
        Ok(exit) => exit.into(),
        Err(failure) => {
            eprintln!("error: {failure}");
            failure.exit.into()
        }
    }
}

/// `katapult disk schema`: the request body's JSON Schema, from the types
/// generated from the fragment (schemars, re-exported by katapult-core).
fn schema() -> ExitCode {
    let schema = katapult_core::schemars::schema_for!(katapult_core::types::UpdateDiskBody);
    match serde_json::to_string_pretty(&schema) {
        Ok(text) => {
            println!("{text}");
            Exit::Success.into()
        }
        Err(error) => {
            eprintln!("error: the schema could not be printed: {error}");
            Exit::Bug.into()
        }
    }
}

/// `katapult completions <SHELL>`.
fn completions(shell: Shell) -> ExitCode {
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    clap_complete::generate(
        shell,
        &mut Cli::command(),
        "katapult",
        &mut std::io::stdout(),
    );
    Exit::Success.into()
}
