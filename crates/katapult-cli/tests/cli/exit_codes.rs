//! Each exit code, from the outcome that produces it, and what stderr says.
//! (5, a bug in katapult itself, has no outcome a test can produce.)

use katapult_test_server::{closed_port, http_date_now, unix_now};
use serde_json::json;

use crate::support::{Home, Reply, Server, answer, disk_with, disks, json, request_id};

fn update(home: &Home, server: &Server) -> crate::support::Run {
    home.katapult()
        .against(server, "t")
        .args(["disk", "update", "--disk-id", "disk_1", "--name", "x"])
        .run()
}

#[test]
fn zero_on_success() {
    let home = Home::new("exit-0");
    let server = disks();
    let run = update(&home, &server);
    run.exits(0);
    assert_eq!(run.json()["disk"]["id"], "disk_1");
    assert!(run.stderr.is_empty(), "{run:?}");
}

#[test]
fn one_when_katapult_refuses_with_the_request_id() {
    let home = Home::new("exit-1");
    let server = Server::start_in_background(|_, number| {
        json(
            404,
            number,
            json!({"error": {
                "code": "disk_not_found",
                "description": "No disk was found matching any of the criteria provided in the arguments",
                "detail": {}
            }}),
        )
    });
    let run = update(&home, &server);
    run.exits(1);
    assert!(
        run.stderr
            .starts_with("error: 404 disk_not_found: No disk was found"),
        "{run:?}"
    );
    assert!(run.stderr.contains(&request_id(1)), "{run:?}");
    assert!(run.stderr.contains("check the disk id"), "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
}

#[test]
fn one_when_a_proxy_refuses() {
    let home = Home::new("exit-1-proxy");
    let server = Server::start_in_background(|_, _| {
        answer(
            502,
            &[("content-type", "text/html")],
            "<html><body>502 Bad Gateway</body></html>",
        )
    });
    let run = update(&home, &server);
    run.exits(1);
    assert!(run.stderr.contains("502 Bad Gateway"), "{run:?}");
}

#[test]
fn two_for_usage_and_configuration_with_nothing_sent() {
    let home = Home::new("exit-2");
    let server = disks();
    // Usage.
    home.katapult()
        .against(&server, "t")
        .args(["disk", "update"])
        .run()
        .exits(2);
    // Configuration: plain HTTP to a host that is not loopback.
    let run = home
        .katapult()
        .env("KATAPULT_API_TOKEN", "t")
        .env("KATAPULT_API_URL", "http://api.example.com/core/v1")
        .args(["disk", "update", "--disk-id", "d"])
        .run();
    run.exits(2);
    assert!(run.stderr.contains("would travel in clear"), "{run:?}");
    assert!(server.requests().is_empty());
}

#[test]
fn three_when_nothing_could_connect_saying_nothing_was_applied() {
    let home = Home::new("exit-3-connect");
    let run = home
        .katapult()
        .env("KATAPULT_API_TOKEN", "t")
        .env("KATAPULT_API_URL", closed_port())
        .args(["disk", "update", "--disk-id", "d"])
        .run();
    run.exits(3);
    assert!(run.stderr.contains("could not connect"), "{run:?}");
    assert!(
        run.stderr
            .contains("the update was not applied: nothing reached the API"),
        "{run:?}"
    );
}

#[test]
fn three_when_the_connection_breaks_saying_it_may_have_been_applied() {
    let home = Home::new("exit-3-broken");
    let server = Server::start_in_background(|_, _| Reply::Close(Vec::new()));
    let run = update(&home, &server);
    run.exits(3);
    assert!(
        run.stderr.contains("the update may have been applied"),
        "{run:?}"
    );
}

#[test]
fn four_when_the_answer_cannot_be_used() {
    let home = Home::new("exit-4");
    let server = Server::start_in_background(|_, number| {
        answer(
            200,
            &[
                ("content-type", "application/json"),
                ("x-request-id", &request_id(number)),
            ],
            "{\"disk\": {\"id\": ",
        )
    });
    let run = update(&home, &server);
    run.exits(4);
    assert!(
        run.stderr.contains("the update was probably applied"),
        "{run:?}"
    );
    assert!(run.stderr.contains(&request_id(1)), "{run:?}");
}

/// A budget spent until after the call's deadline (a window of about a day,
/// whose end is hours away): the governor fails the next call at once
/// instead of holding it for hours or sending it to be refused. In bulk mode
/// that line says `rate_limited`, and the run exits 1.
#[test]
fn one_when_the_rate_limit_outlasts_the_call() {
    let home = Home::new("exit-1-rate");
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
    // Windows are aligned to multiples of their length since the epoch:
    // take one whose current window has minutes left, well past the
    // call's 60 s deadline.
    let now = unix_now();
    let window = [86_400, 86_399]
        .into_iter()
        .find(|window| window - now % window > 600)
        .unwrap();
    let line = |id: &str| json!({"disk": {"id": id}, "properties": {}}).to_string();
    let run = home
        .katapult()
        .against(&server, "t")
        .args(["--rate-limit-window", &window.to_string()])
        .args(["disk", "update", "--from", "-"])
        .args(["--concurrency", "1"])
        .stdin(&format!("{}\n{}\n", line("d1"), line("d2")))
        .run();
    run.exits(1);
    let out: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(out.len(), 2, "{run:?}");
    assert_eq!(out[0]["ok"], true, "{run:?}");
    assert_eq!(out[1]["kind"], "rate_limited", "{run:?}");
    assert!(
        out[1]["error"]
            .as_str()
            .unwrap()
            .starts_with("rate limited"),
        "{run:?}"
    );
    assert_eq!(server.requests().len(), 1, "the second was not sent");
}
