//! Queries over an OpenAPI document held as a JSON tree: operations, `$ref`
//! resolution, which schemas a request or a response can reach, the error
//! union. Shared by the lint rules and the generator so both read the
//! document the same way.

use std::collections::{BTreeSet, VecDeque};

use serde_json::Value;

use crate::problem::{child, pointer};

/// The HTTP methods a path item may hold, in the order OpenAPI lists them.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation: where it is and its JSON.
pub struct Operation<'a> {
    /// `/paths/~1disks~1disk/patch`
    pub(crate) pointer: String,
    /// The operation object.
    pub(crate) value: &'a Value,
}

/// Every operation in the document, in document order.
pub fn operations(doc: &Value) -> Vec<Operation<'_>> {
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return Vec::new();
    };
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS.iter().filter_map(move |method| {
                item.get(*method).map(|value| Operation {
                    pointer: pointer(["paths", path.as_str(), method]),
                    value,
                })
            })
        })
        .collect()
}

/// Turns a local `$ref` (`#/components/schemas/Disk`) into a JSON pointer.
pub(crate) fn ref_pointer(reference: &str) -> Option<&str> {
    reference.strip_prefix('#')
}

/// Follows `$ref`s from `node` until a node without one; returns the final
/// node and its pointer. Gives up (returning the last node reached) on a
/// dangling or cyclic reference; the `dangling-ref` rule reports those.
pub(crate) fn deref<'a>(
    doc: &'a Value,
    mut at: String,
    mut node: &'a Value,
) -> (String, &'a Value) {
    for _ in 0..16 {
        let Some(target) = node
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(ref_pointer)
        else {
            break;
        };
        match doc.pointer(target) {
            Some(next) => {
                at = target.to_owned();
                node = next;
            }
            None => break,
        }
    }
    (at, node)
}

/// Which side of the wire a schema travels on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Request,
    Response,
}

/// Pointers of the schemas at the root of each request body and parameter
/// (`Side::Request`) or each response body (`Side::Response`).
pub(crate) fn schema_roots(doc: &Value, side: Side) -> Vec<String> {
    let mut roots = Vec::new();
    for op in operations(doc) {
        match side {
            Side::Request => {
                if let Some(body) = op.value.get("requestBody") {
                    let (at, body) = deref(doc, child(&op.pointer, "requestBody"), body);
                    roots.extend(content_schemas(&at, body));
                }
                if let Some(params) = op.value.get("parameters").and_then(Value::as_array) {
                    for (index, param) in params.iter().enumerate() {
                        let at = child(&child(&op.pointer, "parameters"), &index.to_string());
                        let (at, param) = deref(doc, at, param);
                        if param.get("schema").is_some() {
                            roots.push(child(&at, "schema"));
                        }
                    }
                }
            }
            Side::Response => {
                for (status, at, response) in responses(doc, &op) {
                    let _ = status;
                    roots.extend(content_schemas(&at, response));
                }
            }
        }
    }
    roots
}

/// The operation's responses, `$ref`s resolved: (status key, pointer, node).
pub fn responses<'a>(doc: &'a Value, op: &Operation<'a>) -> Vec<(String, String, &'a Value)> {
    let Some(map) = op.value.get("responses").and_then(Value::as_object) else {
        return Vec::new();
    };
    map.iter()
        .map(|(status, response)| {
            let at = child(&child(&op.pointer, "responses"), status);
            let (at, response) = deref(doc, at, response);
            (status.clone(), at, response)
        })
        .collect()
}

/// `content/<media type>/schema` pointers under a request body or response.
fn content_schemas(at: &str, node: &Value) -> Vec<String> {
    node.get("content")
        .and_then(Value::as_object)
        .map(|content| {
            content
                .iter()
                .filter(|(_, media)| media.get("schema").is_some())
                .map(|(media_type, _)| child(&child(&child(at, "content"), media_type), "schema"))
                .collect()
        })
        .unwrap_or_default()
}

/// Every schema node reachable from `roots` (following `$ref`s, properties,
/// items, compositions), each once, in breadth-first order.
pub(crate) fn reachable<'a>(doc: &'a Value, roots: &[String]) -> Vec<(String, &'a Value)> {
    let mut seen = BTreeSet::new();
    let mut queue: VecDeque<String> = roots.iter().cloned().collect();
    let mut out = Vec::new();
    while let Some(at) = queue.pop_front() {
        if !seen.insert(at.clone()) {
            continue;
        }
        let Some(node) = doc.pointer(&at) else {
            continue;
        };
        if let Some(target) = node
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(ref_pointer)
        {
            queue.push_back(target.to_owned());
        }
        queue.extend(subschema_pointers(&at, node));
        out.push((at, node));
    }
    out
}

/// Pointers of the direct subschemas of a schema node.
fn subschema_pointers(at: &str, node: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(properties) = node.get("properties").and_then(Value::as_object) {
        let base = child(at, "properties");
        out.extend(properties.keys().map(|name| child(&base, name)));
    }
    for single in ["items", "not"] {
        if node.get(single).is_some() {
            out.push(child(at, single));
        }
    }
    if node
        .get("additionalProperties")
        .is_some_and(Value::is_object)
    {
        out.push(child(at, "additionalProperties"));
    }
    for list in ["allOf", "oneOf", "anyOf"] {
        if let Some(items) = node.get(list).and_then(Value::as_array) {
            let base = child(at, list);
            out.extend((0..items.len()).map(|index| child(&base, &index.to_string())));
        }
    }
    out
}

/// Every schema node in the document: those under `/components/schemas` and
/// those inline in operations, each once.
pub(crate) fn all_schemas(doc: &Value) -> Vec<(String, &Value)> {
    let mut roots: Vec<String> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|schemas| {
            schemas
                .keys()
                .map(|name| pointer(["components", "schemas", name]))
                .collect()
        })
        .unwrap_or_default();
    roots.extend(schema_roots(doc, Side::Request));
    roots.extend(schema_roots(doc, Side::Response));
    reachable(doc, &roots)
}

/// How progenitor will shape a `oneOf`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum OneOfShape {
    /// Every member is an inline object with exactly one property, required:
    /// an externally tagged enum (`{"id": "..."}` is `Lookup::Id(..)`).
    External,
    /// Every member is an inline object with a required property holding a
    /// single-value string enum, the values distinct: an enum tagged by that
    /// property.
    Internal { tag: String },
    /// Neither: progenitor falls back to an untagged enum (or panics).
    Untagged(String),
}

/// Classifies the members of a `oneOf` the way progenitor will see them.
pub(crate) fn one_of_shape(members: &[Value]) -> OneOfShape {
    let mut objects = Vec::new();
    for (index, member) in members.iter().enumerate() {
        if member.get("$ref").is_some() {
            return OneOfShape::Untagged(format!(
                "member {index} is a `$ref`; progenitor only tags enums whose members are written inline"
            ));
        }
        let is_object = member.get("type").and_then(Value::as_str) == Some("object")
            || (member.get("type").is_none() && member.get("properties").is_some());
        if !is_object {
            return OneOfShape::Untagged(format!("member {index} is not an object"));
        }
        match member.get("additionalProperties") {
            None | Some(Value::Bool(false)) => {}
            Some(_) => {
                return OneOfShape::Untagged(format!(
                    "member {index} allows additional properties; progenitor can only tag closed or unspecified objects"
                ));
            }
        }
        objects.push(member);
    }
    if objects.is_empty() {
        return OneOfShape::Untagged("the oneOf has no members".to_owned());
    }

    let properties = |member: &Value| -> Vec<String> {
        member
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    };
    let required = |member: &Value| -> Vec<String> {
        member
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };

    let external = objects.iter().all(|member| {
        let props = properties(member);
        props.len() == 1 && required(member) == props
    });
    if external {
        let mut names: Vec<String> = objects.iter().flat_map(|m| properties(m)).collect();
        names.sort();
        names.dedup();
        if names.len() == objects.len() {
            return OneOfShape::External;
        }
    }

    // Candidate tags: required properties of the first member holding a
    // single-value string enum; keep those every member shares, with
    // distinct values.
    let tag_value = |member: &Value, name: &str| -> Option<String> {
        if !required(member).iter().any(|r| r == name) {
            return None;
        }
        let prop = member.get("properties")?.get(name)?;
        let values = prop.get("enum")?.as_array()?;
        match (prop.get("type").and_then(Value::as_str), values.as_slice()) {
            (Some("string") | None, [Value::String(value)]) => Some(value.clone()),
            _ => None,
        }
    };
    let mut candidates = properties(objects[0]);
    candidates.sort();
    for name in candidates {
        let values: Option<Vec<String>> = objects.iter().map(|m| tag_value(m, &name)).collect();
        if let Some(values) = values {
            let distinct: BTreeSet<&String> = values.iter().collect();
            if distinct.len() == values.len() {
                return OneOfShape::Internal { tag: name };
            }
        }
    }
    OneOfShape::Untagged(
        "the members neither each hold one required property nor share a required \
         single-value string property with distinct values"
            .to_owned(),
    )
}

/// The union every error response of the document decodes into.
#[derive(Debug)]
pub(crate) struct ErrorUnion {
    /// Pointer of the `oneOf` schema (e.g. `/components/schemas/ApiError`).
    pub(crate) pointer: String,
    /// Its name under `/components/schemas`, when it has one.
    pub(crate) name: Option<String>,
    /// The tag property (`code`).
    pub(crate) tag: String,
    /// The tag values in document order: one per variant.
    pub(crate) codes: Vec<String>,
}

/// Finds the error union behind a shared error schema: the schema itself if
/// it is a tagged `oneOf`, or the one property of an envelope object
/// (`{"error": {...}}`) if that is. `None` when neither holds.
pub(crate) fn error_union(doc: &Value, schema_at: &str) -> Option<ErrorUnion> {
    let node = doc.pointer(schema_at)?;
    let (at, node) = deref(doc, schema_at.to_owned(), node);
    let union_at = if node.get("oneOf").is_some() {
        at
    } else {
        let properties = node.get("properties")?.as_object()?;
        if properties.len() != 1 {
            return None;
        }
        let (name, property) = properties.iter().next()?;
        let (inner_at, inner) = deref(doc, child(&child(&at, "properties"), name), property);
        inner.get("oneOf")?;
        inner_at
    };
    let union = doc.pointer(&union_at)?;
    let members = union.get("oneOf")?.as_array()?;
    let OneOfShape::Internal { tag } = one_of_shape(members) else {
        return None;
    };
    let codes = members
        .iter()
        .filter_map(|m| m.pointer(&format!("/properties/{tag}/enum/0"))?.as_str())
        .map(str::to_owned)
        .collect();
    let name = union_at
        .strip_prefix("/components/schemas/")
        .filter(|rest| !rest.contains('/'))
        .map(|name| name.replace("~1", "/").replace("~0", "~"));
    Some(ErrorUnion {
        pointer: union_at,
        name,
        tag,
        codes,
    })
}

/// Whether a status key (`"404"`, `"4XX"`, `"default"`) denotes an error.
pub fn is_error_status(status: &str) -> bool {
    status == "default" || status.starts_with('4') || status.starts_with('5')
}

/// The pointer of a response's JSON schema, if it has one.
pub fn json_schema_pointer(at: &str, response: &Value) -> Option<String> {
    let content = response.get("content")?.as_object()?;
    let (media_type, media) = content
        .iter()
        .find(|(mt, _)| *mt == "application/json" || mt.starts_with("application/json;"))?;
    media.get("schema")?;
    Some(child(&child(&child(at, "content"), media_type), "schema"))
}

/// An enum the API sends back, marked `x-open-enum: true`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenEnum {
    /// The schema's name, which is the Rust enum's.
    pub name: String,
    /// The schema's description, for the enum's rustdoc.
    pub(crate) description: Option<String>,
    /// The wire values, in document order: one variant each.
    pub values: Vec<String>,
}

/// Every schema under `/components/schemas` marked `x-open-enum: true`, in
/// document order.
pub(crate) fn open_enums(doc: &Value) -> Vec<OpenEnum> {
    doc.pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|schemas| {
            schemas
                .iter()
                .filter(|(_, s)| s.get("x-open-enum") == Some(&Value::Bool(true)))
                .map(|(name, s)| OpenEnum {
                    name: name.clone(),
                    description: s
                        .get("description")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    values: s
                        .get("enum")
                        .and_then(Value::as_array)
                        .map(|v| {
                            v.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_owned)
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default()
}
