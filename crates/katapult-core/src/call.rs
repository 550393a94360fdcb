//! The one path every operation takes, in the order it happens: the
//! generated method names its operation and hands over its arguments;
//! [`Client::call`] writes the body once, then for each attempt asks the
//! rate-limit governor for leave, gets the token (from the provider, if
//! one is installed), builds the request ([`Client::request`], which
//! [`Client::prepare`] also uses), lets the hooks see it, sends it, shows
//! the hooks what came back, and asks the retry table whether to go again,
//! all within the call's hard deadline when a view set one. A safe
//! operation's (`x-idempotent`) body is read inside its attempt, so a body
//! that breaks is retried like a lost answer; the last answer goes to
//! [`Client::answer`], which reads its body under the size limit (unless
//! the attempt did) and decodes it: the documented success type, or an
//! error body through [`ApiError::from_body`].

use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue, USER_AGENT};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::api_error::ApiError;
use crate::client::Client;
use crate::error::{
    ConfigError, Error, InvalidResponse, NetworkError, NetworkErrorKind, RateLimited,
    ResponseProblem,
};
use crate::governor::{After429, far_future};
use crate::hooks;
use crate::options::{DeadlineExceeded, DeadlinePhase};
use crate::prepared::PreparedRequest;
use crate::response::{Response, ResponseMeta, X_REQUEST_ID};
use crate::retry::Outcome;
use crate::token::Credential;

/// One operation of the fragment, as `cargo xtask codegen` writes it into
/// the generated methods.
#[derive(Debug)]
pub(crate) struct Operation {
    /// Its Rust name (`x-rust-name`), as traces show it.
    pub(crate) id: &'static str,
    pub(crate) method: Method,
    /// Joined to the base URL.
    pub(crate) path: &'static str,
    /// The statuses whose body is the documented success body.
    pub(crate) success: &'static [u16],
    /// The fragment's `x-idempotent`: sending it twice is safe, so an
    /// answer lost after sending is retried (the retry table), and a disk
    /// change sends it again after reading the disk.
    pub(crate) idempotent: bool,
    /// The fragment's `info.version`, sent as `api-version` as progenitor's
    /// generated clients send it (the API ignores it; kept so the wire does
    /// not change with the call path).
    pub(crate) api_version: &'static str,
}

/// Awaits `future` inside `span`, or bare when no subscriber wants the span:
/// the wrapper enters and leaves the span on every poll, a measurable share
/// of a loopback round trip when nobody is listening. A macro rather than an
/// `async fn`, so no wrapper future is built (and the inner one moved into
/// it) on every call.
macro_rules! in_span {
    ($span:expr, $future:expr) => {{
        let span: &tracing::Span = $span;
        let future = $future;
        if span.is_disabled() {
            future.await
        } else {
            future.instrument(span.clone()).await
        }
    }};
}

const JSON: HeaderValue = HeaderValue::from_static("application/json");
const API_VERSION: HeaderName = HeaderName::from_static("api-version");

impl Client {
    /// Sends `operation` with `query` (name and value pairs, percent-encoded
    /// here) and `body` (sent as JSON; `None::<&()>` for an operation
    /// without one), retrying under the policy and waiting where the
    /// governor says; decodes the last answer into `T` for a documented
    /// success, else into the one [`Error`].
    pub(crate) async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        operation: &Operation,
        query: &[(&str, &str)],
        body: Option<&B>,
    ) -> Result<Response<T>, Error> {
        let body = encode(body)?;
        let settings = &self.inner.settings;
        if settings.timeout.is_zero() {
            return Err(ConfigError::InvalidSetting(
                "the timeout (CallOptions::timeout) is zero, so every request would fail at \
                 once: give it a positive duration"
                    .to_owned(),
            )
            .into());
        }
        let governor = &*settings.governor;
        let started = Instant::now();
        let retry_deadline = started
            .checked_add(settings.retry.max_elapsed())
            .unwrap_or_else(|| far_future(started));
        // The hard deadline, when a view set one: it bounds holds, attempts
        // and back-offs, where the policy's bounds when retries start.
        let hard = settings.deadline.map(|deadline| deadline.at(started));
        let deadline = hard.map_or(retry_deadline, |hard| hard.min(retry_deadline));
        let hard_binds = hard.is_some_and(|hard| hard <= retry_deadline);
        let passed = |phase, attempts, last| {
            Error::DeadlineExceeded(Box::new(DeadlineExceeded {
                operation: operation.id,
                method: operation.method.clone(),
                phase,
                deadline: settings.deadline.map_or(Duration::ZERO, |d| d.set()),
                attempts,
                elapsed: started.elapsed(),
                last,
            }))
        };
        // Requests sent, and those of them the attempt budget counts: not a
        // 429 the governor placed in a spent window (its retry waits for the
        // next window, as a hold does; the deadline bounds it).
        let (mut attempts, mut counted) = (0, 0);
        // The last answer, when it was retried: what a refusal reports.
        let mut last: Option<ResponseMeta> = None;
        loop {
            let permit = match governor.acquire(deadline, operation.id).await {
                Ok(permit) => permit,
                Err((reopens_in, reopens_at)) => {
                    let limited = RateLimited {
                        reopens_in,
                        reopens_at,
                        window: governor.window(),
                        estimate: governor.estimate().unwrap_or_default(),
                        deadline: match settings.deadline {
                            Some(hard) if hard_binds => hard.set(),
                            _ => settings.retry.max_elapsed(),
                        },
                        attempts,
                        elapsed: started.elapsed(),
                        last,
                        hard_deadline: hard_binds,
                    };
                    tracing::info!(
                        reopens_in_ms = millis(reopens_in),
                        deadline_ms = millis(limited.deadline),
                        attempts,
                        "katapult call failed: the rate-limit window reopens after its deadline"
                    );
                    return Err(Error::RateLimited(Box::new(limited)));
                }
            };
            // A hold may have lasted to the hard deadline.
            if hard.is_some_and(|hard| Instant::now() >= hard) {
                return Err(passed(DeadlinePhase::BeforeAttempt, attempts, last));
            }
            let authorization = match &settings.credential {
                Credential::Fixed(value) => value.clone(),
                provider => match hard {
                    None => provider
                        .for_attempt()
                        .await
                        .map_err(|error| error.after_sending(attempts))?,
                    Some(hard) => {
                        match tokio::time::timeout_at(hard.into(), provider.for_attempt()).await {
                            Ok(answer) => answer.map_err(|error| error.after_sending(attempts))?,
                            Err(_) => {
                                return Err(passed(DeadlinePhase::BeforeAttempt, attempts, last));
                            }
                        }
                    }
                },
            };
            // Built anew for each attempt, from parts that are shared, not
            // copied: a call answered at once pays for no retry.
            let mut request = self.request(operation, query, body.clone(), authorization)?;
            // The hard deadline cuts the attempt's timeout short, so a
            // timeout then is the deadline passing.
            let cut_short = hard.is_some_and(|hard| {
                let left = hard.saturating_duration_since(Instant::now());
                let shorter = left < settings.timeout;
                if shorter {
                    *request.timeout_mut() = Some(left);
                }
                shorter
            });
            if !settings.hooks.is_empty() {
                hooks::before_attempt(&settings.hooks, operation.id, attempts + 1, &mut request)
                    .map_err(|error| error.after_sending(attempts))?;
            }
            attempts += 1;
            let span = tracing::info_span!(
                "katapult.request",
                operation = operation.id,
                method = %request.method(),
                url = %request.url(),
                attempt = attempts,
                status = tracing::field::Empty,
                request_id = tracing::field::Empty,
                duration_ms = tracing::field::Empty,
            );
            let attempt_started = Instant::now();
            let mut sent = in_span!(&span, self.inner.http.execute(request));
            let answered = Instant::now();

            let (mut outcome, after_429) = match &sent {
                Ok(response) => {
                    if !span.is_disabled() {
                        span.record("status", response.status().as_u16());
                        if let Some(id) = response
                            .headers()
                            .get(&X_REQUEST_ID)
                            .and_then(|v| v.to_str().ok())
                        {
                            span.record("request_id", id);
                        }
                    }
                    let after_429 = governor.observe(
                        permit,
                        response.status(),
                        response.headers(),
                        attempt_started,
                        answered,
                    );
                    (Outcome::Status(response.status()), after_429)
                }
                Err(error) => {
                    drop(permit);
                    (Outcome::of_network_error(error), After429::BackOff)
                }
            };
            if !settings.hooks.is_empty() {
                let elapsed = answered - attempt_started;
                hooks::after_attempt(
                    &settings.hooks,
                    operation.id,
                    attempts,
                    elapsed,
                    &sent,
                    outcome,
                );
            }
            // A safe operation's answer whose status ends the call is read
            // here, inside the attempt: a body that breaks is then a lost
            // answer, retried as one. Any other body is read once, after
            // the loop (`answer`), where a break is reported.
            let mut body = None;
            if let Ok(response) = &mut sent
                && operation.idempotent
                && outcome.retried(true).is_none()
            {
                let read = in_span!(&span, read_body(response, settings.max_response_bytes));
                if let Err(error) = &read {
                    outcome = Outcome::of_network_error(error);
                }
                body = Some(read);
            }
            if cut_short && outcome == Outcome::TimedOut {
                return Err(passed(DeadlinePhase::Attempt, attempts, last));
            }
            if after_429 != After429::WaitForWindow {
                counted += 1;
            }
            let retry = outcome.retried(operation.idempotent).and_then(|cause| {
                let pacing = governor.pacing().then(|| governor.window());
                let elapsed = started.elapsed();
                let delay = settings
                    .retry
                    .delay(cause, after_429, counted, elapsed, pacing)?;
                Some((cause, delay))
            });

            if let Some((cause, delay)) = retry {
                span.record("duration_ms", millis(attempt_started.elapsed()));
                span.in_scope(|| {
                    tracing::info!(
                        cause = cause.as_str(),
                        delay_ms = millis(delay),
                        until_window_opens = after_429 != After429::BackOff,
                        "katapult request will be retried"
                    );
                });
                // Dropping the response closes its connection rather than
                // reading a body nobody will look at; its headers are kept.
                if let Ok(mut response) = sent {
                    last = Some(ResponseMeta {
                        status: response.status(),
                        headers: std::mem::take(response.headers_mut()),
                        attempts,
                        elapsed: started.elapsed(),
                    });
                }
                if hard.is_some_and(|hard| Instant::now() + delay >= hard) {
                    // The retry would start after the deadline: say so now
                    // rather than sleep to it.
                    return Err(passed(DeadlinePhase::BackOff, attempts, last));
                }
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                continue;
            }

            let result = match sent {
                Ok(response) => {
                    let answer = self.answer(operation, response, body, attempts, started);
                    match in_span!(&span, answer) {
                        // The body was still arriving at the hard deadline.
                        Err(Error::Network(error))
                            if cut_short && error.kind() == NetworkErrorKind::Timeout =>
                        {
                            Err(passed(DeadlinePhase::Attempt, attempts, None))
                        }
                        answered => answered,
                    }
                }
                Err(source) => Err(Error::Network(NetworkError {
                    outcome,
                    url: source
                        .url()
                        .map_or_else(|| "the API".to_owned(), ToString::to_string),
                    attempts,
                    elapsed: started.elapsed(),
                    timeout: settings.timeout,
                    source,
                })),
            };
            span.record("duration_ms", millis(attempt_started.elapsed()));
            span.in_scope(|| match &result {
                Ok(response) => {
                    tracing::debug!(status = response.meta.status.as_u16(), "katapult response");
                }
                Err(Error::Network(error)) => {
                    tracing::debug!(error = %error.source, "katapult request failed");
                }
                Err(error) => {
                    let status = error.status().map(|status| status.as_u16());
                    tracing::debug!(status, "katapult response");
                }
            });
            return result;
        }
    }

    /// The request [`call`](Self::call) would send first for `operation`,
    /// built by the same code, not sent; see [`PreparedRequest`].
    pub(crate) fn prepare<B: Serialize>(
        &self,
        operation: &Operation,
        query: &[(&str, &str)],
        body: Option<&B>,
    ) -> Result<PreparedRequest, Error> {
        let body = encode(body)?;
        let authorization = self.inner.settings.credential.without_asking();
        let request = self.request(operation, query, body.clone(), authorization)?;
        Ok(PreparedRequest::new(request, body.unwrap_or_default()))
    }

    /// The request for `operation` with `query`, `body` (JSON; shared,
    /// not copied) and `authorization`: the one place a request is put
    /// together.
    fn request(
        &self,
        operation: &Operation,
        query: &[(&str, &str)],
        body: Option<Bytes>,
        authorization: HeaderValue,
    ) -> Result<reqwest::Request, Error> {
        // The base URL was parsed when the client was built; the path's
        // segments are the fragment's plain ones, so appending them gives
        // the URL the joined text would parse to, without parsing it again.
        let mut url = self.inner.base.clone();
        url.path_segments_mut()
            .map_err(|()| {
                // The builder allows only http and https, which have paths.
                Error::internal("the base URL cannot take a path", false)
            })?
            // The base's path is `/` when it has no other.
            .pop_if_empty()
            .extend(operation.path.trim_start_matches('/').split('/'));
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let mut request = reqwest::Request::new(operation.method.clone(), url);
        let headers = request.headers_mut();
        headers.insert(ACCEPT, JSON);
        if body.is_some() {
            headers.insert(CONTENT_TYPE, JSON);
        }
        headers.insert(API_VERSION, HeaderValue::from_static(operation.api_version));
        headers.insert(AUTHORIZATION, authorization);
        headers.insert(USER_AGENT, self.inner.settings.user_agent.clone());
        // Per request rather than on the reqwest client, so it also holds
        // for a client the caller built.
        *request.timeout_mut() = Some(self.inner.settings.timeout);
        *request.body_mut() = body.map(Into::into);
        Ok(request)
    }

    /// The call's last answer: its body read into memory under the limit
    /// (unless the attempt read it already: `body`), then decoded as what
    /// `operation` documents for its status.
    async fn answer<T: DeserializeOwned>(
        &self,
        operation: &Operation,
        mut response: reqwest::Response,
        body: Option<reqwest::Result<Option<Bytes>>>,
        attempts: u32,
        started: Instant,
    ) -> Result<Response<T>, Error> {
        let limit = self.inner.settings.max_response_bytes;
        let read = match body {
            Some(read) => read,
            None => read_body(&mut response, limit).await,
        };
        let elapsed = started.elapsed();
        let body = match read {
            Ok(body) => body,
            // reqwest names no URL for a body that broke off.
            Err(source) => {
                return Err(Error::Network(NetworkError {
                    outcome: Outcome::of_network_error(&source),
                    url: response.url().to_string(),
                    attempts,
                    elapsed,
                    timeout: self.inner.settings.timeout,
                    source,
                }));
            }
        };
        let status = response.status();
        let meta = ResponseMeta {
            status,
            headers: std::mem::take(response.headers_mut()),
            attempts,
            elapsed,
        };
        let invalid = |meta, problem, body| {
            Error::InvalidResponse(Box::new(InvalidResponse {
                meta,
                problem,
                body,
            }))
        };
        let Some(body) = body else {
            return Err(invalid(
                meta,
                ResponseProblem::TooLarge { limit },
                Bytes::new(),
            ));
        };
        if operation.success.contains(&status.as_u16()) {
            return match serde_json::from_slice::<T>(&body) {
                Ok(value) => Ok(Response {
                    value,
                    meta,
                    raw: body,
                }),
                Err(error) => Err(invalid(meta, ResponseProblem::Undecodable(error), body)),
            };
        }
        if status.is_client_error() || status.is_server_error() {
            return Err(Error::Api(Box::new(ApiError::from_body(meta, &body))));
        }
        Err(invalid(meta, ResponseProblem::UnexpectedStatus, body))
    }
}

/// Reads the whole body of `response`, up to `limit` bytes: the call path
/// decodes from memory and keeps the bytes (`Response::raw_body`, the
/// errors), and no server can make the client allocate without bound.
/// `None` for a body over the limit, which is not read past it, and not
/// kept.
async fn read_body(
    response: &mut reqwest::Response,
    limit: usize,
) -> reqwest::Result<Option<Bytes>> {
    let declared = response
        .content_length()
        .and_then(|n| usize::try_from(n).ok());
    if declared.is_some_and(|n| n > limit) {
        // Refused on its declared length: not read at all.
        return Ok(None);
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = response.chunk().await? {
        let needed = body.len() + chunk.len();
        if needed > limit {
            // Nothing reads a body that was cut off.
            return Ok(None);
        }
        // Grow in powers of two, as `Vec` would, but never past the limit:
        // the buffer's capacity is what `max_response_bytes` bounds (while it
        // grows, the old and new buffers together are at most 1.5 times a
        // power-of-two limit, twice another).
        if needed > body.capacity() {
            let target = needed.next_power_of_two().min(limit);
            body.reserve_exact(target - body.len());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(Bytes::from(body)))
}

/// `body` as JSON, once per call: every attempt sends the same bytes.
fn encode<B: Serialize>(body: Option<&B>) -> Result<Option<Bytes>, Error> {
    body.map(|body| {
        serde_json::to_vec(body).map(Bytes::from).map_err(|error| {
            Error::InvalidRequest(format!("the body cannot be written as JSON: {error}"))
        })
    })
    .transpose()
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use reqwest::Url;

    use super::*;

    /// An operation with a query and no body, as a read of a disk is.
    static GET_THING: Operation = Operation {
        id: "get_thing",
        method: Method::GET,
        path: "/things/thing",
        success: &[200],
        idempotent: true,
        api_version: "1.0.0",
    };

    #[test]
    fn a_query_is_percent_encoded_and_no_body_sends_no_body_headers() {
        let client = Client::builder()
            .token("s3cr3t")
            .base_url("http://127.0.0.1:8080/core/v1/")
            .build()
            .unwrap();
        let request = client
            .prepare(&GET_THING, &[("thing[id]", "thing_1 2")], None::<&()>)
            .unwrap();
        assert_eq!(
            request.url().as_str(),
            "http://127.0.0.1:8080/core/v1/things/thing?thing%5Bid%5D=thing_1+2"
        );
        let text = request.to_string();
        let expected = format!(
            "GET http://127.0.0.1:8080/core/v1/things/thing?thing%5Bid%5D=thing_1+2\n\
             accept: application/json\n\
             api-version: 1.0.0\n\
             authorization: Bearer <redacted>\n\
             host: 127.0.0.1:8080\n\
             user-agent: {}\n\n",
            client.user_agent()
        );
        assert_eq!(text, expected);
        assert!(request.body().is_empty());
    }

    #[test]
    fn the_path_appended_to_the_parsed_base_is_the_joined_text_parsed() {
        // What the request URL was before the base was parsed once: the
        // base without its trailing `/`s, then the path, parsed together.
        for base in [
            "https://api.katapult.io",
            "https://api.katapult.io/",
            "http://127.0.0.1:8080/core/v1",
            "http://127.0.0.1:8080/core/v1//",
            "http://127.0.0.1:8080/a/./b/../core%20v1",
        ] {
            let client = Client::builder().token("t").base_url(base).build().unwrap();
            let joined = format!("{}{}", client.base_url(), GET_THING.path);
            let request = client.prepare(&GET_THING, &[], None::<&()>).unwrap();
            assert_eq!(request.url(), &Url::parse(&joined).unwrap(), "{base}");
        }
    }

    #[test]
    fn a_body_that_is_not_json_is_refused_before_anything_is_built() {
        let client = Client::builder().token("t").build().unwrap();
        let map = std::collections::HashMap::from([((1, 2), "a tuple key")]);
        let error = client.prepare(&GET_THING, &[], Some(&map)).unwrap_err();
        assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
        assert!(error.to_string().contains("nothing was sent"), "{error}");
    }
}
