//! Bodies that are wrong: a proxy's page, truncated or misshapen JSON.

use katapult_core::{ErrorBody, ResponseProblem};
use katapult_core_httpmock::fixtures;
use katapult_test_server::{Reply, Server, katapult, response};

use super::*;
use crate::support::{bounded, rename};

#[tokio::test]
async fn an_html_502_from_a_proxy_is_an_api_error_keeping_the_page() {
    bounded(LIMIT, async {
        let page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
        let server = Server::start(move |_, _| {
            Reply::KeepAlive(response(502, &[("content-type", "text/html"), ("server", "nginx")], page))
        })
        .await;
        let error = client(&server).update_disk(rename("disk_1", "x")).await.unwrap_err();

        let api = api(&error);
        assert_eq!(api.meta().status().as_u16(), 502);
        // Safe to send twice (`x-idempotent`): retried to the budget.
        assert!(api.meta().attempts() > 1, "502 of a safe operation is retried");
        assert_eq!(server.hits(), api.meta().attempts() as usize);
        assert_eq!(error.code(), None);
        let ErrorBody::Text(text) = api.body() else {
            panic!("expected the page as text, got {:?}", api.body());
        };
        assert_eq!(text, page);
        assert!(error.is_retryable());
        // The elapsed time in the message varies with the machine.
        let text = error.to_string();
        assert!(
            text.starts_with("502 Bad Gateway: not a Katapult error (text/html): <html> <head><title>502 Bad \
             Gateway</title></head> <body> <center><h1>502 Bad Gateway</h1></center> \
             <hr><center>nginx</center> </body> </html>"),
            "{text}"
        );
        assert!(text.contains(" (after 4 attempts over "), "{text}");
    })
    .await;
}

#[tokio::test]
async fn an_empty_504_is_an_api_error_with_an_empty_body() {
    bounded(LIMIT, async {
        let server = Server::start(|_, _| Reply::KeepAlive(response(504, &[], ""))).await;
        let error = client(&server)
            .update_disk(rename("disk_1", "x"))
            .await
            .unwrap_err();

        let api = api(&error);
        assert_eq!(api.meta().status().as_u16(), 504);
        assert!(
            api.meta().attempts() > 1,
            "504 of a safe operation is retried"
        );
        assert_eq!(server.hits(), api.meta().attempts() as usize);
        assert!(
            matches!(api.body(), ErrorBody::Text(text) if text.is_empty()),
            "{api:?}"
        );
        assert_eq!(error.code(), None);
        assert!(error.is_retryable());
        let text = error.to_string();
        assert!(
            text.starts_with(
                "504 Gateway Timeout: empty body, not a Katapult error (after 4 attempts over "
            ),
            "{text}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_200_with_truncated_json_is_an_invalid_response_keeping_the_bytes() {
    bounded(LIMIT, async {
        let full = disk_json("disk_1");
        let cut = full[..full.len() / 2].to_owned();
        let served = cut.clone();
        let server =
            Server::start(move |_, _| Reply::KeepAlive(katapult(200, &served, "req-trunc"))).await;
        let error = client(&server)
            .update_disk(rename("disk_1", "x"))
            .await
            .unwrap_err();

        let invalid = invalid(&error);
        assert_eq!(invalid.meta().status().as_u16(), 200);
        assert_eq!(invalid.meta().attempts(), 1);
        assert_eq!(server.hits(), 1);
        assert_eq!(invalid.body().as_ref(), cut.as_bytes());
        let ResponseProblem::Undecodable(source) = invalid.problem() else {
            panic!("expected Undecodable, got {:?}", invalid.problem());
        };
        assert!(source.is_eof(), "{source}");
        assert_eq!(error.request_id(), Some("req-trunc"));
        assert!(!error.is_retryable());
        assert_eq!(
            error.to_string(),
            format!(
                "the 200 response body is not the documented JSON ({source}; {} bytes of \
                 application/json; charset=utf-8) (request req-trunc); the update was probably \
                 applied: fetch the disk to see its state",
                cut.len()
            )
        );
    })
    .await;
}

#[tokio::test]
async fn a_200_html_page_is_an_invalid_response_naming_its_content_type() {
    bounded(LIMIT, async {
        // A captive portal or a misrouted load balancer answering 200.
        let page = "<!DOCTYPE html><html><body>Please log in to continue</body></html>";
        let server = Server::start(move |_, _| {
            Reply::KeepAlive(response(
                200,
                &[("content-type", "text/html; charset=utf-8")],
                page,
            ))
        })
        .await;
        let error = client(&server)
            .update_disk(rename("disk_1", "x"))
            .await
            .unwrap_err();

        let invalid = invalid(&error);
        assert_eq!(invalid.meta().status().as_u16(), 200);
        assert_eq!(invalid.meta().attempts(), 1);
        assert_eq!(server.hits(), 1);
        assert_eq!(invalid.body().as_ref(), page.as_bytes());
        let ResponseProblem::Undecodable(source) = invalid.problem() else {
            panic!("expected Undecodable, got {:?}", invalid.problem());
        };
        assert!(source.is_syntax(), "{source}");
        assert_eq!(
            error.to_string(),
            format!(
                "the 200 response body is not the documented JSON ({source}; {} bytes of \
                 text/html; charset=utf-8); the update was probably applied: fetch the disk to \
                 see its state",
                page.len()
            )
        );
    })
    .await;
}

#[tokio::test]
async fn a_200_of_valid_json_under_a_wrong_content_type_is_decoded() {
    bounded(LIMIT, async {
        // The content type is not checked: the body is what counts.
        let body = disk_json("disk_1");
        let served = body.clone();
        let server = Server::start(move |_, _| {
            Reply::KeepAlive(response(200, &[("content-type", "text/plain")], &served))
        })
        .await;
        let response = client(&server)
            .update_disk(rename("disk_1", "x"))
            .await
            .unwrap();
        assert_eq!(*response, fixtures::update_disk_response("disk_1"));
        assert_eq!(response.raw_body().as_ref(), body.as_bytes());
        assert_eq!(response.meta().attempts(), 1);
        assert_eq!(server.hits(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_200_of_json_in_the_wrong_shape_is_an_invalid_response_keeping_the_bytes() {
    bounded(LIMIT, async {
        let body = r#"{"disk":"disk_1","annotations":{}}"#;
        let server =
            Server::start(move |_, _| Reply::KeepAlive(katapult(200, body, "req-shape"))).await;
        let error = client(&server)
            .update_disk(rename("disk_1", "x"))
            .await
            .unwrap_err();

        let invalid = invalid(&error);
        assert_eq!(invalid.meta().status().as_u16(), 200);
        assert_eq!(invalid.meta().attempts(), 1);
        assert_eq!(server.hits(), 1);
        assert_eq!(invalid.body().as_ref(), body.as_bytes());
        let ResponseProblem::Undecodable(source) = invalid.problem() else {
            panic!("expected Undecodable, got {:?}", invalid.problem());
        };
        assert!(source.is_data(), "{source}");
        assert_eq!(
            source.to_string(),
            "invalid type: string \"disk_1\", expected struct Disk at line 1 column 16"
        );
    })
    .await;
}
