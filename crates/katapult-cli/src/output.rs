//! Printing an answer: the response body as JSON (`--output json`), or a
//! short summary of a disk or a task for a person (`--output table`).

use std::fmt::Write as _;

use katapult_core::types::{Disk, KeyValue, Task};
use katapult_core::{Response, ResponseMeta};
use serde_json::Value;

use crate::exit::Failure;

/// The response body as received, pretty-printed: every field and `null`
/// the server sent, including fields this version does not know.
pub fn json<T>(response: &Response<T>) -> Result<String, Failure> {
    let body: Value = serde_json::from_slice(response.raw_body()).map_err(|error| {
        Failure::bug(format!(
            "the response decoded once but its raw body no longer parses: {error}"
        ))
    })?;
    serde_json::to_string_pretty(&body)
        .map_err(|error| Failure::bug(format!("cannot print the response: {error}")))
}

/// A short summary of a disk and its annotations, one `label  value` row
/// per line, ending with the request id of the answer it came from (when
/// there was one answer).
pub fn disk_table(disk: &Disk, annotations: &[KeyValue], request_id: Option<&str>) -> String {
    let mut rows: Vec<(&str, String)> = vec![
        ("disk", text(disk.id.as_deref())),
        ("name", text(disk.name.as_deref())),
        ("state", text(disk.state.as_ref().map(|s| s.as_str()))),
        (
            "size",
            text(disk.size_in_gb.map(|gb| format!("{gb} GB")).as_deref()),
        ),
        (
            "storage speed",
            text(disk.storage_speed.as_ref().map(|s| s.as_str())),
        ),
        ("bus type", text(disk.bus_type.as_ref().map(|b| b.as_str()))),
        (
            "io profile",
            text(
                disk.io_profile
                    .as_ref()
                    .and_then(|p| {
                        named(
                            p.name.as_deref(),
                            p.permalink.as_deref().or(p.id.as_deref()),
                        )
                    })
                    .as_deref(),
            ),
        ),
        (
            "data center",
            text(
                disk.data_center
                    .as_ref()
                    .and_then(|d| {
                        named(
                            d.name.as_deref(),
                            d.permalink.as_deref().or(d.id.as_deref()),
                        )
                    })
                    .as_deref(),
            ),
        ),
    ];
    let attachment = disk.virtual_machine_disk.as_ref().map(|attachment| {
        let machine = attachment
            .virtual_machine
            .as_ref()
            .and_then(|vm| vm.fqdn.as_deref().or(vm.id.as_deref()))
            .unwrap_or("a virtual machine");
        let mut notes = Vec::new();
        if let Some(state) = &attachment.state {
            notes.push(state.as_str().to_owned());
        }
        if let Some(boot) = attachment.boot {
            notes.push(format!("boot: {}", yes_no(boot)));
        }
        if let Some(attach) = attachment.attach_on_boot {
            notes.push(format!("attach on boot: {}", yes_no(attach)));
        }
        if notes.is_empty() {
            machine.to_owned()
        } else {
            format!("{machine} ({})", notes.join(", "))
        }
    });
    rows.push((
        "attached to",
        attachment.unwrap_or_else(|| "nothing".to_owned()),
    ));
    let annotations = annotations
        .iter()
        .map(|kv| match &kv.value {
            Some(value) => format!("{}={value}", kv.key),
            None => kv.key.clone(),
        })
        .collect::<Vec<_>>();
    rows.push((
        "annotations",
        if annotations.is_empty() {
            "none".to_owned()
        } else {
            annotations.join(", ")
        },
    ));
    if let Some(request_id) = request_id {
        rows.push(("request id", request_id.to_owned()));
    }
    rows_text(&rows)
}

/// A short summary of a task, one `label  value` row per line.
pub fn task_table(task: &Task, meta: &ResponseMeta) -> String {
    let rows: Vec<(&str, String)> = vec![
        ("task", text(task.id.as_deref())),
        ("name", text(task.name.as_deref())),
        ("status", text(task.status.as_ref().map(|s| s.as_str()))),
        (
            "progress",
            text(task.progress.map(|p| format!("{p}%")).as_deref()),
        ),
        ("request id", text(meta.request_id())),
    ];
    rows_text(&rows)
}

fn rows_text(rows: &[(&str, String)]) -> String {
    let width = rows.iter().map(|(label, _)| label.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (label, value) in rows {
        let _ = writeln!(out, "{label:<width$}  {value}");
    }
    out
}

fn text(value: Option<&str>) -> String {
    value.unwrap_or("-").to_owned()
}

fn named(name: Option<&str>, handle: Option<&str>) -> Option<String> {
    match (name, handle) {
        (Some(name), Some(handle)) if name != handle => Some(format!("{name} ({handle})")),
        (Some(name), _) => Some(name.to_owned()),
        (None, handle) => handle.map(str::to_owned),
    }
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}
