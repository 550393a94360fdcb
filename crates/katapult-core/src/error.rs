//! The one error type callers see.
//!
//! Every variant says what happened and what to do next in its `Display`,
//! and none of them can contain the API token: it never enters an error.
//! Error statuses and their bodies are in [`crate::api_error`].

use std::fmt;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::StatusCode;

use crate::api_error::ApiError;
use crate::change::{ChangeFailed, PlanRefusal};
use crate::options::DeadlineExceeded;
use crate::response::{RateLimit, ResponseMeta};
use crate::retry::Outcome;
use crate::task::{TaskError, TaskErrorKind};
use crate::types::ErrorCode;

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
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client's configuration is unusable (no token, a malformed or
    /// plain-HTTP base URL, ...). Nothing was sent.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The request could not be built from the arguments. Nothing was sent.
    #[error("the request could not be built: {0}; nothing was sent, correct the arguments")]
    InvalidRequest(String),
    /// No complete HTTP response arrived: the connection failed, timed out or
    /// broke. Retried where that is safe, then reported here.
    #[error(transparent)]
    Network(NetworkError),
    /// Katapult (or a proxy in front of it) answered with an error status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// A response arrived but cannot be used: a success body that is not the
    /// documented one, a body over the size limit, an undocumented status.
    #[error(transparent)]
    InvalidResponse(Box<InvalidResponse>),
    /// The token's rate-limit budget is spent for the current window, and
    /// the next window opens after this call's deadline
    /// ([`RetryPolicy::max_elapsed`](crate::RetryPolicy::max_elapsed)): the
    /// client's rate-limit governor failed the call at once instead of
    /// holding it, or sending it to be refused. It says when the window
    /// reopens.
    #[error(transparent)]
    RateLimited(Box<RateLimited>),
    /// katapult-core itself went wrong: a state its own code should never
    /// reach. The message says whether a response had arrived (if so, the
    /// update may have been applied). Please report it.
    #[error(transparent)]
    Internal(InternalError),
    /// A task did not complete: it failed, or had not ended by the wait's
    /// deadline ([`Client::wait_for_task`](crate::Client::wait_for_task)).
    /// It holds the task as last read.
    #[error(transparent)]
    Task(Box<TaskError>),
    /// A disk change the rules refuse
    /// ([`Client::plan_disk_change`](crate::Client::plan_disk_change)):
    /// nothing was written. It says why and what to do.
    #[error("the disk change was refused, and nothing was written: {0}")]
    PlanRefused(Box<PlanRefusal>),
    /// A disk change that stopped part-way, or whose result does not read
    /// as asked ([`Client::change_disk`](crate::Client::change_disk)). Its
    /// report says which steps were done; its cause, what stopped it.
    #[error(transparent)]
    Change(Box<ChangeFailed>),
    /// The call's hard deadline
    /// ([`CallOptions::deadline`](crate::CallOptions::deadline)) passed
    /// before it ended: during an attempt, which was cut off, or before a
    /// retry that would have started after it. It says what the call was
    /// doing and what it had received.
    #[error(transparent)]
    DeadlineExceeded(Box<DeadlineExceeded>),
}

impl Error {
    /// The HTTP status of the last answer, when one arrived.
    pub fn status(&self) -> Option<StatusCode> {
        self.meta().map(ResponseMeta::status)
    }

    /// `X-Request-Id` of the last answer, when one arrived: quote it to
    /// support.
    pub fn request_id(&self) -> Option<&str> {
        self.meta().and_then(ResponseMeta::request_id)
    }

    /// The rate-limit headers of the last answer, when one arrived. (The
    /// governor's estimate behind [`Error::RateLimited`] is
    /// [`RateLimited::rate_limit_estimate`].)
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.meta().map(ResponseMeta::rate_limit)
    }

    /// The error `code` Katapult reported, as a matchable value. `None` when
    /// the body was not Katapult's error envelope (a proxy's HTML page, an
    /// empty body) or no response arrived.
    pub fn code(&self) -> Option<&ErrorCode> {
        self.as_api().and_then(ApiError::code)
    }

    /// The decoded API error, if this is one.
    pub fn as_api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(api) => Some(api),
            Self::Change(failed) => failed.cause().and_then(Self::as_api),
            _ => None,
        }
    }

    /// Whether the same call, made again later, could succeed: 429, 502, 503
    /// and 504 answers, failed and broken connections, timeouts.
    ///
    /// The client has already retried what its
    /// [`RetryPolicy`](crate::RetryPolicy) allows of these. It retries 502,
    /// 504, timeouts and a connection broken after sending only for an
    /// operation the fragment marks safe to send twice (`x-idempotent`), and
    /// never a body that broke after its status arrived, so those can be
    /// true here after a single attempt. One table in the crate decides both
    /// answers; the README shows it.
    pub fn is_retryable(&self) -> bool {
        let outcome = match self {
            Self::Network(error) => error.outcome,
            Self::Api(api) => Outcome::Status(api.meta.status),
            Self::InvalidResponse(invalid) => Outcome::Status(invalid.meta.status),
            Self::RateLimited(_) => Outcome::HeldPastDeadline,
            // A task still running may yet finish; a failed one failed.
            Self::Task(task) => return task.kind() == TaskErrorKind::DeadlineExceeded,
            // Run again, a change plans from the disk as it is then.
            Self::Change(failed) => return failed.cause().is_none_or(Self::is_retryable),
            // Given more time, the same call may succeed.
            Self::DeadlineExceeded(_) => return true,
            Self::Config(_)
            | Self::InvalidRequest(_)
            | Self::Internal(_)
            | Self::PlanRefused(_) => {
                return false;
            }
        };
        outcome.retryable()
    }

    /// Whether Katapult said the disk does not exist (`disk_not_found`).
    ///
    /// A 404 `route_not_found` is not "not found": it means the base URL is
    /// wrong, and answering "the disk is gone" would be a lie.
    pub fn is_not_found(&self) -> bool {
        self.code() == Some(&ErrorCode::DiskNotFound)
    }

    /// Whether the rate limit ended the call, either way it can: the API
    /// answered 429 after the retries the policy allows, or the client's
    /// governor refused the call ([`Error::RateLimited`]: the window reopens
    /// after the call's deadline).
    pub fn is_429_or_governor_refusal(&self) -> bool {
        matches!(self, Self::RateLimited(_)) || self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
    }

    /// The last answer: of an API error or an unusable response, or the
    /// last one a call the governor refused had received.
    fn meta(&self) -> Option<&ResponseMeta> {
        match self {
            Self::Api(api) => Some(&api.meta),
            Self::InvalidResponse(invalid) => Some(&invalid.meta),
            Self::RateLimited(limited) => limited.last.as_ref(),
            Self::Change(failed) => failed.cause().and_then(Self::meta),
            Self::DeadlineExceeded(late) => late.last.as_ref(),
            Self::Config(_)
            | Self::InvalidRequest(_)
            | Self::Network(_)
            | Self::Internal(_)
            | Self::Task(_)
            | Self::PlanRefused(_) => None,
        }
    }

    pub(crate) fn internal(what: &str, response_arrived: bool) -> Self {
        Self::Internal(InternalError {
            message: what.to_owned(),
            response_arrived,
        })
    }
}

/// Why a client could not be built. Each message names the setting and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No token was given, and `KATAPULT_API_TOKEN` is not set.
    #[error(
        "no API token: set KATAPULT_API_TOKEN, pass one to ClientBuilder::token, or read the \
         config file with ClientBuilder::from_config or Client::from_profile (create a token \
         in Katapult under Organization > API tokens)"
    )]
    MissingToken,
    /// The token is empty, or holds characters an HTTP header cannot carry.
    #[error(
        "the API token {0}: check KATAPULT_API_TOKEN (or the value given to ClientBuilder::token)"
    )]
    InvalidToken(&'static str),
    /// The base URL does not parse, or has a shape the client refuses.
    #[error(
        "the base URL {url:?} {reason}: set KATAPULT_API_URL (or ClientBuilder::base_url) \
         to a URL like https://api.katapult.io/core/v1"
    )]
    InvalidBaseUrl {
        /// The URL as given (credentials removed).
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `http://` to a host that is not loopback: the token would travel in clear.
    #[error(
        "refusing the plain-HTTP base URL {url:?}: the API token would travel in clear. \
         Use https://, or http:// to a loopback address (127.0.0.1, ::1, localhost) for local testing"
    )]
    InsecureBaseUrl {
        /// The URL as given.
        url: String,
    },
    /// `https://` in a build with neither the `rustls` nor the `native-tls` feature.
    #[error(
        "this build of katapult-core has no TLS, so https:// cannot work: enable the \
         `rustls` (default) or `native-tls` feature"
    )]
    NoTls,
    /// The user-agent product token cannot be sent in a header.
    #[error(
        "the user-agent product {0:?} cannot be sent in a header: use visible ASCII, \
         like \"my-app/1.2\""
    )]
    InvalidUserAgent(String),
    /// A setting is out of range (zero attempts, a zero timeout, ...).
    #[error("{0}")]
    InvalidSetting(String),
    /// The credentials could not be found or read: no source gave a token,
    /// a token or config file is missing, shared with other users, or does
    /// not parse ([`crate::credentials`]). The message names the file and
    /// the fix.
    #[error(transparent)]
    Credentials(Box<crate::credentials::CredentialsError>),
    /// Root certificates given to the builder cannot be used: the file
    /// cannot be read, or is not PEM certificates
    /// ([`ClientBuilder::add_root_certificates_file`](crate::ClientBuilder::add_root_certificates_file)).
    /// Nothing was sent.
    #[error(
        "the root certificates in {origin} cannot be used: {reason}. Give the CA's certificate \
         as PEM (-----BEGIN CERTIFICATE----- blocks); nothing was sent"
    )]
    RootCertificates {
        /// Where they came from: `the CA file <path>`, or the PEM bytes.
        origin: String,
        /// The file, when they came from one.
        path: Option<std::path::PathBuf>,
        /// What is wrong with them.
        reason: String,
    },
    /// The HTTP client could not be built (TLS initialisation failed).
    #[error(
        "the HTTP client could not be built: {0}; pass your own with ClientBuilder::http_client"
    )]
    HttpClient(String),
    // Met at call time, before anything is sent: the extension points.
    /// A [`Hook`](crate::Hook) set a header the client cannot send: a name
    /// or value HTTP cannot carry, or a header the client sets itself.
    /// Nothing was sent.
    #[error(
        "the hook {hook:?} set the header {header:?}, which {reason}; nothing was sent: \
         correct the hook"
    )]
    HookHeader {
        /// The hook's [`name`](crate::Hook::name).
        hook: String,
        /// The header's name as the hook gave it.
        header: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The [`TokenProvider`](crate::TokenProvider) failed, or gave
    /// something that is not a token. Nothing was sent.
    #[error(
        "the token provider {provider:?} gave no usable token: {reason}; nothing was sent: \
         check the provider and what it reads the token from"
    )]
    TokenProvider {
        /// The provider's [`name`](crate::TokenProvider::name).
        provider: String,
        /// What went wrong, as the provider said it.
        reason: String,
    },
}

/// A mistake in katapult-core itself: see [`Error::Internal`].
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "katapult-core went wrong: {message}; {}. This is a bug in katapult-core: please report \
     it with this message",
    if *.response_arrived {
        "a response had arrived, so the update may have been applied: fetch the disk to see its state"
    } else {
        "no response had arrived"
    }
)]
pub struct InternalError {
    message: String,
    response_arrived: bool,
}

impl InternalError {
    /// Whether a response had arrived: if so, the update may have been applied.
    pub fn response_arrived(&self) -> bool {
        self.response_arrived
    }
}

/// No complete HTTP response arrived.
#[derive(Debug, thiserror::Error)]
pub struct NetworkError {
    /// How it failed, classified once, where it happened.
    pub(crate) outcome: Outcome,
    pub(crate) url: String,
    pub(crate) attempts: u32,
    pub(crate) elapsed: Duration,
    pub(crate) timeout: Duration,
    pub(crate) source: reqwest::Error,
}

/// What kind of network failure a [`NetworkError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NetworkErrorKind {
    /// No connection could be made (refused, DNS, TLS handshake, connect timeout).
    /// Nothing reached the API.
    Connect,
    /// No complete response within the timeout. The update may have been applied.
    Timeout,
    /// The connection broke before a complete response. The update may have been applied.
    Interrupted,
    /// Anything else reqwest reports.
    Other,
    /// The server's TLS certificate failed verification (its issuer is not
    /// trusted, it has expired, it names another host). Nothing reached the
    /// API, and it is not retried: trust the CA that signed it
    /// ([`ClientBuilder::add_root_certificates_file`](crate::ClientBuilder::add_root_certificates_file))
    /// or fix the certificate. Recognised with the `rustls` feature; under
    /// `native-tls` such a failure is a [`Connect`](Self::Connect).
    CertificateRejected,
}

impl NetworkError {
    /// What kind of failure this is.
    pub fn kind(&self) -> NetworkErrorKind {
        kind_of(self.outcome)
    }

    /// How many attempts were made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Time spent, back-off included.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }
}

/// What kind of network failure `outcome` is: a [`NetworkError`]'s, or
/// one a [`crate::Hook`] sees.
pub(crate) fn kind_of(outcome: Outcome) -> NetworkErrorKind {
    match outcome {
        Outcome::ConnectFailed => NetworkErrorKind::Connect,
        Outcome::TimedOut => NetworkErrorKind::Timeout,
        Outcome::BrokeBeforeResponse | Outcome::BrokeInBody => NetworkErrorKind::Interrupted,
        Outcome::CertificateRejected => NetworkErrorKind::CertificateRejected,
        Outcome::OtherNetwork | Outcome::Status(_) | Outcome::HeldPastDeadline => {
            NetworkErrorKind::Other
        }
    }
}

/// `after 3 attempts over 1.2s` when a call was retried; how every message
/// that reports attempts says it.
pub(crate) fn retried(attempts: u32, elapsed: Duration) -> Option<String> {
    (attempts > 1).then(|| {
        format!(
            "after {attempts} attempts over {:.1}s",
            elapsed.as_secs_f64()
        )
    })
}

impl fmt::Display for NetworkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = &self.url;
        // reqwest's own message is generic ("error sending request"); the
        // io or hyper error below it is the news.
        let mut cause: &dyn std::error::Error = &self.source;
        while let Some(next) = cause.source() {
            cause = next;
        }
        let tried = retried(self.attempts, self.elapsed)
            .map(|note| format!(" ({note})"))
            .unwrap_or_default();
        match self.kind() {
            NetworkErrorKind::Connect => write!(
                f,
                "could not connect to {url}: {cause}{tried}; nothing reached the API. Check the \
                 base URL (KATAPULT_API_URL) and that this machine can reach it"
            ),
            NetworkErrorKind::Timeout => write!(
                f,
                "no complete response from {url} within the {:?} timeout{tried}; the update may \
                 or may not have been applied: check the disk before retrying, or raise \
                 ClientBuilder::timeout (or CallOptions::timeout)",
                self.timeout
            ),
            NetworkErrorKind::Interrupted => write!(
                f,
                "the connection to {url} broke before a complete response ({cause}){tried}; the \
                 update may or may not have been applied: check the disk before retrying"
            ),
            NetworkErrorKind::CertificateRejected => write!(
                f,
                "the TLS certificate of {url} failed verification: {cause}{tried}; nothing \
                 reached the API, and the call was not retried, because every attempt would meet \
                 the same certificate. If a private CA (or a TLS-inspecting proxy) signs it, trust \
                 that CA: ClientBuilder::add_root_certificates_file (the CLI's --ca-file PATH), \
                 or ClientBuilder::platform_trust_store(true) when it is in the system's store"
            ),
            NetworkErrorKind::Other => write!(f, "the request to {url} failed: {cause}{tried}"),
        }
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

impl std::error::Error for InvalidResponse {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.problem {
            ResponseProblem::Undecodable(source) => Some(source),
            _ => None,
        }
    }
}

/// A call the client's rate-limit governor failed at once: the token's
/// budget for the current window is spent, and the next window opens after
/// the call's deadline. See [`Error::RateLimited`].
///
/// ```no_run
/// # async fn run(client: katapult_core::Client, body: katapult_core::types::UpdateDiskBody) {
/// match client.update_disk(body).await {
///     Err(katapult_core::Error::RateLimited(limited)) => {
///         eprintln!("{limited}");
///         tokio::time::sleep(limited.reopens_in()).await; // then try again
///     }
///     other => { let _ = other; }
/// }
/// # }
/// ```
#[derive(Debug, Clone, thiserror::Error)]
pub struct RateLimited {
    pub(crate) reopens_in: Duration,
    pub(crate) reopens_at: Option<SystemTime>,
    pub(crate) window: Duration,
    pub(crate) estimate: RateLimit,
    pub(crate) deadline: Duration,
    pub(crate) attempts: u32,
    pub(crate) elapsed: Duration,
    /// The last answer the call received, as it was when it arrived.
    pub(crate) last: Option<ResponseMeta>,
    /// Whether the deadline was the call's hard one
    /// ([`CallOptions::deadline`](crate::CallOptions::deadline)) rather
    /// than the retry policy's.
    pub(crate) hard_deadline: bool,
}

impl RateLimited {
    /// How long from the failure until the next window opens (by the
    /// server's clock, as the client estimates it).
    pub fn reopens_in(&self) -> Duration {
        self.reopens_in
    }

    /// When the next window opens, in the server's time (its `Date`), when
    /// the client knows the server's clock.
    pub fn reopens_at(&self) -> Option<SystemTime> {
        self.reopens_at
    }

    /// The rate-limit window ([`ClientBuilder::rate_limit_window`](crate::ClientBuilder::rate_limit_window)).
    pub fn window(&self) -> Duration {
        self.window
    }

    /// The governor's estimate of the current window when it failed the
    /// call: `Permitted`, and what is left of it. (The headers of the last
    /// answer are in [`meta`](Self::meta).)
    pub fn rate_limit_estimate(&self) -> RateLimit {
        self.estimate
    }

    /// The call's deadline: [`RetryPolicy::max_elapsed`](crate::RetryPolicy::max_elapsed),
    /// or [`CallOptions::deadline`](crate::CallOptions::deadline) when that
    /// is sooner.
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    /// Requests the call sent before it failed (0 when the first was held).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Time from the start of the call to the failure.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The last answer the call received, if any, as it was when it arrived
    /// (its body is not kept).
    pub fn meta(&self) -> Option<&ResponseMeta> {
        self.last.as_ref()
    }
}

impl fmt::Display for RateLimited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let left = match (self.estimate.remaining, self.estimate.permitted) {
            (Some(remaining), Some(permitted)) => format!(" ({remaining} of {permitted} left)"),
            (Some(remaining), None) => format!(" ({remaining} left)"),
            _ => String::new(),
        };
        // httpdate writes years up to 9999 only (and panics past them).
        let at = self
            .reopens_at
            .filter(|at| *at < SystemTime::UNIX_EPOCH + Duration::from_secs(253_402_300_800))
            .map(|at| format!(", at {} by the server's clock", httpdate::fmt_http_date(at)))
            .unwrap_or_default();
        let sent = match self.attempts {
            0 => "nothing was sent".to_owned(),
            1 => "1 request was sent".to_owned(),
            n => format!("{n} requests were sent"),
        };
        let more_time = if self.hard_deadline {
            "CallOptions::deadline"
        } else {
            "RetryPolicy::with_max_elapsed"
        };
        write!(
            f,
            "rate limited: the API token's budget for this {:?} window is spent{left}, and the \
             next window opens in {:.1}s{at}, after this call's deadline ({:?} from its start, \
             {:.1}s spent; {sent}). Try again once the window opens, give calls more time \
             ({more_time}), or spread the requests out",
            self.window,
            self.reopens_in.as_secs_f64(),
            self.deadline,
            self.elapsed.as_secs_f64(),
        )
    }
}
