//! A raw-TCP HTTP/1.1 server on 127.0.0.1 that answers each request with
//! whatever bytes a test scripts: well-formed responses, truncated ones,
//! nothing at all, a trickle, or a flood. It reads each request in full
//! (headers and `Content-Length` body) before replying, records it, and
//! counts connections and the bytes it managed to write.
//!
//! `tests/load.rs` includes it too, with `#[path]`.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

/// A request as the server read it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub target: String,
    /// Names lower-cased, in the order sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does with one request.
pub enum Reply {
    /// Writes the bytes and waits for the next request on the connection.
    KeepAlive(Vec<u8>),
    /// Writes the bytes (possibly none, possibly a cut-off response), then
    /// closes the connection.
    Close(Vec<u8>),
    /// Answers nothing and holds the connection open until the client leaves.
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
}

/// How far a [`Reply::Trickle`] or [`Reply::Flood`] got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Body bytes the kernel accepted (chunk framing not counted).
    pub body_bytes: usize,
    /// Why writing stopped early, if it did (the client hung up).
    pub error: Option<std::io::ErrorKind>,
}

type Handler = dyn Fn(&Request, usize) -> Reply + Send + Sync;

#[derive(Default)]
struct Shared {
    requests: Mutex<Vec<Request>>,
    connections: AtomicUsize,
    reports: Mutex<Vec<Written>>,
    reported: Notify,
}

/// The server. Dropping it stops the accept loop and closes every
/// connection it still holds.
pub struct FaultServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultServer {
    /// Starts a server whose reply to the `n`th request (1-based, across
    /// connections) is `handler(&request, n)`.
    pub async fn start(handler: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> Self {
        let socket = TcpSocket::new_v4().expect("socket");
        socket
            .bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .expect("bind 127.0.0.1:0");
        // Deep enough for a burst of thousands of connections.
        let listener = socket.listen(4096).expect("listen");
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared::default());
        let handler: Arc<Handler> = Arc::new(handler);
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
                                connections.spawn(serve(stream, shared.clone(), handler.clone()));
                            }
                            // Out of descriptors, say: back off rather than spin.
                            Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                        },
                        Some(_) = connections.join_next(), if !connections.is_empty() => {}
                    }
                }
            }
        });
        Self { addr, shared, task }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests read in full so far.
    pub fn hits(&self) -> usize {
        self.shared.requests.lock().unwrap().len()
    }

    pub fn requests(&self) -> Vec<Request> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Waits for the next trickle or flood to end (the `n`th, 1-based).
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

async fn serve(mut stream: TcpStream, shared: Arc<Shared>, handler: Arc<Handler>) {
    let _ = stream.set_nodelay(true);
    let mut buffer = Vec::new();
    loop {
        let Some(request) = read_request(&mut stream, &mut buffer).await else {
            return;
        };
        let n = {
            let mut requests = shared.requests.lock().unwrap();
            requests.push(request.clone());
            requests.len()
        };
        match handler(&request, n) {
            Reply::KeepAlive(bytes) => {
                if stream.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            Reply::Close(bytes) => {
                let _ = stream.write_all(&bytes).await;
                let _ = stream.shutdown().await;
                return;
            }
            Reply::Hang => {
                // Read (and discard) until the client closes.
                let mut sink = [0u8; 1024];
                while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
                return;
            }
            Reply::Trickle { head, body, every } => {
                let written = trickle(&mut stream, &head, &body, every).await;
                report(&shared, written);
                return;
            }
            Reply::Flood {
                head,
                total,
                chunked,
            } => {
                let written = flood(&mut stream, &head, total, chunked).await;
                report(&shared, written);
                return;
            }
        }
    }
}

fn report(shared: &Shared, written: Written) {
    shared.reports.lock().unwrap().push(written);
    shared.reported.notify_waiters();
}

async fn trickle(stream: &mut TcpStream, head: &[u8], body: &[u8], every: Duration) -> Written {
    if let Err(error) = stream.write_all(head).await {
        return Written {
            body_bytes: 0,
            error: Some(error.kind()),
        };
    }
    let mut body_bytes = 0;
    for byte in body {
        tokio::time::sleep(every).await;
        if let Err(error) = stream.write_all(std::slice::from_ref(byte)).await {
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
    let result: std::io::Result<()> = async {
        stream.write_all(head).await?;
        while body_bytes < total {
            let len = FILLER.len().min(total - body_bytes);
            if chunked {
                stream.write_all(format!("{len:x}\r\n").as_bytes()).await?;
            }
            // `write`, not `write_all`: every byte the kernel took is counted.
            let mut chunk = &FILLER[..len];
            while !chunk.is_empty() {
                let n = stream.write(chunk).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::WriteZero.into());
                }
                body_bytes += n;
                chunk = &chunk[n..];
            }
            if chunked {
                stream.write_all(b"\r\n").await?;
            }
        }
        if chunked {
            stream.write_all(b"0\r\n\r\n").await?;
        }
        stream.shutdown().await
    }
    .await;
    Written {
        body_bytes,
        error: result.err().map(|e| e.kind()),
    }
}

/// Reads one request (head and `Content-Length` body); `None` at EOF or on
/// anything unparseable.
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<Request> {
    let end = loop {
        if let Some(end) = find(buffer, b"\r\n\r\n") {
            break end;
        }
        if buffer.len() > 64 * 1024 {
            return None;
        }
        let mut chunk = [0u8; 8192];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
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
        let mut chunk = [0u8; 8192];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
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

/// `HTTP/1.1 <status> <reason>` and the headers, ending with the blank line.
/// Adds no `Content-Length`: include one in `headers` if wanted.
pub fn head(status: u16, headers: &[(&str, &str)]) -> Vec<u8> {
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Whatever");
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// A complete response with a correct `Content-Length`.
pub fn response(status: u16, headers: &[(&str, &str)], body: impl AsRef<[u8]>) -> Vec<u8> {
    let body = body.as_ref();
    let length = body.len().to_string();
    let mut all: Vec<(&str, &str)> = headers.to_vec();
    all.push(("content-length", &length));
    let mut out = head(status, &all);
    out.extend_from_slice(body);
    out
}

/// A Katapult-shaped JSON answer: the headers every response carries.
pub fn katapult(status: u16, body: impl AsRef<[u8]>, request_id: &str) -> Vec<u8> {
    response(
        status,
        &[
            ("content-type", "application/json; charset=utf-8"),
            ("x-request-id", request_id),
            ("x-ratelimit-permitted", "1000"),
            ("x-ratelimit-remaining", "998"),
        ],
        body,
    )
}

/// Katapult's error envelope as text.
pub fn envelope(code: &str, description: &str, detail: &str) -> String {
    format!(r#"{{"error":{{"code":"{code}","description":"{description}","detail":{detail}}}}}"#)
}
