//! `disk change`: planned, routed, waited for and verified by katapult-core;
//! here, the command line around it, against `--mock` (whose tasks end
//! after a short simulated time) and the scripted server.

use serde_json::json;

use crate::support::{Home, Server, json};

#[test]
fn a_change_runs_each_step_and_reports_it() {
    let home = Home::new("change");
    let run = home
        .katapult()
        .args(["--mock", "disk", "change", "--disk-id", "disk_demo"])
        .args(["--name", "db", "--size-in-gb", "30"])
        .run();
    run.exits(0);
    let report = run.json();
    let operations: Vec<&str> = report["plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["operation"].as_str().unwrap())
        .collect();
    assert_eq!(operations, ["update_disk", "resize_disk"], "{run:?}");
    assert_eq!(report["plan"][1]["from"], 20);
    assert_eq!(report["plan"][1]["to"], 30);
    assert_eq!(report["tasks"][0]["task"]["status"], "completed", "{run:?}");
    assert_eq!(report["reconciled"], json!([]));
    // The disk as read at the end shows the change.
    assert_eq!(report["disk"]["name"], "db", "{run:?}");
    assert_eq!(report["disk"]["size_in_gb"], 30, "{run:?}");
}

#[test]
fn a_change_that_asks_for_nothing_sends_nothing() {
    let home = Home::new("change-nothing");
    let run = home
        .katapult()
        .args([
            "--mock",
            "disk",
            "change",
            "--disk-id",
            "disk_demo",
            "--name",
            "data",
        ])
        .run();
    run.exits(0);
    let report = run.json();
    assert_eq!(report["plan"], json!([]), "{run:?}");
    assert_eq!(report["steps"], json!([]), "{run:?}");
    assert_eq!(report["disk"]["name"], "data", "{run:?}");
}

#[test]
fn plan_prints_the_plan_and_writes_nothing() {
    let home = Home::new("change-plan");
    let server = Server::start_in_background(|_, n| {
        json(
            200,
            n,
            json!({"disk": {"id": "disk_1", "name": "data", "state": "built", "size_in_gb": 20}, "annotations": []}),
        )
    });
    server.record_requests(true);
    let run = home
        .katapult()
        .against(&server, "t")
        .args(["disk", "change", "--disk-id", "disk_1", "--plan"])
        .args(["--name", "db", "--size-in-gb", "30"])
        .run();
    run.exits(0);
    assert_eq!(
        run.json()["plan"],
        json!([
            {"property": "name", "from": "data", "to": "db", "operation": "update_disk"},
            {"property": "size_in_gb", "from": 20, "to": 30, "operation": "resize_disk"},
        ]),
        "{run:?}"
    );
    let methods: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.method().to_owned())
        .collect();
    assert_eq!(methods, ["GET"]);

    let run = home
        .katapult()
        .against(&server, "t")
        .args([
            "disk",
            "change",
            "--disk-id",
            "disk_1",
            "--plan",
            "--output",
            "table",
        ])
        .args(["--name", "db"])
        .run();
    run.exits(0);
    assert!(
        run.stdout.starts_with(
            "property  from    to    operation\nname      \"data\"  \"db\"  update_disk\n"
        ),
        "{run:?}"
    );
}

#[test]
fn a_refused_plan_exits_2_with_nothing_written() {
    let home = Home::new("change-refused");
    // Shrinking needs the disk detached, and this one is attached.
    let server = Server::start_in_background(|_, n| {
        json(
            200,
            n,
            json!({
            "disk": {"id": "disk_1", "state": "built", "size_in_gb": 20,
                     "virtual_machine_disk": {"state": "attached", "attach_on_boot": true, "boot": false,
                                              "virtual_machine": {"id": "vm_1"}}},
            "annotations": []}),
        )
    });
    server.record_requests(true);
    let run = home
        .katapult()
        .against(&server, "t")
        .args([
            "disk",
            "change",
            "--disk-id",
            "disk_1",
            "--size-in-gb",
            "10",
        ])
        .run();
    run.exits(2);
    assert!(run.stderr.contains("nothing was written"), "{run:?}");
    assert!(server.requests().iter().all(|r| r.method() == "GET"));
}

#[test]
fn a_failed_task_exits_1_naming_it_with_the_report() {
    let home = Home::new("change-task-failed");
    let server = Server::start_in_background(|request, n| {
        let disk = json!({"id": "disk_1", "state": "built", "size_in_gb": 20});
        match (request.method(), request.target()) {
            ("GET", target) if target.starts_with("/tasks/") => json(
                200,
                n,
                json!({"task": {"id": "task_9", "name": "Grow disk", "status": "failed", "progress": 0}}),
            ),
            ("GET", _) => json(200, n, json!({"disk": disk, "annotations": []})),
            _ => json(
                200,
                n,
                json!({"disk": disk, "task": {"id": "task_9", "status": "pending", "progress": 0}}),
            ),
        }
    });
    let run = home
        .katapult()
        .against(&server, "t")
        .args([
            "disk",
            "change",
            "--disk-id",
            "disk_1",
            "--size-in-gb",
            "30",
        ])
        .run();
    run.exits(1);
    assert!(run.stderr.contains("task_9"), "{run:?}");
    let report = run.json();
    assert_eq!(report["steps"][0]["operation"], "resize_disk", "{run:?}");
}

/// `--timeout` bounds the whole change (every answer comes at once, so a
/// per-attempt limit would never end it), on either side of the command;
/// `--deadline` is the same option.
#[test]
fn a_change_past_its_timeout_exits_1_with_the_report() {
    let home = Home::new("change-timeout");
    let server = Server::start_in_background(|request, n| {
        let disk = json!({"id": "disk_1", "state": "built", "size_in_gb": 20});
        let task = json!({"id": "task_9", "name": "Grow disk", "status": "running", "progress": 5});
        match (request.method(), request.target()) {
            ("GET", target) if target.starts_with("/tasks/") => json(200, n, json!({"task": task})),
            ("GET", _) => json(200, n, json!({"disk": disk, "annotations": []})),
            _ => json(200, n, json!({"disk": disk, "task": task})),
        }
    });
    let change = [
        "disk",
        "change",
        "--disk-id",
        "disk_1",
        "--size-in-gb",
        "30",
    ];
    let forms: [&[&str]; 3] = [
        &[&change[..], &["--timeout", "0.5"]].concat(),
        &[&["--timeout", "0.5"], &change[..]].concat(),
        &[&change[..], &["--deadline", "0.5"]].concat(),
    ];
    for args in forms {
        let run = home.katapult().against(&server, "t").args(args).run();
        run.exits(1);
        assert!(run.stderr.contains("task_9"), "{args:?}: {run:?}");
        let report = run.json();
        assert_eq!(
            report["tasks"][0]["task"]["status"], "running",
            "{args:?}: {run:?}"
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_single_change_draws_its_steps_on_a_terminal() {
    let home = Home::new("change-tty");
    let run = home
        .katapult_in_a_terminal(&[
            "--mock",
            "disk",
            "change",
            "--disk-id",
            "disk_demo",
            "--size-in-gb",
            "30",
        ])
        .run();
    run.exits(0);
    // The terminal gets stdout and stderr both: the report, and the steps
    // drawn over one line.
    assert!(
        run.stdout.contains("step 1/1 resize_disk: started"),
        "{run:?}"
    );
    assert!(run.stdout.contains("(Grow disk): pending 0%"), "{run:?}");
    assert!(run.stdout.contains("step 1/1 resize_disk: done"), "{run:?}");
}

/// `--from` conflicts with every property flag, generated or change-only
/// (by their groups), and each such mistake sends nothing.
#[test]
fn from_conflicts_with_every_property_flag() {
    let home = Home::new("change-from-conflicts");
    let server = Server::start_in_background(|_, n| json(500, n, json!({})));
    let flags: [&[&str]; 5] = [
        &["--disk-id", "disk_1"],
        &["--name", "x"],
        &["--boot", "true"],
        &["--attached", "true"],
        &["--unassign"],
    ];
    for flag in flags {
        let run = home
            .katapult()
            .against(&server, "t")
            .args(["disk", "change", "--from", "-"])
            .args(flag)
            .stdin("")
            .run();
        run.exits(2);
        assert!(
            run.stderr.contains("cannot be used with"),
            "{flag:?}: {run:?}"
        );
    }
    assert_eq!(server.hits(), 0);
}

#[test]
fn a_size_that_is_not_a_positive_integer_is_a_usage_error() {
    let home = Home::new("change-bad-size");
    let server = Server::start_in_background(|_, n| json(500, n, json!({})));
    for size in ["--size-in-gb=0", "--size-in-gb=-3", "--size-in-gb=2.5"] {
        let run = home
            .katapult()
            .against(&server, "t")
            .args(["disk", "change", "--disk-id", "disk_1", size])
            .run();
        run.exits(2);
        assert!(run.stdout.is_empty(), "{size}: {run:?}");
    }
    assert_eq!(server.hits(), 0);
}

#[test]
fn from_runs_each_line_and_reports_each_on_its_own() {
    let home = Home::new("change-from");
    let input = [
        r#"{"disk": {"id": "disk_1"}, "properties": {"name": "a", "size_in_gb": 30}}"#,
        "not json",
        "",
        r#"{"disk": {"id": "disk_2"}, "atached": true}"#,
        r#"{"disk": {"id": "disk_3"}, "attached": true}"#,
        r#"{"disk": {"id": "disk_4"}, "properties": {"name": "data"}}"#,
    ]
    .join("\n");
    let run = home
        .katapult()
        .args([
            "--mock",
            "disk",
            "change",
            "--from",
            "-",
            "--concurrency",
            "2",
        ])
        .stdin(&input)
        .run();
    // One line failed, so 1; every other line still ran.
    run.exits(1);
    let mut lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    lines.sort_by_key(|line| line["line"].as_u64());
    let summary: Vec<(u64, bool, &str)> = lines
        .iter()
        .map(|line| {
            (
                line["line"].as_u64().unwrap(),
                line["ok"].as_bool().unwrap(),
                line["kind"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, true, "-"),
            (2, false, "input"),
            (4, false, "input"),
            (5, false, "refused"),
            (6, true, "-"),
        ],
        "{run:?}"
    );
    assert_eq!(lines[0]["disk"]["size_in_gb"], 30, "{run:?}");
    assert_eq!(lines[0]["plan"].as_array().unwrap().len(), 2, "{run:?}");
    assert_eq!(lines[4]["plan"], json!([]), "{run:?}");
    assert!(
        lines[2]["error"].as_str().unwrap().contains("`atached`"),
        "{run:?}"
    );
}
