//! `katapult disk update --from FILE|-`: many updates, one request body per
//! line (JSON Lines), through katapult-core's bulk API (bounded
//! concurrency, under the client's rate-limit governor).
//!
//! stdout gets one JSON line per input line, as each finishes (not in input
//! order; each names its line):
//!
//! ```text
//! {"line":3,"ok":true,"disk":{...},"request_id":"..."}
//! {"line":4,"ok":false,"kind":"api","status":404,"code":"disk_not_found","error":"...","request_id":"..."}
//! ```
//!
//! `kind` is `input` (the line is not a valid request body: it is reported
//! without being sent, and the others still run), `api`, `rate_limited`,
//! `network`, `response`, `request` or `internal` (and, for `disk change
//! --from`, `task`, `refused` or `change`). Blank lines are
//! skipped. The exit code is 0 when every line succeeded, 1 otherwise.

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use katapult_core::types::UpdateDiskResponse;
use katapult_core::{BulkOptions, BulkResult, BulkUpdates, Error, Response};
use serde_json::{Value, json};

use crate::cli::Connection;
use crate::exit::{Exit, Failure, kind};
use crate::progress::{ProgressBar, Snapshot};
use crate::request;
use crate::session::{self, Purpose};

/// Runs the bulk update; returns 0 or 1, or the failure that stopped
/// everything before any line ran (no token, an unreadable file).
pub async fn run(
    connection: &Connection,
    path: &Path,
    concurrency: usize,
) -> Result<Exit, Failure> {
    let session = session::open(connection, Purpose::Send).await?;
    let text = request::read_input(path, "--from")?;
    let mut out = JsonLines::stdout();

    let (line_numbers, bodies, failed) = parse_lines(&text, &mut out, request::parse_body)?;
    let updates = session
        .client
        .update_disks(bodies, BulkOptions::new().concurrency(concurrency));
    drive(updates, &line_numbers, failed, &mut out, line).await
}

/// Parses every line first: a malformed one is reported at once (an
/// `input` line, not sent), blank lines are skipped, and the rest go to the
/// bulk API together (it needs them as one iterator). Returns the line
/// numbers and inputs that parsed, and how many did not. Shared with
/// `disk change --from`.
pub fn parse_lines<T, E: std::fmt::Display>(
    text: &str,
    out: &mut JsonLines,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<(Vec<usize>, Vec<T>, usize), Failure> {
    let (mut numbers, mut inputs, mut failed) = (Vec::new(), Vec::new(), 0);
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        match parse(line) {
            Ok(input) => {
                inputs.push(input);
                numbers.push(number);
            }
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
    Ok((numbers, inputs, failed))
}

/// Writes one output line per result as the bulk stream hands them out,
/// with a progress bar on stderr; 0 when nothing failed (counting the
/// `failed` input lines), 1 otherwise. Shared with `disk change --from`.
pub async fn drive<T: Send + 'static>(
    mut stream: BulkUpdates<T>,
    line_numbers: &[usize],
    mut failed: usize,
    out: &mut JsonLines,
    line: impl Fn(usize, Result<T, Error>) -> Value,
) -> Result<Exit, Failure> {
    let mut bar = ProgressBar::on_stderr();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        let progress = stream.progress();
        bar.draw(
            &Snapshot {
                total: progress.total,
                done: progress.done,
                failed: progress.failed,
                in_flight: progress.started.saturating_sub(progress.done),
                budget: progress
                    .rate_limit_estimate
                    .and_then(|limit| limit.remaining.zip(limit.permitted)),
            },
            false,
        );
        let result = tokio::select! {
            result = stream.next() => result,
            // Redraw while waiting, e.g. through a task or a rate-limit hold.
            _ = tick.tick() => continue,
        };
        let Some(BulkResult { index, result, .. }) = result else {
            break;
        };
        let Some(&number) = line_numbers.get(index) else {
            bar.finish();
            return Err(Failure::bug(format!(
                "the bulk API reported input {index}, but only {} were given",
                line_numbers.len()
            )));
        };
        if result.is_err() {
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

/// The output line for one finished update.
fn line(number: usize, result: Result<Response<UpdateDiskResponse>, Error>) -> Value {
    match result {
        Ok(response) => {
            // The disk as received, unknown fields included.
            let disk = serde_json::from_slice::<Value>(response.raw_body())
                .ok()
                .and_then(|mut body| body.get_mut("disk").map(Value::take))
                .unwrap_or_else(|| serde_json::to_value(&response.disk).unwrap_or(Value::Null));
            json!({
                "line": number,
                "ok": true,
                "disk": disk,
                "request_id": response.meta().request_id(),
            })
        }
        Err(error) => error_line(number, error),
    }
}

/// The output line for a line that failed with `error`; shared with
/// `disk change --from`.
pub fn error_line(number: usize, error: Error) -> Value {
    let kind = kind(&error);
    let status = error.status().map(|status| status.as_u16());
    let code = error.code().map(|code| code.as_str().to_owned());
    let request_id = error.request_id().map(str::to_owned);
    json!({
        "line": number,
        "ok": false,
        "kind": kind,
        "status": status,
        "code": code,
        "error": Failure::from(error).message,
        "request_id": request_id,
    })
}

/// JSON Lines on stdout, each flushed as it is written so a reader sees
/// results as they finish.
pub struct JsonLines {
    stdout: std::io::Stdout,
}

impl JsonLines {
    /// Lines on this process's stdout.
    pub fn stdout() -> Self {
        Self {
            stdout: std::io::stdout(),
        }
    }

    /// Writes one line and flushes it.
    pub fn write(&mut self, value: &Value) -> Result<(), Failure> {
        let mut lock = self.stdout.lock();
        writeln!(lock, "{value}")
            .and_then(|()| lock.flush())
            .map_err(Failure::output)
    }
}
