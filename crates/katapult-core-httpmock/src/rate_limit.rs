//! Katapult's rate limit, as the mock can enforce it
//! (`KatapultMockBuilder::rate_limit`): a budget of requests per fixed
//! window, windows aligned to whole multiples of their length since the Unix
//! epoch (Katapult's are wall-clock minutes), every request counted, the
//! refused ones too, as Katapult's limit is per token.
//!
//! Also the mock's journal of answers ([`Answered`]), kept with or without a
//! limit, so that a test or benchmark can count requests by route and
//! refusals per window.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One request the mock answered, in the order answered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Answered {
    /// `GET`, `PATCH`, ...
    pub method: String,
    /// The path, without the query (`/disks/disk/resize`).
    pub path: String,
    /// The status sent (429 when the rate limit refused it).
    pub status: u16,
    /// When the mock answered it, by its clock (the real one).
    pub at: SystemTime,
}

impl Answered {
    /// The fixed window of `window` length it was answered in: whole
    /// windows since the Unix epoch, as the mock's rate limit counts them.
    pub fn window(&self, window: Duration) -> u64 {
        window_index(self.at, window)
    }
}

/// What the limit decided for one request.
pub(crate) struct Counted {
    pub(crate) accepted: bool,
    pub(crate) permitted: u32,
    pub(crate) remaining: u32,
    /// `Date`, the time the request was counted at.
    pub(crate) date: String,
}

/// The budget and what the current window has used of it.
pub(crate) struct FixedWindow {
    budget: u32,
    window: Duration,
    /// (window index, requests counted in it).
    used: Mutex<(u64, u32)>,
}

impl FixedWindow {
    pub(crate) fn new(budget: u32, window: Duration) -> Self {
        Self {
            budget,
            window,
            used: Mutex::new((0, 0)),
        }
    }

    /// Counts one request now.
    pub(crate) fn count(&self) -> Counted {
        let now = SystemTime::now();
        let index = window_index(now, self.window);
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        if index != used.0 {
            *used = (index, 0);
        }
        let accepted = used.1 < self.budget;
        if accepted {
            used.1 += 1;
        }
        Counted {
            accepted,
            permitted: self.budget,
            remaining: self.budget - used.1,
            date: httpdate::fmt_http_date(now),
        }
    }
}

fn window_index(at: SystemTime, window: Duration) -> u64 {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    (since.as_nanos() / window.as_nanos().max(1)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_takes_its_budget_and_refuses_the_rest() {
        // A window long enough that the test does not straddle two.
        let limit = FixedWindow::new(2, Duration::from_secs(86_400));
        let seen: Vec<(bool, u32)> = (0..3)
            .map(|_| limit.count())
            .map(|c| (c.accepted, c.remaining))
            .collect();
        assert_eq!(seen, [(true, 1), (true, 0), (false, 0)]);
        assert!(limit.count().date.ends_with(" GMT"));
    }

    #[test]
    fn windows_are_aligned_to_the_epoch() {
        let at = UNIX_EPOCH + Duration::from_millis(4_500);
        let answered = Answered {
            method: "GET".into(),
            path: "/disks/disk".into(),
            status: 200,
            at,
        };
        assert_eq!(answered.window(Duration::from_secs(2)), 2);
        assert_eq!(answered.window(Duration::from_millis(500)), 9);
    }
}
