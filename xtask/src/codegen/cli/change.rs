//! `disk change`'s property flags (`DiskChangeFlags`): the fields of Update
//! disk's body an existing disk can change, their help naming the operation
//! each is routed to, and the body tree pruned to them.

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

/// `disk change`'s struct: required `--disk-id` unless `--from`.
pub(super) fn spec() -> render::Spec {
    render::Spec {
        doc: format!(
            " The property flags of `katapult disk change`: the fields of `{CHANGE_FROM}`'s \
             request body that an existing disk can change, each routed to the operation that \
             changes it. They build that body, the shape of a `--from` line."
        ),
        name: "disk_change".to_owned(),
        heading: "Change",
        whole_body: &["from"],
    }
}

/// The flags [`routed_to`] an operation, their help naming that operation
/// (instead of a create-only note), and the body tree pruned to them.
pub(super) fn flags(flags: Vec<Flag>, root: Vec<Node>) -> (Vec<Flag>, Vec<Node>) {
    let kept: Vec<Flag> = flags
        .into_iter()
        .filter_map(|mut flag| {
            let operation = routed_to(&flag.path)?;
            if operation.is_empty() {
                // The lookup: the same disk for every step.
                flag.help = format!("Sets {}: the disk to change.", flag.path);
                return Some(flag);
            }
            let routed = format!(" ({operation})");
            let note = create_only(&flag.path);
            if note.is_empty() {
                // "Sets <path>" and the rest, with the operation after the path.
                flag.help = flag
                    .help
                    .replacen(&flag.path, &format!("{}{routed}", flag.path), 1);
            } else {
                // The fragment's description is about creating a disk: say
                // only what the flag sets and where it goes.
                let by = flag
                    .help
                    .split(" by ")
                    .nth(1)
                    .and_then(|rest| rest.split([' ', '(']).next());
                flag.help = match by {
                    Some(field) => format!("Sets {} by {field}{routed}.", flag.path),
                    None => format!("Sets {}{routed}.", flag.path),
                };
            }
            Some(flag)
        })
        .collect();
    let ids: Vec<&str> = kept.iter().map(|flag| flag.id.as_str()).collect();
    let root = prune(root, &ids);
    (kept, root)
}

/// The nodes whose flags are among `ids`; an object is kept when it is
/// required or keeps a child.
fn prune(nodes: Vec<Node>, ids: &[&str]) -> Vec<Node> {
    nodes
        .into_iter()
        .filter_map(|node| match node {
            Node::Value { ref flag, .. } | Node::KeyValues { add: ref flag, .. } => {
                ids.contains(&flag.as_str()).then_some(node)
            }
            Node::Lookup { key, members } => {
                let members: Vec<(String, String)> = members
                    .into_iter()
                    .filter(|(_, flag)| ids.contains(&flag.as_str()))
                    .collect();
                (!members.is_empty()).then_some(Node::Lookup { key, members })
            }
            Node::Object {
                key,
                required,
                children,
            } => {
                let children = prune(children, ids);
                (required || !children.is_empty()).then_some(Node::Object {
                    key,
                    required,
                    children,
                })
            }
        })
        .collect()
}
