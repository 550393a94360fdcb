//! The JSON on the wire: request bodies exactly as sent, and what the client
//! makes of a realistic 200 and of every documented error, status by code.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::support::bounded;
use httpmock::{HttpMockResponse, MockServer};
use katapult_core::types::{
    DataCenterLookup, DiskArguments, DiskBusArgument, DiskIoProfileLookup, DiskLookup, ErrorCode,
    FileSystemEnum, KeyValue, StorageSpeedArgument, UpdateDiskBody, UpdateDiskResponse,
    VirtualMachineDiskArguments, VirtualMachineLookup,
};
use katapult_core::{Client, Error, ErrorBody, RetryPolicy};

fn lookup(id: &str) -> DiskLookup {
    DiskLookup { id: id.to_owned() }
}

#[test]
fn a_minimal_update_sends_one_lookup_and_only_what_was_set() {
    let body = UpdateDiskBody {
        disk: lookup("disk_1"),
        properties: DiskArguments {
            name: Some("logs".into()),
            ..Default::default()
        },
        annotations: None,
    };
    // No `null`, no `annotations`, no field the caller did not set.
    assert_eq!(
        serde_json::to_string(&body).unwrap(),
        r#"{"disk":{"id":"disk_1"},"properties":{"name":"logs"}}"#
    );
}

#[test]
fn absent_and_empty_annotations_are_two_requests() {
    let body = |annotations| UpdateDiskBody {
        disk: lookup("disk_1"),
        properties: DiskArguments::default(),
        annotations,
    };
    assert_eq!(
        serde_json::to_string(&body(None)).unwrap(),
        r#"{"disk":{"id":"disk_1"},"properties":{}}"#
    );
    assert_eq!(
        serde_json::to_string(&body(Some(vec![]))).unwrap(),
        r#"{"annotations":[],"disk":{"id":"disk_1"},"properties":{}}"#
    );
}

#[test]
fn each_lookup_is_one_key() {
    let cases = [
        (
            serde_json::to_string(&DataCenterLookup::Permalink("uk-lon-01".into())),
            r#"{"permalink":"uk-lon-01"}"#,
        ),
        (
            serde_json::to_string(&DataCenterLookup::Id("loc_1".into())),
            r#"{"id":"loc_1"}"#,
        ),
        (
            serde_json::to_string(&DiskIoProfileLookup::Id("dio_1".into())),
            r#"{"id":"dio_1"}"#,
        ),
        (
            serde_json::to_string(&VirtualMachineLookup::Fqdn("web-1.example".into())),
            r#"{"fqdn":"web-1.example"}"#,
        ),
    ];
    for (json, expected) in cases {
        assert_eq!(json.unwrap(), expected);
    }
}

#[test]
fn a_full_update_serializes_every_property() {
    let body = UpdateDiskBody {
        disk: lookup("disk_1"),
        properties: DiskArguments {
            name: Some("database".into()),
            bus_type: Some(DiskBusArgument::Virtio),
            data_center: Some(DataCenterLookup::Permalink("uk-lon-01".into())),
            size_in_gb: Some(40),
            io_profile: Some(DiskIoProfileLookup::Permalink("fast".into())),
            initial_file_system: Some(FileSystemEnum::Xfs),
            storage_speed: Some(StorageSpeedArgument::Nvme),
            virtual_machine_disk: Some(VirtualMachineDiskArguments {
                boot: Some(false),
                attach_on_boot: Some(true),
                attach: None,
                virtual_machine: Some(VirtualMachineLookup::Id("vm_1".into())),
            }),
        },
        annotations: Some(vec![
            KeyValue {
                key: "team".into(),
                value: Some("storage".into()),
            },
            KeyValue {
                key: "flag".into(),
                value: None,
            },
        ]),
    };
    let json = serde_json::to_value(&body).unwrap();
    assert!(
        json["properties"]["virtual_machine_disk"]
            .get("attach")
            .is_none()
    );
    assert!(json["annotations"][1].get("value").is_none());
    insta::assert_json_snapshot!("full_update_request", json);
    let back: UpdateDiskBody = serde_json::from_value(json).unwrap();
    assert_eq!(back, body);
}

/// A 200 as the API sends it: all twelve of the disk's keys, some `null`;
/// the template version partial; a field this client does not know.
const REALISTIC_200: &str = r#"{
  "disk": {
    "id": "disk_Xb0t6tHBeFhcc0vZ",
    "name": "database",
    "size_in_gb": 40,
    "wwn": "6001405f4c3b2a1e9d8c7b6a5f4e3d2c",
    "state": "built",
    "created_at": 1700000000,
    "storage_speed": "nvme",
    "io_profile": null,
    "bus_type": "virtio",
    "data_center": {"id": "loc_25d48761871e4bf", "name": "Shoreditch", "permalink": "uk-lon-01"},
    "virtual_machine_disk": {
      "virtual_machine": {"id": "vm_EbcEXQaIiVVWMjEO", "fqdn": "db-1.example.katapult.cloud"},
      "attach_on_boot": true,
      "boot": false,
      "state": "attached"
    },
    "installation": {
      "id": "inst_r7mJj7KHq2dsZWIm",
      "disk_template_version": {
        "number": 4,
        "stable": true,
        "disk_template": {
          "id": "dtpl_ytP13XD5DE1RdSL9",
          "name": "Ubuntu 24.04",
          "description": null,
          "latest_version": {"id": "dtplv_8EuEBcDhXTTPdNX6", "number": 5},
          "operating_system": {"id": "os_1", "name": "Ubuntu", "badge": null}
        }
      },
      "attributes": [{"key": "hostname", "label": "Hostname", "value": null, "protect": false}]
    },
    "encryption": "luks2"
  },
  "annotations": [{"key": "team", "value": "storage"}]
}"#;

#[test]
fn a_realistic_200_decodes() {
    let decoded: UpdateDiskResponse = serde_json::from_str(REALISTIC_200).unwrap();
    assert_eq!(decoded.disk.io_profile, None);
    let template = decoded
        .disk
        .installation
        .as_ref()
        .unwrap()
        .disk_template_version
        .as_ref()
        .unwrap();
    let latest = template
        .disk_template
        .as_ref()
        .unwrap()
        .latest_version
        .as_ref()
        .as_ref()
        .unwrap();
    assert_eq!(latest.number, Some(5));
    insta::assert_debug_snapshot!("realistic_200", decoded);
}

/// One realistic wrapped body per documented (status, code) pair, with the
/// code's typed detail.
const ERRORS: &[(u16, &str, &str)] = &[
    (400, "missing_api_token", r#"{}"#),
    (
        400,
        "invalid_argument",
        r#"{"path":["properties","bus_type"],"index":null,"issue":"invalid_enum_value","issue_description":"Value must be one of scsi, virtio","errors":[],"argument":{"id":"bus_type","name":"bus_type","description":null}}"#,
    ),
    (
        400,
        "missing_required_argument",
        r#"{"path":["disk"],"argument":{"name":"disk","description":"The disk to update"}}"#,
    ),
    (
        400,
        "invalid_json_body",
        r#"{"details":"unexpected token at '{\"disk'"}"#,
    ),
    (
        403,
        "unauthorized_network_for_api_token",
        r#"{"ip_address":"203.0.113.7"}"#,
    ),
    (
        403,
        "invalid_api_token",
        r#"{"details":"Token has expired"}"#,
    ),
    (403, "invalid_capabilities_token", r#"{}"#),
    (403, "scope_not_granted", r#"{"scopes":["disks"]}"#),
    (403, "permission_denied", r#"{"details":null}"#),
    (404, "disk_not_found", r#"{}"#),
    (404, "route_not_found", r#"{}"#),
    (404, "disk_io_profile_not_found", r#"{}"#),
    (404, "virtual_machine_not_found", r#"{}"#),
    (404, "task_not_found", r#"{}"#),
    (
        406,
        "task_queueing_error",
        r#"{"details":"The disk is busy with another task"}"#,
    ),
    (
        406,
        "object_in_trash",
        r#"{"trash_object":{"id":"trsh_1","keep_until":1700600000,"object_id":"disk_1","object_type":"Disk"}}"#,
    ),
    (422, "unassigned_disk", r#"{}"#),
    (
        422,
        "unable_to_assign",
        r#"{"errors":["Disk is already assigned to a virtual machine"]}"#,
    ),
    (
        422,
        "unable_to_unassign",
        r#"{"errors":["Disk must be detached first"]}"#,
    ),
    (
        422,
        "validation_error",
        r#"{"errors":["Name can't be blank"]}"#,
    ),
    (429, "rate_limit_reached", r#"{"total_permitted":1000}"#),
    (500, "unhandled_exception", r#"{}"#),
    (503, "service_unavailable", r#"{}"#),
];

#[tokio::test]
async fn every_documented_status_and_code_decodes_with_its_typed_detail() {
    bounded(Duration::from_secs(30), async {
        let server = MockServer::start_async().await;
        for (status, code, detail) in ERRORS {
            let body = format!(
                r#"{{"error":{{"code":"{code}","description":"Katapult's words for {code}","detail":{detail}}}}}"#
            );
            server
                .mock_async(|when, then| {
                    when.method(httpmock::Method::PATCH)
                        .path("/disks/disk")
                        .json_body_includes(format!(r#"{{"disk":{{"id":"{code}"}}}}"#));
                    then.respond_with(move |_| {
                        HttpMockResponse::builder()
                            .status(*status)
                            .header("content-type", "application/json")
                            .header("x-api-schema", "json-error")
                            .header("x-request-id", format!("req-{code}"))
                            .body(body.clone())
                            .build()
                    });
                })
                .await;
        }
        let client = Client::builder()
            .token(crate::support::TOKEN)
            .base_url(server.base_url())
            .retry(RetryPolicy::none())
            .build()
            .unwrap();

        let mut report = String::new();
        let mut covered = BTreeSet::new();
        for (status, code, _) in ERRORS {
            let body = UpdateDiskBody {
                disk: lookup(code),
                properties: DiskArguments::default(),
                annotations: None,
            };
            let error = client.update_disk(body).await.unwrap_err();
            let Error::Api(api) = &error else {
                panic!("({status}, {code}): expected an API error, got {error:?}");
            };
            assert_eq!(api.meta().status().as_u16(), *status, "({status}, {code})");
            assert_eq!(api.code(), Some(&ErrorCode::from(*code)), "({status}, {code})");
            assert!(!api.code().unwrap().is_unknown(), "({status}, {code}) is not a known code");
            let ErrorBody::Known(known) = api.body() else {
                panic!("({status}, {code}): the typed decode failed: {:?}", api.body());
            };
            assert_eq!(error.request_id(), Some(format!("req-{code}").as_str()));
            covered.insert(code.to_string());
            report.push_str(&format!("({status}, {code})\n  display: {error}\n  body: {known:?}\n\n"));
        }
        let known: BTreeSet<String> = ErrorCode::KNOWN.iter().map(|c| c.to_string()).collect();
        assert_eq!(covered, known, "every code the client knows has a documented sample here");
        insta::assert_snapshot!("every_documented_error", report);
    })
    .await;
}
