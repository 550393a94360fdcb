//! The server as a test sees it: start it with a script, point a client at
//! it, read back what it saw. Two engines serve the connections, with the
//! same replies: tasks on the test's tokio runtime (`on_runtime.rs`), or a
//! thread per connection (`on_threads.rs`).

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::{on_runtime, on_threads};

/// How long a connection may make no progress (no byte read, no write
/// accepted) before the server closes it. Longer than any test runs, so it
/// only ends what would otherwise hang: a client gone without closing, a
/// server a failed test left behind.
pub const IDLE_LIMIT: Duration = Duration::from_secs(60);

/// The largest request head the server reads; a longer one closes the
/// connection.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// A request as the server read it: its head as sent, read again on
/// demand, and its body. Two allocations per request, so that a benchmark
/// sending millions pays the server little for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The request line and the header lines, without the blank line.
    head: String,
    body: Vec<u8>,
}

impl Request {
    /// `PATCH`, say.
    pub fn method(&self) -> &str {
        self.head.split(' ').next().unwrap_or_default()
    }

    /// The request target as sent: `/disks/disk`, say.
    pub fn target(&self) -> &str {
        self.head.split(' ').nth(1).unwrap_or_default()
    }

    /// `(name, value)` as sent, in order; names keep their case.
    fn header_lines(&self) -> impl Iterator<Item = (&str, &str)> {
        self.head
            .split("\r\n")
            .skip(1)
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim(), value.trim()))
    }

    /// Every header, names lower-cased, in the order sent.
    pub fn headers(&self) -> Vec<(String, String)> {
        self.header_lines()
            .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
            .collect()
    }

    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_lines()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The body, `Content-Length` bytes of it.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as JSON; panics if it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("the request body is not JSON ({error}): {self:?}"))
    }
}

/// What the server does with one request.
pub enum Reply {
    /// Writes the bytes and waits for the next request on the connection.
    KeepAlive(Vec<u8>),
    /// Writes the bytes (possibly none, possibly a cut-off response), then
    /// closes the connection.
    Close(Vec<u8>),
    /// Answers nothing and holds the connection open until the client
    /// leaves (or [`IDLE_LIMIT`] passes with nothing from it).
    Hang,
    /// Writes `head`, then `body` one byte every `every`, then closes.
    Trickle {
        head: Vec<u8>,
        body: Vec<u8>,
        every: Duration,
    },
    /// Writes `head`, then `total` filler bytes (as chunked encoding if
    /// `chunked`), then closes. Filler comes from one static buffer, so the
    /// server allocates nothing per byte.
    Flood {
        head: Vec<u8>,
        total: usize,
        chunked: bool,
    },
    /// Waits, answering nothing, then does the reply. The wait holds up
    /// this connection only.
    After(Duration, Box<Reply>),
}

/// How far a [`Reply::Trickle`] or [`Reply::Flood`] got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Body bytes the kernel accepted (chunk framing not counted).
    pub body_bytes: usize,
    /// Why writing stopped early, if it did (the client hung up).
    pub error: Option<io::ErrorKind>,
}

/// The test's script: the reply to the `n`th request.
pub(crate) type Script = dyn Fn(&Request, usize) -> Reply + Send + Sync;

/// Filler for [`Reply::Flood`].
pub(crate) static FILLER: [u8; 64 * 1024] = [b'x'; 64 * 1024];

/// What the engines record and the test reads.
#[derive(Default)]
pub(crate) struct Shared {
    log: Mutex<Log>,
    pub(crate) connections: AtomicUsize,
    /// Requests read in full whose answer has not started out.
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
    reports: Mutex<Vec<Written>>,
    reported: Notify,
    /// Set when the server is dropped, for the threads engine.
    pub(crate) stopped: AtomicBool,
}

#[derive(Default)]
struct Log {
    /// Requests read in full, kept or not.
    count: usize,
    requests: Vec<Request>,
    /// Set by [`Server::record_requests`]`(false)`.
    forgetting: bool,
}

impl Shared {
    /// Numbers a request read in full (1-based) and keeps it unless told
    /// not to.
    pub(crate) fn record(&self, request: &Request) -> usize {
        let mut log = self.log.lock().unwrap();
        log.count += 1;
        if !log.forgetting {
            log.requests.push(request.clone());
        }
        log.count
    }

    /// Counts a request as held until the guard drops: when its answer starts
    /// out, since the client may send its next one as soon as it arrives.
    pub(crate) fn hold(&self) -> Held<'_> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        Held(self)
    }

    /// How far a trickle or a flood got.
    pub(crate) fn report(&self, written: Written) {
        self.reports.lock().unwrap().push(written);
        self.reported.notify_waiters();
    }
}

/// A request the server holds, from read in full to answered.
pub(crate) struct Held<'a>(&'a Shared);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How the connections are served, and what stops them.
pub(crate) enum Engine {
    /// The accept loop's task; aborting it ends every connection task.
    Runtime(tokio::task::JoinHandle<()>),
    /// The acceptor thread and the connection threads, which end once
    /// [`Shared::stopped`] is set.
    Threads(Option<std::thread::JoinHandle<()>>, on_threads::Connections),
}

/// A loopback HTTP/1.1 server on 127.0.0.1 whose answer to the `n`th
/// request (1-based, across connections) is `script(&request, n)`.
///
/// Dropping it stops the accept loop and closes every connection it still
/// holds.
pub struct Server {
    pub(crate) addr: SocketAddr,
    pub(crate) shared: Arc<Shared>,
    pub(crate) engine: Engine,
}

impl Server {
    /// Starts the server on the current tokio runtime: each connection is
    /// a task beside the test's own (a script that blocks, blocks a
    /// worker). For tests that count the process's file descriptors: it
    /// opens one, the listener.
    pub async fn start(script: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> Self {
        on_runtime::start(Arc::new(script))
    }

    /// Starts the server on threads of its own, one per connection,
    /// reading and writing with blocking calls, for callers without a
    /// runtime (the CLI's tests) or that must not share theirs (the
    /// round-trip benchmark: a request's bytes reach the script on the
    /// thread that read them, as in a hand-written server).
    pub fn start_in_background(
        script: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        on_threads::start(Arc::new(script))
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Whether requests read from now on are kept for [`Server::requests`]
    /// (they are from the start). A benchmark turns it off: it sends
    /// millions. [`Server::hits`] counts them either way.
    pub fn record_requests(&self, record: bool) {
        self.shared.log.lock().unwrap().forgetting = !record;
    }

    /// Requests read in full so far.
    pub fn hits(&self) -> usize {
        self.shared.log.lock().unwrap().count
    }

    /// The requests kept so far, in the order they were numbered.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.log.lock().unwrap().requests.clone()
    }

    /// The most requests the server held at once: read in full, their
    /// answers not yet started.
    pub fn most_in_flight(&self) -> usize {
        self.shared.most_in_flight.load(Ordering::SeqCst)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Waits for the `n`th (1-based) trickle or flood to end.
    pub async fn written(&self, n: usize) -> Written {
        loop {
            let notified = self.shared.reported.notified();
            if let Some(report) = self.shared.reports.lock().unwrap().get(n - 1) {
                return *report;
            }
            notified.await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        match &mut self.engine {
            Engine::Runtime(task) => task.abort(),
            Engine::Threads(acceptor, connections) => {
                self.shared.stopped.store(true, Ordering::SeqCst);
                on_threads::stop(self.addr, acceptor.take(), connections);
            }
        }
    }
}

/// What the start of a connection's buffer holds.
pub(crate) enum Parsed {
    /// A request, and how many bytes of the buffer it took.
    Request(Request, usize),
    /// Not all of one yet.
    Incomplete,
    /// Something no request starts with, or a head over the limit.
    Invalid,
}

/// Reads one request (head and `Content-Length` body) off the start of
/// `buffer`; a head that is not UTF-8 or has no method and target is
/// invalid.
pub(crate) fn parse(buffer: &[u8]) -> Parsed {
    let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return if buffer.len() > MAX_HEAD_BYTES {
            Parsed::Invalid
        } else {
            Parsed::Incomplete
        };
    };
    let Ok(head) = std::str::from_utf8(&buffer[..end]) else {
        return Parsed::Invalid;
    };
    let request_line = head.split("\r\n").next().unwrap_or_default();
    if request_line.split(' ').nth(1).is_none() {
        return Parsed::Invalid;
    }
    let length = head
        .split("\r\n")
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .map_or(Some(0), |(_, value)| value.trim().parse::<usize>().ok());
    let Some(length) = length else {
        return Parsed::Invalid;
    };
    let body_start = end + 4;
    if buffer.len() < body_start + length {
        return Parsed::Incomplete;
    }
    let request = Request {
        head: head.to_owned(),
        body: buffer[body_start..body_start + length].to_vec(),
    };
    Parsed::Request(request, body_start + length)
}

/// `http://127.0.0.1:<port>` where nothing listens: a connection there is
/// refused.
pub fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let address = listener.local_addr().expect("local addr");
    drop(listener);
    format!("http://{address}")
}
