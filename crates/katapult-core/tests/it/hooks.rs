//! Hooks on every attempt, against the scripted loopback server: what they
//! see, in what order, and what the headers they add do on the wire.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use katapult_core::{AttemptOutcome, AttemptRequest, Client, ConfigError, Error, Hook};
use katapult_core_httpmock::fixtures;
use katapult_test_server::{Reply, Server, katapult};

use crate::support::{TOKEN, bounded, fast_retries, rename};

const LIMIT: Duration = Duration::from_secs(20);

/// Writes what it sees, under its name, into a log shared with the test.
struct Recorder {
    name: &'static str,
    log: Arc<Mutex<Vec<String>>>,
}

impl Hook for Recorder {
    fn name(&self) -> &str {
        self.name
    }

    fn before_attempt(&self, request: &mut AttemptRequest<'_>) {
        self.log.lock().unwrap().push(format!(
            "{} before {} #{} {} {}",
            self.name,
            request.operation(),
            request.attempt(),
            request.method(),
            request.url().path(),
        ));
        request.set_header(
            &format!("x-hook-{}", self.name),
            &request.attempt().to_string(),
        );
    }

    fn after_attempt(&self, attempt: &AttemptOutcome<'_>) {
        let ended = match (attempt.status(), attempt.network_error_kind()) {
            (Some(status), None) => {
                let id = attempt.request_id().unwrap_or("-");
                format!("{} {id}", status.as_u16())
            }
            (None, Some(kind)) => {
                assert!(attempt.network_error().is_some() && attempt.headers().is_none());
                format!("network {kind:?}")
            }
            other => panic!("an attempt ends one way: {other:?}"),
        };
        assert!(attempt.elapsed() < LIMIT);
        self.log.lock().unwrap().push(format!(
            "{} after {} #{} {ended}",
            self.name,
            attempt.operation(),
            attempt.attempt()
        ));
    }
}

fn client_with(base_url: &str, hooks: Vec<Recorder>) -> Client {
    let mut builder = Client::builder()
        .token(TOKEN)
        .base_url(base_url)
        .retry(fast_retries())
        .timeout(Duration::from_secs(5));
    for hook in hooks {
        builder = builder.hook(hook);
    }
    builder.build().unwrap()
}

#[tokio::test]
async fn hooks_see_every_attempt_of_a_retried_call_in_order_the_network_error_included() {
    bounded(LIMIT, async {
        let body = serde_json::to_string(&fixtures::update_disk_response("disk_1")).unwrap();
        let server = Server::start(move |_, n| match n {
            // The connection breaks before any answer: retried, as
            // `update_disk` is safe to send twice.
            1 => Reply::Close(Vec::new()),
            2 => Reply::KeepAlive(katapult(503, "{}", "req-503")),
            _ => Reply::KeepAlive(katapult(200, &body, "req-200")),
        })
        .await;
        let log = Arc::new(Mutex::new(Vec::new()));
        let hooks = ["a", "b"].map(|name| Recorder {
            name,
            log: log.clone(),
        });
        let client = client_with(&server.base_url(), hooks.into());
        let response = client.update_disk(rename("disk_1", "x")).await.unwrap();
        assert_eq!(response.meta().attempts(), 3);

        let mut expected = Vec::new();
        for (attempt, ended) in [
            (1, "network Interrupted"),
            (2, "503 req-503"),
            (3, "200 req-200"),
        ] {
            for hook in ["a", "b"] {
                expected.push(format!(
                    "{hook} before update_disk #{attempt} PATCH /disks/disk"
                ));
            }
            for hook in ["a", "b"] {
                expected.push(format!("{hook} after update_disk #{attempt} {ended}"));
            }
        }
        assert_eq!(*log.lock().unwrap(), expected);
    })
    .await;
}

#[tokio::test]
async fn a_header_a_hook_adds_reaches_the_wire_on_every_attempt() {
    bounded(LIMIT, async {
        let body = serde_json::to_string(&fixtures::update_disk_response("disk_1")).unwrap();
        let server = Server::start(move |_, n| match n {
            1 => Reply::KeepAlive(katapult(503, "{}", "req-503")),
            _ => Reply::KeepAlive(katapult(200, &body, "req-200")),
        })
        .await;
        let log = Arc::new(Mutex::new(Vec::new()));
        let client = client_with(
            &server.base_url(),
            vec![Recorder {
                name: "trace",
                log: log.clone(),
            }],
        );
        client.update_disk(rename("disk_1", "x")).await.unwrap();
        let requests = server.requests();
        let seen: Vec<_> = requests
            .iter()
            .map(|request| request.header("x-hook-trace"))
            .collect();
        assert_eq!(seen, [Some("1"), Some("2")]);
        // The client's own headers are still there.
        for request in &requests {
            assert_eq!(
                request.header("authorization"),
                Some(format!("Bearer {TOKEN}").as_str())
            );
        }
    })
    .await;
}

/// Sets one header, whatever it is told.
struct Sets(&'static str, &'static str);

impl Hook for Sets {
    fn before_attempt(&self, request: &mut AttemptRequest<'_>) {
        request.set_header(self.0, self.1);
    }
}

#[tokio::test]
async fn a_hook_header_the_client_cannot_send_is_a_configuration_error_and_nothing_is_sent() {
    bounded(LIMIT, async {
        let server = Server::start(|_, _| Reply::KeepAlive(katapult(200, "{}", "req"))).await;
        for (name, value, reason) in [
            (
                "x-audit",
                "line\nbreak",
                "value an HTTP header cannot carry",
            ),
            ("bad header", "v", "not a valid header name"),
            ("Authorization", "Bearer other", "set by the client itself"),
            ("user-agent", "other/1.0", "set by the client itself"),
        ] {
            let client = Client::builder()
                .token(TOKEN)
                .base_url(server.base_url())
                .hook(Sets(name, value))
                .build()
                .unwrap();
            let error = client.update_disk(rename("disk_1", "x")).await.unwrap_err();
            let Error::Config(ConfigError::HookHeader { hook, header, .. }) = &error else {
                panic!("{name}: expected ConfigError::HookHeader, got {error:?}");
            };
            assert_eq!(header, name);
            assert!(hook.ends_with("Sets"), "{hook}");
            let text = error.to_string();
            assert!(text.contains(&format!("{name:?}")), "{text}");
            assert!(text.contains(reason), "{text}");
            assert!(text.contains("nothing was sent"), "{text}");
            assert!(!error.is_retryable());
        }
        assert_eq!(server.hits(), 0, "nothing was sent");
    })
    .await;
}

#[tokio::test]
async fn the_first_refused_header_of_a_hook_is_the_one_named() {
    struct Two;
    impl Hook for Two {
        fn name(&self) -> &str {
            "two headers"
        }
        fn before_attempt(&self, request: &mut AttemptRequest<'_>) {
            request.set_header("x-first", "bad\u{7f}");
            request.set_header("x-second", "bad\n");
        }
    }
    let client = Client::builder()
        .token(TOKEN)
        .base_url(katapult_test_server::closed_port())
        .hook(Two)
        .build()
        .unwrap();
    let error = bounded(LIMIT, client.update_disk(rename("disk_1", "x")))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Config(ConfigError::HookHeader { hook, header, .. })
            if hook == "two headers" && header == "x-first"),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_attempt_the_call_deadline_cuts_off_is_seen_as_a_timeout() {
    bounded(LIMIT, async {
        let server = Server::start(|_, _| Reply::Hang).await;
        let log = Arc::new(Mutex::new(Vec::new()));
        let client = client_with(
            &server.base_url(),
            vec![Recorder {
                name: "a",
                log: log.clone(),
            }],
        );
        let view = client
            .with_options(katapult_core::CallOptions::new().deadline(Duration::from_millis(200)));
        let error = view.update_disk(rename("disk_1", "x")).await.unwrap_err();
        assert!(matches!(error, Error::DeadlineExceeded(_)), "{error:?}");
        // The view calls the client's hooks, and the attempt the deadline
        // ended has its after_attempt: no attempt goes uncounted.
        assert_eq!(
            *log.lock().unwrap(),
            [
                "a before update_disk #1 PATCH /disks/disk",
                "a after update_disk #1 network Timeout",
            ]
        );
        assert_eq!(server.requests()[0].header("x-hook-a"), Some("1"));
    })
    .await;
}

#[tokio::test]
async fn a_hook_that_refuses_a_header_sends_nothing_on_any_call_of_the_client() {
    bounded(LIMIT, async {
        let server = Server::start(|_, _| Reply::KeepAlive(katapult(200, "{}", "req"))).await;
        let client = Client::builder()
            .token(TOKEN)
            .base_url(server.base_url())
            .retry(fast_retries())
            .hook(Sets("x-audit", "\r\n"))
            .build()
            .unwrap();
        // A read, a clone and a per-call view all go through the hook.
        let view = client.with_options(katapult_core::CallOptions::new());
        for error in [
            client.get_disk("disk_1").await.unwrap_err(),
            client.clone().get_task("task_1").await.unwrap_err(),
            view.update_disk(rename("disk_1", "x")).await.unwrap_err(),
        ] {
            assert!(
                matches!(&error, Error::Config(ConfigError::HookHeader { header, .. }) if header == "x-audit"),
                "{error:?}"
            );
        }
        assert_eq!(server.hits(), 0, "nothing was sent");
    })
    .await;
}

/// Refuses to send a second attempt: its header cannot be sent.
struct RefusesTheRetry;

impl Hook for RefusesTheRetry {
    fn before_attempt(&self, request: &mut AttemptRequest<'_>) {
        if request.attempt() == 2 {
            request.set_header("x-bad", "a\nb");
        }
    }
}

/// A hook that refuses a retry: the error says the first attempt was sent
/// and may have been applied, not that nothing was.
#[tokio::test]
async fn a_hook_that_refuses_a_retry_says_what_was_already_sent() {
    bounded(Duration::from_secs(20), async {
        let server = Server::start(|_, _| Reply::Close(Vec::new())).await;
        let client = Client::builder()
            .token(TOKEN)
            .hook(RefusesTheRetry)
            .base_url(server.base_url())
            .retry(fast_retries())
            .build()
            .unwrap();
        let error = client.update_disk(rename("disk_1", "x")).await.unwrap_err();
        assert_eq!(server.hits(), 1, "the refused retry was not sent");
        assert!(
            matches!(
                &error,
                Error::Config(ConfigError::HookHeader { sent: 1, .. })
            ),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains("already sent 1 request, which may have been applied")
                && !message.contains("nothing was sent"),
            "{message}"
        );
        assert!(!error.is_retryable());
    })
    .await;
}
