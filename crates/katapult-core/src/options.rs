//! Settings for some calls rather than the whole client: the timeout of
//! each attempt, the retry policy, and a hard deadline for the whole call
//! ([`Client::with_options`]). The view shares everything else with the
//! client it came from (pool, governor, hooks, token), so calls made
//! through it spend the same rate-limit budget.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;

use crate::client::{Client, ClientInner};
use crate::response::ResponseMeta;
use crate::retry::RetryPolicy;

/// Overrides for the calls made through [`Client::with_options`]; what is
/// not set stays as the client has it.
///
/// ```
/// use std::time::Duration;
/// use katapult_core::{CallOptions, Client, RetryPolicy};
///
/// let client = Client::builder().token("t").build()?;
/// // A health check: one attempt of 2 s, and never more than 3 s in all.
/// let quick = client.with_options(
///     CallOptions::new()
///         .timeout(Duration::from_secs(2))
///         .retry(RetryPolicy::none())
///         .deadline(Duration::from_secs(3)),
/// );
/// # let _ = quick;
/// # Ok::<(), katapult_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallOptions {
    /// Each attempt's timeout ([`ClientBuilder::timeout`](crate::ClientBuilder::timeout)).
    pub timeout: Option<Duration>,
    /// The retry policy ([`ClientBuilder::retry`](crate::ClientBuilder::retry)).
    pub retry: Option<RetryPolicy>,
    /// How long one call may take in all; see [`CallOptions::deadline`].
    pub deadline: Option<Duration>,
}

impl CallOptions {
    /// No overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// Each attempt's timeout, from sending to the end of the body. Zero
    /// fails every call with a configuration error.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The retry policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// A hard deadline for each call, from its start: rate-limit holds,
    /// attempts, back-offs and, for [`Client::change_disk`] and
    /// [`Client::wait_for_task`], the task waits and reads. A hold that
    /// would end after it fails at once with
    /// [`Error::RateLimited`](crate::Error::RateLimited); an attempt still
    /// under way is cut off at it, and a back-off that would end after it
    /// is not waited out: the call fails with
    /// [`Error::DeadlineExceeded`](crate::Error::DeadlineExceeded).
    /// [`RetryPolicy::with_max_elapsed`] still bounds when retries start.
    ///
    /// Each call made through the view has its own deadline; in a bulk run
    /// ([`Client::update_disks`]), each update.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }
}

/// A call's hard deadline, as a client view holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallDeadline {
    /// This long from the start of each call.
    PerCall(Duration),
    /// At this instant, for every call: set by a call made of calls (a
    /// disk change, a task wait) so that the ones it makes share its
    /// deadline. The duration is the deadline as set.
    Until(Instant, Duration),
}

impl CallDeadline {
    /// When a call that started at `started` must end.
    pub(crate) fn at(self, started: Instant) -> Instant {
        match self {
            Self::PerCall(deadline) => started
                .checked_add(deadline)
                .unwrap_or_else(|| crate::governor::far_future(started)),
            Self::Until(at, _) => at,
        }
    }

    /// The deadline as set.
    pub(crate) fn set(self) -> Duration {
        match self {
            Self::PerCall(deadline) | Self::Until(_, deadline) => deadline,
        }
    }
}

impl Client {
    /// This client with `options` applied to the calls made through it:
    /// a view that shares the connection pool, the rate-limit governor,
    /// the hooks and the token with `self`, so its calls spend the same
    /// budget. Building one costs one allocation; keep it for as many
    /// calls as want the same settings.
    ///
    /// ```no_run
    /// # async fn run(client: katapult_core::Client) -> Result<(), katapult_core::Error> {
    /// use std::time::Duration;
    /// use katapult_core::{CallOptions, Error};
    ///
    /// let within_a_second = client.with_options(CallOptions::new().deadline(Duration::from_secs(1)));
    /// match within_a_second.get_disk("disk_Xb0t6tHBeFhcc0vZ").await {
    ///     Ok(disk) => println!("{:?}", disk.disk.name),
    ///     Err(Error::DeadlineExceeded(late)) => eprintln!("{late}"),
    ///     Err(other) => return Err(other),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn with_options(&self, options: CallOptions) -> Client {
        let mut inner = ClientInner::clone(&self.inner);
        let settings = &mut inner.settings;
        if let Some(timeout) = options.timeout {
            settings.timeout = timeout;
        }
        if let Some(retry) = options.retry {
            settings.retry = retry;
        }
        if let Some(deadline) = options.deadline {
            settings.deadline = Some(CallDeadline::PerCall(deadline));
        }
        Client {
            inner: Arc::new(inner),
        }
    }

    /// For a call made of calls that started at `started`: a view whose
    /// calls all end by this client's deadline for it, and how long is
    /// left of it; this client itself and `None` when it has no deadline.
    pub(crate) fn whole_call(&self, started: Instant) -> (Client, Option<Duration>) {
        let Some(deadline) = self.inner.settings.deadline else {
            return (self.clone(), None);
        };
        let at = deadline.at(started);
        let left = at.saturating_duration_since(Instant::now());
        if matches!(deadline, CallDeadline::Until(..)) {
            return (self.clone(), Some(left));
        }
        let mut inner = ClientInner::clone(&self.inner);
        inner.settings.deadline = Some(CallDeadline::Until(at, deadline.set()));
        let client = Client {
            inner: Arc::new(inner),
        };
        (client, Some(left))
    }
}

/// What a call was doing when its deadline passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeadlinePhase {
    /// Before an attempt: held by the rate-limit governor, asking the
    /// token provider, or starting one after the deadline.
    BeforeAttempt,
    /// During an attempt: the request was sent, or being sent, and its
    /// answer had not arrived in full.
    Attempt,
    /// Backing off before a retry that would have started after the
    /// deadline.
    BackOff,
}

/// A call whose hard deadline ([`CallOptions::deadline`]) passed before it
/// ended: see [`Error::DeadlineExceeded`](crate::Error::DeadlineExceeded).
#[derive(Debug, Clone)]
pub struct DeadlineExceeded {
    pub(crate) operation: &'static str,
    pub(crate) method: Method,
    pub(crate) phase: DeadlinePhase,
    pub(crate) deadline: Duration,
    pub(crate) attempts: u32,
    pub(crate) elapsed: Duration,
    /// The last answer the call received, when it had one.
    pub(crate) last: Option<ResponseMeta>,
}

impl DeadlineExceeded {
    /// The operation (`update_disk`, `get_task`, ...).
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// What the call was doing when the deadline passed.
    pub fn phase(&self) -> DeadlinePhase {
        self.phase
    }

    /// The deadline as set.
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    /// Requests the call sent, the one cut off included.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Time from the start of the call to the failure.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The last answer the call received before the deadline, if any (a
    /// retried 503, say); its body is not kept.
    pub fn meta(&self) -> Option<&ResponseMeta> {
        self.last.as_ref()
    }

    /// Whether a request may have reached Katapult and changed something:
    /// a write was sent and its answer did not come back.
    fn may_have_applied(&self) -> bool {
        let write = self.method != Method::GET;
        write && (self.phase == DeadlinePhase::Attempt || self.attempts > 0)
    }
}

impl fmt::Display for DeadlineExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let during = match self.phase {
            DeadlinePhase::BeforeAttempt => "before the next attempt could be sent",
            DeadlinePhase::Attempt => "while waiting for the answer",
            DeadlinePhase::BackOff => "before the next retry could start",
        };
        let sent = match self.attempts {
            0 => "nothing was sent".to_owned(),
            1 => "1 request was sent".to_owned(),
            n => format!("{n} requests were sent"),
        };
        let last = self
            .last
            .as_ref()
            .map(|meta| format!(", the last answered {}", meta.status().as_u16()))
            .unwrap_or_default();
        write!(
            f,
            "{}: the call's deadline ({:?}, CallOptions::deadline) passed {during}, after \
             {:.1}s ({sent}{last})",
            self.operation,
            self.deadline,
            self.elapsed.as_secs_f64()
        )?;
        if self.may_have_applied() {
            f.write_str(
                "; the change may or may not have been applied: read the disk before trying again",
            )?;
        }
        f.write_str("; give the call a longer deadline, or try again later")
    }
}

impl std::error::Error for DeadlineExceeded {}
