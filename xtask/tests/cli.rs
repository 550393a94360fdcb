//! The CLI generator (`xtask/src/codegen/cli.rs`): what flags each shape of
//! the fragment makes, that a property added to the fragment becomes a flag
//! with no hand edit, and the problems it reports instead of guessing.

use std::path::{Path, PathBuf};

use xtask::codegen::{cli_module, prepare};
use xtask::fragment::FRAGMENT_PATH;
use xtask::problem::render;
use xtask::workspace_root;

fn fixture(name: &str) -> (PathBuf, String) {
    (
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/cli")
            .join(format!("{name}.yaml")),
        format!("xtask/tests/fixtures/cli/{name}.yaml"),
    )
}

fn generate(path: &Path, display: &str) -> Result<String, String> {
    let fragment = prepare(path, display).map_err(|problems| render(&problems))?;
    cli_module(&fragment).map_err(|problem| problem.to_string())
}

#[test]
fn every_shape_makes_its_flags() {
    let (path, display) = fixture("shapes");
    let text = generate(&path, &display).unwrap_or_else(|e| panic!("{e}"));
    for expected in [
        // An identifying object prefixes its fields; required all the way
        // down, so required unless a whole body is given (`--json-body`;
        // this operation has no bulk `--from`).
        "long = \"thing-id\"",
        "required_unless_present_any = [\"json_body\"]",
        "/// Sets thing.id. The thing to change.",
        // A bag of settings does not; descriptions on one line.
        "long = \"label\"",
        "/// Sets settings.label. A name for people. Shown in the panel.",
        "pub weight_kg: Option<f64>",
        "pub count: Option<i64>",
        "pub enabled: Option<bool>",
        "value_parser = [\"red\", \"green\"]",
        // A nested bag, unprefixed too.
        "long = \"shiny\"",
        // A lookup: one flag per field, each conflicting with the others.
        "long = \"place-id\"",
        "conflicts_with_all = [\"place_permalink\"]",
        // Key/value pairs.
        "long = \"tag\"",
        "value_parser = crate::request::parse_key_value",
        "long = \"clear-tags\"",
        // The request the flags belong to.
        "The request body of `update_thing` (PATCH /things/thing)",
    ] {
        assert!(text.contains(expected), "{expected}\n\n{text}");
    }
    insta::assert_snapshot!("shapes", text);
}

/// The promise of issue 11: a field added to the fragment appears in the
/// CLI with no hand edit.
#[test]
fn a_property_added_to_the_fragment_becomes_a_flag() {
    let source = std::fs::read_to_string(workspace_root().join(FRAGMENT_PATH)).unwrap();
    let anchor = "        name:\n          type: string\n        bus_type:";
    assert!(
        source.contains(anchor),
        "the fragment no longer contains {anchor:?}"
    );
    let edited = source.replacen(
        anchor,
        "        name:\n          type: string\n        label_colour:\n          type: string\n          \
         description: The colour of the disk's label.\n        bus_type:",
        1,
    );
    let dir = scratch("added");
    let path = dir.join("fragment.yaml");
    std::fs::write(&path, edited).unwrap();

    let before = generate(&workspace_root().join(FRAGMENT_PATH), FRAGMENT_PATH).unwrap();
    let after = generate(&path, FRAGMENT_PATH).unwrap();
    assert!(!before.contains("label-colour"), "{before}");
    assert!(after.contains("long = \"label-colour\""), "{after}");
    assert!(
        after.contains("/// Sets properties.label_colour. The colour of the disk's label."),
        "{after}"
    );
    // And `to_json` sends it, under its name in the fragment.
    assert!(
        squash(&after).contains(&squash(
            "if let Some(value) = &self.label_colour { object_1.insert(\"label_colour\".to_owned(),"
        )),
        "{after}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Each command's own whole-body arguments make its required flags
/// optional, and `disk change` takes Update disk's fields that an existing
/// disk can change, each saying which operation changes it.
#[test]
fn each_command_gets_its_own_whole_body_set_and_disk_change_its_routed_flags() {
    let text = squash(&generate(&workspace_root().join(FRAGMENT_PATH), FRAGMENT_PATH).unwrap());
    let after = |marker: &str| {
        let at = text
            .find(&squash(marker))
            .unwrap_or_else(|| panic!("{marker}"));
        &text[at..]
    };
    let first_required = |from: &str| {
        let at = from.find("required_unless_present_any").unwrap();
        from[at..].split(')').next().unwrap().to_owned()
    };
    let update = first_required(after("pub struct UpdateDiskFlags"));
    assert!(
        update.contains(&squash(r#"["json_body", "from"]"#)),
        "{update}"
    );
    let resize = first_required(after("pub struct ResizeDiskFlags"));
    assert!(resize.contains(&squash(r#"["json_body"]"#)), "{resize}");
    let change = after("pub struct DiskChangeFlags");
    assert!(
        first_required(change).contains(&squash(r#"["from"]"#)),
        "{change}"
    );
    let change = &change[..change.find(&squash("impl DiskChangeFlags")).unwrap()];
    for routed in [
        "/// Sets properties.name (update_disk).",
        "/// Sets properties.size_in_gb (resize_disk).",
        "/// Sets properties.io_profile (change_disk_io_profile) by id;",
        "/// Sets properties.virtual_machine_disk.virtual_machine (assign_disk) by fqdn;",
    ] {
        assert!(change.contains(&squash(routed)), "{routed}\n\n{change}");
    }
    // What an existing disk never changes, or --attached says, is not there.
    for absent in ["data-center-id", "initial-file-system", "long = \"attach\""] {
        assert!(!change.contains(&squash(absent)), "{absent}\n\n{change}");
    }
}

#[test]
fn a_shape_no_flag_can_express_is_a_problem() {
    let (path, display) = fixture("unsupported");
    let error = generate(&path, &display).unwrap_err();
    assert!(
        error.starts_with(
            "error[cli]: xtask/tests/fixtures/cli/unsupported.yaml#/paths/~1things~1thing/patch/requestBody/content/application~1json/schema/properties/names"
        ),
        "{error}"
    );
    assert!(error.contains("fix: "), "{error}");
    insta::assert_snapshot!("unsupported", error);
}

#[test]
fn two_properties_making_one_flag_is_a_problem() {
    let (path, display) = fixture("collision");
    let error = generate(&path, &display).unwrap_err();
    assert!(
        error.contains("would both make the flag --thing-id"),
        "{error}"
    );
    assert!(error.starts_with("error[cli]: "), "{error}");
}

#[test]
fn a_property_taking_a_flag_of_the_cli_is_a_problem() {
    let source = std::fs::read_to_string(workspace_root().join(FRAGMENT_PATH)).unwrap();
    let anchor = "        name:\n          type: string\n        bus_type:";
    let edited = source.replacen(
        anchor,
        "        name:\n          type: string\n        output:\n          type: string\n        bus_type:",
        1,
    );
    let dir = scratch("reserved");
    let path = dir.join("fragment.yaml");
    std::fs::write(&path, edited).unwrap();
    let error = generate(&path, FRAGMENT_PATH).unwrap_err();
    assert!(
        error.contains("would make the flag --output, which katapult already uses"),
        "{error}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// The text without whitespace: compares code regardless of line breaks.
fn squash(text: &str) -> String {
    text.split_whitespace().collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
