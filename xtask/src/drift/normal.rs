//! One side of the comparison, normalised: the fragment's operations read
//! into facts named by what they mean rather than where they are written,
//! the same way for both sides, so facts pair up by meaning. References are
//! inlined (a renamed or copied schema still meets its original), and error
//! responses are read into one model (codes per status, objects per code)
//! however each side writes them.

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use serde_json::{Value, json};

use self::What::*;
use super::upstream::{label, path_item};
use crate::doc::{self, Resolved, below, child, deref, entries, items, pointer};

/// Every fact of one side read from `doc`, by path in the order read;
/// `stack` holds the schemas being read, outermost first: a schema that
/// refers back to one of them (a recursive schema) stops there.
pub(super) struct Facts<'a> {
    pub doc: &'a Value,
    pub by_path: IndexMap<String, Fact<'a>>,
    pub stack: Vec<String>,
}

/// One thing a side says, or (from [`Fact::new`]) a node being read into
/// facts: `path` names what it is, the same on both sides; `at` is its
/// pointer, `anchor` where a marker declaring a difference here sits; `node`
/// is the JSON as written, `value` what is compared (`Null` when compared by
/// presence alone).
#[derive(Debug, Clone)]
pub(super) struct Fact<'a> {
    pub path: String,
    pub what: What,
    pub key: String,
    pub at: String,
    pub anchor: String,
    pub node: &'a Value,
    pub value: Value,
    pub ctx: Ctx,
}

/// What the table's messages need beyond where a fact is; `owner` names
/// what it belongs to (a property's object, a header's status, ...).
#[derive(Debug, Clone, Default)]
pub(super) struct Ctx {
    pub request: bool,
    pub required: bool,
    pub lookup: bool,
    pub name: Option<String>,
    pub owner: String,
    pub union_at: String,
}

/// What a fact is about. Most are compared by presence alone; those that
/// hold a value (an id, a flag, a name, a type, ...) compare it, and a
/// `Description` that differs is only a warning. A `Node` is no difference
/// of its own: the document, a security scheme, an error body's objects, a
/// schema's use, or a schema below its shape family and type (so a changed
/// shape or type is one difference), each a place below which facts sit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum What {
    Node,
    Operation,
    OperationId,
    Description,
    Requirement,
    Scopes,
    SchemeField,
    Flow,
    FlowField,
    Scope,
    Parameter,
    ParameterRequired,
    RequestBody,
    BodyRequired,
    Media,
    Status,
    Header,
    ErrorReadable,
    Code,
    Wrapped,
    ErrorSchemas,
    ErrorObject,
    Property,
    Required,
    Nullable,
    Name,
    Shape,
    Type,
    Format,
    EnumValue,
    Members,
}

impl<'a> Fact<'a> {
    /// A node being read, not yet a fact of any kind: the facts of it, and
    /// below it, share its path, pointer, key and context.
    pub fn new(path: String, at: String, key: &str, node: &'a Value) -> Self {
        Self {
            what: Node,
            key: key.to_owned(),
            anchor: at.clone(),
            value: Value::Null,
            ctx: Ctx::default(),
            path,
            at,
            node,
        }
    }

    /// The member `key` of this node's collection `list`, in both the path
    /// and the document.
    pub fn member(&self, list: &str, key: &str, node: &'a Value) -> Self {
        let (path, at) = (below(&self.path, [list, key]), below(&self.at, [list, key]));
        Fact::new(path, at, key, node)
    }

    /// A fact with this node's key, anchor, JSON and context.
    pub fn fact(&self, path: String, what: What, at: &str, value: Value) -> Self {
        let at = at.to_owned();
        Fact {
            path,
            what,
            at,
            value,
            ..self.clone()
        }
    }
}

/// A field of a node, `Null` when absent.
pub(super) fn field(node: &Value, key: &str) -> Value {
    node.get(key).cloned().unwrap_or(Value::Null)
}

/// A security requirement: each scheme it names, with its scopes sorted.
pub(super) fn requirement(node: &Value) -> BTreeMap<String, Vec<String>> {
    let mut schemes = BTreeMap::new();
    for (scheme, _) in node.as_object().into_iter().flatten() {
        let mut scopes = doc::strings(node, scheme);
        scopes.sort_unstable();
        schemes.insert(scheme.clone(), scopes.into_iter().map(Into::into).collect());
    }
    schemes
}

fn scheme_pointer(scheme: &str) -> String {
    pointer(["components", "securitySchemes", scheme])
}

/// The error object of each code, first seen first.
type ByCode<'a> = IndexMap<String, Resolved<'a>>;

/// What the error statuses of one operation share: (body schema, union)
/// per status, and the error object of each code.
type Errors<'a> = (Vec<(String, String)>, ByCode<'a>);

impl<'a> Facts<'a> {
    /// Reads the operations at `operations` (the fragment's pointers) into
    /// facts, each under its method and path, below one fact for the
    /// document. An operation `doc` lacks has no facts.
    pub fn read(doc: &'a Value, operations: &[String]) -> Self {
        let mut facts = Self {
            doc,
            by_path: IndexMap::new(),
            stack: Vec::new(),
        };
        facts.add(&Fact::new(String::new(), String::new(), "", doc), Node);
        for at in operations {
            if let Some(op) = doc.pointer(at).filter(|op| op.is_object()) {
                let label = label(at);
                facts.operation(Fact::new(child("", &label), at.clone(), &label, op));
            }
        }
        facts
    }

    /// Keeps the first fact for each path.
    pub(super) fn push(&mut self, fact: Fact<'a>) {
        self.by_path.entry(fact.path.clone()).or_insert(fact);
    }

    /// That `n` is there, as a `what`.
    pub(super) fn add(&mut self, n: &Fact<'a>, what: What) {
        self.push(n.fact(n.path.clone(), what, &n.at, Value::Null));
    }

    /// A fact of `n` at `suffix` below it, reported at `n`, holding `value`.
    pub(super) fn leaf(&mut self, n: &Fact<'a>, suffix: &str, what: What, value: Value) {
        self.push(n.fact(child(&n.path, suffix), what, &n.at, value));
    }

    /// The field `key` of `n`'s JSON, as a fact (keyed by it) below `n`,
    /// at the field.
    pub(super) fn field(&mut self, n: &Fact<'a>, key: &str, what: What) {
        let (path, at) = (child(&n.path, key), child(&n.at, key));
        let mut fact = n.fact(path, what, &at, field(n.node, key));
        key.clone_into(&mut fact.key);
        self.push(fact);
    }

    fn operation(&mut self, op: Fact<'a>) {
        self.add(&op, Operation);
        let id = field(op.node, "operationId");
        self.leaf(&op, "operationId", OperationId, id);
        self.field(&op, "summary", Description);
        self.field(&op, "description", Description);
        self.security(&op);
        self.parameters(&op);
        if let Some(body) = op.node.get("requestBody") {
            let (at, body) = deref(self.doc, child(&op.at, "requestBody"), body);
            let mut n = Fact::new(child(&op.path, "body"), at, "", body);
            self.add(&n, RequestBody);
            let required = body["required"] == true;
            self.leaf(&n, "required", BodyRequired, json!(required));
            self.field(&n, "description", Description);
            n.ctx.owner = "the request body".to_owned();
            self.content(&n, true);
        }
        self.responses(&op);
    }

    /// Requirements pair up by the schemes they name. A scheme's scopes, and
    /// its definition, are reported at the scheme, where a marker can sit.
    fn security(&mut self, op: &Fact<'a>) {
        let inherited = op.node.get("security").is_none();
        let list = items(if inherited { self.doc } else { op.node }, "security");
        let mut needed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (index, node) in list.iter().enumerate() {
            let schemes = requirement(node);
            let names: Vec<&str> = schemes.keys().map(String::as_str).collect();
            let path = below(&op.path, ["security", &names.join(" & ")]);
            let at = below(&op.at, ["security", &index.to_string()]);
            let mut n = Fact::new(path, at, "", node);
            if let Some(first) = names.first() {
                n.anchor = scheme_pointer(first);
            }
            self.add(&n, Requirement);
            for (scheme, scopes) in schemes {
                (n.key, n.anchor) = (scheme.clone(), scheme_pointer(&scheme));
                self.leaf(&n, &scheme, Scopes, json!(scopes));
                needed.entry(scheme).or_default().extend(scopes);
            }
        }
        for (scheme, scopes) in needed {
            let at = scheme_pointer(&scheme);
            let Some(def) = self.doc.pointer(&at) else {
                continue;
            };
            let path = below(&op.path, ["schemes", &scheme]);
            let n = Fact::new(path, at, &scheme, def);
            self.add(&n, Node);
            // The fields that define a security scheme.
            for key in [
                "type",
                "scheme",
                "in",
                "name",
                "bearerFormat",
                "openIdConnectUrl",
            ] {
                self.field(&n, key, SchemeField);
            }
            for (name, value) in entries(def, "flows") {
                let mut flow = n.member("flows", name, value);
                (flow.anchor, flow.ctx.owner) = (n.at.clone(), name.clone());
                self.add(&flow, Flow);
                for key in ["authorizationUrl", "tokenUrl", "refreshUrl"] {
                    self.field(&flow, key, FlowField);
                }
                for scope in &scopes {
                    if value.pointer(&pointer(["scopes", scope])).is_some() {
                        let mut n = flow.member("scopes", scope, value);
                        (n.anchor, n.ctx.owner) = (flow.anchor.clone(), name.clone());
                        self.add(&n, Scope);
                    }
                }
            }
        }
    }

    /// Parameters pair up by location and name; the operation's own
    /// override the path item's.
    fn parameters(&mut self, op: &Fact<'a>) {
        let item_at = path_item(&op.at).to_owned();
        let path_item = self.doc.pointer(&item_at).unwrap_or(&Value::Null);
        let item = Fact::new(String::new(), item_at, "", path_item);
        for list in [op, &item] {
            for (index, param) in items(list.node, "parameters").iter().enumerate() {
                let at = below(&list.at, ["parameters", &index.to_string()]);
                let (at, param) = deref(self.doc, at, param);
                let text = |key| param.get(key).and_then(Value::as_str).unwrap_or("");
                let (location, name) = (text("in"), text("name"));
                let path = below(&op.path, ["parameters", &format!("{location} {name}")]);
                if self.by_path.contains_key(&path) {
                    continue;
                }
                let mut n = Fact::new(path, at, name, param);
                location.clone_into(&mut n.ctx.owner);
                self.add(&n, Parameter);
                self.leaf(&n, "required", ParameterRequired, field(param, "required"));
                self.schema_below(&n, &["schema"], true, param["required"] == true);
            }
        }
    }

    /// The media types of a body (`n`, whose owner names it), and each one's
    /// schema.
    fn content(&mut self, n: &Fact<'a>, request: bool) {
        for (media, value) in entries(n.node, "content") {
            let mut media = n.member("content", media, value);
            media.ctx.owner.clone_from(&n.ctx.owner);
            self.add(&media, Media);
            self.schema_below(&media, &["schema"], request, true);
        }
    }

    fn responses(&mut self, op: &Fact<'a>) {
        let operation = doc::Operation {
            pointer: op.at.clone(),
            value: op.node,
        };
        let mut errors = (Vec::new(), IndexMap::new());
        for (status, at, response) in doc::responses(self.doc, &operation) {
            let path = below(&op.path, ["responses", &status]);
            let mut n = Fact::new(path, at, &status, response);
            self.add(&n, Status);
            self.field(&n, "description", Description);
            for (name, header) in entries(response, "headers") {
                let (at, header) = deref(self.doc, below(&n.at, ["headers", name]), header);
                let path = below(&n.path, ["headers", &name.to_ascii_lowercase()]);
                let mut h = Fact::new(path, at, name, header);
                h.ctx.owner.clone_from(&status);
                self.add(&h, Header);
                self.schema_below(&h, &["schema"], false, true);
            }
            if doc::is_error_status(&status) {
                n.ctx.owner = status;
                self.error_status(&n, &mut errors);
            } else {
                n.ctx.owner = format!("the {status} response");
                self.content(&n, false);
            }
        }
        self.errors(op, errors);
    }

    /// An error status: whether its body reads as error objects, the codes
    /// it carries (`x-error-codes` where given, else its objects' codes),
    /// and whether the body wraps the error object.
    fn error_status(&mut self, status: &Fact<'a>, errors: &mut Errors<'a>) {
        let body = error_body(self.doc, &status.at, status.node);
        self.leaf(status, "error-body", ErrorReadable, json!(body.is_some()));
        let Some((schema_at, wrapper, union_at, objects)) = body else {
            return;
        };
        let mut body = status.clone();
        (body.path, body.ctx.union_at) = (child(&status.path, "objects"), union_at.clone());
        self.add(&body, Node);
        let codes = match status.node.get("x-error-codes") {
            Some(_) => doc::strings(status.node, "x-error-codes"),
            None => objects.keys().map(String::as_str).collect(),
        };
        for code in codes {
            let object = objects.get(code);
            let at = object.map_or(union_at.as_str(), |object| object.at.as_str());
            let path = below(&body.path, ["codes", code]);
            let mut carried = status.fact(path, Code, at, Value::Null);
            (carried.key, carried.node) =
                (code.to_owned(), object.map_or(&Value::Null, |o| o.value));
            self.push(carried);
        }
        let mut wrapped = status.clone();
        wrapped.anchor = wrapper.clone().unwrap_or_else(|| schema_at.clone());
        let path = child(&body.path, "wrapped");
        self.push(wrapped.fact(path, Wrapped, &schema_at, json!(wrapper.is_some())));
        errors.0.push((schema_at, union_at));
        for (code, object) in objects {
            errors.1.entry(code).or_insert(object);
        }
    }

    /// What the error statuses of the operation `op` share: whether they
    /// have one body schema, and each code's error object, compared by its
    /// description and properties.
    fn errors(&mut self, op: &Fact<'a>, (statuses, objects): Errors<'a>) {
        if let Some((schema_at, union_at)) = statuses.first() {
            let shared = statuses.iter().all(|(schema, _)| schema == schema_at);
            let mut n = Fact::new(op.path.clone(), schema_at.clone(), "", &Value::Null);
            n.anchor.clone_from(union_at);
            self.leaf(&n, "error-schemas", ErrorSchemas, json!(shared));
        }
        for (code, object) in objects {
            let path = below(&op.path, ["errors", &code]);
            let mut n = Fact::new(path, object.at.clone(), &code, object.value);
            n.ctx.owner = format!("the `{code}` error");
            self.add(&n, ErrorObject);
            self.field(&n, "description", Description);
            self.properties(&n, &object, true);
        }
    }
}

/// An error status's body, read the same way on both sides: the body
/// schema (after references), the envelope around the error object when it
/// is one (an object with one property), the union inside (or the one error
/// object), and the object of each code its `code` allows. `None` when the
/// body is not that.
type ErrorBody<'a> = (String, Option<String>, String, ByCode<'a>);

fn error_body<'a>(doc: &'a Value, at: &str, response: &'a Value) -> Option<ErrorBody<'a>> {
    let is_error_object = |schema: &Value| schema.pointer("/properties/code").is_some();
    let schema_at = doc::json_schema_pointer(at, response)?;
    let mut inner = doc::resolve(doc, schema_at.clone(), doc.pointer(&schema_at)?);
    let schema_at = inner.at.clone();
    let mut wrapper = None;
    if !is_error_object(inner.value) && inner.value.get("oneOf").is_none() {
        let [(name, property)] = entries(inner.value, "properties").collect::<Vec<_>>()[..] else {
            return None;
        };
        wrapper = Some(inner.at.clone());
        inner = doc::resolve(doc, below(&inner.at, ["properties", name]), property);
    }
    let member = |(index, member): (usize, &'a Value)| {
        doc::resolve(doc, below(&inner.at, ["oneOf", &index.to_string()]), member)
    };
    let members = items(inner.value, "oneOf");
    let objects = match inner.value.get("oneOf") {
        Some(_) => members.iter().enumerate().map(member).collect(),
        None => vec![inner.clone()],
    };
    let mut by_code = IndexMap::new();
    for object in objects {
        let tag = object.value.pointer("/properties/code")?;
        let tag = doc::resolve(doc, below(&object.at, ["properties", "code"]), tag);
        let codes = doc::strings(tag.value, "enum");
        if codes.is_empty() {
            return None;
        }
        for code in codes {
            by_code.entry(code.to_owned()).or_insert(object.clone());
        }
    }
    Some((schema_at, wrapper, inner.at, by_code))
}
