//! The server: accepts on 127.0.0.1, reads each request in full (head and
//! `Content-Length` body), records it, and does what the test's script
//! returns for it.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{Notify, oneshot};
use tokio::task::{JoinHandle, JoinSet};

/// How long a connection may make no progress (no byte read, no write
/// accepted) before the server closes it. Longer than any test runs, so it
/// only ends what would otherwise hang: a client gone without closing, a
/// server a failed test left behind.
pub const IDLE_LIMIT: Duration = Duration::from_secs(60);

/// The largest request head the server reads; a longer one closes the
/// connection.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// A request as the server read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub target: String,
    /// Names lower-cased, in the order sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
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
    /// Waits, answering nothing, then does the reply. The wait holds no
    /// thread: the server keeps serving other connections meanwhile.
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

type Script = dyn Fn(&Request, usize) -> Reply + Send + Sync;

#[derive(Default)]
struct Shared {
    log: Mutex<Log>,
    connections: AtomicUsize,
    /// Requests read in full and not yet answered (or hung up on).
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
    reports: Mutex<Vec<Written>>,
    reported: Notify,
}

#[derive(Default)]
struct Log {
    /// Requests read in full, kept or not.
    count: usize,
    requests: Vec<Request>,
    /// Set by [`Server::record_requests`]`(false)`.
    forgetting: bool,
}

/// A loopback HTTP/1.1 server whose answer to the `n`th request (1-based,
/// across connections) is `script(&request, n)`.
///
/// Dropping it stops the accept loop and closes every connection it still
/// holds.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
    /// For [`Server::start_in_background`]: what stops the thread that
    /// drives the server's own runtime, and the thread.
    background: Option<(oneshot::Sender<()>, std::thread::JoinHandle<()>)>,
}

impl Server {
    /// Starts the server on the current tokio runtime: its connections are
    /// tasks beside the test's own (a script that blocks, blocks a worker).
    pub async fn start(script: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> Self {
        Self::listen(Arc::new(script))
    }

    /// Starts the server on a runtime of its own, driven by a thread of its
    /// own, for callers without a runtime (the CLI's tests) or that must
    /// not share theirs (the round-trip benchmark: a request's bytes reach
    /// the script on the thread that read them, as in a hand-written
    /// blocking server). One thread serves every connection: a script that
    /// blocks stalls them all, so a test that holds answers back says so
    /// with [`Reply::After`].
    pub fn start_in_background(
        script: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("the test server's runtime starts");
        let mut server = {
            let _context = runtime.enter();
            Self::listen(Arc::new(script))
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("katapult-test-server".to_owned())
            // Serves until the server is dropped; dropping the runtime then
            // ends every connection task and closes its socket.
            .spawn(move || drop(runtime.block_on(stopped)))
            .expect("the test server's thread starts");
        server.background = Some((stop, thread));
        server
    }

    /// Binds 127.0.0.1 on a free port and spawns the accept loop on the
    /// runtime of the current context.
    fn listen(script: Arc<Script>) -> Self {
        let socket = TcpSocket::new_v4().expect("socket");
        socket
            .bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .expect("bind 127.0.0.1:0");
        // Deep enough for a burst of thousands of connections.
        let listener = socket.listen(4096).expect("listen");
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared::default());
        let task = tokio::spawn({
            let shared = shared.clone();
            async move {
                // Owned here: aborting the accept loop drops the set, which
                // aborts every connection task and closes its socket.
                let mut connections = JoinSet::new();
                loop {
                    tokio::select! {
                        accepted = listener.accept() => match accepted {
                            Ok((stream, _)) => {
                                shared.connections.fetch_add(1, Ordering::SeqCst);
                                connections.spawn(serve(stream, shared.clone(), script.clone()));
                            }
                            // Out of descriptors, say: back off rather than spin.
                            Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                        },
                        Some(_) = connections.join_next(), if !connections.is_empty() => {}
                    }
                }
            }
        });
        Self {
            addr,
            shared,
            task,
            background: None,
        }
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

    /// The most requests the server held at once: read in full, not yet
    /// answered.
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
        self.task.abort();
        if let Some((stop, thread)) = self.background.take() {
            let _ = stop.send(());
            let _ = thread.join();
        }
    }
}

async fn serve(mut stream: TcpStream, shared: Arc<Shared>, script: Arc<Script>) {
    let _ = stream.set_nodelay(true);
    let mut buffer = Vec::new();
    while let Some(request) = read_request(&mut stream, &mut buffer).await {
        let n = {
            let mut log = shared.log.lock().unwrap();
            log.count += 1;
            if !log.forgetting {
                log.requests.push(request.clone());
            }
            log.count
        };
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.most_in_flight.fetch_max(now, Ordering::SeqCst);
        let open = reply(&mut stream, &shared, script(&request, n)).await;
        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
        if !open {
            return;
        }
    }
}

/// Does `reply` on the connection; whether it stays open for the next
/// request.
async fn reply(stream: &mut TcpStream, shared: &Shared, reply: Reply) -> bool {
    match reply {
        Reply::KeepAlive(bytes) => write(stream, &bytes).await.is_ok(),
        Reply::Close(bytes) => {
            let _ = write(stream, &bytes).await;
            let _ = stream.shutdown().await;
            false
        }
        Reply::Hang => {
            // Read (and discard) until the client closes.
            let mut sink = Vec::new();
            while read_more(stream, &mut sink).await {
                sink.clear();
            }
            false
        }
        Reply::Trickle { head, body, every } => {
            let written = trickle(stream, &head, &body, every).await;
            report(shared, written);
            false
        }
        Reply::Flood {
            head,
            total,
            chunked,
        } => {
            let written = flood(stream, &head, total, chunked).await;
            report(shared, written);
            false
        }
        Reply::After(wait, then) => {
            tokio::time::sleep(wait).await;
            Box::pin(self::reply(stream, shared, *then)).await
        }
    }
}

fn report(shared: &Shared, written: Written) {
    shared.reports.lock().unwrap().push(written);
    shared.reported.notify_waiters();
}

/// Fails with `TimedOut` when `future` takes longer than [`IDLE_LIMIT`].
async fn within<T>(future: impl Future<Output = io::Result<T>>) -> io::Result<T> {
    tokio::time::timeout(IDLE_LIMIT, future)
        .await
        .unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into()))
}

async fn write(stream: &mut TcpStream, bytes: &[u8]) -> io::Result<()> {
    within(stream.write_all(bytes)).await
}

/// Appends what the client sends next to `buffer`; false at EOF, on an
/// error, or after [`IDLE_LIMIT`] of silence.
async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 8192];
    match within(stream.read(&mut chunk)).await {
        Ok(n) if n > 0 => {
            buffer.extend_from_slice(&chunk[..n]);
            true
        }
        _ => false,
    }
}

async fn trickle(stream: &mut TcpStream, head: &[u8], body: &[u8], every: Duration) -> Written {
    if let Err(error) = write(stream, head).await {
        return Written {
            body_bytes: 0,
            error: Some(error.kind()),
        };
    }
    let mut body_bytes = 0;
    for byte in body {
        tokio::time::sleep(every).await;
        if let Err(error) = write(stream, std::slice::from_ref(byte)).await {
            return Written {
                body_bytes,
                error: Some(error.kind()),
            };
        }
        body_bytes += 1;
    }
    let _ = stream.shutdown().await;
    Written {
        body_bytes,
        error: None,
    }
}

async fn flood(stream: &mut TcpStream, head: &[u8], total: usize, chunked: bool) -> Written {
    static FILLER: [u8; 64 * 1024] = [b'x'; 64 * 1024];
    let mut body_bytes = 0;
    let result: io::Result<()> = async {
        write(stream, head).await?;
        while body_bytes < total {
            let len = FILLER.len().min(total - body_bytes);
            if chunked {
                write(stream, format!("{len:x}\r\n").as_bytes()).await?;
            }
            // `write`, not `write_all`: every byte the kernel took is counted.
            let mut chunk = &FILLER[..len];
            while !chunk.is_empty() {
                let n = within(stream.write(chunk)).await?;
                if n == 0 {
                    return Err(io::ErrorKind::WriteZero.into());
                }
                body_bytes += n;
                chunk = &chunk[n..];
            }
            if chunked {
                write(stream, b"\r\n").await?;
            }
        }
        if chunked {
            write(stream, b"0\r\n\r\n").await?;
        }
        within(stream.shutdown()).await
    }
    .await;
    Written {
        body_bytes,
        error: result.err().map(|e| e.kind()),
    }
}

/// Reads one request (head and `Content-Length` body) from the connection,
/// keeping what follows it in `buffer`; `None` at EOF, on anything
/// unparseable, or when the client goes quiet for [`IDLE_LIMIT`].
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<Request> {
    let end = loop {
        if let Some(end) = find(buffer, b"\r\n\r\n") {
            break end;
        }
        if buffer.len() > MAX_HEAD_BYTES || !read_more(stream, buffer).await {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut start = lines.next()?.split(' ');
    let method = start.next()?.to_owned();
    let target = start.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .map_or(Some(0), |(_, value)| value.parse().ok())?;
    let body_start = end + 4;
    while buffer.len() < body_start + length {
        if !read_more(stream, buffer).await {
            return None;
        }
    }
    let body = buffer[body_start..body_start + length].to_vec();
    buffer.drain(..body_start + length);
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `http://127.0.0.1:<port>` where nothing listens: a connection there is
/// refused.
pub fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let address = listener.local_addr().expect("local addr");
    drop(listener);
    format!("http://{address}")
}
