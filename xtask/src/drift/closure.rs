//! The operation's closure: the operation and every node it references
//! (schemas, responses, headers, parameters, request bodies, the security
//! schemes it names), as a standalone OpenAPI document. This is what
//! `--record` writes and what the comparison reads on the upstream side.

use std::collections::{BTreeSet, VecDeque};

use serde_json::{Map, Value};

use super::DriftError;
use super::source::{Source, operation, operation_pointer};
use crate::doc::ref_pointer;
use crate::problem::pointer;

/// Top-level fields kept as they are: what the document is, where it is
/// served, and the default security the operation may inherit.
const KEPT: [&str; 5] = ["openapi", "info", "externalDocs", "servers", "security"];

/// Extracts the closure of `PATCH /disks/disk` from `source`. Every `$ref`
/// must be local (`#/...`) and resolve; the result must be a valid OpenAPI
/// 3.0 document.
pub fn extract(source: &Source) -> Result<Value, DriftError> {
    let doc = &source.document;
    let op_at = operation_pointer();
    let op = operation(doc).ok_or_else(|| DriftError::NoOperation {
        file: source.file.clone(),
    })?;

    let mut out = Value::Object(Map::new());
    for key in KEPT {
        if let Some(value) = doc.get(key) {
            insert(&mut out, &pointer([key]), value.clone());
        }
    }
    insert(&mut out, &op_at, op.clone());
    // Parameters declared on the path item apply to the operation too.
    let item_params = pointer(["paths", super::OPERATION_PATH, "parameters"]);
    if let Some(params) = doc.pointer(&item_params) {
        insert(&mut out, &item_params, params.clone());
    }

    let mut seen = BTreeSet::new();
    let mut queue: VecDeque<(String, String)> = VecDeque::new();
    collect_refs(op, &op_at, &mut queue);
    if let Some(params) = doc.pointer(&item_params) {
        collect_refs(params, &item_params, &mut queue);
    }
    while let Some((from, reference)) = queue.pop_front() {
        let target = ref_pointer(&reference)
            .filter(|target| target.is_empty() || target.starts_with('/'))
            .ok_or_else(|| DriftError::Reference {
                file: source.file.clone(),
                pointer: from.clone(),
                message: format!(
                    "`$ref: {reference}` is not a reference inside the document; \
                     only local references (`#/...`) can be recorded"
                ),
            })?;
        if !seen.insert(target.to_owned()) {
            continue;
        }
        let node = doc.pointer(target).ok_or_else(|| DriftError::Reference {
            file: source.file.clone(),
            pointer: from.clone(),
            message: format!("`$ref: {reference}` points at nothing"),
        })?;
        insert(&mut out, target, node.clone());
        collect_refs(node, target, &mut queue);
    }

    // The security schemes the operation names (its own requirements, or
    // the document's default ones).
    let requirements = op.get("security").or_else(|| doc.get("security"));
    for scheme in scheme_names(requirements) {
        let at = pointer(["components", "securitySchemes", scheme.as_str()]);
        let node = doc.pointer(&at).ok_or_else(|| DriftError::Reference {
            file: source.file.clone(),
            pointer: op_at.clone(),
            message: format!("the security scheme `{scheme}` is required but not defined"),
        })?;
        insert(&mut out, &at, node.clone());
    }

    check_structure(&out, &source.file)?;
    Ok(out)
}

/// Names of the schemes in a list of security requirement objects.
pub fn scheme_names(requirements: Option<&Value>) -> BTreeSet<String> {
    requirements
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|requirement| requirement.keys().cloned())
        .collect()
}

/// Every `$ref` under `node` (at `at`), with the pointer it was found at.
fn collect_refs(node: &Value, at: &str, out: &mut VecDeque<(String, String)>) {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                out.push_back((at.to_owned(), reference.clone()));
            }
            for (key, value) in map {
                collect_refs(value, &format!("{at}{}", pointer([key])), out);
            }
        }
        Value::Array(items) => {
            for (index, value) in items.iter().enumerate() {
                collect_refs(value, &format!("{at}/{index}"), out);
            }
        }
        _ => {}
    }
}

/// Sets `value` at the JSON pointer `at` in `out`, creating the objects on
/// the way.
fn insert(out: &mut Value, at: &str, value: Value) {
    let segments: Vec<String> = at
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    let mut node = out;
    for (index, segment) in segments.iter().enumerate() {
        let Value::Object(map) = node else { return };
        if index + 1 == segments.len() {
            map.insert(segment.clone(), value);
            return;
        }
        node = map
            .entry(segment.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

/// The closure must be a valid OpenAPI 3.0 document on its own.
fn check_structure(closure: &Value, file: &str) -> Result<(), DriftError> {
    serde_path_to_error::deserialize::<_, openapiv3::OpenAPI>(closure)
        .map(drop)
        .map_err(|error| {
            let at = pointer(error.path().iter().filter_map(|segment| {
                use serde_path_to_error::Segment;
                match segment {
                    Segment::Seq { index } => Some(index.to_string()),
                    Segment::Map { key } => Some(key.clone()),
                    Segment::Enum { variant } => Some(variant.clone()),
                    Segment::Unknown => None,
                }
            }));
            DriftError::Structure {
                file: file.to_owned(),
                pointer: at,
                message: error.inner().to_string(),
            }
        })
}
