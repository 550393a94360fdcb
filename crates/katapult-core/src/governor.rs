//! The rate-limit governor: one per client, shared by all its clones, that
//! paces requests from the server's own budget instead of sending them to be
//! refused.
//!
//! Katapult gives each token `X-Ratelimit-Permitted` requests per fixed
//! window aligned to the server's clock (`Date`), counts down in
//! `X-Ratelimit-Remaining`, and answers 429 once the budget is spent; it
//! sends no `Retry-After` and no reset time. So the governor:
//!
//! - learns `Permitted`, `Remaining` and the server's clock from every
//!   response, success or error ([`Governor::observe`]), keeping the lowest
//!   `Remaining` seen in a window (concurrent answers arrive out of order);
//! - before every attempt ([`Governor::acquire`]) counts the requests it has
//!   in flight against what is left, and holds the request while the
//!   window's budget is spent, until the next window opens by the server's
//!   clock plus a small jitter (`budget.rs`). A hold is not an attempt; a
//!   hold that would end past the call's deadline fails the call at once
//!   (the call path reports it as [`crate::Error::RateLimited`]);
//! - makes a 429 reading `Remaining: 0` wait for the window to end rather
//!   than back off blindly ([`After429`]); one it can place in the current
//!   window does not use up an attempt (its retry waits as a hold does).
//!
//! Windows are whole multiples of their length since the Unix epoch, in
//! server time. The server's clock is an interval narrowed by every `Date`
//! (`clock.rs`); while it is wider than a fiftieth of the window, one
//! request per window boundary (the probe) goes out halfway through the
//! interval the boundary may lie in, and its answer halves it. The budget is
//! the server's count, so several processes or machines sharing a token
//! converge on it with no shared store: each sees the others' requests in
//! `Remaining`, and each takes about the share of a spent window it got
//! last time (`share`, in `budget.rs`). Converging costs a few 429s a
//! window, because what one sees leaves out what the others have in
//! flight; processes on one machine that share a pool file (`pool.rs`)
//! keep the window's accounting there and pace as one client.
//!
//! Before anything is known, one request goes first and the others wait (at
//! most [`LEARNING_WAIT`]) for its answer: a burst of 50 requests into an
//! unknown budget would otherwise spend it blind. With no usable headers at
//! all the governor stays out of the way and 429s back off as before.
//! Headers it cannot trust (a `Remaining` above `Permitted`, numbers that do
//! not parse, a `Date` that does not parse or is more than a day away from
//! the local clock) are logged once and ignored. No hold lasts longer than
//! one window, whatever the headers say.
//!
//! The state sits behind a `std` mutex that is never held across an await
//! (nor is a pool file's lock, taken and let go with it).

mod budget;
mod clock;
mod pool;
#[cfg(test)]
mod tests;

use std::ops::{Deref, DerefMut};
use std::pin::pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{DATE, HeaderMap, HeaderName};
use tokio::sync::Notify;

use crate::response::{Header, RateLimit, X_RATELIMIT_PERMITTED, X_RATELIMIT_REMAINING};
use budget::{Hold, State, Window};
use clock::{Narrowed, Offset};
pub(crate) use pool::Pool;

/// Katapult's window: the wall-clock minute.
pub(crate) const DEFAULT_WINDOW: Duration = Duration::from_secs(60);

/// The longest window the builder accepts; far beyond any real limit, and it
/// keeps the arithmetic on server seconds well inside range.
pub(crate) const MAX_WINDOW: Duration = Duration::from_secs(86_400);

/// How long requests wait for the first answer of a client's life before
/// going ahead unpaced.
pub(crate) const LEARNING_WAIT: Duration = Duration::from_secs(1);

/// A `Date` further than this from the local clock is taken for garbage:
/// real clock skew is seconds or minutes, not days.
const MAX_DATE_GAP_SECS: u64 = 86_400;

/// The smallest share of a window's budget a client claims while other
/// clients on the same token are spending it too.
const MIN_SHARE: f64 = 0.05;

/// Below this uncertainty about the server's clock (as a fraction of the
/// window), the governor stops spending a request on narrowing it.
const PRECISE_ENOUGH: f64 = 1.0 / 50.0;

/// How soon, as a fraction of the window, a request held in a pool for
/// budget that requests in flight may free looks at the file again.
const POOL_RECHECK: f64 = 1.0 / 50.0;

/// Jitter added to the end of a hold, as a fraction of the window, so that
/// clients held together do not all arrive in the same millisecond.
const JITTER: f64 = 1.0 / 100.0;
const MAX_JITTER: Duration = Duration::from_millis(250);

/// The governor of one client.
pub(crate) struct Governor {
    /// `false`: observe only (for [`Governor::estimate`]); never hold.
    pacing: bool,
    window: Duration,
    window_secs: u64,
    /// Local time zero: the governor's clock is monotonic seconds since this.
    epoch: Instant,
    state: Mutex<State>,
    /// The file this client's window accounting is shared through, if any.
    pool: Option<Pool>,
    /// Woken whenever an answer arrives or a request ends without one: a
    /// held request may go now.
    changed: Notify,
    /// Which kinds of untrustworthy header were already logged.
    warned: AtomicU32,
}

impl std::fmt::Debug for Governor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Governor")
            .field("pacing", &self.pacing)
            .field("window", &self.window)
            .field("estimate", &self.estimate())
            .finish_non_exhaustive()
    }
}

/// Leave to send one request. Dropping it without an answer (a network
/// error, a cancelled call) gives its place back.
pub(crate) struct Permit<'a> {
    governor: &'a Governor,
    /// The window it was counted against, if any.
    window: Option<u64>,
    /// The first request of the client's life.
    learning: bool,
    armed: bool,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut state = self.governor.lock();
            state.release(self.window);
            if self.learning {
                // Nothing was learnt: the next request goes first instead.
                state.learning_since = None;
            }
            drop(state);
            self.governor.changed.notify_waiters();
        }
    }
}

/// What to do about a 429, as far as the governor can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum After429 {
    /// The 429 surely belongs to the current window, now recorded as spent:
    /// send again through [`Governor::acquire`], which holds the request
    /// until the next window opens. The request was refused unread, and
    /// its retry waits as a hold does: it does not use up an attempt.
    WaitForWindow,
    /// `Remaining: 0`, but the request may have been counted in the window
    /// before (it was sent about when the server's window turned): send
    /// again through [`Governor::acquire`] at once, as an attempt.
    Retry,
    /// The governor cannot place it (off, no usable `Date`, a 429 that
    /// claims budget is left): back off as the retry policy says.
    BackOff,
}

/// A rate-limit header the governor refuses to pace on, logged once each.
#[derive(Debug, Clone, Copy)]
enum Untrusted {
    Date = 1,
    DateFarAway = 2,
    Permitted = 4,
    Remaining = 8,
    RemainingAbovePermitted = 16,
    RateLimitedWithBudget = 32,
}

impl Governor {
    /// A governor for windows of `window`, holding requests if `pacing`,
    /// sharing its accounting through `pool` if one is given.
    pub(crate) fn new(window: Duration, pacing: bool, pool: Option<Pool>) -> Self {
        let epoch = Instant::now();
        let epoch_wall = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0.0, |since| since.as_secs_f64());
        Self {
            pacing,
            window,
            window_secs: window.as_secs().max(1),
            epoch,
            state: Mutex::new(State::new()),
            pool: pool.map(|pool| pool.anchored(epoch_wall)),
            changed: Notify::new(),
            warned: AtomicU32::new(0),
        }
    }

    /// Whether the governor holds requests (`false`: it only observes).
    pub(crate) fn pacing(&self) -> bool {
        self.pacing
    }

    /// The window length.
    pub(crate) fn window(&self) -> Duration {
        self.window
    }

    /// Waits until one request may be sent, and counts it in flight. Fails
    /// at once if only the next window could let it go and that opens after
    /// `deadline`, with how long until it opens and, when the server's clock
    /// is known, when it opens by that clock.
    pub(crate) async fn acquire(
        &self,
        deadline: Instant,
        operation: &'static str,
    ) -> Result<Permit<'_>, (Duration, Option<SystemTime>)> {
        if !self.pacing {
            return Ok(self.permit(None, false));
        }
        let jitter = self
            .window
            .mul_f64(JITTER)
            .min(MAX_JITTER)
            .mul_f64(fastrand::f64())
            .as_secs_f64();
        let mut probe = false;
        let mut logged = None;
        loop {
            // Registered before the state is read, so that an answer
            // arriving in between still wakes this request.
            let mut changed = pin!(self.changed.notified());
            changed.as_mut().enable();
            let now = Instant::now();
            let local = self.local(now);
            let decision = self.lock().decide(self, local, jitter, &mut probe);
            let hold = match decision {
                Ok(permit) => return Ok(permit),
                Err(hold) => hold,
            };
            let deadline_local = self.local(deadline);
            if hold.definite && hold.reopens.is_some_and(|reopens| reopens > deadline_local) {
                return Err(refusal(&hold, local));
            }
            if local >= deadline_local {
                // Nothing says the budget is spent: send rather than fail
                // the call on a guess.
                return Ok(self.permit(None, false));
            }
            let mut until = hold.until.min(deadline_local);
            if self.pool.is_some() && !hold.definite {
                // What frees the budget may be another process's answer,
                // which wakes nobody here: look at the file again soon.
                until = until.min(local + self.window.as_secs_f64() * POOL_RECHECK);
            }
            if logged != Some(hold.reason) {
                logged = Some(hold.reason);
                let estimate = self.estimate().unwrap_or_default();
                tracing::info!(
                    operation,
                    reason = hold.reason.as_str(),
                    hold_ms = millis(until - local),
                    window_opens_in_ms = hold.reopens.map(|at| millis(at - local)),
                    permitted = estimate.permitted,
                    remaining = estimate.remaining,
                    probe,
                    "katapult request held by the rate-limit governor"
                );
            }
            let wake = tokio::time::sleep_until(self.instant(until).into());
            let mut wake = pin!(wake);
            std::future::poll_fn(|cx| {
                if wake.as_mut().poll(cx).is_ready() || changed.as_mut().poll(cx).is_ready() {
                    std::task::Poll::Ready(())
                } else {
                    std::task::Poll::Pending
                }
            })
            .await;
        }
    }

    /// Learns from one answer: the server's clock, `Permitted`, `Remaining`,
    /// a 429. `sent` and `received` bracket the exchange.
    pub(crate) fn observe(
        &self,
        mut permit: Permit<'_>,
        status: StatusCode,
        headers: &HeaderMap,
        sent: Instant,
        received: Instant,
    ) -> After429 {
        permit.armed = false;
        let (counted_in, learning) = (permit.window, permit.learning);
        drop(permit);

        let date = self.read_date(headers);
        let permitted = match Header::read(headers, &X_RATELIMIT_PERMITTED) {
            Header::Valid(0) | Header::Invalid => {
                self.untrusted(Untrusted::Permitted, headers, &X_RATELIMIT_PERMITTED);
                None
            }
            Header::Valid(permitted) => Some(permitted),
            Header::Absent => None,
        };
        let mut remaining = match Header::read(headers, &X_RATELIMIT_REMAINING) {
            Header::Invalid => {
                self.untrusted(Untrusted::Remaining, headers, &X_RATELIMIT_REMAINING);
                None
            }
            Header::Valid(remaining) => Some(remaining),
            Header::Absent => None,
        };
        let rate_limited = status == StatusCode::TOO_MANY_REQUESTS;
        // Katapult's 429 reads `Remaining: 0`. One that says budget is left
        // is not Katapult's budget talking (a proxy's limit, say), and one
        // without the header says nothing: either way the governor cannot
        // tell when it ends, and the retry backs off.
        let spent = rate_limited && remaining == Some(0);
        if rate_limited && remaining.is_some_and(|remaining| remaining > 0) {
            self.untrusted(
                Untrusted::RateLimitedWithBudget,
                headers,
                &X_RATELIMIT_REMAINING,
            );
            remaining = None;
        }

        let (sent, received) = (self.local(sent), self.local(received));
        let mut state = self.lock();
        state.release(counted_in);
        state.heard = true;
        if learning {
            state.learning_since = None;
        }
        if let Some(permitted) = permitted {
            if state.permitted.is_some_and(|known| known != permitted) {
                tracing::info!(
                    permitted,
                    was = state.permitted,
                    "katapult rate limit changed"
                );
            }
            state.permitted = Some(permitted);
            if let Some(low) = &mut state.window.remaining {
                *low = (*low).min(permitted);
            }
        }
        if let (Some(value), Some(permitted)) = (remaining, state.permitted)
            && value > permitted
        {
            remaining = None;
            self.untrusted(
                Untrusted::RemainingAbovePermitted,
                headers,
                &X_RATELIMIT_REMAINING,
            );
        }

        let mut after = After429::BackOff;
        if let Some(date) = date {
            let response = Offset::from_response(date, sent, received);
            let index = date / self.window_secs;
            let clock = match &mut state.clock {
                Some(clock) => {
                    let restarted = clock.narrow(response) == Narrowed::Restarted;
                    let clock = *clock;
                    if restarted {
                        tracing::debug!(
                            date,
                            "the server's clock moved against the local one; estimating it afresh"
                        );
                        // What was counted against the old clock's windows
                        // means nothing now, and may be ahead of the server.
                        state.window = Window {
                            index,
                            ..Window::default()
                        };
                        state.probe = None;
                        state.probe_claim = 0;
                    }
                    clock
                }
                None => *state.clock.insert(response),
            };
            state.roll(index);
            if index == state.window.index {
                // Sent surely after the window began: the count is this
                // window's. Sent earlier, it may be the last one's.
                let ours = sent + clock.lo >= (index * self.window_secs) as f64;
                if rate_limited {
                    if ours && spent {
                        state.window.remaining = Some(0);
                        if self.pacing {
                            after = After429::WaitForWindow;
                        }
                    }
                } else {
                    state.window.counted += 1;
                    if counted_in != Some(index) {
                        state.window.sent += 1;
                    }
                    if let (true, Some(value)) = (ours, remaining) {
                        let low = state.window.remaining.get_or_insert(value);
                        *low = (*low).min(value);
                    }
                }
            }
            if spent && self.pacing && after == After429::BackOff {
                after = After429::Retry;
            }
        }
        drop(state);
        self.changed.notify_waiters();
        after
    }

    /// The governor's estimate of the current window: `Permitted`, and what
    /// is left of it as far as it knows. `None` before any rate-limit header.
    pub(crate) fn estimate(&self) -> Option<RateLimit> {
        let local = self.local(Instant::now());
        let estimate = self.lock().estimate(self, local);
        (estimate != RateLimit::default()).then_some(estimate)
    }

    fn permit(&self, window: Option<u64>, learning: bool) -> Permit<'_> {
        Permit {
            governor: self,
            window,
            learning,
            armed: true,
        }
    }

    /// The state, with the pool's accounting loaded into it when this
    /// client has a pool file; written back when the guard drops.
    fn lock(&self) -> Locked<'_> {
        // No code holding the lock can panic half-way through an update
        // that matters; a poisoned lock is still a consistent state.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let pooled = self.pool.as_ref().filter(|pool| pool.load(&mut state));
        Locked { state, pooled }
    }

    fn local(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.epoch).as_secs_f64()
    }

    fn instant(&self, local: f64) -> Instant {
        self.epoch
            .checked_add(seconds(local))
            .unwrap_or_else(|| far_future(self.epoch))
    }

    fn index_at(&self, server: f64) -> u64 {
        // `as` saturates: a negative time is window 0.
        (server / self.window_secs as f64).floor() as u64
    }

    /// The `Date` of a response in Unix seconds, if it is one the governor
    /// can trust.
    fn read_date(&self, headers: &HeaderMap) -> Option<u64> {
        let value = headers.get(DATE)?;
        let parsed = value
            .to_str()
            .ok()
            .map(str::trim)
            .map(httpdate::parse_http_date);
        let Some(Ok(date)) = parsed else {
            self.untrusted(Untrusted::Date, headers, &DATE);
            return None;
        };
        let date = date
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        if date.abs_diff(now) > MAX_DATE_GAP_SECS {
            self.untrusted(Untrusted::DateFarAway, headers, &DATE);
            return None;
        }
        Some(date)
    }

    /// Logs, once per kind for this client, a header the governor ignores.
    fn untrusted(&self, kind: Untrusted, headers: &HeaderMap, name: &HeaderName) {
        let bit = kind as u32;
        if self.warned.fetch_or(bit, Ordering::Relaxed) & bit != 0 {
            return;
        }
        let value = headers.get(name).map(|value| {
            String::from_utf8_lossy(value.as_bytes())
                .chars()
                .take(64)
                .collect::<String>()
        });
        let problem = match kind {
            Untrusted::Date => "not an HTTP date",
            Untrusted::DateFarAway => "more than a day away from this machine's clock",
            Untrusted::Permitted | Untrusted::Remaining => "not a number of requests",
            Untrusted::RemainingAbovePermitted => "more than X-Ratelimit-Permitted",
            Untrusted::RateLimitedWithBudget => "above zero on a 429 answer",
        };
        tracing::warn!(
            header = name.as_str(),
            value = value.as_deref().unwrap_or(""),
            problem,
            "katapult-core ignores this rate-limit header for pacing (logged once per client); \
             requests are paced on the other headers, or retried with back-off"
        );
    }
}

/// The governor's state while it is locked: with a pool file, the file is
/// locked too, and the accounting is written back when this drops.
struct Locked<'a> {
    state: MutexGuard<'a, State>,
    /// The pool whose file is locked and loaded into `state`.
    pooled: Option<&'a Pool>,
}

impl Deref for Locked<'_> {
    type Target = State;

    fn deref(&self) -> &State {
        &self.state
    }
}

impl DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut State {
        &mut self.state
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        if let Some(pool) = self.pooled {
            pool.store(&self.state);
        }
    }
}

/// A time no call waits for: a year on.
pub(crate) fn far_future(from: Instant) -> Instant {
    from.checked_add(Duration::from_secs(365 * 86_400))
        .unwrap_or(from)
}

fn seconds(value: f64) -> Duration {
    Duration::try_from_secs_f64(value.max(0.0)).unwrap_or(Duration::MAX)
}

fn millis(value: f64) -> u64 {
    u64::try_from(seconds(value).as_millis()).unwrap_or(u64::MAX)
}

/// How long until the window a hold waits for opens, and when it opens by
/// the server's clock.
fn refusal(hold: &Hold, local: f64) -> (Duration, Option<SystemTime>) {
    (
        seconds(hold.reopens.unwrap_or(hold.until) - local),
        hold.reopens_at
            .map(|at| SystemTime::UNIX_EPOCH + Duration::from_secs(at)),
    )
}
