//! The one error type callers see.
//!
//! Every variant says what happened and what to do next in its `Display`,
//! and none of them can contain the API token: it never enters an error.
//! [`Error`] is here; the details its variants carry each have a module of
//! their own: `config_error.rs` ([`ConfigError`]), `network.rs`
//! ([`NetworkError`]), `invalid_response.rs` ([`InvalidResponse`]) and
//! `rate_limited.rs` ([`RateLimited`]). Error statuses and their bodies are
//! in [`crate::api_error`]; [`DeadlineExceeded`] is in [`crate::options`].

use std::time::Duration;

use reqwest::StatusCode;

use crate::api_error::ApiError;
use crate::change::{ChangeFailed, PlanRefusal};
use crate::options::DeadlineExceeded;
use crate::response::{RateLimit, ResponseMeta};
use crate::retry::Outcome;
use crate::task::{TaskError, TaskErrorKind};
use crate::types::ErrorCode;

mod config_error;
mod invalid_response;
mod network;
mod rate_limited;

pub use config_error::ConfigError;
pub use invalid_response::{InvalidResponse, ResponseProblem};
pub(crate) use network::kind_of;
pub use network::{NetworkError, NetworkErrorKind};
pub use rate_limited::RateLimited;

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
    /// operation the fragment marks safe to send twice (`x-idempotent`), a
    /// body that broke after its status arrived too, so those can be true
    /// here after a single attempt. One table in the crate decides both
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
