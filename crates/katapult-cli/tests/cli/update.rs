//! `katapult disk update`: what each flag sends, the checks made before
//! anything is sent, the output formats, and the connection options.

use serde_json::json;

use crate::support::{Home, Reply, Server, disks};

/// Every property flag at once, and the body that reaches the server.
#[test]
fn every_property_flag_reaches_the_wire() {
    let home = Home::new("flags");
    let server = disks();
    let run = home
        .katapult()
        .against(&server, "t0ken")
        .args([
            "disk",
            "update",
            "--disk-id",
            "disk_1",
            "--name",
            "logs",
            "--bus-type",
            "virtio",
            "--storage-speed",
            "nvme",
            "--size-in-gb",
            "40",
            "--initial-file-system",
            "xfs",
            "--boot",
            "false",
            "--attach-on-boot",
            "true",
            "--attach",
            "true",
            "--io-profile-permalink",
            "fast",
            "--data-center-id",
            "loc_1",
            "--virtual-machine-fqdn",
            "web-1.example",
            "--annotation",
            "team=storage",
            "--annotation",
            "bare",
            "--annotation",
            "empty=",
        ])
        .run();
    run.exits(0);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method(), "PATCH");
    assert_eq!(request.target(), "/disks/disk");
    assert_eq!(request.header("authorization"), Some("Bearer t0ken"));
    assert_eq!(
        request.json(),
        json!({
            "disk": {"id": "disk_1"},
            "properties": {
                "name": "logs",
                "bus_type": "virtio",
                "storage_speed": "nvme",
                "size_in_gb": 40,
                "initial_file_system": "xfs",
                "io_profile": {"permalink": "fast"},
                "data_center": {"id": "loc_1"},
                "virtual_machine_disk": {
                    "boot": false,
                    "attach_on_boot": true,
                    "attach": true,
                    "virtual_machine": {"fqdn": "web-1.example"}
                }
            },
            "annotations": [
                {"key": "team", "value": "storage"},
                {"key": "bare"},
                {"key": "empty", "value": ""}
            ]
        })
    );
    // The other member of each lookup.
    let run = home
        .katapult()
        .against(&server, "t0ken")
        .args([
            "disk",
            "update",
            "--disk-id",
            "disk_2",
            "--io-profile-id",
            "iop_1",
            "--data-center-permalink",
            "uk-lon-01",
            "--virtual-machine-id",
            "vm_1",
        ])
        .run();
    run.exits(0);
    assert_eq!(
        server.requests()[1].json(),
        json!({
            "disk": {"id": "disk_2"},
            "properties": {
                "io_profile": {"id": "iop_1"},
                "data_center": {"permalink": "uk-lon-01"},
                "virtual_machine_disk": {"virtual_machine": {"id": "vm_1"}}
            }
        })
    );
}

/// Only what is given is sent: no flags but the disk sends empty
/// properties and no annotations.
#[test]
fn only_the_flags_given_are_sent() {
    let home = Home::new("minimal");
    let server = disks();
    home.katapult()
        .against(&server, "t")
        .args(["disk", "update", "--disk-id", "disk_1"])
        .run()
        .exits(0);
    assert_eq!(
        server.requests()[0].json(),
        json!({"disk": {"id": "disk_1"}, "properties": {}})
    );
}

#[test]
fn clear_annotations_sends_an_empty_list() {
    let home = Home::new("clear");
    let server = disks();
    home.katapult()
        .against(&server, "t")
        .args(["disk", "update", "--disk-id", "d", "--clear-annotations"])
        .run()
        .exits(0);
    assert_eq!(
        server.requests()[0].json(),
        json!({"disk": {"id": "d"}, "properties": {}, "annotations": []})
    );
}

/// Each lookup pair, and the other exclusive pairs: a usage error, nothing sent.
#[test]
fn conflicting_flags_are_usage_errors_and_send_nothing() {
    let home = Home::new("conflicts");
    let server = disks();
    for pair in [
        ["--io-profile-id", "--io-profile-permalink"],
        ["--data-center-id", "--data-center-permalink"],
        ["--virtual-machine-id", "--virtual-machine-fqdn"],
        ["--annotation", "--clear-annotations"],
    ] {
        let mut args = vec!["disk", "update", "--disk-id", "d"];
        for flag in pair {
            args.push(flag);
            if flag != "--clear-annotations" {
                args.push("x=y");
            }
        }
        let run = home.katapult().against(&server, "t").args(&args).run();
        run.exits(2);
        assert!(
            run.stderr.contains("cannot be used with"),
            "{pair:?}: {run:?}"
        );
        assert!(
            run.stderr.contains(pair[0]) && run.stderr.contains(pair[1]),
            "{run:?}"
        );
    }
    assert!(server.requests().is_empty());
}

#[test]
fn bad_values_are_usage_errors() {
    let home = Home::new("values");
    let server = disks();
    for (flag, value, expected) in [
        ("--bus-type", "ide", "[possible values: scsi, virtio]"),
        ("--storage-speed", "hdd", "[possible values: nvme, ssd]"),
        (
            "--initial-file-system",
            "ntfs",
            "[possible values: ext4, xfs]",
        ),
        ("--boot", "yes", "[possible values: true, false]"),
        ("--size-in-gb", "ten", "invalid digit"),
        ("--annotation", "=v", "the key is empty"),
        ("--timeout", "0", "positive number of seconds"),
        ("--rate-limit-window", "0.5", "invalid digit"),
        ("--rate-limit-window", "0", "0 is not in 1..=86400"),
    ] {
        let run = home
            .katapult()
            .against(&server, "t")
            .args(["disk", "update", "--disk-id", "d", flag, value])
            .run();
        run.exits(2);
        assert!(run.stderr.contains(expected), "{flag} {value}: {run:?}");
    }
    let run = home
        .katapult()
        .against(&server, "t")
        .args(["disk", "update", "--name", "x"])
        .run();
    run.exits(2);
    assert!(run.stderr.contains("--disk-id <ID>"), "{run:?}");
    assert!(server.requests().is_empty());
}

#[test]
fn json_body_from_a_file_and_from_stdin() {
    let home = Home::new("json-body");
    let server = disks();
    let body = json!({
        "disk": {"id": "disk_9"},
        "properties": {"name": "from-json", "virtual_machine_disk": {"boot": true}},
        "annotations": []
    });
    let file = home.file("body.json", &body.to_string(), 0o600);
    home.katapult()
        .against(&server, "t")
        .args(["disk", "update", "--json-body"])
        .args([&file])
        .run()
        .exits(0);
    home.katapult()
        .against(&server, "t")
        .args(["disk", "update", "--json-body", "-"])
        .stdin(&body.to_string())
        .run()
        .exits(0);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in requests {
        assert_eq!(request.json(), body);
    }
}

/// `--json-body` is checked against the request type first: nothing that
/// fails the check is sent.
#[test]
fn json_body_is_checked_before_anything_is_sent() {
    let home = Home::new("json-check");
    let server = disks();
    for (body, expected) in [
        ("{not json", "not valid JSON"),
        (r#"{"properties": {}}"#, "missing field `disk`"),
        (
            r#"{"disk": {"id": "d"}, "properties": {"nmae": "x"}}"#,
            "`properties.nmae` is not a field of the request body",
        ),
        (
            r#"{"disk": {"id": "d"}, "properties": {"bus_type": "ide"}}"#,
            "unknown variant `ide`",
        ),
        (
            r#"{"disk": {"id": "d"}, "properties": {"name": null}}"#,
            "`properties.name` is null",
        ),
        ("[]", "not an array"),
    ] {
        let run = home
            .katapult()
            .against(&server, "t")
            .args(["disk", "update", "--json-body", "-"])
            .stdin(body)
            .run();
        run.exits(2);
        assert!(run.stderr.contains(expected), "{body}: {run:?}");
        assert!(run.stderr.contains("nothing was sent"), "{run:?}");
    }
    let missing = home
        .katapult()
        .against(&server, "t")
        .args(["disk", "update", "--json-body", "/nonexistent/body.json"])
        .run();
    missing.exits(2);
    assert!(missing.stderr.contains("cannot read it"), "{missing:?}");
    assert!(server.requests().is_empty());
}

#[test]
fn json_body_conflicts_with_the_property_flags() {
    let home = Home::new("json-conflict");
    for flag in [
        &["--name", "x"][..],
        &["--disk-id", "d"],
        &["--clear-annotations"],
    ] {
        let run = home
            .katapult()
            .args(["disk", "update", "--json-body", "-", "--mock"])
            .args(flag)
            .stdin("{}")
            .run();
        run.exits(2);
        assert!(
            run.stderr.contains("cannot be used with"),
            "{flag:?}: {run:?}"
        );
    }
}

#[test]
fn output_json_is_the_response_body_pretty_printed() {
    let home = Home::new("output-json");
    let run = home
        .katapult()
        .args([
            "disk",
            "update",
            "--mock",
            "--disk-id",
            "disk_1",
            "--name",
            "logs",
        ])
        .run();
    run.exits(0);
    let body = run.json();
    assert_eq!(body["disk"]["id"], "disk_1");
    assert_eq!(body["disk"]["name"], "logs");
    // Pretty-printed, and exactly what `--output json` gives.
    assert!(run.stdout.starts_with("{\n  \""), "{run:?}");
    let explicit = home
        .katapult()
        .args([
            "disk",
            "update",
            "--mock",
            "--disk-id",
            "disk_1",
            "--name",
            "logs",
        ])
        .args(["--output", "json"])
        .run();
    assert_eq!(explicit.stdout, run.stdout);
    assert!(run.stderr.is_empty(), "{run:?}");
}

#[test]
fn output_table_is_a_short_summary() {
    let home = Home::new("output-table");
    let run = home
        .katapult()
        .args([
            "disk",
            "update",
            "--mock",
            "--disk-id",
            "disk_1",
            "--name",
            "logs",
        ])
        .args([
            "--bus-type",
            "scsi",
            "--annotation",
            "owner=ops",
            "--output",
            "table",
        ])
        .run();
    run.exits(0);
    for line in [
        "disk           disk_1",
        "name           logs",
        "bus type       scsi",
        "annotations    owner=ops",
        "request id     00000000-0000-4000-8000-000000000001",
    ] {
        assert!(
            run.stdout.lines().any(|l| l == line),
            "{line:?}: {}",
            run.stdout
        );
    }
}

/// `--mock` is offline: no token, no URL, no server of the test's.
#[test]
fn mock_needs_nothing() {
    let home = Home::new("mock");
    let run = home
        .katapult()
        .args([
            "--mock",
            "disk",
            "update",
            "--disk-id",
            "disk_7",
            "--storage-speed",
            "nvme",
        ])
        .run();
    run.exits(0);
    assert_eq!(run.json()["disk"]["storage_speed"], "nvme");
    // It takes no credentials.
    let run = home
        .katapult()
        .args([
            "--mock",
            "--profile",
            "p",
            "disk",
            "update",
            "--disk-id",
            "d",
        ])
        .run();
    run.exits(2);
}

#[test]
fn timeout_bounds_each_attempt() {
    let home = Home::new("timeout");
    let server = Server::start_in_background(|_, _| Reply::Hang);
    let run = home
        .katapult()
        .against(&server, "t")
        .args(["disk", "update", "--disk-id", "d", "--timeout", "0.3"])
        .run();
    run.exits(3);
    assert!(run.stderr.contains("within the 300ms timeout"), "{run:?}");
    assert!(
        run.stderr
            .contains("the update may have been applied: check the disk before retrying"),
        "{run:?}"
    );
    // Update disk is safe to send twice (`x-idempotent` in the fragment),
    // so a timeout is retried, within the attempt budget (5).
    let sent = server.requests().len();
    assert!((2..=5).contains(&sent), "{sent} requests: {run:?}");
}

#[test]
fn debug_prints_traces_and_never_the_token() {
    let home = Home::new("debug");
    let server = disks();
    let token = "s3cr3t-t0ken-value";
    let run = home
        .katapult()
        .against(&server, token)
        .args(["--debug", "disk", "update", "--disk-id", "d"])
        .run();
    run.exits(0);
    assert!(run.stderr.contains("katapult.request"), "{run:?}");
    assert!(run.stderr.contains("API token found"), "{run:?}");
    assert!(!run.stderr.contains(token), "{run:?}");
    assert!(!run.stdout.contains(token), "{run:?}");
    // Without --debug, nothing on stderr.
    let quiet = home
        .katapult()
        .against(&server, token)
        .args(["disk", "update", "--disk-id", "d"])
        .run();
    assert!(quiet.stderr.is_empty(), "{quiet:?}");
}
