//! Katapult's rate limit, enforced: a budget of requests per fixed window,
//! windows aligned to whole multiples of their length since the Unix epoch
//! in the server's own clock (which can be skewed from the local one),
//! `Date`, `X-Ratelimit-Permitted` and `X-Ratelimit-Remaining` on every
//! answer, 429 `rate_limit_reached` once the budget is spent.
//!
//! A script asks [`FixedWindows::answer`] for the whole reply, or
//! [`FixedWindows::count`] and then [`reply`] to bend it (hold it back,
//! drop a header). Used by the governor and bulk tests and by the
//! measurement in `benches/governor.rs`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{Reply, Request, disk_id, http_date, overridden, response};

/// What the server decided for one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The window the request was counted in (whole windows since the
    /// epoch, server time).
    pub window: u64,
    /// The server's time when it counted the request (Unix seconds).
    pub at: f64,
    pub status: u16,
    pub permitted: u32,
    pub remaining: u32,
    /// `disk.id` of the request body.
    pub disk: String,
}

/// The server's rate-limit state.
#[derive(Debug)]
pub struct FixedWindows {
    window_secs: u64,
    /// Seconds added to the local clock to get the server's.
    skew: f64,
    state: Mutex<Count>,
    answers: Mutex<Vec<Answer>>,
}

#[derive(Debug)]
struct Count {
    budget: u32,
    window: u64,
    used: u32,
    /// The window of the first request arrives already spent, as if
    /// another client of the token had been there first.
    first_spent: bool,
}

impl FixedWindows {
    /// Windows of `window_secs`, `budget` requests each, the server's clock
    /// `skew` seconds ahead of the local one.
    pub fn new(window_secs: u64, budget: u32, skew: f64) -> Self {
        Self {
            window_secs,
            skew,
            state: Mutex::new(Count {
                budget,
                window: 0,
                used: 0,
                first_spent: false,
            }),
            answers: Mutex::new(Vec::new()),
        }
    }

    /// The server's clock, Unix seconds.
    pub fn now(&self) -> f64 {
        let local = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("the clock is after 1970")
            .as_secs_f64();
        local + self.skew
    }

    /// Changes the budget from now on (what `Permitted` says).
    pub fn set_budget(&self, budget: u32) {
        self.state.lock().unwrap().budget = budget;
    }

    /// The first request finds its window's budget spent, as if another
    /// client of the same token had been there first.
    pub fn starting_spent(self) -> Self {
        self.state.lock().unwrap().first_spent = true;
        self
    }

    /// Counts one request and decides its answer.
    pub fn count(&self, request: &Request) -> Answer {
        let at = self.now();
        let window = (at / self.window_secs as f64).floor() as u64;
        let disk = disk_id(request);
        let mut count = self.state.lock().unwrap();
        if window > count.window {
            count.window = window;
            count.used = if std::mem::take(&mut count.first_spent) {
                count.budget
            } else {
                0
            };
        }
        let accepted = count.used < count.budget;
        if accepted {
            count.used += 1;
        }
        let answer = Answer {
            window,
            at,
            status: if accepted { 200 } else { 429 },
            permitted: count.budget,
            // Not `budget - used`: a budget lowered mid-window may be
            // below what the window has already used.
            remaining: if accepted {
                count.budget - count.used
            } else {
                0
            },
            disk,
        };
        drop(count);
        self.answers.lock().unwrap().push(answer.clone());
        answer
    }

    /// Counts the request and answers it as Katapult would.
    pub fn answer(&self, request: &Request) -> Reply {
        let answer = self.count(request);
        Reply::KeepAlive(reply(&answer, &[]))
    }

    /// Every answer so far, in the order counted.
    pub fn answers(&self) -> Vec<Answer> {
        self.answers.lock().unwrap().clone()
    }

    /// How many answers were 429s.
    pub fn refused(&self) -> usize {
        self.answers().iter().filter(|a| a.status == 429).count()
    }

    /// The most 200s any one window got.
    pub fn most_accepted_in_a_window(&self) -> u32 {
        let mut per_window = BTreeMap::<u64, u32>::new();
        for answer in self.answers().iter().filter(|a| a.status == 200) {
            *per_window.entry(answer.window).or_default() += 1;
        }
        per_window.values().copied().max().unwrap_or(0)
    }
}

/// The bytes of `answer`: on a 200 the fixtures' disk, on a 429 Katapult's
/// `rate_limit_reached`; `overrides` replace (or, with an empty value,
/// remove) the rate-limit headers and `Date`.
pub fn reply(answer: &Answer, overrides: &[(&str, &str)]) -> Vec<u8> {
    let date = http_date(answer.at.floor() as u64);
    let permitted = answer.permitted.to_string();
    let remaining = answer.remaining.to_string();
    let request_id = format!("req-{}-{}", answer.disk, answer.at);
    let headers = overridden(
        &[
            ("content-type", "application/json; charset=utf-8"),
            ("x-request-id", &request_id),
            ("date", &date),
            ("x-ratelimit-permitted", &permitted),
            ("x-ratelimit-remaining", &remaining),
        ],
        overrides,
    );
    let body = if answer.status == 200 {
        serde_json::to_string(&katapult_core_httpmock::fixtures::update_disk_response(
            &answer.disk,
        ))
        .unwrap()
    } else {
        format!(
            r#"{{"error":{{"code":"rate_limit_reached","description":"You have reached the rate limit for this type of request","detail":{{"total_permitted":{}}}}}}}"#,
            answer.permitted
        )
    };
    response(answer.status, &headers, body)
}
