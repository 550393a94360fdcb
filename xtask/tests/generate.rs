//! What the generator makes of each edge case the fragment relies on.

use std::path::Path;

use xtask::codegen::{open_enums, prepare, render_open_enums, types_module};
use xtask::fragment::Fragment;
use xtask::problem::render;

fn load(name: &str) -> Fragment {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/generate")
        .join(format!("{name}.yaml"));
    prepare(&path, &format!("xtask/tests/fixtures/generate/{name}.yaml"))
        .unwrap_or_else(|problems| panic!("{}", render(&problems)))
}

fn types(name: &str) -> String {
    types_module(&load(name)).unwrap_or_else(|problem| panic!("{problem}"))
}

#[test]
fn the_error_envelope_is_a_struct_around_an_enum_tagged_by_code() {
    let text = types("error-envelope");
    assert!(text.contains("#[serde(tag = \"code\")]"), "{text}");
    assert!(text.contains("pub error: ApiError"), "{text}");
    insta::assert_snapshot!("error_envelope_types", text);
    let codes = render_open_enums(&open_enums(&load("error-envelope")).unwrap());
    assert!(codes.contains("pub enum ErrorCode"), "{codes}");
    insta::assert_snapshot!("error_envelope_codes", codes);
}

#[test]
fn a_lookup_one_of_is_an_externally_tagged_enum() {
    let text = types("lookup-one-of");
    assert!(text.contains("pub enum PlaceLookup"), "{text}");
    assert!(text.contains("Id(::std::string::String)"), "{text}");
    assert!(!text.contains("#[serde(untagged)]"), "{text}");
    insta::assert_snapshot!("lookup_one_of_types", text);
}

#[test]
fn a_nullable_ref_is_an_option() {
    let text = types("nullable-ref");
    assert!(
        text.contains("pub owner: ::std::option::Option<Owner>"),
        "{text}"
    );
    insta::assert_snapshot!("nullable_ref_types", text);
}

#[test]
fn recursive_templates_are_boxed() {
    let text = types("recursion");
    assert!(text.contains("::std::boxed::Box<"), "{text}");
    insta::assert_snapshot!("recursion_types", text);
}

#[test]
fn an_open_enum_replaces_the_closed_one() {
    let fragment = load("open-enum");
    let text = types_module(&fragment).unwrap();
    assert!(
        text.contains("crate::generated_open_enums::ThingState"),
        "{text}"
    );
    assert!(!text.contains("pub enum ThingState"), "{text}");
    insta::assert_snapshot!("open_enum_types", text);
    insta::assert_snapshot!(
        "open_enum_enums",
        render_open_enums(&open_enums(&fragment).unwrap())
    );
}
