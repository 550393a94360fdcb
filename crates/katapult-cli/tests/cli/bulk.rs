//! `--from`: one JSON line out per line in, malformed lines reported and
//! skipped, the exit code, the concurrency bound, and the rate-limit window.

use std::collections::BTreeMap;
use std::time::Duration;

use katapult_test_server::http_date_now;
use serde_json::{Value, json};

use crate::support::{Home, Reply, Run, Server, disk, disk_with, json};

/// The output lines, by input line number.
fn lines(run: &Run) -> BTreeMap<u64, Value> {
    run.stdout
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("not a JSON line ({error}): {line:?}"));
            (value["line"].as_u64().unwrap(), value)
        })
        .collect()
}

fn body(id: &str) -> String {
    json!({"disk": {"id": id}, "properties": {"name": "fleet"}}).to_string()
}

/// A server answering 404 `disk_not_found` for the disk `missing`, and the
/// disk otherwise.
fn fleet() -> Server {
    Server::start_in_background(|request, number| {
        if request.json()["disk"]["id"] == "missing" {
            json(
                404,
                number,
                json!({"error": {"code": "disk_not_found", "description": "No disk was found", "detail": {}}}),
            )
        } else {
            disk(request, number)
        }
    })
}

#[test]
fn one_line_out_per_line_in_and_a_malformed_line_does_not_stop_the_rest() {
    let home = Home::new("bulk");
    let server = fleet();
    let input = [
        body("disk_1"),
        "{\"disk\": {\"id\": ".to_owned(),
        body("missing"),
        String::new(),
        json!({"disk": {"id": "disk_5"}, "properties": {"nmae": "x"}}).to_string(),
        body("disk_6"),
    ]
    .join("\n");
    let file = home.file("updates.jsonl", &input, 0o600);
    let run = home
        .katapult()
        .against(&server, "t")
        .args(["disk", "update", "--from"])
        .arg(&file)
        .run();
    run.exits(1);
    let out = lines(&run);
    assert_eq!(
        out.keys().copied().collect::<Vec<_>>(),
        [1, 2, 3, 5, 6],
        "{run:?}"
    );

    for line in [1, 6] {
        let value = &out[&line];
        assert_eq!(value["ok"], true, "{value}");
        assert_eq!(value["disk"]["name"], "data", "{value}");
    }
    assert_eq!(out[&1]["disk"]["id"], "disk_1");
    assert_eq!(out[&6]["disk"]["id"], "disk_6");

    let malformed = &out[&2];
    assert_eq!(malformed["ok"], false);
    assert_eq!(malformed["kind"], "input");
    assert_eq!(malformed["status"], Value::Null);
    assert!(
        malformed["error"]
            .as_str()
            .unwrap()
            .starts_with("line 2: not valid JSON"),
        "{malformed}"
    );

    let misspelt = &out[&5];
    assert_eq!(misspelt["kind"], "input");
    assert!(
        misspelt["error"]
            .as_str()
            .unwrap()
            .contains("`properties.nmae`"),
        "{misspelt}"
    );

    let refused = &out[&3];
    assert_eq!(refused["ok"], false);
    assert_eq!(refused["kind"], "api");
    assert_eq!(refused["status"], 404);
    assert_eq!(refused["code"], "disk_not_found");
    let id = refused["request_id"].as_str().unwrap();
    assert!(id.starts_with("req-"), "{refused}");
    assert!(refused["error"].as_str().unwrap().contains(id), "{refused}");

    // Three sent; the malformed lines were not.
    assert_eq!(server.requests().len(), 3);
    // stderr is not a terminal here: no progress bar, nothing at all.
    assert!(run.stderr.is_empty(), "{run:?}");
}

#[test]
fn zero_when_every_line_succeeds_reading_stdin() {
    let home = Home::new("bulk-stdin");
    let input: String = (1..=12)
        .map(|n| body(&format!("disk_{n}")) + "\n")
        .collect();
    let run = home
        .katapult()
        .args([
            "--mock",
            "disk",
            "update",
            "--from",
            "-",
            "--concurrency",
            "3",
        ])
        .stdin(&input)
        .run();
    run.exits(0);
    let out = lines(&run);
    assert_eq!(out.len(), 12);
    for (line, value) in &out {
        assert_eq!(value["ok"], true, "{value}");
        assert_eq!(value["disk"]["id"], format!("disk_{line}"));
        assert_eq!(value["disk"]["name"], "fleet");
    }
    assert!(run.stderr.is_empty(), "{run:?}");
}

/// On a terminal, stderr shows the progress bar, redrawn in place and
/// cleared at the end (the test above shows it absent otherwise).
#[cfg(target_os = "linux")]
#[test]
fn a_terminal_gets_a_progress_bar() {
    let home = Home::new("bulk-terminal");
    let input: String = (1..=3).map(|n| body(&format!("disk_{n}")) + "\n").collect();
    let file = home.file("updates.jsonl", &input, 0o600);
    let run = home
        .katapult_in_a_terminal(&["--mock", "disk", "update", "--from", file.to_str().unwrap()])
        .run();
    run.exits(0);
    // The terminal's text: the bar's lines and the JSON lines, in one stream.
    assert!(
        run.stdout
            .contains("\r[------------------------] 0/3  ok 0  failed 0"),
        "{run:?}"
    );
    assert_eq!(run.stdout.matches("\"ok\":true").count(), 3, "{run:?}");
}

#[test]
fn concurrency_bounds_the_requests_in_flight() {
    let home = Home::new("bulk-concurrency");
    let server = Server::start_in_background(|request, number| {
        // Long enough for the client to start more if it would.
        Reply::After(Duration::from_millis(30), Box::new(disk(request, number)))
    });
    let input: String = (1..=10).map(|n| body(&format!("d{n}")) + "\n").collect();
    home.katapult()
        .against(&server, "t")
        .args(["disk", "update", "--from", "-", "--concurrency", "2"])
        .stdin(&input)
        .run()
        .exits(0);
    assert_eq!(server.requests().len(), 10);
    let most = server.most_in_flight();
    assert!((1..=2).contains(&most), "{most} in flight at once");
}

/// With a budget of one request per window, the second update waits for
/// the next window instead of being sent to be refused: `--rate-limit-window`
/// sets how long that is.
#[test]
fn rate_limit_window_paces_by_the_servers_budget() {
    let home = Home::new("bulk-window");
    let server = Server::start_in_background(|request, number| {
        let date = http_date_now();
        disk_with(
            request,
            number,
            &[
                ("x-ratelimit-permitted", "1"),
                ("x-ratelimit-remaining", "0"),
                ("date", &date),
            ],
        )
    });
    let input = format!("{}\n{}\n", body("d1"), body("d2"));
    let run = home
        .katapult()
        .against(&server, "t")
        .args(["--debug", "--rate-limit-window", "1"])
        .args(["disk", "update", "--from", "-", "--concurrency", "1"])
        .stdin(&input)
        .run();
    run.exits(0);
    assert_eq!(lines(&run).len(), 2);
    assert!(
        run.stderr.contains("held by the rate-limit governor"),
        "{run:?}"
    );
    // Every request was answered 200: none was sent to be refused.
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn usage_errors_send_nothing() {
    let home = Home::new("bulk-usage");
    let server = fleet();
    for args in [
        &["--from", "-", "--concurrency", "0"][..],
        &["--from", "-", "--name", "x"],
        &["--from", "-", "--json-body", "-"],
        &["--from", "-", "--dry-run"],
        &["--from", "-", "--output", "table"],
        &["--from", "/nonexistent/updates.jsonl"],
    ] {
        let run = home
            .katapult()
            .against(&server, "t")
            .args(["disk", "update"])
            .args(args)
            .stdin(&body("d"))
            .run();
        run.exits(2);
        assert!(run.stdout.is_empty(), "{args:?}: {run:?}");
    }
    // No token: nothing runs, and stdout stays empty.
    let run = home
        .katapult()
        .args(["disk", "update", "--from", "-"])
        .stdin(&body("d"))
        .run();
    run.exits(2);
    assert!(run.stdout.is_empty(), "{run:?}");
    assert!(run.stderr.contains("no API token"), "{run:?}");
    assert!(server.requests().is_empty());
}
