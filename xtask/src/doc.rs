//! The one model of an OpenAPI document, read by every task: text (JSON or
//! YAML) to a JSON tree, its nodes named by JSON pointer, `$ref`s followed,
//! and the queries the lint rules, the generators and the drift check share.

use std::collections::{BTreeSet, VecDeque};

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Lowercase hex sha256 of `bytes`: what identifies a document.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Why YAML text is not a JSON tree: the node at fault (empty when the text
/// is not YAML at all), and what is wrong, with the line and column.
#[derive(Debug)]
pub struct YamlError {
    pub at: String,
    pub message: String,
}

/// YAML text (JSON is YAML too) to a JSON tree: a number or boolean key
/// (`200:`) becomes a string; a tag or a list as a key is refused.
pub fn parse_yaml(text: &str) -> Result<Value, YamlError> {
    // Syntax first: a syntax error belongs to the text, not to a node.
    if let Err(error) = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text) {
        return Err(YamlError {
            at: String::new(),
            message: error.to_string(),
        });
    }
    let yaml = serde_yaml_ng::Deserializer::from_str(text);
    serde_path_to_error::deserialize(yaml).map_err(|error| YamlError {
        at: path_to_pointer(error.path()),
        message: error.inner().to_string(),
    })
}

/// The pointer of the node a `serde_path_to_error` failure names.
pub fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    pointer(path.iter().filter_map(|segment| match segment {
        Segment::Seq { index } => Some(index.to_string()),
        Segment::Map { key } | Segment::Enum { variant: key } => Some(key.clone()),
        Segment::Unknown => None,
    }))
}

/// Builds a JSON pointer (RFC 6901) from path segments.
pub fn pointer<I: IntoIterator<Item = S>, S: AsRef<str>>(segments: I) -> String {
    let escape = |s: S| format!("/{}", s.as_ref().replace('~', "~0").replace('/', "~1"));
    segments.into_iter().map(escape).collect()
}

pub fn below<I: IntoIterator<Item = S>, S: AsRef<str>>(parent: &str, segments: I) -> String {
    format!("{parent}{}", pointer(segments))
}

pub fn child(parent: &str, segment: &str) -> String {
    below(parent, [segment])
}

pub fn segments(at: &str) -> impl Iterator<Item = String> + '_ {
    let unescape = |s: &str| s.replace("~1", "/").replace("~0", "~");
    at.split('/').skip(1).map(unescape)
}

/// The members of the object under `key` in `node`; none when it has none.
pub fn entries<'a>(node: &'a Value, key: &str) -> impl Iterator<Item = (&'a String, &'a Value)> {
    node[key].as_object().into_iter().flatten()
}

/// The items of the list under `key` in `node`; none when it has none.
pub fn items<'a>(node: &'a Value, key: &str) -> &'a [Value] {
    node[key].as_array().map_or(&[], Vec::as_slice)
}

pub fn strings<'a>(node: &'a Value, key: &str) -> Vec<&'a str> {
    items(node, key).iter().filter_map(Value::as_str).collect()
}

/// Turns a local `$ref` (`#/components/schemas/Disk`) into a JSON pointer.
pub fn ref_pointer(reference: &str) -> Option<&str> {
    reference.strip_prefix('#')
}

/// `Disk` for `/components/schemas/Disk`; `None` for any other pointer.
pub fn schema_name(at: &str) -> Option<String> {
    let rest = at.strip_prefix("/components/schemas/")?;
    (!rest.contains('/')).then(|| segments(&format!("/{rest}")).collect())
}

/// A schema reached through `$ref`s and wrappers: where it is, it, its name
/// when a `$ref` led to a component, and whether anything said `nullable`.
#[derive(Debug, Clone)]
pub struct Resolved<'a> {
    pub at: String,
    pub value: &'a Value,
    pub name: Option<String>,
    pub nullable: bool,
}

/// Follows `$ref`s and the `allOf: [X]` wrapper (how OpenAPI 3.0 writes a
/// nullable or described reference) from `node`, written at `outer`.
pub fn resolve<'a>(doc: &'a Value, outer: String, node: &'a Value) -> Resolved<'a> {
    let (mut at, mut value, mut name, mut nullable) = (outer, node, None, false);
    // A bound, so that a cycle of references ends.
    for _ in 0..16 {
        let reference = value["$ref"].as_str().and_then(ref_pointer);
        if let Some((target, next)) = reference.and_then(|p| Some((p, doc.pointer(p)?))) {
            (at, name, value) = (target.to_owned(), schema_name(target), next);
        } else if let Some(inner) = wrapped(value) {
            nullable |= value["nullable"] == true;
            (at, value) = (below(&at, ["allOf", "0"]), inner);
        } else {
            break;
        }
    }
    nullable |= value["nullable"] == true;
    Resolved {
        at,
        value,
        name,
        nullable,
    }
}

/// [`resolve`] for a node that is not a schema (a response, a parameter, a
/// request body, a header): where the node is, and it. A dangling or cyclic
/// reference stops at the last node reached (`dangling-ref` reports those).
pub fn deref<'a>(doc: &'a Value, at: String, node: &'a Value) -> (String, &'a Value) {
    let resolved = resolve(doc, at, node);
    (resolved.at, resolved.value)
}

/// Every node under `node` (itself first, at `at`) with its pointer.
pub fn nodes<'a>(node: &'a Value, at: &str) -> Vec<(String, &'a Value)> {
    let mut out = vec![(at.to_owned(), node)];
    if let Value::Object(map) = node {
        let entry = |(key, value): (&String, _)| nodes(value, &child(at, key));
        out.extend(map.iter().flat_map(entry));
    } else if let Value::Array(list) = node {
        let item = |(index, value): (usize, _)| nodes(value, &child(at, &index.to_string()));
        out.extend(list.iter().enumerate().flat_map(item));
    }
    out
}

/// The `X` of `{allOf: [X]}` with nothing beside it but `nullable`, a
/// description or extensions.
fn wrapped(value: &Value) -> Option<&Value> {
    let object = value.as_object()?;
    let [inner] = object.get("allOf")?.as_array()?.as_slice() else {
        return None;
    };
    let wrapper_key = |key: &String| {
        matches!(key.as_str(), "allOf" | "nullable" | "description") || key.starts_with("x-")
    };
    object.keys().all(wrapper_key).then_some(inner)
}

/// One operation: its pointer (`/paths/~1disks~1disk/patch`, the same in
/// every document) and its JSON.
pub struct Operation<'a> {
    pub pointer: String,
    pub value: &'a Value,
}

/// Every operation in the document, in document order (a path item's
/// methods in the order OpenAPI lists them).
pub fn operations(doc: &Value) -> Vec<Operation<'_>> {
    let methods = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    let mut out = Vec::new();
    for (path, item) in entries(doc, "paths") {
        for (method, value) in methods.iter().filter_map(|m| Some((m, item.get(m)?))) {
            let pointer = pointer(["paths", path, method]);
            out.push(Operation { pointer, value });
        }
    }
    out
}

/// The operation's responses, `$ref`s resolved: (status key, pointer, node).
pub fn responses<'a>(doc: &'a Value, op: &Operation<'a>) -> Vec<(String, String, &'a Value)> {
    let statuses = entries(op.value, "responses").filter(|(status, _)| !status.starts_with("x-"));
    let response = |(status, response): (&String, &'a Value)| {
        let (at, response) = deref(doc, below(&op.pointer, ["responses", status]), response);
        (status.clone(), at, response)
    };
    statuses.map(response).collect()
}

/// Whether a status key (`"404"`, `"4XX"`, `"default"`) denotes an error.
pub fn is_error_status(status: &str) -> bool {
    status == "default" || status.starts_with('4') || status.starts_with('5')
}

/// Whether a media type is JSON (`application/json`, with parameters or not).
pub fn is_json(media_type: &str) -> bool {
    media_type == "application/json" || media_type.starts_with("application/json;")
}

/// The pointer of a response's JSON schema, if it has one.
pub fn json_schema_pointer(at: &str, response: &Value) -> Option<String> {
    let (media_type, media) = entries(response, "content").find(|(mt, _)| is_json(mt))?;
    media.get("schema")?;
    Some(below(at, ["content", media_type, "schema"]))
}

/// Which way a schema travels: in a request, or in a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    Request,
    Response,
}

/// Pointers of the schemas at the root of each request body and parameter
/// (`Wire::Request`) or each response body (`Wire::Response`).
pub fn schema_roots(doc: &Value, wire: Wire) -> Vec<String> {
    let mut roots = Vec::new();
    for op in operations(doc) {
        // A response's bodies; or the request's body, then its parameters.
        let (bodies, params): (Vec<_>, &[Value]) = if wire == Wire::Response {
            let bodies = responses(doc, &op).into_iter().map(|(_, at, r)| (at, r));
            (bodies.collect(), &[])
        } else {
            let body = op.value.get("requestBody");
            let body = body.map(|body| deref(doc, child(&op.pointer, "requestBody"), body));
            (body.into_iter().collect(), items(op.value, "parameters"))
        };
        for (at, body) in bodies {
            let media = entries(body, "content").filter(|(_, media)| media.get("schema").is_some());
            let root =
                |(media_type, _): (&String, _)| below(&at, ["content", media_type, "schema"]);
            roots.extend(media.map(root));
        }
        for (index, param) in params.iter().enumerate() {
            let at = below(&op.pointer, ["parameters", &index.to_string()]);
            let (at, param) = deref(doc, at, param);
            roots.extend(param.get("schema").map(|_| child(&at, "schema")));
        }
    }
    roots
}

/// Every schema node a request (`Some(Wire::Request)`), a response or, with
/// `None`, anything (components and inline ones) reaches, following `$ref`s,
/// properties, items and compositions: each once, in breadth-first order.
pub fn schemas(doc: &Value, wire: Option<Wire>) -> Vec<(String, &Value)> {
    let mut queue = VecDeque::new();
    if wire.is_none() {
        let component = |(name, _): (&String, _)| pointer(["components", "schemas", name]);
        queue.extend(entries(&doc["components"], "schemas").map(component));
    }
    for root_wire in [Wire::Request, Wire::Response] {
        if wire.is_none_or(|wire| wire == root_wire) {
            queue.extend(schema_roots(doc, root_wire));
        }
    }
    let (mut seen, mut out) = (BTreeSet::new(), Vec::new());
    while let Some(at) = queue.pop_front() {
        let Some(node) = doc.pointer(&at).filter(|_| seen.insert(at.clone())) else {
            continue;
        };
        let reference = node["$ref"].as_str().and_then(ref_pointer);
        queue.extend(reference.map(str::to_owned));
        queue.extend(entries(node, "properties").map(|(name, _)| below(&at, ["properties", name])));
        // A boolean (`additionalProperties: true`) is no schema to walk.
        let singles = ["items", "not", "additionalProperties"].into_iter();
        let singles = singles.filter(|key| node[key].is_object());
        queue.extend(singles.map(|key| child(&at, key)));
        for list in ["allOf", "oneOf", "anyOf"] {
            let count = items(node, list).len();
            queue.extend((0..count).map(|index| below(&at, [list, &index.to_string()])));
        }
        out.push((at, node));
    }
    out
}

/// How progenitor will shape a `oneOf`.
#[derive(Debug, PartialEq, Eq)]
pub enum OneOfShape {
    /// Every member is an inline object with exactly one property, required:
    /// an externally tagged enum (`{"id": "..."}` is `Lookup::Id(..)`).
    External,
    /// Every member is an inline object whose required property `tag` is a
    /// single-value string enum, the values (in member order) distinct.
    Internal { tag: String, values: Vec<String> },
    /// Neither: progenitor falls back to an untagged enum (or panics).
    Untagged(String),
}

pub fn one_of_shape(members: &[Value]) -> OneOfShape {
    for (index, member) in members.iter().enumerate() {
        let is_object = member["type"] == "object"
            || (member.get("type").is_none() && member.get("properties").is_some());
        let extra = member.get("additionalProperties");
        let open = extra.is_some_and(|extra| *extra != false);
        let why = if member.get("$ref").is_some() {
            "is a `$ref`; progenitor only tags enums whose members are written inline"
        } else if !is_object {
            "is not an object"
        } else if open {
            "allows additional properties; progenitor can only tag closed or unspecified objects"
        } else {
            continue;
        };
        return OneOfShape::Untagged(format!("member {index} {why}"));
    }
    let Some(first) = members.first() else {
        return OneOfShape::Untagged("the oneOf has no members".to_owned());
    };
    let properties =
        |member| -> Vec<&String> { entries(member, "properties").map(|p| p.0).collect() };
    let lone_required = |member| match properties(member)[..] {
        [name] if strings(member, "required") == [name] => Some(name),
        _ => None,
    };
    let names: Option<BTreeSet<&String>> = members.iter().map(lone_required).collect();
    if names.is_some_and(|names| names.len() == members.len()) {
        return OneOfShape::External;
    }
    // The tag: the first required property of every member (by name) that
    // holds a single-value string enum, with distinct values.
    let tag_value = |member: &Value, name: &str| {
        let prop = &member["properties"][name];
        let string = matches!(prop["type"].as_str(), Some("string") | None);
        match items(prop, "enum") {
            [Value::String(value)] if string && strings(member, "required").contains(&name) => {
                Some(value.clone())
            }
            _ => None,
        }
    };
    let mut candidates = properties(first);
    candidates.sort();
    for name in candidates {
        let values: Option<Vec<String>> = members.iter().map(|m| tag_value(m, name)).collect();
        if let Some(values) = values
            && values.iter().collect::<BTreeSet<_>>().len() == members.len()
        {
            let tag = name.clone();
            return OneOfShape::Internal { tag, values };
        }
    }
    OneOfShape::Untagged(
        "the members neither each hold one required property nor share a required \
         single-value string property with distinct values"
            .to_owned(),
    )
}

/// The `oneOf` every error response decodes into: its pointer, its name as
/// a component, its tag property (`code`), and one tag value per variant.
#[derive(Debug, Clone)]
pub struct ErrorUnion {
    pub pointer: String,
    pub name: Option<String>,
    pub tag: String,
    pub codes: Vec<String>,
}

/// Finds the error union behind a shared error schema: the schema itself if
/// it is a tagged `oneOf`, or the one property of an envelope object
/// (`{"error": {...}}`) if that is. `None` when neither holds.
pub fn error_union(doc: &Value, schema_at: &str) -> Option<ErrorUnion> {
    let (at, node) = deref(doc, schema_at.to_owned(), doc.pointer(schema_at)?);
    let (pointer, union) = match entries(node, "properties").collect::<Vec<_>>()[..] {
        _ if node.get("oneOf").is_some() => (at, node),
        [(name, property)] => deref(doc, below(&at, ["properties", name]), property),
        _ => return None,
    };
    let members = union.get("oneOf")?.as_array()?;
    let OneOfShape::Internal { tag, values: codes } = one_of_shape(members) else {
        return None;
    };
    Some(ErrorUnion {
        name: schema_name(&pointer),
        pointer,
        tag,
        codes,
    })
}

/// The pointer of the JSON schema of the operation's first error response
/// that has one, and all its error responses.
pub fn error_schema<'a>(
    doc: &'a Value,
    op: &Operation<'a>,
) -> (Option<String>, Vec<(String, String, &'a Value)>) {
    let mut errors = responses(doc, op);
    errors.retain(|(status, ..)| is_error_status(status));
    let schema = errors.iter().find_map(|e| json_schema_pointer(&e.1, e.2));
    (schema, errors)
}

/// An enum marked `x-open-enum: true`: its name (the Rust enum's), its
/// description (the rustdoc), and its wire values, one variant each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenEnum {
    pub name: String,
    pub description: Option<String>,
    pub values: Vec<String>,
}

/// Every component schema marked `x-open-enum: true`, in document order.
pub fn open_enums(doc: &Value) -> Vec<OpenEnum> {
    let open = entries(&doc["components"], "schemas").filter(|(_, s)| s["x-open-enum"] == true);
    let open_enum = |(name, schema): (&String, &Value)| OpenEnum {
        name: name.clone(),
        description: schema["description"].as_str().map(str::to_owned),
        values: strings(schema, "enum")
            .into_iter()
            .map(str::to_owned)
            .collect(),
    };
    open.map(open_enum).collect()
}
