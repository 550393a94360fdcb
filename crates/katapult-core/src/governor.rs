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
//!   clock plus a small jitter. A hold is not an attempt; a hold that would
//!   end past the call's deadline fails the call at once ([`Refusal`]);
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
//! last time (`share` below).
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
//! The state sits behind a `std` mutex that is never held across an await.

mod clock;

use std::pin::pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{DATE, HeaderMap, HeaderName};
use tokio::sync::Notify;

use crate::response::{Header, RateLimit, X_RATELIMIT_PERMITTED, X_RATELIMIT_REMAINING};
use clock::{Narrowed, Offset};

pub(crate) use clock::format_utc;

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

/// Jitter added to the end of a hold, as a fraction of the window, so that
/// clients held together do not all arrive in the same millisecond.
const JITTER: f64 = 1.0 / 100.0;
const MAX_JITTER: Duration = Duration::from_millis(250);

/// The governor of one client.
pub(crate) struct Governor {
    /// `false`: observe only (for [`Governor::view`]); never hold.
    pacing: bool,
    window: Duration,
    window_secs: u64,
    /// Local time zero: the governor's clock is monotonic seconds since this.
    epoch: Instant,
    state: Mutex<State>,
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
            .field("view", &self.view())
            .finish_non_exhaustive()
    }
}

/// What the governor knows.
#[derive(Debug)]
struct State {
    /// The server's clock; `None` until a response carries a usable `Date`.
    clock: Option<Offset>,
    permitted: Option<u32>,
    window: Window,
    /// The part of a window's budget this client spent last time, when it
    /// shared the token with others (1 when alone).
    share: f64,
    /// Whether `share` was measured yet.
    share_seen: bool,
    /// Whether any answer has arrived.
    heard: bool,
    /// When the first request of the client's life left, while it is
    /// unanswered (local seconds).
    learning_since: Option<f64>,
    /// The one request allowed to go before the server's clock says for
    /// sure that the next window opened: it lands either in the old window
    /// (a 429, which bounds the clock from above) or in the new one (which
    /// opens it for everyone at once, and bounds the clock from below). One
    /// per window boundary, only while the clock is imprecise.
    probe: Option<Probe>,
}

#[derive(Debug, Clone, Copy)]
struct Probe {
    /// The window it tries to be the first of.
    window: u64,
    /// When it goes (local seconds).
    at: f64,
}

/// The accounting of the current window.
#[derive(Debug, Default, Clone, Copy)]
struct Window {
    /// Whole windows since the Unix epoch, server time.
    index: u64,
    /// The lowest `Remaining` of an answer that surely belongs to this
    /// window (0 after a 429).
    remaining: Option<u32>,
    /// Requests charged to this window and not answered yet.
    in_flight: u32,
    /// Requests charged to this window, plus answers that landed in it
    /// uncharged.
    sent: u32,
    /// Answers to this client that the server counted in this window.
    counted: u32,
}

/// What a request carries from [`Governor::acquire`] to its answer.
#[derive(Debug, Clone, Copy, Default)]
struct Charge {
    /// The window it was counted against, if any.
    window: Option<u64>,
    /// The first request of the client's life.
    learning: bool,
}

/// Leave to send one request. Dropping it without an answer (a network
/// error, a cancelled call) gives its place back.
pub(crate) struct Permit<'a> {
    governor: &'a Governor,
    charge: Charge,
    armed: bool,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut state = self.governor.lock();
            state.release(self.charge);
            if self.charge.learning {
                // Nothing was learnt: the next request goes first instead.
                state.learning_since = None;
            }
            drop(state);
            self.governor.changed.notify_waiters();
        }
    }
}

/// Why a request is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HoldReason {
    /// Nothing is known yet; the first request is on its way.
    Learning,
    /// Budget is left, but the requests in flight may take it.
    InFlight,
    /// The window's budget is spent.
    Spent,
}

impl HoldReason {
    fn as_str(self) -> &'static str {
        match self {
            Self::Learning => "waiting for the first answer to learn the budget",
            Self::InFlight => "the rest of the window's budget is taken by requests in flight",
            Self::Spent => "the window's budget is spent",
        }
    }
}

#[derive(Debug)]
struct Hold {
    reason: HoldReason,
    /// When to look again (local seconds).
    until: f64,
    /// When the next window surely opens (local seconds); `None` for a
    /// hold that does not wait for a window.
    reopens: Option<f64>,
    /// The server's time (Unix seconds) when the next window opens.
    reopens_at: Option<u64>,
    /// Only the next window can end this hold: nothing in flight will free
    /// budget.
    definite: bool,
}

enum Decision {
    Go(Charge),
    Hold(Hold),
}

/// A call the governor would have to hold past its deadline.
#[derive(Debug, Clone)]
pub(crate) struct Refusal {
    pub(crate) reopens_in: Duration,
    /// The server's time (Unix seconds) when the window reopens.
    pub(crate) reopens_at: Option<u64>,
    pub(crate) window: Duration,
    pub(crate) rate_limit: RateLimit,
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
    pub(crate) fn new(window: Duration, pacing: bool) -> Self {
        Self {
            pacing,
            window,
            window_secs: window.as_secs().max(1),
            epoch: Instant::now(),
            state: Mutex::new(State {
                clock: None,
                permitted: None,
                window: Window::default(),
                share: 1.0,
                share_seen: false,
                heard: false,
                learning_since: None,
                probe: None,
            }),
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
    /// `deadline`.
    pub(crate) async fn acquire(
        &self,
        deadline: Instant,
        operation: &'static str,
    ) -> Result<Permit<'_>, Refusal> {
        if !self.pacing {
            return Ok(self.permit(Charge::default()));
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
                Decision::Go(charge) => return Ok(self.permit(charge)),
                Decision::Hold(hold) => hold,
            };
            let deadline_local = self.local(deadline);
            if hold.definite && hold.reopens.is_some_and(|reopens| reopens > deadline_local) {
                return Err(self.refusal(&hold, local));
            }
            if local >= deadline_local {
                // Nothing says the budget is spent: send rather than fail
                // the call on a guess.
                return Ok(self.permit(Charge::default()));
            }
            let until = hold.until.min(deadline_local);
            if logged != Some(hold.reason) {
                logged = Some(hold.reason);
                let view = self.view().unwrap_or_default();
                tracing::info!(
                    operation,
                    reason = hold.reason.as_str(),
                    hold_ms = millis(until - local),
                    window_opens_in_ms = hold.reopens.map(|at| millis(at - local)),
                    permitted = view.permitted,
                    remaining = view.remaining,
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
        let charge = permit.charge;
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
        state.release(charge);
        state.heard = true;
        if charge.learning {
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
                    if charge.window != Some(index) {
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

    /// The governor's view of the current window: `Permitted`, and what is
    /// left of it as far as it knows. `None` before any rate-limit header.
    pub(crate) fn view(&self) -> Option<RateLimit> {
        let local = self.local(Instant::now());
        let state = self.lock();
        let current = state
            .clock
            .map(|clock| self.index_at(local + clock.lo))
            .unwrap_or(0);
        let remaining = if current > state.window.index {
            state.permitted
        } else {
            state.window.remaining.or_else(|| {
                state
                    .permitted
                    .map(|permitted| permitted.saturating_sub(state.window.sent))
            })
        };
        let view = RateLimit {
            permitted: state.permitted,
            remaining,
        };
        (view != RateLimit::default()).then_some(view)
    }

    fn permit(&self, charge: Charge) -> Permit<'_> {
        Permit {
            governor: self,
            charge,
            armed: true,
        }
    }

    fn refusal(&self, hold: &Hold, local: f64) -> Refusal {
        Refusal {
            reopens_in: seconds(hold.reopens.unwrap_or(hold.until) - local),
            reopens_at: hold.reopens_at,
            window: self.window,
            rate_limit: self.view().unwrap_or_default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // No code holding the lock can panic half-way through an update
        // that matters; a poisoned lock is still a consistent state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
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
        let Some(date) = value.to_str().ok().and_then(clock::parse_http_date) else {
            self.untrusted(Untrusted::Date, headers, &DATE);
            return None;
        };
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

impl State {
    /// Whether the next request may go now (local time `local`), and if
    /// not, until when to hold it. `probe` is whether this request holds the
    /// window boundary's probe.
    fn decide(
        &mut self,
        governor: &Governor,
        local: f64,
        jitter: f64,
        probe: &mut bool,
    ) -> Decision {
        if !self.heard {
            return match self.learning_since {
                Some(since) if local < since + LEARNING_WAIT.as_secs_f64() => {
                    Decision::Hold(Hold {
                        reason: HoldReason::Learning,
                        until: since + LEARNING_WAIT.as_secs_f64(),
                        reopens: None,
                        reopens_at: None,
                        definite: false,
                    })
                }
                // The first answer is late: stop waiting for it.
                Some(_) => Decision::Go(Charge::default()),
                None => {
                    self.learning_since = Some(local);
                    Decision::Go(Charge {
                        window: None,
                        learning: true,
                    })
                }
            };
        }
        let Some(clock) = self.clock else {
            // No usable `Date`: nothing to align windows to.
            return Decision::Go(Charge::default());
        };
        let window = governor.window_secs as f64;
        self.roll(governor.index_at(local + clock.lo));
        let index = self.window.index;

        if *probe
            && let Some(planned) = self.probe
            && planned.window == index + 1
            && local >= planned.at
        {
            return Decision::Go(Charge::default());
        }

        // This client's part of a budget, when it shares the token. Rounded
        // down while answers are on their way (each brings a fresher
        // `Remaining` and another look) and at the start of a window (the
        // parts of all clients then add up to no more than the budget), up
        // when nothing is in flight: the last unit of a window is taken
        // rather than left to waste.
        let share = self.share;
        let in_flight = self.window.in_flight;
        let part = |budget: u32, round_up: bool| {
            let part = f64::from(budget) * share;
            if share >= 1.0 {
                budget
            } else if round_up {
                part.ceil() as u32
            } else {
                (part.floor() as u32).max(1)
            }
        };
        let limit = match (self.window.remaining, self.permitted) {
            (Some(remaining), _) => Some((part(remaining, in_flight == 0), in_flight)),
            (None, Some(permitted)) => Some((part(permitted, false), self.window.sent)),
            (None, None) => None,
        };
        if limit.is_none_or(|(limit, used)| used < limit) {
            self.window.in_flight += 1;
            self.window.sent += 1;
            return Decision::Go(Charge {
                window: Some(index),
                learning: false,
            });
        }

        let definite = self.window.in_flight == 0 || self.window.remaining == Some(0);
        let boundary = (index + 1) as f64 * window;
        // The server's clock reads at least `local + clock.lo`: from this
        // local time on, the next window has surely opened.
        let reopens = boundary - clock.lo;
        // Never more than one window, whatever the clock estimate says.
        let until = (reopens + jitter).min(local + window);
        if definite && !*probe && clock.width() > window * PRECISE_ENOUGH {
            // Halfway through the interval the boundary lies in.
            let at = boundary - (clock.lo + clock.hi) / 2.0;
            if at > local && self.probe.is_none_or(|planned| planned.window != index + 1) {
                self.probe = Some(Probe {
                    window: index + 1,
                    at,
                });
                *probe = true;
            }
        }
        let until = match self.probe {
            Some(planned) if *probe && planned.window == index + 1 => planned.at.min(until),
            _ => until,
        };
        Decision::Hold(Hold {
            reason: if definite {
                HoldReason::Spent
            } else {
                HoldReason::InFlight
            },
            until,
            reopens: Some(reopens),
            reopens_at: Some((index + 1) * governor.window_secs),
            definite,
        })
    }

    /// Moves the accounting on to window `index`, if it is a later one.
    fn roll(&mut self, index: u64) {
        if index <= self.window.index {
            return;
        }
        let last = self.window;
        // A window seen to the end of its budget: the server counted all of
        // `Permitted` in it, this client's answers among them. (One that
        // ended with budget left says nothing about the others: the last
        // `Remaining` seen may be long out of date.)
        if let (Some(permitted), Some(0)) = (self.permitted, last.remaining)
            && last.counted > 0
        {
            let seen = f64::from(last.counted) / f64::from(permitted);
            self.share = match self.share_seen {
                // Averaged with the last estimate: one window's split is
                // noisy, and a client that took less than its part (a 429
                // ends its window early) would otherwise claim less again.
                true => (self.share + seen) / 2.0,
                false => seen,
            }
            .clamp(MIN_SHARE, 1.0);
            self.share_seen = true;
        }
        self.window = Window {
            index,
            ..Window::default()
        };
    }

    /// A request answered or abandoned: no longer in flight.
    fn release(&mut self, charge: Charge) {
        if charge.window == Some(self.window.index) {
            self.window.in_flight = self.window.in_flight.saturating_sub(1);
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

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    /// A governor on a simulated timeline: the server's clock reads
    /// `base + local` exactly, `local` in seconds since the governor began.
    struct Sim {
        governor: Governor,
        base: f64,
    }

    enum Step<'a> {
        Go(Permit<'a>),
        Hold(Hold),
    }

    impl Sim {
        /// `window` seconds; the server's clock `offset` seconds after a
        /// window boundary when the governor begins.
        fn new(window: u64, offset: f64) -> Self {
            let now = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_secs();
            Self {
                governor: Governor::new(Duration::from_secs(window), true),
                base: (now - now % window) as f64 + offset,
            }
        }

        fn at(&self, local: f64) -> Instant {
            self.governor.instant(local)
        }

        fn decide(&self, local: f64) -> Step<'_> {
            let mut probe = false;
            self.decide_as(local, &mut probe)
        }

        fn decide_as(&self, local: f64, probe: &mut bool) -> Step<'_> {
            match self
                .governor
                .lock()
                .decide(&self.governor, local, 0.0, probe)
            {
                Decision::Go(charge) => Step::Go(self.governor.permit(charge)),
                Decision::Hold(hold) => Step::Hold(hold),
            }
        }

        fn go(&self, local: f64) -> Permit<'_> {
            match self.decide(local) {
                Step::Go(permit) => permit,
                Step::Hold(hold) => panic!("held at {local}: {hold:?}"),
            }
        }

        fn hold(&self, local: f64) -> Hold {
            match self.decide(local) {
                Step::Go(_) => panic!("not held at {local}"),
                Step::Hold(hold) => hold,
            }
        }

        /// Answers `permit` with `status` and the given headers; `Date` is
        /// the server's clock at `received` unless `headers` has one.
        fn answer(
            &self,
            permit: Permit<'_>,
            status: u16,
            sent: f64,
            received: f64,
            headers: &[(&str, &str)],
        ) -> After429 {
            let mut map = HeaderMap::new();
            let date = http_date((self.base + received).floor() as u64);
            map.insert(DATE, HeaderValue::from_str(&date).unwrap());
            for (name, value) in headers {
                let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
                match value {
                    &"" => {
                        map.remove(&name);
                    }
                    value => {
                        map.insert(name, HeaderValue::from_str(value).unwrap());
                    }
                }
            }
            self.governor.observe(
                permit,
                StatusCode::from_u16(status).unwrap(),
                &map,
                self.at(sent),
                self.at(received),
            )
        }

        fn ok(&self, permit: Permit<'_>, at: f64, permitted: u32, remaining: u32) {
            let (p, r) = (permitted.to_string(), remaining.to_string());
            self.answer(
                permit,
                200,
                at,
                at + 0.001,
                &[("x-ratelimit-permitted", &p), ("x-ratelimit-remaining", &r)],
            );
        }

        /// Local time of the start of the window after the one at `local`.
        fn next_boundary(&self, local: f64) -> f64 {
            let window = self.governor.window_secs as f64;
            ((self.base + local) / window).floor() * window + window - self.base
        }
    }

    fn http_date(unix: u64) -> String {
        httpdate::fmt_http_date(std::time::UNIX_EPOCH + Duration::from_secs(unix))
    }

    #[test]
    fn the_first_request_goes_alone_until_it_is_answered() {
        let sim = Sim::new(10, 2.5);
        let first = sim.go(0.0);
        let hold = sim.hold(0.01);
        assert_eq!(hold.reason, HoldReason::Learning);
        assert!(!hold.definite);
        assert!((hold.until - LEARNING_WAIT.as_secs_f64()).abs() < 1e-9);
        // An answer that never comes holds nobody for longer than that.
        let late = sim.go(LEARNING_WAIT.as_secs_f64());
        drop(late);
        sim.ok(first, 0.0, 5, 4);
        let _second = sim.go(0.02);
    }

    #[test]
    fn the_budget_is_counted_with_requests_in_flight_and_held_at_zero() {
        // The server's clock is 2 s into a window, on the second: its
        // `Date` places it to within the round trip.
        let sim = Sim::new(10, 2.0);
        let first = sim.go(0.0);
        sim.ok(first, 0.0, 4, 3);
        // Three left: three go, the fourth waits for them.
        let flying: Vec<_> = (0..3).map(|i| sim.go(0.1 + f64::from(i) * 0.01)).collect();
        let hold = sim.hold(0.2);
        assert_eq!((hold.reason, hold.definite), (HoldReason::InFlight, false));
        for (i, permit) in flying.into_iter().enumerate() {
            sim.ok(permit, 0.3, 4, 2 - i as u32);
        }
        // Spent: only the next window lets it go (8 s later here).
        let hold = sim.hold(0.4);
        assert_eq!((hold.reason, hold.definite), (HoldReason::Spent, true));
        let boundary = sim.next_boundary(0.4);
        assert!((boundary - 8.0).abs() < 1e-9);
        let reopens = hold.reopens.unwrap();
        assert!(reopens >= boundary && reopens < boundary + 0.01, "{hold:?}");
        assert!(hold.until <= reopens + 1e-9, "{hold:?}");
        assert_eq!(hold.reopens_at, Some((sim.base + boundary).round() as u64));
        assert_eq!(sim.governor.view().unwrap().remaining, Some(0));
        // Past the boundary the whole budget is there again.
        let next = sim.go(reopens + 0.001);
        sim.ok(next, reopens + 0.001, 4, 3);
    }

    #[test]
    fn remaining_out_of_order_keeps_the_lowest() {
        let sim = Sim::new(10, 2.5);
        let first = sim.go(0.0);
        sim.ok(first, 0.0, 10, 9);
        let a = sim.go(0.1);
        let b = sim.go(0.1);
        // b was counted last (5) but answered first; a then reads 6.
        sim.ok(b, 0.1, 10, 5);
        sim.ok(a, 0.1, 10, 6);
        assert_eq!(sim.governor.view().unwrap().remaining, Some(5));
    }

    #[test]
    fn a_changed_permitted_is_followed() {
        let sim = Sim::new(10, 2.0);
        let first = sim.go(0.0);
        sim.ok(first, 0.0, 10, 9);
        let second = sim.go(0.1);
        sim.ok(second, 0.1, 2, 1);
        assert_eq!(
            sim.governor.view(),
            Some(RateLimit {
                permitted: Some(2),
                remaining: Some(1)
            })
        );
        // A fresh window assumes the new budget: two go, the third waits.
        let boundary = sim.next_boundary(0.1) + 0.01;
        let (x, y) = (sim.go(boundary + 0.1), sim.go(boundary + 0.1));
        assert_eq!(sim.hold(boundary + 0.1).reason, HoldReason::InFlight);
        sim.ok(x, boundary + 0.1, 5, 4);
        sim.ok(y, boundary + 0.1, 5, 3);
        // Raised to 5: the rest of it is used.
        let _z = sim.go(boundary + 0.2);
    }

    #[test]
    fn a_429_reading_zero_waits_for_the_window_and_others_back_off() {
        let sim = Sim::new(10, 2.5);
        let first = sim.go(0.0);
        sim.ok(first, 0.0, 10, 9);
        let limited = sim.go(0.1);
        let zero = [("x-ratelimit-remaining", "0")];
        assert_eq!(
            sim.answer(limited, 429, 0.1, 0.2, &zero),
            After429::WaitForWindow
        );
        assert_eq!(sim.hold(0.3).reason, HoldReason::Spent);

        // The first answer of all cannot tell the window it was counted in
        // from the one before, when the server's second is a window's first.
        let sim = Sim::new(1, 0.2);
        let first = sim.go(0.0);
        assert_eq!(sim.answer(first, 429, 0.0, 0.01, &zero), After429::Retry);
        let again = sim.go(0.02);
        assert_eq!(
            sim.answer(again, 429, 0.02, 0.03, &zero),
            After429::WaitForWindow
        );

        let sim = Sim::new(10, 2.5);
        let first = sim.go(0.0);
        let no_header = [("x-ratelimit-remaining", "")];
        assert_eq!(
            sim.answer(first, 429, 0.0, 0.1, &no_header),
            After429::BackOff
        );
        let other = sim.go(0.2);
        let budget_left = [("x-ratelimit-remaining", "3")];
        assert_eq!(
            sim.answer(other, 429, 0.2, 0.3, &budget_left),
            After429::BackOff
        );
        let _free = sim.go(0.4);

        let off = Governor::new(Duration::from_secs(10), false);
        let permit = off.permit(Charge::default());
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        let date = http_date(sim.base as u64);
        headers.insert(DATE, HeaderValue::from_str(&date).unwrap());
        let now = Instant::now();
        assert_eq!(
            off.observe(permit, StatusCode::TOO_MANY_REQUESTS, &headers, now, now),
            After429::BackOff
        );
    }

    #[test]
    fn windows_follow_the_servers_clock_not_the_local_one() {
        // The server's clock is 0.7 s into a 1 s window when the local
        // clock starts: local 0.3 is its boundary, whatever the local
        // second says.
        let sim = Sim::new(1, 0.7);
        let mut at = 0.0;
        // Answers at many phases narrow the clock to well under the window.
        let first = sim.go(at);
        sim.ok(first, at, 1000, 999);
        for step in 1..40 {
            at = f64::from(step) * 0.037;
            let permit = sim.go(at);
            sim.ok(permit, at, 1000, 999 - step as u32);
        }
        let clock = sim.governor.lock().clock.unwrap();
        assert!(clock.width() < 0.05, "{clock:?}");
        assert!(clock.lo <= sim.base && sim.base <= clock.hi, "{clock:?}");
        let limited = sim.go(1.5);
        sim.answer(limited, 429, 1.5, 1.501, &[("x-ratelimit-remaining", "0")]);
        let hold = sim.hold(1.51);
        // Window boundaries fall at local 0.3, 1.3, 2.3, ...
        let reopens = hold.reopens.unwrap();
        assert!((2.3..2.36).contains(&reopens), "{hold:?}");
    }

    #[test]
    fn an_imprecise_clock_sends_one_probe_per_boundary() {
        // The server's window ends at local 0.3, which two answers at local
        // 0 cannot tell from any other moment of the next second.
        let sim = Sim::new(1, 0.7);
        let first = sim.go(0.0);
        sim.ok(first, 0.0, 2, 1);
        let second = sim.go(0.01);
        sim.ok(second, 0.01, 2, 0);
        // One answer's worth of clock: the boundary lies somewhere in a
        // second. The first request held becomes the probe, halfway.
        let mut probe = false;
        let Step::Hold(hold) = sim.decide_as(0.05, &mut probe) else {
            panic!("not held")
        };
        assert!(probe);
        assert!(hold.until < hold.reopens.unwrap() - 0.3, "{hold:?}");
        let mut other = false;
        let Step::Hold(late) = sim.decide_as(0.05, &mut other) else {
            panic!("not held")
        };
        assert!(!other);
        assert!((late.until - late.reopens.unwrap()).abs() < 1e-9);
        // The probe goes at its time; nobody else does.
        let Step::Go(probe_permit) = sim.decide_as(hold.until, &mut probe) else {
            panic!("the probe was held")
        };
        assert!(matches!(sim.decide(hold.until), Step::Hold(_)));
        // It lands in the new window: everyone goes, and no second probe
        // is planned for this boundary.
        let landed = hold.until + 0.002;
        sim.ok(probe_permit, hold.until, 2, 1);
        let _next = sim.go(landed);
        let clock = sim.governor.lock().clock.unwrap();
        assert!(clock.width() < 0.6, "{clock:?}");
    }

    #[test]
    fn untrusted_headers_never_hold_longer_than_a_window() {
        let far_future = http_date(4_102_444_800); // 2100
        let far_past = http_date(946_684_800); // 2000
        let cases: &[&[(&str, &str)]] = &[
            &[
                ("x-ratelimit-permitted", "3"),
                ("x-ratelimit-remaining", "7"),
            ],
            &[("x-ratelimit-remaining", "-1")],
            &[("x-ratelimit-remaining", "lots")],
            &[("x-ratelimit-remaining", "99999999999999999999")],
            &[
                ("x-ratelimit-permitted", "-5"),
                ("x-ratelimit-remaining", "0"),
            ],
            &[
                ("x-ratelimit-permitted", "0"),
                ("x-ratelimit-remaining", "0"),
            ],
            &[("date", "yesterday"), ("x-ratelimit-remaining", "0")],
            &[("date", &far_future), ("x-ratelimit-remaining", "0")],
            &[("date", &far_past), ("x-ratelimit-remaining", "0")],
            &[("date", ""), ("x-ratelimit-remaining", "0")],
            &[
                ("x-ratelimit-permitted", "4294967295"),
                ("x-ratelimit-remaining", "0"),
            ],
        ];
        for case in cases {
            for status in [200, 429, 503] {
                let sim = Sim::new(2, 1.3);
                let mut at = 0.0;
                for _ in 0..20 {
                    match sim.decide(at) {
                        Step::Go(permit) => {
                            sim.answer(permit, status, at, at + 0.01, case);
                        }
                        Step::Hold(hold) => {
                            let waits = hold.until - at;
                            assert!(
                                (0.0..=2.0 + 1e-9).contains(&waits),
                                "{case:?} {status}: held {waits} s"
                            );
                            at = hold.until;
                            continue;
                        }
                    }
                    at += 0.05;
                }
            }
        }
        // Each kind logged once: the flags are set.
        let sim = Sim::new(2, 1.3);
        let first = sim.go(0.0);
        sim.answer(first, 200, 0.0, 0.1, &[("x-ratelimit-remaining", "x")]);
        assert_eq!(
            sim.governor.warned.load(Ordering::Relaxed),
            Untrusted::Remaining as u32
        );
    }

    #[test]
    fn another_client_on_the_token_shrinks_the_share_taken() {
        let sim = Sim::new(10, 1.0);
        let first = sim.go(0.0);
        sim.ok(first, 0.0, 20, 19);
        // This client's four answers, while the server counted twenty.
        for remaining in [15, 10, 5, 0] {
            let permit = sim.go(0.1);
            sim.ok(permit, 0.1, 20, remaining);
        }
        let boundary = sim.next_boundary(0.1);
        let at = boundary + 0.01;
        let taken: Vec<_> = std::iter::from_fn(|| match sim.decide(at) {
            Step::Go(permit) => Some(permit),
            Step::Hold(_) => None,
        })
        .take(100)
        .collect();
        // 5 of 20 answers were this client's: it takes a quarter.
        assert_eq!(taken.len(), 5);
    }
}
