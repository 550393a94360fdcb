//! Each lint rule fires on its fixture with a clear message, as do the
//! stages around the rules (syntax and structure when reading, rust-name
//! after); the real fragment and the minimal valid fixture pass them all.

use std::path::{Path, PathBuf};

use xtask::codegen::prepare;
use xtask::fragment::FRAGMENT_PATH;
use xtask::lint::RULES;
use xtask::problem::render;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lint")
        .join(format!("{name}.yaml"))
}

/// Loads, lints and names a fixture that must be refused; returns the
/// rendered problems.
fn refused(name: &str, expected_rule: &str) -> String {
    let display = format!("xtask/tests/fixtures/lint/{name}.yaml");
    let problems = match prepare(&fixture(name), &display) {
        Ok(_) => panic!("{display} was accepted; it must break `{expected_rule}`"),
        Err(problems) => problems,
    };
    assert!(
        problems.iter().any(|p| p.rule == expected_rule),
        "{display} did not trigger `{expected_rule}`:\n{}",
        render(&problems)
    );
    for problem in &problems {
        assert!(
            !problem.fix.is_empty() && !problem.message.is_empty(),
            "{problem}"
        );
    }
    render(&problems)
}

#[test]
fn every_rule_fires_on_its_fixture() {
    for rule in RULES {
        assert!(
            fixture(rule.id).exists(),
            "rule `{}` has no fixture at {}",
            rule.id,
            fixture(rule.id).display()
        );
        insta::assert_snapshot!(rule.id, refused(rule.id, rule.id), rule.summary);
    }
}

#[test]
fn parse_failures_name_the_place() {
    insta::assert_snapshot!("syntax", refused("syntax", "syntax"));
    insta::assert_snapshot!("structure", refused("structure", "structure"));
}

/// `x-rust-name` is checked by the shaping step, after the rules: a name
/// that is no snake_case identifier is refused with the name to write.
#[test]
fn a_bad_rust_name_names_the_place_and_the_fix() {
    let rendered = refused("rust-name", "rust-name");
    assert!(
        rendered.contains("#/paths/~1things~1thing/patch/x-rust-name"),
        "{rendered}"
    );
    assert!(
        rendered.contains("fix: write `x-rust-name: update_thing`"),
        "{rendered}"
    );
    insta::assert_snapshot!("rust-name", rendered);
}

/// `x-rust-option` is checked by the shaping step: it only stands on an
/// array or object (the `tags` array in the fixture is accepted).
#[test]
fn a_misplaced_rust_option_names_the_place_and_the_fix() {
    let rendered = refused("rust-option", "rust-option");
    assert!(
        rendered.contains(
            "/schema/properties/name\n  `x-rust-option` stands on a schema of type string"
        ),
        "{rendered}"
    );
    assert!(!rendered.contains("/properties/tags"), "{rendered}");
    insta::assert_snapshot!("rust-option", rendered);
}

#[test]
fn the_minimal_fixture_passes_every_rule() {
    if let Err(problems) = prepare(&fixture("valid"), "valid.yaml") {
        panic!("{}", render(&problems));
    }
}

#[test]
fn the_project_fragment_passes_every_rule() {
    let root = xtask::workspace_root();
    if let Err(problems) = prepare(&root.join(FRAGMENT_PATH), FRAGMENT_PATH) {
        panic!("{}", render(&problems));
    }
}

#[test]
fn every_fixture_belongs_to_a_rule_or_a_stage() {
    let known: Vec<&str> = RULES
        .iter()
        .map(|r| r.id)
        .chain(["valid", "syntax", "structure", "rust-name", "rust-option"])
        .collect();
    for entry in std::fs::read_dir(fixture("valid").parent().unwrap()).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        assert!(
            known.contains(&stem.as_str()),
            "{} matches no rule",
            path.display()
        );
    }
}
