//! The comparison: the fragment's operation and the upstream closure,
//! walked in step. Schemas pair up by position (the `disk` property of the
//! request body on one side with the `disk` property on the other), not by
//! name, so a schema the fragment renamed or copied still meets its
//! upstream original; `$ref`s and `nullable` `allOf` wrappers are followed
//! on each side, and each pair of named schemas is compared once.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::errors;
use super::source::operation_pointer;
use super::{Difference, Impact, Kind, Presence, Warning};
use crate::doc::{OneOfShape, deref, is_error_status, one_of_shape, ref_pointer};
use crate::problem::{child, pointer};

/// Compares the fragment with the upstream closure: every difference (not
/// yet matched with departures) and every description warning.
pub fn compare(fragment: &Value, upstream: &Value) -> (Vec<Difference>, Vec<Warning>) {
    let mut walk = Walk::new(fragment, upstream);
    walk.operation();
    (walk.differences, walk.warnings)
}

/// The walk's state: both documents, what was found, which pairs of named
/// schemas were already compared.
pub(super) struct Walk<'a> {
    /// The fragment.
    pub f: &'a Value,
    /// The upstream closure.
    pub u: &'a Value,
    visited: BTreeSet<(String, String)>,
    pub differences: Vec<Difference>,
    pub warnings: Vec<Warning>,
}

/// A schema reached from where it is written (`outer`): `$ref`s and a
/// nullable `allOf: [$ref]` wrapper followed.
#[derive(Clone)]
pub(super) struct Schema<'a> {
    /// Where the schema is written (a property, `items`, a body's `schema`).
    pub outer: String,
    /// The schema itself, after references.
    pub at: String,
    pub value: &'a Value,
    /// The component name, when reached through a `$ref`.
    pub name: Option<String>,
    /// `nullable: true` on the wrapper or the schema.
    pub nullable: bool,
    /// The description written where the schema is used (not through a
    /// `$ref`).
    pub outer_description: Option<&'a str>,
}

/// What a difference says, beside where it is.
pub(super) struct Detail {
    /// What differs.
    pub change: String,
    /// The fragment edit that follows upstream.
    pub edit: String,
    /// What that edit does to the generated API.
    pub impact: Impact,
    /// Why.
    pub note: &'static str,
}

/// Which way a schema travels: it decides whether a new enum value breaks
/// (a closed request enum) and how a change reads.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Wire {
    Request,
    Response,
}

impl<'a> Walk<'a> {
    fn new(f: &'a Value, u: &'a Value) -> Self {
        Self {
            f,
            u,
            visited: BTreeSet::new(),
            differences: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Records a difference found at `fragment` (upstream: `upstream`).
    pub fn push(
        &mut self,
        kind: Kind,
        presence: Presence,
        fragment: &str,
        upstream: &str,
        detail: Detail,
    ) {
        self.differences.push(Difference {
            kind,
            presence,
            fragment: fragment.to_owned(),
            upstream: upstream.to_owned(),
            change: detail.change,
            edit: detail.edit,
            impact: detail.impact,
            impact_note: detail.note.to_owned(),
            departures: Vec::new(),
        });
    }

    /// Warns when upstream has a description and the fragment says
    /// something else (whitespace aside: YAML folds long lines).
    pub fn description(&mut self, f_at: &str, f: Option<&str>, u_at: &str, u: Option<&str>) {
        let Some(u) = u.filter(|u| !u.trim().is_empty()) else {
            return;
        };
        if f.map(normalize) != Some(normalize(u)) {
            self.warnings.push(Warning {
                fragment: f_at.to_owned(),
                upstream: u_at.to_owned(),
                upstream_text: u.to_owned(),
                fragment_text: f.map(str::to_owned),
            });
        }
    }

    // ------------------------------------------------------------ operation

    fn operation(&mut self) {
        let at = operation_pointer();
        let (Some(f_op), Some(u_op)) = (self.f.pointer(&at), self.u.pointer(&at)) else {
            // Both documents were checked to hold the operation.
            return;
        };
        let text = |op: &'a Value, key: &str| op.get(key).and_then(Value::as_str);
        if text(f_op, "operationId") != text(u_op, "operationId") {
            // `x-rust-name` (read by the codegen naming step) overrides the id.
            let renamed = f_op.get("x-rust-name").is_some();
            let change = format!(
                "the operation id is {} upstream, {} here",
                show(u_op.get("operationId")),
                show(f_op.get("operationId"))
            );
            let edit = format!("set `operationId: {}`", show(u_op.get("operationId")));
            let impact = if renamed {
                Impact::None
            } else {
                Impact::Breaking
            };
            let note = if renamed {
                "`x-rust-name` gives the Rust name, whatever the published id"
            } else {
                "the client method and the request and response types are named after it"
            };
            self.push(
                Kind::Operation,
                Presence::Changed,
                &at,
                &at,
                Detail {
                    change,
                    edit,
                    impact,
                    note,
                },
            );
        }
        for key in ["summary", "description"] {
            self.description(
                &child(&at, key),
                text(f_op, key),
                &child(&at, key),
                text(u_op, key),
            );
        }
        self.security(f_op, u_op, &at);
        self.parameters(f_op, u_op, &at);
        self.request_body(f_op, u_op, &at);
        self.responses(f_op, u_op, &at);
    }

    // ------------------------------------------------------------- security

    /// Requirements pair up by the set of schemes they name; the scopes of a
    /// scheme, and the scheme's own definition, are compared at the scheme
    /// (`/components/securitySchemes/<name>`), where a marker can sit.
    fn security(&mut self, f_op: &'a Value, u_op: &'a Value, op_at: &str) {
        let requirements = |doc: &'a Value, op: &'a Value| -> Vec<BTreeMap<String, Vec<String>>> {
            op.get("security")
                .or_else(|| doc.get("security"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_object)
                .map(|requirement| {
                    requirement
                        .iter()
                        .map(|(scheme, scopes)| {
                            let mut scopes: Vec<String> = scopes
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(Value::as_str)
                                .map(str::to_owned)
                                .collect();
                            scopes.sort();
                            (scheme.clone(), scopes)
                        })
                        .collect()
                })
                .collect()
        };
        let f_reqs = requirements(self.f, f_op);
        let u_reqs = requirements(self.u, u_op);
        let security_at = child(op_at, "security");
        let schemes_of =
            |r: &BTreeMap<String, Vec<String>>| -> Vec<String> { r.keys().cloned().collect() };

        for (index, u_req) in u_reqs.iter().enumerate() {
            let u_at = child(&security_at, &index.to_string());
            match f_reqs
                .iter()
                .find(|f_req| schemes_of(f_req) == schemes_of(u_req))
            {
                None => {
                    let change = format!("upstream accepts {}", requirement_text(u_req));
                    let edit = format!(
                        "add `{}` to the operation's `security`",
                        requirement_yaml(u_req)
                    );
                    let note = "authentication is the hand-written layer's job; \
                                progenitor ignores security";
                    self.push(
                        Kind::Security,
                        Presence::UpstreamOnly,
                        &security_at,
                        &u_at,
                        Detail {
                            change,
                            edit,
                            impact: Impact::None,
                            note,
                        },
                    )
                }
                Some(f_req) => {
                    for (scheme, u_scopes) in u_req {
                        let f_scopes = &f_req[scheme];
                        if f_scopes != u_scopes {
                            let change = format!(
                                "the `{scheme}` requirement lists scopes {u_scopes:?} upstream, \
                                 {f_scopes:?} here"
                            );
                            let edit = format!(
                                "list `{scheme}: {u_scopes:?}` in the operation's `security`"
                            );
                            let note = "progenitor ignores security";
                            self.push(
                                Kind::Security,
                                Presence::Changed,
                                &pointer(["components", "securitySchemes", scheme.as_str()]),
                                &u_at,
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
            }
        }
        for f_req in &f_reqs {
            if !u_reqs
                .iter()
                .any(|u_req| schemes_of(u_req) == schemes_of(f_req))
            {
                let first = f_req.keys().next().cloned().unwrap_or_default();
                let change = format!("only the fragment accepts {}", requirement_text(f_req));
                let edit = "remove the requirement from the operation's `security`".to_owned();
                let note = "progenitor ignores security";
                self.push(
                    Kind::Security,
                    Presence::FragmentOnly,
                    &pointer(["components", "securitySchemes", first.as_str()]),
                    &security_at,
                    Detail {
                        change,
                        edit,
                        impact: Impact::None,
                        note,
                    },
                );
            }
        }

        // The definitions of the schemes both sides name, and the scopes the
        // operation needs.
        let f_schemes: BTreeSet<&String> = f_reqs.iter().flat_map(BTreeMap::keys).collect();
        let u_schemes: BTreeSet<&String> = u_reqs.iter().flat_map(BTreeMap::keys).collect();
        let needed: BTreeSet<(String, String)> = u_reqs
            .iter()
            .flat_map(|r| {
                r.iter()
                    .flat_map(|(s, scopes)| scopes.iter().map(|c| (s.clone(), c.clone())))
            })
            .collect();
        for scheme in f_schemes.intersection(&u_schemes) {
            let at = pointer(["components", "securitySchemes", scheme.as_str()]);
            let (Some(f_def), Some(u_def)) = (self.f.pointer(&at), self.u.pointer(&at)) else {
                continue;
            };
            for key in [
                "type",
                "scheme",
                "in",
                "name",
                "bearerFormat",
                "openIdConnectUrl",
            ] {
                if f_def.get(key) != u_def.get(key) {
                    let change = format!(
                        "the scheme's `{key}` is {} upstream, {} here",
                        show(u_def.get(key)),
                        show(f_def.get(key))
                    );
                    let edit = format!("set `{key}: {}`", show(u_def.get(key)));
                    let note = "progenitor ignores security schemes";
                    self.push(
                        Kind::Security,
                        Presence::Changed,
                        &at,
                        &child(&at, key),
                        Detail {
                            change,
                            edit,
                            impact: Impact::None,
                            note,
                        },
                    );
                }
            }
            let flows = |def: &'a Value| def.get("flows").and_then(Value::as_object);
            for (flow, u_flow) in flows(u_def).into_iter().flatten() {
                let flow_at = child(&child(&at, "flows"), flow);
                let f_flow = flows(f_def).and_then(|f| f.get(flow));
                for key in ["authorizationUrl", "tokenUrl", "refreshUrl"] {
                    if f_flow.and_then(|f| f.get(key)) != u_flow.get(key) {
                        let change = format!(
                            "the `{flow}` flow's `{key}` is {} upstream, {} here",
                            show(u_flow.get(key)),
                            show(f_flow.and_then(|f| f.get(key)))
                        );
                        let edit = format!(
                            "set `{key}: {}` under `flows.{flow}`",
                            show(u_flow.get(key))
                        );
                        let note = "progenitor ignores security schemes";
                        self.push(
                            Kind::Security,
                            Presence::Changed,
                            &at,
                            &child(&flow_at, key),
                            Detail {
                                change,
                                edit,
                                impact: Impact::None,
                                note,
                            },
                        );
                    }
                }
                for (name, scope) in &needed {
                    if name != *scheme
                        || u_flow
                            .pointer(&pointer(["scopes", scope.as_str()]))
                            .is_none()
                    {
                        continue;
                    }
                    if f_flow
                        .and_then(|f| f.pointer(&pointer(["scopes", scope.as_str()])))
                        .is_none()
                    {
                        let change = format!(
                            "the scope `{scope}` the operation needs is defined upstream only"
                        );
                        let edit = format!("define `{scope}` under `flows.{flow}.scopes`");
                        let note = "progenitor ignores security schemes";
                        self.push(
                            Kind::Security,
                            Presence::UpstreamOnly,
                            &child(&child(&flow_at, "scopes"), scope),
                            &child(&child(&flow_at, "scopes"), scope),
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
        }
    }

    // ----------------------------------------------------------- parameters

    fn parameters(&mut self, f_op: &'a Value, u_op: &'a Value, op_at: &str) {
        let item_at = pointer(["paths", super::OPERATION_PATH]);
        let collect =
            |doc: &'a Value, op: &'a Value| -> BTreeMap<(String, String), (String, &'a Value)> {
                let mut out = BTreeMap::new();
                let lists = [
                    (
                        child(&item_at, "parameters"),
                        doc.pointer(&child(&item_at, "parameters")),
                    ),
                    (child(op_at, "parameters"), op.get("parameters")),
                ];
                for (list_at, list) in lists {
                    for (index, param) in list
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .enumerate()
                    {
                        let (at, param) = deref(doc, child(&list_at, &index.to_string()), param);
                        let key = |k: &str| {
                            param
                                .get(k)
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_owned()
                        };
                        out.insert((key("in"), key("name")), (at, param));
                    }
                }
                out
            };
        let f_params = collect(self.f, f_op);
        let u_params = collect(self.u, u_op);
        for ((location, name), (u_at, u_param)) in &u_params {
            let required = u_param.get("required") == Some(&Value::Bool(true));
            match f_params.get(&(location.clone(), name.clone())) {
                None => {
                    let change = format!("upstream adds the {location} parameter `{name}`");
                    let edit = format!("add to the operation's `parameters`: {}", snippet(u_param));
                    let impact = if required {
                        Impact::Breaking
                    } else {
                        Impact::Additive
                    };
                    let note = if required {
                        "the request builder gains a parameter every call must set"
                    } else {
                        "the request builder gains an optional setter"
                    };
                    self.push(
                        Kind::Parameter,
                        Presence::UpstreamOnly,
                        &child(&child(op_at, "parameters"), "-"),
                        u_at,
                        Detail {
                            change,
                            edit,
                            impact,
                            note,
                        },
                    )
                }
                Some((f_at, f_param)) => {
                    if f_param.get("required") != u_param.get("required") {
                        let change = format!(
                            "the {location} parameter `{name}` is {} upstream",
                            if required { "required" } else { "optional" }
                        );
                        let edit = format!("set `required: {required}`");
                        let note = "the builder's setter changes between required and optional";
                        self.push(
                            Kind::Required,
                            Presence::Changed,
                            f_at,
                            u_at,
                            Detail {
                                change,
                                edit,
                                impact: Impact::Breaking,
                                note,
                            },
                        );
                    }
                    if let (Some(f_schema), Some(u_schema)) =
                        (f_param.get("schema"), u_param.get("schema"))
                    {
                        let f = self.resolve(Side::Fragment, child(f_at, "schema"), f_schema);
                        let u = self.resolve(Side::Upstream, child(u_at, "schema"), u_schema);
                        self.schema(&f, &u, Wire::Request, required);
                    }
                }
            }
        }
        for ((location, name), (f_at, _)) in &f_params {
            if !u_params.contains_key(&(location.clone(), name.clone())) {
                let change =
                    format!("the {location} parameter `{name}` is not in the published document");
                let edit = "remove the parameter".to_owned();
                let note = "its builder setter disappears";
                self.push(
                    Kind::Parameter,
                    Presence::FragmentOnly,
                    f_at,
                    &child(op_at, "parameters"),
                    Detail {
                        change,
                        edit,
                        impact: Impact::Breaking,
                        note,
                    },
                );
            }
        }
    }

    // --------------------------------------------------------- request body

    fn request_body(&mut self, f_op: &'a Value, u_op: &'a Value, op_at: &str) {
        let body_at = child(op_at, "requestBody");
        match (f_op.get("requestBody"), u_op.get("requestBody")) {
            (None, None) => {}
            (None, Some(u_body)) => {
                let change = "upstream gives the operation a request body".to_owned();
                let edit = format!("add `requestBody`: {}", snippet(u_body));
                let note = "the request builder gains a body";
                self.push(
                    Kind::RequestBody,
                    Presence::UpstreamOnly,
                    &body_at,
                    &body_at,
                    Detail {
                        change,
                        edit,
                        impact: Impact::Breaking,
                        note,
                    },
                )
            }
            (Some(_), None) => {
                let change = "the published operation has no request body".to_owned();
                let edit = "remove `requestBody`".to_owned();
                let note = "the request body type and the builder's `body` disappear";
                self.push(
                    Kind::RequestBody,
                    Presence::FragmentOnly,
                    &body_at,
                    &body_at,
                    Detail {
                        change,
                        edit,
                        impact: Impact::Breaking,
                        note,
                    },
                )
            }
            (Some(f_body), Some(u_body)) => {
                let (f_at, f_body) = deref(self.f, body_at.clone(), f_body);
                let (u_at, u_body) = deref(self.u, body_at.clone(), u_body);
                let required = |body: &Value| body.get("required") == Some(&Value::Bool(true));
                if required(f_body) != required(u_body) {
                    let change = format!(
                        "the request body is {} upstream, {} here",
                        if required(u_body) {
                            "required"
                        } else {
                            "optional"
                        },
                        if required(f_body) {
                            "required"
                        } else {
                            "optional"
                        }
                    );
                    let edit = format!("set `required: {}` on the request body", required(u_body));
                    let note = "progenitor makes an optional body an optional argument";
                    self.push(
                        Kind::RequestBody,
                        Presence::Changed,
                        &f_at,
                        &u_at,
                        Detail {
                            change,
                            edit,
                            impact: Impact::Breaking,
                            note,
                        },
                    );
                }
                self.description(
                    &child(&f_at, "description"),
                    f_body.get("description").and_then(Value::as_str),
                    &child(&u_at, "description"),
                    u_body.get("description").and_then(Value::as_str),
                );
                self.content(
                    f_body,
                    &f_at,
                    u_body,
                    &u_at,
                    Wire::Request,
                    "the request body",
                );
            }
        }
    }

    /// Compares the media types of a body and, for each one both sides
    /// have, its schema.
    pub fn content(
        &mut self,
        f_node: &'a Value,
        f_at: &str,
        u_node: &'a Value,
        u_at: &str,
        wire: Wire,
        what: &str,
    ) {
        let media = |node: &'a Value| {
            node.get("content")
                .and_then(Value::as_object)
                .map(|m| m.iter().collect::<BTreeMap<_, _>>())
                .unwrap_or_default()
        };
        let (f_media, u_media) = (media(f_node), media(u_node));
        for (media_type, u_content) in &u_media {
            let u_content_at = child(&child(u_at, "content"), media_type);
            let f_content_at = child(&child(f_at, "content"), media_type);
            match f_media.get(media_type) {
                None => {
                    let change = format!("upstream also describes {what} as `{media_type}`");
                    let edit = format!("add `{media_type}` under `content`");
                    let note = "progenitor uses the JSON body only";
                    self.push(
                        Kind::MediaType,
                        Presence::UpstreamOnly,
                        &f_content_at,
                        &u_content_at,
                        Detail {
                            change,
                            edit,
                            impact: Impact::None,
                            note,
                        },
                    )
                }
                Some(f_content) => {
                    if let (Some(f_schema), Some(u_schema)) =
                        (f_content.get("schema"), u_content.get("schema"))
                    {
                        let f =
                            self.resolve(Side::Fragment, child(&f_content_at, "schema"), f_schema);
                        let u =
                            self.resolve(Side::Upstream, child(&u_content_at, "schema"), u_schema);
                        self.schema(&f, &u, wire, true);
                    }
                }
            }
        }
        for media_type in f_media.keys() {
            if !u_media.contains_key(media_type) {
                let change = format!("upstream does not describe {what} as `{media_type}`");
                let edit = format!("remove `{media_type}` from `content`");
                let note = "the generated body type follows the JSON schema";
                self.push(
                    Kind::MediaType,
                    Presence::FragmentOnly,
                    &child(&child(f_at, "content"), media_type),
                    &child(u_at, "content"),
                    Detail {
                        change,
                        edit,
                        impact: Impact::Breaking,
                        note,
                    },
                );
            }
        }
    }

    // ------------------------------------------------------------ responses

    fn responses(&mut self, f_op: &'a Value, u_op: &'a Value, op_at: &str) {
        let responses_at = child(op_at, "responses");
        let collect = |doc: &'a Value, op: &'a Value| -> BTreeMap<String, (String, &'a Value)> {
            op.get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .filter(|(status, _)| !status.starts_with("x-"))
                .map(|(status, response)| {
                    (
                        status.clone(),
                        deref(doc, child(&responses_at, status), response),
                    )
                })
                .collect()
        };
        let f_responses = collect(self.f, f_op);
        let u_responses = collect(self.u, u_op);
        let mut headers = errors::HeaderDepartures::default();

        for (status, (u_at, u_response)) in &u_responses {
            let Some((f_at, f_response)) = f_responses.get(status) else {
                self.missing_status(status, u_at, u_response, &responses_at);
                continue;
            };
            self.description(
                &child(f_at, "description"),
                f_response.get("description").and_then(Value::as_str),
                &child(u_at, "description"),
                u_response.get("description").and_then(Value::as_str),
            );
            self.headers(status, f_response, f_at, u_response, u_at, &mut headers);
            if !is_error_status(status) {
                let what = format!("the {status} response");
                self.content(f_response, f_at, u_response, u_at, Wire::Response, &what);
            }
        }
        for (status, (f_at, _)) in &f_responses {
            if u_responses.contains_key(status) {
                continue;
            }
            let change = format!("the published operation has no {status} response");
            let edit = format!("remove the {status} response");
            let impact = if is_error_status(status) {
                Impact::None
            } else {
                Impact::Breaking
            };
            let note = if is_error_status(status) {
                "error statuses share one error type; its variants follow the codes"
            } else {
                "the success type follows the success responses"
            };
            self.push(
                Kind::Status,
                Presence::FragmentOnly,
                f_at,
                &responses_at,
                Detail {
                    change,
                    edit,
                    impact,
                    note,
                },
            );
        }
        headers.report(self);

        let f_errors: Vec<(String, String, &'a Value)> = f_responses
            .iter()
            .filter(|(status, _)| is_error_status(status) && u_responses.contains_key(*status))
            .map(|(status, (at, response))| (status.clone(), at.clone(), *response))
            .collect();
        let u_errors: Vec<(String, String, &'a Value)> = u_responses
            .iter()
            .filter(|(status, _)| is_error_status(status) && f_responses.contains_key(*status))
            .map(|(status, (at, response))| (status.clone(), at.clone(), *response))
            .collect();
        errors::compare(self, &f_errors, &u_errors);
    }

    fn missing_status(
        &mut self,
        status: &str,
        u_at: &str,
        u_response: &'a Value,
        responses_at: &str,
    ) {
        let codes = errors::upstream_codes(self, u_at, u_response);
        let error = is_error_status(status);
        let (edit, impact, note) = if error {
            (
                format!(
                    "add `\"{status}\": {{$ref: \"#/components/responses/<Name>\"}}` and, under \
                     /components/responses, a response with `x-error-codes: {codes:?}` whose JSON \
                     body is the shared error schema; add a variant per new code to the error union"
                ),
                Impact::Breaking,
                "the error union (a closed enum) gains a variant per new code",
            )
        } else {
            (
                format!("add the {status} response: {}", snippet(u_response)),
                Impact::Breaking,
                "the success type follows the success responses",
            )
        };
        let change = if error {
            format!("upstream adds the {status} response (codes {codes:?})")
        } else {
            format!("upstream adds the {status} response")
        };
        self.push(
            Kind::Status,
            Presence::UpstreamOnly,
            &child(responses_at, status),
            u_at,
            Detail {
                change,
                edit,
                impact,
                note,
            },
        );
    }

    fn headers(
        &mut self,
        status: &str,
        f_response: &'a Value,
        f_at: &str,
        u_response: &'a Value,
        u_at: &str,
        departures: &mut errors::HeaderDepartures,
    ) {
        let collect = |doc: &'a Value,
                       response: &'a Value,
                       at: &str|
         -> BTreeMap<String, (String, String, &'a Value)> {
            response
                .get("headers")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(name, header)| {
                    let (resolved, header) = deref(doc, child(&child(at, "headers"), name), header);
                    (name.to_ascii_lowercase(), (name.clone(), resolved, header))
                })
                .collect()
        };
        let f_headers = collect(self.f, f_response, f_at);
        let u_headers = collect(self.u, u_response, u_at);
        for (key, (name, u_header_at, u_header)) in &u_headers {
            match f_headers.get(key) {
                None => {
                    let change = format!("upstream documents the header `{name}` on {status}");
                    let edit = format!(
                        "add `{name}: {}` under the response's `headers`",
                        snippet(u_header)
                    );
                    let note =
                        "progenitor ignores response headers; the hand-written layer reads them";
                    self.push(
                        Kind::Header,
                        Presence::UpstreamOnly,
                        &child(&child(f_at, "headers"), name),
                        u_header_at,
                        Detail {
                            change,
                            edit,
                            impact: Impact::None,
                            note,
                        },
                    )
                }
                Some((_, f_header_at, f_header)) => {
                    if let (Some(f_schema), Some(u_schema)) =
                        (f_header.get("schema"), u_header.get("schema"))
                    {
                        let f =
                            self.resolve(Side::Fragment, child(f_header_at, "schema"), f_schema);
                        let u =
                            self.resolve(Side::Upstream, child(u_header_at, "schema"), u_schema);
                        self.schema(&f, &u, Wire::Response, true);
                    }
                }
            }
        }
        for (key, (name, f_header_at, _)) in &f_headers {
            if !u_headers.contains_key(key) {
                departures.add(f_header_at, name, status, u_at);
            }
        }
    }

    // -------------------------------------------------------------- schemas

    /// Follows `$ref`s and a nullable `allOf: [$ref]` wrapper from `value`,
    /// written at `outer`.
    pub fn resolve(&self, side: Side, outer: String, value: &'a Value) -> Schema<'a> {
        let doc = match side {
            Side::Fragment => self.f,
            Side::Upstream => self.u,
        };
        let outer_description = if value.get("$ref").is_none() {
            value.get("description").and_then(Value::as_str)
        } else {
            None
        };
        let mut schema = Schema {
            at: outer.clone(),
            outer,
            value,
            name: None,
            nullable: false,
            outer_description,
        };
        for _ in 0..16 {
            if let Some(target) = schema
                .value
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(ref_pointer)
            {
                let Some(next) = doc.pointer(target) else {
                    break;
                };
                schema.name = target
                    .strip_prefix("/components/schemas/")
                    .filter(|name| !name.contains('/'))
                    .map(|name| name.replace("~1", "/").replace("~0", "~"));
                schema.at = target.to_owned();
                schema.value = next;
            } else if let Some(inner) = nullable_wrapper(schema.value) {
                schema.nullable |= is_true(schema.value.get("nullable"));
                schema.at = child(&child(&schema.at, "allOf"), "0");
                schema.value = inner;
            } else {
                break;
            }
        }
        schema.nullable |= is_true(schema.value.get("nullable"));
        schema
    }

    /// Compares a fragment schema with its upstream counterpart. `required`
    /// says whether the value must be present where it is used (it decides
    /// whether a nullable change alters the Rust type).
    pub fn schema(&mut self, f: &Schema<'a>, u: &Schema<'a>, wire: Wire, required: bool) {
        // Facets of the place where the schema is used, compared at every use.
        if f.nullable != u.nullable {
            let change = format!(
                "{} is {} upstream, {} here",
                label(&f.outer),
                if u.nullable {
                    "nullable"
                } else {
                    "not nullable"
                },
                if f.nullable {
                    "nullable"
                } else {
                    "not nullable"
                }
            );
            let edit = if u.nullable {
                "write `nullable: true` (beside a `$ref`: `nullable: true` + \
                 `allOf: [{$ref: ...}]`)"
                    .to_owned()
            } else {
                "remove `nullable: true`".to_owned()
            };
            let impact = if required {
                Impact::Breaking
            } else {
                Impact::None
            };
            let note = if required {
                "a required field becomes, or stops being, an `Option`"
            } else {
                "an optional field is an `Option` either way"
            };
            self.push(
                Kind::Nullable,
                Presence::Changed,
                &f.outer,
                &u.outer,
                Detail {
                    change,
                    edit,
                    impact,
                    note,
                },
            );
        }
        if f.outer != f.at || u.outer != u.at {
            // The description written at the use, beside a reference.
            if f.outer_description.is_some() || u.outer_description.is_some() {
                self.description(
                    &child(&f.outer, "description"),
                    f.outer_description,
                    &child(&u.outer, "description"),
                    u.outer_description,
                );
            }
        }

        // Facets of the schema itself: once per pair of named schemas.
        if !self.visited.insert((f.at.clone(), u.at.clone())) {
            return;
        }
        self.description(
            &child(&f.at, "description"),
            f.value.get("description").and_then(Value::as_str),
            &child(&u.at, "description"),
            u.value.get("description").and_then(Value::as_str),
        );
        if let Some(difference) = names(f, u) {
            let change = difference.clone();
            let edit = match &u.name {
                Some(name) => format!("refer to `#/components/schemas/{name}`"),
                None => "write the schema inline, as upstream does".to_owned(),
            };
            let note = "the generated type is named after the schema";
            self.push(
                Kind::Name,
                Presence::Changed,
                &f.at,
                &u.at,
                Detail {
                    change,
                    edit,
                    impact: Impact::Breaking,
                    note,
                },
            );
        }

        let f_shape = shape(f.value);
        let u_shape = shape(u.value);
        let f_type = schema_type(f.value).or(if f_shape == Shape::Lookup {
            Some("object")
        } else {
            None
        });
        let u_type = schema_type(u.value).or(if u_shape == Shape::Lookup {
            Some("object")
        } else {
            None
        });
        if f_shape != u_shape {
            let change = format!(
                "upstream writes {} as {}; the fragment as {}",
                label(&f.at),
                u_shape.describe(),
                f_shape.describe()
            );
            let edit = format!("write it as upstream does: {}", snippet(u.value));
            let note = "the generated type changes shape (a struct, an enum, ...)";
            self.push(
                Kind::Shape,
                Presence::Changed,
                &f.at,
                &u.at,
                Detail {
                    change,
                    edit,
                    impact: Impact::Breaking,
                    note,
                },
            );
            if !(f_shape.is_object_like() && u_shape.is_object_like()) {
                return;
            }
        }
        if f_type != u_type {
            let change = format!(
                "the type of {} is {} upstream, {} here",
                label(&f.at),
                u_type.map_or("unspecified".to_owned(), |t| format!("`{t}`")),
                f_type.map_or("unspecified".to_owned(), |t| format!("`{t}`"))
            );
            let edit = format!("set `type: {}`", u_type.unwrap_or("<none>"));
            let note = "the field's Rust type changes";
            self.push(
                Kind::Type,
                Presence::Changed,
                &f.at,
                &u.at,
                Detail {
                    change,
                    edit,
                    impact: Impact::Breaking,
                    note,
                },
            );
            return;
        }
        let format_of = |v: &Value| v.get("format").and_then(Value::as_str).map(str::to_owned);
        if format_of(f.value) != format_of(u.value) {
            let change = format!(
                "the format of {} is {} upstream, {} here",
                label(&f.at),
                show(u.value.get("format")),
                show(f.value.get("format"))
            );
            let edit = match format_of(u.value) {
                Some(format) => format!("set `format: {format}`"),
                None => "remove `format`".to_owned(),
            };
            let note = "typify maps formats to Rust types (int32 to i32, date-time, uuid, ...)";
            self.push(
                Kind::Format,
                Presence::Changed,
                &f.at,
                &u.at,
                Detail {
                    change,
                    edit,
                    impact: Impact::Breaking,
                    note,
                },
            );
        }
        self.enum_values(f, u, wire);
        if f_shape == Shape::OneOf && u_shape == Shape::OneOf {
            self.members(f, u, wire);
        }
        if f_type == Some("array")
            && let (Some(f_items), Some(u_items)) = (f.value.get("items"), u.value.get("items"))
        {
            let fi = self.resolve(Side::Fragment, child(&f.at, "items"), f_items);
            let ui = self.resolve(Side::Upstream, child(&u.at, "items"), u_items);
            self.schema(&fi, &ui, wire, true);
        }
        if f_type == Some("object") {
            let owner = f
                .name
                .clone()
                .unwrap_or_else(|| "the inline object".to_owned());
            self.properties(f, u, wire, &owner, &Except::default());
        }
    }

    fn enum_values(&mut self, f: &Schema<'a>, u: &Schema<'a>, wire: Wire) {
        let values = |v: &'a Value| {
            v.get("enum")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let (f_values, u_values) = (values(f.value), values(u.value));
        if f_values.is_empty() && u_values.is_empty() {
            return;
        }
        let open = is_true(f.value.get("x-open-enum"));
        for value in u_values.iter().filter(|v| !f_values.contains(v)) {
            let (impact, note) = if open {
                (
                    Impact::Additive,
                    "a new variant of an open (non_exhaustive) enum",
                )
            } else if wire == Wire::Request {
                (
                    Impact::Breaking,
                    "a new variant of a closed request enum: exhaustive matches stop compiling",
                )
            } else {
                (Impact::Breaking, "a new variant of a closed enum")
            };
            let change = format!("upstream adds the value {value} to {}", display_name(f));
            let edit = format!("add {value} to `enum` at {}", f.at);
            self.push(
                Kind::EnumValue,
                Presence::UpstreamOnly,
                &child(&f.at, "enum"),
                &child(&u.at, "enum"),
                Detail {
                    change,
                    edit,
                    impact,
                    note,
                },
            );
        }
        let removed: Vec<&Value> = f_values.iter().filter(|v| !u_values.contains(v)).collect();
        if !removed.is_empty() {
            let list = removed
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let change = format!(
                "{} has values upstream does not list: {list}",
                display_name(f)
            );
            let edit = format!("remove {list} from `enum`");
            let note = "a variant disappears";
            self.push(
                Kind::EnumValue,
                Presence::FragmentOnly,
                &f.at,
                &child(&u.at, "enum"),
                Detail {
                    change,
                    edit,
                    impact: Impact::Breaking,
                    note,
                },
            );
        }
    }

    /// Members of a `oneOf` on both sides, paired by position.
    fn members(&mut self, f: &Schema<'a>, u: &Schema<'a>, wire: Wire) {
        let list = |v: &'a Value| {
            v.get("oneOf")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
        };
        let (f_members, u_members) = (list(f.value), list(u.value));
        if f_members.len() != u_members.len() {
            let change = format!(
                "upstream's oneOf has {} members, the fragment's {}",
                u_members.len(),
                f_members.len()
            );
            let edit = format!("write the members as upstream does: {}", snippet(u.value));
            let note = "the generated enum gains or loses variants";
            self.push(
                Kind::Shape,
                Presence::Changed,
                &f.at,
                &u.at,
                Detail {
                    change,
                    edit,
                    impact: Impact::Breaking,
                    note,
                },
            );
        }
        for (index, (fm, um)) in f_members.iter().zip(u_members).enumerate() {
            let fm = self.resolve(
                Side::Fragment,
                child(&child(&f.at, "oneOf"), &index.to_string()),
                fm,
            );
            let um = self.resolve(
                Side::Upstream,
                child(&child(&u.at, "oneOf"), &index.to_string()),
                um,
            );
            self.schema(&fm, &um, wire, true);
        }
    }

    /// Properties on both sides, by name, except what `except` leaves out.
    pub fn properties(
        &mut self,
        f: &Schema<'a>,
        u: &Schema<'a>,
        wire: Wire,
        owner: &str,
        except: &Except<'_>,
    ) {
        let f_props = self.object_properties(Side::Fragment, f);
        let u_props = self.object_properties(Side::Upstream, u);
        let lookup = shape(f.value) == Shape::Lookup;
        for (name, (u_at, u_prop, u_required)) in &u_props {
            match f_props.get(name) {
                None => {
                    let (at, edit) = if lookup {
                        (
                            child(&child(&f.at, "oneOf"), "-"),
                            format!(
                                "add a member to the oneOf: `{{type: object, required: [{name}], \
                                 properties: {{{name}: {}}}}}`",
                                snippet(u_prop)
                            ),
                        )
                    } else {
                        (
                            child(&child(&f.at, "properties"), name),
                            format!(
                                "add under {}/properties: `{name}: {}`{}",
                                f.at,
                                snippet(u_prop),
                                if *u_required {
                                    format!(" and list `{name}` in `required`")
                                } else {
                                    String::new()
                                }
                            ),
                        )
                    };
                    let edit = edit + &self.missing_schemas(u_prop);
                    let change = format!(
                        "upstream adds the {}{} property `{name}` to {owner}",
                        if *u_required { "required " } else { "" },
                        if wire == Wire::Request {
                            "request"
                        } else {
                            "response"
                        }
                    );
                    let note = if lookup {
                        "the lookup enum gains a variant"
                    } else {
                        "a new field: struct literals without `..Default::default()` stop compiling"
                    };
                    self.push(
                        Kind::Property,
                        Presence::UpstreamOnly,
                        &at,
                        u_at,
                        Detail {
                            change,
                            edit,
                            impact: Impact::Breaking,
                            note,
                        },
                    );
                }
                Some((f_at, f_prop, f_required)) => {
                    if f_required != u_required && !except.required.contains(&name.as_str()) {
                        let change = format!(
                            "`{name}` of {owner} is {} upstream, {} here",
                            if *u_required { "required" } else { "optional" },
                            if *f_required { "required" } else { "optional" }
                        );
                        let edit = if *u_required {
                            format!("list `{name}` in `required`")
                        } else {
                            format!("remove `{name}` from `required`")
                        };
                        let note = "the field changes between `T` and `Option<T>`";
                        self.push(
                            Kind::Required,
                            Presence::Changed,
                            f_at,
                            u_at,
                            Detail {
                                change,
                                edit,
                                impact: Impact::Breaking,
                                note,
                            },
                        );
                    }
                    if except.schema.contains(&name.as_str()) {
                        continue;
                    }
                    let fs = self.resolve(Side::Fragment, f_at.clone(), f_prop);
                    let us = self.resolve(Side::Upstream, u_at.clone(), u_prop);
                    self.schema(&fs, &us, wire, *f_required);
                }
            }
        }
        for (name, (f_at, _, _)) in &f_props {
            if !u_props.contains_key(name) {
                let change = format!("{owner} has `{name}`, which upstream does not (any more)");
                let edit = format!("remove `{name}`");
                let note = "a field disappears";
                self.push(
                    Kind::Property,
                    Presence::FragmentOnly,
                    f_at,
                    &child(&u.at, "properties"),
                    Detail {
                        change,
                        edit,
                        impact: Impact::Breaking,
                        note,
                    },
                );
            }
        }
    }

    /// Properties of an object schema: its own, those of `allOf` members,
    /// and for a lookup written as a oneOf of single-field objects, each
    /// member's field (optional: exactly one is sent).
    fn object_properties(
        &self,
        side: Side,
        schema: &Schema<'a>,
    ) -> BTreeMap<String, (String, &'a Value, bool)> {
        let mut out = BTreeMap::new();
        let mut add = |at: &str, node: &'a Value, lookup: bool| {
            let required: BTreeSet<&str> = node
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            for (name, prop) in node
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let prop_at = child(&child(at, "properties"), name);
                out.entry(name.clone()).or_insert((
                    prop_at,
                    prop,
                    !lookup && required.contains(name.as_str()),
                ));
            }
        };
        add(&schema.at, schema.value, false);
        for list in ["allOf", "oneOf"] {
            let lookup = list == "oneOf";
            if lookup && shape(schema.value) != Shape::Lookup {
                continue;
            }
            for (index, member) in schema
                .value
                .get(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let member = self.resolve(
                    side,
                    child(&child(&schema.at, list), &index.to_string()),
                    member,
                );
                add(&member.at, member.value, lookup);
            }
        }
        out
    }

    /// For a node to be copied from upstream: the schemas it refers to that
    /// the fragment does not have.
    fn missing_schemas(&self, node: &Value) -> String {
        let mut refs = Vec::new();
        collect_refs(node, &mut refs);
        let missing: Vec<String> = refs
            .into_iter()
            .filter(|r| ref_pointer(r).is_some_and(|at| self.f.pointer(at).is_none()))
            .collect();
        if missing.is_empty() {
            String::new()
        } else {
            format!(", and copy {} from upstream", missing.join(", "))
        }
    }
}

/// Properties [`Walk::properties`] compares less of.
#[derive(Default)]
pub(super) struct Except<'s> {
    /// Whose `required` flag is not compared.
    pub required: &'s [&'s str],
    /// Whose schema is not compared.
    pub schema: &'s [&'s str],
}

/// Which document a pointer is in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Fragment,
    Upstream,
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
    fn describe(self) -> &'static str {
        match self {
            Shape::Plain => "a plain schema (an object with optional fields, a string, ...)",
            Shape::Lookup => "a oneOf of single-field objects (exactly one field is sent)",
            Shape::OneOf => "a oneOf",
            Shape::AnyOf => "an anyOf",
            Shape::AllOf => "an allOf",
        }
    }

    /// A lookup compares like an object: its members' fields are the
    /// object's optional fields.
    fn is_object_like(self) -> bool {
        matches!(self, Shape::Plain | Shape::Lookup)
    }
}

fn shape(value: &Value) -> Shape {
    if let Some(members) = value.get("oneOf").and_then(Value::as_array) {
        if one_of_shape(members) == OneOfShape::External {
            return Shape::Lookup;
        }
        return Shape::OneOf;
    }
    if value.get("anyOf").is_some() {
        return Shape::AnyOf;
    }
    if value.get("allOf").is_some() {
        return Shape::AllOf;
    }
    Shape::Plain
}

/// `type`, or the type its keywords imply (`properties`: an object, `items`:
/// an array): Katapult's document leaves `type: object` out of some objects.
fn schema_type(value: &Value) -> Option<&'static str> {
    match value.get("type").and_then(Value::as_str) {
        Some("object") => Some("object"),
        Some("array") => Some("array"),
        Some("string") => Some("string"),
        Some("integer") => Some("integer"),
        Some("number") => Some("number"),
        Some("boolean") => Some("boolean"),
        Some(_) => Some("unknown"),
        None if value.get("properties").is_some()
            || value.get("required").is_some()
            || value.get("additionalProperties").is_some() =>
        {
            Some("object")
        }
        None if value.get("items").is_some() => Some("array"),
        None => None,
    }
}

/// `{nullable: true, allOf: [X]}` (and a description) is X, nullable: the
/// way OpenAPI 3.0 writes a nullable reference.
fn nullable_wrapper(value: &Value) -> Option<&Value> {
    let object = value.as_object()?;
    let [inner] = object.get("allOf")?.as_array()?.as_slice() else {
        return None;
    };
    let only_wrapper_keys = object.keys().all(|key| {
        matches!(key.as_str(), "allOf" | "nullable" | "description") || key.starts_with("x-")
    });
    only_wrapper_keys.then_some(inner)
}

/// A difference in names: both named differently, or one named and the
/// other inline (the generated type's name changes either way).
fn names(f: &Schema<'_>, u: &Schema<'_>) -> Option<String> {
    let generates_type = |v: &Value| {
        v.get("properties").is_some() || v.get("enum").is_some() || v.get("oneOf").is_some()
    };
    match (&f.name, &u.name) {
        (Some(f_name), Some(u_name)) if f_name != u_name => Some(format!(
            "upstream uses the schema `{u_name}` here; the fragment uses `{f_name}`"
        )),
        (Some(f_name), None) if generates_type(u.value) => Some(format!(
            "upstream writes this schema inline; the fragment names it `{f_name}`"
        )),
        (None, Some(u_name)) if generates_type(f.value) => Some(format!(
            "upstream names this schema `{u_name}`; the fragment writes it inline"
        )),
        _ => None,
    }
}

fn display_name(schema: &Schema<'_>) -> String {
    match &schema.name {
        Some(name) => format!("`{name}`"),
        None => format!("the enum at {}", schema.at),
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

fn is_true(value: Option<&Value>) -> bool {
    value == Some(&Value::Bool(true))
}

fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A JSON value as printed in a message: compact, and cut when long.
pub(super) fn snippet(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 240 {
        let cut: String = text.chars().take(240).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// An optional JSON value as printed in a message.
fn show(value: Option<&Value>) -> String {
    value.map_or_else(|| "absent".to_owned(), snippet)
}

fn requirement_text(requirement: &BTreeMap<String, Vec<String>>) -> String {
    requirement
        .iter()
        .map(|(scheme, scopes)| format!("`{scheme}` with scopes {scopes:?}"))
        .collect::<Vec<_>>()
        .join(" and ")
}

fn requirement_yaml(requirement: &BTreeMap<String, Vec<String>>) -> String {
    requirement
        .iter()
        .map(|(scheme, scopes)| format!("{scheme}: {scopes:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn collect_refs(node: &Value, out: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                out.push(reference.clone());
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}
