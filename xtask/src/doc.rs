//! The one model of an OpenAPI document, read by every task: loading text
//! (JSON or YAML) into a JSON tree and hashing it, naming its nodes by JSON
//! pointer, following `$ref`s, and the queries the lint rules, the
//! generators and the drift check share (operations, responses, which
//! schemas a request or a response reaches, the shape of a `oneOf`, the
//! error union). The fragment and an upstream document are read the same way.

use std::collections::{BTreeSet, VecDeque};

use serde_json::Value;
use sha2::{Digest, Sha256};

// ------------------------------------------------------------------ loading

/// Lowercase hex sha256 of `bytes`: what identifies a document.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// YAML text (JSON is YAML too) to a JSON tree. YAML is a superset of the
/// JSON data model: numbers and booleans used as keys become strings (so an
/// unquoted status code works); anything else with no JSON meaning is
/// refused with the pointer of the node.
pub(crate) fn parse_yaml(text: &str) -> Result<Value, YamlError> {
    let yaml: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(text).map_err(|error| YamlError::Syntax(error.to_string()))?;
    yaml_to_json(&yaml, "").map_err(|(at, message)| YamlError::NotJson { at, message })
}

/// Why YAML text is not a JSON tree.
#[derive(Debug)]
pub(crate) enum YamlError {
    /// Not YAML at all (the message names the line and column).
    Syntax(String),
    /// YAML, but a node has no JSON meaning (a tag, a key that is a list).
    NotJson { at: String, message: String },
}

fn yaml_to_json(value: &serde_yaml_ng::Value, at: &str) -> Result<Value, (String, String)> {
    use serde_yaml_ng::Value as Y;
    let refuse = |message: String| Err((at.to_owned(), message));
    Ok(match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(*b),
        Y::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Value::from(i),
            (_, Some(u)) => Value::from(u),
            _ => match serde_json::Number::from_f64(n.as_f64().unwrap_or(f64::NAN)) {
                Some(number) => Value::Number(number),
                None => return refuse(format!("the number {n} has no JSON representation")),
            },
        },
        Y::String(s) => Value::String(s.clone()),
        Y::Sequence(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(index, item)| yaml_to_json(item, &child(at, &index.to_string())))
                .collect::<Result<_, _>>()?,
        ),
        Y::Mapping(map) => {
            let mut object = serde_json::Map::new();
            for (key, item) in map {
                let key = match key {
                    Y::String(s) => s.clone(),
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => {
                        return refuse(format!("a mapping key must be a string, found {other:?}"));
                    }
                };
                let value = yaml_to_json(item, &child(at, &key))?;
                object.insert(key, value);
            }
            Value::Object(object)
        }
        Y::Tagged(tagged) => {
            return refuse(format!(
                "YAML tags (`{}`) have no meaning in OpenAPI",
                tagged.tag
            ));
        }
    })
}

/// The pointer of the node a `serde_path_to_error` failure names: where a
/// tree stops being a valid typed (`openapiv3`) document.
pub(crate) fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    pointer(path.iter().filter_map(|segment| match segment {
        Segment::Seq { index } => Some(index.to_string()),
        Segment::Map { key } => Some(key.clone()),
        Segment::Enum { variant } => Some(variant.clone()),
        Segment::Unknown => None,
    }))
}

// ----------------------------------------------------------------- pointers

/// Builds a JSON pointer (RFC 6901) from path segments.
pub(crate) fn pointer<I, S>(segments: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    segments
        .into_iter()
        .fold(String::new(), |mut out, segment| {
            out.push('/');
            out.push_str(&segment.as_ref().replace('~', "~0").replace('/', "~1"));
            out
        })
}

/// Appends one segment to an existing pointer.
pub(crate) fn child(parent: &str, segment: &str) -> String {
    format!("{parent}{}", pointer([segment]))
}

/// The segments of a pointer, unescaped.
pub(crate) fn segments(at: &str) -> impl Iterator<Item = String> + '_ {
    at.split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
}

/// Turns a local `$ref` (`#/components/schemas/Disk`) into a JSON pointer.
pub(crate) fn ref_pointer(reference: &str) -> Option<&str> {
    reference.strip_prefix('#')
}

/// The name of the schema at `at` when it is one of
/// `/components/schemas` (`Disk` for `/components/schemas/Disk`).
pub(crate) fn schema_name(at: &str) -> Option<String> {
    let rest = at.strip_prefix("/components/schemas/")?;
    (!rest.contains('/')).then(|| segments(&format!("/{rest}")).collect())
}

// --------------------------------------------------------------- references

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

/// A schema reached from where it is written: `$ref`s and wrappers followed.
#[derive(Debug, Clone)]
pub(crate) struct Resolved<'a> {
    /// Where the schema is written (a property, `items`, a body's `schema`).
    pub(crate) outer: String,
    /// Where the schema itself is.
    pub(crate) at: String,
    /// The schema itself.
    pub(crate) value: &'a Value,
    /// Its name under `/components/schemas`, when a `$ref` led there.
    pub(crate) name: Option<String>,
    /// `nullable: true` on a wrapper or on the schema.
    pub(crate) nullable: bool,
}

/// Follows `$ref`s and the `allOf: [X]` wrapper (with only `nullable`, a
/// description or extensions beside it: how OpenAPI 3.0 writes a nullable
/// or described reference) from `node`, written at `outer`, to the schema.
pub(crate) fn resolve<'a>(doc: &'a Value, outer: String, node: &'a Value) -> Resolved<'a> {
    let mut schema = Resolved {
        at: outer.clone(),
        outer,
        value: node,
        name: None,
        nullable: false,
    };
    for _ in 0..16 {
        let reference = schema.value.get("$ref").and_then(Value::as_str);
        if let Some(target) = reference.and_then(ref_pointer) {
            let Some(next) = doc.pointer(target) else {
                break;
            };
            schema.at = target.to_owned();
            schema.name = schema_name(&schema.at);
            schema.value = next;
        } else if let Some(inner) = wrapped(schema.value) {
            schema.nullable |= schema.value.get("nullable") == Some(&Value::Bool(true));
            schema.at = child(&child(&schema.at, "allOf"), "0");
            schema.value = inner;
        } else {
            break;
        }
    }
    schema.nullable |= schema.value.get("nullable") == Some(&Value::Bool(true));
    schema
}

/// The `X` of `{allOf: [X]}` with nothing beside it but `nullable`, a
/// description or extensions.
fn wrapped(value: &Value) -> Option<&Value> {
    let object = value.as_object()?;
    let [inner] = object.get("allOf")?.as_array()?.as_slice() else {
        return None;
    };
    object
        .keys()
        .all(|key| {
            matches!(key.as_str(), "allOf" | "nullable" | "description") || key.starts_with("x-")
        })
        .then_some(inner)
}

// -------------------------------------------------------------- operations

/// The HTTP methods a path item may hold, in the order OpenAPI lists them.
pub(crate) const METHODS: [&str; 8] = [
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

/// The operation's responses, `$ref`s resolved: (status key, pointer, node).
pub fn responses<'a>(doc: &'a Value, op: &Operation<'a>) -> Vec<(String, String, &'a Value)> {
    let Some(map) = op.value.get("responses").and_then(Value::as_object) else {
        return Vec::new();
    };
    map.iter()
        .filter(|(status, _)| !status.starts_with("x-"))
        .map(|(status, response)| {
            let at = child(&child(&op.pointer, "responses"), status);
            let (at, response) = deref(doc, at, response);
            (status.clone(), at, response)
        })
        .collect()
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

// ------------------------------------------------------------------ schemas

/// Which way a schema travels: in a request, or in a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wire {
    Request,
    Response,
}

/// Pointers of the schemas at the root of each request body and parameter
/// (`Wire::Request`) or each response body (`Wire::Response`).
pub(crate) fn schema_roots(doc: &Value, wire: Wire) -> Vec<String> {
    let mut roots = Vec::new();
    for op in operations(doc) {
        match wire {
            Wire::Request => {
                if let Some(body) = op.value.get("requestBody") {
                    let (at, body) = deref(doc, child(&op.pointer, "requestBody"), body);
                    roots.extend(content_schemas(&at, body));
                }
                let params = op.value.get("parameters").and_then(Value::as_array);
                for (index, param) in params.into_iter().flatten().enumerate() {
                    let at = child(&child(&op.pointer, "parameters"), &index.to_string());
                    let (at, param) = deref(doc, at, param);
                    if param.get("schema").is_some() {
                        roots.push(child(&at, "schema"));
                    }
                }
            }
            Wire::Response => {
                for (_, at, response) in responses(doc, &op) {
                    roots.extend(content_schemas(&at, response));
                }
            }
        }
    }
    roots
}

/// `content/<media type>/schema` pointers under a request body or response.
fn content_schemas(at: &str, node: &Value) -> Vec<String> {
    let content = node.get("content").and_then(Value::as_object);
    content
        .into_iter()
        .flatten()
        .filter(|(_, media)| media.get("schema").is_some())
        .map(|(media_type, _)| child(&child(&child(at, "content"), media_type), "schema"))
        .collect()
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
    let components = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    let mut roots: Vec<String> = components
        .into_iter()
        .flatten()
        .map(|(name, _)| pointer(["components", "schemas", name]))
        .collect();
    roots.extend(schema_roots(doc, Wire::Request));
    roots.extend(schema_roots(doc, Wire::Response));
    reachable(doc, &roots)
}

/// The names a schema's `required` list holds.
pub(crate) fn required_names(schema: &Value) -> Vec<&str> {
    let list = schema.get("required").and_then(Value::as_array);
    list.into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
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
    for (index, member) in members.iter().enumerate() {
        let untagged = |why: &str| OneOfShape::Untagged(format!("member {index} {why}"));
        if member.get("$ref").is_some() {
            return untagged(
                "is a `$ref`; progenitor only tags enums whose members are written inline",
            );
        }
        let is_object = member.get("type").and_then(Value::as_str) == Some("object")
            || (member.get("type").is_none() && member.get("properties").is_some());
        if !is_object {
            return untagged("is not an object");
        }
        if !matches!(
            member.get("additionalProperties"),
            None | Some(Value::Bool(false))
        ) {
            return untagged(
                "allows additional properties; progenitor can only tag closed or unspecified objects",
            );
        }
    }
    if members.is_empty() {
        return OneOfShape::Untagged("the oneOf has no members".to_owned());
    }
    let properties = |member: &Value| -> Vec<String> {
        let map = member.get("properties").and_then(Value::as_object);
        map.into_iter()
            .flatten()
            .map(|(name, _)| name.clone())
            .collect()
    };

    let mut names: Vec<String> = members.iter().flat_map(properties).collect();
    let external = members.iter().all(|member| {
        let props = properties(member);
        props.len() == 1 && required_names(member) == props
    });
    names.sort();
    names.dedup();
    if external && names.len() == members.len() {
        return OneOfShape::External;
    }

    // Candidate tags: required properties of the first member holding a
    // single-value string enum; keep the first every member shares, with
    // distinct values.
    let tag_value = |member: &Value, name: &str| -> Option<String> {
        if !required_names(member).contains(&name) {
            return None;
        }
        let prop = member.get("properties")?.get(name)?;
        match (
            prop.get("type").and_then(Value::as_str),
            prop.get("enum")?.as_array()?.as_slice(),
        ) {
            (Some("string") | None, [Value::String(value)]) => Some(value.clone()),
            _ => None,
        }
    };
    let mut candidates = properties(&members[0]);
    candidates.sort();
    for name in candidates {
        let values: Option<BTreeSet<String>> =
            members.iter().map(|m| tag_value(m, &name)).collect();
        if values.is_some_and(|values| values.len() == members.len()) {
            return OneOfShape::Internal { tag: name };
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
    let (at, node) = deref(doc, schema_at.to_owned(), doc.pointer(schema_at)?);
    let union_at = if node.get("oneOf").is_some() {
        at
    } else {
        let properties = node.get("properties")?.as_object()?;
        let [(name, property)] = properties.iter().collect::<Vec<_>>()[..] else {
            return None;
        };
        let (inner_at, inner) = deref(doc, child(&child(&at, "properties"), name), property);
        inner.get("oneOf")?;
        inner_at
    };
    let members = doc.pointer(&union_at)?.get("oneOf")?.as_array()?;
    let OneOfShape::Internal { tag } = one_of_shape(members) else {
        return None;
    };
    let codes = members
        .iter()
        .filter_map(|m| m.pointer(&format!("/properties/{tag}/enum/0"))?.as_str())
        .map(str::to_owned)
        .collect();
    Some(ErrorUnion {
        name: schema_name(&union_at),
        pointer: union_at,
        tag,
        codes,
    })
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
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    schemas
        .into_iter()
        .flatten()
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
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_escape_slashes_and_tildes() {
        assert_eq!(
            pointer(["paths", "/disks/disk", "patch"]),
            "/paths/~1disks~1disk/patch"
        );
        assert_eq!(child("/a", "x~y"), "/a/x~0y");
        assert_eq!(pointer::<[&str; 0], &str>([]), "");
        let back: Vec<String> = segments("/paths/~1disks~1disk/a~0b").collect();
        assert_eq!(back, ["paths", "/disks/disk", "a~b"]);
        assert_eq!(
            schema_name("/components/schemas/A~1B"),
            Some("A/B".to_owned())
        );
        assert_eq!(schema_name("/components/schemas/A/properties/b"), None);
    }

    #[test]
    fn resolve_follows_references_and_nullable_wrappers() {
        let doc = serde_json::json!({
            "components": {"schemas": {"A": {"$ref": "#/components/schemas/B"}, "B": {"type": "string"}}},
            "use": {"nullable": true, "description": "d", "allOf": [{"$ref": "#/components/schemas/A"}]},
            "mixed": {"allOf": [{"$ref": "#/components/schemas/B"}], "properties": {}},
        });
        let used = resolve(&doc, "/use".to_owned(), &doc["use"]);
        assert_eq!(
            (used.at.as_str(), used.name.as_deref()),
            ("/components/schemas/B", Some("B"))
        );
        assert!(used.nullable);
        assert_eq!(used.outer, "/use");
        // An allOf with more than a wrapper's keys is a schema of its own.
        let mixed = resolve(&doc, "/mixed".to_owned(), &doc["mixed"]);
        assert_eq!((mixed.at.as_str(), mixed.name), ("/mixed", None));
    }
}
