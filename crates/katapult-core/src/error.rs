//! The one error type callers see, and how error bodies are decoded.
//!
//! Every variant says what happened and what to do next in its `Display`,
//! and none of them can contain the API token: it never enters an error.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use serde::Deserialize;

use crate::response::{RateLimit, ResponseMeta};
use crate::types::{self, ErrorCode};

/// Everything that can go wrong when building a client or calling Katapult.
///
/// ```no_run
/// use katapult_core::{Error, types::ErrorCode};
/// # async fn run(client: katapult_core::Client, body: katapult_core::types::UpdateDiskBody) {
/// match client.update_disk(body).await {
///     Ok(response) => println!("updated {:?}", response.disk.id),
///     Err(error) if error.is_not_found() => println!("no such disk"),
///     Err(error) if error.code() == Some(&ErrorCode::ValidationError) => {
///         eprintln!("rejected: {error}")
///     }
///     Err(error) => eprintln!("failed: {error}"),
/// }
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The client's configuration is unusable (no token, a malformed or
    /// plain-HTTP base URL, ...). Nothing was sent.
    Config(ConfigError),
    /// The request could not be built from the arguments. Nothing was sent.
    InvalidRequest(String),
    /// No complete HTTP response arrived: the connection failed, timed out or
    /// broke. Retried where that is safe, then reported here.
    Transport(TransportError),
    /// Katapult (or a proxy in front of it) answered with an error status.
    Api(Box<ApiError>),
    /// A response arrived but cannot be used: a success body that is not the
    /// documented one, a body over the size limit, an undocumented status.
    InvalidResponse(Box<InvalidResponse>),
}

impl Error {
    /// The HTTP status, when a response arrived.
    pub fn status(&self) -> Option<StatusCode> {
        self.meta().map(ResponseMeta::status)
    }

    /// `X-Request-Id` of the response, when one arrived: quote it to support.
    pub fn request_id(&self) -> Option<&str> {
        self.meta().and_then(ResponseMeta::request_id)
    }

    /// The rate-limit headers of the response, when one arrived.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.meta().map(ResponseMeta::rate_limit)
    }

    /// The error `code` Katapult reported, as a matchable value. `None` when
    /// the body was not Katapult's error envelope (a proxy's HTML page, an
    /// empty body) or no response arrived.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Self::Api(api) => api.code(),
            _ => None,
        }
    }

    /// The decoded API error, if this is one.
    pub fn as_api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(api) => Some(api),
            _ => None,
        }
    }

    /// Whether the same call could succeed later, unchanged: connection
    /// failures, timeouts, 429, 502, 503 and 504. (The client has already
    /// retried what its [`RetryPolicy`](crate::RetryPolicy) allows.)
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport(_) => true,
            Self::Api(api) => is_retryable_status(api.meta.status),
            Self::InvalidResponse(invalid) => is_retryable_status(invalid.meta.status),
            Self::Config(_) | Self::InvalidRequest(_) => false,
        }
    }

    /// Whether Katapult said the disk does not exist (`disk_not_found`).
    ///
    /// A 404 `route_not_found` is not "not found": it means the base URL is
    /// wrong, and answering "the disk is gone" would be a lie.
    pub fn is_not_found(&self) -> bool {
        self.code() == Some(&ErrorCode::DiskNotFound)
    }

    /// Whether the rate limit was hit (429), after the retries the policy allows.
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
    }

    fn meta(&self) -> Option<&ResponseMeta> {
        match self {
            Self::Api(api) => Some(&api.meta),
            Self::InvalidResponse(invalid) => Some(&invalid.meta),
            Self::Config(_) | Self::InvalidRequest(_) | Self::Transport(_) => None,
        }
    }
}

fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502 | 503 | 504)
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(error) => error.fmt(f),
            Self::InvalidRequest(message) => write!(
                f,
                "the request could not be built: {message}; nothing was sent, correct the arguments"
            ),
            Self::Transport(error) => error.fmt(f),
            Self::Api(error) => error.fmt(f),
            Self::InvalidResponse(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Transport(error) => Some(&error.source),
            Self::InvalidResponse(error) => match &error.problem {
                ResponseProblem::Undecodable(source) => Some(source),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Why a client could not be built. Each message names the setting and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// No token was given, and `KATAPULT_API_TOKEN` is not set.
    MissingToken,
    /// The token is empty, or holds characters an HTTP header cannot carry.
    InvalidToken(&'static str),
    /// The base URL does not parse, or has a shape the client refuses.
    InvalidBaseUrl {
        /// The URL as given (credentials removed).
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `http://` to a host that is not loopback: the token would travel in clear.
    InsecureBaseUrl {
        /// The URL as given.
        url: String,
    },
    /// `https://` in a build with neither the `rustls` nor the `native-tls` feature.
    NoTls,
    /// The user-agent product token cannot be sent in a header.
    InvalidUserAgent(String),
    /// A setting is out of range (zero attempts, a zero timeout, ...).
    InvalidSetting(String),
    /// The HTTP client could not be built (TLS initialisation failed).
    HttpClient(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingToken => f.write_str(
                "no API token: set KATAPULT_API_TOKEN, or pass one to ClientBuilder::token \
                 (create a token in Katapult under Organization > API tokens)",
            ),
            Self::InvalidToken(why) => write!(
                f,
                "the API token {why}: check KATAPULT_API_TOKEN (or the value given to ClientBuilder::token)"
            ),
            Self::InvalidBaseUrl { url, reason } => write!(
                f,
                "the base URL {url:?} {reason}: set KATAPULT_API_URL (or ClientBuilder::base_url) \
                 to a URL like https://api.katapult.io/core/v1"
            ),
            Self::InsecureBaseUrl { url } => write!(
                f,
                "refusing the plain-HTTP base URL {url:?}: the API token would travel in clear. \
                 Use https://, or http:// to a loopback address (127.0.0.1, ::1, localhost) for local testing"
            ),
            Self::NoTls => f.write_str(
                "this build of katapult-core has no TLS, so https:// cannot work: enable the \
                 `rustls` (default) or `native-tls` feature",
            ),
            Self::InvalidUserAgent(product) => write!(
                f,
                "the user-agent product {product:?} cannot be sent in a header: use visible ASCII, \
                 like \"my-app/1.2\""
            ),
            Self::InvalidSetting(message) => f.write_str(message),
            Self::HttpClient(message) => write!(
                f,
                "the HTTP client could not be built: {message}; pass your own with ClientBuilder::http_client"
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

impl From<ConfigError> for Error {
    fn from(error: ConfigError) -> Self {
        Self::Config(error)
    }
}

/// No complete HTTP response arrived.
#[derive(Debug)]
pub struct TransportError {
    pub(crate) kind: TransportErrorKind,
    pub(crate) url: String,
    pub(crate) attempts: u32,
    pub(crate) elapsed: Duration,
    pub(crate) timeout: Duration,
    pub(crate) source: reqwest::Error,
}

/// What kind of transport failure a [`TransportError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made (refused, DNS, TLS handshake, connect timeout).
    /// Nothing reached the API.
    Connect,
    /// No complete response within the timeout. The update may have been applied.
    Timeout,
    /// The connection broke before a complete response. The update may have been applied.
    Interrupted,
    /// Anything else reqwest reports.
    Other,
}

impl TransportError {
    /// What kind of failure this is.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// How many attempts were made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Time spent, back-off included.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    pub(crate) fn classify(error: &reqwest::Error) -> TransportErrorKind {
        if error.is_connect() {
            TransportErrorKind::Connect
        } else if error.is_timeout() {
            TransportErrorKind::Timeout
        } else if error.is_request() || error.is_body() || error.is_decode() {
            TransportErrorKind::Interrupted
        } else {
            TransportErrorKind::Other
        }
    }
}

/// The innermost cause of an error: reqwest's own message is generic
/// ("error sending request"), the io or hyper error below it is the news.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

fn attempts_suffix(attempts: u32, elapsed: Duration) -> String {
    if attempts > 1 {
        format!(
            " (after {attempts} attempts over {:.1}s)",
            elapsed.as_secs_f64()
        )
    } else {
        String::new()
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = &self.url;
        let cause = root_cause(&self.source);
        let tried = attempts_suffix(self.attempts, self.elapsed);
        match self.kind {
            TransportErrorKind::Connect => write!(
                f,
                "could not connect to {url}: {cause}{tried}; nothing reached the API. Check the \
                 base URL (KATAPULT_API_URL) and that this machine can reach it"
            ),
            TransportErrorKind::Timeout => write!(
                f,
                "no complete response from {url} within the {:?} timeout{tried}; the update may \
                 or may not have been applied: check the disk before retrying, or raise \
                 ClientBuilder::timeout",
                self.timeout
            ),
            TransportErrorKind::Interrupted => write!(
                f,
                "the connection to {url} broke before a complete response ({cause}){tried}; the \
                 update may or may not have been applied: check the disk before retrying"
            ),
            TransportErrorKind::Other => write!(f, "the request to {url} failed: {cause}{tried}"),
        }
    }
}

/// An error status from Katapult, or from a proxy in front of it.
#[derive(Debug)]
pub struct ApiError {
    pub(crate) meta: ResponseMeta,
    pub(crate) code: Option<ErrorCode>,
    pub(crate) description: Option<String>,
    pub(crate) body: ErrorBody,
}

/// The body of an error response, decoded as far as it goes.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ErrorBody {
    /// Katapult's envelope with a code this version knows, and its typed `detail`.
    Known(types::ApiError),
    /// Katapult's envelope with a code this version does not know (or a
    /// `detail` of an unexpected shape): kept as sent.
    Unknown {
        /// The `code` as sent.
        code: String,
        /// The `description`, if there was one.
        description: Option<String>,
        /// The `detail`, as raw JSON (`null` if absent).
        detail: serde_json::Value,
    },
    /// Not Katapult's envelope: a proxy's HTML page, an empty body,
    /// truncated JSON. Kept as text (invalid UTF-8 replaced).
    Text(String),
}

impl ApiError {
    /// Status, request id, rate limit and attempts of the exchange.
    pub fn meta(&self) -> &ResponseMeta {
        &self.meta
    }

    /// The reported `code`, known or not; `None` for a non-envelope body.
    pub fn code(&self) -> Option<&ErrorCode> {
        self.code.as_ref()
    }

    /// The decoded body.
    pub fn body(&self) -> &ErrorBody {
        &self.body
    }

    /// The error's `description` as Katapult wrote it.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    pub(crate) fn new(meta: ResponseMeta, body: ErrorBody) -> Self {
        let (code, description) = match &body {
            // The generated enum is tagged by `code`; serializing it back
            // reads the tag and the description without restating every
            // variant here (which would have to change with each new code).
            ErrorBody::Known(known) => {
                let value = serde_json::to_value(known).unwrap_or_default();
                let text = |key: &str| value.get(key).and_then(|v| v.as_str()).map(str::to_owned);
                (text("code").map(ErrorCode::from), text("description"))
            }
            ErrorBody::Unknown {
                code, description, ..
            } => (Some(ErrorCode::from(code.as_str())), description.clone()),
            ErrorBody::Text(_) => (None, None),
        };
        Self {
            meta,
            code,
            description,
            body,
        }
    }

    /// The most specific human message the body holds.
    fn message(&self) -> String {
        use types::ApiError as E;
        let known = match &self.body {
            ErrorBody::Known(known) => known,
            ErrorBody::Unknown { description, .. } => {
                return description
                    .clone()
                    .unwrap_or_else(|| "(no description)".to_owned());
            }
            ErrorBody::Text(text) => return text_excerpt(text, self.meta.content_type()),
        };
        let description = self.description.clone().unwrap_or_default();
        let with = |extra: Option<String>| match extra.filter(|e| !e.is_empty()) {
            Some(extra) => format!("{description}: {extra}"),
            None => description.clone(),
        };
        match known {
            E::ValidationError {
                detail: Some(detail),
                ..
            } if !detail.errors.is_empty() => detail.errors.join("; "),
            E::InvalidArgument {
                detail: Some(detail),
                ..
            } => with(detail.issue_description.clone()),
            E::InvalidJsonBody {
                detail: Some(detail),
                ..
            } => with(detail.details.clone()),
            E::InvalidApiToken {
                detail: Some(detail),
                ..
            } => with(detail.details.clone()),
            E::PermissionDenied {
                detail: Some(detail),
                ..
            } => with(detail.details.clone()),
            E::ScopeNotGranted {
                detail: Some(detail),
                ..
            } if !detail.scopes.is_empty() => {
                with(Some(format!("missing scopes {}", detail.scopes.join(", "))))
            }
            E::UnauthorizedNetworkForApiToken {
                detail: Some(detail),
                ..
            } => with(
                detail
                    .ip_address
                    .as_ref()
                    .map(|ip| format!("request came from {ip}")),
            ),
            E::RateLimitReached {
                detail: Some(detail),
                ..
            } => with(
                detail
                    .total_permitted
                    .map(|n| format!("{n} requests per minute permitted")),
            ),
            _ => description,
        }
    }

    /// What to do next, where the message alone does not say.
    fn advice(&self) -> Option<&'static str> {
        let code = self.code.as_ref()?;
        Some(match code {
            ErrorCode::MissingApiToken | ErrorCode::InvalidApiToken => {
                "check the token (KATAPULT_API_TOKEN); it may have expired"
            }
            ErrorCode::ScopeNotGranted => "grant the token the `disks` scope",
            ErrorCode::UnauthorizedNetworkForApiToken => {
                "allow this network for the token, or call from an allowed one"
            }
            ErrorCode::DiskNotFound => "check the disk id",
            ErrorCode::RouteNotFound => "check the base URL (KATAPULT_API_URL)",
            ErrorCode::ObjectInTrash => "restore the disk from the trash first",
            ErrorCode::RateLimitReached => {
                "the limit is per minute: slow down, or give retries more time (RetryPolicy::with_max_elapsed)"
            }
            ErrorCode::ServiceUnavailable | ErrorCode::UnhandledException => {
                "try again later; if it persists, give Katapult support the request id"
            }
            _ => return None,
        })
    }
}

/// A short, single-line excerpt of a non-envelope body.
fn text_excerpt(text: &str, content_type: Option<&str>) -> String {
    const LIMIT: usize = 160;
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let kind = content_type
        .map(|ct| format!(" ({ct})"))
        .unwrap_or_default();
    if collapsed.is_empty() {
        return format!("empty body{kind}, not a Katapult error");
    }
    let excerpt: String = collapsed.chars().take(LIMIT).collect();
    let more = if collapsed.chars().count() > LIMIT {
        "..."
    } else {
        ""
    };
    format!("not a Katapult error{kind}: {excerpt}{more}")
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.meta.status;
        match &self.code {
            Some(code) => write!(f, "{} {code}: {}", status.as_u16(), self.message())?,
            None => write!(
                f,
                "{} {}: {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("Unknown Status"),
                self.message()
            )?,
        }
        let mut notes = Vec::new();
        if let Some(id) = self.meta.request_id() {
            notes.push(format!("request {id}"));
        }
        if self.meta.attempts > 1 {
            notes.push(format!(
                "after {} attempts over {:.1}s",
                self.meta.attempts,
                self.meta.elapsed.as_secs_f64()
            ));
        }
        if !notes.is_empty() {
            write!(f, " ({})", notes.join(", "))?;
        }
        if let Some(advice) = self.advice() {
            write!(f, "; {advice}")?;
        }
        Ok(())
    }
}

/// A response that arrived but cannot be used.
#[derive(Debug)]
pub struct InvalidResponse {
    pub(crate) meta: ResponseMeta,
    pub(crate) problem: ResponseProblem,
    pub(crate) body: Bytes,
}

/// What is wrong with an [`InvalidResponse`].
#[derive(Debug)]
#[non_exhaustive]
pub enum ResponseProblem {
    /// The body is not the documented JSON (wrong shape, truncated, not JSON).
    Undecodable(serde_json::Error),
    /// The body exceeded the client's limit and was not read past it.
    TooLarge {
        /// The limit in bytes ([`crate::ClientBuilder::max_response_bytes`]).
        limit: usize,
    },
    /// A status this operation does not document, and not an error status.
    UnexpectedStatus,
}

impl InvalidResponse {
    /// Status, request id, rate limit and attempts of the exchange.
    pub fn meta(&self) -> &ResponseMeta {
        &self.meta
    }

    /// What is wrong.
    pub fn problem(&self) -> &ResponseProblem {
        &self.problem
    }

    /// The raw body as received; empty for [`ResponseProblem::TooLarge`],
    /// whose body is not kept.
    pub fn body(&self) -> &Bytes {
        &self.body
    }
}

impl fmt::Display for InvalidResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.meta.status.as_u16();
        let request = self
            .meta
            .request_id()
            .map(|id| format!(" (request {id})"))
            .unwrap_or_default();
        let applied = if self.meta.status.is_success() {
            "; the update was probably applied: fetch the disk to see its state"
        } else {
            ""
        };
        match &self.problem {
            ResponseProblem::Undecodable(error) => write!(
                f,
                "the {status} response body is not the documented JSON ({error}; {} bytes of {}){request}{applied}",
                self.body.len(),
                self.meta.content_type().unwrap_or("no content type"),
            ),
            ResponseProblem::TooLarge { limit } => write!(
                f,
                "the {status} response body exceeded the client's {limit}-byte limit and was not \
                 read further{request}{applied}; raise ClientBuilder::max_response_bytes if such \
                 bodies are expected"
            ),
            ResponseProblem::UnexpectedStatus => write!(
                f,
                "the API answered {status}, which this operation does not document{request}{applied}"
            ),
        }
    }
}

/// Decodes an error body: the typed envelope, else the envelope with an
/// unknown code, else text. Never fails.
pub(crate) fn decode_error_body(body: &[u8]) -> ErrorBody {
    #[derive(Deserialize)]
    struct Envelope {
        error: Inner,
    }
    #[derive(Deserialize)]
    struct Inner {
        code: String,
        #[serde(default)]
        description: Option<String>,
        #[serde(default)]
        detail: serde_json::Value,
    }

    if !is_envelope(body) {
        return ErrorBody::Text(String::from_utf8_lossy(body).into_owned());
    }
    if let Ok(envelope) = serde_json::from_slice::<types::ErrorEnvelope>(body) {
        return ErrorBody::Known(envelope.error);
    }
    match serde_json::from_slice::<Envelope>(body) {
        Ok(Envelope { error }) => ErrorBody::Unknown {
            code: error.code,
            description: error.description,
            detail: error.detail,
        },
        Err(_) => ErrorBody::Text(String::from_utf8_lossy(body).into_owned()),
    }
}

/// Whether `body` has the envelope's shape: a JSON object whose `error` is
/// an object. serde's derived structs also accept a JSON array in place of
/// an object (`[["disk_not_found"]]` would decode as code
/// `disk_not_found`); no API sends that, so such a body stays text.
pub(crate) fn is_envelope(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body)
        .is_ok_and(|value| value.get("error").is_some_and(serde_json::Value::is_object))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(status: u16, request_id: Option<&'static str>) -> ResponseMeta {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(id) = request_id {
            headers.insert(
                "x-request-id",
                reqwest::header::HeaderValue::from_static(id),
            );
        }
        ResponseMeta {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            attempts: 1,
            elapsed: Duration::ZERO,
        }
    }

    fn api(status: u16, body: &str) -> ApiError {
        ApiError::new(
            meta(status, Some("6476f3b2")),
            decode_error_body(body.as_bytes()),
        )
    }

    #[test]
    fn validation_errors_read_like_the_server_meant_them() {
        let error = api(
            422,
            r#"{"error":{"code":"validation_error","description":"A validation error occurred","detail":{"errors":["Name can't be blank"]}}}"#,
        );
        assert_eq!(
            error.to_string(),
            "422 validation_error: Name can't be blank (request 6476f3b2)"
        );
        assert_eq!(error.code(), Some(&ErrorCode::ValidationError));
    }

    #[test]
    fn unknown_codes_keep_code_description_and_detail() {
        let error = api(
            409,
            r#"{"error":{"code":"disk_busy","description":"The disk is busy","detail":{"task":"resize"}}}"#,
        );
        assert_eq!(error.code(), Some(&ErrorCode::Unknown("disk_busy".into())));
        let ErrorBody::Unknown { detail, .. } = error.body() else {
            panic!("expected an unknown code, got {:?}", error.body());
        };
        assert_eq!(detail["task"], "resize");
        assert_eq!(
            error.to_string(),
            "409 disk_busy: The disk is busy (request 6476f3b2)"
        );
    }

    #[test]
    fn non_envelope_bodies_are_text_with_the_status() {
        let error = ApiError::new(
            meta(502, None),
            decode_error_body(b"<html>\n<h1>502 Bad Gateway</h1>\n</html>"),
        );
        assert_eq!(error.code(), None);
        assert!(
            matches!(error.body(), ErrorBody::Text(text) if text.contains("<h1>502 Bad Gateway</h1>"))
        );
        assert_eq!(
            error.to_string(),
            "502 Bad Gateway: not a Katapult error: <html> <h1>502 Bad Gateway</h1> </html>"
        );
        let empty = ApiError::new(meta(504, None), decode_error_body(b""));
        assert_eq!(
            empty.to_string(),
            "504 Gateway Timeout: empty body, not a Katapult error"
        );
    }

    #[test]
    fn arrays_are_not_envelopes() {
        for body in [
            r#"[[""]]"#,
            r#"[["disk_busy","The disk is busy"]]"#,
            r#"[{"code":"disk_not_found","description":"No disk"}]"#,
            r#"{"error":["disk_not_found"]}"#,
        ] {
            let decoded = decode_error_body(body.as_bytes());
            assert!(
                matches!(&decoded, ErrorBody::Text(text) if text == body),
                "{body}: {decoded:?}"
            );
        }
    }

    #[test]
    fn advice_follows_the_message() {
        let error = api(
            404,
            r#"{"error":{"code":"disk_not_found","description":"No disk was found","detail":{}}}"#,
        );
        assert_eq!(
            error.to_string(),
            "404 disk_not_found: No disk was found (request 6476f3b2); check the disk id"
        );
    }
}
