//! `katapult disk change --from FILE|-`: many changes, one JSON line each
//! (the shape [`DiskChange::from_line`] reads), at most `--concurrency` at
//! a time, every request under the client's rate-limit governor.
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
use std::time::Duration;

use katapult_core::{ChangeOptions, ChangeReport, DiskChange, Error};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::bulk::{JsonLines, error_line};
use crate::cli::Connection;
use crate::exit::{Exit, Failure};
use crate::progress::{ProgressBar, Snapshot};
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

    let mut failed = 0usize;
    let mut changes = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        match DiskChange::from_line(line) {
            Ok(change) => changes.push((number, change)),
            Err(problem) => {
                failed += 1;
                out.write(&json!({
                    "line": number,
                    "ok": false,
                    "kind": "input",
                    "status": null,
                    "code": null,
                    "error": format!("line {number}: {problem}; this line was not sent"),
                    "request_id": null,
                }))?;
            }
        }
    }

    let total = changes.len();
    let mut waiting = changes.into_iter();
    let mut running = JoinSet::new();
    let mut bar = ProgressBar::on_stderr();
    let (mut done, mut done_failed) = (0usize, 0usize);
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        while running.len() < concurrency {
            let Some((number, change)) = waiting.next() else {
                break;
            };
            let client = session.client.clone();
            let options = options.clone();
            running.spawn(async move { (number, client.change_disk(&change, options).await) });
        }
        bar.draw(
            &Snapshot {
                total: Some(total),
                done,
                failed: done_failed,
                in_flight: running.len(),
                budget: None,
            },
            false,
        );
        let joined = tokio::select! {
            joined = running.join_next() => joined,
            // Redraw while waiting, e.g. through a task or a rate-limit hold.
            _ = tick.tick() => continue,
        };
        let Some(joined) = joined else {
            break;
        };
        let (number, result) = joined.map_err(|error| {
            bar.finish();
            Failure::bug(format!("a change ended without a result: {error}"))
        })?;
        done += 1;
        if result.is_err() {
            done_failed += 1;
            failed += 1;
        }
        out.write(&line(number, result))?;
    }
    bar.finish();
    Ok(if failed == 0 {
        Exit::Success
    } else {
        Exit::Refused
    })
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
