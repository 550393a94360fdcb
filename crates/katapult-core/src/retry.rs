//! When to send a request again, and how long to wait first; and, in one
//! table ([`Outcome::row`]), what every kind of failure means: whether
//! the client retries it and whether [`Error::is_retryable`] says a later
//! call could succeed.
//!
//! [`Error::is_retryable`]: crate::Error::is_retryable

use std::time::Duration;

use reqwest::StatusCode;

use crate::governor::After429;

/// How one attempt ended, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A response with this status.
    Status(StatusCode),
    /// No connection could be made: nothing reached the API.
    ConnectFailed,
    /// The connection broke before any response: the request may not have
    /// been read, and sending it again is what a client would do anyway.
    BrokeBeforeResponse,
    /// The connection broke in the middle of the response body.
    BrokeInBody,
    /// No complete response within the timeout.
    TimedOut,
    /// Any other failure reqwest reports (a builder or redirect error).
    OtherNetwork,
    /// The server's TLS certificate failed verification (an unknown issuer,
    /// an expired certificate, a wrong name): nothing reached the API, and
    /// every attempt would meet the same certificate.
    CertificateRejected,
    /// The rate-limit governor would have had to hold the request until a
    /// window that opens after the call's deadline: nothing more was sent.
    HeldPastDeadline,
}

impl Outcome {
    /// The table, the one place that decides both answers: whether the
    /// client sends the request again (under the [`RetryPolicy`]'s budgets,
    /// backing off on the cause's scale), and whether the same call, made
    /// again later, could succeed.
    ///
    /// `idempotent` is the operation's `x-idempotent` in the fragment:
    /// whether sending it twice is safe. An answer that may have been lost
    /// after the request reached Katapult (a proxy's 502 or 504, a timeout,
    /// a connection broken after sending, a body broken after its status)
    /// is sent again only for such an
    /// operation; for any other it is left to the caller, and still
    /// reported as retryable when trying again later could succeed.
    fn row(self, idempotent: bool) -> (Option<RetryCause>, bool) {
        let if_safe = |cause| (idempotent.then_some(cause), true);
        match self {
            Self::Status(StatusCode::TOO_MANY_REQUESTS) => (Some(RetryCause::RateLimited), true),
            Self::Status(StatusCode::SERVICE_UNAVAILABLE) => (Some(RetryCause::Unavailable), true),
            // A proxy's answer: Katapult may or may not have applied the
            // request.
            Self::Status(StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT) => {
                if_safe(RetryCause::AnswerLost)
            }
            Self::Status(_) => (None, false),
            // Nothing reached the API.
            Self::ConnectFailed => (Some(RetryCause::ConnectionFailed), true),
            // The request may have been read and applied.
            Self::BrokeBeforeResponse | Self::TimedOut => if_safe(RetryCause::AnswerLost),
            // The status had arrived: the request reached Katapult, and
            // the answer was lost in its body. A safe operation's body is
            // read inside the attempt, so it is sent again; an unsafe one's
            // is read after the call has decided, and a break is reported.
            Self::BrokeInBody => if_safe(RetryCause::AnswerLost),
            Self::OtherNetwork => (None, false),
            // Only a change of trust (a CA added) or of certificate can
            // help, not time.
            Self::CertificateRejected => (None, false),
            // The next window will have budget again.
            Self::HeldPastDeadline => (None, true),
        }
    }

    /// Why the client sends the request again, if it does, for an
    /// operation that is (or is not) safe to send twice.
    pub(crate) fn retried(self, idempotent: bool) -> Option<RetryCause> {
        self.row(idempotent).0
    }

    /// Whether the same call, made again later, could succeed.
    pub(crate) fn retryable(self) -> bool {
        // The same for either kind of operation.
        self.row(false).1
    }

    /// How a request that got no complete response failed.
    pub(crate) fn of_network_error(error: &reqwest::Error) -> Self {
        // Before the connect check: a handshake that failed on the
        // certificate is a connect error too, but not a passing one.
        if crate::tls::is_certificate_rejection(error) {
            Self::CertificateRejected
        // A connect timeout is a failed connection: nothing was sent.
        } else if error.is_connect() {
            Self::ConnectFailed
        } else if error.is_timeout() {
            Self::TimedOut
        } else if error.is_request() {
            Self::BrokeBeforeResponse
        } else if error.is_body() || error.is_decode() {
            Self::BrokeInBody
        } else {
            Self::OtherNetwork
        }
    }
}

/// Why an attempt is being retried. The two causes back off on different
/// scales: Katapult limits requests per minute and sends no `Retry-After`,
/// so a 429 waits seconds; a 503 or a failed connection is usually brief.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryCause {
    /// 429 `rate_limit_reached`.
    RateLimited,
    /// 503 `service_unavailable`.
    Unavailable,
    /// The connection could not be made.
    ConnectionFailed,
    /// The answer may have been lost after the request reached Katapult
    /// (502, 504, a timeout, a broken connection or body); only for
    /// operations that are safe to send twice.
    AnswerLost,
}

impl RetryCause {
    /// A short name, as it appears in traces.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::RateLimited => "rate_limited",
            Self::Unavailable => "unavailable",
            Self::ConnectionFailed => "connection_failed",
            Self::AnswerLost => "answer_lost",
        }
    }
}

/// Capped exponential back-off: the `n`th retry waits between half and all
/// of `min(max, initial * 2^(n-1))` (equal jitter), so clients that were
/// turned away together do not come back together, and no retry comes back
/// sooner than half its step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Backoff {
    /// The step before the first retry.
    initial: Duration,
    /// The largest step.
    max: Duration,
}

impl Backoff {
    fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max: max.max(initial),
        }
    }

    /// The delay before retry number `retry` (1-based), for a `jitter` in
    /// `[0, 1]`.
    fn delay(&self, retry: u32, jitter: f64) -> Duration {
        let exponent = retry.saturating_sub(1).min(31);
        let step = self
            .initial
            .checked_mul(1u32 << exponent)
            .unwrap_or(self.max)
            .min(self.max);
        let half = step / 2;
        half + half.mul_f64(jitter.clamp(0.0, 1.0))
    }
}

/// How often and for how long failures are retried.
///
/// 429 and 503 answers and failed connections are retried; every other
/// answer, 4xx or not, is returned at once (the table is in the README,
/// "Retries and rate limits"). A retry is only started while
/// both budgets allow it: at most [`max_attempts`](Self::with_max_attempts)
/// requests in all, and no retry that would start later than
/// [`max_elapsed`](Self::with_max_elapsed) after the call began. An answer
/// that may have been lost after the request reached Katapult (a timeout, a
/// proxy's 502 or 504, a connection or a body broken after sending) is
/// retried only for an operation safe to send twice (`x-idempotent` in the
/// fragment); for any other the write may have been applied, and the caller
/// decides.
///
/// `max_elapsed` is also the call's deadline for the client's rate-limit
/// governor: a call it would have to hold until a window that opens later
/// than that fails at once with [`Error::RateLimited`](crate::Error::RateLimited).
/// While the governor knows the server's clock, a 429 waits for the window
/// to end instead of its back-off step (it is one more request sent, but does
/// not use up one of `max_attempts`: the deadline bounds it), and no
/// back-off after a 429 is longer than one window.
///
/// Updating a disk sets absolute values, so sending the same update twice is
/// safe.
///
/// ```
/// use std::time::Duration;
/// use katapult_core::RetryPolicy;
///
/// // The default: 5 attempts within 60 s; 429 backs off from 2 s to 30 s,
/// // 503 and connection failures from 250 ms to 5 s.
/// let default = RetryPolicy::default();
///
/// // A batch job that would rather wait out the rate limit:
/// let patient = RetryPolicy::default()
///     .with_max_attempts(10)
///     .with_max_elapsed(Duration::from_secs(300));
///
/// // Fail fast, and let the caller decide:
/// let none = RetryPolicy::none();
/// # let _ = (default, patient, none);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    max_elapsed: Duration,
    rate_limited: Backoff,
    transient: Backoff,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            max_elapsed: Duration::from_secs(60),
            rate_limited: Backoff::new(Duration::from_secs(2), Duration::from_secs(30)),
            transient: Backoff::new(Duration::from_millis(250), Duration::from_secs(5)),
        }
    }
}

impl RetryPolicy {
    /// Never retry: every call makes exactly one attempt.
    pub fn none() -> Self {
        Self::default().with_max_attempts(1)
    }

    /// At most `attempts` requests per call, the first included
    /// (1 turns retries off). Zero is treated as 1.
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// No retry starts later than this after the call began, and no
    /// rate-limit hold ends later (the call's deadline).
    pub fn with_max_elapsed(mut self, max_elapsed: Duration) -> Self {
        self.max_elapsed = max_elapsed;
        self
    }

    /// Back-off after a 429: the first retry waits between half and all of
    /// `initial`, each further one up to twice as long, never more than
    /// `max`.
    pub fn with_rate_limit_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.rate_limited = Backoff::new(initial, max);
        self
    }

    /// Back-off after a 503 or a failed connection, on the same scheme.
    pub fn with_transient_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.transient = Backoff::new(initial, max);
        self
    }

    /// The most requests one call makes.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The time after the call began past which no retry starts and no
    /// rate-limit hold ends.
    pub fn max_elapsed(&self) -> Duration {
        self.max_elapsed
    }

    /// How long to wait before sending again after an attempt the table
    /// retries for `cause`, or `None` when the budgets are spent. `counted`
    /// is the attempts the budget counts so far, `elapsed` the time since
    /// the call began, `after_429` what the rate-limit governor made of the
    /// answer, and `window` the governor's window when it paces requests.
    pub(crate) fn delay(
        &self,
        cause: RetryCause,
        after_429: After429,
        counted: u32,
        elapsed: Duration,
        window: Option<Duration>,
    ) -> Option<Duration> {
        match (after_429, window) {
            // The governor holds the next attempt until the window ends
            // (or refuses it if that is past the deadline).
            (After429::WaitForWindow | After429::Retry, _) => (counted < self.max_attempts
                && elapsed <= self.max_elapsed)
                .then_some(Duration::ZERO),
            // A window later the budget is back: waiting longer gains
            // nothing.
            (After429::BackOff, Some(window)) if cause == RetryCause::RateLimited => self
                .next_delay(cause, counted, elapsed, fastrand::f64())
                .map(|delay| delay.min(window)),
            (After429::BackOff, _) => self.next_delay(cause, counted, elapsed, fastrand::f64()),
        }
    }

    /// The back-off step before the next attempt, or `None` when the budget
    /// is spent: `attempts` made so far, `elapsed` since the first began,
    /// `jitter` a number in `[0, 1]`.
    fn next_delay(
        &self,
        cause: RetryCause,
        attempts: u32,
        elapsed: Duration,
        jitter: f64,
    ) -> Option<Duration> {
        if attempts >= self.max_attempts {
            return None;
        }
        let backoff = match cause {
            RetryCause::RateLimited => self.rate_limited,
            RetryCause::Unavailable | RetryCause::ConnectionFailed | RetryCause::AnswerLost => {
                self.transient
            }
        };
        let delay = backoff.delay(attempts, jitter);
        (elapsed + delay <= self.max_elapsed).then_some(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_retried_is_retryable() {
        let statuses = (100..600).filter_map(|code| StatusCode::from_u16(code).ok());
        let outcomes = statuses.map(Outcome::Status).chain([
            Outcome::ConnectFailed,
            Outcome::BrokeBeforeResponse,
            Outcome::BrokeInBody,
            Outcome::TimedOut,
            Outcome::OtherNetwork,
            Outcome::CertificateRejected,
            Outcome::HeldPastDeadline,
        ]);
        let outcomes: Vec<Outcome> = outcomes.collect();
        let retried = |idempotent: bool| -> Vec<Outcome> {
            let retried: Vec<Outcome> = outcomes
                .iter()
                .copied()
                .filter(|outcome| outcome.retried(idempotent).is_some())
                .collect();
            for outcome in &retried {
                assert!(
                    outcome.retryable(),
                    "{outcome:?} is retried but not retryable"
                );
            }
            retried
        };
        let status = |code| Outcome::Status(StatusCode::from_u16(code).unwrap());
        // Whatever the operation: nothing reached the API, or it asked to
        // be asked again.
        assert_eq!(
            retried(false),
            [status(429), status(503), Outcome::ConnectFailed]
        );
        // An operation safe to send twice also gets an answer lost after
        // sending retried, in its body included.
        assert_eq!(
            retried(true),
            [
                status(429),
                status(502),
                status(503),
                status(504),
                Outcome::ConnectFailed,
                Outcome::BrokeBeforeResponse,
                Outcome::BrokeInBody,
                Outcome::TimedOut,
            ]
        );
        assert_eq!(Outcome::BrokeInBody.row(false), (None, true));
        assert_eq!(Outcome::HeldPastDeadline.row(true), (None, true));
        for idempotent in [false, true] {
            assert_eq!(Outcome::CertificateRejected.row(idempotent), (None, false));
        }
        for code in [502, 504] {
            assert_eq!(status(code).row(false), (None, true), "{code}");
        }
    }

    const S: fn(u64) -> Duration = Duration::from_secs;
    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn rate_limits_back_off_on_a_scale_of_seconds() {
        let policy = RetryPolicy::default();
        // Even with the least jitter, the first wait after a 429 is a second.
        assert_eq!(
            policy.next_delay(RetryCause::RateLimited, 1, S(0), 0.0),
            Some(S(1))
        );
        assert_eq!(
            policy.next_delay(RetryCause::RateLimited, 1, S(0), 1.0),
            Some(S(2))
        );
        assert_eq!(
            policy.next_delay(RetryCause::Unavailable, 1, S(0), 0.0),
            Some(MS(125))
        );
    }

    #[test]
    fn steps_double_up_to_the_cap() {
        let backoff = Backoff::new(S(2), S(30));
        let full: Vec<_> = (1..=6).map(|n| backoff.delay(n, 1.0)).collect();
        assert_eq!(full, [S(2), S(4), S(8), S(16), S(30), S(30)]);
        assert_eq!(backoff.delay(u32::MAX, 1.0), S(30));
        assert_eq!(backoff.delay(3, 0.5), S(6));
    }

    #[test]
    fn attempts_are_bounded() {
        let policy = RetryPolicy::default().with_max_attempts(3);
        assert!(
            policy
                .next_delay(RetryCause::Unavailable, 2, S(0), 0.5)
                .is_some()
        );
        assert_eq!(
            policy.next_delay(RetryCause::Unavailable, 3, S(0), 0.5),
            None
        );
        assert_eq!(
            RetryPolicy::none().next_delay(RetryCause::ConnectionFailed, 1, S(0), 0.0),
            None
        );
        assert_eq!(
            RetryPolicy::default().with_max_attempts(0).max_attempts(),
            1
        );
    }

    #[test]
    fn after_a_429_the_governor_places_the_retry_waits_for_it_not_a_step() {
        let policy = RetryPolicy::default().with_max_attempts(3);
        let cause = RetryCause::RateLimited;
        for after in [After429::WaitForWindow, After429::Retry] {
            assert_eq!(
                policy.delay(cause, after, 2, S(1), Some(S(60))),
                Some(Duration::ZERO)
            );
            assert_eq!(policy.delay(cause, after, 3, S(1), Some(S(60))), None);
            assert_eq!(policy.delay(cause, after, 1, S(61), Some(S(60))), None);
        }
        // Backing off while pacing: never longer than a window.
        let slow = RetryPolicy::default().with_rate_limit_backoff(S(20), S(20));
        let paced = slow.delay(cause, After429::BackOff, 1, S(0), Some(S(2)));
        assert_eq!(paced, Some(S(2)));
        let unpaced = slow.delay(cause, After429::BackOff, 1, S(0), None).unwrap();
        assert!(unpaced >= S(10), "{unpaced:?}");
    }

    #[test]
    fn total_time_is_bounded() {
        let policy = RetryPolicy::default().with_max_elapsed(S(10));
        assert_eq!(
            policy.next_delay(RetryCause::RateLimited, 1, S(8), 1.0),
            Some(S(2))
        );
        assert_eq!(
            policy.next_delay(RetryCause::RateLimited, 1, S(9), 1.0),
            None
        );
    }
}
