//! The hand-written transport under the generated client: progenitor calls
//! these hooks around every request it builds (`HooksMode::Expected` in
//! `xtask/src/codegen.rs` makes leaving them out a compile error).
//!
//! - `pre` adds the bearer token (marked sensitive), the user agent and the
//!   per-attempt timeout;
//! - `exec` sends, retries 429/503/failed connections under the
//!   [`RetryPolicy`], reads the body up to the size limit, and traces one span
//!   per attempt;
//! - `post` turns an over-limit body into an error before it is decoded.
//!
//! The hooks see nothing of the call that made the request, so per-call
//! facts (attempts, last status and headers) travel back to
//! [`crate::Client`] through a task-local [`CallFacts`].

use std::cell::RefCell;
use std::pin::pin;
use std::time::{Duration, Instant};

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, USER_AGENT};
use reqwest::{Request, StatusCode};
use tracing::Instrument;

use crate::generated;
use crate::retry::{RetryCause, RetryPolicy};

/// Configuration the hooks read: the generated client's inner value.
#[derive(Clone)]
pub(crate) struct Transport {
    /// `Bearer <token>`, marked sensitive.
    pub(crate) authorization: HeaderValue,
    pub(crate) user_agent: HeaderValue,
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_response_bytes: usize,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("authorization", &"Bearer <redacted>")
            .field("user_agent", &self.user_agent)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

/// What the hooks learnt about one call, read back by the client.
#[derive(Debug, Default)]
pub(crate) struct CallFacts {
    pub(crate) attempts: u32,
    pub(crate) elapsed: Duration,
    /// Status and headers of the last response, if one arrived.
    pub(crate) last: Option<(StatusCode, HeaderMap)>,
    /// Set when the last body exceeded the limit.
    pub(crate) too_large: Option<usize>,
    /// The per-attempt timeout in force.
    pub(crate) timeout: Duration,
    /// The URL of a request that got no response, as reqwest reports it.
    pub(crate) url: Option<String>,
    /// The last response's body as read (a cheap, shared handle).
    pub(crate) body: bytes::Bytes,
}

tokio::task_local! {
    /// The facts of the call being polled: set by [`recorded`] around one
    /// call, filled in by the hooks, read back when the call is done.
    // Boxed: the value is swapped in and out of the thread-local on every
    // poll, and a pointer is cheaper to move than the facts themselves.
    static CALL: Box<RefCell<CallFacts>>;
}

/// Runs `call` with fresh facts for the hooks to fill in; returns both.
pub(crate) async fn recorded<F: Future>(call: F) -> (F::Output, CallFacts) {
    let mut scoped = pin!(CALL.scope(Box::default(), call));
    let output = scoped.as_mut().await;
    let facts = scoped
        .as_mut()
        .take_value()
        .map(|facts| facts.into_inner())
        .unwrap_or_default();
    (output, facts)
}

fn record(f: impl FnOnce(&mut CallFacts)) {
    // Outside a recorded call (nothing in this crate makes one) there is
    // nowhere to put the facts, and nothing to lose; the hooks never nest,
    // so the cell is never already borrowed.
    let _ = CALL.try_with(|facts| {
        if let Ok(mut facts) = facts.try_borrow_mut() {
            f(&mut facts);
        }
    });
}

/// A body read into memory (a cheap, shared handle), and the limit it
/// exceeded, if it did.
struct Buffered {
    bytes: bytes::Bytes,
    too_large: Option<usize>,
}

/// Marks a response whose body was cut at the limit.
#[derive(Debug, Clone, Copy)]
struct BodyTooLarge {
    limit: usize,
}

impl ClientHooks<Transport> for generated::Client {
    async fn pre<E>(
        &self,
        request: &mut Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let transport = self.inner();
        let headers = request.headers_mut();
        headers.insert(AUTHORIZATION, transport.authorization.clone());
        headers.insert(USER_AGENT, transport.user_agent.clone());
        // Per request rather than on the reqwest client, so it also holds
        // for a client the caller built.
        *request.timeout_mut() = Some(transport.timeout);
        Ok(())
    }

    async fn exec(
        &self,
        request: Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        self.inner().send(self.client(), request, info).await
    }

    async fn post<E>(
        &self,
        result: &reqwest::Result<reqwest::Response>,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        match result {
            Ok(response) => match response.extensions().get::<BodyTooLarge>() {
                Some(too_large) => Err(progenitor_client::Error::Custom(format!(
                    "response body exceeded {} bytes",
                    too_large.limit
                ))),
                None => Ok(()),
            },
            Err(_) => Ok(()),
        }
    }
}

impl Transport {
    /// Sends `request`, retrying under the policy; returns the last response
    /// with its body read into memory, or the last transport error.
    async fn send(
        &self,
        client: &reqwest::Client,
        request: Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let started = Instant::now();
        let timeout = self.timeout;
        let mut request = request;
        let mut attempt = 0;
        loop {
            attempt += 1;
            // A JSON body is bytes, so this clone always succeeds; if it ever
            // did not, the attempt would simply be the last.
            let spare = request.try_clone();
            let span = tracing::info_span!(
                "katapult.request",
                operation = info.operation_id,
                method = %request.method(),
                url = %request.url(),
                attempt,
                status = tracing::field::Empty,
                request_id = tracing::field::Empty,
                duration_ms = tracing::field::Empty,
            );
            let attempt_started = Instant::now();
            let sent = client.execute(request).instrument(span.clone()).await;

            let cause = match &sent {
                Ok(response) => {
                    let headers = response.headers();
                    span.record("status", response.status().as_u16());
                    if let Some(id) = headers.get("x-request-id").and_then(|v| v.to_str().ok()) {
                        span.record("request_id", id);
                    }
                    match response.status() {
                        StatusCode::TOO_MANY_REQUESTS => Some(RetryCause::RateLimited),
                        StatusCode::SERVICE_UNAVAILABLE => Some(RetryCause::Unavailable),
                        _ => None,
                    }
                }
                Err(error) if is_connection_failure(error) => Some(RetryCause::ConnectionFailed),
                Err(_) => None,
            };
            let delay = cause.zip(spare).and_then(|(cause, spare)| {
                let delay =
                    self.retry
                        .next_delay(cause, attempt, started.elapsed(), fastrand::f64())?;
                Some((cause, spare, delay))
            });

            if let Some((cause, spare, delay)) = delay {
                span.record("duration_ms", millis(attempt_started.elapsed()));
                span.in_scope(|| {
                    tracing::info!(
                        cause = cause.as_str(),
                        delay_ms = millis(delay),
                        "katapult request will be retried"
                    );
                });
                // Dropping the response closes its connection rather than
                // reading a body nobody will look at.
                drop(sent);
                tokio::time::sleep(delay).await;
                request = spare;
                continue;
            }

            let result = match sent {
                Ok(response) => self.buffer(response).instrument(span.clone()).await,
                Err(error) => Err(error),
            };
            let (result, body) = match result {
                Ok((response, body)) => (Ok(response), Some(body)),
                Err(error) => (Err(error), None),
            };
            let duration = attempt_started.elapsed();
            span.record("duration_ms", millis(duration));
            span.in_scope(|| match &result {
                Ok(response) => {
                    tracing::debug!(status = response.status().as_u16(), "katapult response")
                }
                Err(error) => tracing::debug!(error = %error, "katapult request failed"),
            });
            record(|facts| {
                facts.attempts = attempt;
                facts.elapsed = started.elapsed();
                facts.timeout = timeout;
                match (&result, body) {
                    (Ok(response), Some(body)) => {
                        facts.last = Some((response.status(), response.headers().clone()));
                        facts.too_large = body.too_large;
                        facts.body = body.bytes;
                    }
                    (Err(error), _) => {
                        if let Some(url) = error.url() {
                            facts.url = Some(url.to_string());
                        }
                    }
                    (Ok(_), None) => {}
                }
            });
            return result;
        }
    }

    /// Reads the whole body, up to `max_response_bytes`, and rebuilds the
    /// response around it: the generated code decodes from memory, and no
    /// server can make the client allocate without bound. A body over the
    /// limit is cut there and the response marked [`BodyTooLarge`].
    async fn buffer(
        &self,
        mut response: reqwest::Response,
    ) -> reqwest::Result<(reqwest::Response, Buffered)> {
        let limit = self.max_response_bytes;
        let declared = response
            .content_length()
            .and_then(|n| usize::try_from(n).ok());
        let mut too_large = declared.is_some_and(|n| n > limit);
        // A body refused on its declared length is not read: reserve nothing.
        let capacity = if too_large { 0 } else { declared.unwrap_or(0) };
        let mut body = Vec::with_capacity(capacity);
        if !too_large {
            loop {
                let chunk = match response.chunk().await {
                    Ok(Some(chunk)) => chunk,
                    Ok(None) => break,
                    Err(error) => {
                        // reqwest names no URL for a body that broke off.
                        let url = response.url().to_string();
                        record(|facts| facts.url = Some(url));
                        return Err(error);
                    }
                };
                let needed = body.len() + chunk.len();
                if needed > limit {
                    too_large = true;
                    break;
                }
                // Grow in powers of two, as `Vec` would, but never past the
                // limit: the buffer's capacity is what `max_response_bytes`
                // bounds (while it grows, the old and new buffers together
                // are at most 1.5 times a power-of-two limit, twice another).
                if needed > body.capacity() {
                    let target = needed.next_power_of_two().min(limit);
                    body.reserve_exact(target - body.len());
                }
                body.extend_from_slice(&chunk);
            }
        }
        if too_large {
            // Nothing reads a body that was cut off: give the memory back now.
            body = Vec::new();
        }

        let buffered = Buffered {
            bytes: bytes::Bytes::from(body),
            too_large: too_large.then_some(limit),
        };
        Ok((rebuild(&mut response, &buffered), buffered))
    }
}

/// The response again, around a body already in memory.
fn rebuild(response: &mut reqwest::Response, buffered: &Buffered) -> reqwest::Response {
    use reqwest::ResponseBuilderExt as _;

    let mut builder = http::Response::builder()
        .status(response.status())
        .version(response.version())
        // Carried over: without it reqwest would parse a placeholder URL,
        // a measurable share of a loopback round trip.
        .url(response.url().clone());
    if let Some(limit) = buffered.too_large {
        builder = builder.extension(BodyTooLarge { limit });
    }
    let headers = std::mem::take(response.headers_mut());
    let mut rebuilt = match builder.body(buffered.bytes.clone()) {
        Ok(rebuilt) => rebuilt,
        // Every part comes from a response reqwest accepted, so the builder
        // has nothing to refuse; were it to, the same response without its
        // URL is still faithful.
        Err(_) => {
            let mut rebuilt = http::Response::new(buffered.bytes.clone());
            *rebuilt.status_mut() = response.status();
            *rebuilt.version_mut() = response.version();
            if let Some(limit) = buffered.too_large {
                rebuilt.extensions_mut().insert(BodyTooLarge { limit });
            }
            rebuilt
        }
    };
    *rebuilt.headers_mut() = headers;
    reqwest::Response::from(rebuilt)
}

/// A failure before any response: the request can be sent again.
/// Timeouts are excluded (see [`RetryPolicy`]).
fn is_connection_failure(error: &reqwest::Error) -> bool {
    error.is_connect() || (error.is_request() && !error.is_timeout())
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
