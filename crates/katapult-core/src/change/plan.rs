//! The plan: which operations make a [`DiskChange`] on the disk as read,
//! with which arguments, in which order, or why none may run.
//!
//! # What is compared
//!
//! Each property asked for is compared with the disk; an equal one is left
//! out, so a change that asks for what the disk already has plans nothing
//! and sends nothing. Lookups compare by the field they name: an I/O profile
//! by `id` or `permalink` against the disk's profile, a virtual machine by
//! `id` or `fqdn` (any case) against the one the disk is assigned to.
//! Annotations compare as sets of pairs.
//!
//! # The order of the steps, and why
//!
//! 1. `detach_disk`: a disk leaves its virtual machine, and is resized
//!    offline, only when detached.
//! 2. `unassign_disk`: before it is assigned elsewhere.
//! 3. `assign_disk`: before anything that needs the virtual machine
//!    (`attach_on_boot`, `boot`, attaching).
//! 4. `update_disk`: after the assignment, so that `attach_on_boot` and
//!    `boot` have a virtual machine to belong to. It runs no task.
//! 5. `resize_disk`: after a detach when offline; before attaching.
//! 6. `change_disk_io_profile`: after the resize (one task at a time on a
//!    disk) and before attaching, so that one attach at the end covers both.
//! 7. `attach_disk`: last, once the disk is assigned, sized and profiled;
//!    also after an offline resize of a disk that was attached and is still
//!    wanted attached.
//!
//! A step whose precondition an earlier step creates has
//! [`ChangeStep::read_disk_first`] set: the disk must be read again, and
//! [`ChangeStep::readiness`] asked, before it is sent (the answer to a write
//! shows the disk as it was, and a state lags behind its task).
//!
//! # What is refused, before anything is sent
//!
//! - a different data centre, and any initial file system: fixed when a
//!   disk is created;
//! - a change that contradicts itself (`attached: true` with `unassign`, a
//!   `resize_method` without a size, ...) or the disk (attaching a disk that
//!   belongs to no virtual machine, `attach_on_boot` on one, moving an
//!   attached disk without saying whether it stays attached);
//! - a disk that does not read `built` (a task at work on it, not built,
//!   failed, or a state this version does not know), unless nothing
//!   differs;
//! - a resize, attach, detach, assign or unassign, or any `attached` asked
//!   for, while the attachment reads `attaching` or `detaching` (retry after
//!   it settles) or a state this version does not know; a resize while it
//!   reads `failed`;
//! - the resize rules of Katapult's provider, see [`ResizeMethod`].
//!
//! A `failed` attachment counts as not attached: attaching is the retry.

use std::num::NonZeroU32;

use serde_json::{Value, json};

use super::disk_view::{self, Attachment, Condition, Match};
use super::plan_types::{
    ChangePlan, ChangeStep, DiskOperation, DiskProperty, PlanEntry, PlanRefusal, RefusalKind,
    StepAction,
};
use super::{DiskChange, ResizeMethod, VirtualMachineChange};
use crate::types;

/// What happens to the disk's virtual machine.
enum VmPlan {
    Keep,
    Assign(types::VirtualMachineLookup),
    /// Assigned elsewhere: unassign, then assign.
    Reassign(types::VirtualMachineLookup),
    Unassign,
}

/// Plans `change` against the disk as read: see the module docs.
pub(crate) fn plan(
    disk: &types::Disk,
    annotations: &[types::KeyValue],
    change: &DiskChange,
) -> Result<ChangePlan, PlanRefusal> {
    refuse_unchangeable(disk, change)?;
    refuse_contradictions(change)?;

    // What differs, without judging yet whether it may be sent.
    let mut update = types::DiskArguments::default();
    let mut update_entries = Vec::new();
    let mut update_annotations = None;
    let entry = |property, from: Value, to: Value| PlanEntry {
        property,
        from,
        to,
        operation: DiskOperation::UpdateDisk,
    };
    if let Some(name) = &change.name
        && disk.name.as_ref() != Some(name)
    {
        update_entries.push(entry(DiskProperty::Name, json!(disk.name), json!(name)));
        update.name = Some(name.clone());
    }
    if let Some(bus_type) = change.bus_type {
        let read = disk.bus_type.as_ref().map(|b| b.as_str());
        if !disk_view::reads_as(read, &bus_type) {
            update_entries.push(entry(DiskProperty::BusType, json!(read), json!(bus_type)));
            update.bus_type = Some(bus_type);
        }
    }
    if let Some(speed) = change.storage_speed {
        let read = disk.storage_speed.as_ref().map(|s| s.as_str());
        if !disk_view::reads_as(read, &speed) {
            update_entries.push(entry(DiskProperty::StorageSpeed, json!(read), json!(speed)));
            update.storage_speed = Some(speed);
        }
    }
    if let Some(wanted) = &change.annotations
        && !disk_view::annotations_equal(annotations, wanted)
    {
        update_entries.push(entry(
            DiskProperty::Annotations,
            disk_view::to_json(&annotations),
            disk_view::to_json(wanted),
        ));
        update_annotations = Some(wanted.clone());
    }

    let vm_plan = match &change.virtual_machine {
        None => VmPlan::Keep,
        Some(VirtualMachineChange::Unassign) if disk_view::is_assigned(disk) => VmPlan::Unassign,
        Some(VirtualMachineChange::Unassign) => VmPlan::Keep,
        Some(VirtualMachineChange::Assign(wanted)) => match disk_view::vm_matches(wanted, disk) {
            Match::Same => VmPlan::Keep,
            Match::Different if disk_view::is_assigned(disk) => VmPlan::Reassign(wanted.clone()),
            Match::Different => VmPlan::Assign(wanted.clone()),
            Match::CannotTell => {
                return Err(PlanRefusal::new(
                    RefusalKind::CannotCompare,
                    Some(DiskProperty::VirtualMachine),
                    format!(
                        "cannot tell whether the disk's virtual machine is {}: it was read as \
                         {}; name the virtual machine by the field the disk shows",
                        disk_view::to_json(wanted),
                        disk_view::vm_json(disk)
                    ),
                ));
            }
        },
    };
    let assigned_after = match vm_plan {
        VmPlan::Keep => disk_view::is_assigned(disk),
        VmPlan::Unassign => false,
        VmPlan::Assign(_) | VmPlan::Reassign(_) => true,
    };
    // attach_on_boot and boot belong to the disk's place on a virtual
    // machine: a new place has no value to compare with, so they are sent.
    let vm_disk = match vm_plan {
        VmPlan::Keep => disk.virtual_machine_disk.as_ref(),
        _ => None,
    };
    let mut vm_disk_args = types::VirtualMachineDiskArguments::default();
    for (property, wanted, read) in [
        (
            DiskProperty::AttachOnBoot,
            change.attach_on_boot,
            vm_disk.and_then(|v| v.attach_on_boot),
        ),
        (
            DiskProperty::Boot,
            change.boot,
            vm_disk.and_then(|v| v.boot),
        ),
    ] {
        let Some(wanted) = wanted else { continue };
        if !assigned_after {
            return Err(PlanRefusal::new(
                RefusalKind::Conflict,
                Some(property),
                format!(
                    "`{property}` belongs to the disk's place on a virtual machine, and the disk \
                     is assigned to none: ask for `virtual_machine` as well, or leave \
                     `{property}` out"
                ),
            ));
        }
        if read != Some(wanted) {
            update_entries.push(entry(property, json!(read), json!(wanted)));
            match property {
                DiskProperty::AttachOnBoot => vm_disk_args.attach_on_boot = Some(wanted),
                _ => vm_disk_args.boot = Some(wanted),
            }
        }
    }
    if vm_disk_args != types::VirtualMachineDiskArguments::default() {
        update.virtual_machine_disk = Some(vm_disk_args);
    }

    let resize_to = match change.size_in_gb {
        Some(size) => match disk.size_in_gb {
            Some(read) if read == i64::from(size.get()) => None,
            Some(read) => Some((read, size)),
            None => {
                return Err(PlanRefusal::new(
                    RefusalKind::CannotCompare,
                    Some(DiskProperty::SizeInGb),
                    "the disk was read without its `size_in_gb`, so a grow cannot be told from \
                     a shrink; read it again",
                ));
            }
        },
        None => None,
    };
    let io_profile = change
        .io_profile
        .as_ref()
        .filter(|wanted| disk_view::io_profile_matches(wanted, disk) != Match::Same);

    let attachment = disk_view::attachment(disk);
    let attached_now = attachment == Attachment::Attached;
    // An attachment on its way somewhere, or in a state this version does
    // not know, cannot be compared: asking about it counts as a difference.
    let attachment_unsettled = matches!(attachment, Attachment::Moving(_) | Attachment::Unknown(_));
    let attach_wanted_change = change
        .attached
        .is_some_and(|wanted| attachment_unsettled || wanted != attached_now);
    let moves = !matches!(vm_plan, VmPlan::Keep);
    let nothing_differs = update_entries.is_empty()
        && resize_to.is_none()
        && io_profile.is_none()
        && !attach_wanted_change
        && !moves;
    if nothing_differs {
        return Ok(ChangePlan::default());
    }

    // Something is to be sent: the disk must take it.
    match disk_view::condition(disk) {
        Condition::Built => {}
        Condition::Settling(message) | Condition::Unusable(message) => {
            return Err(PlanRefusal::new(RefusalKind::DiskState, None, message));
        }
    }
    if moves || attach_wanted_change || resize_to.is_some() {
        refuse_unsettled_attachment(&attachment, resize_to.is_some())?;
    }

    let wants_attached = match (change.attached, &vm_plan) {
        (Some(wanted), _) => wanted,
        (None, VmPlan::Unassign) => false,
        (None, VmPlan::Reassign(_)) if attached_now => {
            return Err(PlanRefusal::new(
                RefusalKind::Conflict,
                Some(DiskProperty::Attached),
                "the disk is attached, and moving it to another virtual machine detaches it \
                 first: ask for `attached: true` to attach it there, or `attached: false` to \
                 leave it detached",
            ));
        }
        (None, _) => attached_now,
    };
    if wants_attached && !assigned_after {
        return Err(PlanRefusal::new(
            RefusalKind::Conflict,
            Some(DiskProperty::Attached),
            "a disk attaches to the virtual machine it is assigned to, and this one is assigned \
             to none: ask for `virtual_machine` as well",
        ));
    }

    let detached_by_plan = attached_now && (moves || !wants_attached);
    let resize = match resize_to {
        Some((from, to)) => {
            let attached_at_resize = attached_now && !detached_by_plan;
            let (method, detour) = resize_method(from, to, attached_at_resize, change)?;
            Some((from, to, method, detour))
        }
        None => None,
    };
    let detour = resize.is_some_and(|(.., detour)| detour);
    let detach = detached_by_plan || detour;
    let attach = wants_attached && (!attached_now || detach);

    // The steps, in order (see the module docs), each with its entries.
    let mut plan = ChangePlan::default();
    let attached_entry = |from: bool, operation| PlanEntry {
        property: DiskProperty::Attached,
        from: json!(from),
        to: json!(!from),
        operation,
    };
    let vm_entry = |from: Value, to: Value, operation| PlanEntry {
        property: DiskProperty::VirtualMachine,
        from,
        to,
        operation,
    };
    if detach {
        let entries = vec![attached_entry(true, DiskOperation::DetachDisk)];
        push_step(&mut plan, StepAction::DetachDisk, entries);
    }
    if let VmPlan::Unassign | VmPlan::Reassign(_) = vm_plan {
        let entries = vec![vm_entry(
            disk_view::vm_json(disk),
            Value::Null,
            DiskOperation::UnassignDisk,
        )];
        push_step(&mut plan, StepAction::UnassignDisk, entries);
    }
    if let VmPlan::Assign(virtual_machine) | VmPlan::Reassign(virtual_machine) = vm_plan {
        // Unassigned now, or by the step before.
        let to = disk_view::to_json(&virtual_machine);
        let entries = vec![vm_entry(Value::Null, to, DiskOperation::AssignDisk)];
        push_step(
            &mut plan,
            StepAction::AssignDisk { virtual_machine },
            entries,
        );
    }
    if !update_entries.is_empty() {
        let action = StepAction::UpdateDisk {
            properties: update,
            annotations: update_annotations,
        };
        push_step(&mut plan, action, update_entries);
    }
    if let Some((from, size_in_gb, resize_method, _)) = resize {
        let entries = vec![PlanEntry {
            property: DiskProperty::SizeInGb,
            from: json!(from),
            to: json!(size_in_gb),
            operation: DiskOperation::ResizeDisk,
        }];
        let action = StepAction::ResizeDisk {
            size_in_gb,
            resize_method,
        };
        push_step(&mut plan, action, entries);
    }
    if let Some(io_profile) = io_profile {
        let entries = vec![PlanEntry {
            property: DiskProperty::IoProfile,
            from: disk_view::io_profile_json(disk),
            to: disk_view::to_json(io_profile),
            operation: DiskOperation::ChangeDiskIoProfile,
        }];
        let action = StepAction::ChangeDiskIoProfile {
            io_profile: io_profile.clone(),
        };
        push_step(&mut plan, action, entries);
    }
    if attach {
        let entries = vec![attached_entry(false, DiskOperation::AttachDisk)];
        push_step(&mut plan, StepAction::AttachDisk, entries);
    }
    Ok(plan)
}

/// Appends a step and its entries; the step reads the disk first when it
/// depends on a step already in the plan.
fn push_step(plan: &mut ChangePlan, action: StepAction, entries: Vec<PlanEntry>) {
    let read_disk_first = plan
        .steps
        .iter()
        .any(|earlier| action.depends_on(earlier.operation()));
    plan.entries.extend(entries);
    plan.steps.push(ChangeStep {
        action,
        read_disk_first,
    });
}

/// The data centre and the initial file system are fixed at creation.
fn refuse_unchangeable(disk: &types::Disk, change: &DiskChange) -> Result<(), PlanRefusal> {
    if let Some(wanted) = &change.data_center {
        let reason = match disk_view::data_center_matches(wanted, disk) {
            Match::Same => None,
            Match::Different => Some("the disk is in another one"),
            Match::CannotTell => Some("the disk was read without the field to compare"),
        };
        if let Some(reason) = reason {
            return Err(PlanRefusal::new(
                RefusalKind::Unchangeable,
                Some(DiskProperty::DataCenter),
                format!(
                    "`data_center` {} was asked for and {reason}: a disk's data centre is fixed \
                     when it is created; to have the data elsewhere, create a disk in that data \
                     centre and copy the data across",
                    disk_view::to_json(wanted)
                ),
            ));
        }
    }
    if let Some(file_system) = change.initial_file_system {
        return Err(PlanRefusal::new(
            RefusalKind::Unchangeable,
            Some(DiskProperty::InitialFileSystem),
            format!(
                "`initial_file_system` ({file_system}) is made once, when a disk is created, and \
                 an existing disk does not show it: leave it out of the change; to use another \
                 file system, format the disk from its virtual machine, or create a new disk \
                 with it"
            ),
        ));
    }
    Ok(())
}

/// Asks that no disk could ever satisfy.
fn refuse_contradictions(change: &DiskChange) -> Result<(), PlanRefusal> {
    let unassign = change.virtual_machine == Some(VirtualMachineChange::Unassign);
    let conflict = |property, message: &str| {
        Err(PlanRefusal::new(
            RefusalKind::Conflict,
            Some(property),
            message,
        ))
    };
    if unassign && change.attached == Some(true) {
        return conflict(
            DiskProperty::Attached,
            "`attached: true` and `unassign` contradict each other: a disk attaches only to \
             the virtual machine it is assigned to; drop one of them",
        );
    }
    if change.resize_method.is_some() && change.size_in_gb.is_none() {
        return conflict(
            DiskProperty::ResizeMethod,
            "`resize_method` says how to resize, and no `size_in_gb` was asked for: give the \
             size too, or leave `resize_method` out",
        );
    }
    Ok(())
}

/// A resize, attach, detach, assign or unassign needs a settled attachment.
fn refuse_unsettled_attachment(attachment: &Attachment, resize: bool) -> Result<(), PlanRefusal> {
    let message = match attachment {
        Attachment::Moving(state) => format!(
            "the disk's attachment reads `{state}`: it is transitional; retry after it settles"
        ),
        Attachment::Unknown(state) => format!(
            "the disk's attachment reads `{state}`, which this version of katapult-core does \
             not know: nothing that depends on it is sent; retry once it reads `attached` or \
             `detached`, or update katapult-core"
        ),
        Attachment::Failed if resize => "the disk's last attach or detach failed, and a disk \
             in that state is not resized: attach or detach it first (or see to it in \
             Katapult), then resize it"
            .to_owned(),
        _ => return Ok(()),
    };
    Err(PlanRefusal::new(
        RefusalKind::AttachmentState,
        resize.then_some(DiskProperty::SizeInGb),
        message,
    ))
}

/// The provider's `effectiveDiskResizeMethod`, given the attachment the disk
/// will have when the resize runs: the method, and whether the disk must be
/// detached for it and attached again after (asked for with `Offline`).
fn resize_method(
    from: i64,
    to: NonZeroU32,
    attached: bool,
    change: &DiskChange,
) -> Result<(ResizeMethod, bool), PlanRefusal> {
    if !attached {
        return Ok((ResizeMethod::Offline, false));
    }
    let shrink = i64::from(to.get()) < from;
    let refuse = |message: String| {
        Err(PlanRefusal::new(
            RefusalKind::Resize,
            Some(DiskProperty::SizeInGb),
            message,
        ))
    };
    match (change.resize_method, shrink) {
        (Some(ResizeMethod::Offline), _) => Ok((ResizeMethod::Offline, true)),
        (Some(ResizeMethod::Online), false) => Ok((ResizeMethod::Online, false)),
        (Some(ResizeMethod::Online), true) => refuse(format!(
            "shrinking the disk from {from} to {to} GB needs it detached, and an online resize \
             only grows a disk: ask for `attached: false` (it is detached first and stays \
             detached), or `resize_method: offline` (detached, resized, attached again)"
        )),
        (None, true) => refuse(format!(
            "shrinking the disk from {from} to {to} GB needs it detached, and it is attached: \
             ask for `attached: false` (it is detached first and stays detached), or \
             `resize_method: offline` (detached, resized, attached again)"
        )),
        (None, false) => refuse(format!(
            "growing the disk from {from} to {to} GB while it is attached needs a resize \
             method: ask for `resize_method: online` to grow it in place, or `offline` to \
             detach it, grow it and attach it again"
        )),
    }
}
