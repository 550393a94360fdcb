//! `katapult disk update`: one update from the flags or `--json-body`, or
//! many with `--from` ([`crate::bulk`]).

use std::io::Write as _;

use katapult_core::types::UpdateDiskBody;

use crate::cli::{Connection, OutputFormat, UpdateArgs};
use crate::exit::{Exit, Failure};
use crate::session::{self, Purpose};
use crate::{bulk, dry_run, output, request};

/// Runs the command; returns the exit code, or the failure to report.
pub async fn run(connection: &Connection, args: UpdateArgs) -> Result<Exit, Failure> {
    if let Some(path) = &args.from {
        return bulk::run(connection, path, args.concurrency.into()).await;
    }

    // The body first: a mistake in it is reported before any credential
    // is looked at or any connection made.
    let body = body(&args)?;

    let purpose = if args.dry_run {
        Purpose::Show
    } else {
        Purpose::Send
    };
    let session = session::open(connection, purpose).await?;

    if args.dry_run {
        let text = dry_run::render(&session.client, &body)?;
        return dry_run::show(&text, session.has_token);
    }

    let response = session.client.update_disk(body).await?;
    let text = match args.output {
        OutputFormat::Json => format!("{}\n", output::json(&response)?),
        OutputFormat::Table => output::disk_table(
            &response.disk,
            &response.annotations,
            response.meta().request_id(),
        ),
    };
    print(&text).map_err(Failure::output)?;
    Ok(Exit::Success)
}

/// The request body from the flags or from `--json-body`, checked.
fn body(args: &UpdateArgs) -> Result<UpdateDiskBody, Failure> {
    match &args.json_body {
        Some(path) => {
            let text = request::read_input(path, "--json-body")?;
            request::parse_body(&text).map_err(|problem| {
                Failure::usage(format!(
                    "--json-body {}: {problem}; nothing was sent",
                    path.display()
                ))
            })
        }
        None => request::check_body(args.flags.to_json()).map_err(|problem| {
            Failure::usage(format!(
                "the flags do not make a request that can be sent: {problem}; nothing was sent"
            ))
        }),
    }
}

/// Writes to stdout (without the panic `println!` gives on a closed pipe).
pub fn print(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}
