//! A request built exactly as the call path builds it, to look at instead of
//! sending: what `--dry-run` prints, and what a caller logs or tests against.

use std::fmt;

use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, HOST, HeaderMap, HeaderValue};
use reqwest::{Method, Url};

/// The request an operation would send, built by the same code as the one it
/// does send, and not sent: method, URL (query included), headers and body
/// byte for byte, with the token redacted.
///
/// Each operation has a method that returns one:
/// [`Client::prepare_update_disk`](crate::Client::prepare_update_disk) takes
/// what [`Client::update_disk`](crate::Client::update_disk) takes, by
/// reference.
/// `Display` writes it as text: the request line, the headers sorted by
/// name, a blank line, and the body.
///
/// ```
/// use katapult_core::Client;
/// use katapult_core::types::{DiskArguments, DiskLookup, UpdateDiskBody};
///
/// let client = Client::builder().token("secret").build()?;
/// let request = client.prepare_update_disk(&UpdateDiskBody {
///     disk: DiskLookup { id: "disk_1".into() },
///     properties: DiskArguments { name: Some("logs".into()), ..Default::default() },
///     annotations: None,
/// })?;
/// assert_eq!(request.method(), "PATCH");
/// assert_eq!(request.url().as_str(), "https://api.katapult.io/core/v1/disks/disk");
/// assert_eq!(request.headers()["authorization"], "Bearer <redacted>");
/// assert_eq!(request.body(), br#"{"disk":{"id":"disk_1"},"properties":{"name":"logs"}}"#);
/// assert!(!request.to_string().contains("secret"));
/// # Ok::<(), katapult_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PreparedRequest {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Bytes,
}

impl PreparedRequest {
    /// The request as the call path built it, with what the HTTP client
    /// adds on the way out (`Host`, and `Content-Length` for a body) and the
    /// token replaced by `<redacted>`.
    pub(crate) fn new(mut request: reqwest::Request, body: Bytes) -> Self {
        let url = request.url().clone();
        let mut headers = std::mem::take(request.headers_mut());
        if headers.contains_key(AUTHORIZATION) {
            headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer <redacted>"));
        }
        if let Some(host) = url.host_str() {
            // As hyper writes it: the port only when not the scheme's default
            // (which `Url` has already dropped).
            let host = match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_owned(),
            };
            if let Ok(host) = HeaderValue::from_str(&host) {
                headers.insert(HOST, host);
            }
        }
        if request.body().is_some() {
            headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        }
        Self {
            method: request.method().clone(),
            url,
            headers,
            body,
        }
    }

    /// The HTTP method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The URL: the client's base URL, the operation's path and its query.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Every header the request carries on the wire, `Authorization` as
    /// `Bearer <redacted>`.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body exactly as it would be sent; empty for an operation without
    /// one.
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

impl fmt::Display for PreparedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} {}", self.method, self.url)?;
        let mut headers: Vec<_> = self.headers.iter().collect();
        headers.sort_by_key(|(name, _)| name.as_str());
        for (name, value) in headers {
            writeln!(f, "{name}: {}", String::from_utf8_lossy(value.as_bytes()))?;
        }
        write!(f, "\n{}", String::from_utf8_lossy(&self.body))
    }
}
