//! The `bearer-security` rule: every operation can be called with the
//! bearer token the hand-written client sends, and the OAuth2 scopes it
//! names are defined by their scheme and carry its prefix.

use std::collections::BTreeSet;

use serde_json::Value;

use super::Lint;
use crate::doc;
use crate::doc::child;

/// Each scope an operation requires is one its OAuth2 scheme defines, and
/// carries the scheme's `x-scope-prefix` (Katapult's is
/// `api.katapult.io/core/v1/`).
fn oauth2_scopes(l: &mut Lint<'_>, scheme: &str, at: &str, scopes: &Value) {
    let Some(definition) = l
        .doc
        .pointer("/components/securitySchemes")
        .and_then(|s| s.get(scheme))
    else {
        return;
    };
    let prefix = definition.get("x-scope-prefix").and_then(Value::as_str);
    let flows = definition
        .get("flows")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|f| f.values());
    let defined: BTreeSet<&str> = flows
        .filter_map(|flow| flow.get("scopes").and_then(Value::as_object))
        .flat_map(|scopes| scopes.keys().map(String::as_str))
        .collect();
    for (index, scope) in scopes.as_array().into_iter().flatten().enumerate() {
        let (Some(scope), scope_at) = (scope.as_str(), child(at, &index.to_string())) else {
            continue;
        };
        if let Some(prefix) = prefix.filter(|p| !scope.starts_with(p)) {
            l.report(
                &scope_at,
                format!("the OAuth2 scope `{scope}` lacks the scheme's prefix `{prefix}`"),
                format!("write `{prefix}{scope}`"),
            );
        } else if !defined.contains(scope) {
            l.report(
                &scope_at,
                format!("the OAuth2 scope `{scope}` is not defined by the `{scheme}` scheme's flows"),
                format!("add `{scope}` to the scopes of a flow under /components/securitySchemes/{scheme}"),
            );
        }
    }
}

pub(super) fn bearer_security(l: &mut Lint<'_>) {
    let doc = l.doc;
    let schemes = doc
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object);
    for op in doc::operations(doc) {
        let (at, requirements) = match (op.value.get("security"), doc.get("security")) {
            (Some(security), _) => (child(&op.pointer, "security"), security),
            (None, Some(security)) => ("/security".to_owned(), security),
            (None, None) => {
                l.report(
                    &op.pointer,
                    "the operation states no security requirement; the fragment must record how it is authenticated",
                    "add `security: [{Authenticator: []}]` (an http bearer scheme) and the OAuth2 scope",
                );
                continue;
            }
        };
        let mut bearer = false;
        for (index, requirement) in requirements.as_array().into_iter().flatten().enumerate() {
            let requirement = requirement
                .as_object()
                .into_iter()
                .flatten()
                .collect::<Vec<_>>();
            for &(name, scopes) in &requirement {
                let name_at = child(&child(&at, &index.to_string()), name);
                let Some(scheme) = schemes.and_then(|s| s.get(name)) else {
                    l.report(
                        &name_at,
                        format!("`{name}` is not defined under /components/securitySchemes"),
                        format!("define `{name}` or correct the name"),
                    );
                    continue;
                };
                let kind = scheme
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if kind == "oauth2" {
                    oauth2_scopes(l, name, &name_at, scopes);
                }
                let has_scopes = scopes.as_array().is_some_and(|s| !s.is_empty());
                if has_scopes && kind != "oauth2" && kind != "openIdConnect" {
                    l.report(
                        &name_at,
                        format!("OpenAPI 3.0 allows scopes only for oauth2 and openIdConnect schemes; `{name}` is `{kind}`"),
                        "leave the list empty and state the scope on the OAuth2 requirement",
                    );
                }
                let http_scheme = scheme
                    .get("scheme")
                    .and_then(Value::as_str)
                    .map(str::to_ascii_lowercase);
                bearer |= kind == "http"
                    && http_scheme.as_deref() == Some("bearer")
                    && requirement.len() == 1;
            }
        }
        if !bearer {
            l.report(
                &at,
                "no alternative here is satisfied by a bearer token alone, and a bearer token \
                 is the only credential the hand-written client sends",
                "add an alternative `{<scheme>: []}` whose scheme is `type: http, scheme: bearer`",
            );
        }
    }
}
