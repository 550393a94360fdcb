//! [`RateLimited`]: the governor failed a call at once, because the next
//! rate-limit window opens after the call's deadline.

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::response::{RateLimit, ResponseMeta};

/// A call the client's rate-limit governor failed at once: the token's
/// budget for the current window is spent, and the next window opens after
/// the call's deadline. See [`Error::RateLimited`](crate::Error::RateLimited).
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
