//! The rate-limit governor against a loopback server that enforces fixed
//! windows (`katapult_test_server::windows`): one-second windows and budgets of a
//! few requests, so each test spans a handful of windows.
//!
//! What the server counts is the judge: how many requests each window
//! accepted and refused. A boundary probe (one request sent while the
//! server's clock is still imprecise, to learn it) may be refused once per
//! window boundary; anything more is a failure of the governor.

use std::sync::Arc;
use std::time::Duration;

use katapult_core::{BulkOptions, Client, Error, RetryPolicy};
use katapult_test_server::windows::{FixedWindows, reply};
use katapult_test_server::{Reply, Server};

use crate::support::{TOKEN, bounded, fast_retries, rename};

const LIMIT: Duration = Duration::from_secs(20);

/// A server enforcing `windows`.
async fn serve(windows: &Arc<FixedWindows>) -> Server {
    let windows = windows.clone();
    Server::start(move |request, _| windows.answer(request)).await
}

/// A client of `server` with one-second windows and fast retries.
fn client(server: &Server) -> Client {
    client_with(server, |builder| builder)
}

fn client_with(
    server: &Server,
    configure: impl FnOnce(katapult_core::ClientBuilder) -> katapult_core::ClientBuilder,
) -> Client {
    configure(
        Client::builder()
            .token(TOKEN)
            .base_url(server.base_url())
            .retry(fast_retries())
            .rate_limit_window(Duration::from_secs(1))
            .timeout(Duration::from_secs(5)),
    )
    .build()
    .unwrap()
}

/// Updates `n` disks through `client`, `in_flight` at a time; panics on
/// any failure.
async fn update_all(client: &Client, n: usize, in_flight: usize) {
    let bodies = (0..n).map(|i| rename(&format!("disk-{i}"), "x"));
    let mut updates = client.update_disks(bodies, BulkOptions::new().concurrency(in_flight));
    while let Some(done) = updates.next().await {
        if let Err(error) = done.result {
            panic!("update {} failed: {error}", done.index);
        }
    }
}

/// Window boundaries crossed between the first and the last answer.
fn boundaries(windows: &FixedWindows) -> usize {
    let answers = windows.answers();
    let first = answers.iter().map(|a| a.window).min().unwrap_or(0);
    let last = answers.iter().map(|a| a.window).max().unwrap_or(0);
    (last - first) as usize
}

#[tokio::test(flavor = "current_thread")]
async fn the_budget_is_held_at_zero_until_the_next_window() {
    let (captured, _guard) = crate::support::capture_traces();
    let windows = Arc::new(FixedWindows::new(1, 4, 0.0));
    let server = serve(&windows).await;
    bounded(LIMIT, update_all(&client(&server), 10, 4)).await;

    // 10 updates at 4 per window: three windows, none over budget, at most
    // one probe refused per boundary.
    assert!(windows.most_accepted_in_a_window() <= 4);
    let crossed = boundaries(&windows);
    assert!((2..=3).contains(&crossed), "{:?}", windows.answers());
    assert!(windows.refused() <= crossed, "{:?}", windows.answers());
    let text = captured.text();
    assert!(
        text.contains("katapult request held by the rate-limit governor")
            && text.contains("the window's budget is spent"),
        "{text}"
    );
}

#[tokio::test]
async fn fifty_concurrent_callers_do_not_all_spend_the_last_unit() {
    bounded(LIMIT, async {
        let windows = Arc::new(FixedWindows::new(1, 10, 0.0));
        let server = serve(&windows).await;
        let client = client(&server);
        let calls: Vec<_> = (0..30)
            .map(|i| {
                let client = client.clone();
                tokio::spawn(async move { client.update_disk(rename(&format!("d{i}"), "x")).await })
            })
            .collect();
        for call in calls {
            call.await.unwrap().unwrap();
        }
        let crossed = boundaries(&windows);
        assert!(windows.refused() <= crossed, "{:?}", windows.answers());
    })
    .await;
}

#[tokio::test]
async fn a_429_before_any_budget_is_known_waits_for_the_next_window() {
    bounded(LIMIT, async {
        // Another client has spent the window already. If the 429 backed
        // off (30 s here) instead of waiting for the window, the test would
        // run out of time.
        let windows = Arc::new(FixedWindows::new(1, 5, 0.0).starting_spent());
        let server = serve(&windows).await;
        let client = client_with(&server, |builder| {
            builder.retry(
                fast_retries()
                    .with_rate_limit_backoff(Duration::from_secs(30), Duration::from_secs(30)),
            )
        });
        let response = client.update_disk(rename("disk_1", "x")).await.unwrap();

        let answers = windows.answers();
        let accepted = answers.last().unwrap();
        assert_eq!(accepted.status, 200);
        assert!(answers[..answers.len() - 1].iter().all(|a| a.status == 429));
        assert!(accepted.window > answers[0].window, "{answers:?}");
        // The first 429 cannot be placed in a window yet (one `Date`); the
        // second can, and the next request waits for the next window. That
        // one may be the boundary's probe and be refused once more.
        assert!(response.meta().attempts() <= 4, "{answers:?}");
        assert_eq!(response.meta().attempts() as usize, answers.len());
    })
    .await;
}

#[tokio::test]
async fn a_skewed_server_clock_sets_the_windows() {
    bounded(LIMIT, async {
        // Windows aligned to the server's clock, 30.4 s ahead or 29.6 s
        // behind: its boundaries fall 0.4 s from the local second's.
        for skew in [30.4, -29.6] {
            let windows = Arc::new(FixedWindows::new(1, 3, skew));
            let server = serve(&windows).await;
            update_all(&client(&server), 7, 3).await;
            let crossed = boundaries(&windows);
            assert!(
                windows.refused() <= crossed,
                "skew {skew}: {:?}",
                windows.answers()
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn remaining_out_of_order_under_concurrency_keeps_the_lowest() {
    bounded(LIMIT, async {
        // Every other answer is held back 40 ms after the server counted
        // it, so answers arrive in another order than they were counted: an
        // earlier count (a higher `Remaining`) after a later one. The
        // handler blocks its worker thread; the runtime has others.
        let windows = Arc::new(FixedWindows::new(1, 6, 0.0));
        let server = {
            let windows = windows.clone();
            Server::start(move |request, n| {
                let answer = windows.count(request);
                if n % 2 == 1 {
                    std::thread::sleep(Duration::from_millis(40));
                }
                Reply::KeepAlive(reply(&answer, &[]))
            })
            .await
        };
        update_all(&client(&server), 14, 6).await;
        let crossed = boundaries(&windows);
        assert!(windows.refused() <= crossed, "{:?}", windows.answers());
    })
    .await;
}

#[tokio::test]
async fn a_changed_permitted_is_followed_mid_run() {
    bounded(LIMIT, async {
        let windows = Arc::new(FixedWindows::new(1, 6, 0.0));
        let server = {
            let windows = windows.clone();
            Server::start(move |request, n| {
                // From the fourth request on, the token allows 2 per window.
                if n == 4 {
                    windows.set_budget(2);
                }
                windows.answer(request)
            })
            .await
        };
        update_all(&client(&server), 10, 4).await;
        let answers = windows.answers();
        // The window the client learnt of the change in may refuse what was
        // already in flight; every later one at most a boundary probe.
        let changed = answers[3].window;
        for window in changed + 1..=answers.last().unwrap().window {
            let refused = answers
                .iter()
                .filter(|a| a.window == window && a.status == 429)
                .count();
            assert!(refused <= 1, "window {window}: {answers:?}");
        }
        assert!(answers.last().unwrap().window >= changed + 2, "{answers:?}");
    })
    .await;
}

#[tokio::test]
async fn without_rate_limit_headers_429s_back_off_and_nothing_hangs() {
    bounded(LIMIT, async {
        // No `Date`, no `X-Ratelimit-*`: the governor knows nothing, holds
        // nobody (beyond the first answer) and 429s back off as before.
        let windows = Arc::new(FixedWindows::new(1, 3, 0.0));
        let server = {
            let windows = windows.clone();
            Server::start(move |request, _| {
                let answer = windows.count(request);
                Reply::KeepAlive(reply(
                    &answer,
                    &[
                        ("date", ""),
                        ("x-ratelimit-permitted", ""),
                        ("x-ratelimit-remaining", ""),
                    ],
                ))
            })
            .await
        };
        let client = client_with(&server, |builder| {
            builder.retry(
                RetryPolicy::default()
                    .with_max_attempts(20)
                    .with_rate_limit_backoff(
                        Duration::from_millis(100),
                        Duration::from_millis(400),
                    ),
            )
        });
        update_all(&client, 8, 4).await;
        assert_eq!(client.rate_limit_estimate(), None);
        // Sent blind: some were refused, and retried until accepted.
        assert!(windows.refused() > 0, "{:?}", windows.answers());
    })
    .await;
}

#[tokio::test]
async fn a_deadline_shorter_than_the_wait_fails_at_once_saying_when() {
    bounded(LIMIT, async {
        // An hour-long window, spent: the wait is far longer than the
        // call's 200 ms deadline.
        let windows = Arc::new(FixedWindows::new(3600, 5, 0.0).starting_spent());
        let server = serve(&windows).await;
        let client = client_with(&server, |builder| {
            builder
                .rate_limit_window(Duration::from_secs(3600))
                .retry(fast_retries().with_max_elapsed(Duration::from_millis(200)))
        });
        let error = client.update_disk(rename("disk_1", "x")).await.unwrap_err();
        let Error::RateLimited(limited) = &error else {
            panic!("expected Error::RateLimited, got {error:?}");
        };
        assert!(error.is_429_or_governor_refusal() && error.is_retryable());
        assert!(limited.reopens_in() > Duration::from_millis(200));
        assert!(limited.reopens_in() <= Duration::from_secs(3601));
        let at = limited.reopens_at().expect("the server's clock is known");
        let at = at.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(at % 3600, 0, "a window boundary");
        // The 429s that taught it: their answer is the error's.
        let sent = windows.answers().len();
        assert_eq!(limited.attempts() as usize, sent);
        assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
        assert_eq!(limited.rate_limit_estimate().remaining, Some(0));
        // `rate_limit()` is always an answer's headers: here the last 429's.
        let last = limited.meta().expect("the 429s were answers");
        assert_eq!(error.rate_limit(), Some(last.rate_limit()));
        assert_eq!(last.attempts(), limited.attempts());
        let text = error.to_string();
        assert!(
            text.starts_with("rate limited: the API token's budget for this 3600s window is spent (0 of 5 left), and the next window opens in "),
            "{text}"
        );
        assert!(text.contains("by the server's clock, after this call's deadline (200ms"), "{text}");
        assert!(text.contains("RetryPolicy::with_max_elapsed"), "{text}");

        // The next call is refused before it sends anything.
        let error = client.update_disk(rename("disk_2", "x")).await.unwrap_err();
        let Error::RateLimited(limited) = &error else {
            panic!("expected Error::RateLimited, got {error:?}");
        };
        assert_eq!(limited.attempts(), 0);
        assert!(limited.meta().is_none());
        assert_eq!(windows.answers().len(), sent);
        assert!(error.to_string().contains("nothing was sent"), "{error}");
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn untrusted_headers_are_logged_once_and_hold_nobody_past_a_window() {
    let (captured, _guard) = crate::support::capture_traces();
    bounded(LIMIT, async {
        let cases: [&[(&str, &str)]; 5] = [
            &[
                ("x-ratelimit-remaining", "9"),
                ("x-ratelimit-permitted", "3"),
            ],
            &[("x-ratelimit-remaining", "-1")],
            &[("x-ratelimit-remaining", "99999999999999999999")],
            &[("date", "the day after tomorrow")],
            &[("date", "Fri, 14 Aug 2099 15:52:09 GMT")],
        ];
        for case in cases {
            let windows = Arc::new(FixedWindows::new(1, 3, 0.0));
            let server = {
                let windows = windows.clone();
                Server::start(move |request, _| {
                    let answer = windows.count(request);
                    Reply::KeepAlive(reply(&answer, case))
                })
                .await
            };
            let client = client_with(&server, |builder| {
                builder.retry(
                    RetryPolicy::default()
                        .with_max_attempts(30)
                        .with_rate_limit_backoff(
                            Duration::from_millis(50),
                            Duration::from_millis(100),
                        ),
                )
            });
            update_all(&client, 6, 3).await;
        }
    })
    .await;
    let text = captured.text();
    for problem in [
        "more than X-Ratelimit-Permitted",
        "not a number of requests",
        "not an HTTP date",
        "more than a day away from this machine's clock",
    ] {
        assert!(text.contains(problem), "{problem}: {text}");
    }
    // Once per client: 2 of the cases are "not a number", one client each.
    assert_eq!(
        text.matches("not a number of requests").count(),
        2,
        "{text}"
    );
    for hold in text.split("hold_ms=").skip(1) {
        let ms: u64 = hold
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(ms <= 1010, "held {ms} ms with one-second windows");
    }
}

#[tokio::test]
async fn two_clients_on_one_pool_file_know_what_the_other_spent() {
    bounded(LIMIT, async {
        // An hour-long window of 6: nothing rolls over during the test.
        let windows = Arc::new(FixedWindows::new(3600, 6, 0.0));
        let server = serve(&windows).await;
        let pool = std::env::temp_dir().join(format!(
            "katapult-core-it-pool-{}-{:?}.pool",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_file(&pool);
        let pooled = |pool: Option<&std::path::Path>| {
            client_with(&server, |builder| {
                let builder = builder
                    .rate_limit_window(Duration::from_secs(3600))
                    .retry(fast_retries().with_max_elapsed(Duration::from_millis(300)));
                match pool {
                    Some(pool) => builder.rate_limit_pool(pool),
                    None => builder,
                }
            })
        };
        let (first, second) = (pooled(Some(&pool)), pooled(Some(&pool)));
        // Each learns the budget from an answer of its own.
        first.update_disk(rename("disk_a", "x")).await.unwrap();
        second.update_disk(rename("disk_b", "x")).await.unwrap();
        // The first spends the rest of the window.
        update_all(&first, 4, 4).await;
        assert_eq!(windows.answers().len(), 6);

        // The second last read `Remaining: 4`, but the pool says the
        // window is spent: refused before sending, not answered 429.
        let error = second.update_disk(rename("disk_c", "x")).await.unwrap_err();
        let Error::RateLimited(limited) = &error else {
            panic!("expected Error::RateLimited, got {error:?}");
        };
        assert_eq!(limited.attempts(), 0, "{error}");
        assert_eq!(windows.answers().len(), 6);
        assert_eq!(second.rate_limit_estimate().unwrap().remaining, Some(0));
        let _ = std::fs::remove_file(&pool);

        // What the pool is for: a client outside it sends, and is refused.
        let outsider = pooled(None);
        outsider
            .update_disk(rename("disk_d", "x"))
            .await
            .unwrap_err();
        assert!(windows.answers().iter().any(|answer| answer.status == 429));
    })
    .await;
}
