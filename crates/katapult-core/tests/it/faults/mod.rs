//! The client against a hostile network: a raw-TCP server on 127.0.0.1
//! (`katapult_test_server`) that sends exactly the bytes each fault
//! needs. One test per fault, each with its exact expected outcome: the
//! `Error` variant and kind, status, body, attempts on both sides. One
//! module per kind of fault.

mod bodies;
mod connections;
mod overload;
mod size;
mod slow;

use std::time::Duration;

use katapult_core::{Client, Error};
use katapult_core_httpmock::fixtures;
use katapult_test_server::{Server, envelope};

use crate::support::{TOKEN, fast_retries};

/// No test here may take longer than this.
const LIMIT: Duration = Duration::from_secs(30);

/// Generous allowance on top of a configured budget for an upper bound on
/// elapsed time: scheduling on a loaded 2-core machine, never speed.
const SLACK: Duration = Duration::from_secs(5);

const MIB: usize = 1024 * 1024;

fn disk_json(id: &str) -> String {
    serde_json::to_string(&fixtures::update_disk_response(id)).unwrap()
}

fn rate_limited() -> String {
    envelope(
        "rate_limit_reached",
        "You have reached the rate limit for this type of request",
        r#"{"total_permitted":1000}"#,
    )
}

fn unavailable() -> String {
    envelope(
        "service_unavailable",
        "The service is currently unavailable, please try again later",
        "{}",
    )
}

/// The test client: fast retries (4 attempts), 5 s per attempt.
fn client(server: &Server) -> Client {
    crate::support::client(&server.base_url())
}

fn client_with(
    server: &Server,
    configure: impl FnOnce(katapult_core::ClientBuilder) -> katapult_core::ClientBuilder,
) -> Client {
    configure(
        Client::builder()
            .token(TOKEN)
            .base_url(server.base_url())
            .retry(fast_retries())
            .timeout(Duration::from_secs(5)),
    )
    .build()
    .unwrap()
}

fn url(server: &Server) -> String {
    format!("{}/disks/disk", server.base_url())
}

fn api(error: &Error) -> &katapult_core::ApiError {
    error
        .as_api()
        .unwrap_or_else(|| panic!("expected Error::Api, got {error:?}"))
}

fn invalid(error: &Error) -> &katapult_core::InvalidResponse {
    match error {
        Error::InvalidResponse(invalid) => invalid,
        other => panic!("expected Error::InvalidResponse, got {other:?}"),
    }
}

fn transport(error: &Error) -> &katapult_core::NetworkError {
    match error {
        Error::Network(transport) => transport,
        other => panic!("expected Error::Network, got {other:?}"),
    }
}
