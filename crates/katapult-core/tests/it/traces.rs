//! Tracing output. Alone in its test binary: the capture is per thread, and
//! a client running on another thread of the same process at the same
//! moment can leave the callsite disabled for this one.

use std::time::Duration;

use crate::support::{TOKEN, bounded, client, katapult, rename, scripted};
use katapult_core_httpmock::fixtures;
use katapult_test_server::envelope;

const LIMIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "current_thread")]
async fn each_attempt_is_traced_without_the_token() {
    let (captured, _guard) = crate::support::capture_traces();
    bounded(LIMIT, async {
        let (server, _) = scripted(|n| match n {
            1 => katapult(
                503,
                &envelope("service_unavailable", "Unavailable", "{}"),
                "req-a",
            ),
            _ => katapult(
                200,
                &serde_json::to_string(&fixtures::update_disk_response("d")).unwrap(),
                "req-b",
            ),
        })
        .await;
        client(&server.base_url())
            .update_disk(rename("d", "x"))
            .await
            .unwrap();
    })
    .await;
    let text = captured.text();
    for expected in [
        "katapult.request",
        "operation=\"update_disk\"",
        "method=PATCH",
        "/disks/disk",
        "attempt=1",
        "attempt=2",
        "status=503",
        "status=200",
        "request_id=\"req-b\"",
        "duration_ms=",
        "cause=\"unavailable\"",
    ] {
        assert!(
            text.contains(expected),
            "missing {expected:?} in traces:\n{text}"
        );
    }
    assert!(!text.contains(TOKEN), "token leaked into traces:\n{text}");
}
