//! The `update_disk` example, run as a newcomer would run it: without a token
//! (built-in mock), against a loopback server named by `KATAPULT_API_URL`,
//! with bad arguments, and against a server that refuses.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use katapult_core_httpmock::{KatapultMock, MockServerExt, fixtures, httpmock::MockServer};

/// `cargo test` builds the examples next to the test binaries' directory.
fn example() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path = dir
        .join("examples")
        .join(format!("update_disk{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} was not built; run through `cargo test`",
        path.display()
    );
    path
}

/// Runs the example with only the given KATAPULT_* variables; kills it
/// after 30 s.
fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(example());
    command
        .args(args)
        .env_remove("KATAPULT_API_TOKEN")
        .env_remove("KATAPULT_API_URL")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the example did not finish within 30 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs the example with a token, against `url`, off the async runtime
/// that serves the mock.
async fn run_with_token(args: &'static [&'static str], url: String) -> Output {
    tokio::task::spawn_blocking(move || {
        run(
            args,
            &[
                ("KATAPULT_API_TOKEN", crate::support::TOKEN),
                ("KATAPULT_API_URL", &url),
            ],
        )
    })
    .await
    .unwrap()
}

#[test]
fn without_a_token_it_round_trips_through_the_built_in_mock() {
    let out = run(
        &[
            "--disk-id",
            "disk_abc",
            "--name",
            "logs",
            "--storage-speed",
            "nvme",
        ],
        &[],
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(
        stderr.contains("running against a built-in mock server at http://127.0.0.1:"),
        "{stderr}"
    );
    let body: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(body["disk"]["id"], "disk_abc");
    assert_eq!(body["disk"]["name"], "logs");
    assert_eq!(body["disk"]["storage_speed"], "nvme");
    assert!(body["annotations"].is_array());
}

#[tokio::test]
async fn with_a_token_it_calls_the_url_it_is_given() {
    let katapult = KatapultMock::start().await;
    // A disk assigned to a virtual machine: a demo disk has no attachment,
    // so setting its `attach_on_boot` is 422 `unassigned_disk`.
    katapult.put_disk(fixtures::disk("disk_xyz"));
    let out = run_with_token(
        &[
            "--disk-id",
            "disk_xyz",
            "--attach-on-boot",
            "false",
            "--timeout",
            "5",
        ],
        katapult.base_url(),
    )
    .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("mock"), "{stderr}");
    assert_eq!(katapult.hits(), 1);
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["disk"]["id"], "disk_xyz");
    assert_eq!(
        body["disk"]["virtual_machine_disk"]["attach_on_boot"],
        false
    );
}

#[tokio::test]
async fn a_failure_prints_the_error_and_exits_1() {
    let server = MockServer::start_async().await;
    server.update_disk(|_, then| {
        then.not_found(&fixtures::disk_not_found());
    });
    let out = run_with_token(&["--disk-id", "disk_gone"], server.base_url()).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("error: 404 disk_not_found: No disk was found"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    assert!(!stderr.contains(crate::support::TOKEN));
}

#[test]
fn bad_arguments_exit_2_with_usage() {
    for args in [
        &[][..],
        &["--disk-id"][..],
        &["--disk-id", "d", "--bus-type", "ide"][..],
        &[
            "--disk-id",
            "d",
            "--io-profile-id",
            "a",
            "--io-profile-permalink",
            "b",
        ][..],
        &["--disk-id", "d", "--timeout", "-1"][..],
        &["--disk-id", "d", "--attach-on-boot", "yes"][..],
        &["--disk-id", "d", "--frobnicate"][..],
    ] {
        let out = run(args, &[]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("Usage: update_disk --disk-id ID"),
            "{args:?}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}
