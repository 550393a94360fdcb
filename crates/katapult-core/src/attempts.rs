//! Sending one request until it is answered or the retry budget is spent:
//! one tracing span per attempt, the body read into memory under the size
//! limit, and what happened written to the call's record.

use std::time::{Duration, Instant};

use progenitor_client::OperationInfo;
use reqwest::Request;
use tracing::Instrument;

use crate::body;
use crate::call::{RecordedResponse, record};
use crate::retry::Outcome;
use crate::settings::ClientSettings;

/// Sends `request`, retrying what [`Outcome::meaning`] says to retry under
/// the policy; returns the last response, rebuilt around its body in
/// memory, or the last network error.
pub(crate) async fn send(
    settings: &ClientSettings,
    client: &reqwest::Client,
    mut request: Request,
    info: &OperationInfo,
) -> reqwest::Result<reqwest::Response> {
    let started = Instant::now();
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

        let outcome = match &sent {
            Ok(response) => {
                span.record("status", response.status().as_u16());
                if let Some(id) = response
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                {
                    span.record("request_id", id);
                }
                Outcome::Status(response.status())
            }
            Err(error) => Outcome::of_network_error(error),
        };
        let retry = outcome
            .meaning()
            .retried
            .zip(spare)
            .and_then(|(cause, spare)| {
                let delay = settings.retry.next_delay(
                    cause,
                    attempt,
                    started.elapsed(),
                    fastrand::f64(),
                )?;
                Some((cause, spare, delay))
            });

        if let Some((cause, spare, delay)) = retry {
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
            Ok(response) => finish(settings, response).instrument(span.clone()).await,
            Err(error) => {
                let url = error.url().map(ToString::to_string);
                record(|record| record.url = url);
                Err(error)
            }
        };
        span.record("duration_ms", millis(attempt_started.elapsed()));
        span.in_scope(|| match &result {
            Ok(response) => {
                tracing::debug!(status = response.status().as_u16(), "katapult response")
            }
            Err(error) => tracing::debug!(error = %error, "katapult request failed"),
        });
        let elapsed = started.elapsed();
        record(|record| {
            record.attempts = attempt;
            record.elapsed = elapsed;
            record.timeout = settings.timeout;
        });
        return result;
    }
}

/// Reads the body of the last response and records it; returns the
/// response again around the body in memory, for the generated code to
/// decode.
async fn finish(
    settings: &ClientSettings,
    mut response: reqwest::Response,
) -> reqwest::Result<reqwest::Response> {
    let status = response.status();
    let buffered = match body::read(&mut response, settings.max_response_bytes).await {
        Ok(buffered) => buffered,
        Err(error) => {
            // reqwest names no URL for a body that broke off.
            let url = response.url().to_string();
            record(|record| record.url = Some(url));
            return Err(error);
        }
    };
    let url = response.url().clone();
    let headers = std::mem::take(response.headers_mut());
    let rebuilt = body::rebuild(status, url, buffered.bytes.clone());
    record(|record| {
        record.response = Some(RecordedResponse {
            status,
            headers,
            body: buffered.bytes,
            too_large: buffered.too_large,
        });
    });
    Ok(rebuilt)
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
