//! What the SDK costs against the hand-written floor, measured side by
//! side in one run (method and results: `BENCHMARKS.md`).
//!
//! - `round_trip/*`: one `PATCH /disks/disk` against a loopback keep-alive
//!   server, through `katapult_core::Client` (default retry policy, and
//!   retries off) and through a bare `reqwest::Client` with hand-written
//!   serde structs; one shared `reqwest::Client`, so one pool.
//! - `decode/*`: a realistic 200 body into the generated types, into a
//!   hand-written struct of the same shape, and into `serde_json::Value`.
//! - `encode/*`: a request body with a lookup and four properties.
//! - `hooks/*`: the `round_trip/sdk` call through a client with no hook and
//!   through one with a counting hook (by operation and status), to price
//!   the extension point.
//!
//! `cargo bench -p katapult-core --bench overhead` measures and renders its
//! section of the report (`support/overhead_table.rs`), written to the file
//! `KATAPULT_BENCH_OUT` names; `cargo xtask bench-report` sets it. Under
//! `cargo test` criterion runs each benchmark once (its test mode), after
//! the start-up checks below have proved that both sides send the same
//! request and decode the same answer.

mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use katapult_core::reqwest::header::HeaderValue;
use katapult_core::types::UpdateDiskResponse;
use katapult_core::{Client, RetryPolicy};
use katapult_test_server::{Request, Server};
use tokio::runtime::Runtime;

use support::floor::{self, Floor};
use support::paired::{self, Mode, Side};
use support::{API_PATH, DISK_ID, RESPONSE_BODY, TOKEN};

/// The SDK's own user agent, sent by both sides so that the requests are
/// byte for byte the same.
const USER_AGENT: &str = concat!("katapult-core/", env!("CARGO_PKG_VERSION"));
const TIMEOUT: Duration = Duration::from_secs(30);

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn sdk(base_url: &str, http: &reqwest::Client, retry: RetryPolicy) -> Client {
    Client::builder()
        .token(TOKEN)
        .base_url(base_url)
        .timeout(TIMEOUT)
        .retry(retry)
        .http_client(http.clone())
        .build()
        .expect("SDK client builds")
}

/// Proves the comparison fair before measuring it: the same request on
/// the wire from both sides, and the same answer decoded.
fn check_same_exchange(runtime: &Runtime, server: &Server, client: &Client, floor: &Floor) {
    let body = support::generated_body();
    let floor_body = support::floor_body();
    runtime.block_on(async {
        server.record_requests(true);
        let sdk = client.update_disk(body).await.expect("SDK round trip");
        let hand = floor
            .update_disk(&floor_body)
            .await
            .expect("floor round trip");
        server.record_requests(false);

        // Header order aside: neither side promises one.
        let seen = |request: &Request| {
            let mut headers = request.headers();
            headers.sort();
            let line = (request.method().to_owned(), request.target().to_owned());
            (line, headers, request.body().to_vec())
        };
        let [sdk_request, floor_request] = <[Request; 2]>::try_from(server.requests())
            .expect("the server saw one request from each side");
        assert_eq!(
            seen(&sdk_request),
            seen(&floor_request),
            "both sides send the same request"
        );
        assert_eq!(sdk.meta().attempts(), 1);
        assert_eq!(sdk.disk.id.as_deref(), Some(DISK_ID));
        assert_eq!(sdk.disk.id, hand.disk.id);
        assert_eq!(sdk.raw_body().as_ref(), RESPONSE_BODY.as_bytes());
    });
}

fn round_trip(c: &mut Criterion, mode: &Mode) {
    let runtime = runtime();
    let server = support::server();
    let base_url = format!("{}{API_PATH}", server.base_url());
    let http = support::http_client();
    let default_retry = sdk(&base_url, &http, RetryPolicy::default());
    let no_retry = sdk(&base_url, &http, RetryPolicy::none());
    let floor = Floor {
        http: http.clone(),
        url: format!("{base_url}/disks/disk"),
        authorization: {
            let mut value = HeaderValue::from_str(&format!("Bearer {TOKEN}")).unwrap();
            value.set_sensitive(true);
            value
        },
        user_agent: HeaderValue::from_static(USER_AGENT),
        timeout: TIMEOUT,
    };
    check_same_exchange(&runtime, &server, &default_retry, &floor);

    // Each side gets its body by value (the SDK takes ownership, the floor
    // serializes a borrowed one): both clone a prepared body per call, as
    // a caller building a fresh one would pay for it either way.
    let body = support::generated_body();
    let floor_body = support::floor_body();
    let through_sdk = |client: &Client, iters: u64| {
        runtime.block_on(async {
            let start = Instant::now();
            for _ in 0..iters {
                let response = client.update_disk(body.clone()).await.unwrap();
                black_box(response);
            }
            start.elapsed()
        })
    };
    let sdk = |iters| through_sdk(&default_retry, iters);
    let sdk_no_retry = |iters| through_sdk(&no_retry, iters);
    let floor = |iters| {
        runtime.block_on(async {
            let start = Instant::now();
            for _ in 0..iters {
                let body = floor_body.clone();
                let response = floor.update_disk(&body).await.unwrap();
                black_box(response);
            }
            start.elapsed()
        })
    };
    let sides = [
        Side {
            name: "sdk",
            run: &sdk,
        },
        Side {
            name: "sdk_no_retry",
            run: &sdk_no_retry,
        },
        Side {
            name: "floor",
            run: &floor,
        },
    ];

    let mut group = c.benchmark_group("round_trip");
    group
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8));
    for side in &sides {
        group.bench_function(side.name, |b| b.iter_custom(side.run));
    }
    group.finish();
    paired::compare(
        mode,
        "round_trip",
        &sides,
        &[
            ("sdk", "floor"),
            ("sdk_no_retry", "floor"),
            ("sdk", "sdk_no_retry"),
        ],
        Duration::from_secs(12),
    );
}

/// Runs `f` `iters` times and returns the time taken.
fn timed<T>(iters: u64, mut f: impl FnMut() -> T) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        black_box(f());
    }
    start.elapsed()
}

fn decode(c: &mut Criterion, mode: &Mode) {
    let body = RESPONSE_BODY.as_bytes();
    let generated: UpdateDiskResponse = serde_json::from_slice(body).unwrap();
    assert_eq!(
        generated,
        katapult_core_httpmock::fixtures::update_disk_response(DISK_ID),
        "the benchmark body carries the fixtures' values"
    );
    let hand: floor::UpdateDiskResponse = serde_json::from_slice(body).unwrap();
    assert_eq!(hand.disk.state, Some(floor::DiskState::Built));

    let generated = |iters| {
        timed(iters, || {
            serde_json::from_slice::<UpdateDiskResponse>(black_box(body)).unwrap()
        })
    };
    let hand_written = |iters| {
        timed(iters, || {
            serde_json::from_slice::<floor::UpdateDiskResponse>(black_box(body)).unwrap()
        })
    };
    let value = |iters| {
        timed(iters, || {
            serde_json::from_slice::<serde_json::Value>(black_box(body)).unwrap()
        })
    };
    let sides = [
        Side {
            name: "generated",
            run: &generated,
        },
        Side {
            name: "hand_written",
            run: &hand_written,
        },
        Side {
            name: "value",
            run: &value,
        },
    ];

    let mut group = c.benchmark_group("decode");
    for side in &sides {
        group.bench_function(side.name, |b| b.iter_custom(side.run));
    }
    group.finish();
    paired::compare(
        mode,
        "decode",
        &sides,
        &[("generated", "hand_written"), ("generated", "value")],
        Duration::from_secs(6),
    );
}

fn encode(c: &mut Criterion, mode: &Mode) {
    let generated_body = support::generated_body();
    let hand_body = support::floor_body();
    let wire = serde_json::to_vec(&generated_body).unwrap();
    assert_eq!(
        wire,
        serde_json::to_vec(&hand_body).unwrap(),
        "both bodies encode to the same bytes"
    );

    let generated = |iters| {
        timed(iters, || {
            serde_json::to_vec(black_box(&generated_body)).unwrap()
        })
    };
    let hand_written = |iters| timed(iters, || serde_json::to_vec(black_box(&hand_body)).unwrap());
    let sides = [
        Side {
            name: "generated",
            run: &generated,
        },
        Side {
            name: "hand_written",
            run: &hand_written,
        },
    ];

    let mut group = c.benchmark_group("encode");
    for side in &sides {
        group.bench_function(side.name, |b| b.iter_custom(side.run));
    }
    group.finish();
    paired::compare(
        mode,
        "encode",
        &sides,
        &[("generated", "hand_written")],
        Duration::from_secs(6),
    );
}

/// The metrics hook of the README, at its cheapest: a count per status
/// class of the one operation benched, in atomics.
#[derive(Default)]
struct Counting {
    by_class: [std::sync::atomic::AtomicU64; 6],
}

impl katapult_core::Hook for Counting {
    fn after_attempt(&self, attempt: &katapult_core::AttemptOutcome<'_>) {
        let class = attempt
            .status()
            .map_or(0, |status| usize::from(status.as_u16() / 100).min(5));
        black_box(attempt.operation());
        self.by_class[class].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

fn hooks(c: &mut Criterion, mode: &Mode) {
    let runtime = runtime();
    let server = support::server();
    let base_url = format!("{}{API_PATH}", server.base_url());
    let http = support::http_client();
    let no_hook = sdk(&base_url, &http, RetryPolicy::default());
    let counter = std::sync::Arc::new(Counting::default());
    let counting = Client::builder()
        .token(TOKEN)
        .base_url(&base_url)
        .timeout(TIMEOUT)
        .retry(RetryPolicy::default())
        .http_client(http.clone())
        .hook(counter.clone())
        .build()
        .expect("SDK client builds");
    let body = support::generated_body();
    runtime.block_on(async {
        counting
            .update_disk(body.clone())
            .await
            .expect("round trip");
    });
    assert_eq!(
        counter.by_class[2].load(std::sync::atomic::Ordering::Relaxed),
        1,
        "the hook counts"
    );

    let through = |client: &Client, iters: u64| {
        runtime.block_on(async {
            let start = Instant::now();
            for _ in 0..iters {
                let response = client.update_disk(body.clone()).await.unwrap();
                black_box(response);
            }
            start.elapsed()
        })
    };
    let without = |iters| through(&no_hook, iters);
    let with = |iters| through(&counting, iters);
    let sides = [
        Side {
            name: "no_hook",
            run: &without,
        },
        Side {
            name: "counting_hook",
            run: &with,
        },
    ];
    let mut group = c.benchmark_group("hooks");
    group
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8));
    for side in &sides {
        group.bench_function(side.name, |b| b.iter_custom(side.run));
    }
    group.finish();
    paired::compare(
        mode,
        "hooks",
        &sides,
        &[("counting_hook", "no_hook")],
        Duration::from_secs(20),
    );
}

// `criterion_main!` by hand, so that each group can follow its criterion
// run with the paired measurement, and the run end with its section of the
// report (`support/report.rs`).
fn main() -> std::process::ExitCode {
    let started = std::time::SystemTime::now();
    let mode = Mode::from_args();
    let mut criterion = Criterion::default().configure_from_args();
    round_trip(&mut criterion, &mode);
    decode(&mut criterion, &mode);
    encode(&mut criterion, &mode);
    hooks(&mut criterion, &mode);
    criterion.final_summary();
    if !matches!(mode, Mode::Bench { .. }) || !support::report::wanted() {
        return std::process::ExitCode::SUCCESS;
    }
    let results = support::overhead_table::Results {
        home: paired::criterion_home(),
        since: Some(started),
    };
    let written =
        support::overhead_table::render(&results).and_then(|s| support::report::write(&s));
    if let Err(message) = written {
        eprintln!("overhead bench: {message}");
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}
