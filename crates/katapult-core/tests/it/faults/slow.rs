//! Servers that never answer, or answer too slowly.

use std::time::{Duration, Instant};

use katapult_core::{NetworkErrorKind, RetryPolicy};
use katapult_test_server::{Reply, Server, head};

use super::*;
use crate::support::{bounded, rename};

#[tokio::test]
async fn a_server_that_never_answers_times_out_within_the_timeout() {
    bounded(LIMIT, async {
        let timeout = Duration::from_millis(500);
        let server = Server::start(|_, _| Reply::Hang).await;
        // One attempt, to see what bounds it (Update disk is safe to send
        // twice, so by default its timeouts are retried; see the retry tests).
        let client = client_with(&server, |b| b.timeout(timeout).retry(RetryPolicy::none()));
        let started = Instant::now();
        let error = client.update_disk(rename("disk_1", "x")).await.unwrap_err();
        let took = started.elapsed();

        let transport = transport(&error);
        assert_eq!(transport.kind(), NetworkErrorKind::Timeout);
        assert_eq!(transport.attempts(), 1);
        assert_eq!(server.hits(), 1);
        assert!(took >= timeout, "{took:?}");
        assert!(transport.elapsed() >= timeout, "{:?}", transport.elapsed());
        assert!(took < timeout + SLACK, "{took:?}");
        assert_eq!(
            error.to_string(),
            format!(
                "no complete response from {} within the 500ms timeout; the update may or may \
                 not have been applied: check the disk before retrying, or raise \
                 ClientBuilder::timeout (or CallOptions::timeout)",
                url(&server)
            )
        );
    })
    .await;
}

#[tokio::test]
async fn a_body_trickled_byte_by_byte_past_the_timeout_times_out() {
    bounded(LIMIT, async {
        let timeout = Duration::from_millis(500);
        let every = Duration::from_millis(50);
        let body = disk_json("disk_1");
        let body_len = body.len();
        let server = Server::start(move |_, _| Reply::Trickle {
            head: head(
                200,
                &[
                    ("content-type", "application/json"),
                    ("content-length", &body_len.to_string()),
                ],
            ),
            body: body.clone().into_bytes(),
            every,
        })
        .await;
        // One attempt, to see what bounds it (Update disk is safe to send
        // twice, so by default a body that times out is retried, as a lost
        // answer is).
        let client = client_with(&server, |b| b.timeout(timeout).retry(RetryPolicy::none()));
        let started = Instant::now();
        let error = client.update_disk(rename("disk_1", "x")).await.unwrap_err();
        let took = started.elapsed();

        let transport = transport(&error);
        assert_eq!(transport.kind(), NetworkErrorKind::Timeout);
        assert_eq!(transport.attempts(), 1);
        assert_eq!(server.hits(), 1);
        assert!(took >= timeout, "{took:?}");
        assert!(took < timeout + SLACK, "{took:?}");
        // The client hung up mid-trickle: the server's writes failed before
        // the whole body (one byte per 50 ms) was sent.
        let written = server.written(1).await;
        assert!(written.error.is_some(), "{written:?}");
        assert!(written.body_bytes < body_len, "{written:?} of {body_len}");
    })
    .await;
}
