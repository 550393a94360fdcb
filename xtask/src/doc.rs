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

/// YAML text (JSON is YAML too) to a JSON tree. A key YAML reads as a
/// number or a boolean (an unquoted `200:`) becomes a string; a node with
/// no JSON meaning (a tag, a list as a key) is refused with its pointer.
pub fn parse_yaml(text: &str) -> Result<Value, YamlError> {
    // Syntax first: a syntax error belongs to the text, not to a node.
    if let Err(error) = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text) {
        let message = error.to_string();
        return Err(YamlError {
            at: String::new(),
            message,
        });
    }
    let yaml = serde_yaml_ng::Deserializer::from_str(text);
    serde_path_to_error::deserialize(yaml).map_err(|error| YamlError {
        at: path_to_pointer(error.path()),
        message: error.inner().to_string(),
    })
}

/// Why YAML text is not a JSON tree.
#[derive(Debug)]
pub struct YamlError {
    /// The node at fault; empty when the text is not YAML at all.
    pub at: String,
    /// What is wrong, with the line and column.
    pub message: String,
}

/// The pointer of the node a `serde_path_to_error` failure names: where a
/// tree stops being a valid typed (`openapiv3`) document.
pub fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
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
pub fn pointer<I, S>(segments: I) -> String
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

/// Appends segments to an existing pointer.
pub fn below<I, S>(parent: &str, segments: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    format!("{parent}{}", pointer(segments))
}

/// Appends one segment to an existing pointer.
pub fn child(parent: &str, segment: &str) -> String {
    format!("{parent}{}", pointer([segment]))
}

/// The segments of a pointer, unescaped.
pub fn segments(at: &str) -> impl Iterator<Item = String> + '_ {
    at.split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
}

/// The members of the object under `key` in `node`; none when it has none.
pub fn entries<'a>(node: &'a Value, key: &str) -> impl Iterator<Item = (&'a String, &'a Value)> {
    node.get(key)
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
}

/// The items of the list under `key` in `node`; none when it has none.
pub fn items<'a>(node: &'a Value, key: &str) -> &'a [Value] {
    node.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The strings of the list under `key` in `node`.
pub fn strings<'a>(node: &'a Value, key: &str) -> Vec<&'a str> {
    items(node, key).iter().filter_map(Value::as_str).collect()
}

/// Turns a local `$ref` (`#/components/schemas/Disk`) into a JSON pointer.
pub fn ref_pointer(reference: &str) -> Option<&str> {
    reference.strip_prefix('#')
}

/// The name of the schema at `at` when it is one of
/// `/components/schemas` (`Disk` for `/components/schemas/Disk`).
pub fn schema_name(at: &str) -> Option<String> {
    let rest = at.strip_prefix("/components/schemas/")?;
    (!rest.contains('/')).then(|| segments(&format!("/{rest}")).collect())
}

// --------------------------------------------------------------- references

/// A schema reached from where it is written: `$ref`s and wrappers followed.
#[derive(Debug, Clone)]
pub struct Resolved<'a> {
    /// Where the schema itself is.
    pub at: String,
    /// The schema itself.
    pub value: &'a Value,
    /// Its name under `/components/schemas`, when a `$ref` led there.
    pub name: Option<String>,
    /// `nullable: true` on a wrapper or on the schema.
    pub nullable: bool,
}

/// Follows `$ref`s and the `allOf: [X]` wrapper (with only `nullable`, a
/// description or extensions beside it: how OpenAPI 3.0 writes a nullable
/// or described reference) from `node`, written at `outer`, to the schema.
pub fn resolve<'a>(doc: &'a Value, outer: String, node: &'a Value) -> Resolved<'a> {
    let mut schema = Resolved {
        at: outer,
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

/// [`resolve`] for a node that is not a schema (a response, a parameter, a
/// request body, a header): where the node is, and it. A dangling or cyclic
/// reference stops at the last node reached; the `dangling-ref` rule
/// reports those.
pub fn deref<'a>(doc: &'a Value, at: String, node: &'a Value) -> (String, &'a Value) {
    let resolved = resolve(doc, at, node);
    (resolved.at, resolved.value)
}

/// Every node under `node` (itself first) with its pointer, `at` being
/// `node`'s: what a look at every node (for a marker, a reference) reads.
pub fn nodes<'a>(node: &'a Value, at: &str) -> Vec<(String, &'a Value)> {
    let children: Vec<(String, &Value)> = match node {
        Value::Object(map) => map
            .iter()
            .map(|(key, value)| (child(at, key), value))
            .collect(),
        Value::Array(list) => {
            let indexed = list.iter().enumerate();
            indexed
                .map(|(index, value)| (child(at, &index.to_string()), value))
                .collect()
        }
        _ => Vec::new(),
    };
    let mut out = vec![(at.to_owned(), node)];
    for (at, value) in children {
        out.extend(nodes(value, &at));
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
    object
        .keys()
        .all(|key| {
            matches!(key.as_str(), "allOf" | "nullable" | "description") || key.starts_with("x-")
        })
        .then_some(inner)
}

// -------------------------------------------------------------- operations

/// The HTTP methods a path item may hold, in the order OpenAPI lists them.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation: where it is and its JSON.
pub struct Operation<'a> {
    /// `/paths/~1disks~1disk/patch`
    pub pointer: String,
    /// The operation object.
    pub value: &'a Value,
}

impl Operation<'_> {
    /// Where it is: the same pointer names the operation of the same method
    /// and path in any document.
    pub fn pointer(&self) -> &str {
        &self.pointer
    }
}

/// Every operation in the document, in document order.
pub fn operations(doc: &Value) -> Vec<Operation<'_>> {
    let mut out = Vec::new();
    for (path, item) in entries(doc, "paths") {
        for method in METHODS {
            if let Some(value) = item.get(method) {
                let pointer = pointer(["paths", path.as_str(), method]);
                out.push(Operation { pointer, value });
            }
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

/// The pointer of a response's JSON schema, if it has one.
pub fn json_schema_pointer(at: &str, response: &Value) -> Option<String> {
    let is_json = |mt: &str| mt == "application/json" || mt.starts_with("application/json;");
    let (media_type, media) = entries(response, "content").find(|(mt, _)| is_json(mt))?;
    media.get("schema")?;
    Some(below(at, ["content", media_type, "schema"]))
}

// ------------------------------------------------------------------ schemas

/// Which way a schema travels: in a request, or in a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    Request,
    Response,
}

/// Pointers of the schemas at the root of each request body and parameter
/// (`Wire::Request`) or each response body (`Wire::Response`).
pub fn schema_roots(doc: &Value, wire: Wire) -> Vec<String> {
    // `content/<media type>/schema` under a request body or a response.
    let content_schemas = |at: &str, node: &Value| -> Vec<String> {
        let with_schema =
            entries(node, "content").filter(|(_, media)| media.get("schema").is_some());
        with_schema
            .map(|(media_type, _)| below(at, ["content", media_type, "schema"]))
            .collect()
    };
    let mut roots = Vec::new();
    for op in operations(doc) {
        if wire == Wire::Response {
            for (_, at, response) in responses(doc, &op) {
                roots.extend(content_schemas(&at, response));
            }
            continue;
        }
        if let Some(body) = op.value.get("requestBody") {
            let (at, body) = deref(doc, child(&op.pointer, "requestBody"), body);
            roots.extend(content_schemas(&at, body));
        }
        for (index, param) in items(op.value, "parameters").iter().enumerate() {
            let at = below(&op.pointer, ["parameters", &index.to_string()]);
            let (at, param) = deref(doc, at, param);
            if param.get("schema").is_some() {
                roots.push(child(&at, "schema"));
            }
        }
    }
    roots
}

/// Every schema node reachable from `roots` (following `$ref`s, properties,
/// items, compositions), each once, in breadth-first order.
pub fn reachable<'a>(doc: &'a Value, roots: &[String]) -> Vec<(String, &'a Value)> {
    let mut seen = BTreeSet::new();
    let mut queue: VecDeque<String> = roots.iter().cloned().collect();
    let mut out = Vec::new();
    while let Some(at) = queue.pop_front() {
        let Some(node) = doc.pointer(&at).filter(|_| seen.insert(at.clone())) else {
            continue;
        };
        let reference = node.get("$ref").and_then(Value::as_str);
        queue.extend(reference.and_then(ref_pointer).map(str::to_owned));
        // The direct subschemas.
        queue.extend(entries(node, "properties").map(|(name, _)| below(&at, ["properties", name])));
        for (key, any) in [
            ("items", true),
            ("not", true),
            ("additionalProperties", false),
        ] {
            if node.get(key).is_some_and(|value| any || value.is_object()) {
                queue.push_back(child(&at, key));
            }
        }
        for list in ["allOf", "oneOf", "anyOf"] {
            let count = items(node, list).len();
            queue.extend((0..count).map(|index| below(&at, [list, &index.to_string()])));
        }
        out.push((at, node));
    }
    out
}

/// Every schema node in the document: those under `/components/schemas` and
/// those inline in operations, each once.
pub fn all_schemas(doc: &Value) -> Vec<(String, &Value)> {
    let components = doc.pointer("/components").unwrap_or(&Value::Null);
    let mut roots: Vec<String> = entries(components, "schemas")
        .map(|(name, _)| pointer(["components", "schemas", name]))
        .collect();
    roots.extend(schema_roots(doc, Wire::Request));
    roots.extend(schema_roots(doc, Wire::Response));
    reachable(doc, &roots)
}

/// The names a schema's `required` list holds.
pub fn required_names(schema: &Value) -> Vec<&str> {
    strings(schema, "required")
}

/// How progenitor will shape a `oneOf`.
#[derive(Debug, PartialEq, Eq)]
pub enum OneOfShape {
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
pub fn one_of_shape(members: &[Value]) -> OneOfShape {
    for (index, member) in members.iter().enumerate() {
        let why = if member.get("$ref").is_some() {
            "is a `$ref`; progenitor only tags enums whose members are written inline"
        } else if !(member.get("type").and_then(Value::as_str) == Some("object")
            || (member.get("type").is_none() && member.get("properties").is_some()))
        {
            "is not an object"
        } else if !matches!(
            member.get("additionalProperties"),
            None | Some(Value::Bool(false))
        ) {
            "allows additional properties; progenitor can only tag closed or unspecified objects"
        } else {
            continue;
        };
        return OneOfShape::Untagged(format!("member {index} {why}"));
    }
    if members.is_empty() {
        return OneOfShape::Untagged("the oneOf has no members".to_owned());
    }
    let properties = |member: &Value| -> Vec<String> {
        entries(member, "properties")
            .map(|(name, _)| name.clone())
            .collect()
    };
    let mut names: Vec<String> = members.iter().flat_map(properties).collect();
    names.sort();
    names.dedup();
    let one_each = members.iter().all(|member| {
        let props = properties(member);
        props.len() == 1 && required_names(member) == props
    });
    if one_each && names.len() == members.len() {
        return OneOfShape::External;
    }

    // Candidate tags: required properties of the first member holding a
    // single-value string enum; keep the first every member shares, with
    // distinct values.
    let tag_value = |member: &Value, name: &str| -> Option<String> {
        let prop = member.get("properties")?.get(name)?;
        let ty = prop.get("type").and_then(Value::as_str);
        match (ty, prop.get("enum")?.as_array()?.as_slice()) {
            (Some("string") | None, [Value::String(value)])
                if required_names(member).contains(&name) =>
            {
                Some(value.clone())
            }
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
#[derive(Debug, Clone)]
pub struct ErrorUnion {
    /// Pointer of the `oneOf` schema (e.g. `/components/schemas/ApiError`).
    pub pointer: String,
    /// Its name under `/components/schemas`, when it has one.
    pub name: Option<String>,
    /// The tag property (`code`).
    pub tag: String,
    /// The tag values in document order: one per variant.
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
    let OneOfShape::Internal { tag } = one_of_shape(members) else {
        return None;
    };
    let codes = members
        .iter()
        .filter_map(|m| m.pointer(&format!("/properties/{tag}/enum/0"))?.as_str())
        .map(str::to_owned)
        .collect();
    let name = schema_name(&pointer);
    Some(ErrorUnion {
        pointer,
        name,
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
    pub description: Option<String>,
    /// The wire values, in document order: one variant each.
    pub values: Vec<String>,
}

/// Every schema under `/components/schemas` marked `x-open-enum: true`, in
/// document order.
pub fn open_enums(doc: &Value) -> Vec<OpenEnum> {
    let components = doc.pointer("/components").unwrap_or(&Value::Null);
    let open = entries(components, "schemas")
        .filter(|(_, s)| s.get("x-open-enum") == Some(&Value::Bool(true)));
    let open_enum = |(name, schema): (&String, &Value)| OpenEnum {
        name: name.clone(),
        description: schema
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned),
        values: strings(schema, "enum")
            .into_iter()
            .map(str::to_owned)
            .collect(),
    };
    open.map(open_enum).collect()
}
