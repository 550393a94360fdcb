//! The accounting of the current window, and the one decision the
//! governor makes before every attempt: may this request go now, or until
//! when is it held? Time here is the governor's: local monotonic seconds
//! (`f64`), and server seconds through the clock estimate (`clock.rs`).

use super::clock::Offset;
use super::{Governor, LEARNING_WAIT, MIN_SHARE, PRECISE_ENOUGH, Permit};
use crate::response::RateLimit;

/// How far towards a larger share seen in a spent window a client's share
/// moves in one window.
const RAISE: f64 = 0.25;

/// What the governor knows.
#[derive(Debug)]
pub(super) struct State {
    /// The server's clock; `None` until a response carries a usable `Date`.
    pub(super) clock: Option<Offset>,
    pub(super) permitted: Option<u32>,
    pub(super) window: Window,
    /// The part of a window's budget this client spent last time, when it
    /// shared the token with others (1 when alone).
    pub(super) share: f64,
    /// Whether `share` was measured yet.
    pub(super) share_seen: bool,
    /// Whether any answer has arrived.
    pub(super) heard: bool,
    /// When the first request of the client's life left, while it is
    /// unanswered (local seconds).
    pub(super) learning_since: Option<f64>,
    /// The one request allowed to go before the server's clock says for
    /// sure that the next window opened: it lands either in the old window
    /// (a 429, which bounds the clock from above) or in the new one (which
    /// opens it for everyone at once, and bounds the clock from below). One
    /// per window boundary, only while the clock is imprecise.
    pub(super) probe: Option<Probe>,
    /// The latest window boundary whose probe a client has planned: this
    /// one, or another of a pool sharing the file (`pool.rs`), which then
    /// probes for both.
    pub(super) probe_claim: u64,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Probe {
    /// The window it tries to be the first of.
    pub(super) window: u64,
    /// When it goes (local seconds).
    pub(super) at: f64,
}

/// The accounting of the current window.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Window {
    /// Whole windows since the Unix epoch, server time.
    pub(super) index: u64,
    /// The lowest `Remaining` of an answer that surely belongs to this
    /// window (0 after a 429).
    pub(super) remaining: Option<u32>,
    /// Requests charged to this window and not answered yet.
    pub(super) in_flight: u32,
    /// Requests charged to this window, plus answers that landed in it
    /// uncharged.
    pub(super) sent: u32,
    /// Answers to this client that the server counted in this window.
    pub(super) counted: u32,
}

/// Why a request is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HoldReason {
    /// Nothing is known yet; the first request is on its way.
    Learning,
    /// Budget is left, but the requests in flight may take it.
    InFlight,
    /// The window's budget is spent.
    Spent,
}

impl HoldReason {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Learning => "waiting for the first answer to learn the budget",
            Self::InFlight => "the rest of the window's budget is taken by requests in flight",
            Self::Spent => "the window's budget is spent",
        }
    }
}

/// Why a request is held, and until when.
#[derive(Debug)]
pub(super) struct Hold {
    pub(super) reason: HoldReason,
    /// When to look again (local seconds).
    pub(super) until: f64,
    /// When the next window surely opens (local seconds); `None` for a
    /// hold that does not wait for a window.
    pub(super) reopens: Option<f64>,
    /// The server's time (Unix seconds) when the next window opens.
    pub(super) reopens_at: Option<u64>,
    /// Only the next window can end this hold: nothing in flight will free
    /// budget.
    pub(super) definite: bool,
}

impl State {
    pub(super) fn new() -> Self {
        Self {
            clock: None,
            permitted: None,
            window: Window::default(),
            share: 1.0,
            share_seen: false,
            heard: false,
            learning_since: None,
            probe: None,
            probe_claim: 0,
        }
    }

    /// What is left of the current window as far as the governor knows, at
    /// local time `local`: `Permitted` and the lowest `Remaining` answered
    /// in it, less what was sent since when nothing newer is known; all of
    /// it once the window has rolled over.
    pub(super) fn estimate(&self, governor: &Governor, local: f64) -> RateLimit {
        let current = self
            .clock
            .map(|clock| governor.index_at(local + clock.lo))
            .unwrap_or(0);
        let remaining = if current > self.window.index {
            self.permitted
        } else {
            self.window.remaining.or_else(|| {
                self.permitted
                    .map(|permitted| permitted.saturating_sub(self.window.sent))
            })
        };
        RateLimit {
            permitted: self.permitted,
            remaining,
        }
    }

    /// Whether the next request may go now (local time `local`), and if
    /// not, until when to hold it. `probe` is whether this request holds the
    /// window boundary's probe.
    pub(super) fn decide<'g>(
        &mut self,
        governor: &'g Governor,
        local: f64,
        jitter: f64,
        probe: &mut bool,
    ) -> Result<Permit<'g>, Hold> {
        if !self.heard {
            return match self.learning_since {
                Some(since) if local < since + LEARNING_WAIT.as_secs_f64() => Err(Hold {
                    reason: HoldReason::Learning,
                    until: since + LEARNING_WAIT.as_secs_f64(),
                    reopens: None,
                    reopens_at: None,
                    definite: false,
                }),
                // The first answer is late: stop waiting for it.
                Some(_) => Ok(governor.permit(None, false)),
                None => {
                    self.learning_since = Some(local);
                    Ok(governor.permit(None, true))
                }
            };
        }
        let Some(clock) = self.clock else {
            // No usable `Date`: nothing to align windows to.
            return Ok(governor.permit(None, false));
        };
        let window = governor.window_secs as f64;
        self.roll(governor.index_at(local + clock.lo));
        let index = self.window.index;

        if *probe
            && let Some(planned) = self.probe
            && planned.window == index + 1
            && local >= planned.at
        {
            return Ok(governor.permit(None, false));
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
            return Ok(governor.permit(Some(index), false));
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
            if at > local && self.probe_claim != index + 1 {
                self.probe = Some(Probe {
                    window: index + 1,
                    at,
                });
                self.probe_claim = index + 1;
                *probe = true;
            }
        }
        let until = match self.probe {
            Some(planned) if *probe && planned.window == index + 1 => planned.at.min(until),
            _ => until,
        };
        Err(Hold {
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
    pub(super) fn roll(&mut self, index: u64) {
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
            // Lowered at once, raised a quarter of the way: the clients of
            // a token each learn from the windows they see spent, and a
            // window one of them took most of while the others were idle
            // (waiting on tasks, say) would otherwise raise its share
            // beyond what the others leave it, and the shares would add up
            // to more than the budget. Lowered from the same window, they
            // add up to at most the budget; raised slowly, the excess of a
            // window seen by one alone stays small.
            self.share = match self.share_seen {
                true if seen < self.share => seen,
                true => self.share + (seen - self.share) * RAISE,
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

    /// A request counted against `window` answered or abandoned: no
    /// longer in flight.
    pub(super) fn release(&mut self, window: Option<u64>) {
        if window == Some(self.window.index) {
            self.window.in_flight = self.window.in_flight.saturating_sub(1);
        }
    }
}
