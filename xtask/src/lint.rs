//! The lint rules: every shape that would make progenitor 0.15 panic, or make
//! it generate a client that silently reads or sends the wrong thing, is
//! refused here with the file, the JSON pointer and the fix. Each rule has a
//! fixture, `xtask/tests/fixtures/lint/<rule id>.yaml`, that proves it fires.

mod security;

use std::collections::{BTreeMap, BTreeSet};

use heck::ToUpperCamelCase;
use serde_json::Value;

use self::security::bearer_security;
use crate::doc::{self, OneOfShape, Wire, child};
use crate::fragment::Fragment;
use crate::problem::Problem;

/// A named check over the whole document: its stable id (shown in messages,
/// and the name of its fixture), one line on what it guards against, and
/// the check.
pub struct Rule {
    pub id: &'static str,
    pub summary: &'static str,
    check: fn(&mut Lint<'_>),
}

const fn rule(id: &'static str, summary: &'static str, check: fn(&mut Lint<'_>)) -> Rule {
    Rule { id, summary, check }
}

/// Every rule, in the order they run: id, summary, check.
#[rustfmt::skip]
pub const RULES: &[Rule] = &[
    rule("openapi-version", "progenitor 0.15 reads OpenAPI 3.0.x only", openapi_version),
    rule("path-item-ref", "a `$ref` path item makes progenitor panic", path_item_ref),
    rule("operation-id", "an operation without operationId makes progenitor panic", operation_id),
    rule("idempotent", "every operation says whether sending it twice is safe (the retry table and the change reconciler read it)", idempotent),
    rule("dangling-ref", "every `$ref` points at an existing local definition", dangling_ref),
    rule("ref-sibling", "siblings of `$ref` (such as `nullable`) are silently dropped", ref_sibling),
    rule("request-default", "a `default` in a request schema is always sent, overwriting server values", request_default),
    rule("response-closed-object", "`additionalProperties: false` in a response fails decoding on any new field", response_closed_object),
    rule("media-type", "JSON content needs a schema and no `encoding` (progenitor panics otherwise)", media_type),
    rule("one-schema-per-outcome", "all success responses share one schema, and all error responses share one", one_schema_per_outcome),
    rule("error-codes", "each error response lists its codes, and they match the error union's variants", error_codes),
    rule("tagged-one-of", "every oneOf becomes a tagged enum; no anyOf, no discriminator", tagged_one_of),
    rule("exclusive-lookup", "a request object whose fields are mutually exclusive is a oneOf, so two cannot be sent", exclusive_lookup),
    rule("open-enums", "enums the API sends back are open; enums the caller sends are closed", open_enums),
    rule("bearer-security", "every operation can be called with the bearer token the client sends; OAuth2 scopes are defined and prefixed", bearer_security),
];

/// The lint step: runs every rule over the fragment's JSON tree; fails with
/// everything they found, in rule order.
pub(crate) fn check(fragment: &Fragment) -> Result<(), Vec<Problem>> {
    let mut lint = Lint {
        fragment,
        doc: &fragment.document,
        rule: "",
        problems: Vec::new(),
    };
    for rule in RULES {
        lint.rule = rule.id;
        (rule.check)(&mut lint);
    }
    lint.problems.is_empty().then_some(()).ok_or(lint.problems)
}

/// The document, the rule running now, and what the rules found so far.
struct Lint<'a> {
    fragment: &'a Fragment,
    doc: &'a Value,
    rule: &'static str,
    problems: Vec<Problem>,
}

impl Lint<'_> {
    fn report(&mut self, at: &str, message: impl Into<String>, fix: impl Into<String>) {
        let problem = crate::codegen::problem(self.fragment, self.rule, at, message, fix);
        self.problems.push(problem);
    }
}

fn openapi_version(l: &mut Lint<'_>) {
    let version = l.doc["openapi"].as_str().unwrap_or("");
    if !version.trim().starts_with("3.0.") {
        l.report(
            "/openapi",
            format!("progenitor 0.15 reads OpenAPI 3.0.x documents only; this one says `{version}`"),
            "write `openapi: 3.0.3` and use 3.0 forms (`nullable: true`, not `type: [T, \"null\"]`)",
        );
    }
}

fn path_item_ref(l: &mut Lint<'_>) {
    let paths = doc::entries(l.doc, "paths");
    for (path, _) in paths.filter(|(_, item)| item.get("$ref").is_some()) {
        l.report(
            &doc::pointer(["paths", path.as_str()]),
            "the path item is a `$ref`; progenitor 0.15 panics on referenced path items",
            "write the path item inline",
        );
    }
}

fn operation_id(l: &mut Lint<'_>) {
    for op in doc::operations(l.doc) {
        let id = op.value["operationId"].as_str();
        if id.is_none_or(|id| id.trim().is_empty()) {
            l.report(
                &op.pointer,
                "the operation has no `operationId`; progenitor 0.15 panics without one, \
                 and it names the generated method",
                "add `operationId:` with Katapult's published id (e.g. `\"patch:disk\"`)",
            );
        }
    }
}

fn idempotent(l: &mut Lint<'_>) {
    for op in doc::operations(l.doc) {
        match op.value.get("x-idempotent") {
            Some(Value::Bool(_)) => {}
            Some(other) => l.report(
                &child(&op.pointer, "x-idempotent"),
                format!("`x-idempotent` is `{other}`; it must be `true` or `false`"),
                "write `x-idempotent: true` or `x-idempotent: false`",
            ),
            None => l.report(
                &op.pointer,
                "the operation does not say whether sending it twice is safe: the retry table \
                 retries a safe operation's 502, 504 and lost answers, and a disk change sends \
                 one again after reading the disk, but never an unsafe one",
                "add `x-idempotent: true` (a second identical request leaves the same result and \
                 starts no second piece of work) or `x-idempotent: false`, with a comment saying why",
            ),
        }
    }
}

fn dangling_ref(l: &mut Lint<'_>) {
    let doc = l.doc;
    let references = doc::nodes(doc, "").into_iter();
    for (at, reference) in references.filter_map(|(at, node)| Some((at, node["$ref"].as_str()?))) {
        let target = doc::ref_pointer(reference).and_then(|p| doc.pointer(p));
        if target.is_none() {
            l.report(
                &child(&at, "$ref"),
                format!("`{reference}` does not point at anything in this document"),
                "point it at an existing definition (`#/components/...`) or add the missing one",
            );
        }
    }
}

fn ref_sibling(l: &mut Lint<'_>) {
    for (at, schema) in doc::schemas(l.doc, None) {
        let Some(map) = schema.as_object().filter(|map| map.contains_key("$ref")) else {
            continue;
        };
        for key in map.keys().filter(|k| *k != "$ref" && !k.starts_with("x-")) {
            let consequence = if key == "nullable" {
                "so the field is generated as not nullable and a `null` from the server fails decoding"
            } else {
                "so it has no effect on the generated code"
            };
            l.report(
                &child(&at, key),
                format!("`{key}` beside `$ref` is ignored (OpenAPI 3.0 ignores every sibling of `$ref`), {consequence}"),
                format!("put `{key}` beside `allOf: [{{$ref: ...}}]`, which wraps the reference, instead of beside `$ref`"),
            );
        }
    }
}

fn request_default(l: &mut Lint<'_>) {
    for (at, schema) in doc::schemas(l.doc, Some(Wire::Request)) {
        if schema.get("default").is_some() {
            l.report(
                &child(&at, "default"),
                "a `default` in a request schema makes progenitor generate a field that is always \
                 sent; on a PATCH that overwrites the server's value with the default",
                "remove `default`; say what the server does when the field is absent in `description`",
            );
        }
    }
}

fn response_closed_object(l: &mut Lint<'_>) {
    for (at, schema) in doc::schemas(l.doc, Some(Wire::Response)) {
        if schema["additionalProperties"] == false {
            l.report(
                &child(&at, "additionalProperties"),
                "`additionalProperties: false` in a response makes the generated type reject \
                 unknown fields: the day the API adds one, every response fails to decode",
                "remove `additionalProperties: false`",
            );
        }
    }
}

fn media_type(l: &mut Lint<'_>) {
    for op in doc::operations(l.doc) {
        let responses = doc::responses(l.doc, &op).into_iter().map(|r| (r.1, r.2));
        let body = op.value.get("requestBody");
        let body = body.map(|body| doc::deref(l.doc, child(&op.pointer, "requestBody"), body));
        for (at, node) in responses.chain(body) {
            for (media_type, media) in doc::entries(node, "content") {
                let media_at = doc::below(&at, ["content", media_type]);
                if media["encoding"].as_object().is_some_and(|e| !e.is_empty()) {
                    l.report(
                        &child(&media_at, "encoding"),
                        "progenitor 0.15 panics on a media type with `encoding`",
                        "remove `encoding`",
                    );
                }
                if doc::is_json(media_type) && media.get("schema").is_none() {
                    l.report(
                        &media_at,
                        "JSON content without a `schema` makes progenitor 0.15 panic",
                        "add `schema:` describing the body",
                    );
                }
            }
        }
    }
}

/// What a response decodes into, as progenitor decides it: the JSON schema
/// (compared by value, so two `$ref`s to one schema agree), some other
/// content (a byte stream) or nothing.
fn decodes_into(doc: &Value, at: &str, response: &Value) -> String {
    let schema = doc::json_schema_pointer(at, response).map(|at| doc.pointer(&at));
    let content = response["content"].as_object();
    match schema {
        Some(Some(schema)) => match schema["$ref"].as_str() {
            Some(reference) => format!("schema {reference}"),
            None => format!("inline schema {schema}"),
        },
        None if content.is_some_and(|c| !c.is_empty()) => "non-JSON content".to_owned(),
        _ => "no content".to_owned(),
    }
}

/// A class of responses progenitor 0.15 gives one type: its name, which
/// statuses belong to it, and the fix when they decode into different types.
type ResponseClass = (&'static str, fn(&str) -> bool, &'static str);

#[rustfmt::skip]
const RESPONSE_CLASSES: [ResponseClass; 2] = [
    ("success", |s| s == "default" || s == "101" || s.starts_with('2'),
     "give every success response the same schema"),
    ("error", doc::is_error_status,
     "point every error response at one shared schema (a oneOf of the error variants, tagged \
      by `code`) and record each status's codes in `x-error-codes`"),
];

fn one_schema_per_outcome(l: &mut Lint<'_>) {
    for op in doc::operations(l.doc) {
        let responses = doc::responses(l.doc, &op);
        for (class, belongs, fix) in RESPONSE_CLASSES {
            let mut kinds: BTreeMap<String, Vec<&str>> = BTreeMap::new();
            for (status, at, response) in responses.iter().filter(|(s, ..)| belongs(s)) {
                let kind = decodes_into(l.doc, at, response);
                kinds.entry(kind).or_default().push(status);
            }
            if kinds.len() > 1 {
                let listing = kinds.iter().map(|(kind, statuses)| {
                    format!("{} -> {}", statuses.join(", "), crate::shorten(kind, 60))
                });
                l.report(
                    &child(&op.pointer, "responses"),
                    format!(
                        "the {class} responses decode into different types ({}); \
                         progenitor 0.15 needs one {class} type per operation and panics \
                         (`response_types.len() <= 1`) otherwise",
                        listing.collect::<Vec<_>>().join("; ")
                    ),
                    fix,
                );
            }
        }
    }
}

fn error_codes(l: &mut Lint<'_>) {
    // Operations share error unions and responses: each response is checked
    // once, and a variant needs some operation's response to carry it.
    let mut checked = BTreeSet::new();
    let mut carried: BTreeMap<String, (doc::ErrorUnion, BTreeSet<&str>)> = BTreeMap::new();
    for op in doc::operations(l.doc) {
        let (Some(schema_at), errors) = doc::error_schema(l.doc, &op) else {
            continue;
        };
        let Some(union) = doc::error_union(l.doc, &schema_at) else {
            l.report(
                &schema_at,
                "the shared error schema is neither a oneOf tagged by a code nor an envelope \
                 object whose one property is such a oneOf, so the codes each status carries \
                 cannot be checked",
                "make the error schema `{error: {$ref: <union>}}` where the union is a oneOf of \
                 inline objects, each with a required `code: {type: string, enum: [<one code>]}`",
            );
            continue;
        };
        let entry = carried.entry(union.pointer.clone());
        let (union, listed) = entry.or_insert((union, BTreeSet::new()));
        for (status, at, response) in &errors {
            let codes = doc::items(response, "x-error-codes");
            listed.extend(codes.iter().filter_map(Value::as_str));
            if !checked.insert(at.clone()) {
                continue;
            }
            if codes.is_empty() {
                l.report(
                    at,
                    format!(
                        "the {status} response does not say which error codes it carries; \
                         progenitor's one error type hides that, so the fragment must record it"
                    ),
                    format!("add `x-error-codes: [<code>, ...]` listing the `{}` values a {status} carries", union.tag),
                );
                continue;
            }
            for (index, code) in codes.iter().enumerate() {
                let code_at = doc::below(at, ["x-error-codes", &index.to_string()]);
                let Some(code) = code.as_str() else {
                    l.report(&code_at, "an error code must be a string", "quote the code");
                    continue;
                };
                if codes[..index].iter().any(|earlier| earlier == code) {
                    let message = format!("`{code}` is listed twice for {status}");
                    l.report(&code_at, message, "remove the duplicate");
                }
                if !union.codes.iter().any(|known| known == code) {
                    l.report(
                        &code_at,
                        format!(
                            "{status} lists `{code}`, but the error union at {} has no variant with that `{}`",
                            union.pointer, union.tag
                        ),
                        format!("add a variant for `{code}` (with its typed `detail`) to the union, or correct the code"),
                    );
                }
            }
        }
    }
    for (union, listed) in carried.values() {
        for (index, code) in union.codes.iter().enumerate() {
            if !listed.contains(code.as_str()) {
                l.report(
                    &doc::below(&union.pointer, ["oneOf", &index.to_string()]),
                    format!("the variant `{code}` is carried by no error response"),
                    format!("add `{code}` to the `x-error-codes` of the status that carries it"),
                );
            }
        }
    }
}

fn tagged_one_of(l: &mut Lint<'_>) {
    for (at, schema) in doc::schemas(l.doc, None) {
        if schema.get("discriminator").is_some() {
            l.report(
                &child(&at, "discriminator"),
                "progenitor 0.15 ignores `discriminator`: decoding would not look at it",
                "remove it and give every member a required single-value enum property \
                 (e.g. `code: {type: string, enum: [<value>]}`); progenitor tags the enum by it",
            );
        }
        if schema.get("anyOf").is_some() {
            l.report(
                &child(&at, "anyOf"),
                "progenitor 0.15 has no faithful Rust shape for `anyOf`",
                "use `oneOf` with members that are tagged (see the `tagged-one-of` rule)",
            );
        }
        let members = schema["oneOf"].as_array();
        if let Some(OneOfShape::Untagged(why)) = members.map(|m| doc::one_of_shape(m)) {
            l.report(
                &child(&at, "oneOf"),
                format!(
                    "progenitor would make an untagged enum of this oneOf, which decodes into \
                     the first variant that happens to fit: {why}"
                ),
                "write the members inline, either each an object with exactly one required \
                 property (a lookup: `{id}` or `{permalink}`), or each an object with a required \
                 single-value enum property such as `code`",
            );
        }
    }
}

fn exclusive_lookup(l: &mut Lint<'_>) {
    for (at, schema) in doc::schemas(l.doc, Some(Wire::Request)) {
        let description = schema["description"].as_str().map(str::to_ascii_lowercase);
        let says_exclusive = description.is_some_and(|d| d.contains("mutually exclusive"));
        let members = schema["oneOf"].as_array();
        let is_exclusive_enum =
            members.is_some_and(|m| doc::one_of_shape(m) == OneOfShape::External);
        if says_exclusive && !is_exclusive_enum {
            l.report(
                &at,
                "the description says these fields are mutually exclusive, but as an object of \
                 optional fields the generated type lets a caller set two (the server then \
                 answers 400 `ambiguous_lookup_values`) or none (`missing_lookup_value`)",
                "write it as a oneOf of objects with one required property each \
                 (`oneOf: [{required: [id], properties: {id: ...}}, {required: [permalink], ...}]`); \
                 progenitor makes an enum that holds exactly one",
            );
        }
    }
}

fn open_enums(l: &mut Lint<'_>) {
    let pointers = |wire| -> BTreeSet<String> {
        let schemas = doc::schemas(l.doc, Some(wire));
        schemas.into_iter().map(|(at, _)| at).collect()
    };
    let (response, request) = (pointers(Wire::Response), pointers(Wire::Request));
    for (at, schema) in doc::schemas(l.doc, None) {
        let (named, flag_at) = (doc::schema_name(&at).is_some(), child(&at, "x-open-enum"));
        if schema["x-open-enum"] != true {
            // Single-value enums that tag a oneOf member (`code`) are part of
            // the union's shape, not enums of their own.
            let is_tag = doc::items(schema, "enum").len() == 1
                && at.contains("/oneOf/")
                && at.rsplit('/').nth(1) == Some("properties");
            if schema.get("enum").is_some() && response.contains(&at) && !is_tag {
                let (message, fix) = if named {
                    (
                        "the API sends this enum back, and its values grow with the product: as \
                         a closed enum, one new value fails the whole response",
                        "add `x-open-enum: true`: unknown values then decode into `Unknown(String)`",
                    )
                } else {
                    (
                        "an inline enum in a response is generated closed: one new value from \
                         the server fails the whole response",
                        "move it to /components/schemas/<Name>, reference it, and mark it `x-open-enum: true`",
                    )
                };
                l.report(&at, message, fix);
            }
            continue;
        }
        let values = doc::items(schema, "enum");
        let string_enum = !values.is_empty() && values.iter().all(Value::is_string);
        if !string_enum || schema["type"] != "string" || !named {
            l.report(
                &flag_at,
                "`x-open-enum` applies to a string enum defined under /components/schemas",
                "move the enum to /components/schemas/<Name> with `type: string` and `enum: [...]`",
            );
            continue;
        }
        if request.contains(&at) {
            l.report(
                &flag_at,
                "this open enum is part of a request: an open enum lets a caller send a value \
                 the API does not define; request enums stay closed",
                "give the request its own closed copy of the enum (without `x-open-enum`) \
                 and keep this one for responses",
            );
        }
        let mut names = BTreeMap::new();
        for value in doc::strings(schema, "enum") {
            let variant = value.to_upper_camel_case();
            if variant == "Unknown" || variant.is_empty() {
                l.report(
                    &child(&at, "enum"),
                    format!("the value `{value}` would be named `{variant}`, which an open enum reserves for values it does not know"),
                    "rename the schema's values, or keep this enum closed",
                );
            }
            if let Some(previous) = names.insert(variant.clone(), value) {
                l.report(
                    &child(&at, "enum"),
                    format!("`{previous}` and `{value}` would both be named `{variant}`"),
                    "the values must differ in more than case and punctuation",
                );
            }
        }
    }
}
