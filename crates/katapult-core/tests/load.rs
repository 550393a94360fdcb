//! Load: thousands of concurrent updates through ONE client against a
//! loopback server that answers 429 to a fixed fraction of them.
//!
//! Every update ends in exactly one outcome, the one its disk's script
//! calls for; the server saw exactly as many requests per disk as the
//! client reports attempts (none lost, none duplicated beyond the
//! retries); once the client is dropped (the server still up) the only
//! descriptor left is the server's listener, and once the server is
//! dropped too, exactly as many are open as before.
//!
//! `cargo test -p katapult-core --test load -- --nocapture` prints the
//! figures; `-- --ignored` runs the larger setting.

// The shared helpers of the `it` binary; this binary uses part of them.
#[allow(dead_code)]
#[path = "it/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use katapult_core::types::UpdateDiskResponse;
use katapult_core::{Client, Error};
use katapult_core_httpmock::fixtures;
use katapult_test_server::{Reply, Server, envelope, katapult};
use support::{TOKEN, bounded, fast_retries, rename};

/// The default run: this many updates, all in flight at once.
const REQUESTS: usize = 2000;

/// The `#[ignore]`d run: more updates, this many in flight at a time.
const LARGE_REQUESTS: usize = 20_000;
const LARGE_CONCURRENCY: usize = 4000;

/// Attempts per update (`support::fast_retries`).
const MAX_ATTEMPTS: u32 = 4;

/// How many 429s disk `i` gets before the server accepts its update: one
/// disk in four is turned away 1 to 5 times, so 15% of updates succeed
/// after retrying and 10% exhaust the 4 attempts.
fn storm(i: usize) -> u32 {
    if i.is_multiple_of(4) {
        1 + (i / 4 % 5) as u32
    } else {
        0
    }
}

/// The number in a disk id `disk-<i>`.
fn disk_number(id: &str) -> Option<usize> {
    id.strip_prefix("disk-")?.parse().ok()
}

/// Open file descriptors of this process (the directory handle included,
/// the same way every time).
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Only one load test at a time: each counts the process's descriptors,
/// so no other test's runtime may open or close any meanwhile.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `requests` updates, `concurrency` at a time, alone in the process,
/// on a runtime of its own (2 workers, the size of this machine).
fn load(requests: usize, concurrency: usize, limit: Duration) -> Figures {
    let _alone = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // Counted inside the runtime, before and after: a connection task
    // that never ended would still hold its socket.
    runtime.block_on(bounded(limit, run(requests, concurrency)))
}

struct Figures {
    requests: usize,
    concurrency: usize,
    server_requests: usize,
    rate_limited_answers: usize,
    successes: usize,
    rate_limit_errors: usize,
    connections: usize,
    fds_before: usize,
    peak_fds: usize,
    fds_idle: usize,
    fds_after: usize,
    wall: Duration,
}

async fn run(requests: usize, concurrency: usize) -> Figures {
    let fds_before = open_fds();

    // Server side: requests per disk, and how many of them were 429s.
    let seen: Arc<Vec<AtomicU32>> = Arc::new((0..requests).map(|_| AtomicU32::new(0)).collect());
    let turned_away = Arc::new(AtomicUsize::new(0));
    let server = Server::start({
        let seen = seen.clone();
        let turned_away = turned_away.clone();
        move |request, _| {
            let body: serde_json::Value =
                serde_json::from_slice(request.body()).unwrap_or(serde_json::Value::Null);
            let id = body["disk"]["id"].as_str().unwrap_or_default();
            let Some(i) = disk_number(id).filter(|i| *i < requests) else {
                return Reply::KeepAlive(katapult(
                    400,
                    envelope("invalid_argument", "bad disk", "{}"),
                    "bad",
                ));
            };
            let n = seen[i].fetch_add(1, Ordering::SeqCst) + 1;
            let request_id = format!("{i}-{n}");
            if n <= storm(i) {
                turned_away.fetch_add(1, Ordering::SeqCst);
                let body = envelope(
                    "rate_limit_reached",
                    "You have reached the rate limit",
                    r#"{"total_permitted":1000}"#,
                );
                return Reply::KeepAlive(katapult(429, body, &request_id));
            }
            let mut response = fixtures::update_disk_response(id);
            response.disk.name = body["properties"]["name"].as_str().map(str::to_owned);
            Reply::KeepAlive(katapult(
                200,
                serde_json::to_vec(&response).unwrap(),
                &request_id,
            ))
        }
    })
    .await;
    let fds_with_server = open_fds();
    assert_eq!(fds_with_server, fds_before + 1, "the listener");

    let client = Client::builder()
        .token(TOKEN)
        .base_url(server.base_url())
        .retry(fast_retries())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    assert_eq!(client.base_url(), server.base_url());

    // Descriptor high-water mark while the load runs.
    let peak_fds = Arc::new(AtomicUsize::new(fds_before));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = tokio::spawn({
        let peak_fds = peak_fds.clone();
        let sampling = sampling.clone();
        async move {
            while sampling.load(Ordering::SeqCst) {
                peak_fds.fetch_max(open_fds(), Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    });

    let started = Instant::now();
    let permits = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..requests {
        let client = client.clone();
        let permits = permits.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.unwrap();
            let id = format!("disk-{i}");
            (
                i,
                client.update_disk(rename(&id, &format!("name-{i}"))).await,
            )
        });
    }
    let mut outcomes: Vec<Option<Result<katapult_core::Response<UpdateDiskResponse>, Error>>> =
        (0..requests).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        let (i, result) = joined.expect("no update task panics");
        assert!(
            outcomes[i].replace(result).is_none(),
            "disk-{i} finished twice"
        );
    }
    let wall = started.elapsed();
    sampling.store(false, Ordering::SeqCst);
    sampler.await.unwrap();

    // Every update ended, once, in the outcome its script calls for, and
    // the server saw exactly the attempts the client reports.
    let (mut successes, mut rate_limit_errors, mut attempts_total) = (0, 0, 0);
    for (i, outcome) in outcomes.into_iter().enumerate() {
        let outcome = outcome.unwrap_or_else(|| panic!("disk-{i} never finished"));
        let expected_attempts = (storm(i) + 1).min(MAX_ATTEMPTS);
        let attempts = match outcome {
            Ok(response) => {
                assert!(
                    storm(i) < MAX_ATTEMPTS,
                    "disk-{i} succeeded against its script"
                );
                assert_eq!(
                    response.disk.id.as_deref(),
                    Some(format!("disk-{i}").as_str())
                );
                assert_eq!(
                    response.disk.name.as_deref(),
                    Some(format!("name-{i}").as_str())
                );
                assert_eq!(
                    response.meta().request_id(),
                    Some(format!("{i}-{expected_attempts}").as_str())
                );
                successes += 1;
                response.meta().attempts()
            }
            Err(error) => {
                assert!(
                    storm(i) >= MAX_ATTEMPTS,
                    "disk-{i} failed against its script: {error}"
                );
                assert!(error.is_429_or_governor_refusal(), "disk-{i}: {error:?}");
                assert_eq!(
                    error.request_id(),
                    Some(format!("{i}-{MAX_ATTEMPTS}").as_str())
                );
                rate_limit_errors += 1;
                error.as_api().unwrap().meta().attempts()
            }
        };
        assert_eq!(attempts, expected_attempts, "disk-{i}: client attempts");
        assert_eq!(
            seen[i].load(Ordering::SeqCst),
            attempts,
            "disk-{i}: server requests"
        );
        attempts_total += attempts as usize;
    }
    let server_requests = server.hits();
    assert_eq!(
        server_requests, attempts_total,
        "requests the server saw vs attempts"
    );
    let connections = server.connections();

    // No descriptor outlives its owner. The pool keeps idle connections
    // (both ends are in this process) until the client goes; then only
    // the server's listener is left; then nothing. The client goes first,
    // with the server still up: were the server to hang up first, the
    // client would close its ends on EOF and hide a pool that never lets go.
    let fds_idle = open_fds();
    drop(client);
    let fds_without_client = settle(fds_with_server).await;
    assert_eq!(
        fds_without_client, fds_with_server,
        "descriptors once the client is dropped: {fds_idle} before"
    );
    drop(server);
    let fds_after = settle(fds_before).await;
    assert_eq!(
        fds_after, fds_before,
        "descriptors once the server is dropped too"
    );

    Figures {
        requests,
        concurrency,
        server_requests,
        rate_limited_answers: turned_away.load(Ordering::SeqCst),
        successes,
        rate_limit_errors,
        connections,
        fds_before,
        peak_fds: peak_fds.load(Ordering::SeqCst),
        fds_idle,
        fds_after,
        wall,
    }
}

/// Waits (up to 10 s) for the count of open descriptors to come down to
/// `target`, and returns the last count.
async fn settle(target: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut open = open_fds();
    while open > target && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        open = open_fds();
    }
    open
}

fn expected_outcomes(requests: usize) -> (usize, usize) {
    let failing = (0..requests).filter(|i| storm(*i) >= MAX_ATTEMPTS).count();
    (requests - failing, failing)
}

fn report(figures: &Figures) {
    eprintln!(
        "load: {} updates, {} in flight at most, {:.2?} wall ({:.0} updates/s); server saw {} \
         requests on {} connections, {} of them answered 429 ({:.1}%); {} succeeded, {} ended in \
         a rate-limit error; open descriptors {} before, {} at peak, {} with the pool idle, {} \
         after",
        figures.requests,
        figures.concurrency,
        figures.wall,
        figures.requests as f64 / figures.wall.as_secs_f64(),
        figures.server_requests,
        figures.connections,
        figures.rate_limited_answers,
        100.0 * figures.rate_limited_answers as f64 / figures.server_requests as f64,
        figures.successes,
        figures.rate_limit_errors,
        figures.fds_before,
        figures.peak_fds,
        figures.fds_idle,
        figures.fds_after,
    );
}

/// How many updates may be in flight without running out of descriptors:
/// each holds two (the client's socket and the server's), and the soft
/// limit (`ulimit -n`) of some machines is 1024. Here it is 20000, so all
/// `wanted` go at once.
fn in_flight(wanted: usize) -> usize {
    let soft_limit = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
            line.split_whitespace().nth(3)?.parse::<usize>().ok()
        })
        .unwrap_or(1024);
    wanted.min(soft_limit.saturating_sub(128) / 3).max(1)
}

#[test]
fn thousands_of_concurrent_updates_through_one_client() {
    let figures = load(REQUESTS, in_flight(REQUESTS), Duration::from_secs(120));
    report(&figures);
    assert_eq!(
        (figures.successes, figures.rate_limit_errors),
        expected_outcomes(REQUESTS)
    );
    assert_eq!((figures.successes, figures.rate_limit_errors), (1800, 200));
}

#[test]
#[ignore = "larger load: run with `cargo test -p katapult-core --test load -- --ignored --nocapture`"]
fn tens_of_thousands_of_updates_through_one_client() {
    let figures = load(
        LARGE_REQUESTS,
        in_flight(LARGE_CONCURRENCY),
        Duration::from_secs(600),
    );
    report(&figures);
    assert_eq!(
        (figures.successes, figures.rate_limit_errors),
        expected_outcomes(LARGE_REQUESTS)
    );
}
