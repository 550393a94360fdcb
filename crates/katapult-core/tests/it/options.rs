//! Per-call settings through `Client::with_options`: the attempt timeout,
//! the retry policy, and the hard deadline over holds, attempts, back-offs
//! and task waits, all sharing the client's governor.

use std::sync::Arc;
use std::time::{Duration, Instant};

use katapult_core::types::{DiskLookup, ResizeDiskBody, ResizeMethodEnum};
use katapult_core::{
    CallOptions, ChangeOptions, Client, ConfigError, DeadlinePhase, DiskChange, Error,
    NetworkErrorKind, RetryPolicy, TaskErrorKind,
};
use katapult_core_httpmock::{KatapultMock, fixtures};
use katapult_test_server::windows::FixedWindows;
use katapult_test_server::{Reply, Server, katapult};

use crate::support::{TOKEN, bounded, fast_retries, rename};

const LIMIT: Duration = Duration::from_secs(20);

fn client(base_url: &str) -> Client {
    Client::builder()
        .token(TOKEN)
        .base_url(base_url)
        .retry(fast_retries())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn deadline(duration: Duration) -> CallOptions {
    CallOptions::new().deadline(duration)
}

#[tokio::test]
async fn a_deadline_shorter_than_a_hold_fails_at_once_with_the_rate_limit_error() {
    bounded(LIMIT, async {
        // Five-second windows, spent: the retry policy's 60 s would wait
        // for the next one; the call's 300 ms cannot.
        let windows = Arc::new(FixedWindows::new(5, 5, 0.0).starting_spent());
        let answering = windows.clone();
        let server = Server::start(move |request, _| answering.answer(request)).await;
        let client = Client::builder()
            .token(TOKEN)
            .base_url(server.base_url())
            .retry(fast_retries())
            .rate_limit_window(Duration::from_secs(5))
            .build()
            .unwrap();
        let quick = client.with_options(deadline(Duration::from_millis(300)));
        // The windows follow the wall clock, and `Date` has whole seconds,
        // so near either end of a window the governor cannot tell which
        // window a 429 came from, and rightly tries once more (late in one,
        // it may reopen within the 300 ms; early in one, the 429 may be the
        // last window's). So the call starts between 1.2 s and 2.5 s into a
        // window, checked just before it: under a loaded test run, starting
        // the server can take a second.
        let into_window = windows.now() % 5.0;
        if !(1.2..=2.5).contains(&into_window) {
            let wait = (6.2 - into_window) % 5.0;
            tokio::time::sleep(Duration::from_secs_f64(wait)).await;
        }

        let started = Instant::now();
        let error = quick.update_disk(rename("disk_1", "x")).await.unwrap_err();
        assert!(started.elapsed() < Duration::from_millis(300), "at once");
        let Error::RateLimited(limited) = &error else {
            panic!("expected Error::RateLimited, got {error:?}");
        };
        assert_eq!(limited.deadline(), Duration::from_millis(300));
        assert!(limited.reopens_in() > Duration::from_millis(300));
        // The 429 that taught the governor the window is spent.
        assert_eq!(limited.attempts(), 1);
        let text = error.to_string();
        assert!(text.contains("after this call's deadline (300ms"), "{text}");
        assert!(text.contains("CallOptions::deadline"), "{text}");

        // The governor is the client's: another view, and the client
        // itself, know the window is spent without sending anything.
        let other = client.with_options(deadline(Duration::from_millis(300)));
        let error = other.update_disk(rename("disk_2", "x")).await.unwrap_err();
        let Error::RateLimited(limited) = &error else {
            panic!("expected Error::RateLimited, got {error:?}");
        };
        assert_eq!(limited.attempts(), 0);
        assert_eq!(client.rate_limit_estimate().unwrap().remaining, Some(0));
        assert_eq!(windows.answers().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_deadline_that_passes_mid_attempt_cuts_it_off_with_a_typed_error() {
    bounded(LIMIT, async {
        let server = Server::start(|_, _| Reply::Hang).await;
        let view = client(&server.base_url()).with_options(deadline(Duration::from_millis(300)));
        let started = Instant::now();
        let error = view.update_disk(rename("disk_1", "x")).await.unwrap_err();
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(300), "{took:?}");
        assert!(took < Duration::from_secs(3), "not the 5 s timeout: {took:?}");
        let Error::DeadlineExceeded(late) = &error else {
            panic!("expected Error::DeadlineExceeded, got {error:?}");
        };
        assert_eq!(late.phase(), DeadlinePhase::Attempt);
        assert_eq!(late.operation(), "update_disk");
        assert_eq!(late.attempts(), 1);
        assert_eq!(late.deadline(), Duration::from_millis(300));
        let text = error.to_string();
        assert!(
            text.starts_with("update_disk: the call's deadline (300ms, CallOptions::deadline) passed while waiting for the answer"),
            "{text}"
        );
        assert!(text.contains("may or may not have been applied"), "{text}");
        assert!(text.contains("longer deadline"), "{text}");
        assert!(error.is_retryable());
        assert_eq!(server.hits(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_deadline_that_passes_mid_body_is_the_deadline_too() {
    bounded(LIMIT, async {
        // The head at once, the body never.
        let server = Server::start(|_, _| {
            Reply::KeepAlive(katapult_test_server::head(
                200,
                &[
                    ("content-type", "application/json"),
                    ("content-length", "100"),
                ],
            ))
        })
        .await;
        let view = client(&server.base_url()).with_options(deadline(Duration::from_millis(300)));
        let error = view.get_disk("disk_1").await.unwrap_err();
        let Error::DeadlineExceeded(late) = &error else {
            panic!("expected Error::DeadlineExceeded, got {error:?}");
        };
        assert_eq!(late.phase(), DeadlinePhase::Attempt);
        // A read changes nothing.
        assert!(!error.to_string().contains("may or may not"), "{error}");
    })
    .await;
}

#[tokio::test]
async fn a_back_off_that_would_end_after_the_deadline_ends_the_call_at_once() {
    bounded(LIMIT, async {
        let server = Server::start(|_, _| Reply::KeepAlive(katapult(503, "{}", "req-503"))).await;
        let slow_backoff = RetryPolicy::default()
            .with_transient_backoff(Duration::from_secs(4), Duration::from_secs(4));
        let view = client(&server.base_url()).with_options(
            CallOptions::new()
                .retry(slow_backoff)
                .deadline(Duration::from_secs(1)),
        );
        let started = Instant::now();
        let error = view.update_disk(rename("disk_1", "x")).await.unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "not slept to it"
        );
        let Error::DeadlineExceeded(late) = &error else {
            panic!("expected Error::DeadlineExceeded, got {error:?}");
        };
        assert_eq!(late.phase(), DeadlinePhase::BackOff);
        assert_eq!(late.attempts(), 1);
        assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
        assert_eq!(error.request_id(), Some("req-503"));
        let text = error.to_string();
        assert!(text.contains("before the next retry could start"), "{text}");
        assert!(text.contains("the last answered 503"), "{text}");
        assert_eq!(server.hits(), 1);
    })
    .await;
}

#[tokio::test]
async fn the_timeout_and_the_retry_policy_are_set_per_call() {
    bounded(LIMIT, async {
        let server = Server::start(|_, n| match n {
            1 => Reply::Hang,
            _ => Reply::KeepAlive(katapult(503, "{}", "req-503")),
        })
        .await;
        let client = client(&server.base_url());
        let started = Instant::now();
        let error = client
            .with_options(
                CallOptions::new()
                    .timeout(Duration::from_millis(200))
                    .retry(RetryPolicy::none()),
            )
            .get_disk("disk_1")
            .await
            .unwrap_err();
        let Error::Network(network) = &error else {
            panic!("expected a timeout, got {error:?}");
        };
        assert_eq!(network.kind(), NetworkErrorKind::Timeout);
        assert!(started.elapsed() < Duration::from_secs(3));
        assert!(
            error.to_string().contains("within the 200ms timeout"),
            "{error}"
        );
        let hits = server.hits();

        // The client's own policy retries a 503; the view's does not.
        let once = client.with_options(CallOptions::new().retry(RetryPolicy::none()));
        let error = once.get_disk("disk_1").await.unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
        assert_eq!(server.hits(), hits + 1);
        let error = client.get_disk("disk_1").await.unwrap_err();
        assert_eq!(error.as_api().unwrap().meta().attempts(), 4);
    })
    .await;
}

#[tokio::test]
async fn a_zero_timeout_is_a_configuration_error_and_a_zero_deadline_sends_nothing() {
    bounded(LIMIT, async {
        let server = Server::start(|_, _| Reply::KeepAlive(katapult(200, "{}", "req"))).await;
        let client = client(&server.base_url());
        let error = client
            .with_options(CallOptions::new().timeout(Duration::ZERO))
            .get_disk("disk_1")
            .await
            .unwrap_err();
        assert!(
            matches!(&error, Error::Config(ConfigError::InvalidSetting(text)) if text.contains("CallOptions::timeout")),
            "{error:?}"
        );
        let error = client
            .with_options(deadline(Duration::ZERO))
            .get_disk("disk_1")
            .await
            .unwrap_err();
        let Error::DeadlineExceeded(late) = &error else {
            panic!("expected Error::DeadlineExceeded, got {error:?}");
        };
        assert_eq!(late.phase(), DeadlinePhase::BeforeAttempt);
        assert!(error.to_string().contains("nothing was sent"), "{error}");
        assert_eq!(server.hits(), 0);
    })
    .await;
}

#[tokio::test]
async fn the_deadline_covers_a_task_wait_and_a_whole_disk_change() {
    bounded(LIMIT, async {
        // Tasks that take ten minutes; the first poll comes 3 s after the
        // write.
        let mock = KatapultMock::builder()
            .task_duration(Duration::from_secs(600))
            .start()
            .await;
        let client = client(&mock.base_url());
        let view = client.with_options(deadline(Duration::from_millis(800)));

        let answer = client
            .resize_disk(ResizeDiskBody {
                disk: DiskLookup {
                    id: "disk_1".into(),
                },
                size_in_gb: 30,
                resize_method: Some(ResizeMethodEnum::Offline),
            })
            .await
            .unwrap();
        let started = Instant::now();
        let error = view.wait_for_task(&answer.task).await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        let Error::Task(task) = &error else {
            panic!("expected a task error, got {error:?}");
        };
        assert_eq!(task.kind(), TaskErrorKind::DeadlineExceeded);
        assert!(task.task().id.is_some(), "the last reading is kept");

        // A change: its reads, its write and its task wait share the
        // 800 ms, though the change's own deadline is 20 minutes.
        let change = DiskChange::new("disk_2").size_in_gb(std::num::NonZeroU32::new(40).unwrap());
        let started = Instant::now();
        let error = view
            .change_disk(&change, ChangeOptions::default())
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        let Error::Change(failed) = &error else {
            panic!("expected a change error, got {error:?}");
        };
        assert_eq!(failed.report().steps.len(), 1, "the resize was sent");
        assert!(
            matches!(failed.cause(), Some(Error::Task(task)) if task.kind() == TaskErrorKind::DeadlineExceeded),
            "{error:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn without_options_nothing_changes() {
    bounded(LIMIT, async {
        let body = serde_json::to_string(&fixtures::update_disk_response("disk_1")).unwrap();
        let server = Server::start(move |_, _| Reply::KeepAlive(katapult(200, &body, "r"))).await;
        let client = client(&server.base_url());
        let view = client.with_options(CallOptions::new());
        let response = view.update_disk(rename("disk_1", "x")).await.unwrap();
        assert_eq!(response.meta().attempts(), 1);
        assert_eq!(format!("{:?}", view), format!("{:?}", client));
    })
    .await;
}
