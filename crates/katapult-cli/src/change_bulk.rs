//! `katapult disk change --from FILE|-`: many changes, one JSON line each
//! (the shape [`DiskChange::from_line`] reads), through katapult-core's
//! `change_disks` (at most `--concurrency` at a time, every request under
//! the client's rate-limit governor), read and written as `disk update
//! --from` does.
//!
//! stdout gets one JSON line per input line as each finishes (not in input
//! order; each names its line): `{"line": n, "ok": true, "plan": [..],
//! "steps": [..], "tasks": [..], "reconciled": [..], "disk": {..}}`, or
//! the error line of `disk update --from` (`ok: false`, `kind`, `status`,
//! `code`, `error`, `request_id`), with the report of what was done when
//! the change stopped part-way. A line that is not a change is reported
//! without being sent, and the others still run. The exit code is 0 when
//! every line succeeded, 1 otherwise.

use std::path::Path;

use katapult_core::{BulkOptions, ChangeOptions, ChangeReport, DiskChange, Error};
use serde_json::{Value, json};

use crate::bulk::{JsonLines, drive, error_line, parse_lines};
use crate::cli::Connection;
use crate::exit::{Exit, Failure};
use crate::request;
use crate::session::{self, Purpose};

/// Runs the changes; returns 0 or 1, or the failure that stopped
/// everything before any line ran (no token, an unreadable file).
pub async fn run(
    connection: &Connection,
    path: &Path,
    concurrency: usize,
    options: ChangeOptions,
) -> Result<Exit, Failure> {
    let session = session::open(connection, Purpose::Send).await?;
    let text = request::read_input(path, "--from")?;
    let mut out = JsonLines::stdout();

    let (line_numbers, changes, failed) = parse_lines(&text, &mut out, DiskChange::from_line)?;
    let changes = session.client.change_disks(
        changes,
        BulkOptions::new().concurrency(concurrency),
        options,
    );
    drive(changes, &line_numbers, failed, &mut out, line).await
}

/// The output line for one finished change.
fn line(number: usize, result: Result<ChangeReport, Error>) -> Value {
    match result {
        Ok(report) => with_report(json!({"line": number, "ok": true}), &report),
        Err(Error::Change(failed)) => {
            let report = failed.report().clone();
            with_report(error_line(number, Error::Change(failed)), &report)
        }
        Err(error) => error_line(number, error),
    }
}

/// `line` with the report's fields added.
fn with_report(mut line: Value, report: &ChangeReport) -> Value {
    if let (Value::Object(line), Ok(Value::Object(report))) =
        (&mut line, serde_json::to_value(report))
    {
        for (key, value) in report {
            line.entry(key).or_insert(value);
        }
    }
    line
}
