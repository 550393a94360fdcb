//! Helpers shared by the integration tests: time bounds, clients with fast
//! back-off, and a tracing capture.

use std::future::Future;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use httpmock::{HttpMockResponse, MockServer};

use katapult_core::{Client, RetryPolicy};

/// The token every test client sends; tests grep output for it.
pub const TOKEN: &str = "kt-s3cr3t-t0ken-do-not-print";

/// Fails the test if `future` takes longer than `limit`: no network test can hang.
pub async fn bounded<F: Future>(limit: Duration, future: F) -> F::Output {
    match tokio::time::timeout(limit, future).await {
        Ok(output) => output,
        Err(_) => panic!("test did not finish within {limit:?}"),
    }
}

/// Retries quickly enough for tests, still exercising every code path.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(4)
        .with_rate_limit_backoff(Duration::from_millis(40), Duration::from_millis(80))
        .with_transient_backoff(Duration::from_millis(10), Duration::from_millis(20))
}

/// A client for `base_url` with the test token and fast retries.
pub fn client(base_url: &str) -> Client {
    Client::builder()
        .token(TOKEN)
        .base_url(base_url)
        .retry(fast_retries())
        .timeout(Duration::from_secs(5))
        .build()
        .expect("test client builds")
}

/// A request body with one lookup and a name.
pub fn rename(id: &str, name: &str) -> katapult_core::types::UpdateDiskBody {
    use katapult_core::types::{DiskArguments, DiskLookup, UpdateDiskBody};
    UpdateDiskBody {
        disk: DiskLookup { id: id.to_owned() },
        properties: DiskArguments {
            name: Some(name.to_owned()),
            ..Default::default()
        },
        annotations: None,
    }
}

/// Everything tracing emitted while the guard lived, as text.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures every event and span (with its fields, on close) on this thread
/// at TRACE level. Use with a current-thread runtime.
pub fn capture_traces() -> (Captured, tracing::dispatcher::DefaultGuard) {
    use tracing_subscriber::fmt::format::FmtSpan;
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    (captured, guard)
}

/// A Katapult-shaped answer: JSON body plus the headers every response carries.
pub fn katapult(status: u16, body: &str, request_id: &str) -> HttpMockResponse {
    HttpMockResponse::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-request-id", request_id)
        .header("x-ratelimit-permitted", "1000")
        .header("x-ratelimit-remaining", "998")
        .body(body.to_owned())
        .build()
}

/// A server whose disk endpoint answers the `n`th request with `answer(n)` (1-based).
pub async fn scripted(
    answer: impl Fn(usize) -> HttpMockResponse + Send + Sync + 'static,
) -> (MockServer, Arc<AtomicUsize>) {
    let server = MockServer::start_async().await;
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    server
        .mock_async(|when, then| {
            when.method(httpmock::Method::PATCH).path("/disks/disk");
            then.respond_with(move |_| answer(counter.fetch_add(1, Ordering::SeqCst) + 1));
        })
        .await;
    (server, hits)
}
