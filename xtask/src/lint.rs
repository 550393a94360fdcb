//! The lint rules: every shape that would make progenitor 0.15 panic, or make
//! it generate a client that silently reads or sends the wrong thing, is
//! refused here with the file, the JSON pointer and the fix.
//!
//! Each rule has a fixture under `xtask/tests/fixtures/lint/<rule id>.yaml`
//! that proves it fires; a test fails when a rule has none.

use std::collections::{BTreeMap, BTreeSet};

use heck::ToUpperCamelCase;
use serde_json::Value;

use crate::doc::{self, OneOfShape, Wire, child};
use crate::fragment::Fragment;
use crate::problem::Problem;

/// A named check over the whole document.
pub struct Rule {
    /// Stable identifier, shown in messages and used as the fixture's name.
    pub id: &'static str,
    /// One line on what it guards against.
    pub summary: &'static str,
    check: fn(&Lint<'_>, &mut Vec<Problem>),
}

/// Every rule, in the order they run.
pub const RULES: &[Rule] = &[
    Rule {
        id: "openapi-version",
        summary: "progenitor 0.15 reads OpenAPI 3.0.x only",
        check: openapi_version,
    },
    Rule {
        id: "path-item-ref",
        summary: "a `$ref` path item makes progenitor panic",
        check: path_item_ref,
    },
    Rule {
        id: "operation-id",
        summary: "an operation without operationId makes progenitor panic",
        check: operation_id,
    },
    Rule {
        id: "dangling-ref",
        summary: "every `$ref` points at an existing local definition",
        check: dangling_ref,
    },
    Rule {
        id: "ref-sibling",
        summary: "siblings of `$ref` (such as `nullable`) are silently dropped",
        check: ref_sibling,
    },
    Rule {
        id: "request-default",
        summary: "a `default` in a request schema is always sent, overwriting server values",
        check: request_default,
    },
    Rule {
        id: "response-closed-object",
        summary: "`additionalProperties: false` in a response fails decoding on any new field",
        check: response_closed_object,
    },
    Rule {
        id: "media-type",
        summary: "JSON content needs a schema and no `encoding` (progenitor panics otherwise)",
        check: media_type,
    },
    Rule {
        id: "one-schema-per-outcome",
        summary: "all success responses share one schema, and all error responses share one",
        check: one_schema_per_outcome,
    },
    Rule {
        id: "error-codes",
        summary: "each error response lists its codes, and they match the error union's variants",
        check: error_codes,
    },
    Rule {
        id: "tagged-one-of",
        summary: "every oneOf becomes a tagged enum; no anyOf, no discriminator",
        check: tagged_one_of,
    },
    Rule {
        id: "exclusive-lookup",
        summary: "a request object whose fields are mutually exclusive is a oneOf, so two cannot be sent",
        check: exclusive_lookup,
    },
    Rule {
        id: "open-enums",
        summary: "enums the API sends back are open; enums the caller sends are closed",
        check: open_enums,
    },
    Rule {
        id: "bearer-security",
        summary: "every operation can be called with the bearer token the client sends; OAuth2 scopes are defined and prefixed",
        check: bearer_security,
    },
];

/// The lint step: runs every rule over the fragment's JSON tree; fails with
/// everything they found, in rule order.
pub(crate) fn check(fragment: &Fragment) -> Result<(), Vec<Problem>> {
    let lint = Lint {
        doc: &fragment.document,
        file: &fragment.display_path,
    };
    let mut problems = Vec::new();
    for rule in RULES {
        (rule.check)(&lint, &mut problems);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

struct Lint<'a> {
    doc: &'a Value,
    file: &'a str,
}

impl Lint<'_> {
    fn problem(
        &self,
        rule: &'static str,
        pointer: &str,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Problem {
        Problem {
            rule,
            file: self.file.to_owned(),
            pointer: pointer.to_owned(),
            message: message.into(),
            fix: fix.into(),
        }
    }
}

fn openapi_version(l: &Lint<'_>, out: &mut Vec<Problem>) {
    let version = l.doc.get("openapi").and_then(Value::as_str).unwrap_or("");
    if !version.trim().starts_with("3.0.") {
        out.push(l.problem(
            "openapi-version",
            "/openapi",
            format!("progenitor 0.15 reads OpenAPI 3.0.x documents only; this one says `{version}`"),
            "write `openapi: 3.0.3` and use 3.0 forms (`nullable: true`, not `type: [T, \"null\"]`)",
        ));
    }
}

fn path_item_ref(l: &Lint<'_>, out: &mut Vec<Problem>) {
    let Some(paths) = l.doc.get("paths").and_then(Value::as_object) else {
        return;
    };
    for (path, item) in paths {
        if item.get("$ref").is_some() {
            out.push(l.problem(
                "path-item-ref",
                &doc::pointer(["paths", path.as_str()]),
                "the path item is a `$ref`; progenitor 0.15 panics on referenced path items",
                "write the path item inline",
            ));
        }
    }
}

fn operation_id(l: &Lint<'_>, out: &mut Vec<Problem>) {
    for op in doc::operations(l.doc) {
        let id = op.value.get("operationId").and_then(Value::as_str);
        if id.is_none_or(|id| id.trim().is_empty()) {
            out.push(l.problem(
                "operation-id",
                &op.pointer,
                "the operation has no `operationId`; progenitor 0.15 panics without one, \
                 and it names the generated method",
                "add `operationId:` with Katapult's published id (e.g. `\"patch:disk\"`)",
            ));
        }
    }
}

fn dangling_ref(l: &Lint<'_>, out: &mut Vec<Problem>) {
    fn walk(l: &Lint<'_>, at: &str, node: &Value, out: &mut Vec<Problem>) {
        match node {
            Value::Object(map) => {
                if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                    let found = doc::ref_pointer(reference).and_then(|p| l.doc.pointer(p));
                    if found.is_none() {
                        out.push(l.problem(
                            "dangling-ref",
                            &child(at, "$ref"),
                            format!("`{reference}` does not point at anything in this document"),
                            "point it at an existing definition (`#/components/...`) or add the missing one",
                        ));
                    }
                }
                for (key, value) in map {
                    walk(l, &child(at, key), value, out);
                }
            }
            Value::Array(items) => {
                for (index, value) in items.iter().enumerate() {
                    walk(l, &child(at, &index.to_string()), value, out);
                }
            }
            _ => {}
        }
    }
    walk(l, "", l.doc, out);
}

fn ref_sibling(l: &Lint<'_>, out: &mut Vec<Problem>) {
    for (at, schema) in doc::all_schemas(l.doc) {
        let Some(map) = schema.as_object() else {
            continue;
        };
        if !map.contains_key("$ref") {
            continue;
        }
        for key in map.keys().filter(|k| *k != "$ref" && !k.starts_with("x-")) {
            let consequence = if key == "nullable" {
                "so the field is generated as not nullable and a `null` from the server fails decoding"
            } else {
                "so it has no effect on the generated code"
            };
            out.push(l.problem(
                "ref-sibling",
                &child(&at, key),
                format!("`{key}` beside `$ref` is ignored (OpenAPI 3.0 ignores every sibling of `$ref`), {consequence}"),
                format!("put `{key}` beside `allOf: [{{$ref: ...}}]`, which wraps the reference, instead of beside `$ref`"),
            ));
        }
    }
}

fn request_default(l: &Lint<'_>, out: &mut Vec<Problem>) {
    let roots = doc::schema_roots(l.doc, Wire::Request);
    for (at, schema) in doc::reachable(l.doc, &roots) {
        if schema.get("default").is_some() {
            out.push(l.problem(
                "request-default",
                &child(&at, "default"),
                "a `default` in a request schema makes progenitor generate a field that is always \
                 sent; on a PATCH that overwrites the server's value with the default",
                "remove `default`; say what the server does when the field is absent in `description`",
            ));
        }
    }
}

fn response_closed_object(l: &Lint<'_>, out: &mut Vec<Problem>) {
    let roots = doc::schema_roots(l.doc, Wire::Response);
    for (at, schema) in doc::reachable(l.doc, &roots) {
        if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
            out.push(l.problem(
                "response-closed-object",
                &child(&at, "additionalProperties"),
                "`additionalProperties: false` in a response makes the generated type reject \
                 unknown fields: the day the API adds one, every response fails to decode",
                "remove `additionalProperties: false`",
            ));
        }
    }
}

fn media_type(l: &Lint<'_>, out: &mut Vec<Problem>) {
    for op in doc::operations(l.doc) {
        let mut bodies = doc::responses(l.doc, &op)
            .into_iter()
            .map(|(_, at, node)| (at, node))
            .collect::<Vec<_>>();
        if let Some(body) = op.value.get("requestBody") {
            bodies.push(doc::deref(l.doc, child(&op.pointer, "requestBody"), body));
        }
        for (at, node) in bodies {
            let Some(content) = node.get("content").and_then(Value::as_object) else {
                continue;
            };
            for (media_type, media) in content {
                let media_at = child(&child(&at, "content"), media_type);
                if media
                    .get("encoding")
                    .and_then(Value::as_object)
                    .is_some_and(|e| !e.is_empty())
                {
                    out.push(l.problem(
                        "media-type",
                        &child(&media_at, "encoding"),
                        "progenitor 0.15 panics on a media type with `encoding`",
                        "remove `encoding`",
                    ));
                }
                let json =
                    media_type == "application/json" || media_type.starts_with("application/json;");
                if json && media.get("schema").is_none() {
                    out.push(l.problem(
                        "media-type",
                        &media_at,
                        "JSON content without a `schema` makes progenitor 0.15 panic",
                        "add `schema:` describing the body",
                    ));
                }
            }
        }
    }
}

/// What a response decodes into, as progenitor decides it: the JSON schema
/// (compared by value, so two `$ref`s to one schema agree), some other
/// content (a byte stream) or nothing.
fn outcome_kind(l: &Lint<'_>, at: &str, response: &Value) -> String {
    match doc::json_schema_pointer(at, response) {
        Some(schema_at) => match l.doc.pointer(&schema_at) {
            Some(schema) => match schema.get("$ref").and_then(Value::as_str) {
                Some(reference) => format!("schema {reference}"),
                None => format!("inline schema {schema}"),
            },
            None => "no content".to_owned(),
        },
        None if response
            .get("content")
            .and_then(Value::as_object)
            .is_some_and(|c| !c.is_empty()) =>
        {
            "non-JSON content".to_owned()
        }
        None => "no content".to_owned(),
    }
}

fn one_schema_per_outcome(l: &Lint<'_>, out: &mut Vec<Problem>) {
    for op in doc::operations(l.doc) {
        let mut success: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut error: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (status, at, response) in doc::responses(l.doc, &op) {
            let kind = outcome_kind(l, &at, response);
            let is_success = status == "default" || status == "101" || status.starts_with('2');
            if is_success {
                success
                    .entry(kind.clone())
                    .or_default()
                    .push(status.clone());
            }
            if doc::is_error_status(&status) {
                error.entry(kind).or_default().push(status);
            }
        }
        for (side, kinds, fix) in [
            (
                "success",
                &success,
                "give every success response the same schema",
            ),
            (
                "error",
                &error,
                "point every error response at one shared schema (a oneOf of the error \
                 variants, tagged by `code`) and record each status's codes in `x-error-codes`",
            ),
        ] {
            if kinds.len() > 1 {
                let listing = kinds
                    .iter()
                    .map(|(kind, statuses)| format!("{} -> {}", statuses.join(", "), short(kind)))
                    .collect::<Vec<_>>()
                    .join("; ");
                out.push(l.problem(
                    "one-schema-per-outcome",
                    &child(&op.pointer, "responses"),
                    format!(
                        "the {side} responses decode into different types ({listing}); \
                         progenitor 0.15 needs one {side} type per operation and panics \
                         (`response_types.len() <= 1`) otherwise"
                    ),
                    fix,
                ));
            }
        }
    }
}

fn short(kind: &str) -> String {
    if kind.chars().count() > 60 {
        format!("{}...", kind.chars().take(57).collect::<String>())
    } else {
        kind.to_owned()
    }
}

fn error_codes(l: &Lint<'_>, out: &mut Vec<Problem>) {
    for op in doc::operations(l.doc) {
        let errors: Vec<_> = doc::responses(l.doc, &op)
            .into_iter()
            .filter(|(status, _, _)| doc::is_error_status(status))
            .collect();
        let Some(schema_at) = errors
            .iter()
            .find_map(|(_, at, response)| doc::json_schema_pointer(at, response))
        else {
            continue;
        };
        let Some(union) = doc::error_union(l.doc, &schema_at) else {
            out.push(l.problem(
                "error-codes",
                &schema_at,
                "the shared error schema is neither a oneOf tagged by a code nor an envelope \
                 object whose one property is such a oneOf, so the codes each status carries \
                 cannot be checked",
                "make the error schema `{error: {$ref: <union>}}` where the union is a oneOf of \
                 inline objects, each with a required `code: {type: string, enum: [<one code>]}`",
            ));
            continue;
        };
        let known: BTreeSet<&str> = union.codes.iter().map(String::as_str).collect();
        let mut listed: BTreeSet<String> = BTreeSet::new();
        for (status, at, response) in &errors {
            let codes_at = child(at, "x-error-codes");
            let codes = response.get("x-error-codes").and_then(Value::as_array);
            let Some(codes) = codes.filter(|c| !c.is_empty()) else {
                out.push(l.problem(
                    "error-codes",
                    at,
                    format!(
                        "the {status} response does not say which error codes it carries; \
                         progenitor's one error type hides that, so the fragment must record it"
                    ),
                    format!("add `x-error-codes: [<code>, ...]` listing the `{}` values a {status} carries", union.tag),
                ));
                continue;
            };
            let mut seen = BTreeSet::new();
            for (index, code) in codes.iter().enumerate() {
                let code_at = child(&codes_at, &index.to_string());
                let Some(code) = code.as_str() else {
                    out.push(l.problem(
                        "error-codes",
                        &code_at,
                        "an error code must be a string",
                        "quote the code",
                    ));
                    continue;
                };
                if !seen.insert(code) {
                    out.push(l.problem(
                        "error-codes",
                        &code_at,
                        format!("`{code}` is listed twice for {status}"),
                        "remove the duplicate",
                    ));
                }
                if !known.contains(code) {
                    out.push(l.problem(
                        "error-codes",
                        &code_at,
                        format!(
                            "{status} lists `{code}`, but the error union at {} has no variant with that `{}`",
                            union.pointer, union.tag
                        ),
                        format!("add a variant for `{code}` (with its typed `detail`) to the union, or correct the code"),
                    ));
                }
                listed.insert(code.to_owned());
            }
        }
        for (index, code) in union.codes.iter().enumerate() {
            if !listed.contains(code) {
                out.push(l.problem(
                    "error-codes",
                    &child(&child(&union.pointer, "oneOf"), &index.to_string()),
                    format!("the variant `{code}` is carried by no error response"),
                    format!("add `{code}` to the `x-error-codes` of the status that carries it"),
                ));
            }
        }
    }
}

fn tagged_one_of(l: &Lint<'_>, out: &mut Vec<Problem>) {
    for (at, schema) in doc::all_schemas(l.doc) {
        if schema.get("discriminator").is_some() {
            out.push(l.problem(
                "tagged-one-of",
                &child(&at, "discriminator"),
                "progenitor 0.15 ignores `discriminator`: decoding would not look at it",
                "remove it and give every member a required single-value enum property \
                 (e.g. `code: {type: string, enum: [<value>]}`); progenitor tags the enum by it",
            ));
        }
        if schema.get("anyOf").is_some() {
            out.push(l.problem(
                "tagged-one-of",
                &child(&at, "anyOf"),
                "progenitor 0.15 has no faithful Rust shape for `anyOf`",
                "use `oneOf` with members that are tagged (see the `tagged-one-of` rule)",
            ));
        }
        let Some(members) = schema.get("oneOf").and_then(Value::as_array) else {
            continue;
        };
        if let OneOfShape::Untagged(why) = doc::one_of_shape(members) {
            out.push(l.problem(
                "tagged-one-of",
                &child(&at, "oneOf"),
                format!(
                    "progenitor would make an untagged enum of this oneOf, which decodes into \
                     the first variant that happens to fit: {why}"
                ),
                "write the members inline, either each an object with exactly one required \
                 property (a lookup: `{id}` or `{permalink}`), or each an object with a required \
                 single-value enum property such as `code`",
            ));
        }
    }
}

fn exclusive_lookup(l: &Lint<'_>, out: &mut Vec<Problem>) {
    let roots = doc::schema_roots(l.doc, Wire::Request);
    for (at, schema) in doc::reachable(l.doc, &roots) {
        let says_exclusive = schema
            .get("description")
            .and_then(Value::as_str)
            .is_some_and(|d| d.to_ascii_lowercase().contains("mutually exclusive"));
        let is_exclusive_enum = schema
            .get("oneOf")
            .and_then(Value::as_array)
            .is_some_and(|members| doc::one_of_shape(members) == OneOfShape::External);
        if says_exclusive && !is_exclusive_enum {
            out.push(l.problem(
                "exclusive-lookup",
                &at,
                "the description says these fields are mutually exclusive, but as an object of \
                 optional fields the generated type lets a caller set two (the server then \
                 answers 400 `ambiguous_lookup_values`) or none (`missing_lookup_value`)",
                "write it as a oneOf of objects with one required property each \
                 (`oneOf: [{required: [id], properties: {id: ...}}, {required: [permalink], ...}]`); \
                 progenitor makes an enum that holds exactly one",
            ));
        }
    }
}

fn open_enums(l: &Lint<'_>, out: &mut Vec<Problem>) {
    let is_open = |schema: &Value| schema.get("x-open-enum") == Some(&Value::Bool(true));
    let named = |at: &str| {
        at.strip_prefix("/components/schemas/")
            .is_some_and(|rest| !rest.contains('/'))
    };
    // Single-value enums that tag a oneOf member (`code`) are part of the
    // union's shape, not enums of their own.
    let is_tag = |at: &str, schema: &Value| {
        schema
            .get("enum")
            .and_then(Value::as_array)
            .is_some_and(|v| v.len() == 1)
            && at.contains("/oneOf/")
            && at.rsplit('/').nth(1) == Some("properties")
    };

    let response_roots = doc::schema_roots(l.doc, Wire::Response);
    let response: BTreeSet<String> = doc::reachable(l.doc, &response_roots)
        .into_iter()
        .map(|(at, _)| at)
        .collect();
    let request_roots = doc::schema_roots(l.doc, Wire::Request);
    let request: BTreeSet<String> = doc::reachable(l.doc, &request_roots)
        .into_iter()
        .map(|(at, _)| at)
        .collect();

    for (at, schema) in doc::all_schemas(l.doc) {
        let has_enum = schema.get("enum").is_some();
        if is_open(schema) {
            let strings = schema.get("type").and_then(Value::as_str) == Some("string")
                && schema
                    .get("enum")
                    .and_then(Value::as_array)
                    .is_some_and(|v| !v.is_empty() && v.iter().all(Value::is_string));
            if !strings || !named(&at) {
                out.push(l.problem(
                    "open-enums",
                    &child(&at, "x-open-enum"),
                    "`x-open-enum` applies to a string enum defined under /components/schemas",
                    "move the enum to /components/schemas/<Name> with `type: string` and `enum: [...]`",
                ));
                continue;
            }
            if request.contains(&at) {
                out.push(l.problem(
                    "open-enums",
                    &child(&at, "x-open-enum"),
                    "this open enum is part of a request: an open enum lets a caller send a value \
                     the API does not define; request enums stay closed",
                    "give the request its own closed copy of the enum (without `x-open-enum`) \
                     and keep this one for responses",
                ));
            }
            let mut names = BTreeMap::new();
            for value in schema["enum"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                let variant = value.to_upper_camel_case();
                if variant == "Unknown" || variant.is_empty() {
                    out.push(l.problem(
                        "open-enums",
                        &child(&at, "enum"),
                        format!("the value `{value}` would be named `{variant}`, which an open enum reserves for values it does not know"),
                        "rename the schema's values, or keep this enum closed",
                    ));
                }
                if let Some(previous) = names.insert(variant.clone(), value) {
                    out.push(l.problem(
                        "open-enums",
                        &child(&at, "enum"),
                        format!("`{previous}` and `{value}` would both be named `{variant}`"),
                        "the values must differ in more than case and punctuation",
                    ));
                }
            }
        } else if has_enum && response.contains(&at) && !is_tag(&at, schema) {
            if named(&at) {
                out.push(l.problem(
                    "open-enums",
                    &at,
                    "the API sends this enum back, and its values grow with the product: as a \
                     closed enum, one new value fails the whole response",
                    "add `x-open-enum: true`: unknown values then decode into `Unknown(String)`",
                ));
            } else {
                out.push(l.problem(
                    "open-enums",
                    &at,
                    "an inline enum in a response is generated closed: one new value from the \
                     server fails the whole response",
                    "move it to /components/schemas/<Name>, reference it, and mark it `x-open-enum: true`",
                ));
            }
        }
    }
}

/// Each scope an operation requires is one its OAuth2 scheme defines, and
/// carries the scheme's `x-scope-prefix` (Katapult's is
/// `api.katapult.io/core/v1/`).
fn oauth2_scopes(l: &Lint<'_>, scheme: &str, at: &str, scopes: &Value, out: &mut Vec<Problem>) {
    let Some(definition) = l
        .doc
        .pointer("/components/securitySchemes")
        .and_then(|s| s.get(scheme))
    else {
        return;
    };
    let prefix = definition.get("x-scope-prefix").and_then(Value::as_str);
    let defined: BTreeSet<&str> = definition
        .get("flows")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|flows| flows.values())
        .filter_map(|flow| flow.get("scopes").and_then(Value::as_object))
        .flat_map(|scopes| scopes.keys().map(String::as_str))
        .collect();
    for (index, scope) in scopes.as_array().into_iter().flatten().enumerate() {
        let Some(scope) = scope.as_str() else {
            continue;
        };
        let scope_at = child(at, &index.to_string());
        if let Some(prefix) = prefix.filter(|p| !scope.starts_with(p)) {
            out.push(l.problem(
                "bearer-security",
                &scope_at,
                format!("the OAuth2 scope `{scope}` lacks the scheme's prefix `{prefix}`"),
                format!("write `{prefix}{scope}`"),
            ));
        } else if !defined.contains(scope) {
            out.push(l.problem(
                "bearer-security",
                &scope_at,
                format!("the OAuth2 scope `{scope}` is not defined by the `{scheme}` scheme's flows"),
                format!("add `{scope}` to the scopes of a flow under /components/securitySchemes/{scheme}"),
            ));
        }
    }
}

fn bearer_security(l: &Lint<'_>, out: &mut Vec<Problem>) {
    let schemes = l
        .doc
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object);
    let scheme_type = |name: &str| -> Option<(String, Option<String>)> {
        let scheme = schemes?.get(name)?;
        Some((
            scheme.get("type")?.as_str()?.to_owned(),
            scheme
                .get("scheme")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase),
        ))
    };
    let global = l.doc.get("security");
    for op in doc::operations(l.doc) {
        let (at, requirements) = match op.value.get("security") {
            Some(security) => (child(&op.pointer, "security"), security),
            None => match global {
                Some(security) => ("/security".to_owned(), security),
                None => {
                    out.push(l.problem(
                        "bearer-security",
                        &op.pointer,
                        "the operation states no security requirement; the fragment must record how it is authenticated",
                        "add `security: [{Authenticator: []}]` (an http bearer scheme) and the OAuth2 scope",
                    ));
                    continue;
                }
            },
        };
        let mut bearer = false;
        for (index, requirement) in requirements.as_array().into_iter().flatten().enumerate() {
            let requirement_at = child(&at, &index.to_string());
            for (name, scopes) in requirement.as_object().into_iter().flatten() {
                let Some((kind, scheme)) = scheme_type(name) else {
                    out.push(l.problem(
                        "bearer-security",
                        &child(&requirement_at, name),
                        format!("`{name}` is not defined under /components/securitySchemes"),
                        format!("define `{name}` or correct the name"),
                    ));
                    continue;
                };
                let has_scopes = scopes.as_array().is_some_and(|s| !s.is_empty());
                if kind == "oauth2" {
                    oauth2_scopes(l, name, &child(&requirement_at, name), scopes, out);
                }
                if has_scopes && kind != "oauth2" && kind != "openIdConnect" {
                    out.push(l.problem(
                        "bearer-security",
                        &child(&requirement_at, name),
                        format!("OpenAPI 3.0 allows scopes only for oauth2 and openIdConnect schemes; `{name}` is `{kind}`"),
                        "leave the list empty and state the scope on the OAuth2 requirement",
                    ));
                }
                if kind == "http"
                    && scheme.as_deref() == Some("bearer")
                    && requirement.as_object().is_some_and(|r| r.len() == 1)
                {
                    bearer = true;
                }
            }
        }
        if !bearer {
            out.push(l.problem(
                "bearer-security",
                &at,
                "no alternative here is satisfied by a bearer token alone, and a bearer token \
                 is the only credential the hand-written client sends",
                "add an alternative `{<scheme>: []}` whose scheme is `type: http, scheme: bearer`",
            ));
        }
    }
}
