//! Realistic values, shaped like recorded Katapult responses: every one of
//! the disk's own keys present (some `null`), nested template objects
//! partial.

use katapult_core::types::{
    self, DataCenter, Disk, DiskBusEnum, DiskInstallation, DiskIoProfile, DiskStateEnum,
    DiskTemplate, DiskTemplateVersion, StorageSpeedEnum, VirtualMachine, VirtualMachineDisk,
    VirtualMachineDiskAttachmentStateEnum,
};

/// A built, attached disk with the given id.
pub fn disk(id: &str) -> Disk {
    Disk {
        id: Some(id.to_owned()),
        name: Some("data".to_owned()),
        size_in_gb: Some(20),
        wwn: Some("6001405f4c3b2a1e9d8c7b6a5f4e3d2c".to_owned()),
        state: Some(DiskStateEnum::Built),
        created_at: Some(1_700_000_000),
        storage_speed: Some(StorageSpeedEnum::Ssd),
        io_profile: Some(DiskIoProfile {
            id: Some("dio_6kLsSBvRu5ptQ8iQ".to_owned()),
            name: Some("Standard".to_owned()),
            permalink: Some("standard".to_owned()),
            speed_in_mb: Some(500),
            iops: None,
        }),
        bus_type: Some(DiskBusEnum::Virtio),
        data_center: Some(DataCenter {
            id: Some("loc_25d48761871e4bf".to_owned()),
            name: Some("Shoreditch".to_owned()),
            permalink: Some("uk-lon-01".to_owned()),
        }),
        virtual_machine_disk: Some(VirtualMachineDisk {
            virtual_machine: Some(VirtualMachine {
                id: Some("vm_EbcEXQaIiVVWMjEO".to_owned()),
                fqdn: Some("web-1.example.katapult.cloud".to_owned()),
            }),
            attach_on_boot: Some(true),
            boot: Some(false),
            state: Some(VirtualMachineDiskAttachmentStateEnum::Attached),
        }),
        installation: Some(DiskInstallation {
            id: Some("inst_r7mJj7KHq2dsZWIm".to_owned()),
            // Partial, as the API sends it.
            disk_template_version: Some(DiskTemplateVersion {
                id: None,
                number: Some(4),
                stable: Some(true),
                size_in_gb: None,
                disk_template: Some(DiskTemplate {
                    id: Some("dtpl_ytP13XD5DE1RdSL9".to_owned()),
                    name: Some("Ubuntu 24.04".to_owned()),
                    description: None,
                    permalink: Some("templates/ubuntu-24-04".to_owned()),
                    universal: Some(true),
                    size_in_gb: Some(10),
                    latest_version: Box::new(None),
                    operating_system: None,
                }),
            }),
            attributes: vec![],
        }),
    }
}

/// A 200 body for `PATCH /disks/disk`.
pub fn update_disk_response(id: &str) -> types::UpdateDiskResponse {
    types::UpdateDiskResponse {
        disk: disk(id),
        annotations: vec![types::KeyValue {
            key: "team".to_owned(),
            value: Some("storage".to_owned()),
        }],
    }
}

/// Wraps an error the way the API sends it: `{"error": {...}}`.
pub fn error(error: types::KatapultError) -> types::ErrorEnvelope {
    types::ErrorEnvelope { error }
}

/// 404 `disk_not_found`, worded as the API words it.
pub fn disk_not_found() -> types::ErrorEnvelope {
    error(types::KatapultError::DiskNotFound {
        description: "No disk was found matching any of the criteria provided in the arguments"
            .to_owned(),
        detail: Default::default(),
    })
}

/// 429 `rate_limit_reached` for a limit of `per_minute`.
pub fn rate_limit_reached(per_minute: i64) -> types::ErrorEnvelope {
    error(types::KatapultError::RateLimitReached {
        description: "You have reached the rate limit for this type of request".to_owned(),
        detail: Some(types::RateLimitReached {
            total_permitted: Some(per_minute),
        }),
    })
}
