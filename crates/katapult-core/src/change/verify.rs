//! Reading a disk back after a step: whether the change landed, whether it
//! is under way, whether the next step may be sent, and which properties do
//! not yet read as asked. The reconcile step of an uncertain write reads
//! these: a change that landed or is under way is carried on with; one that
//! is neither is sent again when that is safe.
//!
//! Every check uses the comparisons the plan uses (`disk_view`), so a
//! property the plan found different is the property found not landed.

use serde::Serialize;
use serde_json::{Value, json};

use super::DiskChange;
use super::VirtualMachineChange;
use super::disk_view::{self, Attachment, Condition, Match};
use super::plan_types::{ChangeStep, DiskProperty, StepAction};
use crate::types::{self, DiskStateEnum, VirtualMachineDiskAttachmentStateEnum as AttachmentState};

/// A property that does not read as the change asked. Encodes as
/// `{"property", "wanted", "found"}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct PropertyMismatch {
    /// The property.
    pub property: DiskProperty,
    /// What the change asked for.
    pub wanted: Value,
    /// What the disk reads (null where it shows nothing).
    pub found: Value,
}

/// Whether a step may be sent to the disk as just read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepReadiness {
    /// Its precondition holds: send it.
    Ready,
    /// Its precondition is on its way (a task still at work, a state that
    /// lags behind its task): read the disk again later, within the
    /// deadline. The text says what is awaited.
    Settling(String),
    /// Its precondition cannot come about by waiting: do not send it.
    Blocked(String),
}

impl ChangeStep {
    /// Whether the disk, as read, already has what this step makes.
    pub fn landed(&self, disk: &types::Disk, annotations: &[types::KeyValue]) -> bool {
        landed(disk, annotations, self)
    }

    /// Whether the disk, as read, shows this step's change under way.
    pub fn in_progress(&self, disk: &types::Disk) -> bool {
        in_progress(disk, self)
    }

    /// Whether this step may be sent to the disk as just read.
    pub fn readiness(&self, disk: &types::Disk) -> StepReadiness {
        readiness(disk, self)
    }
}

/// Which properties `change` asks for that the disk does not read as asked.
/// A property the disk cannot be compared on (a lookup by a field it was
/// read without) counts as a mismatch: it is not confirmed.
pub(crate) fn verify(
    disk: &types::Disk,
    annotations: &[types::KeyValue],
    change: &DiskChange,
) -> Vec<PropertyMismatch> {
    let mut mismatches = Vec::new();
    let mut check = |property, same: bool, wanted: Value, found: Value| {
        if !same {
            mismatches.push(PropertyMismatch {
                property,
                wanted,
                found,
            });
        }
    };
    if let Some(name) = &change.name {
        let same = disk.name.as_ref() == Some(name);
        check(DiskProperty::Name, same, json!(name), json!(disk.name));
    }
    if let Some(bus_type) = change.bus_type {
        let read = disk.bus_type.as_ref().map(|b| b.as_str());
        let same = disk_view::reads_as(read, &bus_type);
        check(DiskProperty::BusType, same, json!(bus_type), json!(read));
    }
    if let Some(speed) = change.storage_speed {
        let read = disk.storage_speed.as_ref().map(|s| s.as_str());
        let same = disk_view::reads_as(read, &speed);
        check(DiskProperty::StorageSpeed, same, json!(speed), json!(read));
    }
    let vm_disk = disk.virtual_machine_disk.as_ref();
    if let Some(wanted) = change.attach_on_boot {
        let read = vm_disk.and_then(|v| v.attach_on_boot);
        check(
            DiskProperty::AttachOnBoot,
            read == Some(wanted),
            json!(wanted),
            json!(read),
        );
    }
    if let Some(wanted) = change.boot {
        let read = vm_disk.and_then(|v| v.boot);
        check(
            DiskProperty::Boot,
            read == Some(wanted),
            json!(wanted),
            json!(read),
        );
    }
    if let Some(wanted) = &change.annotations {
        let same = disk_view::annotations_equal(annotations, wanted);
        let (wanted, found) = (disk_view::to_json(wanted), disk_view::to_json(&annotations));
        check(DiskProperty::Annotations, same, wanted, found);
    }
    if let Some(size) = change.size_in_gb {
        let same = disk.size_in_gb == Some(i64::from(size.get()));
        check(
            DiskProperty::SizeInGb,
            same,
            json!(size),
            json!(disk.size_in_gb),
        );
    }
    if let Some(wanted) = &change.io_profile {
        let same = disk_view::io_profile_matches(wanted, disk) == Match::Same;
        let (wanted, found) = (disk_view::to_json(wanted), disk_view::io_profile_json(disk));
        check(DiskProperty::IoProfile, same, wanted, found);
    }
    if let Some(wanted) = change.attached {
        let read = disk_view::attachment(disk) == Attachment::Attached;
        check(
            DiskProperty::Attached,
            read == wanted,
            json!(wanted),
            json!(read),
        );
    }
    match &change.virtual_machine {
        Some(VirtualMachineChange::Assign(wanted)) => {
            let same = disk_view::vm_matches(wanted, disk) == Match::Same;
            let (wanted, found) = (disk_view::to_json(wanted), disk_view::vm_json(disk));
            check(DiskProperty::VirtualMachine, same, wanted, found);
        }
        Some(VirtualMachineChange::Unassign) => {
            let same = !disk_view::is_assigned(disk);
            let found = disk_view::vm_json(disk);
            check(DiskProperty::VirtualMachine, same, Value::Null, found);
        }
        None => {}
    }
    mismatches
}

/// Whether the disk already has what `step` makes.
pub(crate) fn landed(
    disk: &types::Disk,
    annotations: &[types::KeyValue],
    step: &ChangeStep,
) -> bool {
    match &step.action {
        StepAction::UpdateDisk {
            properties,
            annotations: wanted_annotations,
        } => {
            let vm_disk = disk.virtual_machine_disk.as_ref();
            let wanted_vm_disk = properties.virtual_machine_disk.as_ref();
            let bus = disk.bus_type.as_ref().map(|b| b.as_str());
            let speed = disk.storage_speed.as_ref().map(|s| s.as_str());
            let flag_landed = |wanted: Option<bool>, read: Option<bool>| {
                wanted.is_none_or(|wanted| read == Some(wanted))
            };
            properties
                .name
                .as_ref()
                .is_none_or(|name| disk.name.as_ref() == Some(name))
                && properties
                    .bus_type
                    .is_none_or(|wanted| disk_view::reads_as(bus, &wanted))
                && properties
                    .storage_speed
                    .is_none_or(|wanted| disk_view::reads_as(speed, &wanted))
                && flag_landed(
                    wanted_vm_disk.and_then(|v| v.attach_on_boot),
                    vm_disk.and_then(|v| v.attach_on_boot),
                )
                && flag_landed(
                    wanted_vm_disk.and_then(|v| v.boot),
                    vm_disk.and_then(|v| v.boot),
                )
                && wanted_annotations
                    .as_ref()
                    .is_none_or(|wanted| disk_view::annotations_equal(annotations, wanted))
        }
        StepAction::ResizeDisk { size_in_gb, .. } => {
            disk.size_in_gb == Some(i64::from(size_in_gb.get()))
        }
        StepAction::ChangeDiskIoProfile { io_profile } => {
            disk_view::io_profile_matches(io_profile, disk) == Match::Same
        }
        StepAction::AttachDisk => disk_view::attachment(disk) == Attachment::Attached,
        StepAction::DetachDisk => matches!(
            disk_view::attachment(disk),
            Attachment::Detached | Attachment::Unassigned
        ),
        StepAction::AssignDisk { virtual_machine } => {
            disk_view::vm_matches(virtual_machine, disk) == Match::Same
        }
        StepAction::UnassignDisk => !disk_view::is_assigned(disk),
    }
}

/// Whether the disk shows `step`'s change under way: `resizing` for a
/// resize, `configuring` for an I/O profile, an attachment `attaching` or
/// `detaching` for an attach or a detach. The other operations run no task
/// and are never under way: they have landed or not.
pub(crate) fn in_progress(disk: &types::Disk, step: &ChangeStep) -> bool {
    let attachment = disk
        .virtual_machine_disk
        .as_ref()
        .and_then(|v| v.state.as_ref());
    match step.action {
        StepAction::ResizeDisk { .. } => disk.state == Some(DiskStateEnum::Resizing),
        StepAction::ChangeDiskIoProfile { .. } => disk.state == Some(DiskStateEnum::Configuring),
        StepAction::AttachDisk => attachment == Some(&AttachmentState::Attaching),
        StepAction::DetachDisk => attachment == Some(&AttachmentState::Detaching),
        StepAction::UpdateDisk { .. }
        | StepAction::AssignDisk { .. }
        | StepAction::UnassignDisk => false,
    }
}

/// Whether `step` may be sent to the disk as read: the disk must read
/// `built`, and the attachment and assignment must be what the step
/// starts from.
pub(crate) fn readiness(disk: &types::Disk, step: &ChangeStep) -> StepReadiness {
    match disk_view::condition(disk) {
        Condition::Built => {}
        Condition::Settling(message) => return StepReadiness::Settling(message),
        Condition::Unusable(message) => return StepReadiness::Blocked(message),
    }
    let attachment = disk_view::attachment(disk);
    let operation = step.operation();
    let settling = |why: &str| StepReadiness::Settling(format!("before `{operation}`: {why}"));
    let blocked = |why: &str| StepReadiness::Blocked(format!("before `{operation}`: {why}"));
    if let Attachment::Moving(state) = &attachment {
        return settling(&format!("the attachment reads `{state}`"));
    }
    if let Attachment::Unknown(state) = &attachment {
        return blocked(&format!(
            "the attachment reads `{state}`, which this version does not know"
        ));
    }
    match &step.action {
        StepAction::DetachDisk | StepAction::AttachDisk if attachment == Attachment::Unassigned => {
            settling("the disk is not assigned to a virtual machine yet")
        }
        StepAction::UnassignDisk | StepAction::AssignDisk { .. }
            if attachment == Attachment::Attached =>
        {
            settling("the disk still reads attached")
        }
        StepAction::AssignDisk { .. } if attachment != Attachment::Unassigned => {
            settling("the disk is still assigned to a virtual machine")
        }
        StepAction::UpdateDisk { properties, .. }
            if properties.virtual_machine_disk.is_some()
                && attachment == Attachment::Unassigned =>
        {
            settling("the disk is not assigned to a virtual machine yet")
        }
        StepAction::ResizeDisk { resize_method, .. } => match (resize_method, &attachment) {
            (_, Attachment::Failed) => blocked("the disk's last attach or detach failed"),
            (super::ResizeMethod::Offline, Attachment::Attached) => {
                settling("the disk still reads attached, and an offline resize needs it detached")
            }
            (super::ResizeMethod::Online, Attachment::Detached | Attachment::Unassigned) => {
                blocked("the disk is not attached, and an online resize needs it attached")
            }
            _ => StepReadiness::Ready,
        },
        _ => StepReadiness::Ready,
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use serde_json::json;

    use super::*;
    use crate::change::fixtures::{assigned, attached, detached, disk, in_state, kv, vm};
    use crate::change::{ChangePlan, ResizeMethod};

    fn the_plan(disk: &types::Disk, change: &DiskChange) -> ChangePlan {
        change.plan(disk, &[]).unwrap()
    }

    fn step(action: StepAction) -> ChangeStep {
        ChangeStep {
            action,
            read_disk_first: false,
        }
    }

    fn resize(size: u32, resize_method: ResizeMethod) -> ChangeStep {
        step(StepAction::ResizeDisk {
            size_in_gb: NonZeroU32::new(size).unwrap(),
            resize_method,
        })
    }

    #[test]
    fn a_landed_change_verifies_and_one_that_did_not_says_what_differs() {
        let change = DiskChange::new("disk_1")
            .name("logs")
            .size_in_gb(NonZeroU32::new(30).unwrap())
            .attached(false)
            .annotations(vec![kv("a", "1")]);
        let landed = types::Disk {
            name: Some("logs".into()),
            size_in_gb: Some(30),
            ..detached()
        };
        assert_eq!(change.verify(&landed, &[kv("a", "1")]), []);
        // The answer to the write still shows the old size: the size lags.
        let lagging = types::Disk {
            size_in_gb: Some(20),
            ..landed.clone()
        };
        let mismatches = serde_json::to_value(change.verify(&lagging, &[])).unwrap();
        assert_eq!(
            mismatches,
            json!([
                {"property": "annotations", "wanted": [{"key": "a", "value": "1"}], "found": []},
                {"property": "size_in_gb", "wanted": 30, "found": 20},
            ])
        );
    }

    #[test]
    fn verify_checks_every_property_it_can_read() {
        let change = DiskChange::new("disk_1")
            .bus_type(types::DiskBusArgument::Scsi)
            .storage_speed(types::StorageSpeedArgument::Nvme)
            .attach_on_boot(false)
            .boot(true)
            .io_profile(types::DiskIoProfileLookup::Id("iop_2".into()))
            .attached(true)
            .assign_to(vm("vm_2"));
        let properties: Vec<_> = change
            .verify(&detached(), &[])
            .iter()
            .map(|m| m.property.as_str())
            .collect();
        assert_eq!(
            properties,
            [
                "bus_type",
                "storage_speed",
                "attach_on_boot",
                "boot",
                "io_profile",
                "attached",
                "virtual_machine"
            ]
        );
        let unassign = DiskChange::new("disk_1").unassign();
        assert_eq!(unassign.verify(&disk(), &[]), []);
        assert_eq!(unassign.verify(&detached(), &[]).len(), 1);
        // Asked for by a field the disk does not show: not confirmed.
        let mut without_fqdn = detached();
        let vm_disk = without_fqdn.virtual_machine_disk.as_mut().unwrap();
        vm_disk.virtual_machine.as_mut().unwrap().fqdn = None;
        let by_fqdn = DiskChange::new("disk_1")
            .assign_to(types::VirtualMachineLookup::Fqdn("web.example.com".into()));
        assert_eq!(by_fqdn.verify(&without_fqdn, &[]).len(), 1);
    }

    #[test]
    fn every_planned_step_has_landed_once_the_disk_reads_as_asked() {
        let change = DiskChange::new("disk_1")
            .name("logs")
            .attach_on_boot(false)
            .annotations(vec![kv("a", "1")])
            .size_in_gb(NonZeroU32::new(10).unwrap())
            .io_profile(types::DiskIoProfileLookup::Permalink("fast".into()))
            .assign_to(vm("vm_2"))
            .attached(true);
        let plan = the_plan(&attached(), &change);
        // Before: only what the disk already reads (attached) has landed.
        let before = attached();
        let landed: Vec<_> = plan.steps.iter().map(|s| s.landed(&before, &[])).collect();
        assert_eq!(landed, [false, false, false, false, false, false, true]);
        let mut after = types::Disk {
            name: Some("logs".into()),
            size_in_gb: Some(10),
            io_profile: Some(types::DiskIoProfile {
                id: Some("iop_2".into()),
                permalink: Some("fast".into()),
                ..Default::default()
            }),
            ..attached()
        };
        let vm_disk = after.virtual_machine_disk.as_mut().unwrap();
        vm_disk.attach_on_boot = Some(false);
        vm_disk.virtual_machine.as_mut().unwrap().id = Some("vm_2".into());
        let landed: Vec<_> = plan
            .steps
            .iter()
            .map(|s| (s.operation().as_str(), s.landed(&after, &[kv("a", "1")])))
            .collect();
        // Detach and unassign were undone by the attach and assign after.
        assert_eq!(
            landed,
            [
                ("detach_disk", false),
                ("unassign_disk", false),
                ("assign_disk", true),
                ("update_disk", true),
                ("resize_disk", true),
                ("change_disk_io_profile", true),
                ("attach_disk", true),
            ]
        );
        assert!(step(StepAction::DetachDisk).landed(&detached(), &[]));
        assert!(step(StepAction::DetachDisk).landed(&disk(), &[]));
        assert!(step(StepAction::UnassignDisk).landed(&disk(), &[]));
    }

    #[test]
    fn a_change_under_way_reads_as_its_own_step_only() {
        let resizing = in_state(detached(), DiskStateEnum::Resizing);
        let configuring = in_state(detached(), DiskStateEnum::Configuring);
        let attaching = assigned(AttachmentState::Attaching);
        let detaching = assigned(AttachmentState::Detaching);
        let profile = step(StepAction::ChangeDiskIoProfile {
            io_profile: types::DiskIoProfileLookup::Id("iop_2".into()),
        });
        let cases = [
            (resize(30, ResizeMethod::Offline), &resizing, true),
            (resize(30, ResizeMethod::Offline), &configuring, false),
            (profile.clone(), &configuring, true),
            (profile, &resizing, false),
            (step(StepAction::AttachDisk), &attaching, true),
            (step(StepAction::AttachDisk), &detaching, false),
            (step(StepAction::DetachDisk), &detaching, true),
            (step(StepAction::DetachDisk), &attaching, false),
            (step(StepAction::UnassignDisk), &detaching, false),
            (
                step(StepAction::AssignDisk {
                    virtual_machine: vm("vm_1"),
                }),
                &attaching,
                false,
            ),
        ];
        for (step, disk, expected) in cases {
            assert_eq!(step.in_progress(disk), expected, "{step:?} on {disk:?}");
        }
        for disk in [disk(), detached(), attached()] {
            assert!(!resize(30, ResizeMethod::Online).in_progress(&disk));
        }
    }

    #[test]
    fn readiness_waits_for_what_an_earlier_step_leaves() {
        let ready = StepReadiness::Ready;
        let settling = |readiness: StepReadiness| matches!(readiness, StepReadiness::Settling(_));
        let blocked = |readiness: StepReadiness| matches!(readiness, StepReadiness::Blocked(_));
        let offline = resize(30, ResizeMethod::Offline);
        let online = resize(30, ResizeMethod::Online);
        assert_eq!(offline.readiness(&detached()), ready);
        assert!(settling(offline.readiness(&attached())));
        assert!(settling(
            offline.readiness(&assigned(AttachmentState::Detaching))
        ));
        assert!(blocked(
            offline.readiness(&assigned(AttachmentState::Failed))
        ));
        assert_eq!(online.readiness(&attached()), ready);
        assert!(blocked(online.readiness(&detached())));
        assert!(settling(
            online.readiness(&in_state(attached(), DiskStateEnum::Resizing))
        ));
        assert!(blocked(
            online.readiness(&in_state(attached(), DiskStateEnum::Failed))
        ));
        let assign = step(StepAction::AssignDisk {
            virtual_machine: vm("vm_2"),
        });
        assert_eq!(assign.readiness(&disk()), ready);
        assert!(settling(assign.readiness(&detached())));
        let unassign = step(StepAction::UnassignDisk);
        assert!(settling(unassign.readiness(&attached())));
        assert_eq!(unassign.readiness(&detached()), ready);
        let attach = step(StepAction::AttachDisk);
        assert!(settling(attach.readiness(&disk())));
        assert_eq!(attach.readiness(&detached()), ready);
        let flags = the_plan(
            &disk(),
            &DiskChange::new("d").boot(true).assign_to(vm("vm_2")),
        );
        let update = &flags.steps[1];
        assert!(settling(update.readiness(&disk())));
        assert_eq!(update.readiness(&detached()), ready);
        let unknown = assigned(AttachmentState::Unknown("parking".into()));
        assert!(blocked(attach.readiness(&unknown)));
        match offline.readiness(&attached()) {
            StepReadiness::Settling(why) => {
                assert!(why.starts_with("before `resize_disk`: the disk still reads attached"))
            }
            other => panic!("{other:?}"),
        }
    }
}
