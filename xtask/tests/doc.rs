//! The one OpenAPI model (`src/doc.rs`): pointers, YAML to JSON, references.

use xtask::doc::{child, parse_yaml, pointer, resolve, schema_name, segments};

#[test]
fn pointers_escape_slashes_and_tildes() {
    assert_eq!(
        pointer(["paths", "/disks/disk", "patch"]),
        "/paths/~1disks~1disk/patch"
    );
    assert_eq!(child("/a", "x~y"), "/a/x~0y");
    assert_eq!(pointer::<[&str; 0], &str>([]), "");
    let back: Vec<String> = segments("/paths/~1disks~1disk/a~0b").collect();
    assert_eq!(back, ["paths", "/disks/disk", "a~b"]);
    assert_eq!(
        schema_name("/components/schemas/A~1B"),
        Some("A/B".to_owned())
    );
    assert_eq!(schema_name("/components/schemas/A/properties/b"), None);
}

#[test]
fn yaml_keys_that_read_as_numbers_become_strings() {
    let tree = parse_yaml("responses:\n  200: {description: ok}\n  true: 1.5\n").unwrap();
    assert_eq!(
        tree,
        serde_json::json!({"responses": {"200": {"description": "ok"}, "true": 1.5}})
    );
    let tagged = parse_yaml("a:\n  b: !custom 1\n").unwrap_err();
    assert_eq!(tagged.at, "/a/b", "{tagged:?}");
    assert_eq!(parse_yaml("a: [").unwrap_err().at, "");
}

#[test]
fn resolve_follows_references_and_nullable_wrappers() {
    let doc = serde_json::json!({
        "components": {"schemas": {"A": {"$ref": "#/components/schemas/B"}, "B": {"type": "string"}}},
        "use": {"nullable": true, "description": "d", "allOf": [{"$ref": "#/components/schemas/A"}]},
        "mixed": {"allOf": [{"$ref": "#/components/schemas/B"}], "properties": {}},
    });
    let used = resolve(&doc, "/use".to_owned(), &doc["use"]);
    assert_eq!(
        (used.at.as_str(), used.name.as_deref()),
        ("/components/schemas/B", Some("B"))
    );
    assert!(used.nullable);
    // An allOf with more than a wrapper's keys is a schema of its own.
    let mixed = resolve(&doc, "/mixed".to_owned(), &doc["mixed"]);
    assert_eq!((mixed.at.as_str(), mixed.name), ("/mixed", None));
}
