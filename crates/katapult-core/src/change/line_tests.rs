//! The `--from` line: what it accepts, and the error each malformed line
//! gets.

use std::num::NonZeroU32;

use super::{DiskChange, VirtualMachineChange};
use crate::change::ResizeMethod;
use crate::types;

fn error(line: &str) -> String {
    DiskChange::from_line(line)
        .expect_err("the line should be refused")
        .to_string()
}

#[test]
fn a_full_line_reads_every_field() {
    let change = DiskChange::from_line(
        r#"{"disk": {"id": "disk_1"},
            "properties": {"name": "db", "bus_type": "virtio", "storage_speed": "nvme",
                           "size_in_gb": 50, "io_profile": {"permalink": "fast"},
                           "data_center": {"id": "dc_1"}, "initial_file_system": "xfs",
                           "virtual_machine_disk": {"attach_on_boot": false, "boot": true,
                                                    "virtual_machine": {"fqdn": "a.b"}}},
            "annotations": [{"key": "team", "value": "storage"}, {"key": "flag"}],
            "attached": true, "resize_method": "online"}"#,
    )
    .unwrap();
    let expected = DiskChange::new("disk_1")
        .name("db")
        .bus_type(types::DiskBusArgument::Virtio)
        .storage_speed(types::StorageSpeedArgument::Nvme)
        .size_in_gb(NonZeroU32::new(50).unwrap())
        .io_profile(types::DiskIoProfileLookup::Permalink("fast".into()))
        .data_center(types::DataCenterLookup::Id("dc_1".into()))
        .initial_file_system(types::FileSystemEnum::Xfs)
        .attach_on_boot(false)
        .boot(true)
        .assign_to(types::VirtualMachineLookup::Fqdn("a.b".into()))
        .annotations(vec![
            types::KeyValue {
                key: "team".into(),
                value: Some("storage".into()),
            },
            types::KeyValue {
                key: "flag".into(),
                value: None,
            },
        ])
        .attached(true)
        .resize_method(ResizeMethod::Online);
    assert_eq!(change, expected);
}

#[test]
fn only_the_disk_is_required_and_properties_may_be_empty() {
    assert_eq!(
        DiskChange::from_line(r#"{"disk": {"id": "disk_1"}}"#).unwrap(),
        DiskChange::new("disk_1")
    );
    assert_eq!(
        DiskChange::from_line(r#"{"disk": {"id": "disk_1"}, "properties": {}}"#).unwrap(),
        DiskChange::new("disk_1")
    );
    let cleared = DiskChange::from_line(r#"{"disk": {"id": "d"}, "annotations": []}"#);
    assert_eq!(cleared.unwrap().annotations, Some(vec![]));
}

#[test]
fn unassign_true_unassigns_and_false_asks_nothing() {
    let line = r#"{"disk": {"id": "d"}, "unassign": true}"#;
    assert_eq!(
        DiskChange::from_line(line).unwrap().virtual_machine,
        Some(VirtualMachineChange::Unassign)
    );
    let line = r#"{"disk": {"id": "d"}, "unassign": false}"#;
    assert_eq!(DiskChange::from_line(line).unwrap().virtual_machine, None);
}

#[test]
fn serde_and_from_str_read_the_same_shape() {
    let line = r#"{"disk": {"id": "d"}, "attached": false}"#;
    let by_serde: DiskChange = serde_json::from_str(line).unwrap();
    let by_parse: DiskChange = line.parse().unwrap();
    assert_eq!(by_serde, by_parse);
    assert_eq!(by_serde.attached, Some(false));
    let refused = serde_json::from_str::<DiskChange>(r#"{"disk": {"id": "d"}, "x": 1}"#);
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("`x` is not a field")
    );
}

#[test]
fn what_is_not_a_change_is_named() {
    let cases = [
        ("not json", "not valid JSON"),
        ("[1]", "a change is a JSON object"),
        (r#"{"properties": {}}"#, "the line names no disk"),
        (r#"{"disk": "disk_1"}"#, "`disk` is an object, not a string"),
        (r#"{"disk": {}}"#, "`disk` has no `id`"),
        (r#"{"disk": {"id": ""}}"#, "`disk.id` is empty"),
        (
            r#"{"disk": {"id": 7}}"#,
            "`disk.id`: invalid type: integer `7`",
        ),
        (
            r#"{"disk": {"id": "d", "name": "x"}}"#,
            "`disk.name` is not a field of `disk`",
        ),
        (
            r#"{"disk": {"id": "d"}, "nmae": "x"}"#,
            "`nmae` is not a field of a change line",
        ),
        (
            r#"{"disk": {"id": "d"}, "properties": {"nmae": "x"}}"#,
            "`properties.nmae` is not a field of `properties`",
        ),
        (
            r#"{"disk": {"id": "d"}, "properties": {"virtual_machine_disk": {"boto": true}}}"#,
            "`properties.virtual_machine_disk.boto` is not a field of \
             `properties.virtual_machine_disk`",
        ),
        (
            r#"{"disk": {"id": "d"}, "annotations": [{"key": "k", "vale": "v"}]}"#,
            "`annotations[0].vale` is not a field of `annotations[0]`",
        ),
        (
            r#"{"disk": {"id": "d"}, "properties": {"bus_type": "ide"}}"#,
            "`properties.bus_type`: unknown variant `ide`, expected `scsi` or `virtio`",
        ),
        (
            r#"{"disk": {"id": "d"}, "attached": "yes"}"#,
            "`attached`: invalid type: string \"yes\", expected a boolean",
        ),
        (
            r#"{"disk": {"id": "d"}, "resize_method": "fast"}"#,
            "`resize_method`: unknown variant `fast`, expected `offline` or `online`",
        ),
    ];
    for (line, expected) in cases {
        let message = error(line);
        assert!(message.contains(expected), "{line}: {message}");
    }
}

#[test]
fn a_size_is_a_positive_whole_number() {
    for size in ["0", "-5", "2.5", "\"50\"", "4294967296"] {
        let line = format!(r#"{{"disk": {{"id": "d"}}, "properties": {{"size_in_gb": {size}}}}}"#);
        let message = error(&line);
        assert!(
            message.contains("`properties.size_in_gb` is a whole number of GB, at least 1"),
            "{size}: {message}"
        );
    }
    let line = r#"{"disk": {"id": "d"}, "properties": {"size_in_gb": 4294967295}}"#;
    assert_eq!(
        DiskChange::from_line(line).unwrap().size_in_gb,
        NonZeroU32::new(u32::MAX)
    );
}

#[test]
fn nulls_are_refused_with_what_to_write_instead() {
    let cases = [
        (
            r#"{"disk": {"id": "d"}, "annotations": null}"#,
            "give [] to remove them all",
        ),
        (
            r#"{"disk": {"id": "d"}, "properties": {"name": null}}"#,
            "`properties.name` is null: a change cannot set a property to nothing",
        ),
        (
            r#"{"disk": {"id": "d"}, "properties": {"io_profile": {"id": null}}}"#,
            "`properties.io_profile.id` is null",
        ),
        (
            r#"{"disk": {"id": "d"}, "unassign": null}"#,
            "give true to unassign",
        ),
        (
            r#"{"disk": {"id": "d"}, "annotations": [{"key": "k", "value": null}]}"#,
            "`annotations[0].value` is null",
        ),
    ];
    for (line, expected) in cases {
        let message = error(line);
        assert!(message.contains(expected), "{line}: {message}");
    }
}

#[test]
fn lookups_name_exactly_one_field() {
    let cases = [
        (
            r#"{"io_profile": {"id": "a", "permalink": "b"}}"#,
            "`properties.io_profile` names one of `id` or `permalink`, not several",
        ),
        (
            r#"{"data_center": {}}"#,
            "`properties.data_center` names one of `id` or `permalink`, not none",
        ),
        (
            r#"{"io_profile": {"name": "fast"}}"#,
            "`properties.io_profile.name` is not a field of `properties.io_profile`",
        ),
        (
            r#"{"virtual_machine_disk": {"virtual_machine": {"name": "vm"}}}"#,
            "(expected `id` or `fqdn`)",
        ),
        (
            r#"{"io_profile": "fast"}"#,
            "`properties.io_profile` is an object, not a string",
        ),
    ];
    for (properties, expected) in cases {
        let message = error(&format!(
            r#"{{"disk": {{"id": "d"}}, "properties": {properties}}}"#
        ));
        assert!(message.contains(expected), "{properties}: {message}");
    }
}

#[test]
fn create_only_and_contradictory_fields_say_what_to_write() {
    let message =
        error(r#"{"disk": {"id": "d"}, "properties": {"virtual_machine_disk": {"attach": true}}}"#);
    assert!(
        message.contains("write \"attached\": true at the top"),
        "{message}"
    );
    let message = error(
        r#"{"disk": {"id": "d"}, "unassign": true,
            "properties": {"virtual_machine_disk": {"virtual_machine": {"id": "vm_1"}}}}"#,
    );
    assert!(message.contains("contradict each other"), "{message}");
}

#[test]
fn annotations_are_checked_one_by_one() {
    let cases = [
        (r#"{"a": 1}"#, "`annotations` is a list like"),
        (r#"[{"value": "v"}]"#, "`annotations[0]` has no `key`"),
        (r#"[{"key": ""}]"#, "`annotations[0].key` is empty"),
        (
            r#"[{"key": "k", "vlaue": "v"}]"#,
            "`annotations[0].vlaue` is not a field",
        ),
        (r#"["k=v"]"#, "`annotations[0]` is an object, not a string"),
    ];
    for (annotations, expected) in cases {
        let message = error(&format!(
            r#"{{"disk": {{"id": "d"}}, "annotations": {annotations}}}"#
        ));
        assert!(message.contains(expected), "{annotations}: {message}");
    }
}
