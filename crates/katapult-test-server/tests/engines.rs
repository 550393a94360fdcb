//! Both engines (`Server::start` on the test's runtime,
//! `Server::start_in_background` on threads) give the same replies: each
//! test runs against each. The client is a plain blocking socket with a
//! read timeout, run off the runtime.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use katapult_test_server::{Reply, Request, Server, head, response};

const REQUEST: &[u8] = b"PATCH /disks/disk HTTP/1.1\r\ncontent-length: 2\r\nX-Name: v\r\n\r\n{}";

type Script = fn(&Request, usize) -> Reply;

async fn both(script: Script) -> [Server; 2] {
    [
        Server::start(script).await,
        Server::start_in_background(script),
    ]
}

fn connect(server: &Server) -> TcpStream {
    let address = server.base_url().trim_start_matches("http://").to_owned();
    let stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

/// Everything until the server closes the connection.
fn read_to_close(mut stream: TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    stream
        .read_to_end(&mut all)
        .expect("the server closes within the read timeout");
    all
}

/// Runs blocking client code off the runtime the first engine serves on.
async fn off_runtime<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Fails the test if `future` takes longer than 30 s.
async fn bounded<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(30), future)
        .await
        .expect("the test finishes within 30 s")
}

/// Waits until the server has read `n` requests in full.
async fn hits(server: &Server, n: usize) {
    while server.hits() < n {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_then_close_numbers_and_records_each_request() {
    for server in both(|request, n| {
        let body = format!("{n} {}", request.header("x-name").unwrap_or("?"));
        match n {
            1 => Reply::KeepAlive(response(200, &[], body)),
            _ => Reply::Close(response(201, &[], body)),
        }
    })
    .await
    {
        let mut stream = connect(&server);
        let answers = off_runtime(move || {
            stream.write_all(&[REQUEST, REQUEST].concat()).unwrap();
            read_to_close(stream)
        })
        .await;
        let answers = text(&answers);
        assert!(answers.starts_with("HTTP/1.1 200 OK\r\n"), "{answers}");
        assert!(
            answers.contains("\r\n\r\n1 vHTTP/1.1 201 Created\r\n"),
            "{answers}"
        );
        assert!(answers.ends_with("\r\n\r\n2 v"), "{answers}");
        assert_eq!((server.hits(), server.connections()), (2, 1));
        let requests = server.requests();
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].method(), "PATCH");
        assert_eq!(requests[0].target(), "/disks/disk");
        assert_eq!(requests[0].header("X-NAME"), Some("v"));
        assert_eq!(requests[1].body(), b"{}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_not_recorded_are_still_counted() {
    for server in both(|_, _| Reply::Close(response(204, &[], ""))).await {
        server.record_requests(false);
        let mut stream = connect(&server);
        off_runtime(move || {
            stream.write_all(REQUEST).unwrap();
            read_to_close(stream)
        })
        .await;
        assert_eq!(server.hits(), 1);
        assert!(server.requests().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_request_counts_as_in_flight_until_answered() {
    // The first request hangs until its client leaves; the second is
    // answered (after a wait) while the first is still held.
    for server in both(|_, n| match n {
        1 => Reply::Hang,
        _ => Reply::After(
            Duration::from_millis(20),
            Box::new(Reply::Close(response(200, &[], "second"))),
        ),
    })
    .await
    {
        let (mut first, mut second) = (connect(&server), connect(&server));
        let first = off_runtime(move || first.write_all(REQUEST).map(|()| first)).await;
        bounded(hits(&server, 1)).await;
        let answer = off_runtime(move || {
            second.write_all(REQUEST).unwrap();
            read_to_close(second)
        })
        .await;
        drop(first);
        assert!(text(&answer).ends_with("second"), "{}", text(&answer));
        assert_eq!(server.most_in_flight(), 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_and_a_trickle_report_what_they_wrote() {
    for server in both(|_, n| match n {
        1 => Reply::Flood {
            head: head(200, &[("transfer-encoding", "chunked")]),
            total: 200 * 1024,
            chunked: true,
        },
        _ => Reply::Trickle {
            head: head(200, &[("content-length", "3")]),
            body: b"abc".to_vec(),
            every: Duration::from_millis(5),
        },
    })
    .await
    {
        for _ in 0..2 {
            let mut stream = connect(&server);
            off_runtime(move || {
                stream.write_all(REQUEST).unwrap();
                read_to_close(stream)
            })
            .await;
        }
        let flooded = bounded(server.written(1)).await;
        assert_eq!((flooded.body_bytes, flooded.error), (200 * 1024, None));
        let trickled = bounded(server.written(2)).await;
        assert_eq!((trickled.body_bytes, trickled.error), (3, None));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_server_closes_a_hanging_connection() {
    for server in both(|_, _| Reply::Hang).await {
        let mut stream = connect(&server);
        let mut reader = stream.try_clone().unwrap();
        off_runtime(move || stream.write_all(REQUEST).unwrap()).await;
        bounded(hits(&server, 1)).await;
        drop(server);
        let read = off_runtime(move || reader.read(&mut [0u8; 16])).await;
        assert_eq!(read.unwrap(), 0, "closed, not timed out");
    }
}
