//! What codegen and release-check print about changes to the generated
//! public API: the outline's removed and added lines. (cargo-semver-checks
//! judges them; `xtask::release::semver_checks` is tested in release.rs.)

use xtask::api_change::{Version, changed_lines, outline_from_snapshot, report};

/// The lines the `patch_disk` → `update_disk` rename changed in the outline
/// (commit "One name for the operation"), before and after.
const BEFORE_RENAME: &str = "\
struct types::KeyValue { key: String, value: Option<String> }
struct types::PatchDiskBody { annotations: Vec<KeyValue>, disk: DiskLookup, properties: DiskArguments }
types: PatchDiskBody::fn builder() -> builder::PatchDiskBody
struct types::PatchDiskResponse { annotations: Vec<KeyValue>, disk: PatchDisk200ResponseDisk }
types: PatchDiskResponse::fn builder() -> builder::PatchDiskResponse
struct Client { .. }
Client::fn patch_disk(&self) -> builder::PatchDisk<'_>
struct builder::PatchDisk { .. }
builder: PatchDisk<'a>::fn new(client: &'a super::Client) -> Self
builder: PatchDisk<'a>::fn body<V>(mut self, value: V) -> Self where V: TryInto<types::PatchDiskBody>,<V as TryInto<types::PatchDiskBody>>::Error: std::fmt::Display,
builder: PatchDisk<'a>::async fn send(self) -> Result<ResponseValue<types::PatchDiskResponse>, Error<types::ErrorEnvelope>>
";

const AFTER_RENAME: &str = "\
struct types::KeyValue { key: String, value: Option<String> }
struct types::UpdateDiskBody { annotations: Vec<KeyValue>, disk: DiskLookup, properties: DiskArguments }
types: UpdateDiskBody::fn builder() -> builder::UpdateDiskBody
struct types::UpdateDiskResponse { annotations: Vec<KeyValue>, disk: PatchDisk200ResponseDisk }
types: UpdateDiskResponse::fn builder() -> builder::UpdateDiskResponse
struct Client { .. }
Client::fn update_disk(&self) -> builder::UpdateDisk<'_>
struct builder::UpdateDisk { .. }
builder: UpdateDisk<'a>::fn new(client: &'a super::Client) -> Self
builder: UpdateDisk<'a>::fn body<V>(mut self, value: V) -> Self where V: TryInto<types::UpdateDiskBody>,<V as TryInto<types::UpdateDiskBody>>::Error: std::fmt::Display,
builder: UpdateDisk<'a>::async fn send(self) -> Result<ResponseValue<types::UpdateDiskResponse>, Error<types::ErrorEnvelope>>
";

/// A rename reads as the lines it removes and the lines it adds, in the
/// diff's order; the line both outlines share is not shown.
#[test]
fn the_update_disk_rename_reads_as_its_removed_and_added_lines() {
    let lines = changed_lines(BEFORE_RENAME, AFTER_RENAME);
    let signed = |sign: char| -> Vec<&str> {
        let lines = lines.iter().filter(|(s, _)| *s == sign);
        lines.map(|(_, line)| line.as_str()).collect()
    };
    let (removed, added) = (signed('-'), signed('+'));
    assert_eq!(removed.len(), 9, "{removed:#?}");
    assert_eq!(added.len(), 9, "{added:#?}");
    assert!(
        removed
            .iter()
            .all(|l| l.contains("PatchDisk") || l.contains("patch_disk"))
    );
    assert!(
        added
            .iter()
            .all(|l| l.contains("UpdateDisk") || l.contains("update_disk"))
    );
    for shared in ["struct types::KeyValue", "struct Client { .. }"] {
        assert!(
            !lines.iter().any(|(_, line)| line.starts_with(shared)),
            "{lines:#?}"
        );
    }

    let text = report(BEFORE_RENAME, AFTER_RENAME, "0.1.0+katapult.2.68.0");
    let mut text_lines = text.lines();
    assert_eq!(
        text_lines.next(),
        Some(
            "public API: 9 outline line(s) removed, 9 added (version 0.1.0+katapult.2.68.0); \
             `cargo xtask release-check` judges them with cargo-semver-checks"
        ),
        "{text}"
    );
    assert!(text.contains("\n  - Client::fn patch_disk(&self) -> builder::PatchDisk<'_>\n"));
    assert!(text.contains("\n  + Client::fn update_disk(&self) -> builder::UpdateDisk<'_>\n"));
    assert_eq!(text_lines.count(), 18, "{text}");
}

#[test]
fn the_committed_outline_against_itself_is_unchanged() {
    let root = xtask::workspace_root();
    let snapshot = std::fs::read_to_string(
        root.join("xtask/tests/snapshots/fragment__public_api_outline.snap"),
    )
    .unwrap();
    let outline = outline_from_snapshot(&snapshot);
    assert!(
        outline.starts_with("enum ") || outline.starts_with("struct "),
        "{outline}"
    );
    assert!(changed_lines(outline, outline).is_empty());
    let text = report(outline, outline, "0.1.0+katapult.2.68.0");
    assert_eq!(
        text,
        "public API: unchanged (version 0.1.0+katapult.2.68.0)\n"
    );
}

/// release-check reads the crates' versions, with the build metadata that
/// names the upstream document, and release tags, as semver.
#[test]
fn versions_are_semver_with_build_metadata() {
    let version = Version::parse("0.1.0+katapult.2.68.0").unwrap();
    assert_eq!((version.major, version.minor, version.patch), (0, 1, 0));
    assert_eq!(version.build.as_str(), "katapult.2.68.0");
    assert_eq!(version.to_string(), "0.1.0+katapult.2.68.0");
    assert!(Version::parse("0.1").is_err());
    assert!(Version::parse("x.y.z").is_err());
}

#[test]
fn codegen_reports_against_the_committed_outline() {
    let root = xtask::workspace_root();
    let snapshot =
        std::fs::read_to_string(root.join(xtask::api_change::COMMITTED_OUTLINE)).unwrap();
    let committed = outline_from_snapshot(&snapshot);
    let version = xtask::api_change::package_version(&root).unwrap();
    assert!(version.contains("+katapult."), "{version}");

    let same = xtask::api_change::report_against_committed(&root, committed).unwrap();
    assert_eq!(same, format!("public API: unchanged (version {version})\n"));

    // One more open-enum value than committed: its line, before and after.
    let grown = committed.replace(
        "Importing = \"importing\", Unknown(String)",
        "Importing = \"importing\", Migrating = \"migrating\", Unknown(String)",
    );
    assert_ne!(grown, committed, "the outline lists DiskStateEnum");
    let text = xtask::api_change::report_against_committed(&root, &grown).unwrap();
    assert!(
        text.starts_with("public API: 1 outline line(s) removed, 1 added"),
        "{text}"
    );
    let line = |sign| format!("\n  {sign} open enum types::DiskStateEnum {{ ");
    assert!(
        text.contains(&line('-')) && text.contains(&line('+')),
        "{text}"
    );
    assert!(text.contains("Migrating = \"migrating\""), "{text}");
    assert_eq!(text.lines().count(), 3, "{text}");
}
