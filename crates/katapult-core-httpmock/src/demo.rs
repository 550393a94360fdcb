//! The made-up world the mock Katapult starts with: what a demo disk looks
//! like, and the few I/O profiles and virtual machines it knows by name.
//!
//! Neither I/O profiles nor virtual machines are modelled: a lookup of one
//! the mock does not know still succeeds, and the disk then shows only the
//! field the lookup gave (see [`io_profile`], [`virtual_machine`]).

use katapult_core::types::{DiskIoProfileLookup, VirtualMachineLookup};
use serde_json::{Map, Value, json};

use crate::fixtures;

/// The twelve keys a disk always carries on the wire (some `null`).
pub(crate) const DISK_KEYS: [&str; 12] = [
    "id",
    "name",
    "size_in_gb",
    "wwn",
    "state",
    "created_at",
    "storage_speed",
    "io_profile",
    "bus_type",
    "data_center",
    "virtual_machine_disk",
    "installation",
];

/// The disk an id names the first time it is used: 20 GB, built, detached
/// and not assigned to a virtual machine. Otherwise the fixture's disk, so
/// its nested objects are as partial as the API's.
pub(crate) fn disk(id: &str) -> Map<String, Value> {
    let mut disk = match serde_json::to_value(fixtures::disk(id)) {
        Ok(Value::Object(disk)) => disk,
        _ => Map::new(),
    };
    disk.insert("id".into(), id.into());
    disk.insert("size_in_gb".into(), 20.into());
    disk.insert("state".into(), "built".into());
    disk.insert("virtual_machine_disk".into(), Value::Null);
    with_every_key(disk)
}

/// Adds the disk keys a caller left out, as `null`: the API never omits one.
pub(crate) fn with_every_key(mut disk: Map<String, Value>) -> Map<String, Value> {
    for key in DISK_KEYS {
        disk.entry(key).or_insert(Value::Null);
    }
    disk
}

/// The I/O profiles the mock knows: (id, name, permalink, speed in MB/s).
/// The first is the one demo disks have.
const IO_PROFILES: [(&str, &str, &str, i64); 2] = [
    ("dio_6kLsSBvRu5ptQ8iQ", "Standard", "standard", 500),
    ("dio_r4uN9bV2cXq8ZtLm", "Fast", "fast", 2000),
];

/// The disk's `io_profile` after a change to `lookup`: the whole profile
/// when the mock knows it, otherwise just the field the lookup gave.
pub(crate) fn io_profile(lookup: &DiskIoProfileLookup) -> Value {
    let known = IO_PROFILES
        .iter()
        .find(|(id, _, permalink, _)| match lookup {
            DiskIoProfileLookup::Id(wanted) => wanted == id,
            DiskIoProfileLookup::Permalink(wanted) => wanted == permalink,
        });
    match (known, lookup) {
        (Some((id, name, permalink, speed)), _) => json!({
            "id": id, "name": name, "permalink": permalink, "speed_in_mb": speed, "iops": null,
        }),
        (None, DiskIoProfileLookup::Id(id)) => json!({
            "id": id, "name": null, "permalink": null, "speed_in_mb": null, "iops": null,
        }),
        (None, DiskIoProfileLookup::Permalink(permalink)) => json!({
            "id": null, "name": null, "permalink": permalink, "speed_in_mb": null, "iops": null,
        }),
    }
}

/// The virtual machine the fixtures' attached disk belongs to: (id, fqdn).
const VIRTUAL_MACHINE: (&str, &str) = ("vm_EbcEXQaIiVVWMjEO", "web-1.example.katapult.cloud");

/// The `virtual_machine` of an attachment made by `lookup`: both fields for
/// the virtual machine the mock knows, otherwise the one the lookup gave.
pub(crate) fn virtual_machine(lookup: &VirtualMachineLookup) -> Value {
    let (known_id, known_fqdn) = VIRTUAL_MACHINE;
    match lookup {
        VirtualMachineLookup::Id(id) if id == known_id => json!({"id": id, "fqdn": known_fqdn}),
        VirtualMachineLookup::Fqdn(fqdn) if fqdn == known_fqdn => {
            json!({"id": known_id, "fqdn": fqdn})
        }
        VirtualMachineLookup::Id(id) => json!({"id": id, "fqdn": null}),
        VirtualMachineLookup::Fqdn(fqdn) => json!({"id": null, "fqdn": fqdn}),
    }
}

/// Whether an attachment's `virtual_machine` is the one `lookup` names.
pub(crate) fn is_virtual_machine(current: &Value, lookup: &VirtualMachineLookup) -> bool {
    match lookup {
        VirtualMachineLookup::Id(id) => current["id"].as_str() == Some(id),
        VirtualMachineLookup::Fqdn(fqdn) => current["fqdn"].as_str() == Some(fqdn),
    }
}
