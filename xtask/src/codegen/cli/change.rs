//! `disk change`'s property flags (`DiskChangeFlags`): the fields of Update
//! disk's body an existing disk can change, their help naming the operation
//! each is routed to, and the body tree pruned to them.

use proc_macro2::TokenStream;

use super::{Flag, Node, create_only, render};

/// The operation whose body `disk change`'s flags build: a `--from` line is
/// that body plus the change-only fields the CLI declares itself.
pub(super) const CHANGE_FROM: &str = "update_disk";

/// The operation katapult-core's `DiskChange::plan` routes each field `disk
/// change` takes to, `None` for any other; `disk.id` (routed to `""`) names
/// the disk for every step. A create-only field is here only when an existing
/// disk changes it through an operation of its own (`size_in_gb`:
/// `resize_disk`).
fn routed_to(path: &str) -> Option<&'static str> {
    Some(match path {
        "disk.id" => "",
        "properties.name"
        | "properties.bus_type"
        | "properties.storage_speed"
        | "properties.virtual_machine_disk.attach_on_boot"
        | "properties.virtual_machine_disk.boot"
        | "annotations" => "update_disk",
        "properties.size_in_gb" => "resize_disk",
        "properties.io_profile" => "change_disk_io_profile",
        "properties.virtual_machine_disk.virtual_machine" => "assign_disk",
        _ => return None,
    })
}

/// `disk change`'s struct (required `--disk-id` unless `--from`): Update
/// disk's body tree pruned to the flags [`routed`] to an operation.
pub(super) fn render(root: Vec<(String, Node)>) -> TokenStream {
    let doc = format!(
        " The property flags of `katapult disk change`: the fields of `{CHANGE_FROM}`'s \
         request body that an existing disk can change, each routed to the operation that \
         changes it. They build that body, the shape of a `--from` line."
    );
    render::render(&doc, "disk_change", "Change", &["from"], &prune(root, ""))
}

/// The flag setting `path` (`by` a lookup's field) if it is [`routed_to`]
/// an operation, its help naming that operation (instead of a create-only
/// note).
fn routed(mut flag: Flag, path: &str, by: Option<&str>) -> Option<Flag> {
    let operation = routed_to(path)?;
    let routed = format!("{path} ({operation})");
    flag.help = match by {
        // The lookup: the same disk for every step.
        _ if operation.is_empty() => format!("Sets {path}: the disk to change."),
        // "Sets <path>" and the rest, with the operation after the path.
        _ if create_only(path).is_empty() => flag.help.replacen(path, &routed, 1),
        // The fragment's description is about creating a disk: say only
        // what the flag sets and where it goes.
        Some(field) => format!("Sets {path} by {field} ({operation})."),
        None => format!("Sets {routed}."),
    };
    Some(flag)
}

/// The nodes under `parent` (a JSON path ending in `.`, or empty) with
/// their flags [`routed`]; an object is kept when it is required or keeps a
/// child.
fn prune(nodes: Vec<(String, Node)>, parent: &str) -> Vec<(String, Node)> {
    let kept = |(key, node)| {
        let path = format!("{parent}{key}");
        let node = match node {
            Node::Value(flag) => Node::Value(routed(flag, &path, None)?),
            Node::KeyValues { add, clear } => Node::KeyValues {
                add: routed(add, &path, None)?,
                clear: routed(clear, &path, None)?,
            },
            Node::Lookup(members) => {
                let routed = |(field, flag): (String, Flag)| {
                    routed(flag, &path, Some(&field)).map(|flag| (field, flag))
                };
                let members: Vec<(String, Flag)> = members.into_iter().filter_map(routed).collect();
                Node::Lookup(Some(members).filter(|members| !members.is_empty())?)
            }
            Node::Object { required, children } => {
                let children = prune(children, &format!("{path}."));
                (required || !children.is_empty()).then_some(Node::Object { required, children })?
            }
        };
        Some((key, node))
    };
    nodes.into_iter().filter_map(kept).collect()
}
