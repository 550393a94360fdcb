//! The plan table: each property against each disk state, to the operation
//! that makes it or the rule that refuses it; the resize rules; the order
//! of the steps and where the disk is read again.

use std::num::NonZeroU32;

use serde_json::json;

use super::fixtures::{assigned, attached, detached, disk, in_state, kv, vm};
use super::{
    ChangePlan, DiskChange, DiskProperty, PlanRefusal, RefusalKind, ResizeMethod, StepAction,
};
use crate::types::{
    self, DiskStateEnum as State, VirtualMachineDiskAttachmentStateEnum as AttachmentState,
};

type Disk = types::Disk;

fn change() -> DiskChange {
    DiskChange::new("disk_1")
}

fn gb(size: u32) -> NonZeroU32 {
    NonZeroU32::new(size).unwrap()
}

fn plan(disk: &Disk, change: &DiskChange) -> Result<ChangePlan, PlanRefusal> {
    change.plan(disk, &[])
}

/// The plan's steps as (operation, read the disk first).
fn steps(disk: &Disk, change: &DiskChange) -> Vec<(&'static str, bool)> {
    let plan = plan(disk, change).unwrap_or_else(|refusal| panic!("refused: {refusal}"));
    plan.steps
        .iter()
        .map(|step| (step.operation().as_str(), step.read_disk_first))
        .collect()
}

fn ops(disk: &Disk, change: &DiskChange) -> Vec<&'static str> {
    steps(disk, change).into_iter().map(|(op, _)| op).collect()
}

fn refused(disk: &Disk, change: &DiskChange) -> PlanRefusal {
    plan(disk, change).expect_err("the plan should be refused")
}

fn resize_of(disk: &Disk, change: &DiskChange) -> ResizeMethod {
    let plan = plan(disk, change).unwrap();
    plan.steps
        .iter()
        .find_map(|step| match step.action {
            StepAction::ResizeDisk { resize_method, .. } => Some(resize_method),
            _ => None,
        })
        .expect("a resize step")
}

#[test]
fn a_change_that_asks_for_nothing_plans_nothing() {
    assert!(plan(&disk(), &change()).unwrap().is_empty());
    assert!(plan(&attached(), &change()).unwrap().is_empty());
}

#[test]
fn a_change_that_asks_for_what_the_disk_has_plans_nothing() {
    let same = change()
        .name("data")
        .bus_type(types::DiskBusArgument::Virtio)
        .storage_speed(types::StorageSpeedArgument::Ssd)
        .size_in_gb(gb(20))
        .io_profile(types::DiskIoProfileLookup::Permalink("standard".into()))
        .data_center(types::DataCenterLookup::Id("dc_1".into()))
        .assign_to(types::VirtualMachineLookup::Fqdn("WEB.example.com".into()))
        .attached(true)
        .attach_on_boot(true)
        .boot(false)
        .annotations(vec![kv("b", "2"), kv("a", "1")]);
    let annotations = [kv("a", "1"), kv("b", "2")];
    let plan = same.plan(&attached(), &annotations).unwrap();
    assert_eq!(plan, ChangePlan::default());
    let by_id = change()
        .io_profile(types::DiskIoProfileLookup::Id("iop_1".into()))
        .assign_to(vm("vm_1"));
    assert!(by_id.plan(&detached(), &[]).unwrap().is_empty());
    assert!(change().unassign().plan(&disk(), &[]).unwrap().is_empty());
}

#[test]
fn nothing_to_send_is_not_refused_whatever_the_disk_reads() {
    for state in [
        State::Resizing,
        State::Failed,
        State::Unknown("frozen".into()),
    ] {
        let busy = in_state(detached(), state);
        assert!(
            plan(&busy, &change().name("data").attached(false))
                .unwrap()
                .is_empty()
        );
    }
}

#[test]
fn update_disk_makes_name_bus_speed_annotations_and_the_vm_flags() {
    let cases = [
        change().name("logs"),
        change().bus_type(types::DiskBusArgument::Scsi),
        change().storage_speed(types::StorageSpeedArgument::Nvme),
        change().annotations(vec![kv("team", "storage")]),
        change().annotations(vec![]).attach_on_boot(false),
        change().boot(true),
    ];
    let annotations = [kv("old", "1")];
    for change in cases {
        let plan = change.plan(&attached(), &annotations).unwrap();
        let ops: Vec<_> = plan.steps.iter().map(|s| s.operation().as_str()).collect();
        assert_eq!(ops, ["update_disk"], "{change:?}");
    }
}

#[test]
fn update_disk_sends_exactly_what_differs() {
    let wanted = change()
        .name("logs")
        .bus_type(types::DiskBusArgument::Virtio) // as it is
        .attach_on_boot(false)
        .boot(false) // as it is
        .annotations(vec![]);
    let plan = wanted.plan(&detached(), &[kv("old", "1")]).unwrap();
    let properties = types::DiskArguments {
        name: Some("logs".into()),
        virtual_machine_disk: Some(types::VirtualMachineDiskArguments {
            attach_on_boot: Some(false),
            ..Default::default()
        }),
        ..Default::default()
    };
    assert_eq!(
        plan.steps[0].action,
        StepAction::UpdateDisk {
            properties,
            annotations: Some(vec![]),
        }
    );
    let entries = serde_json::to_value(&plan.entries).unwrap();
    assert_eq!(
        entries,
        json!([
            {"property": "name", "from": "data", "to": "logs", "operation": "update_disk"},
            {"property": "annotations", "from": [{"key": "old", "value": "1"}], "to": [],
             "operation": "update_disk"},
            {"property": "attach_on_boot", "from": true, "to": false, "operation": "update_disk"},
        ])
    );
}

#[test]
fn attach_on_boot_and_boot_need_a_virtual_machine() {
    for wanted in [change().attach_on_boot(true), change().boot(true)] {
        let refusal = refused(&disk(), &wanted);
        assert_eq!(refusal.kind, RefusalKind::Conflict, "{refusal}");
        assert!(refusal.message.contains("assigned to none"), "{refusal}");
        let unassigning = wanted.clone().unassign();
        assert_eq!(
            refused(&detached(), &unassigning).kind,
            RefusalKind::Conflict
        );
        // Assigned by the same change: assign, read it back, then update.
        let assigning = wanted.assign_to(vm("vm_2"));
        assert_eq!(
            steps(&disk(), &assigning),
            [("assign_disk", false), ("update_disk", true)]
        );
    }
}

#[test]
fn the_size_goes_to_resize_disk_by_the_providers_rules() {
    let grow = change().size_in_gb(gb(30));
    let shrink = change().size_in_gb(gb(10));
    let unassigned = disk();
    // Detached or unassigned: offline, whatever was asked.
    for disk in [&unassigned, &detached()] {
        assert_eq!(ops(disk, &grow), ["resize_disk"]);
        assert_eq!(resize_of(disk, &grow), ResizeMethod::Offline);
        assert_eq!(resize_of(disk, &shrink), ResizeMethod::Offline);
        let online = grow.clone().resize_method(ResizeMethod::Online);
        assert_eq!(resize_of(disk, &online), ResizeMethod::Offline);
    }
    // Attached and growing: online only when asked for.
    let refusal = refused(&attached(), &grow);
    assert_eq!(
        (refusal.kind, refusal.property),
        (RefusalKind::Resize, Some(DiskProperty::SizeInGb))
    );
    assert!(
        refusal.message.contains("`resize_method: online`"),
        "{refusal}"
    );
    let online = grow.clone().resize_method(ResizeMethod::Online);
    assert_eq!(ops(&attached(), &online), ["resize_disk"]);
    assert_eq!(resize_of(&attached(), &online), ResizeMethod::Online);
    // Attached and shrinking: never in place.
    for wanted in [
        shrink.clone(),
        shrink.clone().resize_method(ResizeMethod::Online),
    ] {
        let refusal = refused(&attached(), &wanted);
        assert_eq!(refusal.kind, RefusalKind::Resize, "{refusal}");
        assert!(refusal.message.contains("needs it detached"), "{refusal}");
        assert!(refusal.message.contains("`attached: false`"), "{refusal}");
    }
}

#[test]
fn a_detach_in_the_same_plan_lets_an_attached_disk_resize_offline() {
    // Asked detached: detach, then resize offline; it stays detached.
    for size in [10, 30] {
        let wanted = change().size_in_gb(gb(size)).attached(false);
        assert_eq!(
            steps(&attached(), &wanted),
            [("detach_disk", false), ("resize_disk", true)]
        );
        assert_eq!(resize_of(&attached(), &wanted), ResizeMethod::Offline);
    }
    // Asked offline and still attached: detach, resize, attach again.
    for size in [10, 30] {
        let wanted = change()
            .size_in_gb(gb(size))
            .resize_method(ResizeMethod::Offline);
        assert_eq!(
            steps(&attached(), &wanted),
            [
                ("detach_disk", false),
                ("resize_disk", true),
                ("attach_disk", true)
            ]
        );
        assert_eq!(resize_of(&attached(), &wanted), ResizeMethod::Offline);
        let entries = serde_json::to_value(plan(&attached(), &wanted).unwrap().entries).unwrap();
        assert_eq!(
            entries[0],
            json!({"property": "attached", "from": true, "to": false,
                                       "operation": "detach_disk"})
        );
        assert_eq!(
            entries[2],
            json!({"property": "attached", "from": false, "to": true,
                                       "operation": "attach_disk"})
        );
    }
    // Unassigning detaches it too.
    let wanted = change().size_in_gb(gb(10)).unassign();
    assert_eq!(
        ops(&attached(), &wanted),
        ["detach_disk", "unassign_disk", "resize_disk"]
    );
}

#[test]
fn an_unsettled_attachment_refuses_what_depends_on_it() {
    let depends = [
        change().size_in_gb(gb(30)),
        change().attached(true),
        change().attached(false),
        change().unassign(),
        change().assign_to(vm("vm_2")),
    ];
    for state in [
        AttachmentState::Attaching,
        AttachmentState::Detaching,
        AttachmentState::Unknown("parking".into()),
    ] {
        let disk = assigned(state.clone());
        for wanted in &depends {
            let refusal = refused(&disk, wanted);
            assert_eq!(
                refusal.kind,
                RefusalKind::AttachmentState,
                "{state} {wanted:?}"
            );
            let expected = match state {
                AttachmentState::Unknown(_) => "does not know",
                _ => "transitional; retry after it settles",
            };
            assert!(refusal.message.contains(expected), "{refusal}");
        }
        // What does not depend on the attachment still runs.
        assert_eq!(ops(&disk, &change().name("logs")), ["update_disk"]);
        let profile = change().io_profile(types::DiskIoProfileLookup::Id("iop_2".into()));
        assert_eq!(ops(&disk, &profile), ["change_disk_io_profile"]);
    }
    let missing_state = Disk {
        virtual_machine_disk: Some(types::VirtualMachineDisk::default()),
        ..disk()
    };
    let refusal = refused(&missing_state, &change().attached(true));
    assert_eq!(refusal.kind, RefusalKind::AttachmentState);
}

#[test]
fn a_failed_attachment_is_not_resized_but_may_be_attached_again() {
    let failed = assigned(AttachmentState::Failed);
    let refusal = refused(&failed, &change().size_in_gb(gb(30)));
    assert_eq!(
        (refusal.kind, refusal.property),
        (RefusalKind::AttachmentState, Some(DiskProperty::SizeInGb))
    );
    assert!(refusal.message.contains("failed"), "{refusal}");
    assert_eq!(ops(&failed, &change().attached(true)), ["attach_disk"]);
    assert!(plan(&failed, &change().attached(false)).unwrap().is_empty());
}

#[test]
fn the_io_profile_goes_to_change_disk_io_profile() {
    let by_id = change().io_profile(types::DiskIoProfileLookup::Id("iop_2".into()));
    let by_permalink = change().io_profile(types::DiskIoProfileLookup::Permalink("fast".into()));
    for disk in [disk(), detached(), attached()] {
        assert_eq!(ops(&disk, &by_id), ["change_disk_io_profile"]);
        assert_eq!(ops(&disk, &by_permalink), ["change_disk_io_profile"]);
    }
    let without = Disk {
        io_profile: None,
        ..disk()
    };
    assert_eq!(ops(&without, &by_id), ["change_disk_io_profile"]);
    let entries = serde_json::to_value(plan(&disk(), &by_permalink).unwrap().entries).unwrap();
    assert_eq!(
        entries,
        json!([{"property": "io_profile", "from": {"id": "iop_1", "permalink": "standard"},
                "to": {"permalink": "fast"}, "operation": "change_disk_io_profile"}])
    );
}

#[test]
fn attached_goes_to_attach_disk_and_detach_disk() {
    assert_eq!(ops(&detached(), &change().attached(true)), ["attach_disk"]);
    assert_eq!(ops(&attached(), &change().attached(false)), ["detach_disk"]);
    let refusal = refused(&disk(), &change().attached(true));
    assert_eq!(
        (refusal.kind, refusal.property),
        (RefusalKind::Conflict, Some(DiskProperty::Attached))
    );
    assert!(refusal.message.contains("assigned to none"), "{refusal}");
    assert_eq!(
        steps(&disk(), &change().attached(true).assign_to(vm("vm_2"))),
        [("assign_disk", false), ("attach_disk", true)]
    );
}

#[test]
fn the_virtual_machine_goes_to_assign_disk_and_unassign_disk() {
    assert_eq!(
        ops(&disk(), &change().assign_to(vm("vm_2"))),
        ["assign_disk"]
    );
    assert_eq!(ops(&detached(), &change().unassign()), ["unassign_disk"]);
    assert_eq!(
        steps(&attached(), &change().unassign()),
        [("detach_disk", false), ("unassign_disk", true)]
    );
    // Moving a detached disk: unassign, read, assign.
    assert_eq!(
        steps(&detached(), &change().assign_to(vm("vm_2"))),
        [("unassign_disk", false), ("assign_disk", true)]
    );
    // Moving an attached disk: say whether it stays attached.
    let refusal = refused(&attached(), &change().assign_to(vm("vm_2")));
    assert_eq!(
        (refusal.kind, refusal.property),
        (RefusalKind::Conflict, Some(DiskProperty::Attached))
    );
    assert_eq!(
        ops(&attached(), &change().assign_to(vm("vm_2")).attached(false)),
        ["detach_disk", "unassign_disk", "assign_disk"]
    );
    assert_eq!(
        steps(&attached(), &change().assign_to(vm("vm_2")).attached(true)),
        [
            ("detach_disk", false),
            ("unassign_disk", true),
            ("assign_disk", true),
            ("attach_disk", true)
        ]
    );
    let entries = serde_json::to_value(
        plan(&detached(), &change().assign_to(vm("vm_2")))
            .unwrap()
            .entries,
    )
    .unwrap();
    assert_eq!(
        entries,
        json!([
            {"property": "virtual_machine", "from": {"id": "vm_1", "fqdn": "web.example.com"},
             "to": null, "operation": "unassign_disk"},
            {"property": "virtual_machine", "from": null, "to": {"id": "vm_2"},
             "operation": "assign_disk"},
        ])
    );
}

#[test]
fn a_virtual_machine_that_cannot_be_compared_is_refused() {
    let mut without_fqdn = detached();
    let vm_disk = without_fqdn.virtual_machine_disk.as_mut().unwrap();
    vm_disk.virtual_machine.as_mut().unwrap().fqdn = None;
    let wanted = change().assign_to(types::VirtualMachineLookup::Fqdn("web.example.com".into()));
    let refusal = refused(&without_fqdn, &wanted);
    assert_eq!(
        (refusal.kind, refusal.property),
        (
            RefusalKind::CannotCompare,
            Some(DiskProperty::VirtualMachine)
        )
    );
    let without_size = Disk {
        size_in_gb: None,
        ..disk()
    };
    let refusal = refused(&without_size, &change().size_in_gb(gb(30)));
    assert_eq!(refusal.kind, RefusalKind::CannotCompare);
}

#[test]
fn the_data_centre_and_the_file_system_are_refused_with_what_to_do() {
    let elsewhere = change().data_center(types::DataCenterLookup::Permalink("nl-ams-01".into()));
    for disk in [disk(), attached()] {
        let refusal = refused(&disk, &elsewhere);
        assert_eq!(
            (refusal.kind, refusal.property),
            (RefusalKind::Unchangeable, Some(DiskProperty::DataCenter))
        );
        assert!(
            refusal.message.contains("fixed when it is created"),
            "{refusal}"
        );
        assert!(
            refusal
                .message
                .contains("create a disk in that data centre"),
            "{refusal}"
        );
        // Refused even alongside properties that could change.
        let refusal = refused(
            &disk,
            &change()
                .name("x")
                .initial_file_system(types::FileSystemEnum::Ext4),
        );
        assert_eq!(
            (refusal.kind, refusal.property),
            (
                RefusalKind::Unchangeable,
                Some(DiskProperty::InitialFileSystem)
            )
        );
        assert!(
            refusal
                .message
                .contains("format the disk from its virtual machine"),
            "{refusal}"
        );
    }
    let same = change().data_center(types::DataCenterLookup::Permalink("uk-lon-01".into()));
    assert!(plan(&disk(), &same).unwrap().is_empty());
    let unknown = Disk {
        data_center: None,
        ..disk()
    };
    assert_eq!(refused(&unknown, &same).kind, RefusalKind::Unchangeable);
}

#[test]
fn only_a_built_disk_takes_a_change() {
    let rename = change().name("logs");
    let settling = [
        State::Building,
        State::Installing,
        State::Restoring,
        State::Formatting,
        State::Resizing,
        State::Configuring,
        State::Importing,
    ];
    for state in settling {
        let refusal = refused(&in_state(disk(), state.clone()), &rename);
        assert_eq!(refusal.kind, RefusalKind::DiskState, "{state}");
        assert!(
            refusal.message.contains("retry once it reads `built`"),
            "{refusal}"
        );
    }
    let others = [
        (State::NotBuilt, "not been built yet"),
        (State::Failed, "nothing is sent to a failed disk"),
        (
            State::Unknown("frozen".into()),
            "`frozen`, a state this version",
        ),
    ];
    for (state, expected) in others {
        let refusal = refused(&in_state(disk(), state), &rename);
        assert_eq!(refusal.kind, RefusalKind::DiskState);
        assert!(refusal.message.contains(expected), "{refusal}");
    }
    let no_state = Disk {
        state: None,
        ..disk()
    };
    assert_eq!(refused(&no_state, &rename).kind, RefusalKind::DiskState);
}

#[test]
fn a_change_that_contradicts_itself_is_refused() {
    let refusal = refused(&detached(), &change().attached(true).unassign());
    assert_eq!(refusal.kind, RefusalKind::Conflict);
    assert!(
        refusal.message.contains("contradict each other"),
        "{refusal}"
    );
    let refusal = refused(&disk(), &change().resize_method(ResizeMethod::Online));
    assert_eq!(
        (refusal.kind, refusal.property),
        (RefusalKind::Conflict, Some(DiskProperty::ResizeMethod))
    );
    // A resize method beside the size the disk already has asks nothing.
    let same = change()
        .size_in_gb(gb(20))
        .resize_method(ResizeMethod::Online);
    assert!(plan(&attached(), &same).unwrap().is_empty());
}

#[test]
fn every_step_at_once_runs_in_the_safe_order() {
    let everything = change()
        .name("logs")
        .attach_on_boot(false)
        .size_in_gb(gb(10))
        .io_profile(types::DiskIoProfileLookup::Id("iop_2".into()))
        .assign_to(vm("vm_2"))
        .attached(true);
    assert_eq!(
        steps(&attached(), &everything),
        [
            ("detach_disk", false),
            ("unassign_disk", true),
            ("assign_disk", true),
            ("update_disk", true),
            ("resize_disk", true),
            ("change_disk_io_profile", true),
            ("attach_disk", true),
        ]
    );
    let plan = plan(&attached(), &everything).unwrap();
    let properties: Vec<_> = plan.entries.iter().map(|e| e.property.as_str()).collect();
    assert_eq!(
        properties,
        [
            "attached",
            "virtual_machine",
            "virtual_machine",
            "name",
            "attach_on_boot",
            "size_in_gb",
            "io_profile",
            "attached"
        ]
    );
    // A rename beside a detach depends on nothing the detach leaves.
    assert_eq!(
        steps(&attached(), &change().name("x").attached(false)),
        [("detach_disk", false), ("update_disk", false)]
    );
}

#[test]
fn steps_encode_with_their_operation_and_arguments() {
    let wanted = change()
        .size_in_gb(gb(30))
        .resize_method(ResizeMethod::Offline);
    let plan = plan(&attached(), &wanted).unwrap();
    assert_eq!(
        serde_json::to_value(&plan.steps).unwrap(),
        json!([
            {"operation": "detach_disk", "read_disk_first": false},
            {"operation": "resize_disk", "size_in_gb": 30, "resize_method": "offline",
             "read_disk_first": true},
            {"operation": "attach_disk", "read_disk_first": true},
        ])
    );
    assert!(plan.steps.iter().all(|step| step.operation().runs_task()));
}
