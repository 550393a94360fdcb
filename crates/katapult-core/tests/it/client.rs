//! The client against a mock Katapult on loopback: auth, retries, errors,
//! open enums, rate-limit headers, tracing. Every test is bounded in time.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::support::{TOKEN, bounded, client, katapult, rename, scripted};
use httpmock::{HttpMockResponse, MockServer};
use katapult_core::types::{DiskStateEnum, ErrorCode, VirtualMachineDiskAttachmentStateEnum};
use katapult_core::{Client, ConfigError, Error, ErrorBody, NetworkErrorKind, RetryPolicy};
use katapult_core_httpmock::{KatapultMock, MockServerExt, fixtures};
use katapult_test_server::envelope;

const LIMIT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn the_bearer_token_is_sent_and_never_printed() {
    bounded(LIMIT, async {
        let server = MockServer::start_async().await;
        let authorized = server.update_disk(|when, then| {
            // `When` is a handle on the mock's expectations: adding to the
            // inner one adds to this mock.
            when.into_inner()
                .header("authorization", format!("Bearer {TOKEN}"));
            then.ok(&fixtures::update_disk_response("disk_1"));
        });
        let client = client(&server.base_url());
        let response = client.update_disk(rename("disk_1", "data")).await.unwrap();
        authorized.assert_async().await;
        assert_eq!(response.disk.id.as_deref(), Some("disk_1"));

        // The token appears in no Debug output and no error message.
        let failing = MockServer::start_async().await;
        failing.update_disk(|_, then| {
            then.not_found(&fixtures::disk_not_found());
        });
        let error = crate::support::client(&failing.base_url())
            .update_disk(rename("disk_missing", "x"))
            .await
            .unwrap_err();
        for text in [
            format!("{client:?}"),
            format!("{response:?}"),
            format!("{error}"),
            format!("{error:?}"),
            format!("{:?}", Client::builder().token(TOKEN)),
        ] {
            assert!(!text.contains(TOKEN), "token leaked into: {text}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_429_then_200_succeeds_after_backing_off() {
    bounded(LIMIT, async {
        let (server, hits) = scripted(|n| match n {
            1 => katapult(
                429,
                &envelope(
                    "rate_limit_reached",
                    "You have reached the rate limit",
                    r#"{"total_permitted":1000}"#,
                ),
                "req-1",
            ),
            _ => katapult(
                200,
                &serde_json::to_string(&fixtures::update_disk_response("disk_1")).unwrap(),
                "req-2",
            ),
        })
        .await;
        let policy = RetryPolicy::default()
            .with_rate_limit_backoff(Duration::from_millis(300), Duration::from_millis(300))
            .with_transient_backoff(Duration::from_millis(1), Duration::from_millis(1));
        let client = Client::builder()
            .token(TOKEN)
            .base_url(server.base_url())
            .retry(policy)
            .build()
            .unwrap();

        let started = Instant::now();
        let response = client.update_disk(rename("disk_1", "data")).await.unwrap();
        assert_eq!(hits.load(Ordering::SeqCst), 2);
        assert_eq!(response.meta().attempts(), 2);
        assert_eq!(response.meta().request_id(), Some("req-2"));
        // Equal jitter never waits less than half the step: the rate-limit
        // back-off (150 ms at least), not the transient one (1 ms), was used.
        assert!(
            started.elapsed() >= Duration::from_millis(150),
            "{:?}",
            started.elapsed()
        );
    })
    .await;
}

#[tokio::test]
async fn a_400_invalid_argument_is_not_retried() {
    bounded(LIMIT, async {
        let (server, hits) = scripted(|_| {
            katapult(
                400,
                &envelope(
                    "invalid_argument",
                    "The 'disk' argument is invalid",
                    r#"{"path":["disk"],"issue":"missing_lookup_value","issue_description":"No lookup value provided"}"#,
                ),
                "req-400",
            )
        })
        .await;
        let error = client(&server.base_url()).update_disk(rename("", "x")).await.unwrap_err();
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        assert_eq!(error.code(), Some(&ErrorCode::InvalidArgument));
        assert!(!error.is_retryable());
        let api = error.as_api().unwrap();
        assert_eq!(api.meta().attempts(), 1);
        let ErrorBody::Known(katapult_core::types::KatapultError::InvalidArgument { detail: Some(detail), .. }) = api.body()
        else {
            panic!("expected a typed invalid_argument, got {:?}", api.body());
        };
        assert_eq!(detail.issue, Some(katapult_core::types::InvalidArgumentIssue::MissingLookupValue));
        assert_eq!(
            error.to_string(),
            "400 invalid_argument: The 'disk' argument is invalid: No lookup value provided (request req-400)"
        );
    })
    .await;
}

#[tokio::test]
async fn attempts_stop_at_the_configured_maximum() {
    bounded(LIMIT, async {
        let (server, hits) = scripted(|_| {
            katapult(
                503,
                &envelope(
                    "service_unavailable",
                    "The service is currently unavailable",
                    "{}",
                ),
                "req-503",
            )
        })
        .await;
        let client = Client::builder()
            .token(TOKEN)
            .base_url(server.base_url())
            .retry(crate::support::fast_retries().with_max_attempts(3))
            .build()
            .unwrap();
        let error = client.update_disk(rename("disk_1", "x")).await.unwrap_err();
        assert_eq!(hits.load(Ordering::SeqCst), 3);
        assert_eq!(error.as_api().unwrap().meta().attempts(), 3);
        assert_eq!(error.code(), Some(&ErrorCode::ServiceUnavailable));
        assert!(error.is_retryable());
        assert!(error.to_string().contains("after 3 attempts"), "{error}");
    })
    .await;
}

#[tokio::test]
async fn retries_can_be_switched_off() {
    bounded(LIMIT, async {
        let (server, hits) =
            scripted(|_| katapult(429, &envelope("rate_limit_reached", "Slow down", "{}"), "r"))
                .await;
        let client = Client::builder()
            .token(TOKEN)
            .base_url(server.base_url())
            .retry(RetryPolicy::none())
            .build()
            .unwrap();
        let error = client.update_disk(rename("disk_1", "x")).await.unwrap_err();
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        assert!(error.is_429_or_governor_refusal());
    })
    .await;
}

#[tokio::test]
async fn a_never_seen_disk_state_decodes_and_round_trips() {
    bounded(LIMIT, async {
        let mut body = serde_json::to_value(fixtures::update_disk_response("disk_1")).unwrap();
        body["disk"]["state"] = "defragmenting".into();
        body["disk"]["virtual_machine_disk"]["state"] = "hibernating".into();
        body["disk"]["a_field_from_the_future"] = serde_json::json!({"x": 1});
        let text = body.to_string();
        let (server, _) = scripted(move |_| katapult(200, &text, "req-new")).await;

        let response = client(&server.base_url())
            .update_disk(rename("disk_1", "x"))
            .await
            .unwrap();
        assert_eq!(
            response.disk.state,
            Some(DiskStateEnum::Unknown("defragmenting".into()))
        );
        let attachment = response.disk.virtual_machine_disk.as_ref().unwrap();
        assert_eq!(
            attachment.state,
            Some(VirtualMachineDiskAttachmentStateEnum::Unknown(
                "hibernating".into()
            ))
        );

        let again = serde_json::to_value(&response.disk).unwrap();
        assert_eq!(again["state"], "defragmenting");
        assert_eq!(again["virtual_machine_disk"]["state"], "hibernating");
        // Unknown fields are not decoded, but the raw body keeps them.
        let raw: serde_json::Value = serde_json::from_slice(response.raw_body()).unwrap();
        assert_eq!(raw["disk"]["a_field_from_the_future"]["x"], 1);
    })
    .await;
}

#[tokio::test]
async fn an_html_502_keeps_its_status_and_text() {
    bounded(LIMIT, async {
        let page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
        let (server, hits) = scripted(move |_| {
            HttpMockResponse::builder()
                .status(502)
                .header("content-type", "text/html")
                .body(page)
                .build()
        })
        .await;
        let error = client(&server.base_url())
            .update_disk(rename("disk_1", "x"))
            .await
            .unwrap_err();
        // Update disk is safe to send twice (`x-idempotent`), so a proxy's
        // 502 is retried within the attempt budget.
        assert!(
            hits.load(Ordering::SeqCst) > 1,
            "502 of an operation safe to send twice is retried"
        );
        assert_eq!(error.status().map(|s| s.as_u16()), Some(502));
        assert_eq!(error.code(), None);
        let ErrorBody::Text(text) = error.as_api().unwrap().body() else {
            panic!("expected text, got {error:?}");
        };
        assert_eq!(text, page);
        assert!(
            error
                .to_string()
                .starts_with("502 Bad Gateway: not a Katapult error (text/html): <html>"),
            "{error}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_request_id_appears_in_the_error_display() {
    bounded(LIMIT, async {
        let (server, _) = scripted(|_| {
            katapult(
                422,
                &envelope(
                    "validation_error",
                    "A validation error occurred with the object that was being created/updated/deleted",
                    r#"{"errors":["Name can't be blank"]}"#,
                ),
                "6476b4c1-5f0e-4c55-9d3c-0c9a8d2f4e11",
            )
        })
        .await;
        let error = client(&server.base_url()).update_disk(rename("disk_1", "")).await.unwrap_err();
        assert_eq!(
            error.to_string(),
            "422 validation_error: Name can't be blank (request 6476b4c1-5f0e-4c55-9d3c-0c9a8d2f4e11)"
        );
        assert_eq!(error.request_id(), Some("6476b4c1-5f0e-4c55-9d3c-0c9a8d2f4e11"));
        assert_eq!(error.rate_limit().unwrap().remaining, Some(998));
    })
    .await;
}

#[tokio::test]
async fn rate_limit_headers_are_readable_on_success() {
    bounded(LIMIT, async {
        let katapult = KatapultMock::start().await;
        let client = client(&katapult.base_url());
        let first = client.update_disk(rename("disk_1", "a")).await.unwrap();
        let second = client.update_disk(rename("disk_1", "b")).await.unwrap();
        assert_eq!(first.meta().rate_limit().permitted, Some(1000));
        assert_eq!(first.meta().rate_limit().remaining, Some(999));
        assert_eq!(second.meta().rate_limit().remaining, Some(998));
        assert_eq!(second.disk.name.as_deref(), Some("b"));
        assert!(first.meta().request_id().is_some());
        assert_eq!(katapult.hits(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported() {
    bounded(LIMIT, async {
        // A port that was free a moment ago and has no listener now.
        let base_url = katapult_test_server::closed_port();
        let error = client(&base_url)
            .update_disk(rename("disk_1", "x"))
            .await
            .unwrap_err();
        let Error::Network(transport) = &error else {
            panic!("expected a transport error, got {error:?}");
        };
        assert_eq!(transport.kind(), NetworkErrorKind::Connect);
        assert_eq!(transport.attempts(), 4);
        assert!(error.is_retryable());
        let text = error.to_string();
        assert!(
            text.starts_with(&format!("could not connect to {base_url}/disks/disk: ")),
            "{text}"
        );
        assert!(
            text.contains("after 4 attempts") && text.contains("KATAPULT_API_URL"),
            "{text}"
        );
    })
    .await;
}

#[tokio::test]
async fn plain_http_to_a_remote_host_is_refused_before_sending() {
    let error = Client::builder()
        .token(TOKEN)
        .base_url("http://api.katapult.io/core/v1")
        .build()
        .unwrap_err();
    assert!(
        matches!(error, Error::Config(ConfigError::InsecureBaseUrl { .. })),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("would travel in clear"),
        "{error}"
    );
}

#[test]
fn a_rate_limit_pool_file_that_cannot_be_opened_is_refused_before_sending() {
    let missing = std::env::temp_dir()
        .join(format!("katapult-no-such-folder-{}", std::process::id()))
        .join("token.pool");
    let error = Client::builder()
        .token(TOKEN)
        .rate_limit_pool(&missing)
        .build()
        .unwrap_err();
    let Error::Config(ConfigError::RateLimitPool { path, .. }) = &error else {
        panic!("expected ConfigError::RateLimitPool, got {error:?}");
    };
    assert_eq!(path, &missing);
    let message = error.to_string();
    assert!(
        message.contains(&missing.display().to_string()),
        "{message}"
    );
    assert!(message.contains("nothing was sent"), "{message}");

    // Without the governor there is nothing to pool: the file is not opened.
    Client::builder()
        .token(TOKEN)
        .rate_limit_governor(false)
        .rate_limit_pool(&missing)
        .build()
        .unwrap();
}

#[tokio::test]
async fn a_trailing_slash_on_the_base_url_is_harmless() {
    bounded(LIMIT, async {
        let katapult = KatapultMock::start().await;
        let client = client(&format!("{}/", katapult.base_url()));
        client.update_disk(rename("disk_1", "x")).await.unwrap();
        assert_eq!(katapult.hits(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_callers_own_http_client_still_gets_token_user_agent_and_retries() {
    bounded(LIMIT, async {
        let server = MockServer::start_async().await;
        let expected_agent = format!(
            "katapult-core/{} disk-janitor/1.4",
            env!("CARGO_PKG_VERSION")
        );
        let mock = server
            .mock_async(|when, then| {
                when.method(httpmock::Method::PATCH)
                    .path("/disks/disk")
                    .header("authorization", format!("Bearer {TOKEN}"))
                    .header("user-agent", expected_agent.as_str())
                    .header("content-type", "application/json")
                    .header("accept", "application/json");
                then.status(200)
                    .header("content-type", "application/json")
                    .json_body_obj(&fixtures::update_disk_response("disk_1"));
            })
            .await;
        let own = katapult_core::ClientBuilder::http_client_builder()
            .unwrap()
            .user_agent("overridden")
            .build()
            .unwrap();
        let client = Client::builder()
            .token(TOKEN)
            .base_url(server.base_url())
            .user_agent_product("disk-janitor/1.4")
            .http_client(own)
            .build()
            .unwrap();
        client.update_disk(rename("disk_1", "x")).await.unwrap();
        mock.assert_async().await;
    })
    .await;
}
