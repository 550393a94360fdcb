//! The server's clock as the governor knows it: an interval that surely
//! holds the offset between the local monotonic clock and the server's
//! `Date`, narrowed by every response. (The `Date` itself is read by the
//! `httpdate` crate.)
//!
//! Why an interval: `Date` has one-second resolution, and a request takes
//! time. A `Date` of second `S` on a response to a request sent at local time
//! `t0` and answered at `t1` means the server's clock read somewhere in
//! `[S, S + 1)` at some moment in `[t0, t1]`, so the offset
//! (`server - local`) lies in `[S - t1, S + 1 - t0]`. One response places
//! the server's clock within a second or so; each further one bounds it from
//! both sides, and the intersection shrinks. Windows of a second or two need
//! that precision; a minute-long window barely does.

/// Seconds of server time (Unix) minus seconds of local monotonic time, as
/// an interval known to contain the true value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Offset {
    pub(crate) lo: f64,
    pub(crate) hi: f64,
}

/// What one response did to the estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Narrowed {
    /// The first estimate, or a narrower (or equal) one.
    Consistent,
    /// The response contradicts everything seen before: the server's clock
    /// was stepped, or the local one drifted out of the interval. The
    /// estimate starts again from this response.
    Restarted,
}

impl Offset {
    /// What one response says: `date` (Unix seconds) read between local
    /// times `sent` and `received` (seconds, `sent <= received`).
    pub(crate) fn from_response(date: u64, sent: f64, received: f64) -> Self {
        let date = date as f64;
        Self {
            lo: date - received,
            hi: date + 1.0 - sent,
        }
    }

    /// Narrows the estimate with one more response.
    pub(crate) fn narrow(&mut self, response: Offset) -> Narrowed {
        let lo = self.lo.max(response.lo);
        let hi = self.hi.min(response.hi);
        if lo <= hi {
            *self = Self { lo, hi };
            Narrowed::Consistent
        } else {
            *self = response;
            Narrowed::Restarted
        }
    }

    /// How wide the estimate is, in seconds.
    pub(crate) fn width(&self) -> f64 {
        self.hi - self.lo
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_narrow_the_offset_from_both_sides() {
        // True offset 1000.3: the server reads local + 1000.3.
        let mut offset = Offset::from_response(1000, 0.0, 0.01); // server read 1000.3
        assert!((offset.lo - 999.99).abs() < 1e-9 && (offset.hi - 1001.0).abs() < 1e-9);
        // Sent at 0.6 (server 1000.9), answered at 0.75 (server 1001.05): Date 1000.
        offset.narrow(Offset::from_response(1000, 0.6, 0.75));
        assert!((offset.hi - 1000.4).abs() < 1e-9, "{offset:?}");
        // Sent at 0.72 (server 1001.02): Date 1001.
        offset.narrow(Offset::from_response(1001, 0.72, 0.73));
        assert!((offset.lo - 1000.27).abs() < 1e-9, "{offset:?}");
        assert!(offset.width() < 0.14);
        // A stepped clock: the estimate starts again.
        assert_eq!(
            offset.narrow(Offset::from_response(5000, 1.0, 1.1)),
            Narrowed::Restarted
        );
        assert!((offset.lo - 4998.9).abs() < 1e-9);
    }
}
