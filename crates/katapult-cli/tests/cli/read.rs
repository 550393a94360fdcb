//! `disk get`, `task get` and `task wait`, against `--mock` and the
//! scripted server.

use serde_json::json;

use crate::support::{Home, Server, json};

fn task(status: &str, progress: u8) -> serde_json::Value {
    json!({"task": {"id": "task_1", "name": "Grow disk", "status": status, "progress": progress}})
}

#[test]
fn disk_get_prints_the_response_body() {
    let home = Home::new("disk-get");
    let run = home
        .katapult()
        .args(["--mock", "disk", "get", "--disk-id", "disk_demo"])
        .run();
    run.exits(0);
    let body = run.json();
    assert_eq!(body["disk"]["id"], "disk_demo", "{run:?}");
    assert_eq!(body["disk"]["size_in_gb"], 20, "{run:?}");
    assert!(body["annotations"].is_array(), "{run:?}");
}

#[test]
fn disk_get_as_a_table() {
    let home = Home::new("disk-get-table");
    let run = home
        .katapult()
        .args(["--mock", "disk", "get", "--disk-id", "disk_demo"])
        .args(["--output", "table"])
        .run();
    run.exits(0);
    assert!(run.stdout.contains("disk_demo"), "{run:?}");
    assert!(run.stdout.contains("20 GB"), "{run:?}");
    assert!(run.stdout.contains("attached to"), "{run:?}");
}

#[test]
fn disk_get_sends_the_lookup_in_the_query() {
    let home = Home::new("disk-get-query");
    let server = Server::start_in_background(|_, n| {
        json(200, n, json!({"disk": {"id": "disk_1"}, "annotations": []}))
    });
    server.record_requests(true);
    home.katapult()
        .against(&server, "t")
        .args(["disk", "get", "--disk-id", "disk_1"])
        .run()
        .exits(0);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method(), "GET");
    assert_eq!(requests[0].target(), "/disks/disk?disk%5Bid%5D=disk_1");
}

#[test]
fn task_get_prints_the_task() {
    let home = Home::new("task-get");
    let server = Server::start_in_background(|_, n| json(200, n, task("running", 40)));
    let run = home
        .katapult()
        .against(&server, "t")
        .args(["task", "get", "--task-id", "task_1"])
        .run();
    run.exits(0);
    assert_eq!(run.json(), task("running", 40), "{run:?}");
    assert!(run.stderr.is_empty(), "{run:?}");
}

#[test]
fn an_unknown_task_is_the_typed_404() {
    let home = Home::new("task-404");
    for command in ["get", "wait"] {
        let run = home
            .katapult()
            .args(["--mock", "task", command, "--task-id", "task_nope"])
            .run();
        run.exits(1);
        assert!(
            run.stderr.contains("404 task_not_found"),
            "{command}: {run:?}"
        );
        assert!(run.stdout.is_empty(), "{command}: {run:?}");
    }
}

#[test]
fn task_wait_reads_then_waits_until_completed() {
    let home = Home::new("task-wait");
    let server = Server::start_in_background(|_, n| match n {
        1 => json(200, n, task("pending", 0)),
        2 => json(200, n, task("running", 50)),
        _ => json(200, n, task("completed", 100)),
    });
    let run = home
        .katapult()
        .against(&server, "t")
        .args(["task", "wait", "--task-id", "task_1"])
        .run();
    run.exits(0);
    assert_eq!(run.json(), task("completed", 100), "{run:?}");
    assert_eq!(server.hits(), 3);
    // stderr is not a terminal here: no progress drawn.
    assert!(run.stderr.is_empty(), "{run:?}");
}

#[test]
fn a_failed_task_exits_1_naming_it() {
    let home = Home::new("task-failed");
    let server = Server::start_in_background(|_, n| match n {
        1 => json(200, n, task("running", 10)),
        _ => json(200, n, task("failed", 10)),
    });
    let run = home
        .katapult()
        .against(&server, "t")
        .args(["task", "wait", "--task-id", "task_1", "--output", "table"])
        .run();
    run.exits(1);
    assert!(run.stderr.contains("task_1"), "{run:?}");
    assert!(run.stdout.contains("failed"), "{run:?}");
}

/// `--timeout` bounds the whole wait here (each poll is answered at once,
/// so a per-attempt limit would never end it), on either side of the
/// command; `--deadline` is the same option.
#[test]
fn a_task_past_the_timeout_exits_1() {
    let home = Home::new("task-deadline");
    let server = Server::start_in_background(|_, n| json(200, n, task("running", 10)));
    let wait = ["task", "wait", "--task-id", "task_1"];
    let forms: [&[&str]; 3] = [
        &[&wait[..], &["--timeout", "0.3"]].concat(),
        &[&["--timeout", "0.3"], &wait[..]].concat(),
        &[&wait[..], &["--deadline", "0.3"]].concat(),
    ];
    for args in forms {
        let run = home.katapult().against(&server, "t").args(args).run();
        run.exits(1);
        assert!(run.stderr.contains("task_1"), "{args:?}: {run:?}");
        assert_eq!(run.json()["task"]["status"], "running", "{args:?}: {run:?}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn task_wait_draws_progress_on_a_terminal() {
    let home = Home::new("task-wait-tty");
    let server = Server::start_in_background(|_, n| match n {
        1 => json(200, n, task("running", 30)),
        _ => json(200, n, task("completed", 100)),
    });
    let url = server.base_url();
    let run = home
        .katapult_in_a_terminal(&["task", "wait", "--task-id", "task_1"])
        .env("KATAPULT_API_TOKEN", "t")
        .env("KATAPULT_API_URL", &url)
        .run();
    run.exits(0);
    assert!(
        run.stdout.contains("task task_1 (Grow disk): running 30%"),
        "{run:?}"
    );
}
