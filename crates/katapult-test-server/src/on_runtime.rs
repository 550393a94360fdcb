//! The engine of [`Server::start`]: an accept loop and one task per
//! connection, on the runtime of the test that started it.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinSet;

use crate::server::{Engine, FILLER, Held, IDLE_LIMIT, Parsed, Script, Shared, parse};
use crate::{Reply, Request, Server, Written};

/// Binds 127.0.0.1 on a free port and spawns the accept loop on the
/// current runtime.
pub(crate) fn start(script: Arc<Script>) -> Server {
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
    Server {
        addr,
        shared,
        engine: Engine::Runtime(task),
    }
}

async fn serve(mut stream: TcpStream, shared: Arc<Shared>, script: Arc<Script>) {
    let _ = stream.set_nodelay(true);
    let mut buffer = Vec::new();
    while let Some(request) = read_request(&mut stream, &mut buffer).await {
        let n = shared.record(&request);
        let held = shared.hold();
        if !reply(&mut stream, &shared, script(&request, n), held).await {
            return;
        }
    }
}

/// Does `reply` on the connection; whether it stays open for the next
/// request.
async fn reply(stream: &mut TcpStream, shared: &Shared, reply: Reply, held: Held<'_>) -> bool {
    match reply {
        Reply::KeepAlive(bytes) => {
            // Answered once its bytes start out: the client may send its
            // next request as soon as they arrive.
            drop(held);
            write(stream, &bytes).await.is_ok()
        }
        Reply::Close(bytes) => {
            drop(held);
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
            shared.report(trickle(stream, &head, &body, every).await);
            false
        }
        Reply::Flood {
            head,
            total,
            chunked,
        } => {
            shared.report(flood(stream, &head, total, chunked).await);
            false
        }
        Reply::After(wait, then) => {
            tokio::time::sleep(wait).await;
            Box::pin(self::reply(stream, shared, *then, held)).await
        }
    }
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

/// The next request on the connection, keeping what follows it in
/// `buffer`; `None` at EOF, on anything unparseable, or when the client
/// goes quiet for [`IDLE_LIMIT`].
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<Request> {
    loop {
        match parse(buffer) {
            Parsed::Request(request, used) => {
                buffer.drain(..used);
                return Some(request);
            }
            Parsed::Invalid => return None,
            Parsed::Incomplete if !read_more(stream, buffer).await => return None,
            Parsed::Incomplete => {}
        }
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
