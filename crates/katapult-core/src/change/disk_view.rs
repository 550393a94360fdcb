//! What a disk, as read, says about each property a change can ask for:
//! the comparisons the plan, the verification and the reconcile step share,
//! so that "differs", "landed" and "under way" can never disagree.
//!
//! The disk comes from the server, so every field may be missing or carry
//! an enum value this version does not know; each reading says so instead
//! of guessing.

use serde_json::{Value, json};

use crate::types;
use crate::types::{DiskStateEnum, VirtualMachineDiskAttachmentStateEnum as AttachmentState};

/// Whether a wanted value is what the disk has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Match {
    Same,
    Different,
    /// The disk does not carry what the comparison needs (a lookup by
    /// `fqdn` against a virtual machine read without one, say).
    CannotTell,
}

/// The disk's place on a virtual machine, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Attachment {
    /// Not assigned to any virtual machine.
    Unassigned,
    Detached,
    Attached,
    /// `attaching` or `detaching`: the attachment is changing.
    Moving(String),
    /// The last attach or detach failed.
    Failed,
    /// A state this version does not know, or none at all.
    Unknown(String),
}

/// Reads the attachment: a disk with no `virtual_machine_disk` is
/// unassigned; one whose attachment state is missing is `Unknown`.
pub(super) fn attachment(disk: &types::Disk) -> Attachment {
    let Some(vm_disk) = &disk.virtual_machine_disk else {
        return Attachment::Unassigned;
    };
    match &vm_disk.state {
        Some(AttachmentState::Detached) => Attachment::Detached,
        Some(AttachmentState::Attached) => Attachment::Attached,
        Some(state @ (AttachmentState::Attaching | AttachmentState::Detaching)) => {
            Attachment::Moving(state.as_str().to_owned())
        }
        Some(AttachmentState::Failed) => Attachment::Failed,
        Some(other) => Attachment::Unknown(other.as_str().to_owned()),
        None => Attachment::Unknown("(no state in the answer)".to_owned()),
    }
}

/// The disk's own state, sorted by what a change may do with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Condition {
    /// `built`: every operation may run.
    Built,
    /// A task is changing the disk (`resizing`, `configuring`, ...):
    /// retry once it settles.
    Settling(String),
    /// Nothing should be sent to it, for the reason given.
    Unusable(String),
}

/// Reads the disk's state. Only `built` takes writes: a transitional state
/// means another task is at work on the disk, `not_built` and `failed`
/// disks have nothing to change yet, and an unknown or missing state is
/// not guessed at.
pub(super) fn condition(disk: &types::Disk) -> Condition {
    match &disk.state {
        Some(DiskStateEnum::Built) => Condition::Built,
        Some(
            state @ (DiskStateEnum::Building
            | DiskStateEnum::Installing
            | DiskStateEnum::Restoring
            | DiskStateEnum::Formatting
            | DiskStateEnum::Resizing
            | DiskStateEnum::Configuring
            | DiskStateEnum::Importing),
        ) => Condition::Settling(format!(
            "the disk reads `{state}`: a task is at work on it; retry once it reads `built`"
        )),
        Some(DiskStateEnum::NotBuilt) => Condition::Unusable(
            "the disk reads `not_built`: it has not been built yet; retry once it reads `built`"
                .to_owned(),
        ),
        Some(DiskStateEnum::Failed) => Condition::Unusable(
            "the disk reads `failed`: Katapult could not build it, and nothing is sent to a \
             failed disk; look at it in Katapult, or create it again"
                .to_owned(),
        ),
        Some(other) => Condition::Unusable(format!(
            "the disk reads `{other}`, a state this version of katapult-core does not know: \
             nothing is sent to it blind; retry once it reads `built`, or update katapult-core"
        )),
        None => Condition::Unusable(
            "the disk was read without its `state`: nothing is sent to it blind; read it again"
                .to_owned(),
        ),
    }
}

/// The virtual machine the disk is assigned to, if any.
pub(super) fn virtual_machine(disk: &types::Disk) -> Option<&types::VirtualMachine> {
    disk.virtual_machine_disk.as_ref()?.virtual_machine.as_ref()
}

/// Whether the disk is assigned to a virtual machine at all (a
/// `virtual_machine_disk` read without its virtual machine still counts).
pub(super) fn is_assigned(disk: &types::Disk) -> bool {
    disk.virtual_machine_disk.is_some()
}

/// Compares a virtual machine lookup with the one the disk is assigned to.
/// Fully qualified domain names compare without regard to case, as DNS
/// names do.
pub(super) fn vm_matches(wanted: &types::VirtualMachineLookup, disk: &types::Disk) -> Match {
    if !is_assigned(disk) {
        return Match::Different;
    }
    let Some(vm) = virtual_machine(disk) else {
        return Match::CannotTell;
    };
    match wanted {
        types::VirtualMachineLookup::Id(id) => same_if(vm.id.as_deref(), |read| read == id),
        types::VirtualMachineLookup::Fqdn(fqdn) => {
            same_if(vm.fqdn.as_deref(), |read| read.eq_ignore_ascii_case(fqdn))
        }
    }
}

/// Compares an I/O profile lookup with the disk's profile.
pub(super) fn io_profile_matches(wanted: &types::DiskIoProfileLookup, disk: &types::Disk) -> Match {
    let Some(profile) = &disk.io_profile else {
        return Match::Different;
    };
    match wanted {
        types::DiskIoProfileLookup::Id(id) => same_if(profile.id.as_deref(), |read| read == id),
        types::DiskIoProfileLookup::Permalink(permalink) => {
            same_if(profile.permalink.as_deref(), |read| read == permalink)
        }
    }
}

/// Compares a data centre lookup with the disk's data centre.
pub(super) fn data_center_matches(wanted: &types::DataCenterLookup, disk: &types::Disk) -> Match {
    let Some(data_center) = &disk.data_center else {
        return Match::CannotTell;
    };
    match wanted {
        types::DataCenterLookup::Id(id) => same_if(data_center.id.as_deref(), |read| read == id),
        types::DataCenterLookup::Permalink(permalink) => {
            same_if(data_center.permalink.as_deref(), |read| read == permalink)
        }
    }
}

fn same_if(read: Option<&str>, same: impl FnOnce(&str) -> bool) -> Match {
    match read {
        None => Match::CannotTell,
        Some(read) if same(read) => Match::Same,
        Some(_) => Match::Different,
    }
}

/// Whether two annotation lists hold the same pairs, in any order: the
/// order of annotations carries no meaning to a caller, and a list read
/// back in another order has still landed.
pub(super) fn annotations_equal(read: &[types::KeyValue], wanted: &[types::KeyValue]) -> bool {
    read.len() == wanted.len() && sorted_pairs(read) == sorted_pairs(wanted)
}

fn sorted_pairs(list: &[types::KeyValue]) -> Vec<(&str, Option<&str>)> {
    let mut pairs: Vec<_> = list
        .iter()
        .map(|kv| (kv.key.as_str(), kv.value.as_deref()))
        .collect();
    pairs.sort_unstable();
    pairs
}

/// Whether an enum the API sends back (open, as a string) reads as the
/// value a request sends (closed, `Display`s as the wire value).
pub(super) fn reads_as(read: Option<&str>, wanted: &impl std::fmt::Display) -> bool {
    read == Some(wanted.to_string().as_str())
}

/// The virtual machine as read, for a plan's `from`: `{"id", "fqdn"}`, or
/// null when the disk is not assigned.
pub(super) fn vm_json(disk: &types::Disk) -> Value {
    match virtual_machine(disk) {
        Some(vm) => json!({ "id": vm.id, "fqdn": vm.fqdn }),
        None => Value::Null,
    }
}

/// The I/O profile as read, for a plan's `from`: `{"id", "permalink"}`, or
/// null when the disk shows none.
pub(super) fn io_profile_json(disk: &types::Disk) -> Value {
    match &disk.io_profile {
        Some(profile) => json!({ "id": profile.id, "permalink": profile.permalink }),
        None => Value::Null,
    }
}

/// Any serialisable value as JSON (the generated types and lookups always
/// encode).
pub(super) fn to_json(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}
