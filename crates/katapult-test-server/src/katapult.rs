//! What Katapult puts on the wire: the headers of every answer, the error
//! envelope, the disk a request names.

use crate::{Request, response};

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

/// Katapult's error envelope as text; `detail` is JSON.
pub fn envelope(code: &str, description: &str, detail: &str) -> String {
    format!(r#"{{"error":{{"code":"{code}","description":"{description}","detail":{detail}}}}}"#)
}

/// `disk.id` of an update's body ("" if there is none).
pub fn disk_id(request: &Request) -> String {
    serde_json::from_slice::<serde_json::Value>(request.body())
        .ok()
        .and_then(|body| body["disk"]["id"].as_str().map(str::to_owned))
        .unwrap_or_default()
}
