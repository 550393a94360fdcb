//! The fragment against what Katapult documents: every (status, code) pair,
//! every departure explained in xtask/README.md, and the generated surface.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use xtask::codegen::{self, METHODS_PATH, TYPES_PATH, open_enums};
use xtask::fragment::{FRAGMENT_PATH, Fragment};
use xtask::{doc, workspace_root};

/// The project's fragment, loaded, linted and named as codegen takes it.
fn project_fragment() -> Fragment {
    codegen::prepare(&workspace_root().join(FRAGMENT_PATH), FRAGMENT_PATH)
        .unwrap_or_else(|problems| panic!("{}", xtask::problem::render(&problems)))
}

/// Update disk (`PATCH /disks/disk`), the operation whose (status, code)
/// pairs Katapult's wire notes document. (The other operations' codes are
/// the published document's, which `cargo xtask drift` checks.)
fn update_disk(fragment: &Fragment) -> doc::Operation<'_> {
    let operations = doc::operations(&fragment.document).into_iter();
    let mut operations = operations.filter(|op| op.pointer == "/paths/~1disks~1disk/patch");
    operations
        .next()
        .expect("the fragment has PATCH /disks/disk")
}

/// Every (status, code) pair the API is documented to answer
/// `PATCH /disks/disk` with: the published set per status, then the
/// framework's codes (Katapult's wire notes).
const DOCUMENTED: &[(&str, &str)] = &[
    ("400", "missing_api_token"),
    ("403", "unauthorized_network_for_api_token"),
    ("403", "invalid_api_token"),
    ("403", "invalid_capabilities_token"),
    ("403", "scope_not_granted"),
    ("403", "permission_denied"),
    ("404", "disk_not_found"),
    ("406", "object_in_trash"),
    ("422", "unassigned_disk"),
    ("422", "validation_error"),
    ("429", "rate_limit_reached"),
    ("503", "service_unavailable"),
    // The framework serving the API, on any endpoint.
    ("400", "invalid_argument"),
    ("400", "missing_required_argument"),
    ("400", "invalid_json_body"),
    ("404", "route_not_found"),
    ("500", "unhandled_exception"),
];

#[test]
fn every_documented_status_and_code_is_in_the_fragment_and_nothing_else() {
    let fragment = project_fragment();
    let op = &update_disk(&fragment);
    let mut in_fragment: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (status, _, response) in doc::responses(&fragment.document, op) {
        if !doc::is_error_status(&status) {
            continue;
        }
        let codes = response["x-error-codes"].as_array().unwrap();
        in_fragment
            .entry(status)
            .or_default()
            .extend(codes.iter().map(|c| c.as_str().unwrap().to_owned()));
    }
    let mut documented: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (status, code) in DOCUMENTED {
        documented
            .entry((*status).to_owned())
            .or_default()
            .insert((*code).to_owned());
    }
    for (status, code) in DOCUMENTED {
        assert!(
            in_fragment
                .get(*status)
                .is_some_and(|codes| codes.contains(*code)),
            "({status}, {code}) is documented but the fragment's {status} response does not list it"
        );
    }
    assert_eq!(
        in_fragment, documented,
        "the fragment lists pairs that are not documented"
    );

    // And each code has its variant, hence its typed detail: the documented
    // ones, and those the other operations carry.
    let codes: BTreeSet<String> = open_enums(&fragment)
        .unwrap()
        .into_iter()
        .find(|e| e.name == "ErrorCode")
        .unwrap()
        .values
        .into_iter()
        .collect();
    let mut carried: BTreeSet<String> = DOCUMENTED.iter().map(|(_, c)| (*c).to_owned()).collect();
    for op in doc::operations(&fragment.document) {
        for (_, _, response) in doc::responses(&fragment.document, &op) {
            let listed = response.get("x-error-codes").and_then(Value::as_array);
            carried.extend(
                listed
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_owned),
            );
        }
    }
    assert_eq!(codes, carried);
}

#[test]
fn every_status_points_at_the_envelope() {
    let fragment = project_fragment();
    let statuses = |op: &doc::Operation<'_>| -> Vec<String> {
        doc::responses(&fragment.document, op)
            .into_iter()
            .map(|(status, at, response)| {
                let schema_at = doc::json_schema_pointer(&at, response).unwrap();
                let schema = &fragment.document.pointer(&schema_at).unwrap()["$ref"];
                if status != "200" {
                    assert_eq!(
                        schema,
                        &Value::from("#/components/schemas/ErrorEnvelope"),
                        "{} {status}",
                        op.pointer
                    );
                }
                status
            })
            .collect()
    };
    for op in doc::operations(&fragment.document) {
        statuses(&op);
    }
    let statuses = statuses(&update_disk(&fragment));
    assert_eq!(
        statuses,
        [
            "200", "400", "403", "404", "406", "422", "429", "500", "503"
        ]
    );
}

/// `DEPARTURE(Dn)` ids in a text.
fn departures(text: &str) -> BTreeSet<String> {
    text.match_indices("DEPARTURE(D")
        .map(|(at, marker)| {
            text[at + marker.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .filter(|digits| !digits.is_empty())
        .map(|digits| format!("D{digits}"))
        .collect()
}

#[test]
fn every_departure_is_explained_in_the_readme() {
    let root = workspace_root();
    let fragment = std::fs::read_to_string(root.join(FRAGMENT_PATH)).unwrap();
    let readme = std::fs::read_to_string(root.join("xtask/README.md")).unwrap();
    let in_fragment = departures(&fragment);
    assert!(in_fragment.len() >= 10, "{in_fragment:?}");
    let in_readme: BTreeSet<String> = readme
        .lines()
        .filter_map(|line| line.strip_prefix("| D"))
        .map(|rest| {
            format!(
                "D{}",
                rest.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
            )
        })
        .collect();
    assert_eq!(
        in_fragment, in_readme,
        "xtask/README.md's departures table must have one row (`| Dn | ...`) per DEPARTURE(Dn) in the fragment"
    );

    // The machine-readable side: the `x-departure` markers `cargo xtask
    // drift` matches differences with name the same departures.
    let markers = xtask::drift::markers(&project_fragment().document, FRAGMENT_PATH)
        .unwrap_or_else(|error| panic!("{error}"));
    let marked: BTreeSet<String> = markers.into_iter().flat_map(|m| m.ids).collect();
    assert_eq!(
        marked, in_fragment,
        "every DEPARTURE(Dn) comment needs `x-departure: Dn` on the node that differs, and every \
         `x-departure` marker a DEPARTURE comment (and a row in xtask/README.md)"
    );
}

#[test]
fn public_api_outline() {
    let root = workspace_root();
    let fragment = project_fragment();
    let read = |path: &str| std::fs::read_to_string(root.join(path)).unwrap();
    let outline = xtask::outline::public_api(
        &read(TYPES_PATH),
        &read(METHODS_PATH),
        &open_enums(&fragment).unwrap(),
    )
    .unwrap();
    insta::assert_snapshot!("public_api_outline", outline);
}
