//! A minimal HTTP/1.1 keep-alive server on 127.0.0.1 that answers every
//! request with the same canned response. Blocking std threads, no tokio,
//! no hyper: it costs the same for every client measured against it, and
//! it shares no code with the clients under test.
//!
//! It serves only loopback, and only while the benchmark process runs:
//! dropping the [`Server`] stops the acceptor, and connection threads end
//! when their client hangs up or the process exits.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// The largest request head or body the server accepts.
const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// A request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// `PATCH /core/v1/disks/disk HTTP/1.1`
    pub request_line: String,
    /// `(lower-case name, value)`, sorted.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    /// When set, the next request is recorded here.
    capture: AtomicBool,
    captured: Mutex<Option<Seen>>,
}

pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds 127.0.0.1 on a free port and answers every well-formed
    /// `PATCH /core/v1/disks/disk` with `200` and `body`; anything else gets
    /// a `400`, which fails the client under test loudly.
    pub fn start(body: &[u8]) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared::default());
        let ok: Arc<[u8]> = ok_response(body).into();
        let acceptor = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if shared.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let shared = Arc::clone(&shared);
                    let ok = Arc::clone(&ok);
                    std::thread::spawn(move || {
                        // A client hanging up mid-request is not an error here.
                        let _ = serve(stream, &ok, &shared);
                    });
                }
            })
        };
        Server {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// The SDK's base URL for this server.
    pub fn base_url(&self) -> String {
        format!("http://{}/core/v1", self.addr)
    }

    /// Records the next request; read it with [`Server::captured`].
    pub fn capture_next(&self) {
        *self.shared.captured.lock().unwrap() = None;
        self.shared.capture.store(true, Ordering::SeqCst);
    }

    pub fn captured(&self) -> Option<Seen> {
        self.shared.captured.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// The canned answer, with the headers Katapult sends on every response.
fn ok_response(body: &[u8]) -> Vec<u8> {
    let mut response = format!(
        "HTTP/1.1 200 OK\r\n\
         content-type: application/json; charset=utf-8\r\n\
         content-length: {}\r\n\
         cache-control: no-cache\r\n\
         x-request-id: 9a3b7c4e-2f1d-4e8a-b6c5-0d9e8f7a6b5c\r\n\
         x-ratelimit-permitted: 600\r\n\
         x-ratelimit-remaining: 599\r\n\
         \r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(body);
    response
}

const BAD_REQUEST: &[u8] =
    b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

/// Serves one keep-alive connection until the client closes it.
fn serve(mut stream: TcpStream, ok: &[u8], shared: &Shared) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buffer = Vec::with_capacity(8 * 1024);
    let mut chunk = [0u8; 8 * 1024];
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        // Read until the end of the head.
        let head_end = loop {
            if let Some(end) = find(&buffer, b"\r\n\r\n") {
                break end + 4;
            }
            if buffer.len() > MAX_REQUEST_BYTES {
                return refuse(&mut stream);
            }
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                return Ok(()); // the client closed the connection
            }
            buffer.extend_from_slice(&chunk[..n]);
        };
        let Some((request_line, length)) = request_line_and_length(&buffer[..head_end]) else {
            return refuse(&mut stream);
        };
        let is_update = request_line == "PATCH /core/v1/disks/disk HTTP/1.1";
        if length > MAX_REQUEST_BYTES {
            return refuse(&mut stream);
        }
        while buffer.len() < head_end + length {
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                return Ok(());
            }
            buffer.extend_from_slice(&chunk[..n]);
        }
        let body = &buffer[head_end..head_end + length];
        if !is_update || body.is_empty() {
            return refuse(&mut stream);
        }
        if shared.capture.swap(false, Ordering::SeqCst) {
            let Some((request_line, headers)) = parse_head(&buffer[..head_end]) else {
                return refuse(&mut stream);
            };
            *shared.captured.lock().unwrap() = Some(Seen {
                request_line,
                headers,
                body: body.to_vec(),
            });
        }
        stream.write_all(ok)?;
        buffer.drain(..head_end + length);
    }
}

fn refuse(stream: &mut TcpStream) -> io::Result<()> {
    stream.write_all(BAD_REQUEST)?;
    stream.shutdown(Shutdown::Both)
}

/// The fast path: the request line and `Content-Length`, allocating nothing.
fn request_line_and_length(head: &[u8]) -> Option<(&str, usize)> {
    let head = std::str::from_utf8(head).ok()?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next()?;
    let mut length = 0;
    for line in lines {
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    Some((request_line, length))
}

/// Every header, for [`Server::capture_next`].
type Head = (String, Vec<(String, String)>);

fn parse_head(head: &[u8]) -> Option<Head> {
    let head = std::str::from_utf8(head).ok()?;
    let mut lines = head.split("\r\n").filter(|line| !line.is_empty());
    let request_line = lines.next()?.to_owned();
    let mut headers = lines
        .map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        })
        .collect::<Option<Vec<_>>>()?;
    headers.sort();
    Some((request_line, headers))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
