//! Hooks: code of the caller's that runs on every attempt of every call,
//! before the request is sent (it may add headers) and after (it sees the
//! status and headers, or the network error). Metrics, audit lines and
//! tracing propagation fit here without a second HTTP client.
//!
//! The call path pays for hooks only when one is installed: with none, it
//! checks an empty slice and goes on.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderMap, HeaderName, HeaderValue,
    USER_AGENT,
};
use reqwest::{Method, StatusCode, Url};

use crate::config::ClientBuilder;
use crate::error::{ConfigError, NetworkErrorKind};
use crate::retry::Outcome;

/// Code called on every attempt of every call a client makes, retries
/// included: [`before_attempt`](Self::before_attempt) just before the
/// request is sent, [`after_attempt`](Self::after_attempt) once its status
/// and headers arrived or it failed. Install hooks with
/// [`ClientBuilder::hook`]; several are called in the order installed.
///
/// Both methods do nothing unless overridden. They run on the call's task:
/// keep them quick (count, log, add a header) and never block.
///
/// Metrics, a count of attempts by operation and status:
///
/// ```
/// use std::collections::BTreeMap;
/// use std::sync::{Arc, Mutex};
/// use katapult_core::{AttemptOutcome, Client, Hook};
///
/// #[derive(Default)]
/// struct Metrics {
///     // (operation, status or "network"), count
///     attempts: Mutex<BTreeMap<(&'static str, String), u64>>,
/// }
///
/// impl Hook for Metrics {
///     fn after_attempt(&self, attempt: &AttemptOutcome<'_>) {
///         let status = attempt
///             .status()
///             .map_or_else(|| "network".to_owned(), |s| s.as_u16().to_string());
///         *self.attempts.lock().unwrap().entry((attempt.operation(), status)).or_default() += 1;
///     }
/// }
///
/// let metrics = Arc::new(Metrics::default());
/// let client = Client::builder().token("t").hook(metrics.clone()).build()?;
/// // ... calls through `client` ...
/// # let _ = client;
/// for ((operation, status), count) in metrics.attempts.lock().unwrap().iter() {
///     println!("katapult_attempts{{operation={operation:?},status={status:?}}} {count}");
/// }
/// # Ok::<(), katapult_core::Error>(())
/// ```
///
/// An audit line per attempt, and a header that names the job:
///
/// ```
/// use katapult_core::{AttemptOutcome, AttemptRequest, Client, Hook};
///
/// struct Audit {
///     job: String,
/// }
///
/// impl Hook for Audit {
///     fn before_attempt(&self, request: &mut AttemptRequest<'_>) {
///         request.set_header("x-audit-job", &self.job);
///     }
///
///     fn after_attempt(&self, attempt: &AttemptOutcome<'_>) {
///         let result = match (attempt.status(), attempt.network_error()) {
///             (Some(status), _) => status.to_string(),
///             (None, Some(error)) => format!("no response: {error}"),
///             (None, None) => "no response".to_owned(),
///         };
///         eprintln!(
///             "audit job={} operation={} attempt={} request_id={} result={result} in {:?}",
///             self.job,
///             attempt.operation(),
///             attempt.attempt(),
///             attempt.request_id().unwrap_or("-"),
///             attempt.elapsed(),
///         );
///     }
/// }
///
/// let client = Client::builder()
///     .token("t")
///     .hook(Audit { job: "nightly-resize".into() })
///     .build()?;
/// # let _ = client;
/// # Ok::<(), katapult_core::Error>(())
/// ```
pub trait Hook: Send + Sync + 'static {
    /// The name an error names the hook by (default: its type's name).
    fn name(&self) -> &str {
        std::any::type_name::<Self>()
    }

    /// Called just before each attempt is sent, with the request as it
    /// will go out; it may add headers ([`AttemptRequest::set_header`]).
    fn before_attempt(&self, request: &mut AttemptRequest<'_>) {
        let _ = request;
    }

    /// Called once each attempt's status and headers arrived (before its
    /// body is read), or once it failed without a response.
    fn after_attempt(&self, attempt: &AttemptOutcome<'_>) {
        let _ = attempt;
    }
}

/// A shared hook is a hook: install `Arc<Metrics>` and keep a clone to
/// read the counts.
impl<H: Hook + ?Sized> Hook for Arc<H> {
    fn name(&self) -> &str {
        (**self).name()
    }

    fn before_attempt(&self, request: &mut AttemptRequest<'_>) {
        (**self).before_attempt(request);
    }

    fn after_attempt(&self, attempt: &AttemptOutcome<'_>) {
        (**self).after_attempt(attempt);
    }
}

/// The hooks of one client, in the order installed; shared by its clones.
pub(crate) type Hooks = Arc<[Arc<dyn Hook>]>;

impl ClientBuilder {
    /// Installs a [`Hook`], called on every attempt of every call after
    /// the hooks installed before it. A hook that sets a header the
    /// client cannot send fails the call with
    /// [`ConfigError::HookHeader`] before anything is sent.
    pub fn hook(mut self, hook: impl Hook) -> Self {
        self.hooks.push(Arc::new(hook));
        self
    }
}

/// The request of one attempt, as a [`Hook`] sees it before it is sent.
/// The token is not shown.
pub struct AttemptRequest<'a> {
    operation: &'static str,
    attempt: u32,
    request: &'a mut reqwest::Request,
    /// The first header a hook could not set: the call fails with it.
    refused: Option<(String, &'static str)>,
}

impl AttemptRequest<'_> {
    /// The operation's name (`update_disk`, `get_task`, ...).
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// Which attempt of the call this is, from 1.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The HTTP method.
    pub fn method(&self) -> &Method {
        self.request.method()
    }

    /// The URL, query included.
    pub fn url(&self) -> &Url {
        self.request.url()
    }

    /// Sends header `name` with `value` on this attempt, replacing what a
    /// hook before set under that name. A name or value HTTP cannot carry,
    /// or a header the client sets itself (`Authorization`, `User-Agent`,
    /// `Accept`, `Content-Type`, `Content-Length`, `Host`, `api-version`),
    /// fails the call with [`ConfigError::HookHeader`] naming the header,
    /// and this attempt is not sent (earlier ones of a retried call were:
    /// the error's `sent`).
    pub fn set_header(&mut self, name: &str, value: &str) {
        if self.refused.is_some() {
            return;
        }
        let header = match HeaderName::from_bytes(name.as_bytes()) {
            Ok(header) => header,
            Err(_) => {
                self.refused = Some((name.to_owned(), "is not a valid header name"));
                return;
            }
        };
        if RESERVED.contains(&header) {
            self.refused = Some((name.to_owned(), "is set by the client itself"));
            return;
        }
        match HeaderValue::from_str(value) {
            Ok(value) => {
                self.request.headers_mut().insert(header, value);
            }
            Err(_) => {
                self.refused = Some((
                    name.to_owned(),
                    "was given a value an HTTP header cannot carry (a control character or a \
                     line break)",
                ));
            }
        }
    }
}

/// What the client sets on every request, which a hook may not replace.
const RESERVED: [HeaderName; 7] = [
    AUTHORIZATION,
    USER_AGENT,
    ACCEPT,
    CONTENT_TYPE,
    CONTENT_LENGTH,
    HOST,
    HeaderName::from_static("api-version"),
];

/// How one attempt ended, as a [`Hook`] sees it.
pub struct AttemptOutcome<'a> {
    operation: &'static str,
    attempt: u32,
    elapsed: Duration,
    ended: Ended<'a>,
}

enum Ended<'a> {
    Response {
        status: StatusCode,
        headers: &'a HeaderMap,
    },
    Network {
        outcome: Outcome,
        error: &'a reqwest::Error,
    },
}

impl AttemptOutcome<'_> {
    /// The operation's name (`update_disk`, `get_task`, ...).
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// Which attempt of the call this was, from 1.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// From sending the request to its status and headers, or to the
    /// failure.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The status answered; `None` when no response arrived.
    pub fn status(&self) -> Option<StatusCode> {
        match self.ended {
            Ended::Response { status, .. } => Some(status),
            Ended::Network { .. } => None,
        }
    }

    /// The response's headers; `None` when no response arrived.
    pub fn headers(&self) -> Option<&HeaderMap> {
        match self.ended {
            Ended::Response { headers, .. } => Some(headers),
            Ended::Network { .. } => None,
        }
    }

    /// `X-Request-Id` of the response, when one arrived with it.
    pub fn request_id(&self) -> Option<&str> {
        self.headers()?
            .get(&crate::response::X_REQUEST_ID)?
            .to_str()
            .ok()
    }

    /// The error, when no response arrived.
    pub fn network_error(&self) -> Option<&reqwest::Error> {
        match self.ended {
            Ended::Network { error, .. } => Some(error),
            Ended::Response { .. } => None,
        }
    }

    /// What kind of network failure it was, when no response arrived.
    pub fn network_error_kind(&self) -> Option<NetworkErrorKind> {
        match self.ended {
            Ended::Network { outcome, .. } => Some(crate::error::kind_of(outcome)),
            Ended::Response { .. } => None,
        }
    }
}

/// Runs every hook's [`Hook::before_attempt`] on `request`; the first
/// header one could not set is the call's configuration error.
pub(crate) fn before_attempt(
    hooks: &[Arc<dyn Hook>],
    operation: &'static str,
    attempt: u32,
    request: &mut reqwest::Request,
) -> Result<(), ConfigError> {
    for hook in hooks {
        let mut view = AttemptRequest {
            operation,
            attempt,
            request: &mut *request,
            refused: None,
        };
        hook.before_attempt(&mut view);
        if let Some((header, reason)) = view.refused {
            return Err(ConfigError::HookHeader {
                hook: hook.name().to_owned(),
                header,
                reason,
                sent: 0,
            });
        }
    }
    Ok(())
}

/// Runs every hook's [`Hook::after_attempt`] on what one attempt got.
pub(crate) fn after_attempt(
    hooks: &[Arc<dyn Hook>],
    operation: &'static str,
    attempt: u32,
    elapsed: Duration,
    sent: &Result<reqwest::Response, reqwest::Error>,
    outcome: Outcome,
) {
    let ended = match sent {
        Ok(response) => Ended::Response {
            status: response.status(),
            headers: response.headers(),
        },
        Err(error) => Ended::Network { outcome, error },
    };
    let view = AttemptOutcome {
        operation,
        attempt,
        elapsed,
        ended,
    };
    for hook in hooks {
        hook.after_attempt(&view);
    }
}
