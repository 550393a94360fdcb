//! Token providers: asked for every attempt, and a failing one sends
//! nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use katapult_core::{
    Client, ConfigError, Error, TokenFuture, TokenProvider, TokenResult, token_provider_fn,
};
use katapult_core_httpmock::fixtures;
use katapult_test_server::{Reply, Server, katapult};

use crate::support::{bounded, fast_retries, rename};

const LIMIT: Duration = Duration::from_secs(20);

/// Gives `token-1`, `token-2`, ... one per attempt.
struct Counting(AtomicUsize);

impl TokenProvider for Counting {
    fn name(&self) -> &str {
        "counting"
    }

    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move {
            // A secret store is a network call away.
            tokio::task::yield_now().await;
            let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(format!("token-{n}"))
        })
    }
}

#[tokio::test]
async fn the_provider_is_asked_for_every_attempt() {
    bounded(LIMIT, async {
        let body = serde_json::to_string(&fixtures::update_disk_response("disk_1")).unwrap();
        let server = Server::start(move |_, n| match n {
            1 => Reply::KeepAlive(katapult(503, "{}", "req-503")),
            _ => Reply::KeepAlive(katapult(200, &body, "req-200")),
        })
        .await;
        let client = Client::builder()
            .token_provider(Counting(AtomicUsize::new(0)))
            .base_url(server.base_url())
            .retry(fast_retries())
            .build()
            .unwrap();
        client.update_disk(rename("disk_1", "x")).await.unwrap();
        let sent: Vec<_> = server
            .requests()
            .iter()
            .map(|request| request.header("authorization").map(str::to_owned))
            .collect();
        assert_eq!(
            sent,
            [
                Some("Bearer token-1".to_owned()),
                Some("Bearer token-2".to_owned())
            ]
        );
        // A dry run does not ask the provider, and shows no token.
        let prepared = client.prepare_update_disk(&rename("disk_1", "x")).unwrap();
        assert_eq!(prepared.headers()["authorization"], "Bearer <redacted>");
        assert_eq!(server.hits(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_provider_replaces_a_fixed_token() {
    bounded(LIMIT, async {
        let body = serde_json::to_string(&fixtures::update_disk_response("disk_1")).unwrap();
        let server = Server::start(move |_, _| Reply::KeepAlive(katapult(200, &body, "r"))).await;
        let client = Client::builder()
            .token("fixed")
            .token_provider(token_provider_fn("from a closure", || Ok("rotated".into())))
            .base_url(server.base_url())
            .build()
            .unwrap();
        client.update_disk(rename("disk_1", "x")).await.unwrap();
        assert_eq!(
            server.requests()[0].header("authorization"),
            Some("Bearer rotated")
        );
    })
    .await;
}

#[tokio::test]
async fn a_provider_that_fails_is_a_configuration_error_naming_it_and_nothing_is_sent() {
    bounded(LIMIT, async {
        let server = Server::start(|_, _| Reply::KeepAlive(katapult(200, "{}", "req"))).await;
        let asked = Arc::new(AtomicUsize::new(0));
        let counter = asked.clone();
        let failing = move || -> TokenResult {
            counter.fetch_add(1, Ordering::SeqCst);
            Err("the vault is sealed".into())
        };
        let invalid = || -> TokenResult { Ok("two words".into()) };
        let empty = || -> TokenResult { Ok("  \n".into()) };
        for (client, reason) in [
            (
                token_client(&server, token_provider_fn("vault", failing)),
                "it failed: the vault is sealed",
            ),
            (
                token_client(&server, token_provider_fn("vault", invalid)),
                "the token it gave contains whitespace",
            ),
            (
                token_client(&server, token_provider_fn("vault", empty)),
                "the token it gave is empty",
            ),
        ] {
            let error = client.update_disk(rename("disk_1", "x")).await.unwrap_err();
            let Error::Config(ConfigError::TokenProvider { provider, .. }) = &error else {
                panic!("expected ConfigError::TokenProvider, got {error:?}");
            };
            assert_eq!(provider, "vault");
            let text = error.to_string();
            assert!(text.contains("the token provider \"vault\""), "{text}");
            assert!(text.contains(reason), "{text}");
            assert!(text.contains("nothing was sent"), "{text}");
            assert!(
                !text.contains("two words"),
                "the bad token is not echoed: {text}"
            );
            assert!(!error.is_retryable());
        }
        // Asked once: a configuration error is not retried.
        assert_eq!(asked.load(Ordering::SeqCst), 1);
        assert_eq!(server.hits(), 0, "nothing was sent");
    })
    .await;
}

fn token_client(server: &Server, provider: impl TokenProvider) -> Client {
    Client::builder()
        .token_provider(provider)
        .base_url(server.base_url())
        .retry(fast_retries())
        .build()
        .unwrap()
}

#[test]
fn a_provider_needs_no_fixed_token_and_shows_only_its_name() {
    let builder = Client::builder().token_provider(token_provider_fn("vault", || {
        Ok("kt-provided-s3cr3t".into())
    }));
    assert!(format!("{builder:?}").contains("token_provider: Some(\"vault\")"));
    let client = builder.build().unwrap();
    let debug = format!("{client:?}");
    assert!(debug.contains("TokenProvider(\"vault\")"), "{debug}");
    assert!(!debug.contains("s3cr3t"), "{debug}");
}

/// Never answers: a secret store that hangs.
struct Hanging;

impl TokenProvider for Hanging {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(std::future::pending())
    }
}

#[tokio::test]
async fn a_provider_that_hangs_is_bounded_by_the_call_deadline_and_nothing_is_sent() {
    bounded(LIMIT, async {
        let server = Server::start(|_, _| Reply::KeepAlive(katapult(200, "{}", "req"))).await;
        let client = token_client(&server, Hanging)
            .with_options(katapult_core::CallOptions::new().deadline(Duration::from_millis(200)));
        let error = client.update_disk(rename("disk_1", "x")).await.unwrap_err();
        let Error::DeadlineExceeded(late) = &error else {
            panic!("expected Error::DeadlineExceeded, got {error:?}");
        };
        assert_eq!(late.phase(), katapult_core::DeadlinePhase::BeforeAttempt);
        assert_eq!(late.attempts(), 0);
        assert!(error.to_string().contains("nothing was sent"), "{error}");
        assert_eq!(server.hits(), 0);
    })
    .await;
}

/// A provider that fails on a retry: the attempt it was asked for is not
/// sent, and the error says the first one was, and may have been applied.
#[tokio::test]
async fn a_provider_that_fails_on_a_retry_says_what_was_already_sent() {
    bounded(LIMIT, async {
        let server = Server::start(|_, _| Reply::Close(Vec::new())).await;
        let asked = AtomicUsize::new(0);
        let provider = move || -> TokenResult {
            match asked.fetch_add(1, Ordering::SeqCst) {
                0 => Ok("first".into()),
                _ => Err("the vault is sealed".into()),
            }
        };
        let client = Client::builder()
            .token_provider(token_provider_fn("vault", provider))
            .base_url(server.base_url())
            .retry(fast_retries())
            .build()
            .unwrap();
        let error = client.update_disk(rename("disk_1", "x")).await.unwrap_err();
        assert_eq!(server.hits(), 1, "the refused retry was not sent");
        assert!(
            matches!(
                &error,
                Error::Config(ConfigError::TokenProvider { sent: 1, .. })
            ),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains("already sent 1 request, which may have been applied")
                && !message.contains("nothing was sent"),
            "{message}"
        );
    })
    .await;
}
