//! `--record`: the upstream closure of the fragment's operations, written
//! under `openapi/upstream/` with where it came from. Written to a
//! temporary file in the same directory and renamed over the old one, so
//! the file is always whole: the old recording or the new one.

use std::io::Write;
use std::path::Path;

use serde_json::{Map, Value};

use super::upstream::{Source, extract};
use super::{DriftError, RECORDED_KEY, RECORDED_PATH};
use crate::fragment::FRAGMENT_PATH;

/// What `--record` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The file written, relative to the workspace root.
    pub path: String,
    /// Katapult's version of the recorded document.
    pub version: String,
    /// sha256 of the published document.
    pub sha256: String,
    /// Whether the file's content changed.
    pub changed: bool,
}

impl Recorded {
    /// One line for the terminal.
    pub fn summary(&self) -> String {
        format!(
            "{} {} (Katapult {}, document sha256 {})",
            if self.changed {
                "recorded"
            } else {
                "unchanged:"
            },
            self.path,
            self.version,
            self.sha256
        )
    }
}

/// Extracts the closure of `operations` (the fragment's) from `source`,
/// stamps it, and writes it atomically.
pub(super) fn write(
    root: &Path,
    source: &Source,
    operations: &[String],
) -> Result<Recorded, DriftError> {
    let closure = extract(source, operations)?;
    let document = stamped(source, closure);
    let mut text = serde_json::to_string_pretty(&document).map_err(|error| DriftError::Write {
        file: RECORDED_PATH.to_owned(),
        message: error.to_string(),
    })?;
    text.push('\n');

    let path = root.join(RECORDED_PATH);
    let changed = std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str());
    if changed {
        write_atomically(&path, text.as_bytes()).map_err(|error| DriftError::Write {
            file: RECORDED_PATH.to_owned(),
            message: error.to_string(),
        })?;
    }
    Ok(Recorded {
        path: RECORDED_PATH.to_owned(),
        version: source.version.clone(),
        sha256: source.sha256.clone(),
        changed,
    })
}

/// The closure with `x-recorded`: what it is, which document it came from
/// (Katapult's version, the file's name and sha256), and where that
/// document says the API and its documentation are published.
fn stamped(source: &Source, closure: Value) -> Value {
    let earlier = source.document.get(RECORDED_KEY);
    let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
    let file_name = text(earlier.and_then(|r| r.get("source-file"))).unwrap_or_else(|| {
        Path::new(&source.file).file_name().map_or_else(
            || source.file.clone(),
            |name| name.to_string_lossy().into_owned(),
        )
    });
    let mut recorded = Map::new();
    let mut put = |key: &str, value: Value| {
        recorded.insert(key.to_owned(), value);
    };
    put(
        "about",
        Value::from(format!(
            "The closure of the operations {FRAGMENT_PATH} describes (each operation under \
             `paths`, every node they reference, the security schemes they name) as `cargo xtask \
             drift --upstream FILE --record` extracted it from Katapult's published OpenAPI \
             document. Do not edit: record again."
        )),
    );
    put("katapult-version", Value::from(source.version.clone()));
    put("source-file", Value::from(file_name));
    put("source-sha256", Value::from(source.sha256.clone()));
    // The document's own statements of where the API is served and
    // documented.
    if let Some(url) = text(closure.pointer("/servers/0/url")) {
        put("api", Value::from(url));
    }
    if let Some(url) = text(closure.pointer("/externalDocs/url")) {
        put("documentation", Value::from(url));
    }
    let mut document = closure;
    if let Value::Object(map) = &mut document {
        map.insert(RECORDED_KEY.to_owned(), Value::Object(recorded));
    }
    document
}

/// Writes `bytes` to `path` through a temporary file in the same directory
/// (a rename within one file system replaces the file in one step; the
/// temporary file is removed if anything fails).
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("the path has no directory"))?;
    std::fs::create_dir_all(dir)?;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map(drop).map_err(|error| error.error)
}
