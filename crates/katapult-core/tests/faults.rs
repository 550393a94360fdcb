//! The client against a hostile network: a raw-TCP server on 127.0.0.1
//! (`support/fault_server.rs`) that sends exactly the bytes each fault
//! needs. One test per fault, each with its exact expected outcome: the
//! `Error` variant and kind, status, body, attempts on both sides.
//!
//! The body-size tests also count heap allocations (a counting global
//! allocator below) to show that an oversized body is neither read nor
//! buffered whole.

#[path = "support/fault_server.rs"]
mod fault_server;
mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fault_server::{FaultServer, Reply, envelope, head, katapult, response};
use katapult_core::types::ErrorCode;
use katapult_core::{
    Client, DEFAULT_MAX_RESPONSE_BYTES, Error, ErrorBody, NetworkErrorKind, ResponseProblem,
    RetryPolicy,
};
use katapult_core_httpmock::fixtures;
use support::{TOKEN, bounded, fast_retries, rename};

/// No test here may take longer than this.
const LIMIT: Duration = Duration::from_secs(30);

/// Generous allowance on top of a configured budget for an upper bound on
/// elapsed time: scheduling on a loaded 2-core machine, never speed.
const SLACK: Duration = Duration::from_secs(5);

// ------------------------------------------------------------ allocations

/// Counts live heap bytes and their high-water mark, for the body-limit
/// tests. A `realloc` is counted as old + new until it returns, so the peak
/// is an upper bound.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

fn shrank(bytes: usize) {
    LIVE.fetch_sub(bytes, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            grew(layout.size());
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let pointer = unsafe { System.alloc_zeroed(layout) };
        if !pointer.is_null() {
            grew(layout.size());
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(pointer, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grew(new_size);
        // SAFETY: forwarded with the caller's guarantees.
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        shrank(if moved.is_null() {
            new_size
        } else {
            layout.size()
        });
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most heap (beyond what was live at the start) used while `future`
/// ran. Other tests in this binary allocate a few kilobytes at a time; the
/// heavy ones are serialised by [`HEAVY`].
async fn peak_heap<F: Future>(future: F) -> (F::Output, usize) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let output = future.await;
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    (output, peak)
}

/// Serialises the tests that move megabytes, so their heap peaks are their own.
static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

// ---------------------------------------------------------------- helpers

const MIB: usize = 1024 * 1024;

fn disk_json(id: &str) -> String {
    serde_json::to_string(&fixtures::update_disk_response(id)).unwrap()
}

fn rate_limited() -> String {
    envelope(
        "rate_limit_reached",
        "You have reached the rate limit for this type of request",
        r#"{"total_permitted":1000}"#,
    )
}

fn unavailable() -> String {
    envelope(
        "service_unavailable",
        "The service is currently unavailable, please try again later",
        "{}",
    )
}

/// The test client: fast retries (4 attempts), 5 s per attempt.
fn client(server: &FaultServer) -> Client {
    support::client(&server.base_url())
}

fn client_with(
    server: &FaultServer,
    configure: impl FnOnce(katapult_core::ClientBuilder) -> katapult_core::ClientBuilder,
) -> Client {
    configure(
        Client::builder()
            .token(TOKEN)
            .base_url(server.base_url())
            .retry(fast_retries())
            .timeout(Duration::from_secs(5)),
    )
    .build()
    .unwrap()
}

fn url(server: &FaultServer) -> String {
    format!("{}/disks/disk", server.base_url())
}

fn api(error: &Error) -> &katapult_core::ApiError {
    error
        .as_api()
        .unwrap_or_else(|| panic!("expected Error::Api, got {error:?}"))
}

fn invalid(error: &Error) -> &katapult_core::InvalidResponse {
    match error {
        Error::InvalidResponse(invalid) => invalid,
        other => panic!("expected Error::InvalidResponse, got {other:?}"),
    }
}

fn transport(error: &Error) -> &katapult_core::NetworkError {
    match error {
        Error::Network(transport) => transport,
        other => panic!("expected Error::Network, got {other:?}"),
    }
}

// ------------------------------------------------- bodies that are wrong

#[tokio::test]
async fn an_html_502_from_a_proxy_is_an_api_error_keeping_the_page() {
    bounded(LIMIT, async {
        let page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
        let server = FaultServer::start(move |_, _| {
            Reply::KeepAlive(response(502, &[("content-type", "text/html"), ("server", "nginx")], page))
        })
        .await;
        let error = client(&server).update_disk(rename("disk_1", "x")).await.unwrap_err();

        let api = api(&error);
        assert_eq!(api.meta().status().as_u16(), 502);
        assert_eq!(api.meta().attempts(), 1, "502 is not retried");
        assert_eq!(server.hits(), 1);
        assert_eq!(error.code(), None);
        let ErrorBody::Text(text) = api.body() else {
            panic!("expected the page as text, got {:?}", api.body());
        };
        assert_eq!(text, page);
        assert!(error.is_retryable());
        assert_eq!(
            error.to_string(),
            "502 Bad Gateway: not a Katapult error (text/html): <html> <head><title>502 Bad \
             Gateway</title></head> <body> <center><h1>502 Bad Gateway</h1></center> \
             <hr><center>nginx</center> </body> </html>"
        );
    })
    .await;
}

#[tokio::test]
async fn an_empty_504_is_an_api_error_with_an_empty_body() {
    bounded(LIMIT, async {
        let server = FaultServer::start(|_, _| Reply::KeepAlive(response(504, &[], ""))).await;
        let error = client(&server)
            .update_disk(rename("disk_1", "x"))
            .await
            .unwrap_err();

        let api = api(&error);
        assert_eq!(api.meta().status().as_u16(), 504);
        assert_eq!(api.meta().attempts(), 1, "504 is not retried");
        assert_eq!(server.hits(), 1);
        assert!(
            matches!(api.body(), ErrorBody::Text(text) if text.is_empty()),
            "{api:?}"
        );
        assert_eq!(error.code(), None);
        assert!(error.is_retryable());
        assert_eq!(
            error.to_string(),
            "504 Gateway Timeout: empty body, not a Katapult error"
        );
    })
    .await;
}

#[tokio::test]
async fn a_200_with_truncated_json_is_an_invalid_response_keeping_the_bytes() {
    bounded(LIMIT, async {
        let full = disk_json("disk_1");
        let cut = full[..full.len() / 2].to_owned();
        let served = cut.clone();
        let server =
            FaultServer::start(move |_, _| Reply::KeepAlive(katapult(200, &served, "req-trunc")))
                .await;
        let error = client(&server)
            .update_disk(rename("disk_1", "x"))
            .await
            .unwrap_err();

        let invalid = invalid(&error);
        assert_eq!(invalid.meta().status().as_u16(), 200);
        assert_eq!(invalid.meta().attempts(), 1);
        assert_eq!(server.hits(), 1);
        assert_eq!(invalid.body().as_ref(), cut.as_bytes());
        let ResponseProblem::Undecodable(source) = invalid.problem() else {
            panic!("expected Undecodable, got {:?}", invalid.problem());
        };
        assert!(source.is_eof(), "{source}");
        assert_eq!(error.request_id(), Some("req-trunc"));
        assert!(!error.is_retryable());
        assert_eq!(
            error.to_string(),
            format!(
                "the 200 response body is not the documented JSON ({source}; {} bytes of \
                 application/json; charset=utf-8) (request req-trunc); the update was probably \
                 applied: fetch the disk to see its state",
                cut.len()
            )
        );
    })
    .await;
}

#[tokio::test]
async fn a_200_html_page_is_an_invalid_response_naming_its_content_type() {
    bounded(LIMIT, async {
        // A captive portal or a misrouted load balancer answering 200.
        let page = "<!DOCTYPE html><html><body>Please log in to continue</body></html>";
        let server = FaultServer::start(move |_, _| {
            Reply::KeepAlive(response(
                200,
                &[("content-type", "text/html; charset=utf-8")],
                page,
            ))
        })
        .await;
        let error = client(&server)
            .update_disk(rename("disk_1", "x"))
            .await
            .unwrap_err();

        let invalid = invalid(&error);
        assert_eq!(invalid.meta().status().as_u16(), 200);
        assert_eq!(invalid.meta().attempts(), 1);
        assert_eq!(server.hits(), 1);
        assert_eq!(invalid.body().as_ref(), page.as_bytes());
        let ResponseProblem::Undecodable(source) = invalid.problem() else {
            panic!("expected Undecodable, got {:?}", invalid.problem());
        };
        assert!(source.is_syntax(), "{source}");
        assert_eq!(
            error.to_string(),
            format!(
                "the 200 response body is not the documented JSON ({source}; {} bytes of \
                 text/html; charset=utf-8); the update was probably applied: fetch the disk to \
                 see its state",
                page.len()
            )
        );
    })
    .await;
}

#[tokio::test]
async fn a_200_of_valid_json_under_a_wrong_content_type_is_decoded() {
    bounded(LIMIT, async {
        // The content type is not checked: the body is what counts.
        let body = disk_json("disk_1");
        let served = body.clone();
        let server = FaultServer::start(move |_, _| {
            Reply::KeepAlive(response(200, &[("content-type", "text/plain")], &served))
        })
        .await;
        let response = client(&server)
            .update_disk(rename("disk_1", "x"))
            .await
            .unwrap();
        assert_eq!(*response, fixtures::update_disk_response("disk_1"));
        assert_eq!(response.raw_body().as_ref(), body.as_bytes());
        assert_eq!(response.meta().attempts(), 1);
        assert_eq!(server.hits(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_200_of_json_in_the_wrong_shape_is_an_invalid_response_keeping_the_bytes() {
    bounded(LIMIT, async {
        let body = r#"{"disk":"disk_1","annotations":{}}"#;
        let server = FaultServer::start(move |_, _| Reply::KeepAlive(katapult(200, body, "req-shape"))).await;
        let error = client(&server).update_disk(rename("disk_1", "x")).await.unwrap_err();

        let invalid = invalid(&error);
        assert_eq!(invalid.meta().status().as_u16(), 200);
        assert_eq!(invalid.meta().attempts(), 1);
        assert_eq!(server.hits(), 1);
        assert_eq!(invalid.body().as_ref(), body.as_bytes());
        let ResponseProblem::Undecodable(source) = invalid.problem() else {
            panic!("expected Undecodable, got {:?}", invalid.problem());
        };
        assert!(source.is_data(), "{source}");
        assert_eq!(
            source.to_string(),
            "invalid type: string \"disk_1\", expected struct PatchDisk200ResponseDisk at line 1 column 16"
        );
    })
    .await;
}

// -------------------------------------------------- connections that break

#[tokio::test]
async fn a_connection_closed_before_the_status_line_is_retried_then_interrupted() {
    bounded(LIMIT, async {
        let server = FaultServer::start(|_, _| Reply::Close(Vec::new())).await;
        let error = client(&server)
            .update_disk(rename("disk_1", "x"))
            .await
            .unwrap_err();

        let transport = transport(&error);
        assert_eq!(transport.kind(), NetworkErrorKind::Interrupted);
        // A failed exchange with no response is retried (the update is
        // idempotent), each time on a new connection.
        assert_eq!(transport.attempts(), 4);
        assert_eq!(server.hits(), 4);
        assert_eq!(server.connections(), 4);
        assert_eq!(error.status(), None);
        assert!(error.is_retryable());
        let text = error.to_string();
        assert!(
            text.starts_with(&format!(
                "the connection to {} broke before a complete response (",
                url(&server)
            )),
            "{text}"
        );
        assert!(text.contains("(after 4 attempts over "), "{text}");
    })
    .await;
}

#[tokio::test]
async fn a_connection_closed_before_the_status_line_once_then_answered_succeeds() {
    bounded(LIMIT, async {
        let body = disk_json("disk_1");
        let server = FaultServer::start(move |_, n| match n {
            1 => Reply::Close(Vec::new()),
            _ => Reply::KeepAlive(katapult(200, &body, "req-2")),
        })
        .await;
        let response = client(&server)
            .update_disk(rename("disk_1", "x"))
            .await
            .unwrap();
        assert_eq!(response.meta().attempts(), 2);
        assert_eq!(response.meta().request_id(), Some("req-2"));
        assert_eq!(server.hits(), 2);
        assert_eq!(server.connections(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_connection_closed_in_the_middle_of_the_body_is_interrupted_and_not_retried() {
    bounded(LIMIT, async {
        let body = disk_json("disk_1");
        let server = FaultServer::start(move |_, _| {
            let full = katapult(200, &body, "req-cut");
            // Headers and the first 40 bytes of a declared longer body.
            let head_len = full.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
            Reply::Close(full[..head_len + 40].to_vec())
        })
        .await;
        let error = client(&server)
            .update_disk(rename("disk_1", "x"))
            .await
            .unwrap_err();

        let transport = transport(&error);
        assert_eq!(transport.kind(), NetworkErrorKind::Interrupted);
        // The server may have applied the update; the body broke after the
        // status, which the retry policy does not repeat.
        assert_eq!(transport.attempts(), 1);
        assert_eq!(server.hits(), 1);
        assert!(error.is_retryable());
        assert_eq!(error.status(), None);
        let text = error.to_string();
        assert!(
            text.starts_with(&format!(
                "the connection to {} broke before a complete response (",
                url(&server)
            )),
            "{text}"
        );
        assert!(!text.contains("attempts"), "{text}");
    })
    .await;
}

#[tokio::test]
async fn an_answer_that_is_not_http_is_retried_then_interrupted() {
    bounded(LIMIT, async {
        // Something else listening on the port: an SSH banner, say.
        let server = FaultServer::start(|_, _| Reply::Close(b"SSH-2.0-OpenSSH_9.6\r\n".to_vec())).await;
        let error = client(&server).update_disk(rename("disk_1", "x")).await.unwrap_err();

        let transport = transport(&error);
        assert_eq!(transport.kind(), NetworkErrorKind::Interrupted);
        assert_eq!(transport.attempts(), 4);
        assert_eq!(server.hits(), 4);
        assert_eq!(error.status(), None);
        let text = error.to_string();
        assert!(
            text.starts_with(&format!(
                "the connection to {} broke before a complete response (invalid HTTP version parsed) (after 4 attempts over ",
                url(&server)
            )),
            "{text}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    bounded(LIMIT, async {
        let server = FaultServer::start(|_, _| {
            Reply::KeepAlive(response(307, &[("location", "/elsewhere")], ""))
        })
        .await;
        let error = client(&server)
            .update_disk(rename("disk_1", "x"))
            .await
            .unwrap_err();

        // The API never redirects; one that does is surprising, and following
        // it would send the PATCH somewhere the caller did not name.
        let invalid = invalid(&error);
        assert!(
            matches!(invalid.problem(), ResponseProblem::UnexpectedStatus),
            "{invalid:?}"
        );
        assert_eq!(invalid.meta().status().as_u16(), 307);
        assert_eq!(
            invalid.meta().headers().get("location").unwrap(),
            "/elsewhere"
        );
        assert_eq!(server.hits(), 1);
        assert_eq!(
            error.to_string(),
            "the API answered 307, which this operation does not document"
        );
    })
    .await;
}

#[tokio::test]
async fn a_redirect_without_a_location_is_an_undocumented_status() {
    bounded(LIMIT, async {
        let server = FaultServer::start(|_, _| Reply::KeepAlive(response(302, &[], "moved"))).await;
        let error = client(&server)
            .update_disk(rename("disk_1", "x"))
            .await
            .unwrap_err();

        let invalid = invalid(&error);
        assert!(
            matches!(invalid.problem(), ResponseProblem::UnexpectedStatus),
            "{invalid:?}"
        );
        assert_eq!(invalid.meta().status().as_u16(), 302);
        assert_eq!(invalid.meta().attempts(), 1);
        assert_eq!(invalid.body().as_ref(), b"moved");
        assert_eq!(server.hits(), 1);
        assert_eq!(
            error.to_string(),
            "the API answered 302, which this operation does not document"
        );
    })
    .await;
}

// ---------------------------------------------------------- slow servers

#[tokio::test]
async fn a_server_that_never_answers_times_out_within_the_timeout() {
    bounded(LIMIT, async {
        let timeout = Duration::from_millis(500);
        let server = FaultServer::start(|_, _| Reply::Hang).await;
        let client = client_with(&server, |b| b.timeout(timeout));
        let started = Instant::now();
        let error = client.update_disk(rename("disk_1", "x")).await.unwrap_err();
        let took = started.elapsed();

        let transport = transport(&error);
        assert_eq!(transport.kind(), NetworkErrorKind::Timeout);
        // A timeout is not retried: the update may have been applied.
        assert_eq!(transport.attempts(), 1);
        assert_eq!(server.hits(), 1);
        assert!(took >= timeout, "{took:?}");
        assert!(transport.elapsed() >= timeout, "{:?}", transport.elapsed());
        assert!(took < timeout + SLACK, "{took:?}");
        assert_eq!(
            error.to_string(),
            format!(
                "no complete response from {} within the 500ms timeout; the update may or may \
                 not have been applied: check the disk before retrying, or raise \
                 ClientBuilder::timeout",
                url(&server)
            )
        );
    })
    .await;
}

#[tokio::test]
async fn a_body_trickled_byte_by_byte_past_the_timeout_times_out() {
    bounded(LIMIT, async {
        let timeout = Duration::from_millis(500);
        let every = Duration::from_millis(50);
        let body = disk_json("disk_1");
        let body_len = body.len();
        let server = FaultServer::start(move |_, _| Reply::Trickle {
            head: head(
                200,
                &[
                    ("content-type", "application/json"),
                    ("content-length", &body_len.to_string()),
                ],
            ),
            body: body.clone().into_bytes(),
            every,
        })
        .await;
        let client = client_with(&server, |b| b.timeout(timeout));
        let started = Instant::now();
        let error = client.update_disk(rename("disk_1", "x")).await.unwrap_err();
        let took = started.elapsed();

        let transport = transport(&error);
        assert_eq!(transport.kind(), NetworkErrorKind::Timeout);
        assert_eq!(transport.attempts(), 1);
        assert_eq!(server.hits(), 1);
        assert!(took >= timeout, "{took:?}");
        assert!(took < timeout + SLACK, "{took:?}");
        // The client hung up mid-trickle: the server's writes failed before
        // the whole body (one byte per 50 ms) was sent.
        let written = server.written(1).await;
        assert!(written.error.is_some(), "{written:?}");
        assert!(written.body_bytes < body_len, "{written:?} of {body_len}");
    })
    .await;
}

// ------------------------------------------------------------ overload

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
    let server = FaultServer::start(move |_, n| match n {
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
    let server = FaultServer::start(move |_, n| {
        Reply::KeepAlive(katapult(status, body(), &format!("req-{n}")))
    })
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
        assert!(error.is_rate_limited());
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
        let server = FaultServer::start(|_, n| {
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
        assert!(error.is_rate_limited());
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
        assert!(!error.is_rate_limited());
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
        let server = FaultServer::start(|_, n| {
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

// ---------------------------------------------------------- body size

/// A 64 MiB body: eight times the default limit, and more than the
/// loopback socket buffers of this machine can absorb.
const HUGE: usize = 64 * MIB;

async fn oversized(chunked: bool, declared: bool) {
    let _heavy = HEAVY.lock().await;
    let server = FaultServer::start(move |_, _| {
        let length = HUGE.to_string();
        let mut headers = vec![("content-type", "application/json")];
        if chunked {
            headers.push(("transfer-encoding", "chunked"));
        } else if declared {
            headers.push(("content-length", length.as_str()));
        }
        // Neither: the body runs to the end of the connection.
        Reply::Flood {
            head: head(200, &headers),
            total: HUGE,
            chunked,
        }
    })
    .await;
    let client = client(&server);
    let (result, peak) = peak_heap(client.update_disk(rename("disk_1", "x"))).await;
    let error = result.unwrap_err();

    let invalid = invalid(&error);
    assert!(
        matches!(invalid.problem(), ResponseProblem::TooLarge { limit } if *limit == DEFAULT_MAX_RESPONSE_BYTES),
        "{invalid:?}"
    );
    assert_eq!(invalid.meta().status().as_u16(), 200);
    assert_eq!(invalid.meta().attempts(), 1);
    assert_eq!(server.hits(), 1);
    assert!(invalid.body().is_empty(), "the cut-off body is not kept");
    assert!(!error.is_retryable());
    assert_eq!(
        error.to_string(),
        "the 200 response body exceeded the client's 8388608-byte limit and was not read \
         further; the update was probably applied: fetch the disk to see its state; raise \
         ClientBuilder::max_response_bytes if such bodies are expected"
    );

    // The client hung up: the server could not send the whole body.
    let written = bounded(LIMIT, server.written(1)).await;
    assert!(written.error.is_some(), "{written:?}");
    assert!(written.body_bytes < HUGE, "{written:?}");
    // Nor did the client hold it. Refused on its declared length, nothing
    // of the body is buffered. Otherwise the buffer's capacity never exceeds
    // the limit, growing in powers of two; the counter charges a `realloc`
    // old plus new, at most 1.5 x this power-of-two limit, plus 2 MiB for the
    // HTTP stack's own buffers. Either way far below the 64 MiB offered.
    let ceiling = if declared && !chunked {
        MIB
    } else {
        DEFAULT_MAX_RESPONSE_BYTES * 3 / 2 + 2 * MIB
    };
    assert!(
        peak < ceiling,
        "peak heap {peak} bytes during the call (ceiling {ceiling}); server wrote {} bytes",
        written.body_bytes
    );
    eprintln!(
        "oversized (chunked: {chunked}, declared: {declared}): peak heap {:.1} MiB, server wrote {:.1} MiB of {} MiB",
        peak as f64 / MIB as f64,
        written.body_bytes as f64 / MIB as f64,
        HUGE / MIB
    );
}

#[tokio::test]
async fn an_oversized_body_with_content_length_is_refused_unread() {
    bounded(LIMIT, oversized(false, true)).await;
}

#[tokio::test]
async fn an_oversized_chunked_body_is_cut_at_the_limit() {
    bounded(LIMIT, oversized(true, false)).await;
}

#[tokio::test]
async fn an_oversized_body_delimited_by_close_is_cut_at_the_limit() {
    bounded(LIMIT, oversized(false, false)).await;
}

#[tokio::test]
async fn the_limit_is_exact_a_body_of_the_limit_is_read_one_more_byte_is_not() {
    bounded(LIMIT, async {
        let limit = 4096;
        for chunked in [false, true] {
            for extra in [0, 1] {
                // Valid JSON padded with spaces to `limit + extra` bytes.
                let mut body = disk_json("disk_1");
                body.push_str(&" ".repeat(limit + extra - body.len()));
                let length = body.len().to_string();
                let server = FaultServer::start(move |_, _| {
                    let framing = if chunked {
                        ("transfer-encoding", "chunked")
                    } else {
                        ("content-length", length.as_str())
                    };
                    let mut bytes = head(200, &[("content-type", "application/json"), framing]);
                    if chunked {
                        // Two chunks, so the limit falls inside the second.
                        let (a, b) = body.as_bytes().split_at(limit / 2);
                        for part in [a, b] {
                            bytes.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
                            bytes.extend_from_slice(part);
                            bytes.extend_from_slice(b"\r\n");
                        }
                        bytes.extend_from_slice(b"0\r\n\r\n");
                    } else {
                        bytes.extend_from_slice(body.as_bytes());
                    }
                    Reply::KeepAlive(bytes)
                })
                .await;
                let client = client_with(&server, |b| b.max_response_bytes(limit));
                let result = client.update_disk(rename("disk_1", "x")).await;
                match extra {
                    0 => {
                        let response = result.unwrap_or_else(|e| panic!("chunked {chunked}: {e:?}"));
                        assert_eq!(response.raw_body().len(), limit);
                    }
                    _ => {
                        let error = result.unwrap_err();
                        assert!(
                            matches!(invalid(&error).problem(), ResponseProblem::TooLarge { limit: l } if *l == limit),
                            "chunked {chunked}: {error:?}"
                        );
                    }
                }
                assert_eq!(server.hits(), 1);
            }
        }
    })
    .await;
}
