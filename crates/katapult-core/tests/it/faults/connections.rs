//! Connections that break, answers that are not HTTP, redirects.

use katapult_core::types::{AttachDiskBody, DiskLookup};
use katapult_core::{NetworkErrorKind, ResponseProblem};
use katapult_test_server::{Reply, Server, katapult, response};

use super::*;
use crate::support::{bounded, rename};

#[tokio::test]
async fn a_connection_closed_before_the_status_line_is_retried_then_interrupted() {
    bounded(LIMIT, async {
        let server = Server::start(|_, _| Reply::Close(Vec::new())).await;
        let error = client(&server)
            .update_disk(rename("disk_1", "x"))
            .await
            .unwrap_err();

        let transport = transport(&error);
        assert_eq!(transport.kind(), NetworkErrorKind::Interrupted);
        // A failed exchange with no response is retried (the update is
        // idempotent), each time on a new connection.
        assert_eq!(transport.attempts(), 4);
        assert_eq!(server.hits(), 4);
        assert_eq!(server.connections(), 4);
        assert_eq!(error.status(), None);
        assert!(error.is_retryable());
        let text = error.to_string();
        assert!(
            text.starts_with(&format!(
                "the connection to {} broke before a complete response (",
                url(&server)
            )),
            "{text}"
        );
        assert!(text.contains("(after 4 attempts over "), "{text}");
    })
    .await;
}

#[tokio::test]
async fn a_connection_closed_before_the_status_line_once_then_answered_succeeds() {
    bounded(LIMIT, async {
        let body = disk_json("disk_1");
        let server = Server::start(move |_, n| match n {
            1 => Reply::Close(Vec::new()),
            _ => Reply::KeepAlive(katapult(200, &body, "req-2")),
        })
        .await;
        let response = client(&server)
            .update_disk(rename("disk_1", "x"))
            .await
            .unwrap();
        assert_eq!(response.meta().attempts(), 2);
        assert_eq!(response.meta().request_id(), Some("req-2"));
        assert_eq!(server.hits(), 2);
        assert_eq!(server.connections(), 2);
    })
    .await;
}

/// Katapult's 200 with the disk, cut off 40 bytes into its body: the
/// status has arrived, the answer is lost in the body.
fn cut_in_the_body(body: &str, request_id: &str) -> Reply {
    let full = katapult(200, body, request_id);
    // Headers and the first 40 bytes of a declared longer body.
    let head_len = full.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    Reply::Close(full[..head_len + 40].to_vec())
}

#[tokio::test]
async fn an_unsafe_write_whose_body_breaks_is_interrupted_and_not_retried() {
    bounded(LIMIT, async {
        let body = disk_json("disk_1");
        let server = Server::start(move |_, _| cut_in_the_body(&body, "req-cut")).await;
        // attach_disk is not safe to send twice (`x-idempotent: false`).
        let error = client(&server)
            .attach_disk(AttachDiskBody {
                disk: DiskLookup {
                    id: "disk_1".into(),
                },
            })
            .await
            .unwrap_err();

        let transport = transport(&error);
        assert_eq!(transport.kind(), NetworkErrorKind::Interrupted);
        // The server may have applied the write; its body broke after the
        // status, and a second copy could attach twice: not repeated.
        assert_eq!(transport.attempts(), 1);
        assert_eq!(server.hits(), 1);
        assert!(error.is_retryable());
        assert_eq!(error.status(), None);
        let text = error.to_string();
        assert!(
            text.starts_with(&format!(
                "the connection to {}/disks/disk/attach broke before a complete response (",
                server.base_url()
            )),
            "{text}"
        );
        assert!(!text.contains("attempts"), "{text}");
    })
    .await;
}

#[tokio::test]
async fn a_safe_read_whose_body_breaks_is_retried_and_succeeds() {
    bounded(LIMIT, async {
        let body = disk_json("disk_1");
        let server = Server::start(move |_, n| match n {
            1 => cut_in_the_body(&body, "req-1"),
            _ => Reply::KeepAlive(katapult(200, &body, "req-2")),
        })
        .await;
        // get_disk is safe to send twice: its body is read inside the
        // attempt, so a break is a lost answer, retried as one.
        let response = client(&server).get_disk("disk_1").await.unwrap();
        assert_eq!(response.disk.id.as_deref(), Some("disk_1"));
        assert_eq!(response.meta().attempts(), 2);
        assert_eq!(response.meta().request_id(), Some("req-2"));
        assert_eq!(server.hits(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_safe_write_whose_body_always_breaks_is_retried_within_the_budget() {
    bounded(LIMIT, async {
        let body = disk_json("disk_1");
        let server = Server::start(move |_, _| cut_in_the_body(&body, "req-cut")).await;
        // update_disk sets absolute values: safe to send twice.
        let error = client(&server)
            .update_disk(rename("disk_1", "x"))
            .await
            .unwrap_err();

        let transport = transport(&error);
        assert_eq!(transport.kind(), NetworkErrorKind::Interrupted);
        assert_eq!(transport.attempts(), 4);
        assert_eq!(server.hits(), 4);
        assert!(error.is_retryable());
        let text = error.to_string();
        assert!(text.contains("(after 4 attempts over "), "{text}");
    })
    .await;
}

#[tokio::test]
async fn an_answer_that_is_not_http_is_retried_then_interrupted() {
    bounded(LIMIT, async {
        // Something else listening on the port: an SSH banner, say.
        let server = Server::start(|_, _| Reply::Close(b"SSH-2.0-OpenSSH_9.6\r\n".to_vec())).await;
        let error = client(&server).update_disk(rename("disk_1", "x")).await.unwrap_err();

        let transport = transport(&error);
        assert_eq!(transport.kind(), NetworkErrorKind::Interrupted);
        assert_eq!(transport.attempts(), 4);
        assert_eq!(server.hits(), 4);
        assert_eq!(error.status(), None);
        let text = error.to_string();
        assert!(
            text.starts_with(&format!(
                "the connection to {} broke before a complete response (invalid HTTP version parsed) (after 4 attempts over ",
                url(&server)
            )),
            "{text}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    bounded(LIMIT, async {
        let server = Server::start(|_, _| {
            Reply::KeepAlive(response(307, &[("location", "/elsewhere")], ""))
        })
        .await;
        let error = client(&server)
            .update_disk(rename("disk_1", "x"))
            .await
            .unwrap_err();

        // The API never redirects; one that does is surprising, and following
        // it would send the PATCH somewhere the caller did not name.
        let invalid = invalid(&error);
        assert!(
            matches!(invalid.problem(), ResponseProblem::UnexpectedStatus),
            "{invalid:?}"
        );
        assert_eq!(invalid.meta().status().as_u16(), 307);
        assert_eq!(
            invalid.meta().headers().get("location").unwrap(),
            "/elsewhere"
        );
        assert_eq!(server.hits(), 1);
        assert_eq!(
            error.to_string(),
            "the API answered 307, which this operation does not document"
        );
    })
    .await;
}

#[tokio::test]
async fn a_redirect_without_a_location_is_an_undocumented_status() {
    bounded(LIMIT, async {
        let server = Server::start(|_, _| Reply::KeepAlive(response(302, &[], "moved"))).await;
        let error = client(&server)
            .update_disk(rename("disk_1", "x"))
            .await
            .unwrap_err();

        let invalid = invalid(&error);
        assert!(
            matches!(invalid.problem(), ResponseProblem::UnexpectedStatus),
            "{invalid:?}"
        );
        assert_eq!(invalid.meta().status().as_u16(), 302);
        assert_eq!(invalid.meta().attempts(), 1);
        assert_eq!(invalid.body().as_ref(), b"moved");
        assert_eq!(server.hits(), 1);
        assert_eq!(
            error.to_string(),
            "the API answered 302, which this operation does not document"
        );
    })
    .await;
}
