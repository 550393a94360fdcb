//! Each exit code, from the outcome that produces it, and what stderr says.
//! (5, a bug in katapult itself, has no outcome a test can produce.)

use serde_json::json;

use crate::support::{Home, Reply, Server, closed_port, request_id};

fn update(home: &Home, server: &Server) -> crate::support::Run {
    home.katapult()
        .against(server, "t")
        .args(["disk", "update", "--disk-id", "disk_1", "--name", "x"])
        .run()
}

#[test]
fn zero_on_success() {
    let home = Home::new("exit-0");
    let server = Server::disks();
    let run = update(&home, &server);
    run.exits(0);
    assert_eq!(run.json()["disk"]["id"], "disk_1");
    assert!(run.stderr.is_empty(), "{run:?}");
}

#[test]
fn one_when_katapult_refuses_with_the_request_id() {
    let home = Home::new("exit-1");
    let server = Server::start(|_, number| {
        Reply::json(
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
    let server = Server::start(|_, _| {
        Reply::Answer(
            502,
            vec![("content-type", "text/html".to_owned())],
            "<html><body>502 Bad Gateway</body></html>".to_owned(),
        )
    });
    let run = update(&home, &server);
    run.exits(1);
    assert!(run.stderr.contains("502 Bad Gateway"), "{run:?}");
}

#[test]
fn two_for_usage_and_configuration_with_nothing_sent() {
    let home = Home::new("exit-2");
    let server = Server::disks();
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
    let server = Server::start(|_, _| Reply::Close);
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
    let server = Server::start(|_, number| {
        Reply::Answer(
            200,
            vec![
                ("content-type", "application/json".to_owned()),
                ("x-request-id", request_id(number)),
            ],
            "{\"disk\": {\"id\": ".to_owned(),
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
