//! What the benchmarks share: the canned 200 body, the request bodies in
//! both shapes, the loopback server's script and the hand-written floor.

// The floor is a crate of its own (benches/floor), built alone by
// `cargo xtask bench-report --build-cost`; the benchmark compiles the same
// file as a module.
#[path = "../floor/src/lib.rs"]
pub mod floor;
pub mod overhead_table;
pub mod paired;
pub mod report;

use std::time::Duration;

use katapult_core::types::{
    DiskArguments, DiskBusArgument, DiskIoProfileLookup, DiskLookup, StorageSpeedArgument,
    UpdateDiskBody,
};
use katapult_test_server::{Reply, Server, response};

/// The disk every body names.
pub const DISK_ID: &str = "disk_Xb0t6tHBeFhcc0vZ";

/// The bearer token both clients send.
pub const TOKEN: &str = "kt-bench-token";

/// A 200 body for `PATCH /disks/disk` as Katapult sends it: compact, every
/// one of the disk's twelve keys present (`iops` and the template's
/// `description` null), nested `io_profile`, `data_center`,
/// `virtual_machine_disk` and an `installation` with a partial template
/// version. The values are those of `katapult_core_httpmock::fixtures`
/// (checked at start-up).
pub const RESPONSE_BODY: &str = concat!(
    r#"{"disk":{"id":"disk_Xb0t6tHBeFhcc0vZ","name":"data","size_in_gb":20,"#,
    r#""wwn":"6001405f4c3b2a1e9d8c7b6a5f4e3d2c","state":"built","created_at":1700000000,"#,
    r#""storage_speed":"ssd","io_profile":{"id":"dio_6kLsSBvRu5ptQ8iQ","name":"Standard","#,
    r#""permalink":"standard","speed_in_mb":500,"iops":null},"bus_type":"virtio","#,
    r#""data_center":{"id":"loc_25d48761871e4bf","name":"Shoreditch","permalink":"uk-lon-01"},"#,
    r#""virtual_machine_disk":{"virtual_machine":{"id":"vm_EbcEXQaIiVVWMjEO","#,
    r#""fqdn":"web-1.example.katapult.cloud"},"attach_on_boot":true,"boot":false,"#,
    r#""state":"attached"},"installation":{"id":"inst_r7mJj7KHq2dsZWIm","#,
    r#""disk_template_version":{"number":4,"stable":true,"disk_template":{"#,
    r#""id":"dtpl_ytP13XD5DE1RdSL9","name":"Ubuntu 24.04","description":null,"#,
    r#""permalink":"templates/ubuntu-24-04","universal":true,"size_in_gb":10}},"#,
    r#""attributes":[]}},"annotations":[{"key":"team","value":"storage"}]}"#,
);

/// The base URL of the server's API, as Katapult's has a path.
pub const API_PATH: &str = "/core/v1";

/// The loopback server of the round trip, on a thread and runtime of its
/// own (not the clients'): every `PATCH /core/v1/disks/disk` with a body
/// gets `200` and [`RESPONSE_BODY`] with the headers Katapult sends on every
/// response, keeping the connection alive; anything else gets a `400` and
/// the connection closed, which fails the client under test loudly. It
/// keeps no request unless asked ([`Server::record_requests`]): a run sends
/// millions.
pub fn server() -> Server {
    let ok = response(
        200,
        &[
            ("content-type", "application/json; charset=utf-8"),
            ("cache-control", "no-cache"),
            ("x-request-id", "9a3b7c4e-2f1d-4e8a-b6c5-0d9e8f7a6b5c"),
            ("x-ratelimit-permitted", "600"),
            ("x-ratelimit-remaining", "599"),
        ],
        RESPONSE_BODY,
    );
    let update = format!("{API_PATH}/disks/disk");
    let server = Server::start_in_background(move |request, _| {
        if request.method() == "PATCH" && request.target() == update && !request.body().is_empty() {
            Reply::KeepAlive(ok.clone())
        } else {
            Reply::Close(response(400, &[("connection", "close")], ""))
        }
    });
    server.record_requests(false);
    server
}

/// The request body of the encode and round-trip benchmarks, generated
/// types: a lookup and four properties.
pub fn generated_body() -> UpdateDiskBody {
    UpdateDiskBody {
        disk: DiskLookup {
            id: DISK_ID.to_owned(),
        },
        properties: DiskArguments {
            name: Some("database".to_owned()),
            storage_speed: Some(StorageSpeedArgument::Nvme),
            bus_type: Some(DiskBusArgument::Virtio),
            io_profile: Some(DiskIoProfileLookup::Permalink("high-iops".to_owned())),
            ..Default::default()
        },
        annotations: None,
    }
}

/// The same body, hand-written types.
pub fn floor_body() -> floor::UpdateDisk {
    floor::UpdateDisk {
        disk: floor::DiskRef {
            id: DISK_ID.to_owned(),
        },
        properties: floor::DiskProperties {
            name: Some("database".to_owned()),
            storage_speed: Some(floor::StorageSpeed::Nvme),
            bus_type: Some(floor::BusType::Virtio),
            io_profile: Some(floor::Lookup::Permalink("high-iops".to_owned())),
            ..Default::default()
        },
        annotations: vec![],
    }
}

/// The one `reqwest::Client` both sides send through, started from
/// `ClientBuilder::http_client_builder()` (the SDK's TLS, 60 s idle pool
/// timeout, no redirects) with the SDK's default 10 s connect timeout. The
/// SDK gets it through `ClientBuilder::http_client`, so both sides share
/// one pool and one warm connection.
pub fn http_client() -> reqwest::Client {
    katapult_core::ClientBuilder::http_client_builder()
        .expect("TLS configures")
        .connect_timeout(Duration::from_secs(10))
        .build()
        .expect("reqwest client builds")
}
