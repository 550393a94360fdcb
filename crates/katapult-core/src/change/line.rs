//! A change as one JSON line, the shape `katapult disk change --from`
//! reads: the request body of `disk update` plus the fields only a change
//! has.
//!
//! ```json
//! {"disk": {"id": "disk_..."},
//!  "properties": {"name": "...", "bus_type": "scsi|virtio", "storage_speed": "nvme|ssd",
//!                 "size_in_gb": 50, "io_profile": {"id": "..."} | {"permalink": "..."},
//!                 "data_center": {"id"|"permalink": "..."}, "initial_file_system": "ext4|xfs",
//!                 "virtual_machine_disk": {"attach_on_boot": true, "boot": false,
//!                                          "virtual_machine": {"id"|"fqdn": "..."}}},
//!  "annotations": [{"key": "...", "value": "..."}],
//!  "attached": true, "resize_method": "offline|online", "unassign": true}
//! ```
//!
//! Only `disk` is required. The line is read field by field, so that every
//! mistake is named by its path: an unknown field (serde would drop it in
//! silence; found by the request-body check, `request_body.rs`, against
//! Update disk's request type), a wrong type, a `null` (a change cannot set a property to
//! nothing: leave the field out to leave it as it is), a lookup naming two
//! fields, a size that is not a positive whole number, and
//! `virtual_machine_disk.attach`, which attaches a disk only when it is
//! created (an existing disk uses `attached`).

use std::num::NonZeroU32;
use std::str::FromStr;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{DiskChange, VirtualMachineChange};
use crate::request_body::{NotSent, RequestBodyError, check_request_body, json_kind};
use crate::types;

/// Why a line is not a change: the message names the field and says what
/// to write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeLineError {
    message: String,
}

impl ChangeLineError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ChangeLineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ChangeLineError {}

type Result<T> = std::result::Result<T, ChangeLineError>;

impl DiskChange {
    /// Reads a change from one JSON line, the shape `katapult disk change
    /// --from` reads: the request body of `disk update` plus `attached`,
    /// `resize_method` and `unassign`. Only `disk` is required:
    ///
    /// ```json
    /// {"disk": {"id": "disk_..."},
    ///  "properties": {"name": "...", "bus_type": "scsi|virtio", "storage_speed": "nvme|ssd",
    ///                 "size_in_gb": 50, "io_profile": {"id": "..."} | {"permalink": "..."},
    ///                 "data_center": {"id"|"permalink": "..."}, "initial_file_system": "ext4|xfs",
    ///                 "virtual_machine_disk": {"attach_on_boot": true, "boot": false,
    ///                                          "virtual_machine": {"id"|"fqdn": "..."}}},
    ///  "annotations": [{"key": "...", "value": "..."}],
    ///  "attached": true, "resize_method": "offline|online", "unassign": true}
    /// ```
    ///
    /// Every mistake is an error naming its path: an unknown field, a
    /// wrong type, a `null` (leave a field out to leave it as it is), a
    /// lookup naming two fields, a size that is not a positive whole
    /// number, and `virtual_machine_disk.attach` (create only: an existing
    /// disk uses `attached`).
    ///
    /// ```
    /// use katapult_core::DiskChange;
    ///
    /// let change = DiskChange::from_line(
    ///     r#"{"disk": {"id": "disk_1"}, "properties": {"size_in_gb": 50}, "attached": true}"#,
    /// )?;
    /// assert_eq!(change.attached, Some(true));
    /// let refused = DiskChange::from_line(r#"{"disk": {"id": "disk_1"}, "atached": true}"#);
    /// assert!(refused.unwrap_err().to_string().starts_with("`atached` is not a field"));
    /// # Ok::<(), katapult_core::ChangeLineError>(())
    /// ```
    pub fn from_line(line: &str) -> Result<Self> {
        let value: Value = serde_json::from_str(line)
            .map_err(|error| ChangeLineError::new(format!("not valid JSON: {error}")))?;
        Self::from_json(value)
    }

    /// Reads a change from a line already parsed as JSON.
    pub fn from_json(value: Value) -> Result<Self> {
        let Value::Object(line) = value else {
            return Err(ChangeLineError::new(format!(
                "a change is a JSON object like {{\"disk\": {{\"id\": \"disk_...\"}}, \
                 \"properties\": {{...}}}}, not {}",
                json_kind(&value)
            )));
        };
        let mut change = DiskChange::new(String::new());
        let mut disk_id = None;
        let mut unassign = false;
        for (key, value) in &line {
            let path = key.as_str();
            refuse_null(path, value)?;
            match path {
                "disk" => disk_id = Some(read_disk(value)?),
                "properties" => read_properties(value, &mut change)?,
                "annotations" => change.annotations = Some(read_annotations(value)?),
                "attached" => change.attached = Some(typed(path, value)?),
                "resize_method" => change.resize_method = Some(typed(path, value)?),
                "unassign" => unassign = typed(path, value)?,
                // Checked against the request type below.
                _ => {}
            }
        }
        // Every other field the line gives must be one of Update disk's
        // request body, as the request type generated from the fragment
        // knows them: one check, the one `katapult` applies to a body.
        let mut body = line.clone();
        for change_only in ["attached", "resize_method", "unassign"] {
            body.remove(change_only);
        }
        body.entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Err(RequestBodyError::NotSent(NotSent::NotAField { path })) =
            check_request_body::<types::UpdateDiskBody>(Value::Object(body))
        {
            return Err(unknown(&path));
        }
        let Some(disk_id) = disk_id else {
            return Err(ChangeLineError::new(
                "the line names no disk: a change starts {\"disk\": {\"id\": \"disk_...\"}, ...}",
            ));
        };
        change.disk_id = disk_id;
        if unassign {
            if change.virtual_machine.is_some() {
                return Err(ChangeLineError::new(
                    "`unassign` and `properties.virtual_machine_disk.virtual_machine` contradict \
                     each other: give one of them",
                ));
            }
            change.virtual_machine = Some(VirtualMachineChange::Unassign);
        }
        Ok(change)
    }
}

impl FromStr for DiskChange {
    type Err = ChangeLineError;

    fn from_str(line: &str) -> Result<Self> {
        Self::from_line(line)
    }
}

impl TryFrom<Value> for DiskChange {
    type Error = ChangeLineError;

    fn try_from(value: Value) -> Result<Self> {
        Self::from_json(value)
    }
}

/// Decodes the line shape of [`DiskChange::from_line`] (through a JSON
/// value, so with a self-describing format such as JSON).
impl<'de> serde::Deserialize<'de> for DiskChange {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Self::from_json(value).map_err(serde::de::Error::custom)
    }
}

fn read_disk(value: &Value) -> Result<String> {
    let disk = object("disk", value)?;
    let mut id = None;
    for (key, value) in disk {
        // Other fields are checked against the request type.
        if key == "id" {
            id = Some(typed::<String>("disk.id", value)?);
        }
    }
    match id {
        Some(id) if !id.is_empty() => Ok(id),
        Some(_) => Err(ChangeLineError::new(
            "`disk.id` is empty: name the disk to change",
        )),
        None => Err(ChangeLineError::new(
            "`disk` has no `id`: write {\"disk\": {\"id\": \"disk_...\"}}",
        )),
    }
}

fn read_properties(value: &Value, change: &mut DiskChange) -> Result<()> {
    for (key, value) in object("properties", value)? {
        let path = format!("properties.{key}");
        refuse_null(&path, value)?;
        match key.as_str() {
            "name" => change.name = Some(typed(&path, value)?),
            "bus_type" => change.bus_type = Some(typed(&path, value)?),
            "storage_speed" => change.storage_speed = Some(typed(&path, value)?),
            "size_in_gb" => change.size_in_gb = Some(size(&path, value)?),
            "io_profile" => change.io_profile = Some(lookup(&path, value, &["id", "permalink"])?),
            "data_center" => change.data_center = Some(lookup(&path, value, &["id", "permalink"])?),
            "initial_file_system" => change.initial_file_system = Some(typed(&path, value)?),
            "virtual_machine_disk" => read_vm_disk(value, change)?,
            _ => {}
        }
    }
    Ok(())
}

fn read_vm_disk(value: &Value, change: &mut DiskChange) -> Result<()> {
    for (key, value) in object("properties.virtual_machine_disk", value)? {
        let path = format!("properties.virtual_machine_disk.{key}");
        refuse_null(&path, value)?;
        match key.as_str() {
            "attach_on_boot" => change.attach_on_boot = Some(typed(&path, value)?),
            "boot" => change.boot = Some(typed(&path, value)?),
            "virtual_machine" => {
                let vm = lookup(&path, value, &["id", "fqdn"])?;
                change.virtual_machine = Some(VirtualMachineChange::Assign(vm));
            }
            "attach" => {
                return Err(ChangeLineError::new(format!(
                    "`{path}` attaches a disk only when it is created: to attach this existing \
                     disk, write \"attached\": true at the top of the line"
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

fn read_annotations(value: &Value) -> Result<Vec<types::KeyValue>> {
    let Value::Array(items) = value else {
        return Err(ChangeLineError::new(format!(
            "`annotations` is a list like [{{\"key\": \"team\", \"value\": \"storage\"}}] ([] \
             removes them all), not {}",
            json_kind(value)
        )));
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let path = format!("annotations[{index}]");
            let mut key = None;
            let mut annotation_value = None;
            for (field, value) in object(&path, item)? {
                let field_path = format!("{path}.{field}");
                refuse_null(&field_path, value)?;
                match field.as_str() {
                    "key" => key = Some(typed::<String>(&field_path, value)?),
                    "value" => annotation_value = Some(typed::<String>(&field_path, value)?),
                    _ => {}
                }
            }
            match key {
                Some(key) if !key.is_empty() => Ok(types::KeyValue {
                    key,
                    value: annotation_value,
                }),
                Some(_) => Err(ChangeLineError::new(format!("`{path}.key` is empty"))),
                None => Err(ChangeLineError::new(format!(
                    "`{path}` has no `key`: write {{\"key\": \"...\", \"value\": \"...\"}}"
                ))),
            }
        })
        .collect()
}

/// A lookup names exactly one of its fields, as the server requires.
fn lookup<T: DeserializeOwned>(path: &str, value: &Value, fields: &[&str]) -> Result<T> {
    let names = fields
        .iter()
        .map(|field| format!("`{field}`"))
        .collect::<Vec<_>>()
        .join(" or ");
    let map = object(path, value)?;
    if map.len() != 1 {
        return Err(ChangeLineError::new(format!(
            "`{path}` names one of {names}, not {}: {{\"{}\": \"...\"}}",
            if map.is_empty() { "none" } else { "several" },
            fields[0]
        )));
    }
    for (key, value) in map {
        refuse_null(&format!("{path}.{key}"), value)?;
        if !fields.contains(&key.as_str()) {
            return Err(ChangeLineError::new(format!(
                "`{path}.{key}` is not a field of `{path}` (expected {names}): check its spelling"
            )));
        }
    }
    typed(path, value)
}

fn size(path: &str, value: &Value) -> Result<NonZeroU32> {
    value
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .and_then(NonZeroU32::new)
        .ok_or_else(|| {
            ChangeLineError::new(format!(
                "`{path}` is a whole number of GB, at least 1, not {value}"
            ))
        })
}

fn typed<T: DeserializeOwned>(path: &str, value: &Value) -> Result<T> {
    T::deserialize(value).map_err(|error| ChangeLineError::new(format!("`{path}`: {error}")))
}

fn object<'a>(path: &str, value: &'a Value) -> Result<&'a Map<String, Value>> {
    value.as_object().ok_or_else(|| {
        ChangeLineError::new(format!("`{path}` is an object, not {}", json_kind(value)))
    })
}

fn refuse_null(path: &str, value: &Value) -> Result<()> {
    if !value.is_null() {
        return Ok(());
    }
    let advice = match path {
        "annotations" => {
            "leave it out to leave the annotations as they are, or give [] to \
                          remove them all"
        }
        "unassign" => "leave it out, or give true to unassign the disk",
        _ => {
            "a change cannot set a property to nothing: leave the field out to leave it as \
              it is"
        }
    };
    Err(ChangeLineError::new(format!("`{path}` is null: {advice}")))
}

/// A field the request type does not know, named with what holds it.
fn unknown(path: &str) -> ChangeLineError {
    let within = match path.rsplit_once('.') {
        Some((parent, _)) => format!("`{parent}`"),
        None => "a change line".to_owned(),
    };
    ChangeLineError::new(format!(
        "`{path}` is not a field of {within}: check its spelling"
    ))
}
