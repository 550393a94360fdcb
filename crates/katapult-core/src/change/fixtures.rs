//! Disks as `get_disk` answers them, for the plan's and the checks' tests.

use crate::types::{self, DiskStateEnum, VirtualMachineDiskAttachmentStateEnum as AttachmentState};

/// A built, unassigned 20 GB disk: `data`, ssd, virtio, I/O profile
/// `iop_1` / `standard`, in `dc_1` / `uk-lon-01`.
pub fn disk() -> types::PatchDisk200ResponseDisk {
    types::PatchDisk200ResponseDisk {
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
        data_center: Some(types::PatchDiskPartDataCenter {
            id: Some("dc_1".into()),
            permalink: Some("uk-lon-01".into()),
            name: Some("London".into()),
        }),
        ..Default::default()
    }
}

/// [`disk`], assigned to `vm_1` (`web.example.com`) with this attachment
/// state, attaching on boot, not the boot disk.
pub fn assigned(state: AttachmentState) -> types::PatchDisk200ResponseDisk {
    types::PatchDisk200ResponseDisk {
        virtual_machine_disk: Some(types::PatchDiskPartVirtualMachineDisk {
            attach_on_boot: Some(true),
            boot: Some(false),
            state: Some(state),
            virtual_machine: Some(types::PatchDiskPartVirtualMachine {
                id: Some("vm_1".into()),
                fqdn: Some("web.example.com".into()),
            }),
        }),
        ..disk()
    }
}

/// [`assigned`], attached.
pub fn attached() -> types::PatchDisk200ResponseDisk {
    assigned(AttachmentState::Attached)
}

/// [`assigned`], detached.
pub fn detached() -> types::PatchDisk200ResponseDisk {
    assigned(AttachmentState::Detached)
}

/// `disk` in this state.
pub fn in_state(
    disk: types::PatchDisk200ResponseDisk,
    state: DiskStateEnum,
) -> types::PatchDisk200ResponseDisk {
    types::PatchDisk200ResponseDisk {
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
