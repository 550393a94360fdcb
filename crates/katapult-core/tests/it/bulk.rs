//! `Client::update_disks`: every input ends in exactly one result, whatever
//! the server does to it; progress adds up; dropping the stream cancels
//! the rest.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use katapult_core::{BulkOptions, Error};
use katapult_core_httpmock::fixtures;
use katapult_test_server::{Reply, Server, disk_id, envelope, katapult};

use crate::support::{bounded, client, rename};

const LIMIT: Duration = Duration::from_secs(20);

/// What the server does to disk `i`, and how its update ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// 200 at once.
    Updated,
    /// 503, then 200: retried.
    UnavailableOnce,
    /// The connection closed without an answer, then 200: retried.
    DroppedOnce,
    /// 429, then 200: retried.
    RateLimitedOnce,
    /// 404 `disk_not_found`: an error, not retried.
    NotFound,
    /// 422 `validation_error`: an error, not retried.
    Invalid,
    /// 500, every time: an error, not retried.
    Broken,
    /// 200 with a body that is not a disk: an error.
    Garbled,
}

const FATES: [Fate; 8] = [
    Fate::Updated,
    Fate::UnavailableOnce,
    Fate::DroppedOnce,
    Fate::RateLimitedOnce,
    Fate::NotFound,
    Fate::Invalid,
    Fate::Broken,
    Fate::Garbled,
];

impl Fate {
    fn of(i: usize) -> Self {
        FATES[i % FATES.len()]
    }

    fn succeeds(self) -> bool {
        matches!(
            self,
            Fate::Updated | Fate::UnavailableOnce | Fate::DroppedOnce | Fate::RateLimitedOnce
        )
    }

    fn attempts(self) -> usize {
        match self {
            Fate::UnavailableOnce | Fate::DroppedOnce | Fate::RateLimitedOnce => 2,
            _ => 1,
        }
    }

    fn reply(self, id: &str, attempt: usize) -> Reply {
        let disk = serde_json::to_string(&fixtures::update_disk_response(id)).unwrap();
        let request_id = format!("{id}-{attempt}");
        let first = attempt == 1;
        Reply::KeepAlive(match self {
            Fate::UnavailableOnce if first => katapult(
                503,
                envelope("service_unavailable", "Try later", "{}"),
                &request_id,
            ),
            Fate::DroppedOnce if first => return Reply::Close(Vec::new()),
            Fate::RateLimitedOnce if first => katapult(
                429,
                envelope(
                    "rate_limit_reached",
                    "Slow down",
                    r#"{"total_permitted":1000}"#,
                ),
                &request_id,
            ),
            Fate::NotFound => katapult(
                404,
                envelope(
                    "disk_not_found",
                    "No disk was found matching any of the criteria provided in the arguments",
                    "{}",
                ),
                &request_id,
            ),
            Fate::Invalid => katapult(
                422,
                envelope(
                    "validation_error",
                    "Invalid",
                    r#"{"errors":["Name is too long"]}"#,
                ),
                &request_id,
            ),
            Fate::Broken => katapult(
                500,
                envelope("unhandled_exception", "Oops", "{}"),
                &request_id,
            ),
            Fate::Garbled => katapult(200, "{\"disk\": 42}", &request_id),
            _ => katapult(200, disk, &request_id),
        })
    }
}

#[tokio::test]
async fn every_input_ends_in_exactly_one_result_under_injected_faults() {
    bounded(LIMIT, async {
        const N: usize = 48;
        let attempts: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let server = {
            let attempts = attempts.clone();
            Server::start(move |request, _| {
                let id = disk_id(request);
                let i: usize = id.trim_start_matches("disk-").parse().unwrap();
                let attempt = {
                    let mut attempts = attempts.lock().unwrap();
                    let n = attempts.entry(id.clone()).or_default();
                    *n += 1;
                    *n
                };
                Fate::of(i).reply(&id, attempt)
            })
            .await
        };
        let client = client(&server.base_url());
        let bodies: Vec<_> = (0..N).map(|i| rename(&format!("disk-{i}"), "x")).collect();
        let mut updates = client.update_disks(bodies, BulkOptions::new().concurrency(5));
        assert_eq!(updates.progress().total, Some(N));

        let mut seen = vec![0usize; N];
        let mut done = 0;
        while let Some(result) = updates.next().await {
            done += 1;
            seen[result.index] += 1;
            let fate = Fate::of(result.index);
            match (&result.result, fate.succeeds()) {
                (Ok(response), true) => {
                    assert_eq!(response.disk.id, Some(format!("disk-{}", result.index)));
                    assert_eq!(response.meta().attempts() as usize, fate.attempts());
                }
                (Err(error), false) => match fate {
                    Fate::NotFound => assert!(error.is_not_found(), "{error}"),
                    Fate::Garbled => assert!(matches!(error, Error::InvalidResponse(_)), "{error}"),
                    _ => assert!(matches!(error, Error::Api(_)), "{error}"),
                },
                (outcome, _) => panic!("#{} ({fate:?}): {outcome:?}", result.index),
            }
            let progress = updates.progress();
            assert_eq!(progress.done, done);
            assert!(progress.started <= (done + 5).min(N), "{progress:?}");
        }
        assert!(seen.iter().all(|&n| n == 1), "{seen:?}");
        let expected_ok = (0..N).filter(|&i| Fate::of(i).succeeds()).count();
        let progress = updates.progress();
        assert_eq!(
            (
                progress.total,
                progress.started,
                progress.done,
                progress.succeeded,
                progress.failed
            ),
            (Some(N), N, N, expected_ok, N - expected_ok),
            "{progress:?}"
        );
        assert!(progress.rate_limit_estimate.is_some());
        assert!(updates.next().await.is_none(), "the stream stays ended");
        // The server saw each disk exactly as often as its fate says.
        let attempts = attempts.lock().unwrap();
        for i in 0..N {
            assert_eq!(
                attempts[&format!("disk-{i}")],
                Fate::of(i).attempts(),
                "disk-{i}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn dropping_the_stream_cancels_the_rest() {
    bounded(LIMIT, async {
        // Three quick answers, then the server never answers again.
        let server = Server::start(|request, n| match n {
            1..=3 => Reply::KeepAlive(katapult(
                200,
                serde_json::to_string(&fixtures::update_disk_response(&disk_id(request))).unwrap(),
                "quick",
            )),
            _ => Reply::Hang,
        })
        .await;
        let client = client(&server.base_url());
        let bodies = (0..100).map(|i| rename(&format!("disk-{i}"), "x"));
        let mut updates = client.update_disks(bodies, BulkOptions::new().concurrency(4));
        for _ in 0..3 {
            updates.next().await.unwrap().result.unwrap();
        }
        // The fourth never comes: four updates hang in flight.
        let waited = tokio::time::timeout(Duration::from_millis(300), updates.next()).await;
        assert!(waited.is_err());
        let progress = updates.progress();
        assert_eq!((progress.started, progress.done), (7, 3), "{progress:?}");
        drop(updates);

        tokio::time::sleep(Duration::from_millis(200)).await;
        let hits = server.hits();
        assert!(hits <= 7, "{hits} requests for 7 started updates");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(server.hits(), hits, "requests were sent after the drop");
    })
    .await;
}

#[tokio::test]
async fn concurrency_zero_is_one_and_unsized_inputs_have_no_total() {
    bounded(LIMIT, async {
        let server = Server::start(|_, _| Reply::Hang).await;
        let client = client(&server.base_url());
        let bodies = (0..5)
            .filter(|i| i % 2 == 0)
            .map(|i| rename(&format!("disk-{i}"), "x"));
        let mut updates = client.update_disks(bodies, BulkOptions::new().concurrency(0));
        assert_eq!(updates.progress().total, None);
        let waited = tokio::time::timeout(Duration::from_millis(300), updates.next()).await;
        assert!(waited.is_err());
        assert_eq!(updates.progress().started, 1);
        assert_eq!(server.hits(), 1);
    })
    .await;
}
