//! 429 and 503 storms, that recover or never do.

use std::time::{Duration, Instant};

use katapult_core::types::ErrorCode;
use katapult_core::{Error, ErrorBody, RetryPolicy};
use katapult_core_httpmock::fixtures;
use katapult_test_server::{Reply, Server, katapult, response};

use super::*;
use crate::support::{bounded, rename};

/// A status the client retries, the body that comes with it, and the
/// back-off three retries must wait under `support::fast_retries` (each
/// wait at least half its step, at most all of it).
struct Storm {
    status: u16,
    body: fn() -> String,
    least: Duration,
    most: Duration,
}

/// 429: back-off 40 ms doubling to 80 ms, so 20 + 40 + 40 ms at the least.
const RATE_LIMITED: Storm = Storm {
    status: 429,
    body: rate_limited,
    least: Duration::from_millis(100),
    most: Duration::from_millis(200),
};

/// 503: back-off 10 ms doubling to 20 ms, so 5 + 10 + 10 ms at the least.
const UNAVAILABLE: Storm = Storm {
    status: 503,
    body: unavailable,
    least: Duration::from_millis(25),
    most: Duration::from_millis(50),
};

/// Three answers of the storm, then success: the call succeeds on its
/// fourth attempt, after at least the configured back-off.
async fn storm_that_recovers(storm: Storm) {
    let body = disk_json("disk_1");
    let server = Server::start(move |_, n| match n {
        1..=3 => Reply::KeepAlive(katapult(storm.status, (storm.body)(), &format!("req-{n}"))),
        _ => Reply::KeepAlive(katapult(200, &body, &format!("req-{n}"))),
    })
    .await;
    let started = Instant::now();
    let response = client(&server)
        .update_disk(rename("disk_1", "x"))
        .await
        .unwrap();

    assert_eq!(response.meta().attempts(), 4);
    assert_eq!(server.hits(), 4);
    assert_eq!(response.meta().request_id(), Some("req-4"));
    assert_eq!(*response, fixtures::update_disk_response("disk_1"));
    assert!(started.elapsed() >= storm.least, "{:?}", started.elapsed());
    assert!(response.meta().elapsed() >= storm.least);
}

/// The storm never ends: the last answer comes back as the error once the
/// four attempts are spent, within the back-off they allow.
async fn storm_that_never_recovers(storm: &Storm) -> Error {
    let status = storm.status;
    let body = storm.body;
    let server =
        Server::start(move |_, n| Reply::KeepAlive(katapult(status, body(), &format!("req-{n}"))))
            .await;
    let started = Instant::now();
    let error = client(&server)
        .update_disk(rename("disk_1", "x"))
        .await
        .unwrap_err();
    let took = started.elapsed();

    let api = api(&error);
    assert_eq!(api.meta().status().as_u16(), storm.status);
    assert_eq!(api.meta().attempts(), 4);
    assert_eq!(server.hits(), 4);
    assert!(error.is_retryable());
    assert_eq!(error.request_id(), Some("req-4"));
    assert!(took >= storm.least, "{took:?}");
    assert!(took < storm.most + SLACK, "{took:?}");
    error
}

#[tokio::test]
async fn a_429_storm_that_recovers_succeeds_after_counted_attempts() {
    bounded(LIMIT, storm_that_recovers(RATE_LIMITED)).await;
}

#[tokio::test]
async fn a_429_storm_that_never_recovers_is_a_rate_limit_error_after_the_attempt_budget() {
    bounded(LIMIT, async {
        let error = storm_that_never_recovers(&RATE_LIMITED).await;
        assert!(error.is_429_or_governor_refusal());
        assert_eq!(error.code(), Some(&ErrorCode::RateLimitReached));
        assert!(matches!(
            api(&error).body(),
            ErrorBody::Known(katapult_core::types::KatapultError::RateLimitReached { .. })
        ));
        let text = error.to_string();
        assert!(
            text.starts_with(
                "429 rate_limit_reached: You have reached the rate limit for this type of \
                 request: 1000 requests per minute permitted (request req-4, after 4 attempts over "
            ),
            "{text}"
        );
        assert!(text.ends_with("; the limit is per minute: slow down, or give retries more time (RetryPolicy::with_max_elapsed)"), "{text}");
    })
    .await;
}

#[tokio::test]
async fn a_429_storm_that_never_recovers_stops_at_the_time_budget() {
    bounded(LIMIT, async {
        let budget = Duration::from_secs(2);
        let step = Duration::from_millis(50);
        let server = Server::start(|_, n| {
            Reply::KeepAlive(katapult(429, rate_limited(), &format!("req-{n}")))
        })
        .await;
        let client = client_with(&server, |b| {
            b.retry(
                RetryPolicy::default()
                    .with_max_attempts(1000)
                    .with_max_elapsed(budget)
                    .with_rate_limit_backoff(step, step),
            )
        });
        let started = Instant::now();
        let error = client.update_disk(rename("disk_1", "x")).await.unwrap_err();
        let took = started.elapsed();

        let api = api(&error);
        let attempts = api.meta().attempts();
        assert!(error.is_429_or_governor_refusal());
        assert_eq!(
            attempts as usize,
            server.hits(),
            "client and server disagree"
        );
        assert_eq!(error.request_id(), Some(format!("req-{attempts}").as_str()));
        // Every wait is at least 25 ms and none starts after 2 s, so at
        // most 1 + 2000 / 25 attempts: the time budget, not the attempt
        // budget (1000), ended the call. At least 2 as long as the first
        // loopback exchange takes under 1.95 s.
        assert!((2..=81).contains(&attempts), "{attempts}");
        assert!(took >= step / 2 * (attempts - 1), "{took:?} for {attempts}");
        assert!(took < budget + SLACK, "{took:?}");
    })
    .await;
}

#[tokio::test]
async fn a_503_storm_that_recovers_succeeds_after_counted_attempts() {
    bounded(LIMIT, storm_that_recovers(UNAVAILABLE)).await;
}

#[tokio::test]
async fn a_503_storm_that_never_recovers_is_an_unavailable_error_after_the_attempt_budget() {
    bounded(LIMIT, async {
        let error = storm_that_never_recovers(&UNAVAILABLE).await;
        assert_eq!(error.code(), Some(&ErrorCode::ServiceUnavailable));
        assert!(!error.is_429_or_governor_refusal());
        let text = error.to_string();
        assert!(
            text.starts_with(
                "503 service_unavailable: The service is currently unavailable, please try again \
                 later (request req-4, after 4 attempts over "
            ),
            "{text}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_503_html_storm_from_a_load_balancer_keeps_the_last_page() {
    bounded(LIMIT, async {
        let server = Server::start(|_, n| {
            Reply::KeepAlive(response(
                503,
                &[("content-type", "text/html")],
                format!("<h1>503 Service Unavailable</h1> attempt {n}"),
            ))
        })
        .await;
        let error = client(&server).update_disk(rename("disk_1", "x")).await.unwrap_err();
        let api = api(&error);
        assert_eq!(api.meta().attempts(), 4);
        assert_eq!(server.hits(), 4);
        assert_eq!(error.code(), None);
        assert!(
            matches!(api.body(), ErrorBody::Text(text) if text == "<h1>503 Service Unavailable</h1> attempt 4"),
            "{api:?}"
        );
    })
    .await;
}
