//! Disks as `get_disk` answers them, for the plan's and the checks' tests.

use crate::types::{self, DiskStateEnum, VirtualMachineDiskAttachmentStateEnum as AttachmentState};

/// A built, unassigned 20 GB disk: `data`, ssd, virtio, I/O profile
/// `iop_1` / `standard`, in `dc_1` / `uk-lon-01`.
pub fn disk() -> types::Disk {
    types::Disk {
        id: Some("disk_1".into()),
        name: Some("data".into()),
        size_in_gb: Some(20),
        state: Some(DiskStateEnum::Built),
        storage_speed: Some(types::StorageSpeedEnum::Ssd),
        bus_type: Some(types::DiskBusEnum::Virtio),
        io_profile: Some(types::DiskIoProfile {
            id: Some("iop_1".into()),
            permalink: Some("standard".into()),
            ..Default::default()
        }),
        data_center: Some(types::DataCenter {
            id: Some("dc_1".into()),
            permalink: Some("uk-lon-01".into()),
            name: Some("London".into()),
        }),
        ..Default::default()
    }
}

/// [`disk`], assigned to `vm_1` (`web.example.com`) with this attachment
/// state, attaching on boot, not the boot disk.
pub fn assigned(state: AttachmentState) -> types::Disk {
    types::Disk {
        virtual_machine_disk: Some(types::VirtualMachineDisk {
            attach_on_boot: Some(true),
            boot: Some(false),
            state: Some(state),
            virtual_machine: Some(types::VirtualMachine {
                id: Some("vm_1".into()),
                fqdn: Some("web.example.com".into()),
            }),
        }),
        ..disk()
    }
}

/// [`assigned`], attached.
pub fn attached() -> types::Disk {
    assigned(AttachmentState::Attached)
}

/// [`assigned`], detached.
pub fn detached() -> types::Disk {
    assigned(AttachmentState::Detached)
}

/// `disk` in this state.
pub fn in_state(disk: types::Disk, state: DiskStateEnum) -> types::Disk {
    types::Disk {
        state: Some(state),
        ..disk
    }
}

/// An annotation.
pub fn kv(key: &str, value: &str) -> types::KeyValue {
    types::KeyValue {
        key: key.into(),
        value: Some(value.into()),
    }
}

/// A virtual machine lookup by id.
pub fn vm(id: &str) -> types::VirtualMachineLookup {
    types::VirtualMachineLookup::Id(id.into())
}
