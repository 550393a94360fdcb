//! `--dry-run`: the exact request, nothing sent, no token needed, and the
//! same request the client really sends.

use crate::support::{Home, disks};

const FLAGS: [&str; 12] = [
    "disk",
    "update",
    "--disk-id",
    "disk_1",
    "--name",
    "logs",
    "--attach-on-boot",
    "false",
    "--io-profile-id",
    "iop_1",
    "--annotation",
    "team=storage",
];

#[test]
fn prints_the_request_and_sends_nothing_without_a_token() {
    let home = Home::new("dry-run");
    let server = disks();
    let run = home
        .katapult()
        .env("KATAPULT_API_URL", server.base_url())
        .args(FLAGS)
        .arg("--dry-run")
        .run();
    run.exits(0);
    let body = "{\"annotations\":[{\"key\":\"team\",\"value\":\"storage\"}],\"disk\":{\"id\":\"disk_1\"},\
                \"properties\":{\"io_profile\":{\"id\":\"iop_1\"},\"name\":\"logs\",\
                \"virtual_machine_disk\":{\"attach_on_boot\":false}}}";
    let expected = format!(
        "PATCH {url}/disks/disk\n\
         accept: application/json\n\
         api-version: 1.0.0\n\
         authorization: Bearer <redacted>\n\
         content-length: {length}\n\
         content-type: application/json\n\
         host: {host}\n\
         user-agent: katapult-core/0.1.0+katapult.2.68.0 katapult-cli/0.1.0+katapult.2.68.0\n\
         \n\
         {body}\n",
        url = server.base_url(),
        length = body.len(),
        host = server.base_url().trim_start_matches("http://"),
    );
    assert_eq!(run.stdout, expected);
    assert!(run.stderr.contains("no API token is configured"), "{run:?}");
    assert!(server.requests().is_empty());
}

#[test]
fn the_default_base_url_and_a_redacted_token() {
    let home = Home::new("dry-run-default");
    let token = "s3cr3t-t0ken";
    let run = home
        .katapult()
        .env("KATAPULT_API_TOKEN", token)
        .args(["disk", "update", "--disk-id", "d", "--dry-run"])
        .run();
    run.exits(0);
    assert!(
        run.stdout
            .starts_with("PATCH https://api.katapult.io/core/v1/disks/disk\n"),
        "{run:?}"
    );
    assert!(run.stdout.contains("\nhost: api.katapult.io\n"), "{run:?}");
    assert!(
        run.stdout.contains("authorization: Bearer <redacted>"),
        "{run:?}"
    );
    assert!(
        !run.stdout.contains(token) && !run.stderr.contains(token),
        "{run:?}"
    );
    assert!(run.stderr.is_empty(), "{run:?}");
}

/// What `--dry-run` prints is what the client sends: the same flags, sent
/// to the scripted server, give the same request line, headers and body.
#[test]
fn matches_what_is_sent() {
    let home = Home::new("dry-run-wire");
    let server = disks();
    let shown = home
        .katapult()
        .against(&server, "t")
        .args(FLAGS)
        .arg("--dry-run")
        .run();
    shown.exits(0);
    home.katapult()
        .against(&server, "t")
        .args(FLAGS)
        .run()
        .exits(0);
    let sent = &server.requests()[0];

    let (head, body) = shown.stdout.split_once("\n\n").unwrap();
    let mut lines = head.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!("{} {}{}", sent.method(), server.base_url(), sent.target())
    );
    let mut shown_headers: Vec<(String, String)> = lines
        .map(|line| {
            let (name, value) = line.split_once(": ").unwrap();
            (name.to_owned(), value.to_owned())
        })
        .collect();
    let mut sent_headers = sent.headers();
    for (name, value) in &mut sent_headers {
        if name == "authorization" {
            assert_eq!(value, "Bearer t");
            *value = "Bearer <redacted>".to_owned();
        }
    }
    shown_headers.sort();
    sent_headers.sort();
    assert_eq!(shown_headers, sent_headers);
    assert_eq!(body.trim_end().as_bytes(), sent.body());
}

#[test]
fn a_bad_body_or_configuration_still_fails() {
    let home = Home::new("dry-run-bad");
    let run = home
        .katapult()
        .env("KATAPULT_API_URL", "ftp://example.com")
        .args(["disk", "update", "--disk-id", "d", "--dry-run"])
        .run();
    run.exits(2);
    assert!(run.stderr.contains("scheme `ftp`"), "{run:?}");
    let run = home
        .katapult()
        .args(["disk", "update", "--json-body", "-", "--dry-run"])
        .stdin("{\"disk\": {}}")
        .run();
    run.exits(2);
    assert!(run.stderr.contains("missing field `id`"), "{run:?}");
}
