//! `--dry-run`: the exact request an update would send, printed instead of
//! sent.
//!
//! katapult-core has no public way to build a request without sending it,
//! so this assembles one from the same parts: the URL from a client built
//! with the same settings (so the base URL is checked and joined exactly
//! as it is for a real call), method, path and the generated client's own
//! headers from the fragment ([`UpdateDiskFlags`]), the token and user
//! agent as katapult-core's request hook sets them, and the body as serde
//! encodes it for the wire. A test sends the same request to a loopback
//! server and compares it with this output, so the two cannot drift apart
//! unnoticed.

use std::fmt::Write as _;

use katapult_core::Client;
use katapult_core::types::UpdateDiskBody;

use crate::generated::UpdateDiskFlags;

/// The request, as text: request line, headers sorted by name (the token
/// shown as `Bearer <redacted>`), a blank line, and the body exactly as it
/// would be sent.
pub fn render(client: &Client, body: &UpdateDiskBody) -> Result<String, serde_json::Error> {
    let url = format!("{}{}", client.base_url(), UpdateDiskFlags::PATH);
    let host = url::host_of(&url);
    let json = serde_json::to_string(body)?;
    let mut headers: Vec<(&str, String)> = UpdateDiskFlags::HEADERS
        .iter()
        .map(|(name, value)| (*name, (*value).to_owned()))
        .collect();
    headers.extend([
        ("authorization", "Bearer <redacted>".to_owned()),
        ("content-length", json.len().to_string()),
        ("host", host),
        ("user-agent", client.user_agent().to_owned()),
    ]);
    headers.sort_by(|a, b| a.0.cmp(b.0));

    let mut out = format!("{} {url}\n", UpdateDiskFlags::METHOD);
    for (name, value) in headers {
        let _ = writeln!(out, "{name}: {value}");
    }
    let _ = writeln!(out, "\n{json}");
    Ok(out)
}

mod url {
    /// The `Host` header for a URL the client accepted: authority without
    /// credentials (the client refuses URLs with any), port only when it is
    /// not the scheme's default (as the HTTP client writes it).
    pub(super) fn host_of(url: &str) -> String {
        let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
        let authority = rest.split('/').next().unwrap_or(rest);
        let default_port = match scheme {
            "http" => ":80",
            _ => ":443",
        };
        authority
            .strip_suffix(default_port)
            .unwrap_or(authority)
            .to_owned()
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn hosts() {
            for (url, host) in [
                (
                    "https://api.katapult.io/core/v1/disks/disk",
                    "api.katapult.io",
                ),
                ("http://127.0.0.1:8080/disks/disk", "127.0.0.1:8080"),
                ("https://example.com:443/x", "example.com"),
                ("http://[::1]:9/x", "[::1]:9"),
            ] {
                assert_eq!(super::host_of(url), host, "{url}");
            }
        }
    }
}
