//! `--record`: the upstream closure, stamped with where it came from and
//! written through a temporary file renamed into place, so the file is
//! always whole.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::upstream::{Source, extract};
use super::{DriftError, RECORDED_KEY, RECORDED_PATH};
use crate::fragment::FRAGMENT_PATH;

/// What `--record` wrote, and whether the file's content changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub path: String,
    pub version: String,
    pub sha256: String,
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
    let failed = |error: &dyn std::fmt::Display| DriftError::Write {
        file: RECORDED_PATH.to_owned(),
        message: error.to_string(),
    };
    let document = stamped(source, extract(source, operations)?);
    let text = serde_json::to_string_pretty(&document).map_err(|e| failed(&e))? + "\n";
    let path = root.join(RECORDED_PATH);
    let changed = std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str());
    if changed {
        write_atomically(&path, text.as_bytes()).map_err(|e| failed(&e))?;
    }
    Ok(Recorded {
        path: RECORDED_PATH.to_owned(),
        version: source.version.clone(),
        sha256: source.sha256.clone(),
        changed,
    })
}

/// `x-recorded`: what a recorded closure is, which document it came from
/// (Katapult's version, the file's name and sha256), and where that document
/// says the API and its documentation are published.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Stamp {
    pub about: String,
    pub katapult_version: String,
    pub source_file: String,
    pub source_sha256: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documentation: Option<String>,
}

impl Stamp {
    /// The stamp of `document`, if it is a recorded closure.
    pub fn of(document: &Value) -> Option<Self> {
        Self::deserialize(document.get(RECORDED_KEY)?).ok()
    }

    /// The stamp of the closure recorded in the workspace at `root`.
    pub fn recorded(root: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(root.join(RECORDED_PATH)).ok()?;
        Self::of(&serde_json::from_str(&text).ok()?)
    }
}

/// The closure with its [`Stamp`].
fn stamped(source: &Source, mut closure: Value) -> Value {
    let file_name = Path::new(&source.file).file_name();
    let file_name = file_name.map_or_else(|| source.file.clone(), |n| n.to_string_lossy().into());
    let url = |at| {
        closure
            .pointer(at)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let stamp = Stamp {
        about: format!(
            "The closure of the operations {FRAGMENT_PATH} describes (each operation under \
             `paths`, every node they reference, the security schemes they name) as `cargo xtask \
             drift --upstream FILE --record` extracted it from Katapult's published OpenAPI \
             document. Do not edit: record again."
        ),
        katapult_version: source.version.clone(),
        source_file: Stamp::of(&source.document).map_or(file_name, |earlier| earlier.source_file),
        source_sha256: source.sha256.clone(),
        api: url("/servers/0/url"),
        documentation: url("/externalDocs/url"),
    };
    if let (Value::Object(map), Ok(stamp)) = (&mut closure, serde_json::to_value(stamp)) {
        map.insert(RECORDED_KEY.to_owned(), stamp);
    }
    closure
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
