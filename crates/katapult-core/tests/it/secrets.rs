//! The API token never leaves the client except in the `Authorization`
//! header to the configured host. Everything else the client can emit is
//! collected and searched for it: `Debug` of every public type that holds
//! configuration or results, `Display` and `Debug` of one error of each
//! `Error` variant and `NetworkErrorKind`, and every tracing event and
//! span at TRACE level while all of that happened.

use std::collections::BTreeSet;
use std::time::Duration;

use katapult_test_server::{Reply, Server, envelope, katapult, response};

use crate::support::{TOKEN, bounded, rename};
use katapult_core::{Client, ConfigError, Error, RetryPolicy};
use katapult_core_httpmock::fixtures;

const LIMIT: Duration = Duration::from_secs(30);

/// Everything gathered, labelled, so a leak says where it came from.
#[derive(Default)]
struct Emitted {
    texts: Vec<(String, String)>,
    variants: BTreeSet<&'static str>,
    kinds: BTreeSet<String>,
}

impl Emitted {
    fn add(&mut self, label: impl Into<String>, text: impl Into<String>) {
        self.texts.push((label.into(), text.into()));
    }

    fn debug(&mut self, label: &str, value: &impl std::fmt::Debug) {
        self.add(format!("{label} (Debug)"), format!("{value:?}"));
        self.add(format!("{label} (Debug, pretty)"), format!("{value:#?}"));
    }

    /// Display, Debug, the source chain, and which variant it is.
    fn error(&mut self, label: &str, error: &Error) {
        self.add(format!("{label} (Display)"), error.to_string());
        self.debug(label, error);
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            self.add(format!("{label} (source)"), cause.to_string());
            source = cause.source();
        }
        let variant = match error {
            Error::Config(_) => "Config",
            Error::InvalidRequest(_) => "InvalidRequest",
            Error::Network(transport) => {
                self.kinds.insert(format!("{:?}", transport.kind()));
                self.debug(&format!("{label}: kind"), &transport.kind());
                "Network"
            }
            Error::Api(api) => {
                self.add(format!("{label}: ApiError (Display)"), api.to_string());
                self.debug(&format!("{label}: ApiError"), api);
                self.debug(&format!("{label}: ErrorBody"), api.body());
                self.debug(&format!("{label}: ResponseMeta"), api.meta());
                "Api"
            }
            Error::InvalidResponse(invalid) => {
                self.add(
                    format!("{label}: InvalidResponse (Display)"),
                    invalid.to_string(),
                );
                self.debug(&format!("{label}: ResponseProblem"), invalid.problem());
                "InvalidResponse"
            }
            Error::DeadlineExceeded(late) => {
                self.debug(&format!("{label}: DeadlineExceeded"), late);
                self.debug(&format!("{label}: DeadlinePhase"), &late.phase());
                "DeadlineExceeded"
            }
            _ => "a variant this test does not know",
        };
        self.variants.insert(variant);
    }
}

fn test_client(
    base_url: &str,
    configure: impl FnOnce(katapult_core::ClientBuilder) -> katapult_core::ClientBuilder,
) -> Client {
    configure(
        Client::builder()
            .token(TOKEN)
            .base_url(base_url)
            .retry(crate::support::fast_retries())
            .timeout(Duration::from_secs(5)),
    )
    .build()
    .unwrap()
}

fn config_error(result: Result<Client, Error>) -> Error {
    match result {
        Err(error @ Error::Config(_)) => error,
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

/// Produces everything above, against loopback servers, while tracing
/// captures at TRACE level on this thread.
async fn emit_everything(emitted: &mut Emitted) {
    // ---- configuration
    let builder = Client::builder()
        .token(TOKEN)
        .base_url("http://127.0.0.1:9/core/v1")
        .user_agent_product("secrets-test/1.0")
        .retry(RetryPolicy::default().with_max_attempts(3));
    emitted.debug("ClientBuilder", &builder);
    let own = katapult_core::ClientBuilder::http_client_builder()
        .unwrap()
        .build()
        .unwrap();
    emitted.debug(
        "ClientBuilder with http_client",
        &builder.clone().http_client(own),
    );
    let client = builder.build().unwrap();
    emitted.debug("Client", &client);
    emitted.debug("RetryPolicy", &RetryPolicy::default());

    // ---- Config errors, each echoing whatever it can
    for (label, result) in [
        ("Config: missing token", Client::builder().build()),
        // A token the builder refuses still must not be echoed.
        (
            "Config: token with a space",
            Client::builder().token(format!("{TOKEN} trailing")).build(),
        ),
        (
            "Config: token with a control",
            Client::builder().token(format!("{TOKEN}\u{7}")).build(),
        ),
        (
            "Config: token in the URL's credentials",
            Client::builder()
                .token(TOKEN)
                .base_url(format!("https://user:{TOKEN}@api.katapult.io/core/v1"))
                .build(),
        ),
        (
            "Config: token as the URL's user",
            Client::builder()
                .token(TOKEN)
                .base_url(format!("https://{TOKEN}@api.katapult.io/core/v1"))
                .build(),
        ),
        (
            "Config: insecure URL",
            Client::builder()
                .token(TOKEN)
                .base_url("http://api.katapult.io")
                .build(),
        ),
        (
            "Config: zero timeout",
            Client::builder()
                .token(TOKEN)
                .timeout(Duration::ZERO)
                .build(),
        ),
        (
            "Config: bad user agent",
            Client::builder()
                .token(TOKEN)
                .user_agent_product("bad\nagent")
                .build(),
        ),
    ] {
        let error = config_error(result);
        if let Error::Config(config) = &error {
            emitted.debug(&format!("{label}: ConfigError"), config);
        }
        emitted.error(label, &error);
    }
    assert!(matches!(
        config_error(Client::builder().token(format!("{TOKEN} x")).build()),
        Error::Config(ConfigError::InvalidToken(_))
    ));

    // ---- InvalidRequest: no input reaches it through the public API (the
    // body is typed), so it is made directly, as the client would.
    emitted.error(
        "InvalidRequest",
        &Error::InvalidRequest(
            "conversion to `UpdateDiskBody` for body failed: example".to_owned(),
        ),
    );

    // ---- a success, and its response types
    let body = serde_json::to_string(&fixtures::update_disk_response("disk_1")).unwrap();
    let ok = Server::start(move |_, n| match n {
        1 => Reply::KeepAlive(katapult(
            429,
            envelope("rate_limit_reached", "Slow down", "{}"),
            "req-429",
        )),
        _ => Reply::KeepAlive(katapult(200, &body, "req-ok")),
    })
    .await;
    let success = test_client(&ok.base_url(), |b| b)
        .update_disk(rename("disk_1", "x"))
        .await
        .unwrap();
    assert_eq!(success.meta().attempts(), 2);
    emitted.debug("Response", &success);
    emitted.debug("ResponseMeta", success.meta());
    emitted.debug("RateLimit", &success.meta().rate_limit());
    emitted.add("raw body", String::from_utf8_lossy(success.raw_body()));
    // The server saw the token where it belongs, and nowhere else.
    for request in ok.requests() {
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert!(!request.target().contains(TOKEN));
        assert!(!String::from_utf8_lossy(request.body()).contains(TOKEN));
        let others = request
            .headers()
            .into_iter()
            .filter(|(name, _)| name != "authorization");
        for (name, value) in others {
            assert!(!value.contains(TOKEN), "token sent in the {name} header");
        }
    }

    // ---- Api errors: a typed one, an unknown code, a proxy's page
    let api = Server::start(|_, n| match n {
        1 => Reply::KeepAlive(katapult(
            404,
            serde_json::to_vec(&fixtures::disk_not_found()).unwrap(),
            "req-404",
        )),
        2 => Reply::KeepAlive(katapult(
            403,
            envelope(
                "token_revoked",
                "The token was revoked",
                r#"{"why":"rotated"}"#,
            ),
            "req-403",
        )),
        _ => Reply::KeepAlive(response(
            502,
            &[("content-type", "text/html")],
            "<h1>502 Bad Gateway</h1>",
        )),
    })
    .await;
    let client = test_client(&api.base_url(), |b| b);
    for label in [
        "Api: 404 disk_not_found",
        "Api: 403 unknown code",
        "Api: 502 page",
    ] {
        let error = client.update_disk(rename("disk_1", "x")).await.unwrap_err();
        emitted.error(label, &error);
    }

    // ---- InvalidResponse: undecodable, too large, undocumented status
    let invalid = Server::start(|_, n| match n {
        1 => Reply::KeepAlive(katapult(200, r#"{"disk":{"id":"#, "req-cut")),
        2 => Reply::KeepAlive(katapult(200, "x".repeat(2048), "req-big")),
        _ => Reply::KeepAlive(response(302, &[], "")),
    })
    .await;
    let client = test_client(&invalid.base_url(), |b| b.max_response_bytes(1024));
    for (label, expect) in [
        ("InvalidResponse: undecodable", "Undecodable"),
        ("InvalidResponse: too large", "TooLarge"),
        ("InvalidResponse: undocumented status", "UnexpectedStatus"),
    ] {
        let error = client.update_disk(rename("disk_1", "x")).await.unwrap_err();
        let Error::InvalidResponse(inner) = &error else {
            panic!("{label}: {error:?}");
        };
        assert!(
            format!("{:?}", inner.problem()).starts_with(expect),
            "{label}: {error:?}"
        );
        emitted.error(label, &error);
    }

    // ---- Network errors of every kind
    let error = test_client(&katapult_test_server::closed_port(), |b| b)
        .update_disk(rename("disk_1", "x"))
        .await
        .unwrap_err();
    emitted.error("Network: Connect", &error);

    let hang = Server::start(|_, _| Reply::Hang).await;
    let error = test_client(&hang.base_url(), |b| b.timeout(Duration::from_millis(200)))
        .update_disk(rename("disk_1", "x"))
        .await
        .unwrap_err();
    emitted.error("Network: Timeout", &error);

    let cut = Server::start(|_, _| Reply::Close(Vec::new())).await;
    let error = test_client(&cut.base_url(), |b| b)
        .update_disk(rename("disk_1", "x"))
        .await
        .unwrap_err();
    emitted.error("Network: Interrupted", &error);

    let redirect_loop =
        Server::start(|_, _| Reply::KeepAlive(response(307, &[("location", "/disks/disk")], "")))
            .await;
    // The client's own never follows redirects; a caller's may.
    let following = katapult_core::ClientBuilder::http_client_builder()
        .unwrap()
        .redirect(katapult_core::reqwest::redirect::Policy::limited(3))
        .build()
        .unwrap();
    let error = test_client(&redirect_loop.base_url(), |b| b.http_client(following))
        .update_disk(rename("disk_1", "x"))
        .await
        .unwrap_err();
    emitted.error("Network: Other (redirect loop)", &error);

    // ---- a per-call deadline that passes mid-attempt
    let error = test_client(&hang.base_url(), |b| b)
        .with_options(katapult_core::CallOptions::new().deadline(Duration::from_millis(200)))
        .update_disk(rename("disk_1", "x"))
        .await
        .unwrap_err();
    emitted.error("DeadlineExceeded", &error);
}

/// The same token from a provider, asked for each attempt: it reaches the
/// wire and nothing else; a provider that fails, and hooks, see no token.
async fn a_token_from_a_provider_is_kept_as_close(emitted: &mut Emitted) {
    use katapult_core::{AttemptOutcome, AttemptRequest, Hook, token_provider_fn};

    /// Writes everything a hook can see into the emitted texts' log.
    struct Peek(std::sync::Arc<std::sync::Mutex<Vec<String>>>);
    impl Hook for Peek {
        fn before_attempt(&self, request: &mut AttemptRequest<'_>) {
            let seen = format!("{} {}", request.method(), request.url());
            self.0.lock().unwrap().push(seen);
        }
        fn after_attempt(&self, attempt: &AttemptOutcome<'_>) {
            let seen = format!(
                "{} {:?} {:?} {:?}",
                attempt.operation(),
                attempt.status(),
                attempt.headers(),
                attempt.network_error()
            );
            self.0.lock().unwrap().push(seen);
        }
    }

    let body = serde_json::to_string(&fixtures::update_disk_response("disk_1")).unwrap();
    let ok = Server::start(move |_, n| match n {
        1 => Reply::KeepAlive(katapult(503, "{}", "req-503")),
        _ => Reply::KeepAlive(katapult(200, &body, "req-ok")),
    })
    .await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let builder = Client::builder()
        .token_provider(token_provider_fn("secret store", || Ok(TOKEN.to_owned())))
        .hook(Peek(seen.clone()))
        .base_url(ok.base_url())
        .retry(crate::support::fast_retries());
    emitted.debug("ClientBuilder with a token provider", &builder);
    let client = builder.build().unwrap();
    emitted.debug("Client with a token provider", &client);
    let view = client.with_options(katapult_core::CallOptions::new().deadline(LIMIT));
    emitted.debug("Client view with options", &view);
    let prepared = view.prepare_update_disk(&rename("disk_1", "x")).unwrap();
    emitted.add(
        "PreparedRequest with a token provider",
        prepared.to_string(),
    );
    emitted.debug("PreparedRequest with a token provider", &prepared);
    let success = view.update_disk(rename("disk_1", "x")).await.unwrap();
    emitted.debug("Response through a token provider", &success);
    for request in ok.requests() {
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
    for (n, line) in seen.lock().unwrap().iter().enumerate() {
        emitted.add(format!("what a hook saw, #{n}"), line.clone());
    }
    assert_eq!(
        seen.lock().unwrap().len(),
        4,
        "two attempts, seen twice each"
    );

    // A provider that fails; one whose token is refused.
    for (label, answer) in [
        ("Config: token provider failed", None),
        // Refused, and not echoed back.
        (
            "Config: token provider gave a bad token",
            Some(format!("{TOKEN} {TOKEN}")),
        ),
    ] {
        let client = Client::builder()
            .token_provider(token_provider_fn("secret store", move || {
                answer.clone().ok_or_else(|| "the store refused".into())
            }))
            .base_url(ok.base_url())
            .build()
            .unwrap();
        let error = client.update_disk(rename("disk_1", "x")).await.unwrap_err();
        assert!(
            matches!(&error, Error::Config(ConfigError::TokenProvider { .. })),
            "{label}: {error:?}"
        );
        emitted.error(label, &error);
    }
}

/// A 307 to another origin is not followed: neither the update nor the
/// token goes anywhere the caller did not name.
async fn a_redirect_to_another_origin_does_not_carry_the_token(emitted: &mut Emitted) {
    let body = serde_json::to_string(&fixtures::update_disk_response("disk_1")).unwrap();
    let elsewhere =
        Server::start(move |_, _| Reply::KeepAlive(katapult(200, &body, "req-b"))).await;
    let target = format!("{}/disks/disk", elsewhere.base_url());
    let api =
        Server::start(move |_, _| Reply::KeepAlive(response(307, &[("location", &target)], "")))
            .await;

    let error = test_client(&api.base_url(), |b| b)
        .update_disk(rename("disk_1", "x"))
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(307));
    emitted.error("Error after a redirect", &error);
    let first = &api.requests()[0];
    assert_eq!(first.method(), "PATCH");
    assert_eq!(
        first.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(elsewhere.requests().is_empty(), "the redirect was followed");
}

// One test in this file, on purpose: the capture is per thread, and a test
// running the client on another thread at the same moment can leave the
// `katapult.request` span disabled for this one (tracing caches per
// callsite whether anyone listens), which would hide what it should show.
#[tokio::test(flavor = "current_thread")]
async fn the_token_appears_in_nothing_the_client_emits() {
    let (captured, guard) = crate::support::capture_traces();
    let mut emitted = Emitted::default();
    bounded(LIMIT, async {
        emit_everything(&mut emitted).await;
        a_redirect_to_another_origin_does_not_carry_the_token(&mut emitted).await;
        a_token_from_a_provider_is_kept_as_close(&mut emitted).await;
    })
    .await;
    drop(guard);
    let traces = captured.text();
    emitted.add("tracing output at TRACE", traces.clone());

    // Everything was produced: each Error variant, each transport kind.
    assert_eq!(
        emitted.variants.iter().copied().collect::<Vec<_>>(),
        [
            "Api",
            "Config",
            "DeadlineExceeded",
            "InvalidRequest",
            "InvalidResponse",
            "Network"
        ]
    );
    assert_eq!(
        emitted.kinds.iter().cloned().collect::<Vec<_>>(),
        ["Connect", "Interrupted", "Other", "Timeout"]
    );
    // The search below has real material: the redactions show, the
    // traces hold every attempt.
    let all = |label: &str| {
        emitted
            .texts
            .iter()
            .filter(|(l, _)| l.starts_with(label))
            .map(|(_, t)| t.as_str())
            .collect::<String>()
    };
    assert!(
        all("Client (Debug)").contains("Bearer <redacted>"),
        "{}",
        all("Client (Debug)")
    );
    assert!(all("ClientBuilder (Debug)").contains("<redacted>"));
    assert!(
        all("Client with a token provider (Debug)").contains("TokenProvider(\"secret store\")"),
        "{}",
        all("Client with a token provider (Debug)")
    );
    assert!(all("PreparedRequest with a token provider").contains("Bearer <redacted>"));
    assert!(all("what a hook saw").contains("req-503"));
    for expected in [
        "katapult.request",
        "attempt=2",
        "status=429",
        "status=200",
        "status=404",
        "katapult request will be retried",
        "katapult request failed",
    ] {
        assert!(
            traces.contains(expected),
            "missing {expected:?} in traces:\n{traces}"
        );
    }

    let mut leaks = Vec::new();
    for (label, text) in &emitted.texts {
        if text.contains(TOKEN) || text.contains("Bearer kt-") {
            leaks.push(format!("{label}: {text}"));
        }
    }
    assert!(
        leaks.is_empty(),
        "the token leaked into:\n{}",
        leaks.join("\n\n")
    );
    eprintln!(
        "searched {} texts ({} bytes, {} of them traces) for the token",
        emitted.texts.len(),
        emitted.texts.iter().map(|(_, t)| t.len()).sum::<usize>(),
        traces.len()
    );
}
