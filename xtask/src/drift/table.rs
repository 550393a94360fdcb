//! The one table from a finding to a difference: its kind, where it is
//! reported on each side, what it says, the fragment edit that follows
//! upstream, and the change that edit makes to the generated API (which
//! [`crate::api_change::severity`], the one judge of API breakage, rates).

use serde_json::Value;

use super::compare::Found;
use super::normal::{Fact, What, requirement};
use super::{DifferenceKind as K, Presence};
use crate::api_change::ChangeKind as C;
use crate::doc::{child, is_error_status, ref_pointer};

/// A finding, described.
pub(super) struct Row {
    pub kind: K,
    /// Pointer in the fragment: where a marker declaring it sits.
    pub fragment: String,
    /// Pointer upstream.
    pub upstream: String,
    pub change: String,
    pub edit: String,
    /// What following upstream changes in the generated API; `None` when
    /// nothing generated changes.
    pub api: Option<C>,
    /// Whether a variant it adds goes into an open enum.
    pub open: bool,
    /// Why the API changes (or not), in a sentence.
    pub note: &'static str,
    /// Set for the rows that group with others of their kind at one
    /// fragment node: what this one adds to the list (a status, a value, a
    /// code, an upstream name).
    pub group: Option<String>,
}

/// Describes `found`. `items` is the list a grouped row names (empty for
/// its own item alone). `None` for what is no difference of its own (a
/// schema's use on one side only: a difference above it says so).
pub(super) fn row(found: &Found<'_, '_>, items: &[String]) -> Option<Row> {
    use Presence::{Changed, FragmentOnly as Here, UpstreamOnly as There};
    let (f, u, fact) = (found.f, found.u, found.fact());
    let key = fact.key.as_str();
    let group = match (fact.what, found.presence) {
        (What::Header, Here) | (What::Wrapped, Changed) => Some(fact.ctx.owner.clone()),
        (What::Code | What::EnumValue, Here) => Some(key.to_owned()),
        (What::Name, Changed) => Some(text(&u.value).to_owned()),
        _ => None,
    };
    let items = match (&group, items) {
        (Some(own), []) => vec![own.clone()],
        _ => items.to_vec(),
    };
    let security = "progenitor ignores security schemes";
    let (kind, change, edit, api, note) = match (fact.what, found.presence) {
        (What::OperationId, Changed) => (
            K::Operation,
            format!(
                "the operation id is {} upstream, {} here",
                show(&u.value),
                show(&f.value)
            ),
            format!("set `operationId: {}`", show(&u.value)),
            (!f.ctx.renamed).then(|| C::Renamed(show(&u.value))),
            if f.ctx.renamed {
                "`x-rust-name` gives the Rust name, whatever the published id"
            } else {
                "the client method and the request and response types are named after it"
            },
        ),
        (What::Requirement, There) => (
            K::Security,
            format!("upstream accepts {}", requirement_text(u.node)),
            format!(
                "add `{}` to the operation's `security`",
                requirement_yaml(u.node)
            ),
            None,
            "authentication is the hand-written layer's job; progenitor ignores security",
        ),
        (What::Requirement, Here) => (
            K::Security,
            format!("only the fragment accepts {}", requirement_text(f.node)),
            "remove the requirement from the operation's `security`".to_owned(),
            None,
            "progenitor ignores security",
        ),
        (What::Scopes, Changed) => (
            K::Security,
            format!(
                "the `{key}` requirement lists scopes {:?} upstream, {:?} here",
                strings(&u.value),
                strings(&f.value)
            ),
            format!(
                "list `{key}: {:?}` in the operation's `security`",
                strings(&u.value)
            ),
            None,
            "progenitor ignores security",
        ),
        (What::SchemeField, Changed) => (
            K::Security,
            format!(
                "the scheme's `{key}` is {} upstream, {} here",
                show(&u.value),
                show(&f.value)
            ),
            format!("set `{key}: {}`", show(&u.value)),
            None,
            security,
        ),
        (What::Flow, There) => (
            K::Security,
            format!("upstream defines the scheme's `{key}` flow; the fragment does not"),
            format!(
                "add `{key}: {}` under the scheme's `flows`",
                snippet(u.node)
            ),
            None,
            security,
        ),
        (What::FlowField, Changed) => (
            K::Security,
            format!(
                "the `{}` flow's `{key}` is {} upstream, {} here",
                u.ctx.owner,
                show(&u.value),
                show(&f.value)
            ),
            format!(
                "set `{key}: {}` under `flows.{}`",
                show(&u.value),
                u.ctx.owner
            ),
            None,
            security,
        ),
        (What::Scope, There) => (
            K::Security,
            format!("the scope `{key}` the operation needs is defined upstream only"),
            format!("define `{key}` under `flows.{}.scopes`", u.ctx.owner),
            None,
            security,
        ),
        (What::Parameter, There) => {
            let required = u.node.get("required") == Some(&Value::Bool(true));
            (
                K::Parameter,
                format!("upstream adds the {} parameter `{key}`", u.ctx.owner),
                format!("add to the operation's `parameters`: {}", snippet(u.node)),
                Some(if required {
                    C::SignatureChanged(key.to_owned())
                } else {
                    C::Added
                }),
                if required {
                    "the request builder gains a parameter every call must set"
                } else {
                    "the request builder gains an optional setter"
                },
            )
        }
        (What::Parameter, Here) => (
            K::Parameter,
            format!(
                "the {} parameter `{key}` is not in the published document",
                f.ctx.owner
            ),
            "remove the parameter".to_owned(),
            Some(C::Removed),
            "its builder setter disappears",
        ),
        (What::ParameterRequired, Changed) => {
            let required = u.value == Value::Bool(true);
            (
                K::Required,
                format!(
                    "the {} parameter `{key}` is {} upstream",
                    u.ctx.owner,
                    required_word(required)
                ),
                format!("set `required: {required}`"),
                Some(C::SignatureChanged(key.to_owned())),
                "the builder's setter changes between required and optional",
            )
        }
        (What::RequestBody, There) => (
            K::RequestBody,
            "upstream gives the operation a request body".to_owned(),
            format!("add `requestBody`: {}", snippet(u.node)),
            Some(C::SignatureChanged("body".to_owned())),
            "the request builder gains a body",
        ),
        (What::RequestBody, Here) => (
            K::RequestBody,
            "the published operation has no request body".to_owned(),
            "remove `requestBody`".to_owned(),
            Some(C::Removed),
            "the request body type and the builder's `body` disappear",
        ),
        (What::BodyRequired, Changed) => (
            K::RequestBody,
            format!(
                "the request body is {} upstream, {} here",
                required_word(u.value == Value::Bool(true)),
                required_word(f.value == Value::Bool(true))
            ),
            format!("set `required: {}` on the request body", u.value),
            Some(C::SignatureChanged("body".to_owned())),
            "progenitor makes an optional body an optional argument",
        ),
        (What::Media, There) => (
            K::MediaType,
            format!("upstream also describes {} as `{key}`", u.ctx.owner),
            format!("add `{key}` under `content`"),
            None,
            "progenitor uses the JSON body only",
        ),
        (What::Media, Here) => (
            K::MediaType,
            format!("upstream does not describe {} as `{key}`", f.ctx.owner),
            format!("remove `{key}` from `content`"),
            Some(C::ShapeChanged(format!("{} without `{key}`", f.ctx.owner))),
            "the generated body type follows the JSON schema",
        ),
        (What::Status, There) if is_error_status(key) => {
            let codes: Vec<&str> = found
                .upstream
                .list
                .iter()
                .filter(|c| c.what == What::Code && c.path.starts_with(&format!("{}/", fact.path)))
                .map(|c| c.key.as_str())
                .collect();
            (
                K::Status,
                format!("upstream adds the {key} response (codes {codes:?})"),
                format!(
                    "add `\"{key}\": {{$ref: \"#/components/responses/<Name>\"}}` and, under \
                     /components/responses, a response with `x-error-codes: {codes:?}` whose JSON \
                     body is the shared error schema; add a variant per new code to the error union"
                ),
                Some(C::VariantAdded(key.to_owned())),
                "the error union (a closed enum) gains a variant per new code",
            )
        }
        (What::Status, There) => (
            K::Status,
            format!("upstream adds the {key} response"),
            format!("add the {key} response: {}", snippet(u.node)),
            Some(C::ShapeChanged(format!("the {key} response"))),
            "the success type follows the success responses",
        ),
        (What::Status, Here) => {
            let error = is_error_status(key);
            (
                K::Status,
                format!("the published operation has no {key} response"),
                format!("remove the {key} response"),
                (!error).then(|| C::ShapeChanged(format!("the {key} response"))),
                if error {
                    "error statuses share one error type; its variants follow the codes"
                } else {
                    "the success type follows the success responses"
                },
            )
        }
        (What::Header, There) => (
            K::Header,
            format!("upstream documents the header `{key}` on {}", u.ctx.owner),
            format!(
                "add `{key}: {}` under the response's `headers`",
                snippet(u.node)
            ),
            None,
            "progenitor ignores response headers; the hand-written layer reads them",
        ),
        (What::Header, Here) => (
            K::Header,
            format!(
                "the header `{key}` is documented on {}; upstream does not document it",
                items.join(", ")
            ),
            format!("remove `{key}` from those responses' `headers`"),
            None,
            "progenitor ignores response headers",
        ),
        (What::ErrorReadable, Changed) => (
            K::ErrorBody,
            format!(
                "the {key} body {} is not an error object with a `code` (or a union of them)",
                if f.value == Value::Bool(false) {
                    "in the fragment"
                } else {
                    "upstream"
                }
            ),
            "compare the two bodies by hand".to_owned(),
            Some(C::ShapeChanged(format!("the {key} error body"))),
            "the error type cannot be derived from it",
        ),
        (What::Code, There) => {
            let known = found.fragment.get(&child("/errors", key)).is_some();
            let mut edit = format!("add `{key}` to `x-error-codes` at {}", f.at);
            if !known {
                let detail = u
                    .node
                    .pointer("/properties/detail")
                    .map_or_else(|| "{type: object}".to_owned(), snippet);
                edit.push_str(&format!(
                    ", and a variant to the union at {}: `{{type: object, \
                     required: [code, description], properties: {{code: {{type: string, \
                     enum: [{key}]}}, description: {{type: string}}, detail: {detail}}}}}`",
                    f.ctx.union_at
                ));
            }
            (
                K::ErrorCode,
                format!("upstream adds the error code `{key}` to {}", u.ctx.owner),
                edit,
                (!known).then(|| C::VariantAdded(key.to_owned())),
                if known {
                    "the error union already has this code; only the per-status record changes"
                } else {
                    "the error union (a closed enum) gains a variant; `ErrorCode` (open) gains one too"
                },
            )
        }
        (What::Code, Here) => {
            let list: Vec<String> = items.iter().map(|code| format!("`{code}`")).collect();
            let list = list.join(", ");
            (
                K::ErrorCode,
                format!(
                    "{} carries codes upstream does not list: {list}",
                    f.ctx.owner
                ),
                format!(
                    "remove {list} from `x-error-codes` (and their variants, if no other \
                     status carries them)"
                ),
                Some(C::VariantRemoved(items.join(", "))),
                "error union variants disappear",
            )
        }
        (What::Wrapped, Changed) => (
            K::ErrorBody,
            if f.value == Value::Bool(true) {
                format!(
                    "the fragment wraps the error object in an envelope (`{{\"error\": {{...}}}}`) \
                     for {}; upstream's body is the error object itself",
                    items.join(", ")
                )
            } else {
                format!(
                    "upstream wraps the error object in an envelope for {}; the fragment does not",
                    items.join(", ")
                )
            },
            "write the error body as upstream does".to_owned(),
            Some(C::ShapeChanged("the error body".to_owned())),
            "the error type's shape changes",
        ),
        (What::ErrorSchemas, Changed) => (
            K::ErrorBody,
            format!(
                "the fragment's {} error statuses share {} body schema(s) (one union of every \
                 code); upstream's have {}",
                found
                    .upstream
                    .list
                    .iter()
                    .filter(
                        |s| s.what == What::ErrorObjects && found.fragment.get(&s.path).is_some()
                    )
                    .count(),
                f.value,
                u.value
            ),
            "give each status its own error schema, as upstream does".to_owned(),
            Some(C::ShapeChanged("the error type".to_owned())),
            "progenitor 0.15 needs one error schema per operation; the error type would change",
        ),
        (What::Property, There) => {
            let required = u.ctx.required;
            let edit = if f.ctx.lookup {
                format!(
                    "add a member to the oneOf: `{{type: object, required: [{key}], \
                     properties: {{{key}: {}}}}}`",
                    snippet(u.node)
                )
            } else {
                let listed = if required {
                    format!(" and list `{key}` in `required`")
                } else {
                    String::new()
                };
                format!(
                    "add under {}/properties: `{key}: {}`{listed}",
                    f.at,
                    snippet(u.node)
                )
            };
            (
                K::Property,
                format!(
                    "upstream adds the {}{} property `{key}` to {}",
                    if required { "required " } else { "" },
                    if u.ctx.request { "request" } else { "response" },
                    f.ctx.owner
                ),
                edit + &missing_schemas(u.node, found.fragment.doc),
                Some(if f.ctx.lookup {
                    C::VariantAdded(key.to_owned())
                } else {
                    C::FieldAdded(key.to_owned())
                }),
                if f.ctx.lookup {
                    "the lookup enum gains a variant"
                } else {
                    "a new field: struct literals without `..Default::default()` stop compiling"
                },
            )
        }
        (What::Property, Here) => (
            K::Property,
            format!(
                "{} has `{key}`, which upstream does not (any more)",
                f.ctx.owner
            ),
            format!("remove `{key}`"),
            Some(C::FieldRemoved(key.to_owned())),
            "a field disappears",
        ),
        (What::Required, Changed) => {
            let required = u.value == Value::Bool(true);
            (
                K::Required,
                format!(
                    "`{key}` of {} is {} upstream, {} here",
                    f.ctx.owner,
                    required_word(required),
                    required_word(!required)
                ),
                if required {
                    format!("list `{key}` in `required`")
                } else {
                    format!("remove `{key}` from `required`")
                },
                Some(C::FieldTypeChanged(
                    key.to_owned(),
                    required_word(!required).to_owned(),
                    required_word(required).to_owned(),
                )),
                "the field changes between `T` and `Option<T>`",
            )
        }
        (What::Nullable, Changed) => {
            let nullable = |fact: &Fact<'_>| {
                if fact.value == Value::Bool(true) {
                    "nullable"
                } else {
                    "not nullable"
                }
            };
            (
                K::Nullable,
                format!(
                    "{} is {} upstream, {} here",
                    label(&f.at),
                    nullable(u),
                    nullable(f)
                ),
                if u.value == Value::Bool(true) {
                    "write `nullable: true` (beside a `$ref`: `nullable: true` + `allOf: [{$ref: ...}]`)".to_owned()
                } else {
                    "remove `nullable: true`".to_owned()
                },
                f.ctx.required.then(|| {
                    C::FieldTypeChanged(
                        label(&f.at),
                        nullable(f).to_owned(),
                        nullable(u).to_owned(),
                    )
                }),
                if f.ctx.required {
                    "a required field becomes, or stops being, an `Option`"
                } else {
                    "an optional field is an `Option` either way"
                },
            )
        }
        (What::Name, Changed) => {
            let (ours, theirs) = (text(&f.value), text(&u.value));
            let names: Vec<String> = items.iter().map(|name| format!("`{name}`")).collect();
            (
                K::Name,
                match (ours, theirs) {
                    ("", _) => format!(
                        "upstream names this schema `{theirs}`; the fragment writes it inline"
                    ),
                    (_, "") => format!(
                        "upstream writes this schema inline; the fragment names it `{ours}`"
                    ),
                    _ => format!(
                        "upstream uses the schema{} {} here; the fragment uses `{ours}`",
                        if names.len() > 1 { "s" } else { "" },
                        names.join(", ")
                    ),
                },
                match theirs {
                    "" => "write the schema inline, as upstream does".to_owned(),
                    _ => format!("refer to `#/components/schemas/{theirs}`"),
                },
                Some(C::Renamed(theirs.to_owned())),
                "the generated type is named after the schema",
            )
        }
        (What::Shape, Changed) => (
            K::Shape,
            format!(
                "upstream writes {} as {}; the fragment as {}",
                label(&f.at),
                text(&u.value),
                text(&f.value)
            ),
            format!("write it as upstream does: {}", snippet(u.node)),
            Some(C::ShapeChanged(label(&f.at))),
            "the generated type changes shape (a struct, an enum, ...)",
        ),
        (What::Type, Changed) => {
            let ty = |fact: &Fact<'_>| {
                fact.value
                    .as_str()
                    .map_or_else(|| "unspecified".to_owned(), |t| format!("`{t}`"))
            };
            (
                K::Type,
                format!(
                    "the type of {} is {} upstream, {} here",
                    label(&f.at),
                    ty(u),
                    ty(f)
                ),
                format!("set `type: {}`", u.value.as_str().unwrap_or("<none>")),
                Some(C::FieldTypeChanged(label(&f.at), ty(f), ty(u))),
                "the field's Rust type changes",
            )
        }
        (What::Format, Changed) => (
            K::Format,
            format!(
                "the format of {} is {} upstream, {} here",
                label(&f.at),
                show(&u.value),
                show(&f.value)
            ),
            match u.value.as_str() {
                Some(format) => format!("set `format: {format}`"),
                None => "remove `format`".to_owned(),
            },
            Some(C::FieldTypeChanged(
                label(&f.at),
                show(&f.value),
                show(&u.value),
            )),
            "typify maps formats to Rust types (int32 to i32, date-time, uuid, ...)",
        ),
        (What::EnumValue, There) => (
            K::EnumValue,
            format!("upstream adds the value {key} to {}", enum_name(f)),
            format!("add {key} to `enum` at {}", f.at),
            Some(C::VariantAdded(key.to_owned())),
            match (f.ctx.open, f.ctx.request) {
                (true, _) => "a new variant of an open (non_exhaustive) enum",
                (false, true) => {
                    "a new variant of a closed request enum: exhaustive matches stop compiling"
                }
                (false, false) => "a new variant of a closed enum",
            },
        ),
        (What::EnumValue, Here) => (
            K::EnumValue,
            format!(
                "{} has values upstream does not list: {}",
                enum_name(f),
                items.join(", ")
            ),
            format!("remove {} from `enum`", items.join(", ")),
            Some(C::VariantRemoved(items.join(", "))),
            "a variant disappears",
        ),
        (What::Members, Changed) => (
            K::Shape,
            format!(
                "upstream's oneOf has {} members, the fragment's {}",
                u.value, f.value
            ),
            format!("write the members as upstream does: {}", snippet(u.node)),
            Some(C::ShapeChanged(label(&f.at))),
            "the generated enum gains or loses variants",
        ),
        _ => return None,
    };
    let (fragment, upstream) = match found.presence {
        Changed => (f.anchor.clone(), u.at.clone()),
        There => (slot(fact.what, f, Some(key)), u.at.clone()),
        Here => (f.anchor.clone(), slot(fact.what, u, None)),
    };
    Some(Row {
        kind,
        fragment,
        upstream,
        change,
        edit,
        api,
        open: fact.what == What::EnumValue && f.ctx.open,
        note,
        group,
    })
}

/// Where a fact one side lacks belongs on that side, below `parent` (the
/// nearest fact above it there): in the fragment (`key` given), the node
/// to write; upstream, the collection that lacks it.
fn slot(what: What, parent: &Fact<'_>, key: Option<&str>) -> String {
    let lookup = what == What::Property && parent.ctx.lookup;
    let collection = match what {
        What::Requirement => "security",
        What::Scope => "scopes",
        What::Parameter => "parameters",
        What::RequestBody => "requestBody",
        What::Media => "content",
        What::Status => "responses",
        What::Header => "headers",
        What::Code if key.is_some() => "x-error-codes",
        What::Property if lookup => "oneOf",
        What::Property => "properties",
        What::EnumValue => "enum",
        // A flow, a code's status upstream: the node itself.
        _ => return parent.anchor.clone(),
    };
    let at = child(&parent.at, collection);
    match key {
        Some(_) if what == What::Parameter || lookup => child(&at, "-"),
        Some(key)
            if matches!(
                what,
                What::Scope | What::Media | What::Status | What::Header | What::Property
            ) =>
        {
            child(&at, key)
        }
        _ => at,
    }
}

/// The strings of a JSON list.
fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("")
}

fn required_word(required: bool) -> &'static str {
    if required { "required" } else { "optional" }
}

/// `` `DiskStateEnum` ``, or where an unnamed enum is.
fn enum_name(fact: &Fact<'_>) -> String {
    match &fact.ctx.name {
        Some(name) => format!("`{name}`"),
        None => format!("the enum at {}", fact.anchor),
    }
}

/// A readable name for a schema node: `DiskArguments.size_in_gb` for
/// `/components/schemas/DiskArguments/properties/size_in_gb`, the pointer
/// itself elsewhere.
fn label(at: &str) -> String {
    match at.strip_prefix("/components/schemas/") {
        Some(rest) => rest
            .replace("/properties/", ".")
            .replace("~1", "/")
            .replace("~0", "~"),
        None => format!("the schema at {at}"),
    }
}

/// A JSON value as printed in a message: compact, and cut when long.
fn snippet(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 240 {
        let cut: String = text.chars().take(240).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// A value that may be absent (`Null`), as printed in a message.
fn show(value: &Value) -> String {
    if value.is_null() {
        "absent".to_owned()
    } else {
        snippet(value)
    }
}

fn requirement_text(node: &Value) -> String {
    let schemes = requirement(node);
    let parts: Vec<String> = schemes
        .iter()
        .map(|(scheme, scopes)| format!("`{scheme}` with scopes {scopes:?}"))
        .collect();
    parts.join(" and ")
}

fn requirement_yaml(node: &Value) -> String {
    let schemes = requirement(node);
    let parts: Vec<String> = schemes
        .iter()
        .map(|(scheme, scopes)| format!("{scheme}: {scopes:?}"))
        .collect();
    parts.join(", ")
}

/// For a node to be copied from upstream: the schemas it refers to that
/// the fragment does not have.
fn missing_schemas(node: &Value, fragment: &Value) -> String {
    fn refs<'v>(node: &'v Value, out: &mut Vec<&'v str>) {
        match node {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    out.push(reference);
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    refs(node, &mut found);
    found.retain(|r| ref_pointer(r).is_some_and(|at| fragment.pointer(at).is_none()));
    if found.is_empty() {
        String::new()
    } else {
        format!(", and copy {} from upstream", found.join(", "))
    }
}
