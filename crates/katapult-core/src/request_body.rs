//! Whether a JSON request body says exactly what its request type sends:
//! the one check behind `katapult`'s `--json-body` and `--from` lines, and
//! behind [`DiskChange::from_json`](crate::DiskChange::from_json)'s
//! unknown fields.
//!
//! The body is decoded into the request type and encoded again; anything
//! given that does not survive the round trip would not be sent. That
//! catches a misspelt field (serde would drop it in silence), a `null` and
//! an empty list the type leaves out, besides the wrong types and missing
//! fields decoding refuses. The request types are generated from the
//! fragment, so the fields known are the fragment's, with no list by hand.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Why a JSON value is not a request body of the type asked for:
/// [`check_request_body`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RequestBodyError {
    /// Not a JSON object; the kind of value it is (`an array`, ...).
    NotAnObject(&'static str),
    /// Decoding refused it (a wrong type, a missing field, an unknown
    /// enum value): serde's message.
    Invalid(String),
    /// It decoded, but something given would not be sent.
    NotSent(NotSent),
}

/// Something a body gives that its request type would not send, at
/// `path` (`properties.name`, `annotations[0].key`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum NotSent {
    /// Not a field of the type: misspelt, or not in the API.
    NotAField {
        /// Where.
        path: String,
    },
    /// `null`, which the type cannot send.
    Null {
        /// Where.
        path: String,
    },
    /// An empty list, which the type leaves out.
    EmptyList {
        /// Where.
        path: String,
    },
    /// A value the type would send otherwise than given.
    Changed {
        /// Where.
        path: String,
        /// As given.
        given: Value,
        /// As it would be sent.
        sent: Value,
    },
}

impl std::fmt::Display for RequestBodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotAnObject(kind) => write!(
                f,
                "a request body is a JSON object like {{\"disk\": {{\"id\": \"disk_...\"}}, \
                 ...}}, not {kind}"
            ),
            Self::Invalid(error) => write!(f, "not a valid request body: {error}"),
            Self::NotSent(NotSent::NotAField { path }) => write!(
                f,
                "`{path}` is not a field of the request body, so it would not be sent: check \
                 its spelling against the command's --help (each flag names its field)"
            ),
            Self::NotSent(NotSent::Null { path }) => write!(
                f,
                "`{path}` is null, and the request type cannot send null: leave the field out \
                 to leave the value unchanged"
            ),
            Self::NotSent(NotSent::EmptyList { path }) => write!(
                f,
                "`{path}` is an empty list, which the request type leaves out of the request \
                 (it cannot tell an empty list from none there), so it would not be sent"
            ),
            Self::NotSent(NotSent::Changed { path, given, sent }) => write!(
                f,
                "`{path}` would be sent as {sent} rather than as given ({given})"
            ),
        }
    }
}

impl std::error::Error for RequestBodyError {}

/// Checks a JSON request body against the request type `B`: the typed
/// body, which encodes back to exactly the JSON given, or what is wrong.
///
/// ```
/// use katapult_core::types::UpdateDiskBody;
/// use katapult_core::{NotSent, RequestBodyError, check_request_body};
/// use serde_json::json;
///
/// let body = json!({"disk": {"id": "disk_1"}, "properties": {"name": "logs"}});
/// assert!(check_request_body::<UpdateDiskBody>(body).is_ok());
///
/// let misspelt = json!({"disk": {"id": "disk_1"}, "properties": {"nmae": "logs"}});
/// let path = "properties.nmae".to_owned();
/// assert_eq!(
///     check_request_body::<UpdateDiskBody>(misspelt).unwrap_err(),
///     RequestBodyError::NotSent(NotSent::NotAField { path }),
/// );
/// ```
pub fn check_request_body<B: DeserializeOwned + Serialize>(
    json: Value,
) -> Result<B, RequestBodyError> {
    if !json.is_object() {
        return Err(RequestBodyError::NotAnObject(json_kind(&json)));
    }
    let body: B = serde_json::from_value(json.clone())
        .map_err(|error| RequestBodyError::Invalid(error.to_string()))?;
    // The generated request types always encode; were one not to, what
    // it would send is unknown, which is "changed" at the root.
    let sent = serde_json::to_value(&body).unwrap_or(Value::Null);
    match first_difference(&json, &sent, "") {
        None => Ok(body),
        Some(difference) => Err(RequestBodyError::NotSent(difference)),
    }
}

/// Where `given` has something `sent` does not carry.
fn first_difference(given: &Value, sent: &Value, at: &str) -> Option<NotSent> {
    let name = |key: &str| {
        if at.is_empty() {
            key.to_owned()
        } else {
            format!("{at}.{key}")
        }
    };
    match (given, sent) {
        (Value::Object(given), Value::Object(sent)) => {
            given.iter().find_map(|(key, value)| match sent.get(key) {
                Some(sent_value) => first_difference(value, sent_value, &name(key)),
                None => Some(dropped(name(key), value)),
            })
        }
        (Value::Array(given), Value::Array(sent)) if given.len() == sent.len() => given
            .iter()
            .zip(sent)
            .enumerate()
            .find_map(|(index, (g, s))| first_difference(g, s, &format!("{at}[{index}]"))),
        _ if given == sent => None,
        _ => Some(NotSent::Changed {
            path: at.to_owned(),
            given: given.clone(),
            sent: sent.clone(),
        }),
    }
}

/// Why a member given was dropped.
fn dropped(path: String, value: &Value) -> NotSent {
    match value {
        Value::Null => NotSent::Null { path },
        Value::Array(items) if items.is_empty() => NotSent::EmptyList { path },
        _ => NotSent::NotAField { path },
    }
}

/// The kind of a JSON value, for messages: `null`, `a boolean`, `a
/// number`, `a string`, `an array`, `an object`.
pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
