//! The upstream side: a published OpenAPI 3.0 document (JSON or YAML) and
//! the closure of the fragment's operations in it (each operation and every
//! node it references), the standalone document the comparison reads and
//! `--record` writes, stamped with where it came from.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{DriftError, RECORDED_KEY, RECORDED_PATH};
use crate::doc::{self, YamlError, child, pointer, ref_pointer};
use crate::fragment::FRAGMENT_PATH;

/// Reads `path` (named `file` in messages): JSON or YAML, OpenAPI 3.0. The
/// stamp says where the document came from: a recorded closure's own, else
/// one naming this document, its Katapult version and its sha256.
pub(super) fn read(path: &Path, file: &str) -> Result<(Value, Stamp), DriftError> {
    let bytes = std::fs::read(path).map_err(|error| DriftError::Read {
        file: file.to_owned(),
        message: error.to_string(),
    })?;
    let document = to_tree(&bytes, file)?;
    check_version(&document, file)?;
    let stamp = Stamp::of(&document).unwrap_or_else(|| {
        let version = text_at(&document, "/info/x-katapult-version")
            .or_else(|| text_at(&document, "/info/version"));
        let name = path.file_name().map_or(file.into(), OsStr::to_string_lossy);
        Stamp {
            katapult_version: version.unwrap_or_else(|| "unknown".to_owned()),
            source_file: name.into_owned(),
            source_sha256: doc::sha256_hex(&bytes),
            ..Stamp::default()
        }
    });
    Ok((document, stamp))
}

fn text_at(document: &Value, at: &str) -> Option<String> {
    document.pointer(at)?.as_str().map(str::to_owned)
}

/// The pointers of the operations of `document` (`/paths/~1disks~1disk/get`,
/// ...): the same pointer names the same operation in any document.
pub fn operations(document: &Value) -> Vec<String> {
    let operations = doc::operations(document).into_iter();
    operations.map(|op| op.pointer).collect()
}

/// The pointer of the path item holding the operation at `at`.
pub(super) fn path_item(at: &str) -> &str {
    at.rsplit_once('/').map_or("", |(item, _)| item)
}

/// An operation's method and path, as messages name it
/// (`PATCH /disks/disk` for `/paths/~1disks~1disk/patch`).
pub(super) fn label(at: &str) -> String {
    let segments: Vec<String> = doc::segments(at).collect();
    match segments.as_slice() {
        [_, path, method] => format!("{} {path}", method.to_uppercase()),
        _ => at.to_owned(),
    }
}

/// JSON first (the published form), then YAML.
fn to_tree(bytes: &[u8], file: &str) -> Result<Value, DriftError> {
    let json = match serde_json::from_slice::<Value>(bytes) {
        Ok(value) => return Ok(value),
        Err(error) => error.to_string(),
    };
    let not_a_document = |yaml: String| DriftError::Syntax {
        file: file.to_owned(),
        json: json.clone(),
        yaml,
    };
    let text = std::str::from_utf8(bytes).map_err(|error| not_a_document(error.to_string()))?;
    doc::parse_yaml(text).map_err(|YamlError { at, message }| match at.as_str() {
        "" => not_a_document(message),
        _ => not_a_document(format!("at {at}: {message}")),
    })
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

/// Top-level fields kept as they are: what the document is, where it is
/// served, and the default security an operation may inherit.
const KEPT: [&str; 5] = ["openapi", "info", "externalDocs", "servers", "security"];

/// Extracts from `doc` (named `file` in messages) the closure of the
/// operations at `operations` (one at least must be there). Every `$ref`
/// must be local and resolve, and the result must be a valid OpenAPI 3.0
/// document.
pub(super) fn extract(doc: &Value, file: &str, operations: &[String]) -> Result<Value, DriftError> {
    let reference_error = |pointer: &str, message: String| DriftError::Reference {
        at: format!("{file}#{pointer}"),
        message,
    };
    let kept = |key: &str| Some((key.to_owned(), doc.get(key)?.clone()));
    let mut out = Value::Object(KEPT.into_iter().filter_map(kept).collect());
    // The nodes to copy, each with every node it references, breadth first.
    let mut queue = VecDeque::new();
    // Each security scheme named, with the first operation naming it.
    let mut schemes = BTreeMap::new();
    for op_at in operations {
        let Some(op) = doc.pointer(op_at).filter(|op| op.is_object()) else {
            continue;
        };
        queue.push_back((op_at.clone(), op));
        // Parameters declared on the path item apply to the operation too.
        let params_at = child(path_item(op_at), "parameters");
        queue.extend(doc.pointer(&params_at).map(|params| (params_at, params)));
        // The security schemes the operation names (its own requirements,
        // or the document's default ones).
        let requirements = op.get("security").or_else(|| doc.get("security"));
        let requirements = requirements.and_then(Value::as_array).into_iter().flatten();
        for scheme in requirements.flat_map(Value::as_object).flat_map(Map::keys) {
            schemes.entry(scheme).or_insert(op_at);
        }
    }
    if queue.is_empty() {
        let labels: Vec<String> = operations.iter().map(|at| label(at)).collect();
        return Err(DriftError::NoOperation {
            file: file.to_owned(),
            operations: labels.join(", "),
        });
    }

    let mut seen = BTreeSet::new();
    while let Some((at, node)) = queue.pop_front() {
        insert(&mut out, &at, node.clone());
        let references = doc::nodes(node, &at)
            .into_iter()
            .filter_map(|(from, node)| Some((from, node.get("$ref")?.as_str()?)));
        for (from, reference) in references {
            let local = ref_pointer(reference);
            let Some(target) = local.filter(|at| at.is_empty() || at.starts_with('/')) else {
                let message = format!(
                    "`$ref: {reference}` is not a reference inside the document; \
                     only local references (`#/...`) can be recorded"
                );
                return Err(reference_error(&from, message));
            };
            let node = doc.pointer(target).ok_or_else(|| {
                reference_error(&from, format!("`$ref: {reference}` points at nothing"))
            })?;
            if seen.insert(target) {
                queue.push_back((target.to_owned(), node));
            }
        }
    }

    for (scheme, op_at) in schemes {
        let at = pointer(["components", "securitySchemes", scheme.as_str()]);
        let undefined = format!("the security scheme `{scheme}` is required but not defined");
        let node = doc.pointer(&at).ok_or(reference_error(op_at, undefined))?;
        insert(&mut out, &at, node.clone());
    }

    // The closure must be a valid OpenAPI 3.0 document on its own.
    serde_path_to_error::deserialize::<_, openapiv3::OpenAPI>(&out).map_err(|error| {
        DriftError::Structure {
            at: format!("{file}#{}", doc::path_to_pointer(error.path())),
            message: error.inner().to_string(),
        }
    })?;
    Ok(out)
}

/// Sets `value` at the JSON pointer `at` in `out`, creating the objects on
/// the way.
fn insert(out: &mut Value, at: &str, value: Value) {
    // `$ref: '#'` names the whole document: nothing to copy on its own.
    if at.is_empty() {
        return;
    }
    let mut node = out;
    for segment in doc::segments(at) {
        // A node inside a list was copied with the list.
        if node.is_array() {
            return;
        }
        node = &mut node[segment];
    }
    *node = value;
}

/// What `--record` wrote, and whether the file's content changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub path: String,
    pub version: String,
    pub sha256: String,
    pub changed: bool,
}

impl Recorded {
    pub fn summary(&self) -> String {
        let done = if self.changed {
            "recorded"
        } else {
            "unchanged:"
        };
        let (path, version, sha256) = (&self.path, &self.version, &self.sha256);
        format!("{done} {path} (Katapult {version}, document sha256 {sha256})")
    }
}

/// Records the closure of the fragment's operations in `upstream` (a
/// published document) under [`RECORDED_PATH`] in the workspace at `root`,
/// stamped, through a temporary file renamed into place. Nothing is written
/// unless the document is valid and holds one of them at least.
pub fn record(root: &Path, upstream: &Path) -> Result<Recorded, DriftError> {
    let file = upstream.display().to_string();
    let (document, stamp) = read(upstream, &file)?;
    let mut closure = extract(&document, &file, &operations(&super::fragment(root)?))?;
    let stamp = Stamp {
        about: format!(
            "The closure of the operations {FRAGMENT_PATH} describes (each operation under \
             `paths`, every node they reference, the security schemes they name) as `cargo xtask \
             drift --upstream FILE --record` extracted it from Katapult's published OpenAPI \
             document. Do not edit: record again."
        ),
        api: text_at(&closure, "/servers/0/url"),
        documentation: text_at(&closure, "/externalDocs/url"),
        ..stamp
    };
    closure[RECORDED_KEY] = serde_json::to_value(&stamp).expect("a stamp is plain strings");
    let text = serde_json::to_string_pretty(&closure).expect("a JSON tree serializes") + "\n";
    let path = root.join(RECORDED_PATH);
    let changed = std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str());
    if changed {
        write_atomically(&path, text.as_bytes()).map_err(|e| DriftError::Write(e.to_string()))?;
    }
    Ok(Recorded {
        path: RECORDED_PATH.to_owned(),
        version: stamp.katapult_version,
        sha256: stamp.source_sha256,
        changed,
    })
}

/// `x-recorded`: what a recorded closure is, which document it came from
/// (Katapult's version, the file's name and sha256), and where that document
/// says the API and its documentation are published.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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

/// Writes `bytes` to `path` through a temporary file in the same directory
/// (a rename within one file system replaces the file in one step; the
/// temporary file is removed if anything fails).
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().expect("RECORDED_PATH is inside a directory");
    std::fs::create_dir_all(dir)?;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map(drop).map_err(|error| error.error)
}
