//! Reading a response body into memory, never past the client's limit.

use bytes::Bytes;

/// A body read into memory (a cheap, shared handle), and the limit it
/// exceeded, if it did.
pub(crate) struct Buffered {
    pub(crate) bytes: Bytes,
    pub(crate) too_large: Option<usize>,
}

/// Reads the whole body of `response`, up to `limit` bytes: the call path
/// decodes from memory and keeps the bytes (`Response::raw_body`, the
/// errors), and no server can make the client allocate without bound. A body over the limit is not read past it, and not kept.
pub(crate) async fn read(
    response: &mut reqwest::Response,
    limit: usize,
) -> reqwest::Result<Buffered> {
    let declared = response
        .content_length()
        .and_then(|n| usize::try_from(n).ok());
    if declared.is_some_and(|n| n > limit) {
        // Refused on its declared length: not read at all.
        return Ok(Buffered {
            bytes: Bytes::new(),
            too_large: Some(limit),
        });
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = response.chunk().await? {
        let needed = body.len() + chunk.len();
        if needed > limit {
            // Nothing reads a body that was cut off.
            return Ok(Buffered {
                bytes: Bytes::new(),
                too_large: Some(limit),
            });
        }
        // Grow in powers of two, as `Vec` would, but never past the limit:
        // the buffer's capacity is what `max_response_bytes` bounds (while it
        // grows, the old and new buffers together are at most 1.5 times a
        // power-of-two limit, twice another).
        if needed > body.capacity() {
            let target = needed.next_power_of_two().min(limit);
            body.reserve_exact(target - body.len());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Buffered {
        bytes: Bytes::from(body),
        too_large: None,
    })
}
