//! Request bodies: every one the generated types can express survives a
//! serde round trip unchanged, and only the fields that are set are sent.

use super::*;

fn text() -> impl Strategy<Value = String> {
    any::<String>()
}

// Every variant of each request enum and lookup, listed once; the matches
// below stop compiling when the generator adds one, so no variant can be
// left out of these strategies unnoticed.
const BUSES: &[DiskBusArgument] = &[DiskBusArgument::Scsi, DiskBusArgument::Virtio];
const SPEEDS: &[StorageSpeedArgument] = &[StorageSpeedArgument::Nvme, StorageSpeedArgument::Ssd];
const FILE_SYSTEMS: &[FileSystemEnum] = &[FileSystemEnum::Ext4, FileSystemEnum::Xfs];

#[allow(dead_code)]
fn every_variant_is_listed(
    bus: DiskBusArgument,
    speed: StorageSpeedArgument,
    fs: FileSystemEnum,
    dc: DataCenterLookup,
    io: DiskIoProfileLookup,
    vm: VirtualMachineLookup,
) {
    match bus {
        DiskBusArgument::Scsi | DiskBusArgument::Virtio => {}
    }
    match speed {
        StorageSpeedArgument::Nvme | StorageSpeedArgument::Ssd => {}
    }
    match fs {
        FileSystemEnum::Ext4 | FileSystemEnum::Xfs => {}
    }
    match dc {
        DataCenterLookup::Id(_) | DataCenterLookup::Permalink(_) => {}
    }
    match io {
        DiskIoProfileLookup::Id(_) | DiskIoProfileLookup::Permalink(_) => {}
    }
    match vm {
        VirtualMachineLookup::Id(_) | VirtualMachineLookup::Fqdn(_) => {}
    }
}

fn data_center() -> impl Strategy<Value = DataCenterLookup> {
    prop_oneof![
        text().prop_map(DataCenterLookup::Id),
        text().prop_map(DataCenterLookup::Permalink),
    ]
}

fn io_profile() -> impl Strategy<Value = DiskIoProfileLookup> {
    prop_oneof![
        text().prop_map(DiskIoProfileLookup::Id),
        text().prop_map(DiskIoProfileLookup::Permalink),
    ]
}

fn virtual_machine() -> impl Strategy<Value = VirtualMachineLookup> {
    prop_oneof![
        text().prop_map(VirtualMachineLookup::Id),
        text().prop_map(VirtualMachineLookup::Fqdn),
    ]
}

fn virtual_machine_disk() -> impl Strategy<Value = VirtualMachineDiskArguments> {
    (
        prop::option::of(any::<bool>()),
        prop::option::of(any::<bool>()),
        prop::option::of(any::<bool>()),
        prop::option::of(virtual_machine()),
    )
        .prop_map(|(attach, attach_on_boot, boot, virtual_machine)| {
            VirtualMachineDiskArguments {
                attach,
                attach_on_boot,
                boot,
                virtual_machine,
            }
        })
}

fn disk_arguments() -> impl Strategy<Value = DiskArguments> {
    (
        prop::option::of(select(BUSES)),
        prop::option::of(data_center()),
        prop::option::of(select(FILE_SYSTEMS)),
        prop::option::of(io_profile()),
        prop::option::of(text()),
        prop::option::of(any::<i64>()),
        prop::option::of(select(SPEEDS)),
        prop::option::of(virtual_machine_disk()),
    )
        .prop_map(
            |(
                bus_type,
                data_center,
                initial_file_system,
                io_profile,
                name,
                size_in_gb,
                storage_speed,
                virtual_machine_disk,
            )| {
                DiskArguments {
                    bus_type,
                    data_center,
                    initial_file_system,
                    io_profile,
                    name,
                    size_in_gb,
                    storage_speed,
                    virtual_machine_disk,
                }
            },
        )
}

fn patch_disk_body() -> impl Strategy<Value = UpdateDiskBody> {
    let annotation =
        (text(), prop::option::of(text())).prop_map(|(key, value)| KeyValue { key, value });
    (
        text(),
        disk_arguments(),
        prop::option::of(prop::collection::vec(annotation, 0..4)),
    )
        .prop_map(|(id, properties, annotations)| UpdateDiskBody {
            disk: DiskLookup { id },
            properties,
            annotations,
        })
}

proptest! {
    #![proptest_config(config(ROUND_TRIP_CASES))]

    #[test]
    fn every_request_body_round_trips_through_serde(body in patch_disk_body()) {
        let text = serde_json::to_string(&body).unwrap();
        let back: UpdateDiskBody = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&back, &body);
        // Encoding is stable: the decoded value encodes to the same bytes.
        prop_assert_eq!(serde_json::to_string(&back).unwrap(), text);
        // And through a `serde_json::Value`, as the mock server reads it.
        let value = serde_json::to_value(&body).unwrap();
        prop_assert_eq!(serde_json::from_value::<UpdateDiskBody>(value).unwrap(), body);
    }
}

/// Unset fields are not sent (a PATCH must not overwrite what it does not
/// name); set ones are, under their API names.
#[test]
fn only_the_fields_that_are_set_are_sent() {
    let mut runner = TestRunner::new(config(ROUND_TRIP_CASES));
    runner
        .run(&patch_disk_body(), |body| {
            let value = serde_json::to_value(&body).unwrap();
            let properties: BTreeMap<String, Value> =
                serde_json::from_value(value["properties"].clone()).unwrap();
            let set = [
                ("bus_type", body.properties.bus_type.is_some()),
                ("data_center", body.properties.data_center.is_some()),
                (
                    "initial_file_system",
                    body.properties.initial_file_system.is_some(),
                ),
                ("io_profile", body.properties.io_profile.is_some()),
                ("name", body.properties.name.is_some()),
                ("size_in_gb", body.properties.size_in_gb.is_some()),
                ("storage_speed", body.properties.storage_speed.is_some()),
                (
                    "virtual_machine_disk",
                    body.properties.virtual_machine_disk.is_some(),
                ),
            ];
            for (name, is_set) in set {
                prop_assert_eq!(properties.contains_key(name), is_set, "{}", name);
            }
            prop_assert_eq!(properties.len(), set.iter().filter(|(_, s)| *s).count());
            // Absent and empty are two values: `None` leaves the key out,
            // `Some(vec![])` sends `[]`.
            prop_assert_eq!(
                value
                    .get("annotations")
                    .and_then(|a| a.as_array())
                    .map(Vec::len),
                body.annotations.as_ref().map(Vec::len)
            );
            Ok(())
        })
        .unwrap();
}
