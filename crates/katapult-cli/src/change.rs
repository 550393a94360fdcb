//! `katapult disk change`: one change of an existing disk, planned, routed
//! to the operations that can make it, waited for and verified by
//! katapult-core ([`Client::change_disk`], [`Client::plan_disk_change`]).
//!
//! The property flags are generated from the fragment (Update disk's
//! fields, [`crate::generated::DiskChangeFlags`]); they and the change-only
//! flags are turned into the JSON line `disk change --from` would read and
//! parsed by [`DiskChange::from_json`], so the flags and a line are checked
//! by the same code (a size that is not a positive whole number, a lookup
//! naming two fields, ...).

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use katapult_core::types;
use katapult_core::{ChangeOptions, ChangeReport, Client, DiskChange, Error, PlanEntry};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::cli::{ChangeArgs, Connection, OutputFormat};
use crate::exit::{Exit, Failure};
use crate::progress::ProgressBar;
use crate::session::{self, Purpose};
use crate::update::print;
use crate::{change_bulk, output};

/// Runs the command.
pub async fn run(connection: &Connection, args: ChangeArgs) -> Result<Exit, Failure> {
    let mut options = ChangeOptions::default();
    if args.no_wait {
        options = options.no_wait();
    }
    if let Some(deadline) = args.timeout {
        options = options.deadline(deadline);
    }
    if let Some(path) = &args.from {
        return change_bulk::run(connection, path, args.concurrency.into(), options).await;
    }
    // The change first: a mistake in it is reported before any credential
    // is looked at or any connection made.
    let change = DiskChange::from_json(line(&args)).map_err(|problem| {
        Failure::usage(format!(
            "the flags do not make a change: {problem}; nothing was sent"
        ))
    })?;
    let session = session::open(connection, Purpose::Send).await?;
    let client = &session.client;
    if args.plan {
        return plan(client, &change, args.output).await;
    }
    // A single change draws its steps on stderr; a bulk one has the bulk bar.
    let bar = Arc::new(Mutex::new(ProgressBar::on_stderr()));
    if bar.lock().is_ok_and(|bar| bar.enabled()) {
        let drawn = Arc::clone(&bar);
        options = options.on_progress(move |moment| {
            if let Ok(mut bar) = drawn.lock() {
                bar.draw_change(moment);
            }
        });
    }
    let changed = client.change_disk(&change, options).await;
    if let Ok(mut bar) = bar.lock() {
        bar.finish();
    }
    match changed {
        Ok(report) => {
            print(&report_text(&report, args.output)?).map_err(Failure::output)?;
            Ok(Exit::Success)
        }
        Err(Error::Change(failed)) => {
            // What was done before it stopped, on stdout as if it had
            // finished; the reason on stderr, with the exit code of its
            // cause.
            print(&report_text(failed.report(), args.output)?).map_err(Failure::output)?;
            Err(Failure::from(Error::Change(failed)))
        }
        Err(error) => Err(error.into()),
    }
}

/// `--plan`: the plan and the disk as read; nothing written.
async fn plan(client: &Client, change: &DiskChange, format: OutputFormat) -> Result<Exit, Failure> {
    let planned = client.plan_disk_change(change).await?;
    let text = match format {
        OutputFormat::Json => json_text(&PlanOutput {
            plan: &planned.plan.entries,
            disk: &planned.disk,
            annotations: &planned.annotations,
        })?,
        OutputFormat::Table => format!(
            "{}\n{}",
            plan_table(&planned.plan.entries),
            output::disk_table(&planned.disk, &planned.annotations, None)
        ),
    };
    print(&text).map_err(Failure::output)?;
    Ok(Exit::Success)
}

/// `--plan --output json`: the report's shape, with the disk as read
/// before any step.
#[derive(Serialize)]
struct PlanOutput<'a> {
    plan: &'a [PlanEntry],
    disk: &'a types::Disk,
    annotations: &'a [types::KeyValue],
}

fn report_text(report: &ChangeReport, format: OutputFormat) -> Result<String, Failure> {
    Ok(match format {
        OutputFormat::Json => json_text(report)?,
        OutputFormat::Table => {
            let mut text = plan_table(&report.plan);
            for done in &report.tasks {
                let _ = writeln!(
                    text,
                    "{}: {}",
                    done.operation,
                    crate::progress::task_line(&done.task)
                );
            }
            if let Some(disk) = &report.disk {
                text.push('\n');
                let annotations = report.annotations.as_deref().unwrap_or_default();
                text.push_str(&output::disk_table(disk, annotations, None));
            }
            text
        }
    })
}

fn json_text(value: &impl Serialize) -> Result<String, Failure> {
    serde_json::to_string_pretty(value)
        .map(|text| format!("{text}\n"))
        .map_err(|error| Failure::bug(format!("cannot print the report: {error}")))
}

/// The plan as a table: property, from, to, operation.
pub fn plan_table(entries: &[PlanEntry]) -> String {
    if entries.is_empty() {
        return "nothing to change: the disk already reads as asked\n".to_owned();
    }
    let rows: Vec<[String; 4]> = entries
        .iter()
        .map(|entry| {
            [
                entry.property.to_string(),
                entry.from.to_string(),
                entry.to.to_string(),
                entry.operation.to_string(),
            ]
        })
        .collect();
    let header = ["property", "from", "to", "operation"].map(str::to_owned);
    let mut widths = [0; 4];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let line = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect::<Vec<_>>()
            .join("  ");
        let _ = writeln!(text, "{}", line.trim_end());
    }
    text
}

/// The flags as the JSON line `disk change --from` reads: the body the
/// generated property flags build, plus the change-only fields.
fn line(args: &ChangeArgs) -> Value {
    let mut line = match args.flags.to_json() {
        Value::Object(line) => line,
        _ => Map::new(),
    };
    if let Some(attached) = args.attached {
        line.insert("attached".to_owned(), Value::Bool(attached));
    }
    if let Some(method) = &args.resize_method {
        line.insert("resize_method".to_owned(), Value::from(method.as_str()));
    }
    if args.unassign {
        line.insert("unassign".to_owned(), Value::Bool(true));
    }
    Value::Object(line)
}
