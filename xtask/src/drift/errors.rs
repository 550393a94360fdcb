//! Error responses compared by what they mean rather than how they are
//! written. Upstream gives each status its own body schema, unwrapped; the
//! fragment wraps every error in one envelope around one union tagged by
//! `code` (departures D3 and D10), with each status's codes in
//! `x-error-codes`. Both sides are read into the same model (per status: its
//! codes, whether the body is wrapped, which schema it is; per code: its
//! object with `description` and `detail`), and the models are compared.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::compare::{Detail, Except, Schema, Side, Walk, Wire, snippet};
use super::{Impact, Kind, Presence};
use crate::doc::json_schema_pointer;
use crate::problem::child;

/// The property that names an error's code: the union's tag.
const TAG: &str = "code";
/// The error's message; required by the fragment's tagged union only.
const MESSAGE: &str = "description";

/// One error status's body, read into the common model.
struct ErrorBody<'a> {
    /// The response (after `$ref`s).
    response_at: String,
    /// The body schema (after `$ref`s): what the statuses share, or not.
    schema_at: String,
    /// The envelope's pointer when the error object is wrapped in it.
    wrapper: Option<String>,
    /// The schema inside the envelope (a union or one error object).
    union_at: String,
    /// Each error object with the codes its tag allows.
    objects: Vec<(Vec<String>, Schema<'a>)>,
    /// The codes this status carries: `x-error-codes` where given, else the
    /// objects' codes.
    codes: Vec<String>,
}

/// Compares the error statuses both sides have (status, pointer, response).
pub(super) fn compare<'a>(
    walk: &mut Walk<'a>,
    f_errors: &[(String, String, &'a Value)],
    u_errors: &[(String, String, &'a Value)],
) {
    let f_bodies = bodies(walk, Side::Fragment, f_errors);
    let u_bodies = bodies(walk, Side::Upstream, u_errors);

    // The fragment's error objects by code, across statuses: one union.
    let mut f_by_code: BTreeMap<String, Schema<'a>> = BTreeMap::new();
    for body in f_bodies.values() {
        for (codes, object) in &body.objects {
            for code in codes {
                f_by_code
                    .entry(code.clone())
                    .or_insert_with(|| object.clone());
            }
        }
    }

    let mut wrapping: BTreeMap<String, (Vec<String>, String, bool)> = BTreeMap::new();
    for (status, u_body) in &u_bodies {
        let Some(f_body) = f_bodies.get(status) else {
            continue;
        };
        // Codes upstream lists that the fragment does not carry with this status.
        for code in u_body.codes.iter().filter(|c| !f_body.codes.contains(c)) {
            let u_object_at = u_body
                .objects
                .iter()
                .find(|(codes, _)| codes.contains(code))
                .map_or_else(|| u_body.union_at.clone(), |(_, o)| o.at.clone());
            let known = f_by_code.contains_key(code);
            let mut edit = format!("add `{code}` to `x-error-codes` at {}", f_body.response_at);
            if !known {
                let detail = u_body
                    .objects
                    .iter()
                    .find(|(codes, _)| codes.contains(code))
                    .and_then(|(_, o)| o.value.pointer("/properties/detail"))
                    .map_or_else(|| "{type: object}".to_owned(), snippet);
                edit.push_str(&format!(
                    ", and a variant to the union at {}: `{{type: object, \
                     required: [code, description], properties: {{code: {{type: string, \
                     enum: [{code}]}}, description: {{type: string}}, detail: {detail}}}}}`",
                    f_body.union_at
                ));
            }
            let change = format!("upstream adds the error code `{code}` to {status}");
            let impact = if known {
                Impact::None
            } else {
                Impact::Breaking
            };
            let note = if known {
                "the error union already has this code; only the per-status record changes"
            } else {
                "the error union (a closed enum) gains a variant; `ErrorCode` (open) gains one too"
            };
            walk.push(
                Kind::ErrorCode,
                Presence::UpstreamOnly,
                &child(&f_body.response_at, "x-error-codes"),
                &u_object_at,
                Detail {
                    change,
                    edit,
                    impact,
                    note,
                },
            );
        }
        // Codes the fragment carries that upstream does not list.
        let extra: Vec<&String> = f_body
            .codes
            .iter()
            .filter(|c| !u_body.codes.contains(c))
            .collect();
        if !extra.is_empty() {
            let list = extra
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let change = format!("{status} carries codes upstream does not list: {list}");
            let edit = format!(
                "remove {list} from `x-error-codes` (and their variants, if no other \
                 status carries them)"
            );
            let note = "error union variants disappear";
            walk.push(
                Kind::ErrorCode,
                Presence::FragmentOnly,
                &f_body.response_at,
                &u_body.response_at,
                Detail {
                    change,
                    edit,
                    impact: Impact::Breaking,
                    note,
                },
            );
        }
        // Wrapped on one side only.
        if f_body.wrapper.is_some() != u_body.wrapper.is_some() {
            let anchor = f_body
                .wrapper
                .clone()
                .unwrap_or_else(|| f_body.schema_at.clone());
            let entry = wrapping.entry(anchor).or_insert_with(|| {
                (
                    Vec::new(),
                    u_body.schema_at.clone(),
                    f_body.wrapper.is_some(),
                )
            });
            entry.0.push(status.clone());
        }
    }
    for (anchor, (statuses, u_at, wrapped_here)) in wrapping {
        let change = if wrapped_here {
            format!(
                "the fragment wraps the error object in an envelope \
                 (`{{\"error\": {{...}}}}`) for {}; upstream's body is the error object itself",
                statuses.join(", ")
            )
        } else {
            format!(
                "upstream wraps the error object in an envelope for {}; the fragment does not",
                statuses.join(", ")
            )
        };
        let edit = "write the error body as upstream does".to_owned();
        let note = "the error type's shape changes";
        walk.push(
            Kind::ErrorBody,
            Presence::Changed,
            &anchor,
            &u_at,
            Detail {
                change,
                edit,
                impact: Impact::Breaking,
                note,
            },
        );
    }

    // One schema for every status, or one each.
    let distinct = |bodies: &BTreeMap<String, ErrorBody<'_>>| -> BTreeSet<String> {
        bodies
            .iter()
            .filter(|(status, _)| f_bodies.contains_key(*status) && u_bodies.contains_key(*status))
            .map(|(_, body)| body.schema_at.clone())
            .collect()
    };
    let (f_schemas, u_schemas) = (distinct(&f_bodies), distinct(&u_bodies));
    if f_schemas.len() != u_schemas.len()
        && let (Some(f_first), Some(u_first)) = (f_bodies.values().next(), u_bodies.values().next())
    {
        let change = format!(
            "the fragment's {} error statuses share {} body schema(s) (one union of every \
                 code); upstream's have {}",
            u_bodies.len(),
            f_schemas.len(),
            u_schemas.len()
        );
        let edit = "give each status its own error schema, as upstream does".to_owned();
        let note =
            "progenitor 0.15 needs one error schema per operation; the error type would change";
        walk.push(
            Kind::ErrorBody,
            Presence::Changed,
            &f_first.union_at,
            &u_first.schema_at,
            Detail {
                change,
                edit,
                impact: Impact::Breaking,
                note,
            },
        );
    }

    // Each code both sides know: its object, compared once.
    let mut seen = BTreeSet::new();
    for u_body in u_bodies.values() {
        for (codes, u_object) in &u_body.objects {
            for code in codes {
                let Some(f_object) = f_by_code.get(code).cloned() else {
                    continue;
                };
                if !seen.insert((f_object.at.clone(), u_object.at.clone())) {
                    continue;
                }
                walk.description(
                    &child(&f_object.at, "description"),
                    f_object.value.get("description").and_then(Value::as_str),
                    &child(&u_object.at, "description"),
                    u_object.value.get("description").and_then(Value::as_str),
                );
                let owner = format!("the `{code}` error");
                // The tag and the message are how the fragment's union is
                // tagged (D3): required there, and the tag is an inline
                // single-value enum where upstream names an enum schema.
                let except = Except {
                    required: &[TAG, MESSAGE],
                    schema: &[TAG],
                };
                walk.properties(&f_object, u_object, Wire::Response, &owner, &except);
            }
        }
    }
}

/// The codes of an upstream error response, for a message about a status
/// the fragment lacks.
pub(super) fn upstream_codes(walk: &Walk<'_>, at: &str, response: &Value) -> Vec<String> {
    body(walk, Side::Upstream, at, response)
        .map(|body| body.codes)
        .unwrap_or_default()
}

fn bodies<'a>(
    walk: &mut Walk<'a>,
    side: Side,
    errors: &[(String, String, &'a Value)],
) -> BTreeMap<String, ErrorBody<'a>> {
    let mut out = BTreeMap::new();
    for (status, at, response) in errors {
        match body(walk, side, at, response) {
            Some(body) => {
                out.insert(status.clone(), body);
            }
            None => {
                let change = format!(
                    "the {status} body {} is not an error object with a `code` \
                     (or a union of them)",
                    if side == Side::Fragment {
                        "in the fragment"
                    } else {
                        "upstream"
                    }
                );
                let edit = "compare the two bodies by hand".to_owned();
                let note = "the error type cannot be derived from it";
                walk.push(
                    Kind::ErrorBody,
                    Presence::Changed,
                    at,
                    at,
                    Detail {
                        change,
                        edit,
                        impact: Impact::Breaking,
                        note,
                    },
                )
            }
        }
    }
    out
}

fn body<'a>(walk: &Walk<'a>, side: Side, at: &str, response: &'a Value) -> Option<ErrorBody<'a>> {
    let doc = match side {
        Side::Fragment => walk.f,
        Side::Upstream => walk.u,
    };
    let schema_at = json_schema_pointer(at, response)?;
    let schema = walk.resolve(side, schema_at.clone(), doc.pointer(&schema_at)?);
    let body_at = schema.at.clone();

    let mut wrapper = None;
    let mut inner = schema;
    if !is_error_object(&inner) && inner.value.get("oneOf").is_none() {
        let properties = inner.value.get("properties")?.as_object()?;
        let [(name, property)] = properties.iter().collect::<Vec<_>>()[..] else {
            return None;
        };
        let unwrapped = walk.resolve(side, child(&child(&inner.at, "properties"), name), property);
        wrapper = Some(inner.at.clone());
        inner = unwrapped;
    }

    let objects: Vec<(Vec<String>, Schema<'a>)> =
        match inner.value.get("oneOf").and_then(Value::as_array) {
            Some(members) => members
                .iter()
                .enumerate()
                .map(|(index, member)| {
                    walk.resolve(
                        side,
                        child(&child(&inner.at, "oneOf"), &index.to_string()),
                        member,
                    )
                })
                .map(|object| (codes(walk, side, &object), object))
                .collect(),
            None if is_error_object(&inner) => vec![(codes(walk, side, &inner), inner.clone())],
            None => return None,
        };
    if objects.iter().any(|(codes, _)| codes.is_empty()) {
        return None;
    }
    let listed: Option<Vec<String>> =
        response
            .get("x-error-codes")
            .and_then(Value::as_array)
            .map(|codes| {
                codes
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            });
    let codes = listed.unwrap_or_else(|| {
        objects
            .iter()
            .flat_map(|(codes, _)| codes.clone())
            .collect()
    });
    Some(ErrorBody {
        response_at: at.to_owned(),
        schema_at: body_at,
        wrapper,
        union_at: inner.at.clone(),
        objects,
        codes,
    })
}

fn is_error_object(schema: &Schema<'_>) -> bool {
    schema
        .value
        .pointer(&format!("/properties/{TAG}"))
        .is_some()
}

/// The values an error object's tag allows.
fn codes(walk: &Walk<'_>, side: Side, object: &Schema<'_>) -> Vec<String> {
    let tag_at = child(&child(&object.at, "properties"), TAG);
    let Some(tag) = object.value.pointer(&format!("/properties/{TAG}")) else {
        return Vec::new();
    };
    let tag = walk.resolve(side, tag_at, tag);
    tag.value
        .get("enum")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// Headers only the fragment documents, gathered by the node that declares
/// them (a header component is shared by many responses): one difference
/// each, naming the statuses.
#[derive(Default)]
pub(super) struct HeaderDepartures {
    by_anchor: BTreeMap<String, (String, Vec<String>, String)>,
}

impl HeaderDepartures {
    /// The fragment documents header `name` at `at` on `status`; upstream's
    /// response (at `upstream_at`) does not.
    pub fn add(&mut self, at: &str, name: &str, status: &str, upstream_at: &str) {
        let entry = self
            .by_anchor
            .entry(at.to_owned())
            .or_insert_with(|| (name.to_owned(), Vec::new(), upstream_at.to_owned()));
        entry.1.push(status.to_owned());
    }

    /// One difference per header node.
    pub fn report(self, walk: &mut Walk<'_>) {
        for (at, (name, statuses, upstream_at)) in self.by_anchor {
            let change = format!(
                "the header `{name}` is documented on {}; upstream does not document it",
                statuses.join(", ")
            );
            let edit = format!("remove `{name}` from those responses' `headers`");
            let note = "progenitor ignores response headers";
            walk.push(
                Kind::Header,
                Presence::FragmentOnly,
                &at,
                &child(&upstream_at, "headers"),
                Detail {
                    change,
                    edit,
                    impact: Impact::None,
                    note,
                },
            );
        }
    }
}
