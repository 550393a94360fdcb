//! Reading an upstream OpenAPI document: JSON or YAML text to a JSON tree,
//! checked to be OpenAPI 3.0 and to hold the operation, with what identifies
//! it (Katapult's version, the sha256 of the bytes read).

use std::path::Path;

use serde_json::Value;

use super::{DriftError, OPERATION_METHOD, OPERATION_PATH, RECORDED_KEY};
use crate::fragment::yaml_to_json;
use crate::problem::pointer;

/// An upstream document as read from a file.
#[derive(Debug, Clone)]
pub struct Source {
    /// The file, as messages name it.
    pub file: String,
    /// The whole document as a JSON tree.
    pub document: Value,
    /// Katapult's version of the document (`info.x-katapult-version`,
    /// else `info.version`), or the one a recorded closure names.
    pub version: String,
    /// Lowercase hex sha256 of the published document's bytes: of the file
    /// read, or, for a recorded closure, of the document it was recorded from.
    pub sha256: String,
}

/// Reads `path` (named `file` in messages): JSON or YAML, OpenAPI 3.0, with
/// `PATCH /disks/disk`.
pub fn read(path: &Path, file: &str) -> Result<Source, DriftError> {
    let bytes = std::fs::read(path).map_err(|error| DriftError::Read {
        file: file.to_owned(),
        message: error.to_string(),
    })?;
    parse(&bytes, file)
}

/// Parses document bytes; see [`read`].
pub fn parse(bytes: &[u8], file: &str) -> Result<Source, DriftError> {
    let document = to_tree(bytes, file)?;
    check_version(&document, file)?;
    if operation(&document).is_none() {
        return Err(DriftError::NoOperation {
            file: file.to_owned(),
        });
    }
    let recorded = document.get(RECORDED_KEY);
    let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
    let version = text(recorded.and_then(|r| r.get("katapult-version")))
        .or_else(|| text(document.pointer("/info/x-katapult-version")))
        .or_else(|| text(document.pointer("/info/version")))
        .unwrap_or_else(|| "unknown".to_owned());
    let sha256 =
        text(recorded.and_then(|r| r.get("source-sha256"))).unwrap_or_else(|| sha256_hex(bytes));
    Ok(Source {
        file: file.to_owned(),
        document,
        version,
        sha256,
    })
}

/// Lowercase hex sha256 of `bytes`.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The operation's node, if the document has it.
pub fn operation(document: &Value) -> Option<&Value> {
    document
        .get("paths")?
        .get(OPERATION_PATH)?
        .get(OPERATION_METHOD)
        .filter(|op| op.is_object())
}

/// The operation's JSON pointer (`/paths/~1disks~1disk/patch`).
pub fn operation_pointer() -> String {
    pointer(["paths", OPERATION_PATH, OPERATION_METHOD])
}

fn to_tree(bytes: &[u8], file: &str) -> Result<Value, DriftError> {
    let json_error = match serde_json::from_slice::<Value>(bytes) {
        Ok(value) => return Ok(value),
        Err(error) => error,
    };
    let not_a_document = |yaml: String| DriftError::Syntax {
        file: file.to_owned(),
        json: json_error.to_string(),
        yaml,
    };
    let text = std::str::from_utf8(bytes).map_err(|error| not_a_document(error.to_string()))?;
    let yaml: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(text).map_err(|error| not_a_document(error.to_string()))?;
    yaml_to_json(&yaml, "").map_err(|(at, message)| not_a_document(format!("at {at}: {message}")))
}

/// OpenAPI 3.0.x only: 3.1 changed `nullable`, `exclusiveMinimum` and more,
/// and Swagger 2.0 has no `components` at all.
fn check_version(document: &Value, file: &str) -> Result<(), DriftError> {
    let found = match document.get("openapi") {
        Some(Value::String(version)) if version.starts_with("3.0.") || version == "3.0" => {
            return Ok(());
        }
        Some(Value::String(version)) => format!("`openapi: {version}`"),
        Some(other) => format!("`openapi: {other}` (not a version string)"),
        None => match document.get("swagger") {
            Some(version) => format!("a Swagger document (`swagger: {version}`)"),
            None if document.is_object() => "no `openapi` field".to_owned(),
            None => "not a JSON object at the top".to_owned(),
        },
    };
    Err(DriftError::NotOpenApi30 {
        file: file.to_owned(),
        found,
    })
}
