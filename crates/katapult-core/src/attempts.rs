//! Sending one request until it is answered or the retry budget is spent:
//! leave from the rate-limit governor before each attempt, one tracing span
//! per attempt, the body read into memory under the size limit; returns how
//! the call ended, with the facts the error or the response reports.

use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::{Request, StatusCode};
use tracing::Instrument;

use crate::body;
use crate::error::RateLimited;
use crate::governor::{After429, Refusal, far_future};
use crate::response::X_REQUEST_ID;
use crate::retry::{Outcome, RetryCause};
use crate::settings::ClientSettings;

/// How a call ended, and what it took.
#[derive(Debug)]
pub(crate) struct Sent {
    pub(crate) attempts: u32,
    /// From the first attempt to the end of the last, waits included.
    pub(crate) elapsed: Duration,
    pub(crate) ending: Ending,
}

/// The last thing that happened to a call.
#[derive(Debug)]
pub(crate) enum Ending {
    /// A response, its body read into memory.
    Answered(Answer),
    /// No complete response; `url` is the request's when reqwest names none.
    Failed {
        error: reqwest::Error,
        url: Option<String>,
    },
    /// The rate-limit governor failed the call: it would have had to hold
    /// it past its deadline. `previous` is the answer to the last request
    /// sent, if any (its body was not read).
    Refused {
        refused: RateLimited,
        previous: Option<(StatusCode, HeaderMap)>,
    },
}

/// The last response of a call, as the attempt loop read it.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    /// Empty when the body was over the limit.
    pub(crate) body: Bytes,
    /// The limit the body exceeded, if it did.
    pub(crate) too_large: Option<usize>,
}

/// Sends `request` for the operation named `operation`, retrying what
/// [`Outcome::meaning`] says to retry under the policy, holding where the
/// governor says to; returns how the call ended. `again` builds the request
/// anew for a retry: built only when one is made, so a call answered at once
/// pays for no copy. (`None` would make the attempt the last; the call path
/// builds it from parts that already built once, so it never is.)
pub(crate) async fn send(
    settings: &ClientSettings,
    client: &reqwest::Client,
    mut request: Request,
    again: impl Fn() -> Option<Request>,
    operation: &'static str,
) -> Sent {
    let started = Instant::now();
    let deadline = started
        .checked_add(settings.retry.max_elapsed())
        .unwrap_or_else(|| far_future(started));
    let governor = &*settings.governor;
    // Requests sent, and those of them the attempt budget counts: not a 429
    // the governor placed in a spent window (its retry waits for the next
    // window, as a hold does; the deadline bounds it).
    let mut attempt = 0;
    let mut counted = 0;
    // The answer to the last attempt, when it was retried: what a refusal
    // reports as the call's last response.
    let mut previous: Option<(StatusCode, HeaderMap)> = None;
    loop {
        let permit = match governor.acquire(deadline, operation).await {
            Ok(permit) => permit,
            Err(refusal) => {
                return refused(settings, refusal, attempt, started, previous);
            }
        };
        attempt += 1;
        counted += 1;
        let span = tracing::info_span!(
            "katapult.request",
            operation,
            method = %request.method(),
            url = %request.url(),
            attempt,
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let attempt_started = Instant::now();
        let sent = in_span(&span, client.execute(request)).await;
        let answered = Instant::now();

        let (outcome, after_429) = match &sent {
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
        let retry = outcome.meaning().retried.and_then(|cause| {
            let elapsed = started.elapsed();
            let delay = match (cause, after_429) {
                // The governor holds the next attempt until the window
                // ends (or refuses it if that is past the deadline).
                (RetryCause::RateLimited, After429::WaitForWindow) => {
                    counted -= 1;
                    settings
                        .retry
                        .allows_another(counted, elapsed)
                        .then_some(Duration::ZERO)?
                }
                (RetryCause::RateLimited, After429::Retry) => settings
                    .retry
                    .allows_another(counted, elapsed)
                    .then_some(Duration::ZERO)?,
                (RetryCause::RateLimited, After429::BackOff) if governor.pacing() => {
                    // A window later the budget is back: waiting longer
                    // gains nothing.
                    let delay =
                        settings
                            .retry
                            .next_delay(cause, counted, elapsed, fastrand::f64())?;
                    delay.min(governor.window())
                }
                _ => settings
                    .retry
                    .next_delay(cause, counted, elapsed, fastrand::f64())?,
            };
            Some((cause, delay))
        });

        if let Some((cause, delay)) = retry
            && let Some(next) = again()
        {
            span.record("duration_ms", millis(attempt_started.elapsed()));
            let governed = after_429 != After429::BackOff;
            span.in_scope(|| {
                tracing::info!(
                    cause = cause.as_str(),
                    delay_ms = millis(delay),
                    until_window_opens = governed,
                    "katapult request will be retried"
                );
            });
            // Dropping the response closes its connection rather than
            // reading a body nobody will look at; its headers are kept.
            if let Ok(mut response) = sent {
                previous = Some((response.status(), std::mem::take(response.headers_mut())));
            }
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            request = next;
            continue;
        }

        let ending = match sent {
            Ok(response) => in_span(&span, finish(settings, response)).await,
            Err(error) => Ending::Failed { error, url: None },
        };
        span.record("duration_ms", millis(attempt_started.elapsed()));
        span.in_scope(|| match &ending {
            Ending::Answered(answer) => {
                tracing::debug!(status = answer.status.as_u16(), "katapult response")
            }
            Ending::Failed { error, .. } => {
                tracing::debug!(error = %error, "katapult request failed")
            }
            Ending::Refused { .. } => {}
        });
        return Sent {
            attempts: attempt,
            elapsed: started.elapsed(),
            ending,
        };
    }
}

/// Why the governor failed the call, and the answer to its last request if
/// it sent one.
fn refused(
    settings: &ClientSettings,
    refusal: Refusal,
    attempts: u32,
    started: Instant,
    previous: Option<(StatusCode, HeaderMap)>,
) -> Sent {
    let elapsed = started.elapsed();
    tracing::info!(
        reopens_in_ms = millis(refusal.reopens_in),
        deadline_ms = millis(settings.retry.max_elapsed()),
        attempts,
        "katapult call failed: the rate-limit window reopens after its deadline"
    );
    Sent {
        attempts,
        elapsed,
        ending: Ending::Refused {
            refused: RateLimited {
                reopens_in: refusal.reopens_in,
                reopens_at: refusal.reopens_at,
                window: refusal.window,
                rate_limit: refusal.rate_limit,
                deadline: settings.retry.max_elapsed(),
                attempts,
                elapsed,
                meta: None,
            },
            previous,
        },
    }
}

/// Reads the body of the last response into memory, under the limit.
async fn finish(settings: &ClientSettings, mut response: reqwest::Response) -> Ending {
    let status = response.status();
    match body::read(&mut response, settings.max_response_bytes).await {
        Ok(buffered) => Ending::Answered(Answer {
            status,
            headers: std::mem::take(response.headers_mut()),
            body: buffered.bytes,
            too_large: buffered.too_large,
        }),
        // reqwest names no URL for a body that broke off.
        Err(error) => Ending::Failed {
            error,
            url: Some(response.url().to_string()),
        },
    }
}

/// Runs `future` inside `span`, or bare when no subscriber wants the span:
/// the wrapper enters and leaves the span on every poll, a measurable share
/// of a loopback round trip when nobody is listening.
async fn in_span<F: Future>(span: &tracing::Span, future: F) -> F::Output {
    if span.is_disabled() {
        future.await
    } else {
        future.instrument(span.clone()).await
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
