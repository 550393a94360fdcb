//! What every response carries besides its body: status, `X-Request-Id`, the
//! rate-limit headers, and how many attempts it took. Shared by successful
//! responses ([`Response`]) and errors ([`crate::ApiError`]).

use std::ops::Deref;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName};

/// The rate-limit headers Katapult sends on every response, success or error.
///
/// The limit is per token and per fixed window (Katapult's is the minute of
/// the server's `Date`); Katapult sends no `Retry-After`. Either value is
/// `None` when the header is absent or not a number.
///
/// The same shape serves the rate-limit governor's estimate of the current
/// window ([`Client::rate_limit_estimate`](crate::Client::rate_limit_estimate)),
/// which is not any one answer's headers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct RateLimit {
    /// `X-Ratelimit-Permitted`: requests permitted per window.
    pub permitted: Option<u32>,
    /// `X-Ratelimit-Remaining`: requests left in the current window.
    pub remaining: Option<u32>,
}

impl RateLimit {
    /// Reads the two headers.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let number = |name: &HeaderName| match Header::read(headers, name) {
            Header::Valid(value) => Some(value),
            Header::Absent | Header::Invalid => None,
        };
        Self {
            permitted: number(&X_RATELIMIT_PERMITTED),
            remaining: number(&X_RATELIMIT_REMAINING),
        }
    }
}

/// A numeric header as sent: absent, a count, or something else (negative,
/// too large, not a number), which the rate-limit governor logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Header {
    Absent,
    Valid(u32),
    Invalid,
}

/// `X-Request-Id`. Named once, as a constant: a lookup by `&str` parses the
/// name again on every response.
pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// `X-Ratelimit-Permitted`.
pub(crate) const X_RATELIMIT_PERMITTED: HeaderName =
    HeaderName::from_static("x-ratelimit-permitted");
/// `X-Ratelimit-Remaining`.
pub(crate) const X_RATELIMIT_REMAINING: HeaderName =
    HeaderName::from_static("x-ratelimit-remaining");

impl Header {
    /// Reads header `name` as a count of requests (surrounding whitespace
    /// allowed).
    pub(crate) fn read(headers: &HeaderMap, name: &HeaderName) -> Self {
        match headers.get(name) {
            None => Self::Absent,
            Some(value) => value
                .to_str()
                .ok()
                .and_then(|value| value.trim().parse().ok())
                .map_or(Self::Invalid, Self::Valid),
        }
    }
}

/// Facts about one answer: its status and headers, and how far the call had
/// got when it arrived. For a [`Response`] or an error with a response, that
/// answer is the call's last; for [`crate::RateLimited::meta`], the last the
/// call received before the governor refused it.
#[derive(Debug, Clone)]
pub struct ResponseMeta {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) attempts: u32,
    pub(crate) elapsed: Duration,
}

impl ResponseMeta {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// `X-Request-Id`: the id Katapult's support asks for.
    pub fn request_id(&self) -> Option<&str> {
        self.headers
            .get(&X_REQUEST_ID)
            .and_then(|value| value.to_str().ok())
            .filter(|value| !value.is_empty())
    }

    /// The answer's rate-limit headers.
    pub fn rate_limit(&self) -> RateLimit {
        RateLimit::from_headers(&self.headers)
    }

    /// How many HTTP requests the call had sent when this answer arrived,
    /// its own included (1 when nothing was retried).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Time from the start of the call to this answer: back-off and the
    /// rate-limit governor's holds included.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// All the answer's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The `Content-Type` header, if any.
    pub(crate) fn content_type(&self) -> Option<&str> {
        self.headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
    }
}

/// A successful response: the decoded body, plus the [`ResponseMeta`] of the
/// exchange. Dereferences to the body.
///
/// ```no_run
/// # async fn run(client: katapult_core::Client, body: katapult_core::types::UpdateDiskBody)
/// # -> Result<(), katapult_core::Error> {
/// let response = client.update_disk(body).await?;
/// println!("disk {:?} is {:?}", response.disk.id, response.disk.state);
/// println!("{:?} requests left this minute", response.meta().rate_limit().remaining);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Response<T> {
    pub(crate) value: T,
    pub(crate) meta: ResponseMeta,
    pub(crate) raw: bytes::Bytes,
}

impl<T> Response<T> {
    /// The decoded body.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// Status, request id, rate limit and attempts of the exchange.
    pub fn meta(&self) -> &ResponseMeta {
        &self.meta
    }

    /// The body exactly as received, including any field this version of
    /// the client does not know.
    pub fn raw_body(&self) -> &bytes::Bytes {
        &self.raw
    }

    /// The body and the facts about the exchange, apart.
    pub fn into_parts(self) -> (T, ResponseMeta) {
        (self.value, self.meta)
    }
}

impl<T> Deref for Response<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    reqwest::header::HeaderName::from_static(name),
                    reqwest::header::HeaderValue::from_static(value),
                )
            })
            .collect()
    }

    #[test]
    fn rate_limit_headers_are_read_leniently() {
        let limit = RateLimit::from_headers(&headers(&[
            ("x-ratelimit-permitted", "1000"),
            ("x-ratelimit-remaining", " 7 "),
        ]));
        assert_eq!(
            limit,
            RateLimit {
                permitted: Some(1000),
                remaining: Some(7)
            }
        );
        let garbled = RateLimit::from_headers(&headers(&[("x-ratelimit-remaining", "lots")]));
        assert_eq!(garbled, RateLimit::default());
    }

    #[test]
    fn an_empty_request_id_is_no_request_id() {
        let meta = ResponseMeta {
            status: StatusCode::OK,
            headers: headers(&[("x-request-id", "")]),
            attempts: 1,
            elapsed: Duration::ZERO,
        };
        assert_eq!(meta.request_id(), None);
    }
}
