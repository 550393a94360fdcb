//! The raw writes (`disk resize`, `io-profile`, `attach`, `detach`,
//! `assign`, `unassign`): each sends its one operation from the generated
//! flags and prints the answer without waiting.

use serde_json::json;

use crate::support::{Home, Server, json};

/// Every write answers with a disk and, for those that take time, a task.
fn answered() -> Server {
    let server = Server::start_in_background(|_, n| {
        json(
            200,
            n,
            json!({"disk": {"id": "disk_1", "size_in_gb": 20},
                   "task": {"id": "task_1", "status": "pending", "progress": 0}}),
        )
    });
    server.record_requests(true);
    server
}

#[test]
fn each_write_sends_its_operation_from_the_flags() {
    let cases: [(&[&str], &str, &str, serde_json::Value); 7] = [
        (
            &["resize", "--disk-id", "disk_1", "--size-in-gb", "30"],
            "PUT",
            "/disks/disk/resize",
            json!({"disk": {"id": "disk_1"}, "size_in_gb": 30}),
        ),
        (
            &[
                "resize",
                "--disk-id",
                "disk_1",
                "--size-in-gb",
                "30",
                "--resize-method",
                "online",
            ],
            "PUT",
            "/disks/disk/resize",
            json!({"disk": {"id": "disk_1"}, "size_in_gb": 30, "resize_method": "online"}),
        ),
        (
            &[
                "io-profile",
                "--disk-id",
                "disk_1",
                "--io-profile-permalink",
                "fast",
            ],
            "PUT",
            "/disks/disk/io_profile",
            json!({"disk": {"id": "disk_1"}, "io_profile": {"permalink": "fast"}}),
        ),
        (
            &["attach", "--disk-id", "disk_1"],
            "POST",
            "/disks/disk/attach",
            json!({"disk": {"id": "disk_1"}}),
        ),
        (
            &["detach", "--disk-id", "disk_1"],
            "POST",
            "/disks/disk/detach",
            json!({"disk": {"id": "disk_1"}}),
        ),
        (
            &[
                "assign",
                "--disk-id",
                "disk_1",
                "--virtual-machine-id",
                "vm_1",
            ],
            "POST",
            "/disks/disk/assign",
            json!({"disk": {"id": "disk_1"}, "virtual_machine": {"id": "vm_1"}}),
        ),
        (
            &["unassign", "--disk-id", "disk_1"],
            "POST",
            "/disks/disk/unassign",
            json!({"disk": {"id": "disk_1"}}),
        ),
    ];
    let home = Home::new("writes");
    for (args, method, path, body) in cases {
        let server = answered();
        let run = home
            .katapult()
            .against(&server, "t")
            .arg("disk")
            .args(args)
            .run();
        run.exits(0);
        // The answer as received, and no wait: one request.
        assert_eq!(run.json()["task"]["status"], "pending", "{args:?}: {run:?}");
        let requests = server.requests();
        assert_eq!(requests.len(), 1, "{args:?}");
        assert_eq!(requests[0].method(), method, "{args:?}");
        assert_eq!(requests[0].target(), path, "{args:?}");
        assert_eq!(requests[0].json(), body, "{args:?}");
    }
}

#[test]
fn a_size_that_is_not_a_positive_integer_is_a_usage_error() {
    let home = Home::new("resize-bad-size");
    let server = answered();
    for size in [
        "--size-in-gb=0",
        "--size-in-gb=-5",
        "--size-in-gb=1.5",
        "--size-in-gb=big",
    ] {
        let run = home
            .katapult()
            .against(&server, "t")
            .args(["disk", "resize", "--disk-id", "disk_1", size])
            .run();
        run.exits(2);
        assert!(run.stdout.is_empty(), "{size}: {run:?}");
    }
    assert_eq!(server.hits(), 0);
}

#[test]
fn a_write_against_the_mock() {
    let home = Home::new("resize-mock");
    let run = home
        .katapult()
        .args([
            "--mock",
            "disk",
            "resize",
            "--disk-id",
            "disk_demo",
            "--size-in-gb",
            "30",
        ])
        .run();
    run.exits(0);
    let body = run.json();
    // The answer shows the disk as it was.
    assert_eq!(body["disk"]["size_in_gb"], 20, "{run:?}");
    assert!(body["task"]["id"].is_string(), "{run:?}");
}

#[test]
fn katapult_refusing_a_transition_exits_1() {
    let home = Home::new("detach-mock");
    let run = home
        .katapult()
        .args(["--mock", "disk", "detach", "--disk-id", "disk_demo"])
        .run();
    run.exits(1);
    assert!(run.stderr.contains("422 unassigned_disk"), "{run:?}");
}

#[test]
fn a_write_from_a_json_body_and_as_a_dry_run() {
    let home = Home::new("resize-json-body");
    let body = home.file(
        "resize.json",
        r#"{"disk": {"id": "disk_1"}, "size_in_gb": 40}"#,
        0o644,
    );
    let run = home
        .katapult()
        .args(["disk", "resize", "--dry-run", "--json-body"])
        .arg(&body)
        .run();
    run.exits(0);
    assert!(run.stdout.starts_with("PUT "), "{run:?}");
    assert!(run.stdout.contains("/disks/disk/resize\n"), "{run:?}");
    assert!(
        run.stdout
            .ends_with("\n{\"disk\":{\"id\":\"disk_1\"},\"size_in_gb\":40}\n"),
        "{run:?}"
    );
    assert!(run.stderr.contains("no API token"), "{run:?}");

    // A misspelt field is refused, as `disk update` refuses it.
    let bad = home.file(
        "bad.json",
        r#"{"disk": {"id": "d"}, "size_in_gb": 4, "methd": "x"}"#,
        0o644,
    );
    let run = home
        .katapult()
        .args(["disk", "resize", "--dry-run", "--json-body"])
        .arg(&bad)
        .run();
    run.exits(2);
    assert!(run.stderr.contains("`methd` is not a field"), "{run:?}");
}
