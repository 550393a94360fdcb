//! Bodies over the size limit: neither read past it nor buffered whole
//! (the heap is counted by `crate::heap`).

use katapult_core::{DEFAULT_MAX_RESPONSE_BYTES, ResponseProblem};
use katapult_test_server::{Reply, Server, head};

use super::*;
use crate::heap::peak_heap;
use crate::support::{bounded, rename};

/// Serialises the tests that move megabytes: four 64 MiB servers at once
/// would only measure the machine.
static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A 64 MiB body: eight times the default limit, and more than the
/// loopback socket buffers of this machine can absorb.
const HUGE: usize = 64 * MIB;

async fn oversized(chunked: bool, declared: bool) {
    let _heavy = HEAVY.lock().await;
    let server = Server::start(move |_, _| {
        let length = HUGE.to_string();
        let mut headers = vec![("content-type", "application/json")];
        if chunked {
            headers.push(("transfer-encoding", "chunked"));
        } else if declared {
            headers.push(("content-length", length.as_str()));
        }
        // Neither: the body runs to the end of the connection.
        Reply::Flood {
            head: head(200, &headers),
            total: HUGE,
            chunked,
        }
    })
    .await;
    let client = client(&server);
    let (result, peak) = peak_heap(client.update_disk(rename("disk_1", "x"))).await;
    let error = result.unwrap_err();

    let invalid = invalid(&error);
    assert!(
        matches!(invalid.problem(), ResponseProblem::TooLarge { limit } if *limit == DEFAULT_MAX_RESPONSE_BYTES),
        "{invalid:?}"
    );
    assert_eq!(invalid.meta().status().as_u16(), 200);
    assert_eq!(invalid.meta().attempts(), 1);
    assert_eq!(server.hits(), 1);
    assert!(invalid.body().is_empty(), "the cut-off body is not kept");
    assert!(!error.is_retryable());
    assert_eq!(
        error.to_string(),
        "the 200 response body exceeded the client's 8388608-byte limit and was not read \
         further; the update was probably applied: fetch the disk to see its state; raise \
         ClientBuilder::max_response_bytes if such bodies are expected"
    );

    // The client hung up: the server could not send the whole body.
    let written = bounded(LIMIT, server.written(1)).await;
    assert!(written.error.is_some(), "{written:?}");
    assert!(written.body_bytes < HUGE, "{written:?}");
    // Nor did the client hold it. Refused on its declared length, nothing
    // of the body is buffered. Otherwise the buffer's capacity never exceeds
    // the limit, growing in powers of two; the counter charges a `realloc`
    // old plus new, at most 1.5 x this power-of-two limit, plus 2 MiB for the
    // HTTP stack's own buffers. Either way far below the 64 MiB offered.
    let ceiling = if declared && !chunked {
        MIB
    } else {
        DEFAULT_MAX_RESPONSE_BYTES * 3 / 2 + 2 * MIB
    };
    assert!(
        peak < ceiling,
        "peak heap {peak} bytes during the call (ceiling {ceiling}); server wrote {} bytes",
        written.body_bytes
    );
    eprintln!(
        "oversized (chunked: {chunked}, declared: {declared}): peak heap {:.1} MiB, server wrote {:.1} MiB of {} MiB",
        peak as f64 / MIB as f64,
        written.body_bytes as f64 / MIB as f64,
        HUGE / MIB
    );
}

#[tokio::test]
async fn an_oversized_body_with_content_length_is_refused_unread() {
    bounded(LIMIT, oversized(false, true)).await;
}

#[tokio::test]
async fn an_oversized_chunked_body_is_cut_at_the_limit() {
    bounded(LIMIT, oversized(true, false)).await;
}

#[tokio::test]
async fn an_oversized_body_delimited_by_close_is_cut_at_the_limit() {
    bounded(LIMIT, oversized(false, false)).await;
}

#[tokio::test]
async fn the_limit_is_exact_a_body_of_the_limit_is_read_one_more_byte_is_not() {
    bounded(LIMIT, async {
        let limit = 4096;
        for chunked in [false, true] {
            for extra in [0, 1] {
                // Valid JSON padded with spaces to `limit + extra` bytes.
                let mut body = disk_json("disk_1");
                body.push_str(&" ".repeat(limit + extra - body.len()));
                let length = body.len().to_string();
                let server = Server::start(move |_, _| {
                    let framing = if chunked {
                        ("transfer-encoding", "chunked")
                    } else {
                        ("content-length", length.as_str())
                    };
                    let mut bytes = head(200, &[("content-type", "application/json"), framing]);
                    if chunked {
                        // Two chunks, so the limit falls inside the second.
                        let (a, b) = body.as_bytes().split_at(limit / 2);
                        for part in [a, b] {
                            bytes.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
                            bytes.extend_from_slice(part);
                            bytes.extend_from_slice(b"\r\n");
                        }
                        bytes.extend_from_slice(b"0\r\n\r\n");
                    } else {
                        bytes.extend_from_slice(body.as_bytes());
                    }
                    Reply::KeepAlive(bytes)
                })
                .await;
                let client = client_with(&server, |b| b.max_response_bytes(limit));
                let result = client.update_disk(rename("disk_1", "x")).await;
                match extra {
                    0 => {
                        let response = result.unwrap_or_else(|e| panic!("chunked {chunked}: {e:?}"));
                        assert_eq!(response.raw_body().len(), limit);
                    }
                    _ => {
                        let error = result.unwrap_err();
                        assert!(
                            matches!(invalid(&error).problem(), ResponseProblem::TooLarge { limit: l } if *l == limit),
                            "chunked {chunked}: {error:?}"
                        );
                    }
                }
                assert_eq!(server.hits(), 1);
            }
        }
    })
    .await;
}
