//! One side of the comparison, normalised: the operation read into facts,
//! the same way for the fragment and for the upstream closure. A fact is
//! named by a path that says what it is rather than where it is written
//! (`/body/content/application~1json/schema/plain/object/properties/disk`),
//! so the two sides' facts pair up by meaning:
//!
//! - references are inlined: a schema's facts sit under each place it is
//!   used, so a schema the fragment renamed or copied still meets its
//!   upstream original;
//! - what a schema holds sits under its shape and its type, so when those
//!   differ, that is the one difference reported, not everything below;
//! - error responses are read into one model (per status: its codes,
//!   whether the body is wrapped; per code, across statuses: its object),
//!   however each side writes them (one envelope around one union tagged
//!   by `code` in the fragment, one schema per status upstream);
//! - each enum value, error code, property, header, ... is a fact of its
//!   own, so one added is one difference.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Value, json};

use super::OPERATION_PATH;
use super::upstream::operation_pointer;
use crate::doc::{self, OneOfShape, Resolved, child, deref, pointer};

/// Every fact of one side, in the order read.
pub(super) struct Facts<'a> {
    /// The document they were read from.
    pub doc: &'a Value,
    pub list: Vec<Fact<'a>>,
    index: HashMap<String, usize>,
    /// The schemas being read, outermost first: a schema that refers back
    /// to one of them (a recursive schema) stops there.
    stack: Vec<String>,
}

/// One thing a side says.
#[derive(Debug, Clone)]
pub(super) struct Fact<'a> {
    /// What it is, the same on both sides; the fact above it is the
    /// longest path before it that is a fact.
    pub path: String,
    pub what: What,
    /// Its key among its siblings: a property's or header's name, a status,
    /// an enum value (as JSON), a code, a scheme, ...
    pub key: String,
    /// Its pointer in its document.
    pub at: String,
    /// Where in the fragment a marker declaring a difference here sits:
    /// `at`, or the nearest node a marker can stand on (the scheme of a
    /// scheme's field, the response of a code, the schema of an enum value).
    pub anchor: String,
    /// The node as written, for the edits that copy it.
    pub node: &'a Value,
    /// What is compared; `Null` for a fact compared by presence alone.
    pub value: Value,
    pub ctx: Ctx,
}

/// What the table's messages need to know about a fact beyond where it is.
#[derive(Debug, Clone, Default)]
pub(super) struct Ctx {
    /// The schema travels in a request.
    pub request: bool,
    /// A value must be present where the schema is used.
    pub required: bool,
    /// An open enum (`x-open-enum: true`).
    pub open: bool,
    /// A lookup: a oneOf of single-field objects.
    pub lookup: bool,
    /// The operation carries `x-rust-name`.
    pub renamed: bool,
    /// The schema's name under `/components/schemas`.
    pub name: Option<String>,
    /// What the fact belongs to, as messages name it: the object owning a
    /// property, the status of a header or a code, the location of a
    /// parameter, the flow of a scope, the body of a media type.
    pub owner: String,
    /// For an error body: the union its codes are variants of.
    pub union_at: String,
}

/// What a fact is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum What {
    /// The operation: the root every other fact is under.
    Operation,
    OperationId,
    /// A description or a summary: a difference is only a warning.
    Description,
    /// A security requirement (by the schemes it names).
    Requirement,
    /// The scopes a requirement lists for one scheme.
    Scopes,
    /// A security scheme the requirements name.
    Scheme,
    /// A field that defines a scheme (`type`, `scheme`, `in`, ...).
    SchemeField,
    /// An OAuth2 flow of a scheme.
    Flow,
    /// A flow's URL.
    FlowField,
    /// A scope the requirements need, defined by a flow.
    Scope,
    Parameter,
    ParameterRequired,
    RequestBody,
    BodyRequired,
    /// A media type of a body.
    Media,
    /// A response status.
    Status,
    Header,
    /// Whether an error status's body reads as error objects with a code.
    ErrorReadable,
    /// An error code a status carries.
    Code,
    /// Whether an error status's body is an envelope around the error.
    Wrapped,
    /// The error objects of a body that reads as such: what its codes and
    /// its wrapping are compared under.
    ErrorObjects,
    /// How many distinct body schemas the error statuses have.
    ErrorSchemas,
    /// The error object of one code.
    ErrorObject,
    /// A schema used without a name of its own (a body, items, a member).
    Schema,
    /// A property of an object, with its schema.
    Property,
    /// Whether a property is required.
    Required,
    /// Whether a value may be null where the schema is used.
    Nullable,
    /// The schema's name: the generated type's. `""` for an inline schema
    /// that generates a type, `Null` for one that does not.
    Name,
    Shape,
    /// The schema below its shape family.
    Family,
    Type,
    /// The schema below its type.
    Typed,
    Format,
    EnumValue,
    /// How many members a oneOf has.
    Members,
}

/// A node that stands for a value that is absent.
static NULL: Value = Value::Null;

/// A fact compared by presence, reported at `at`; the builder methods
/// below give it a value, an anchor and context.
fn fact<'a>(path: String, what: What, key: &str, at: &str, node: &'a Value) -> Fact<'a> {
    Fact {
        path,
        what,
        key: key.to_owned(),
        at: at.to_owned(),
        anchor: at.to_owned(),
        node,
        value: Value::Null,
        ctx: Ctx::default(),
    }
}

impl Fact<'_> {
    fn value(self, value: Value) -> Self {
        Self { value, ..self }
    }
    fn anchor(self, anchor: &str) -> Self {
        let anchor = anchor.to_owned();
        Self { anchor, ..self }
    }
    fn ctx(self, ctx: &Ctx) -> Self {
        let ctx = ctx.clone();
        Self { ctx, ..self }
    }
    fn owner(mut self, owner: &str) -> Self {
        owner.clone_into(&mut self.ctx.owner);
        self
    }
}

/// A field of a node, `Null` when absent.
fn field(node: &Value, key: &str) -> Value {
    node.get(key).cloned().unwrap_or(Value::Null)
}

/// The strings of a JSON list.
fn strings(list: Option<&Value>) -> Vec<String> {
    let items = list.and_then(Value::as_array).into_iter().flatten();
    items.filter_map(Value::as_str).map(str::to_owned).collect()
}

/// A security requirement: each scheme it names, with its scopes sorted.
pub(super) fn requirement(node: &Value) -> BTreeMap<String, Vec<String>> {
    let schemes = node.as_object().into_iter().flatten();
    schemes
        .map(|(scheme, scopes)| {
            let mut scopes = strings(Some(scopes));
            scopes.sort();
            (scheme.clone(), scopes)
        })
        .collect()
}

fn scheme_pointer(scheme: &str) -> String {
    pointer(["components", "securitySchemes", scheme])
}

/// An error status's body, read the same way on both sides.
struct ErrorBody<'a> {
    /// The body schema (after references): what the statuses share, or not.
    schema_at: String,
    /// The envelope's pointer when the error object is wrapped in one.
    wrapper: Option<String>,
    /// The schema inside the envelope: a union, or one error object.
    union_at: String,
    /// Each error object with the codes its `code` allows.
    objects: Vec<(Vec<String>, Resolved<'a>)>,
}

/// What the error statuses of one side share: (body schema, union) per
/// status, and the error object of each code, first seen first.
#[derive(Default)]
struct Errors<'a> {
    statuses: Vec<(String, String)>,
    objects: Vec<(String, Resolved<'a>)>,
}

impl<'a> Facts<'a> {
    /// Reads the operation of `doc` into facts.
    pub fn read(doc: &'a Value) -> Self {
        let mut facts = Self {
            doc,
            list: Vec::new(),
            index: HashMap::new(),
            stack: Vec::new(),
        };
        let at = operation_pointer();
        if let Some(op) = doc.pointer(&at) {
            facts.operation(&at, op);
        }
        facts
    }

    /// The fact at `path`.
    pub fn get(&self, path: &str) -> Option<&Fact<'a>> {
        self.index.get(path).map(|&index| &self.list[index])
    }

    /// Keeps the first fact for each path: a schema reached twice the same
    /// way says the same thing twice.
    fn push(&mut self, fact: Fact<'a>) {
        if !self.index.contains_key(&fact.path) {
            self.index.insert(fact.path.clone(), self.list.len());
            self.list.push(fact);
        }
    }

    /// The description (or summary) `key` of `node`, at `at`.
    fn text(&mut self, parent: &str, key: &str, at: &str, node: &'a Value) {
        let path = child(parent, key);
        self.push(
            fact(path, What::Description, key, &child(at, key), node).value(field(node, key)),
        );
    }

    fn operation(&mut self, at: &str, op: &'a Value) {
        self.push(fact(String::new(), What::Operation, "", at, op));
        let renamed = Ctx {
            renamed: op.get("x-rust-name").is_some(),
            ..Ctx::default()
        };
        let id = fact("/operationId".to_owned(), What::OperationId, "", at, op);
        self.push(id.value(field(op, "operationId")).ctx(&renamed));
        for key in ["summary", "description"] {
            self.text("", key, at, op);
        }
        self.security(at, op);
        self.parameters(at, op);
        if let Some(body) = op.get("requestBody") {
            let (at, body) = deref(self.doc, child(at, "requestBody"), body);
            self.push(fact("/body".to_owned(), What::RequestBody, "", &at, body));
            let required = json!(body.get("required") == Some(&Value::Bool(true)));
            let flag = fact(
                "/body/required".to_owned(),
                What::BodyRequired,
                "",
                &at,
                body,
            );
            self.push(flag.value(required));
            self.text("/body", "description", &at, body);
            self.content("/body", &at, body, "the request body", true);
        }
        self.responses(at, op);
    }

    /// Requirements pair up by the schemes they name. A scheme's scopes, and
    /// its definition, are reported at the scheme, where a marker can sit.
    fn security(&mut self, op_at: &str, op: &'a Value) {
        let list = op.get("security").or_else(|| self.doc.get("security"));
        let mut needed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (index, node) in list
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let schemes = requirement(node);
            let names: Vec<&str> = schemes.keys().map(String::as_str).collect();
            let path = child("/security", &names.join(" & "));
            let at = child(&child(op_at, "security"), &index.to_string());
            let anchor = names
                .first()
                .map_or_else(|| at.clone(), |s| scheme_pointer(s));
            self.push(fact(path.clone(), What::Requirement, "", &at, node).anchor(&anchor));
            for (scheme, scopes) in schemes {
                let listed = fact(child(&path, &scheme), What::Scopes, &scheme, &at, node);
                self.push(listed.value(json!(scopes)).anchor(&scheme_pointer(&scheme)));
                needed.entry(scheme).or_default().extend(scopes);
            }
        }
        for (scheme, scopes) in needed {
            let at = scheme_pointer(&scheme);
            let Some(def) = self.doc.pointer(&at) else {
                continue;
            };
            let path = child("/schemes", &scheme);
            self.push(fact(path.clone(), What::Scheme, &scheme, &at, def));
            for key in [
                "type",
                "scheme",
                "in",
                "name",
                "bearerFormat",
                "openIdConnectUrl",
            ] {
                let defining = fact(
                    child(&path, key),
                    What::SchemeField,
                    key,
                    &child(&at, key),
                    def,
                );
                self.push(defining.value(field(def, key)).anchor(&at));
            }
            let flows = def.get("flows").and_then(Value::as_object);
            for (flow, flow_def) in flows.into_iter().flatten() {
                let flow_at = child(&child(&at, "flows"), flow);
                let flow_path = child(&child(&path, "flows"), flow);
                self.push(
                    fact(flow_path.clone(), What::Flow, flow, &flow_at, flow_def).anchor(&at),
                );
                for key in ["authorizationUrl", "tokenUrl", "refreshUrl"] {
                    let url = fact(
                        child(&flow_path, key),
                        What::FlowField,
                        key,
                        &child(&flow_at, key),
                        flow_def,
                    );
                    self.push(url.value(field(flow_def, key)).anchor(&at).owner(flow));
                }
                for scope in scopes
                    .iter()
                    .filter(|s| flow_def.pointer(&pointer(["scopes", s])).is_some())
                {
                    let scope_at = child(&child(&flow_at, "scopes"), scope);
                    let scope_path = child(&child(&flow_path, "scopes"), scope);
                    self.push(
                        fact(scope_path, What::Scope, scope, &scope_at, flow_def).owner(flow),
                    );
                }
            }
        }
    }

    /// Parameters pair up by location and name; the operation's own
    /// override the path item's.
    fn parameters(&mut self, op_at: &str, op: &'a Value) {
        let item_at = child(&pointer(["paths", OPERATION_PATH]), "parameters");
        let lists = [
            (child(op_at, "parameters"), op.get("parameters")),
            (item_at.clone(), self.doc.pointer(&item_at)),
        ];
        for (list_at, list) in lists {
            for (index, param) in list
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let (at, param) = deref(self.doc, child(&list_at, &index.to_string()), param);
                let text = |key| param.get(key).and_then(Value::as_str).unwrap_or("");
                let (location, name) = (text("in"), text("name"));
                let path = child("/parameters", &format!("{location} {name}"));
                if self.index.contains_key(&path) {
                    continue;
                }
                self.push(fact(path.clone(), What::Parameter, name, &at, param).owner(location));
                let flag = fact(
                    child(&path, "required"),
                    What::ParameterRequired,
                    name,
                    &at,
                    param,
                );
                self.push(flag.value(field(param, "required")).owner(location));
                if let Some(schema) = param.get("schema") {
                    let ctx = Ctx {
                        request: true,
                        required: param.get("required") == Some(&Value::Bool(true)),
                        ..Ctx::default()
                    };
                    let at = child(&at, "schema");
                    self.schema(child(&path, "schema"), What::Schema, "", at, schema, ctx);
                }
            }
        }
    }

    /// The media types of a body, and each one's schema.
    fn content(&mut self, path: &str, at: &str, node: &'a Value, owner: &str, request: bool) {
        let content = node.get("content").and_then(Value::as_object);
        for (media, value) in content.into_iter().flatten() {
            let media_path = child(&child(path, "content"), media);
            let media_at = child(&child(at, "content"), media);
            self.push(fact(media_path.clone(), What::Media, media, &media_at, value).owner(owner));
            if let Some(schema) = value.get("schema") {
                let ctx = Ctx {
                    request,
                    required: true,
                    ..Ctx::default()
                };
                let (path, at) = (child(&media_path, "schema"), child(&media_at, "schema"));
                self.schema(path, What::Schema, "", at, schema, ctx);
            }
        }
    }

    fn responses(&mut self, op_at: &str, op: &'a Value) {
        let operation = doc::Operation {
            pointer: op_at.to_owned(),
            value: op,
        };
        let mut errors = Errors::default();
        for (status, at, response) in doc::responses(self.doc, &operation) {
            let path = child("/responses", &status);
            let error = doc::is_error_status(&status).then(|| error_body(self.doc, &at, response));
            self.push(fact(path.clone(), What::Status, &status, &at, response));
            self.text(&path, "description", &at, response);
            let headers = response.get("headers").and_then(Value::as_object);
            for (name, header) in headers.into_iter().flatten() {
                let (header_at, header) =
                    deref(self.doc, child(&child(&at, "headers"), name), header);
                let header_path = child(&child(&path, "headers"), &name.to_ascii_lowercase());
                self.push(
                    fact(header_path.clone(), What::Header, name, &header_at, header)
                        .owner(&status),
                );
                if let Some(schema) = header.get("schema") {
                    let ctx = Ctx {
                        required: true,
                        ..Ctx::default()
                    };
                    let (path, at) = (child(&header_path, "schema"), child(&header_at, "schema"));
                    self.schema(path, What::Schema, "", at, schema, ctx);
                }
            }
            match error {
                None => self.content(
                    &path,
                    &at,
                    response,
                    &format!("the {status} response"),
                    false,
                ),
                Some(body) => self.error_status(&path, &status, &at, response, body, &mut errors),
            }
        }
        self.errors(errors);
    }

    /// An error status: whether its body reads as error objects, the codes
    /// it carries (`x-error-codes` where given, else its objects' codes),
    /// and whether the body wraps the error object.
    fn error_status(
        &mut self,
        path: &str,
        status: &str,
        at: &str,
        response: &'a Value,
        body: Option<ErrorBody<'a>>,
        errors: &mut Errors<'a>,
    ) {
        let readable = fact(
            child(path, "error-body"),
            What::ErrorReadable,
            status,
            at,
            response,
        );
        self.push(readable.value(json!(body.is_some())).owner(status));
        let Some(body) = body else {
            return;
        };
        let path = &child(path, "objects");
        let ctx = Ctx {
            union_at: body.union_at.clone(),
            ..Ctx::default()
        };
        self.push(fact(path.clone(), What::ErrorObjects, status, at, response).ctx(&ctx));
        let codes = match response.get("x-error-codes") {
            Some(listed) => strings(Some(listed)),
            None => body
                .objects
                .iter()
                .flat_map(|(codes, _)| codes.clone())
                .collect(),
        };
        for code in &codes {
            let object = body.objects.iter().find(|(codes, _)| codes.contains(code));
            let (code_at, node) = object.map_or((body.union_at.as_str(), &NULL), |(_, o)| {
                (o.at.as_str(), o.value)
            });
            let carried = fact(
                child(&child(path, "codes"), code),
                What::Code,
                code,
                code_at,
                node,
            );
            self.push(carried.anchor(at).owner(status));
        }
        let anchor = body.wrapper.as_ref().unwrap_or(&body.schema_at);
        let wrapped = fact(
            child(path, "wrapped"),
            What::Wrapped,
            status,
            &body.schema_at,
            response,
        );
        self.push(
            wrapped
                .value(json!(body.wrapper.is_some()))
                .anchor(anchor)
                .owner(status),
        );
        errors.statuses.push((body.schema_at, body.union_at));
        for (codes, object) in body.objects {
            for code in codes {
                if !errors.objects.iter().any(|(known, _)| *known == code) {
                    errors.objects.push((code, object.clone()));
                }
            }
        }
    }

    /// What the error statuses share: how many body schemas they have, and
    /// each code's error object, compared by its description and properties.
    fn errors(&mut self, errors: Errors<'a>) {
        if let Some((schema_at, union_at)) = errors.statuses.first() {
            let distinct: BTreeSet<&String> =
                errors.statuses.iter().map(|(schema, _)| schema).collect();
            let schemas = fact(
                "/error-schemas".to_owned(),
                What::ErrorSchemas,
                "",
                schema_at,
                &NULL,
            );
            self.push(schemas.value(json!(distinct.len())).anchor(union_at));
        }
        for (code, object) in errors.objects {
            let path = child("/errors", &code);
            let ctx = Ctx {
                owner: format!("the `{code}` error"),
                ..Ctx::default()
            };
            self.push(
                fact(
                    path.clone(),
                    What::ErrorObject,
                    &code,
                    &object.at,
                    object.value,
                )
                .ctx(&ctx),
            );
            self.text(&path, "description", &object.at, object.value);
            self.properties(&path, &object, &ctx, true);
        }
    }

    /// The schema written at `outer` as `node`, used as `what` (with `key`):
    /// the facts of the use, then those of the schema itself.
    fn schema(
        &mut self,
        path: String,
        what: What,
        key: &str,
        outer: String,
        node: &'a Value,
        ctx: Ctx,
    ) {
        let s = doc::resolve(self.doc, outer, node);
        let shape = Shape::of(s.value);
        let ctx = Ctx {
            name: s.name.clone(),
            open: s.value.get("x-open-enum") == Some(&Value::Bool(true)),
            lookup: shape == Shape::Lookup,
            ..ctx
        };
        let leaf = |suffix: &str, what, at: &str, value| {
            fact(child(&path, suffix), what, key, at, s.value)
                .value(value)
                .ctx(&ctx)
        };
        // Where the schema is used: a description written there (beside a
        // reference, or of an inline schema) and whether it may be null.
        let use_description = match node.get("$ref") {
            None => field(node, "description"),
            Some(_) => Value::Null,
        };
        let facts = [
            fact(path.clone(), what, key, &s.outer, node).ctx(&ctx),
            leaf("nullable", What::Nullable, &s.outer, json!(s.nullable)),
            leaf(
                "use-description",
                What::Description,
                &child(&s.outer, "description"),
                use_description,
            ),
        ];
        facts.into_iter().for_each(|fact| self.push(fact));
        if self.stack.contains(&s.at) {
            return;
        }

        let generates_type = ["properties", "enum", "oneOf"]
            .iter()
            .any(|k| s.value.get(k).is_some());
        let name = match &s.name {
            Some(name) => json!(name),
            None if generates_type => json!(""),
            None => Value::Null,
        };
        let family = child(&path, shape.family());
        let ty = schema_type(s.value).or((shape == Shape::Lookup).then_some("object"));
        let typed = child(&family, ty.unwrap_or("none"));
        let owner = s
            .name
            .clone()
            .unwrap_or_else(|| "the inline object".to_owned());
        let facts = [
            leaf(
                "description",
                What::Description,
                &child(&s.at, "description"),
                field(s.value, "description"),
            ),
            leaf("name", What::Name, &s.at, name),
            leaf("shape", What::Shape, &s.at, json!(shape.describe())),
            fact(family.clone(), What::Family, key, &s.at, s.value),
            fact(child(&family, "type"), What::Type, key, &s.at, s.value).value(json!(ty)),
            fact(typed.clone(), What::Typed, key, &s.at, s.value)
                .ctx(&ctx)
                .owner(&owner),
            fact(child(&typed, "format"), What::Format, key, &s.at, s.value)
                .value(field(s.value, "format")),
        ];
        facts.into_iter().for_each(|fact| self.push(fact));
        let values = s.value.get("enum").and_then(Value::as_array);
        for value in values.into_iter().flatten().map(Value::to_string) {
            let path = child(&child(&typed, "enum"), &value);
            let listed = fact(
                path,
                What::EnumValue,
                &value,
                &child(&s.at, "enum"),
                s.value,
            );
            self.push(listed.anchor(&s.at).ctx(&ctx));
        }

        self.stack.push(s.at.clone());
        let inner = Ctx {
            request: ctx.request,
            required: true,
            ..Ctx::default()
        };
        if let (Shape::OneOf, Some(members)) =
            (shape, s.value.get("oneOf").and_then(Value::as_array))
        {
            let count = fact(child(&typed, "members"), What::Members, key, &s.at, s.value);
            self.push(count.value(json!(members.len())));
            for (index, member) in members.iter().enumerate() {
                let (path, at) = (
                    child(&child(&typed, "oneOf"), &index.to_string()),
                    child(&child(&s.at, "oneOf"), &index.to_string()),
                );
                self.schema(path, What::Schema, "", at, member, inner.clone());
            }
        }
        match (ty, s.value.get("items")) {
            (Some("array"), Some(items)) => {
                self.schema(
                    child(&typed, "items"),
                    What::Schema,
                    "",
                    child(&s.at, "items"),
                    items,
                    inner,
                );
            }
            (Some("object"), _) => {
                let owner = Ctx { owner, ..ctx };
                self.properties(&typed, &s, &owner, false);
            }
            _ => {}
        }
        self.stack.pop();
    }

    /// The properties of the object `s`: its own, its `allOf` members', and
    /// for a lookup each member's one field (optional: exactly one is sent).
    /// In an error object, `code` and whether `description` is required are
    /// how the fragment's union is tagged (D3), so they are not compared.
    fn properties(&mut self, path: &str, s: &Resolved<'a>, ctx: &Ctx, error: bool) {
        let mut objects = vec![(s.at.clone(), s.value, false)];
        for (list, one_of) in [("allOf", false), ("oneOf", true)] {
            if one_of && !ctx.lookup {
                continue;
            }
            let members = s.value.get(list).and_then(Value::as_array);
            for (index, member) in members.into_iter().flatten().enumerate() {
                let at = child(&child(&s.at, list), &index.to_string());
                let member = doc::resolve(self.doc, at, member);
                objects.push((member.at, member.value, one_of));
            }
        }
        for (at, object, one_of) in objects {
            let required = doc::required_names(object);
            let properties = object.get("properties").and_then(Value::as_object);
            for (name, property) in properties.into_iter().flatten() {
                let property_path = child(&child(path, "properties"), name);
                if (error && name == "code") || self.index.contains_key(&property_path) {
                    continue;
                }
                let property_at = child(&child(&at, "properties"), name);
                let ctx = Ctx {
                    request: ctx.request,
                    required: !one_of && required.contains(&name.as_str()),
                    owner: ctx.owner.clone(),
                    ..Ctx::default()
                };
                if !(error && name == "description") {
                    let flag = fact(
                        child(&property_path, "required"),
                        What::Required,
                        name,
                        &property_at,
                        property,
                    );
                    self.push(flag.value(json!(ctx.required)).ctx(&ctx));
                }
                self.schema(
                    property_path,
                    What::Property,
                    name,
                    property_at,
                    property,
                    ctx,
                );
            }
        }
    }
}

/// Reads an error status's body: the body schema, an envelope around it
/// (an object with one property) if that is what it is, and the error
/// objects inside (a union of them, or one). `None` when it is not that.
fn error_body<'a>(doc: &'a Value, at: &str, response: &'a Value) -> Option<ErrorBody<'a>> {
    let is_error_object = |schema: &Value| schema.pointer("/properties/code").is_some();
    let schema_at = doc::json_schema_pointer(at, response)?;
    let mut inner = doc::resolve(doc, schema_at.clone(), doc.pointer(&schema_at)?);
    let schema_at = inner.at.clone();
    let mut wrapper = None;
    if !is_error_object(inner.value) && inner.value.get("oneOf").is_none() {
        let properties = inner.value.get("properties")?.as_object()?;
        let [(name, property)] = properties.iter().collect::<Vec<_>>()[..] else {
            return None;
        };
        wrapper = Some(inner.at.clone());
        inner = doc::resolve(doc, child(&child(&inner.at, "properties"), name), property);
    }
    let objects: Vec<Resolved<'a>> = match inner.value.get("oneOf").and_then(Value::as_array) {
        Some(members) => members
            .iter()
            .enumerate()
            .map(|(index, member)| {
                doc::resolve(
                    doc,
                    child(&child(&inner.at, "oneOf"), &index.to_string()),
                    member,
                )
            })
            .collect(),
        None if is_error_object(inner.value) => vec![inner.clone()],
        None => return None,
    };
    let codes = |object: &Resolved<'a>| {
        let tag = object.value.pointer("/properties/code")?;
        let tag = doc::resolve(doc, child(&child(&object.at, "properties"), "code"), tag);
        Some(strings(tag.value.get("enum"))).filter(|codes| !codes.is_empty())
    };
    let objects = objects
        .into_iter()
        .map(|object| Some((codes(&object)?, object)))
        .collect::<Option<_>>()?;
    Some(ErrorBody {
        schema_at,
        wrapper,
        union_at: inner.at,
        objects,
    })
}

/// How a schema is composed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// No composition: a plain type.
    Plain,
    /// A oneOf of objects with one required property each: a lookup by
    /// exactly one of several keys (an object with optional fields, upstream).
    Lookup,
    OneOf,
    AnyOf,
    AllOf,
}

impl Shape {
    fn of(value: &Value) -> Self {
        match value.get("oneOf").and_then(Value::as_array) {
            Some(members) if doc::one_of_shape(members) == OneOfShape::External => Shape::Lookup,
            Some(_) => Shape::OneOf,
            None if value.get("anyOf").is_some() => Shape::AnyOf,
            None if value.get("allOf").is_some() => Shape::AllOf,
            None => Shape::Plain,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Shape::Plain => "a plain schema (an object with optional fields, a string, ...)",
            Shape::Lookup => "a oneOf of single-field objects (exactly one field is sent)",
            Shape::OneOf => "a oneOf",
            Shape::AnyOf => "an anyOf",
            Shape::AllOf => "an allOf",
        }
    }

    /// The facts below the shape sit under its family: a lookup compares
    /// like an object (its members' fields are the object's optional
    /// fields), so the two share one.
    fn family(self) -> &'static str {
        match self {
            Shape::Plain | Shape::Lookup => "plain",
            Shape::OneOf => "oneOf",
            Shape::AnyOf => "anyOf",
            Shape::AllOf => "allOf",
        }
    }
}

/// `type`, or the type its keywords imply (`properties`: an object, `items`:
/// an array): Katapult's document leaves `type: object` out of some objects.
fn schema_type(value: &Value) -> Option<&'static str> {
    const TYPES: [&str; 6] = ["object", "array", "string", "integer", "number", "boolean"];
    match value.get("type").and_then(Value::as_str) {
        Some(ty) => Some(
            TYPES
                .into_iter()
                .find(|known| *known == ty)
                .unwrap_or("unknown"),
        ),
        None if ["properties", "required", "additionalProperties"]
            .iter()
            .any(|k| value.get(k).is_some()) =>
        {
            Some("object")
        }
        None if value.get("items").is_some() => Some("array"),
        None => None,
    }
}
