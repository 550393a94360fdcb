//! An error status from Katapult (or a proxy in front of it), and its body
//! decoded as far as it goes.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};

use crate::generated::types::ErrorEnvelope;
use crate::response::ResponseMeta;
use crate::types::{self, ErrorCode};

/// An error status from Katapult, or from a proxy in front of it.
#[derive(Debug, thiserror::Error)]
pub struct ApiError {
    pub(crate) meta: ResponseMeta,
    pub(crate) code: Option<ErrorCode>,
    pub(crate) description: Option<String>,
    pub(crate) body: ErrorBody,
}

/// The body of an error response, decoded as far as it goes.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ErrorBody {
    /// Katapult's envelope with a code this version knows, and its typed `detail`.
    Known(types::KatapultError),
    /// Katapult's envelope with a code this version does not know (or a
    /// `detail` of an unexpected shape): its `detail` kept as sent. The
    /// code and description are the [`ApiError`]'s
    /// ([`code`](ApiError::code), [`description`](ApiError::description)).
    #[non_exhaustive]
    Unknown {
        /// The `detail`, as raw JSON (`null` if absent).
        detail: serde_json::Value,
    },
    /// Not Katapult's envelope: a proxy's HTML page, an empty body,
    /// truncated JSON. Kept as text (invalid UTF-8 replaced).
    Text(String),
}

impl ApiError {
    /// Status, request id, rate limit and attempts of the exchange.
    pub fn meta(&self) -> &ResponseMeta {
        &self.meta
    }

    /// The reported `code`, known or not; `None` for a non-envelope body.
    pub fn code(&self) -> Option<&ErrorCode> {
        self.code.as_ref()
    }

    /// The decoded body.
    pub fn body(&self) -> &ErrorBody {
        &self.body
    }

    /// The error's `description` as Katapult wrote it.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The error for a response with an error status: [`scan`] checks the
    /// body's shape and reads the code and description, building nothing
    /// else; then the body is decoded once more, for a known code into its
    /// typed detail, for an unknown one into its raw detail.
    pub(crate) fn from_body(meta: ResponseMeta, body: &[u8]) -> Self {
        let Some((code, description)) = scan(body) else {
            return Self::text(meta, body);
        };
        let code = ErrorCode::from(code);
        // Decoding into the typed union can only succeed for a known code.
        let typed = match code {
            ErrorCode::Unknown(_) => None,
            _ => serde_json::from_slice::<ErrorEnvelope>(body)
                .ok()
                .map(|envelope| envelope.error),
        };
        let body = match typed {
            Some(known) => ErrorBody::Known(known),
            // An unknown code, or a known one whose detail has an unexpected
            // shape: kept with its raw detail.
            None => match serde_json::from_slice::<UnknownEnvelope>(body) {
                Ok(UnknownEnvelope { error }) => ErrorBody::Unknown {
                    detail: error.detail,
                },
                Err(_) => return Self::text(meta, body),
            },
        };
        Self {
            meta,
            code: Some(code),
            description,
            body,
        }
    }

    fn text(meta: ResponseMeta, body: &[u8]) -> Self {
        Self {
            meta,
            code: None,
            description: None,
            body: ErrorBody::Text(String::from_utf8_lossy(body).into_owned()),
        }
    }

    /// The most specific human message the body holds.
    fn message(&self) -> String {
        use types::KatapultError as E;
        let known = match &self.body {
            ErrorBody::Known(known) => known,
            ErrorBody::Unknown { .. } => {
                return self
                    .description
                    .clone()
                    .unwrap_or_else(|| "(no description)".to_owned());
            }
            ErrorBody::Text(text) => return text_excerpt(text, self.meta.content_type()),
        };
        let description = self.description.clone().unwrap_or_default();
        let with = |extra: Option<String>| match extra.filter(|e| !e.is_empty()) {
            Some(extra) => format!("{description}: {extra}"),
            None => description.clone(),
        };
        match known {
            E::ValidationError {
                detail: Some(detail),
                ..
            } if !detail.errors.is_empty() => detail.errors.join("; "),
            E::InvalidArgument {
                detail: Some(detail),
                ..
            } => with(detail.issue_description.clone()),
            E::InvalidJsonBody {
                detail: Some(detail),
                ..
            } => with(detail.details.clone()),
            E::InvalidApiToken {
                detail: Some(detail),
                ..
            } => with(detail.details.clone()),
            E::PermissionDenied {
                detail: Some(detail),
                ..
            } => with(detail.details.clone()),
            E::ScopeNotGranted {
                detail: Some(detail),
                ..
            } if !detail.scopes.is_empty() => {
                with(Some(format!("missing scopes {}", detail.scopes.join(", "))))
            }
            E::UnauthorizedNetworkForApiToken {
                detail: Some(detail),
                ..
            } => with(
                detail
                    .ip_address
                    .as_ref()
                    .map(|ip| format!("request came from {ip}")),
            ),
            E::RateLimitReached {
                detail: Some(detail),
                ..
            } => with(
                detail
                    .total_permitted
                    .map(|n| format!("{n} requests per minute permitted")),
            ),
            _ => description,
        }
    }

    /// What to do next, where the message alone does not say.
    fn advice(&self) -> Option<&'static str> {
        let code = self.code.as_ref()?;
        Some(match code {
            ErrorCode::MissingApiToken | ErrorCode::InvalidApiToken => {
                "check the token (KATAPULT_API_TOKEN); it may have expired"
            }
            ErrorCode::ScopeNotGranted => "grant the token the `disks` scope",
            ErrorCode::UnauthorizedNetworkForApiToken => {
                "allow this network for the token, or call from an allowed one"
            }
            ErrorCode::DiskNotFound => "check the disk id",
            ErrorCode::RouteNotFound => "check the base URL (KATAPULT_API_URL)",
            ErrorCode::ObjectInTrash => "restore the disk from the trash first",
            ErrorCode::RateLimitReached => {
                "the limit is per minute: slow down, or give retries more time (RetryPolicy::with_max_elapsed)"
            }
            ErrorCode::ServiceUnavailable | ErrorCode::UnhandledException => {
                "try again later; if it persists, give Katapult support the request id"
            }
            _ => return None,
        })
    }
}

/// A short, single-line excerpt of a non-envelope body.
fn text_excerpt(text: &str, content_type: Option<&str>) -> String {
    const LIMIT: usize = 160;
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let kind = content_type
        .map(|ct| format!(" ({ct})"))
        .unwrap_or_default();
    if collapsed.is_empty() {
        return format!("empty body{kind}, not a Katapult error");
    }
    let excerpt: String = collapsed.chars().take(LIMIT).collect();
    let more = if collapsed.chars().count() > LIMIT {
        "..."
    } else {
        ""
    };
    format!("not a Katapult error{kind}: {excerpt}{more}")
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.meta.status;
        match &self.code {
            Some(code) => write!(f, "{} {code}: {}", status.as_u16(), self.message())?,
            None => write!(
                f,
                "{} {}: {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("Unknown Status"),
                self.message()
            )?,
        }
        let mut notes = Vec::new();
        if let Some(id) = self.meta.request_id() {
            notes.push(format!("request {id}"));
        }
        notes.extend(crate::error::retried(self.meta.attempts, self.meta.elapsed));
        if !notes.is_empty() {
            write!(f, " ({})", notes.join(", "))?;
        }
        if let Some(advice) = self.advice() {
            write!(f, "; {advice}")?;
        }
        Ok(())
    }
}

/// The envelope's `code` and `description`, read without building the rest.
type Scanned = (String, Option<String>);

/// Reads `code` and `description` from a body of the envelope's shape, a
/// JSON object whose `error` is an object with a string `code`; `None` for
/// any other body. The shape matters: serde's derived decoders also accept a
/// JSON array in place of an object (`[["disk_not_found"]]` would decode as
/// code `disk_not_found`); no API sends that, so such a body stays text.
fn scan(body: &[u8]) -> Option<Scanned> {
    struct Outer;
    struct Inner;

    impl<'de> Visitor<'de> for Outer {
        type Value = Scanned;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object with an `error` object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scanned, A::Error> {
            let mut scanned = None;
            while let Some(key) = map.next_key::<String>()? {
                if key == "error" && scanned.is_none() {
                    scanned = Some(map.next_value_seed(Inner)?);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            scanned.ok_or_else(|| de::Error::missing_field("error"))
        }
    }

    impl<'de> de::DeserializeSeed<'de> for Inner {
        type Value = Scanned;
        fn deserialize<D: de::Deserializer<'de>>(
            self,
            deserializer: D,
        ) -> Result<Scanned, D::Error> {
            deserializer.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for Inner {
        type Value = Scanned;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object with a string `code`")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scanned, A::Error> {
            let (mut code, mut description) = (None, None);
            while let Some(key) = map.next_key::<String>()? {
                match key.as_str() {
                    "code" if code.is_none() => code = Some(map.next_value::<String>()?),
                    "description" if description.is_none() => {
                        description = Some(map.next_value::<Option<String>>()?);
                    }
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            let code = code.ok_or_else(|| de::Error::missing_field("code"))?;
            Ok((code, description.flatten()))
        }
    }

    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let scanned = de::Deserializer::deserialize_map(&mut deserializer, Outer).ok()?;
    deserializer.end().ok()?;
    Some(scanned)
}

/// The envelope with a code this version does not know: only `detail` is
/// kept beyond what [`scan`] read.
#[derive(Deserialize)]
struct UnknownEnvelope {
    error: UnknownError,
}

#[derive(Deserialize)]
struct UnknownError {
    #[serde(default)]
    detail: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use reqwest::StatusCode;

    use super::*;

    fn meta(status: u16, request_id: Option<&'static str>) -> ResponseMeta {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(id) = request_id {
            headers.insert(
                "x-request-id",
                reqwest::header::HeaderValue::from_static(id),
            );
        }
        ResponseMeta {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            attempts: 1,
            elapsed: Duration::ZERO,
        }
    }

    fn api(status: u16, body: &str) -> ApiError {
        ApiError::from_body(meta(status, Some("6476f3b2")), body.as_bytes())
    }

    #[test]
    fn validation_errors_read_like_the_server_meant_them() {
        let error = api(
            422,
            r#"{"error":{"code":"validation_error","description":"A validation error occurred","detail":{"errors":["Name can't be blank"]}}}"#,
        );
        assert_eq!(
            error.to_string(),
            "422 validation_error: Name can't be blank (request 6476f3b2)"
        );
        assert_eq!(error.code(), Some(&ErrorCode::ValidationError));
    }

    #[test]
    fn unknown_codes_keep_code_description_and_detail() {
        let error = api(
            409,
            r#"{"error":{"code":"disk_busy","description":"The disk is busy","detail":{"task":"resize"}}}"#,
        );
        assert_eq!(error.code(), Some(&ErrorCode::Unknown("disk_busy".into())));
        let ErrorBody::Unknown { detail, .. } = error.body() else {
            panic!("expected an unknown code, got {:?}", error.body());
        };
        assert_eq!(detail["task"], "resize");
        assert_eq!(error.description(), Some("The disk is busy"));
        assert_eq!(
            error.to_string(),
            "409 disk_busy: The disk is busy (request 6476f3b2)"
        );
    }

    #[test]
    fn non_envelope_bodies_are_text_with_the_status() {
        let error = ApiError::from_body(
            meta(502, None),
            b"<html>\n<h1>502 Bad Gateway</h1>\n</html>",
        );
        assert_eq!(error.code(), None);
        assert!(
            matches!(error.body(), ErrorBody::Text(text) if text.contains("<h1>502 Bad Gateway</h1>"))
        );
        assert_eq!(
            error.to_string(),
            "502 Bad Gateway: not a Katapult error: <html> <h1>502 Bad Gateway</h1> </html>"
        );
        let empty = ApiError::from_body(meta(504, None), b"");
        assert_eq!(
            empty.to_string(),
            "504 Gateway Timeout: empty body, not a Katapult error"
        );
    }

    #[test]
    fn arrays_are_not_envelopes() {
        for body in [
            r#"[[""]]"#,
            r#"[["disk_busy","The disk is busy"]]"#,
            r#"[{"code":"disk_not_found","description":"No disk"}]"#,
            r#"{"error":["disk_not_found"]}"#,
        ] {
            let error = ApiError::from_body(meta(404, None), body.as_bytes());
            assert!(
                matches!(error.body(), ErrorBody::Text(text) if text == body),
                "{body}: {:?}",
                error.body()
            );
        }
    }

    #[test]
    fn advice_follows_the_message() {
        let error = api(
            404,
            r#"{"error":{"code":"disk_not_found","description":"No disk was found","detail":{}}}"#,
        );
        assert_eq!(
            error.to_string(),
            "404 disk_not_found: No disk was found (request 6476f3b2); check the disk id"
        );
    }
}
