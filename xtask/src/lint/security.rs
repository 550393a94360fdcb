//! The `bearer-security` rule: every operation can be called with the
//! bearer token the hand-written client sends, and the OAuth2 scopes it
//! names are defined by their scheme and carry its prefix.

use std::collections::BTreeSet;

use serde_json::Value;

use super::Lint;
use crate::doc::{self, child};

/// Each scope a requirement of the OAuth2 scheme `name` lists is one the
/// scheme defines, and carries its `x-scope-prefix` (Katapult's is
/// `api.katapult.io/core/v1/`).
fn oauth2_scopes<'a>(l: &mut Lint<'_>, name: &str, scheme: &'a Value, at: &str, scopes: &Value) {
    let prefix = scheme["x-scope-prefix"].as_str();
    let scopes_of = |(_, flow): (_, &'a Value)| doc::entries(flow, "scopes").map(|s| s.0.as_str());
    let defined: BTreeSet<&str> = doc::entries(scheme, "flows").flat_map(scopes_of).collect();
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
                format!("the OAuth2 scope `{scope}` is not defined by the `{name}` scheme's flows"),
                format!(
                    "add `{scope}` to the scopes of a flow under /components/securitySchemes/{name}"
                ),
            );
        }
    }
}

pub(super) fn bearer_security(l: &mut Lint<'_>) {
    let doc = l.doc;
    let schemes = &doc["components"]["securitySchemes"];
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
            let requirement: Vec<_> = requirement.as_object().into_iter().flatten().collect();
            for &(name, scopes) in &requirement {
                let name_at = doc::below(&at, [&index.to_string(), name]);
                let Some(scheme) = schemes.get(name) else {
                    l.report(
                        &name_at,
                        format!("`{name}` is not defined under /components/securitySchemes"),
                        format!("define `{name}` or correct the name"),
                    );
                    continue;
                };
                let kind = scheme["type"].as_str().unwrap_or_default();
                if kind == "oauth2" {
                    oauth2_scopes(l, name, scheme, &name_at, scopes);
                }
                let has_scopes = scopes.as_array().is_some_and(|s| !s.is_empty());
                if has_scopes && kind != "oauth2" && kind != "openIdConnect" {
                    l.report(
                        &name_at,
                        format!("OpenAPI 3.0 allows scopes only for oauth2 and openIdConnect schemes; `{name}` is `{kind}`"),
                        "leave the list empty and state the scope on the OAuth2 requirement",
                    );
                }
                let http_scheme = scheme["scheme"].as_str().unwrap_or_default();
                bearer |= kind == "http"
                    && http_scheme.eq_ignore_ascii_case("bearer")
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
