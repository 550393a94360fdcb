//! The governor on a simulated timeline: every decision and every answer
//! at chosen local times, against a server clock set by the test.

use super::budget::HoldReason;
use super::*;
use reqwest::header::{HeaderName, HeaderValue};

mod pool;

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
            governor: Governor::new(Duration::from_secs(window), true, None),
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
        let decision = self
            .governor
            .lock()
            .decide(&self.governor, local, 0.0, probe);
        match decision {
            Ok(permit) => Step::Go(permit),
            Err(hold) => Step::Hold(hold),
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
    assert_eq!(sim.governor.estimate().unwrap().remaining, Some(0));
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
    assert_eq!(sim.governor.estimate().unwrap().remaining, Some(5));
}

#[test]
fn a_changed_permitted_is_followed() {
    let sim = Sim::new(10, 2.0);
    let first = sim.go(0.0);
    sim.ok(first, 0.0, 10, 9);
    let second = sim.go(0.1);
    sim.ok(second, 0.1, 2, 1);
    assert_eq!(
        sim.governor.estimate(),
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

    let off = Governor::new(Duration::from_secs(10), false, None);
    let permit = off.permit(None, false);
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

#[test]
fn a_share_drops_at_once_and_grows_a_quarter_of_the_way() {
    let sim = Sim::new(10, 1.0);
    let first = sim.go(0.0);
    sim.ok(first, 0.0, 20, 19);
    // Window one: 5 of 20 answers this client's, the share 0.25.
    for remaining in [15, 10, 5, 0] {
        let permit = sim.go(0.1);
        sim.ok(permit, 0.1, 20, remaining);
    }
    // Window two: this client takes all 20 (the others were idle).
    let two = sim.next_boundary(0.1) + 0.01;
    for remaining in (0..20).rev() {
        let permit = sim.go(two);
        sim.ok(permit, two, 20, remaining);
    }
    // Its share moves a quarter of the way from 0.25 to 1: 0.4375, so
    // 8 of the next window's 20 go before an answer says more.
    let three = sim.next_boundary(two) + 0.01;
    let taken = |at: f64| -> usize {
        std::iter::from_fn(|| match sim.decide(at) {
            Step::Go(permit) => Some(permit),
            Step::Hold(_) => None,
        })
        .take(100)
        .count()
    };
    assert_eq!(taken(three), 8);
}
