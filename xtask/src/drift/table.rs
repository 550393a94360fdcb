//! The one table from a finding to a difference: its kind, pointers, text,
//! and the fragment edit that follows upstream. What that edit does to the
//! generated API is for codegen's outline diff to show, and for
//! cargo-semver-checks to judge (`crate::api_change`).

use serde_json::Value;

use super::compare::Found;
use super::normal::{Fact, What, requirement};
use super::{Difference, DifferenceKind as K, Presence};
use crate::doc::{self, child, is_error_status, ref_pointer};

/// Describes `found` as a difference, with, for a difference the table
/// groups with others of its kind at one fragment node, what it adds to the
/// list (a status, a value, a code, an upstream name). `items` is that list
/// once gathered (empty while gathering: the text is not used then). `None`
/// for what is no difference of its own (a schema's use on one side only: a
/// difference above it says so).
pub(super) fn row(found: &Found<'_, '_>, items: &[String]) -> Option<(Difference, Option<String>)> {
    let (f, u, fact) = (found.f, found.u, found.fact());
    let group = match (fact.what, found.presence) {
        (What::Header, Presence::FragmentOnly) | (What::Wrapped, Presence::Changed) => {
            Some(fact.ctx.owner.clone())
        }
        (What::Code | What::EnumValue, Presence::FragmentOnly) => Some(fact.key.clone()),
        (What::Name, Presence::Changed) => Some(text(&u.value).to_owned()),
        _ => None,
    };
    let (kind, change, edit) = describe(found, items)?;
    let (fragment, upstream) = match found.presence {
        Presence::Changed => (f.anchor.clone(), u.at.clone()),
        Presence::UpstreamOnly => (slot(fact.what, f, Some(&fact.key)), u.at.clone()),
        Presence::FragmentOnly => (f.anchor.clone(), slot(fact.what, u, None)),
    };
    let difference = Difference {
        kind,
        presence: found.presence,
        fragment,
        upstream,
        change,
        edit,
        departures: Vec::new(),
    };
    Some((difference, group))
}

type Described = (K, String, String);

/// The table itself: for each kind of fact and side, the kind of
/// difference, what differs, and the edit that follows upstream.
#[rustfmt::skip]
fn describe(found: &Found<'_, '_>, items: &[String]) -> Option<Described> {
    use Presence::{Changed, FragmentOnly as Here, UpstreamOnly as There};
    let (f, u, fact) = (found.f, found.u, found.fact());
    let key = fact.key.clone();
    let (fv, uv) = (show(&f.value), show(&u.value));
    let yes = |fact: &Fact<'_>| fact.value == Value::Bool(true);
    let accepts = |s: &str, scopes: &[String]| format!("`{s}` with scopes {scopes:?}");
    let word = |fact, (yes_word, no_word)| if yes(fact) { yes_word } else { no_word };
    let (required, nullable) = (("required", "optional"), ("nullable", "not nullable"));
    let (required_u, required_f) = (word(u, required), word(f, required));
    let (nullable_u, nullable_f) = (word(u, nullable), word(f, nullable));
    let (label, list) = (label(&f.at), items.join(", "));
    let scopes = |fact: &Fact<'_>| requirement(fact.node).remove(&key).unwrap_or_default();
    let missing = missing_schemas(u.node, found.fragment.doc);
    let listed = match u.ctx.required {
        true => format!(" and list `{key}` in `required`"),
        false => String::new(),
    };
    let adds = format!("upstream adds the {}{} property `{key}` to {}",
        if u.ctx.required { "required " } else { "" },
        if u.ctx.request { "request" } else { "response" }, f.ctx.owner);
    let row = |kind, change, edit| Some((kind, change, edit));
    match (fact.what, found.presence) {
        (What::Operation, Here) => row(K::Operation,
            format!("the published document has no `{key}` (the fragment's {})",
                match f.node.get("operationId").and_then(Value::as_str) {
                    Some(id) => format!("`{id}`"),
                    None => "operation without an id".to_owned(),
                }),
            format!("find where Katapult moved `{key}` and follow it, or remove the operation \
                     from the fragment")),
        (What::OperationId, Changed) => row(K::Operation,
            format!("the operation id is {uv} upstream, {fv} here"),
            format!("set `operationId: {uv}`")),
        (What::Requirement, There) => row(K::Security,
            format!("upstream accepts {}", requirement_text(u.node, accepts, " and ")),
            format!("add `{}` to the operation's `security`", requirement_text(u.node, |s, scopes| format!("{s}: {scopes:?}"), ", "))),
        (What::Requirement, Here) => row(K::Security,
            format!("only the fragment accepts {}", requirement_text(f.node, accepts, " and ")),
            "remove the requirement from the operation's `security`".to_owned()),
        (What::Scopes, Changed) => row(K::Security,
            format!("the `{key}` requirement lists scopes {:?} upstream, {:?} here",
                scopes(u), scopes(f)),
            format!("list `{key}: {:?}` in the operation's `security`", scopes(u))),
        (What::SchemeField, Changed) => row(K::Security,
            format!("the scheme's `{key}` is {uv} upstream, {fv} here"),
            format!("set `{key}: {uv}`")),
        (What::Flow, There) => row(K::Security,
            format!("upstream defines the scheme's `{key}` flow; the fragment does not"),
            format!("add `{key}: {}` under the scheme's `flows`", snippet(u.node))),
        (What::FlowField, Changed) => row(K::Security,
            format!("the `{}` flow's `{key}` is {uv} upstream, {fv} here", u.ctx.owner),
            format!("set `{key}: {uv}` under `flows.{}`", u.ctx.owner)),
        (What::Scope, There) => row(K::Security,
            format!("the scope `{key}` the operation needs is defined upstream only"),
            format!("define `{key}` under `flows.{}.scopes`", u.ctx.owner)),
        (What::Scope, Here) => row(K::Security,
            format!("the fragment defines the scope `{key}` an operation needs; upstream's `{}` \
                     flow does not", f.ctx.owner),
            format!("remove `{key}` from `flows.{}.scopes`", f.ctx.owner)),

        (What::Parameter, There) => row(K::Parameter,
            format!("upstream adds the {} parameter `{key}`", u.ctx.owner),
            format!("add to the operation's `parameters`: {}", snippet(u.node))),
        (What::Parameter, Here) => row(K::Parameter,
            format!("the {} parameter `{key}` is not in the published document", f.ctx.owner),
            "remove the parameter".to_owned()),
        (What::ParameterRequired, Changed) => row(K::Required,
            format!("the {} parameter `{key}` is {required_u} upstream", u.ctx.owner),
            format!("set `required: {}`", yes(u))),
        (What::RequestBody, There) => row(K::RequestBody,
            "upstream gives the operation a request body".to_owned(),
            format!("add `requestBody`: {}", snippet(u.node))),
        (What::RequestBody, Here) => row(K::RequestBody,
            "the published operation has no request body".to_owned(),
            "remove `requestBody`".to_owned()),
        (What::BodyRequired, Changed) => row(K::RequestBody,
            format!("the request body is {required_u} upstream, {required_f} here"),
            format!("set `required: {}` on the request body", yes(u))),
        (What::Media, There) => row(K::MediaType,
            format!("upstream also describes {} as `{key}`", u.ctx.owner),
            format!("add `{key}` under `content`")),
        (What::Media, Here) => row(K::MediaType,
            format!("upstream does not describe {} as `{key}`", f.ctx.owner),
            format!("remove `{key}` from `content`")),

        (What::Status, There) if is_error_status(&key) => {
            let below = format!("{}/", fact.path);
            let codes: Vec<&str> = found.upstream.by_path.values()
                .filter(|c| c.what == What::Code && c.path.starts_with(&below))
                .map(|c| c.key.as_str()).collect();
            row(K::Status,
                format!("upstream adds the {key} response (codes {codes:?})"),
                format!("add `\"{key}\": {{$ref: \"#/components/responses/<Name>\"}}` and, under \
                         /components/responses, a response with `x-error-codes: {codes:?}` whose \
                         JSON body is the shared error schema; add a variant per new code to the \
                         error union"))
        }
        (What::Status, There) => row(K::Status,
            format!("upstream adds the {key} response"),
            format!("add the {key} response: {}", snippet(u.node))),
        (What::Status, Here) => row(K::Status,
            format!("the published operation has no {key} response"),
            format!("remove the {key} response")),
        (What::Header, There) => row(K::Header,
            format!("upstream documents the header `{key}` on {}", u.ctx.owner),
            format!("add `{key}: {}` under the response's `headers`", snippet(u.node))),
        (What::Header, Here) => row(K::Header,
            format!("the header `{key}` is documented on {list}; upstream does not document it"),
            format!("remove `{key}` from those responses' `headers`")),

        (What::ErrorReadable, Changed) => row(K::ErrorBody,
            format!("the {key} body {} is not an error object with a `code` (or a union of them)",
                if yes(f) { "upstream" } else { "in the fragment" }),
            "compare the two bodies by hand".to_owned()),
        (What::Code, There) if found.fragment.by_path.values()
            .any(|c| c.what == What::ErrorObject && c.key == key) => row(K::ErrorCode,
            format!("upstream adds the error code `{key}` to {}", u.ctx.owner),
            format!("add `{key}` to `x-error-codes` at {}", f.at)),
        (What::Code, There) => {
            let detail = u.node.pointer("/properties/detail");
            let detail = detail.map_or_else(|| "{type: object}".to_owned(), snippet);
            row(K::ErrorCode,
                format!("upstream adds the error code `{key}` to {}", u.ctx.owner),
                format!("add `{key}` to `x-error-codes` at {}, and a variant to the union at {}: \
                         `{{type: object, required: [code, description], properties: {{code: \
                         {{type: string, enum: [{key}]}}, description: {{type: string}}, detail: \
                         {detail}}}}}`", f.at, f.ctx.union_at))
        }
        (What::Code, Here) => {
            let codes: Vec<String> = items.iter().map(|code| format!("`{code}`")).collect();
            let codes = codes.join(", ");
            row(K::ErrorCode,
                format!("{} carries codes upstream does not list: {codes}", f.ctx.owner),
                format!("remove {codes} from `x-error-codes` (and their variants, if no other \
                         status carries them)"))
        }
        (What::Wrapped, Changed) => row(K::ErrorBody,
            if yes(f) {
                format!("the fragment wraps the error object in an envelope \
                         (`{{\"error\": {{...}}}}`) for {list}; upstream's body is the error \
                         object itself")
            } else {
                format!("upstream wraps the error object in an envelope for {list}; the \
                         fragment does not")
            },
            "write the error body as upstream does".to_owned()),
        (What::ErrorSchemas, Changed) => row(K::ErrorBody,
            if yes(f) {
                "an operation's error statuses share one body schema in the fragment (one union \
                 of every code); upstream gives them separate schemas".to_owned()
            } else {
                "an operation's error statuses share one body schema upstream; the fragment \
                 gives them separate schemas".to_owned()
            },
            if yes(f) { "give each status its own error schema, as upstream does" }
            else { "point every error status at one schema, as upstream does" }.to_owned()),

        (What::Property, There) if f.ctx.lookup => row(K::Property, adds,
            format!("add a member to the oneOf: `{{type: object, required: [{key}], properties: \
                     {{{key}: {}}}}}`{missing}", snippet(u.node))),
        (What::Property, There) => row(K::Property, adds,
            format!("add under {}/properties: `{key}: {}`{listed}{missing}",
                f.at, snippet(u.node))),
        (What::Property, Here) => row(K::Property,
            format!("{} has `{key}`, which upstream does not (any more)", f.ctx.owner),
            format!("remove `{key}`")),
        (What::Required, Changed) => row(K::Required,
            format!("`{key}` of {} is {required_u} upstream, {required_f} here", f.ctx.owner),
            if yes(u) { format!("list `{key}` in `required`") }
            else { format!("remove `{key}` from `required`") }),
        (What::Nullable, Changed) => row(K::Nullable,
            format!("{label} is {nullable_u} upstream, {nullable_f} here"),
            if yes(u) {
                "write `nullable: true` (beside a `$ref`: `nullable: true` + \
                 `allOf: [{$ref: ...}]`)".to_owned()
            } else {
                "remove `nullable: true`".to_owned()
            }),
        (What::Name, Changed) => {
            let (ours, theirs) = (text(&f.value), text(&u.value));
            let names: Vec<String> = items.iter().map(|name| format!("`{name}`")).collect();
            row(K::Name,
                match (ours, theirs) {
                    ("", _) => format!("upstream names this schema `{theirs}`; the fragment writes \
                                        it inline"),
                    (_, "") => format!("upstream writes this schema inline; the fragment names \
                                        it `{ours}`"),
                    _ => format!("upstream uses the schema{} {} here; the fragment uses `{ours}`",
                        if names.len() > 1 { "s" } else { "" }, names.join(", ")),
                },
                if theirs.is_empty() { "write the schema inline, as upstream does".to_owned() }
                else { format!("refer to `#/components/schemas/{theirs}`") })
        }
        (What::Shape, Changed) => row(K::Shape,
            format!("upstream writes {label} as {}; the fragment as {}",
                text(&u.value), text(&f.value)),
            format!("write it as upstream does: {}", snippet(u.node))),
        (What::Type, Changed) => {
            let ty = |fact: &Fact<'_>| {
                fact.value.as_str().map_or("unspecified".into(), |t| format!("`{t}`"))
            };
            row(K::Type,
                format!("the type of {label} is {} upstream, {} here", ty(u), ty(f)),
                format!("set `type: {}`", u.value.as_str().unwrap_or("<none>")))
        }
        (What::Format, Changed) => row(K::Format,
            format!("the format of {label} is {uv} upstream, {fv} here"),
            match u.value.as_str() {
                Some(format) => format!("set `format: {format}`"),
                None => "remove `format`".to_owned(),
            }),
        (What::EnumValue, There) => row(K::EnumValue,
            format!("upstream adds the value {key} to {}", enum_name(f)),
            format!("add {key} to `enum` at {}", f.at)),
        (What::EnumValue, Here) => row(K::EnumValue,
            format!("{} has values upstream does not list: {list}", enum_name(f)),
            format!("remove {list} from `enum`")),
        (What::Members, Changed) => row(K::Shape,
            format!("upstream's oneOf has {} members, the fragment's {}", u.value, f.value),
            format!("write the members as upstream does: {}", snippet(u.node))),
        _ => None,
    }
}

/// Where a fact one side lacks belongs on that side, below `parent` (the
/// nearest fact above it there): in the fragment (`key` given), the node
/// to write; upstream, the collection that lacks it.
fn slot(what: What, parent: &Fact<'_>, key: Option<&str>) -> String {
    // The collection, and the member to write in the fragment: appended
    // (`-`) to a list, named by its key in a map, or the collection itself.
    let (collection, member) = match what {
        What::Operation => ("paths", None),
        What::Requirement => ("security", None),
        What::RequestBody => ("requestBody", None),
        What::EnumValue => ("enum", None),
        What::Code if key.is_some() => ("x-error-codes", None),
        What::Parameter => ("parameters", Some("-")),
        What::Property if parent.ctx.lookup => ("oneOf", Some("-")),
        What::Scope => ("scopes", key),
        What::Media => ("content", key),
        What::Status => ("responses", key),
        What::Header => ("headers", key),
        What::Property => ("properties", key),
        // A flow, a code's status upstream: the node itself.
        _ => return parent.anchor.clone(),
    };
    let at = child(&parent.at, collection);
    match (key, member) {
        (Some(_), Some(member)) => child(&at, member),
        _ => at,
    }
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("")
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
    match text.char_indices().nth(240) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

/// A value that may be absent (`Null`), as printed in a message.
fn show(value: &Value) -> String {
    match value {
        Value::Null => "absent".to_owned(),
        value => snippet(value),
    }
}

/// A security requirement as a message lists it: each scheme with its
/// scopes, as `part` writes them, joined by `separator`.
fn requirement_text(node: &Value, part: fn(&str, &[String]) -> String, separator: &str) -> String {
    let schemes = requirement(node);
    let parts: Vec<_> = schemes.iter().map(|(s, scopes)| part(s, scopes)).collect();
    parts.join(separator)
}

/// For a node to be copied from upstream: the schemas it refers to that
/// the fragment does not have.
fn missing_schemas(node: &Value, fragment: &Value) -> String {
    let references = doc::nodes(node, "").into_iter();
    let references = references.filter_map(|(_, node)| node.get("$ref")?.as_str());
    let missing = |r: &&str| ref_pointer(r).is_some_and(|at| fragment.pointer(at).is_none());
    let missing: Vec<&str> = references.filter(missing).collect();
    if missing.is_empty() {
        String::new()
    } else {
        format!(", and copy {} from upstream", missing.join(", "))
    }
}
