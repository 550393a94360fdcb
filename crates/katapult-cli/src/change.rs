//! `katapult disk change`: one change of an existing disk, planned, routed
//! to the operations that can make it, waited for and verified by
//! katapult-core ([`Client::change_disk`], [`Client::plan_disk_change`]).
//!
//! The flags are turned into the JSON line `disk change --from` would read
//! and parsed by [`DiskChange::from_json`], so the flags and a line are
//! checked by the same code (a size that is not a positive whole number, a
//! lookup naming two fields, ...).

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use katapult_core::types;
use katapult_core::{ChangeOptions, ChangeReport, Client, DiskChange, Error, PlanEntry};
use serde::Serialize;
use serde_json::{Map, Value, json};

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

/// The flags as the JSON line `disk change --from` reads.
fn line(args: &ChangeArgs) -> Value {
    let mut properties = Map::new();
    let put = |map: &mut Map<String, Value>, key: &str, value: Option<Value>| {
        if let Some(value) = value {
            map.insert(key.to_owned(), value);
        }
    };
    put(&mut properties, "name", args.name.clone().map(Value::from));
    put(
        &mut properties,
        "bus_type",
        args.bus_type.clone().map(Value::from),
    );
    put(
        &mut properties,
        "storage_speed",
        args.storage_speed.clone().map(Value::from),
    );
    put(
        &mut properties,
        "size_in_gb",
        args.size_in_gb.map(Value::from),
    );
    put(
        &mut properties,
        "io_profile",
        lookup(&[
            ("id", &args.io_profile_id),
            ("permalink", &args.io_profile_permalink),
        ]),
    );
    let mut vm_disk = Map::new();
    put(
        &mut vm_disk,
        "attach_on_boot",
        args.attach_on_boot.map(Value::from),
    );
    put(
        &mut vm_disk,
        "virtual_machine",
        lookup(&[
            ("id", &args.virtual_machine_id),
            ("fqdn", &args.virtual_machine_fqdn),
        ]),
    );
    if !vm_disk.is_empty() {
        properties.insert("virtual_machine_disk".to_owned(), Value::Object(vm_disk));
    }

    let mut line = Map::new();
    // clap requires --disk-id unless --from, which does not come here.
    line.insert(
        "disk".to_owned(),
        json!({"id": args.disk_id.as_deref().unwrap_or_default()}),
    );
    if !properties.is_empty() {
        line.insert("properties".to_owned(), Value::Object(properties));
    }
    if args.clear_annotations {
        line.insert("annotations".to_owned(), json!([]));
    } else if !args.annotation.is_empty() {
        let annotations = args
            .annotation
            .iter()
            .map(|(key, value)| match value {
                Some(value) => json!({"key": key, "value": value}),
                None => json!({"key": key}),
            })
            .collect();
        line.insert("annotations".to_owned(), Value::Array(annotations));
    }
    put(&mut line, "attached", args.attached.map(Value::from));
    put(
        &mut line,
        "resize_method",
        args.resize_method.clone().map(Value::from),
    );
    if args.unassign {
        line.insert("unassign".to_owned(), Value::Bool(true));
    }
    Value::Object(line)
}

/// `{"<field>": value}` for the one member given (clap lets through at
/// most one).
fn lookup(members: &[(&str, &Option<String>)]) -> Option<Value> {
    members
        .iter()
        .find_map(|(field, value)| value.as_ref().map(|value| json!({ (*field): value })))
}
