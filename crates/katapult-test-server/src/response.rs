//! The bytes of responses, for scripts to send whole, cut off or bent.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `HTTP/1.1 <status> <reason>` and the headers, ending with the blank line.
/// Adds no `Content-Length`: include one in `headers` if wanted.
pub fn head(status: u16, headers: &[(&str, &str)]) -> Vec<u8> {
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Whatever");
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// A complete response with a correct `Content-Length`.
pub fn response(status: u16, headers: &[(&str, &str)], body: impl AsRef<[u8]>) -> Vec<u8> {
    let body = body.as_ref();
    let length = body.len().to_string();
    let mut all: Vec<(&str, &str)> = headers.to_vec();
    all.push(("content-length", &length));
    let mut out = head(status, &all);
    out.extend_from_slice(body);
    out
}

/// `headers` with each of `overrides` replacing the header of its name
/// (any case), or, with an empty value, removing it.
pub fn overridden<'a>(
    headers: &[(&'a str, &'a str)],
    overrides: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut out = headers.to_vec();
    for (name, value) in overrides {
        out.retain(|(existing, _)| !existing.eq_ignore_ascii_case(name));
        if !value.is_empty() {
            out.push((name, value));
        }
    }
    out
}

/// Seconds since the Unix epoch as an IMF-fixdate, the form of `Date`
/// (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn http_date(unix: u64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(unix))
}

/// The current time as a `Date` header, by the system clock.
pub fn http_date_now() -> String {
    http_date(unix_now())
}

/// Seconds since the Unix epoch, by the system clock.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs()
}
