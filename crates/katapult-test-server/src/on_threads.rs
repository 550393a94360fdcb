//! The engine of [`Server::start_in_background`]: an acceptor thread and a
//! thread per connection, reading and writing with blocking calls, as the
//! CLI's tests and the round-trip benchmark had before. On the benchmark's
//! pinned core, serving from a tokio runtime instead made a loopback round
//! trip about 5% slower (paired runs, the same request parsing).

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::server::{Engine, FILLER, Held, IDLE_LIMIT, Parsed, Script, Shared, parse};
use crate::{Reply, Request, Server, Written};

/// How often a waiting connection thread looks whether the server was
/// dropped.
const POLL: Duration = Duration::from_millis(20);

/// The connection threads, joined when the server is dropped.
pub(crate) type Connections = Arc<Mutex<Vec<JoinHandle<()>>>>;

/// Binds 127.0.0.1 on a free port and starts the acceptor thread.
pub(crate) fn start(script: Arc<Script>) -> Server {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    let shared = Arc::new(Shared::default());
    let connections = Connections::default();
    let acceptor = std::thread::Builder::new()
        .name("katapult-test-server".to_owned())
        .spawn({
            let (shared, connections) = (shared.clone(), connections.clone());
            move || {
                for stream in listener.incoming() {
                    if shared.stopped.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else {
                        // Out of descriptors, say: back off rather than spin.
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    };
                    shared.connections.fetch_add(1, Ordering::SeqCst);
                    let (shared, script) = (shared.clone(), script.clone());
                    let thread = std::thread::spawn(move || serve(stream, &shared, &*script));
                    let mut connections = connections.lock().unwrap();
                    connections.retain(|thread| !thread.is_finished());
                    connections.push(thread);
                }
            }
        })
        .expect("the test server's thread starts");
    Server {
        addr,
        shared,
        engine: Engine::Threads(Some(acceptor), connections),
    }
}

/// Ends the acceptor and waits for the connection threads, which see
/// `stopped` within [`POLL`] (or once the write they are in returns).
pub(crate) fn stop(addr: SocketAddr, acceptor: Option<JoinHandle<()>>, connections: &Connections) {
    // Wake the acceptor so that it sees the flag.
    let _ = TcpStream::connect(addr);
    if let Some(acceptor) = acceptor {
        let _ = acceptor.join();
    }
    for thread in std::mem::take(&mut *connections.lock().unwrap()) {
        let _ = thread.join();
    }
}

fn serve(mut stream: TcpStream, shared: &Shared, script: &Script) {
    let _ = stream.set_nodelay(true);
    // Reads wake every POLL to look at `stopped` and the idle time.
    let _ = stream.set_read_timeout(Some(POLL));
    let _ = stream.set_write_timeout(Some(IDLE_LIMIT));
    let mut buffer = Vec::new();
    while let Some(request) = read_request(&mut stream, &mut buffer, shared) {
        let n = shared.record(&request);
        let held = shared.hold();
        if !reply(&mut stream, shared, script(&request, n), held) {
            return;
        }
    }
}

/// Does `reply` on the connection; whether it stays open for the next
/// request.
fn reply(stream: &mut TcpStream, shared: &Shared, reply: Reply, held: Held<'_>) -> bool {
    match reply {
        Reply::KeepAlive(bytes) => {
            // Answered once its bytes start out: the client may send its
            // next request as soon as they arrive.
            drop(held);
            stream.write_all(&bytes).is_ok()
        }
        Reply::Close(bytes) => {
            drop(held);
            let _ = stream.write_all(&bytes);
            let _ = stream.shutdown(Shutdown::Write);
            false
        }
        Reply::Hang => {
            // Read (and discard) until the client closes.
            let mut sink = Vec::new();
            while read_more(stream, &mut sink, shared) {
                sink.clear();
            }
            false
        }
        Reply::Trickle { head, body, every } => {
            shared.report(trickle(stream, shared, &head, &body, every));
            false
        }
        Reply::Flood {
            head,
            total,
            chunked,
        } => {
            shared.report(flood(stream, &head, total, chunked));
            false
        }
        Reply::After(wait, then) => pause(shared, wait) && self::reply(stream, shared, *then, held),
    }
}

/// Sleeps for `wait`, or until the server is dropped; whether it is still
/// up.
fn pause(shared: &Shared, wait: Duration) -> bool {
    let until = Instant::now() + wait;
    while !shared.stopped.load(Ordering::SeqCst) {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(POLL));
    }
    false
}

/// Appends what the client sends next to `buffer`; false at EOF, on an
/// error, after [`IDLE_LIMIT`] of silence, or once the server is dropped.
fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>, shared: &Shared) -> bool {
    let mut chunk = [0u8; 8192];
    let quiet_since = Instant::now();
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return false,
            Ok(n) => {
                buffer.extend_from_slice(&chunk[..n]);
                return true;
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) && !shared.stopped.load(Ordering::SeqCst)
                    && quiet_since.elapsed() < IDLE_LIMIT => {}
            Err(_) => return false,
        }
    }
}

/// The next request on the connection, keeping what follows it in
/// `buffer`; `None` at EOF, on anything unparseable, when the client goes
/// quiet for [`IDLE_LIMIT`], or once the server is dropped.
fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>, shared: &Shared) -> Option<Request> {
    loop {
        match parse(buffer) {
            Parsed::Request(request, used) => {
                buffer.drain(..used);
                return Some(request);
            }
            Parsed::Invalid => return None,
            Parsed::Incomplete if !read_more(stream, buffer, shared) => return None,
            Parsed::Incomplete => {}
        }
    }
}

fn trickle(
    stream: &mut TcpStream,
    shared: &Shared,
    head: &[u8],
    body: &[u8],
    every: Duration,
) -> Written {
    let mut body_bytes = 0;
    let result = (|| {
        stream.write_all(head)?;
        for byte in body {
            if !pause(shared, every) {
                return Err(io::ErrorKind::Interrupted.into());
            }
            stream.write_all(std::slice::from_ref(byte))?;
            body_bytes += 1;
        }
        stream.shutdown(Shutdown::Write)
    })();
    Written {
        body_bytes,
        error: result.err().map(|e| e.kind()),
    }
}

fn flood(stream: &mut TcpStream, head: &[u8], total: usize, chunked: bool) -> Written {
    let mut body_bytes = 0;
    let result = (|| {
        stream.write_all(head)?;
        while body_bytes < total {
            let len = FILLER.len().min(total - body_bytes);
            if chunked {
                stream.write_all(format!("{len:x}\r\n").as_bytes())?;
            }
            // `write`, not `write_all`: every byte the kernel took is counted.
            let mut chunk = &FILLER[..len];
            while !chunk.is_empty() {
                let n = stream.write(chunk)?;
                if n == 0 {
                    return Err(io::ErrorKind::WriteZero.into());
                }
                body_bytes += n;
                chunk = &chunk[n..];
            }
            if chunked {
                stream.write_all(b"\r\n")?;
            }
        }
        if chunked {
            stream.write_all(b"0\r\n\r\n")?;
        }
        stream.shutdown(Shutdown::Write)
    })();
    Written {
        body_bytes,
        error: result.err().map(|e| e.kind()),
    }
}
