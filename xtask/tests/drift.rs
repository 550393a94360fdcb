//! `cargo xtask drift`: the fragment's operations against the recorded
//! upstream closure, modified upstreams that must be reported exactly, and
//! bad input.
//!
//! Each fixture under `fixtures/drift/` is a list of edits to the recorded
//! closure (`openapi/upstream/`), the differences they must produce (and
//! nothing else), and the departures they make stale.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Value, json};
use xtask::drift::{self, Difference, DifferenceKind, DriftError, RECORDED_PATH, Warning};
use xtask::workspace_root;

/// Records Katapult's published document (kept outside the repository, in
/// `../shared/reference/`) as `openapi/upstream/`. Run by hand:
/// `cargo test -p xtask --test drift -- --ignored record_upstream`.
#[test]
#[ignore = "records openapi/upstream/ from ../shared/reference, by hand"]
fn record_upstream() {
    let root = workspace_root();
    let published: PathBuf = root.join("../shared/reference/katapult-core-openapi-2.68.0.json");
    if !published.is_file() {
        eprintln!("skipped: {} is not here", published.display());
        return;
    }
    let recorded = drift::record(&root, &published).unwrap_or_else(|e| panic!("{e}"));
    println!("{}", recorded.summary());
    assert_eq!(recorded.path, RECORDED_PATH);
}

/// CI: the fragment against the recorded closure. Every difference is a
/// declared departure, and every declared departure still differs.
#[test]
fn the_fragment_departs_from_the_recorded_upstream_only_where_it_says() {
    let report = drift::drift(&workspace_root(), None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.undeclared().count(), 0, "{}", report.render());
    assert!(report.stale.is_empty(), "{}", report.render());
    assert!(report.is_clean());
    assert_eq!(report.upstream_version, "2.68.0");
    // The rendered text, byte for byte.
    insta::assert_snapshot!("render-recorded", report.render());

    // Every departure xtask/README.md lists is in use.
    let declared: BTreeSet<String> = report
        .declared()
        .flat_map(|d| d.departures.clone())
        .collect();
    let all: BTreeSet<String> = (1..=14).map(|n| format!("D{n}")).collect();
    assert_eq!(declared, all, "{}", report.render());

    // The eight upstream copies of the disk meet the one `Disk` (D12): one
    // difference, naming all eight.
    let disk = report
        .declared()
        .filter(|d| d.fragment == "/components/schemas/Disk")
        .collect::<Vec<_>>();
    let [renamed] = disk.as_slice() else {
        panic!("{}", report.render())
    };
    assert_eq!(renamed.kind.as_str(), "name");
    assert_eq!(
        renamed.change.matches("200ResponseDisk`").count(),
        8,
        "{}",
        renamed.change
    );
}

/// The fragment, as codegen reads it.
fn fragment() -> Value {
    let path = workspace_root().join(xtask::fragment::FRAGMENT_PATH);
    xtask::codegen::prepare(&path, xtask::fragment::FRAGMENT_PATH)
        .unwrap_or_else(|problems| panic!("{}", xtask::problem::render(&problems)))
        .document
}

#[test]
fn the_recorded_closure_names_its_source() {
    let text = std::fs::read_to_string(workspace_root().join(RECORDED_PATH)).unwrap();
    let recorded: Value = serde_json::from_str(&text).unwrap();
    let stamp = &recorded["x-recorded"];
    assert_eq!(stamp["katapult-version"], "2.68.0");
    assert_eq!(stamp["source-file"], "katapult-core-openapi-2.68.0.json");
    let sha = stamp["source-sha256"].as_str().unwrap();
    assert!(
        sha.len() == 64 && sha.chars().all(|c| c.is_ascii_hexdigit()),
        "{sha}"
    );
    assert_eq!(stamp["api"], "https://api.katapult.io/core/v1");
    // The closure holds the fragment's operations and no other (upstream
    // has `DELETE /disks/disk` beside them, and 180 more).
    let operations = |doc: &Value| drift::operations(doc).into_iter().collect::<BTreeSet<_>>();
    let recorded_operations = operations(&recorded);
    assert_eq!(recorded_operations, operations(&fragment()));
    assert_eq!(recorded_operations.len(), 9);
    assert!(recorded.pointer("/paths/~1disks~1disk/delete").is_none());
}

// ------------------------------------------------------------------ fixtures

/// One expected difference: its kind, and where in the fragment.
type Expected = BTreeSet<(String, String)>;

struct Fixture {
    name: String,
    edits: Vec<Value>,
    expect: Expected,
    /// For the expected differences that say: where upstream, by where in
    /// the fragment.
    upstream: BTreeMap<String, String>,
    stale: BTreeSet<(Vec<String>, String)>,
}

fn fixture(name: &str) -> Fixture {
    let path = workspace_root()
        .join("xtask/tests/fixtures/drift")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: Value = serde_json::from_str(&text).unwrap();
    let text_of = |v: &Value, key: &str| v[key].as_str().unwrap().to_owned();
    Fixture {
        name: name.to_owned(),
        edits: json["edits"].as_array().unwrap().clone(),
        expect: json["expect"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (text_of(e, "kind"), text_of(e, "fragment")))
            .collect(),
        upstream: json["expect"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e.get("upstream").is_some())
            .map(|e| (text_of(e, "fragment"), text_of(e, "upstream")))
            .collect(),
        stale: json
            .get("stale")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|s| {
                let ids = s["ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i.as_str().unwrap().to_owned())
                    .collect();
                (ids, text_of(s, "pointer"))
            })
            .collect(),
    }
}

/// The recorded closure with `edits` applied (JSON Patch `add`, `remove`,
/// `replace`; `-` appends to an array).
fn edited_upstream(edits: &[Value]) -> Value {
    let text = std::fs::read_to_string(workspace_root().join(RECORDED_PATH)).unwrap();
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    for edit in edits {
        let path = edit["path"].as_str().unwrap();
        let (parent, last) = path.rsplit_once('/').unwrap();
        let last = last.replace("~1", "/").replace("~0", "~");
        let parent = doc
            .pointer_mut(parent)
            .unwrap_or_else(|| panic!("no {parent} in the recorded closure"));
        match (edit["op"].as_str().unwrap(), parent) {
            ("add" | "replace", Value::Object(map)) => {
                map.insert(last, edit["value"].clone());
            }
            ("add", Value::Array(items)) if last == "-" => items.push(edit["value"].clone()),
            ("remove", Value::Object(map)) => {
                map.remove(&last)
                    .unwrap_or_else(|| panic!("nothing to remove at {path}"));
            }
            (op, _) => panic!("unsupported edit {op} at {path}"),
        }
    }
    doc
}

/// Writes `doc` to a scratch file named after the test.
fn scratch_file(name: &str, contents: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("drift");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// Compares the fragment with the recorded closure after `fixture`'s edits,
/// and checks the undeclared differences and stale departures are exactly
/// the expected ones.
fn check(fixture: &Fixture) {
    let doc = edited_upstream(&fixture.edits);
    let path = scratch_file(
        &format!("{}.json", fixture.name),
        doc.to_string().as_bytes(),
    );
    let report = drift::drift(&workspace_root(), Some(&path)).unwrap_or_else(|e| panic!("{e}"));
    let found: Expected = report
        .undeclared()
        .map(|d| (d.kind.as_str().to_owned(), d.fragment.clone()))
        .collect();
    assert_eq!(
        found,
        fixture.expect,
        "{}:\n{}",
        fixture.name,
        report.render()
    );
    assert_eq!(
        report.undeclared().count(),
        fixture.expect.len(),
        "{}",
        report.render()
    );
    for (fragment, upstream) in &fixture.upstream {
        let found = report
            .undeclared()
            .find(|d| &d.fragment == fragment)
            .unwrap();
        assert_eq!(&found.upstream, upstream, "{}", report.render());
    }
    let stale: BTreeSet<(Vec<String>, String)> = report
        .stale
        .iter()
        .map(|s| (s.ids.clone(), s.pointer.clone()))
        .collect();
    assert_eq!(
        stale,
        fixture.stale,
        "{}:\n{}",
        fixture.name,
        report.render()
    );
    assert_eq!(
        report.is_clean(),
        fixture.expect.is_empty() && fixture.stale.is_empty()
    );
    // Each drift says where, what and the edit, in text pinned byte for
    // byte (the scratch path aside).
    let text = report.render();
    insta::assert_snapshot!(
        format!("render-{}", fixture.name),
        text.replace(&path.display().to_string(), "<upstream>")
    );
    for (kind, pointer) in &fixture.expect {
        assert!(text.contains(&format!("drift[{kind}]")), "{text}");
        assert!(
            text.contains(&format!("{}#{pointer}", report.fragment_file)),
            "{text}"
        );
    }
}

#[test]
fn a_new_request_property_is_drift() {
    check(&fixture("add-request-property"));
}

#[test]
fn a_new_response_enum_value_is_drift() {
    check(&fixture("add-response-enum-value"));
}

#[test]
fn a_new_error_code_is_drift() {
    check(&fixture("add-error-code"));
}

#[test]
fn a_removed_property_is_drift() {
    check(&fixture("remove-property"));
}

#[test]
fn a_changed_type_is_drift() {
    check(&fixture("change-type"));
}

#[test]
fn a_new_field_in_an_error_detail_is_drift() {
    check(&fixture("error-detail-property"));
}

#[test]
fn a_departure_does_not_hide_new_drift_on_its_node() {
    check(&fixture("departure-does-not-hide-drift"));
}

#[test]
fn a_departure_that_no_longer_differs_is_stale() {
    check(&fixture("stale-departure"));
}

#[test]
fn an_operation_removed_upstream_is_drift() {
    check(&fixture("remove-operation"));
}

#[test]
fn a_change_to_one_of_the_eight_upstream_disks_is_drift() {
    check(&fixture("one-disk-copy-drifts"));
}

/// Upstream adds the same property to its eight copies of the disk: one
/// difference, at the one `Disk`.
#[test]
fn a_change_to_every_upstream_disk_is_one_difference() {
    check(&fixture("add-response-property"));
}

/// The five changes of the issue together: exactly those five are reported.
#[test]
fn five_changes_at_once_are_five_differences() {
    let names = [
        "add-request-property",
        "add-response-enum-value",
        "add-error-code",
        "remove-property",
        "change-type",
    ];
    let parts: Vec<Fixture> = names.iter().map(|name| fixture(name)).collect();
    let combined = Fixture {
        name: "five-changes".to_owned(),
        edits: parts.iter().flat_map(|f| f.edits.clone()).collect(),
        expect: parts.iter().flat_map(|f| f.expect.clone()).collect(),
        upstream: parts.iter().flat_map(|f| f.upstream.clone()).collect(),
        stale: BTreeSet::new(),
    };
    assert_eq!(combined.expect.len(), 5);
    check(&combined);
}

// ----------------------------------------------------------------- bad input

fn expect_bad_input(name: &str, contents: &[u8], says: &str) -> DriftError {
    let path = scratch_file(name, contents);
    let error = drift::drift(&workspace_root(), Some(&path)).expect_err(name);
    let message = error.to_string();
    assert!(
        message.contains(&path.display().to_string()),
        "names the file: {message}"
    );
    assert!(message.contains(says), "{message}");
    assert!(message.contains("fix:"), "says what to do: {message}");
    assert_eq!(
        drift::run(&workspace_root(), Some(&path), false),
        ExitCode::from(2)
    );
    error
}

#[test]
fn a_file_that_is_neither_json_nor_yaml_is_refused() {
    let error = expect_bad_input(
        "garbage.json",
        b"{ \"openapi\": [3.0\n  - :: ]",
        "neither JSON nor YAML",
    );
    assert!(matches!(error, DriftError::Syntax { .. }));
    expect_bad_input(
        "binary.bin",
        &[0xff, 0xfe, 0x00, 0x81],
        "neither JSON nor YAML",
    );
}

#[test]
fn a_document_that_is_not_openapi_3_0_is_refused() {
    let error = expect_bad_input(
        "openapi-3.1.yaml",
        b"openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: {}\n",
        "`openapi: 3.1.0`",
    );
    assert!(matches!(error, DriftError::NotOpenApi30 { .. }));
    expect_bad_input(
        "swagger.json",
        br#"{"swagger": "2.0", "paths": {}}"#,
        "Swagger",
    );
    expect_bad_input("list.yaml", b"- a\n- b\n", "not a JSON object");
}

/// A document with none of the fragment's operations is not the one the
/// fragment follows (one lacking some of them is compared: see
/// `an_operation_removed_upstream_is_drift`).
#[test]
fn a_document_without_any_of_the_operations_is_refused() {
    let mut doc = edited_upstream(&[]);
    doc["paths"] = serde_json::json!({"/disks/disk": {"delete": {"responses": {}}}});
    let error = expect_bad_input(
        "no-operation.json",
        doc.to_string().as_bytes(),
        "none of the fragment's operations (GET /disks/disk, PATCH /disks/disk, ",
    );
    assert!(matches!(error, DriftError::NoOperation { .. }));
}

#[test]
fn a_dangling_reference_is_refused_with_its_pointer() {
    let doc = edited_upstream(&[
        serde_json::json!({"op": "remove", "path": "/components/schemas/KeyValue"}),
    ]);
    let error = expect_bad_input(
        "dangling.json",
        doc.to_string().as_bytes(),
        "points at nothing",
    );
    let DriftError::Reference { at, .. } = error else {
        panic!("{error:?}")
    };
    assert!(at.ends_with("/annotations/items"), "{at}");
}

#[test]
fn an_invalid_closure_is_refused_with_its_pointer() {
    let doc = edited_upstream(&[serde_json::json!({
        "op": "replace", "path": "/components/schemas/KeyValue/properties", "value": "not a map"
    })]);
    let error = expect_bad_input(
        "invalid.json",
        doc.to_string().as_bytes(),
        "not valid OpenAPI 3.0",
    );
    assert!(matches!(error, DriftError::Structure { .. }), "{error:?}");
}

#[test]
fn a_yaml_upstream_is_read_like_json() {
    // The recorded closure, as YAML with unquoted status codes.
    let doc = edited_upstream(&[]);
    let yaml = serde_yaml_ng::to_string(&doc)
        .unwrap()
        .replace("'200':", "200:");
    let path = scratch_file("recorded.yaml", yaml.as_bytes());
    let report = drift::drift(&workspace_root(), Some(&path)).unwrap_or_else(|e| panic!("{e}"));
    assert!(report.is_clean(), "{}", report.render());
}

// ----------------------------------------------------------------- recording

/// A scratch workspace root for recordings.
fn scratch_root(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("drift-roots")
        .join(name);
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    root
}

#[test]
fn recording_a_recorded_closure_gives_the_same_file() {
    // A workspace with the fragment, whose operations are recorded.
    let root = scratch_root("rerecord");
    let fragment = root.join(xtask::fragment::FRAGMENT_PATH);
    std::fs::create_dir_all(fragment.parent().unwrap()).unwrap();
    std::fs::copy(
        workspace_root().join(xtask::fragment::FRAGMENT_PATH),
        &fragment,
    )
    .unwrap();
    let source = workspace_root().join(RECORDED_PATH);
    let recorded = drift::record(&root, &source).unwrap_or_else(|e| panic!("{e}"));
    assert!(recorded.changed);
    assert_eq!(recorded.version, "2.68.0");
    let written = std::fs::read_to_string(root.join(RECORDED_PATH)).unwrap();
    let original = std::fs::read_to_string(&source).unwrap();
    assert_eq!(written, original);
    // Nothing else in the directory: no temporary file left behind.
    let entries: Vec<_> = std::fs::read_dir(root.join("openapi/upstream"))
        .unwrap()
        .collect();
    assert_eq!(entries.len(), 1);
    // Again: nothing changes.
    assert!(!drift::record(&root, &source).unwrap().changed);
}

#[test]
fn bad_input_records_nothing() {
    let root = scratch_root("bad-record");
    let path = scratch_file("bad-record.yaml", b"openapi: 3.1.0\n");
    assert!(drift::record(&root, &path).is_err());
    assert_eq!(drift::run(&root, Some(&path), true), ExitCode::from(2));
    assert!(!root.join("openapi").exists(), "nothing may be written");
}

#[test]
fn no_recording_is_a_clear_error() {
    let root = scratch_root("not-recorded");
    let error = drift::drift(&root, None).expect_err("nothing recorded");
    assert!(matches!(error, DriftError::NotRecorded), "{error:?}");
    assert!(error.to_string().contains("--record"), "{error}");
}

#[test]
fn a_malformed_marker_is_refused() {
    let doc = serde_json::json!({"components": {"schemas": {"X": {"x-departure": "eight"}}}});
    let error = drift::markers(&doc, "f.yaml").expect_err("not an id");
    assert!(
        error
            .to_string()
            .contains("f.yaml#/components/schemas/X/x-departure"),
        "{error}"
    );
    let listed = serde_json::json!({"a": {"x-departure": ["D3", "D10"]}});
    let markers = drift::markers(&listed, "f.yaml").unwrap();
    assert_eq!(markers[0].ids, ["D3", "D10"]);
    assert_eq!(markers[0].pointer, "/a");
}

/// The operation the tests' documents hold.
const OPERATION: &str = "/paths/~1disks~1disk/patch";

fn compare(fragment: &Value, upstream: &Value) -> (Vec<Difference>, Vec<Warning>) {
    drift::compare(fragment, upstream, &[OPERATION.to_owned()])
}

/// An operation whose response holds two disks, `new` and `old` (in
/// that order: keys are sorted), under the schema names `[old, new]`.
fn document(names: [&str; 2]) -> Value {
    let disk = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    let body =
        json!({"type": "object", "properties": {"old": disk(names[0]), "new": disk(names[1])}});
    let schema = json!({"type": "object", "properties": {"id": {"type": "string"}}});
    json!({
        "openapi": "3.0.3",
        "paths": {"/disks/disk": {"patch": {"responses": {"200": {
            "description": "ok", "content": {"application/json": {"schema": body}}}}}}},
        "components": {"schemas": {names[0]: schema, names[1]: schema}},
    })
}

#[test]
fn several_upstream_names_for_one_schema_are_one_difference() {
    let fragment = document(["Disk", "Disk"]);
    let upstream = document(["PatchDisk200ResponseDisk", "GetDisk200ResponseDisk"]);
    let (differences, _) = compare(&fragment, &upstream);
    let [renamed] = differences.as_slice() else {
        panic!("{differences:#?}");
    };
    assert_eq!(renamed.kind, DifferenceKind::Name);
    assert_eq!(renamed.fragment, "/components/schemas/Disk");
    assert_eq!(
        renamed.change,
        "upstream uses the schemas `GetDisk200ResponseDisk`, `PatchDisk200ResponseDisk` \
         here; the fragment uses `Disk`"
    );
}

#[test]
fn a_difference_inside_a_schema_used_twice_is_reported_once() {
    let fragment = document(["Disk", "Disk"]);
    let mut upstream = document(["Disk", "Disk"]);
    upstream["components"]["schemas"]["Disk"]["properties"]["id"]["type"] = json!("integer");
    let (differences, _) = compare(&fragment, &upstream);
    let [changed] = differences.as_slice() else {
        panic!("{differences:#?}");
    };
    assert_eq!(changed.kind, DifferenceKind::Type);
    assert_eq!(changed.fragment, "/components/schemas/Disk/properties/id");
}
