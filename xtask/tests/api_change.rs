//! Classifying changes to the generated public API, and the version bump
//! they call for.

use xtask::api_change::{
    ApiChange, Bump, ChangeKind, Severity, Version, bump, classify, outline_from_snapshot, report,
};

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

fn v(text: &str) -> Version {
    Version::parse(text).unwrap()
}

fn kinds(changes: &[ApiChange]) -> Vec<(Severity, String, ChangeKind)> {
    changes
        .iter()
        .map(|c| (c.severity, c.item.clone(), c.kind.clone()))
        .collect()
}

#[test]
fn the_update_disk_rename_is_a_set_of_breaking_renames() {
    let changes = classify(BEFORE_RENAME, AFTER_RENAME);
    let renamed = |from: &str, to: &str| {
        (
            Severity::Breaking,
            from.to_owned(),
            ChangeKind::Renamed(to.to_owned()),
        )
    };
    let mut expected = vec![
        renamed("types::PatchDiskBody", "types::UpdateDiskBody"),
        renamed("types::PatchDiskResponse", "types::UpdateDiskResponse"),
        renamed("builder::PatchDisk", "builder::UpdateDisk"),
        renamed("Client::fn patch_disk", "Client::fn update_disk"),
        renamed(
            "types: PatchDiskBody::fn builder",
            "types: UpdateDiskBody::fn builder",
        ),
        renamed(
            "types: PatchDiskResponse::fn builder",
            "types: UpdateDiskResponse::fn builder",
        ),
        renamed("builder: PatchDisk::fn new", "builder: UpdateDisk::fn new"),
        renamed(
            "builder: PatchDisk::fn body",
            "builder: UpdateDisk::fn body",
        ),
        renamed(
            "builder: PatchDisk::fn send",
            "builder: UpdateDisk::fn send",
        ),
    ];
    expected.sort();
    let mut found = kinds(&changes);
    found.sort();
    assert_eq!(found, expected, "{}", report(&changes, "0.1.0"));

    let (kind, next, _) = bump(&changes, &v("0.1.0+katapult.2.68.0"));
    assert_eq!(kind, Bump::Minor);
    assert_eq!(next.to_string(), "0.2.0+katapult.2.68.0");
    let text = report(&changes, "0.1.0+katapult.2.68.0");
    assert!(
        text.contains("renamed: types::PatchDiskBody -> types::UpdateDiskBody"),
        "{text}"
    );
    assert!(
        text.contains("version: 0.1.0+katapult.2.68.0 -> 0.2.0+katapult.2.68.0"),
        "{text}"
    );
}

const DISK_ARGUMENTS: &str =
    "struct types::DiskArguments { bus_type: Option<DiskBusArgument>, name: Option<String> }";
const DISK_STATE: &str =
    "open enum types::DiskStateEnum { Built = \"built\", Failed = \"failed\", Unknown(String) }";
const BUS: &str = "enum types::DiskBusArgument { Scsi, Virtio }";
const ERROR: &str = "enum types::KatapultError { DiskNotFound { description: String, detail: serde_json::Map<String, serde_json::Value> } }";

fn outline(lines: &[&str]) -> String {
    lines.join("\n") + "\n"
}

fn only_change(old: &[&str], new: &[&str]) -> ApiChange {
    let changes = classify(&outline(old), &outline(new));
    assert_eq!(changes.len(), 1, "{changes:#?}");
    changes.into_iter().next().unwrap()
}

#[test]
fn a_new_field_in_a_struct_with_public_fields_is_breaking() {
    let change = only_change(
        &[DISK_ARGUMENTS],
        &[
            "struct types::DiskArguments { bus_type: Option<DiskBusArgument>, colour: Option<String>, name: Option<String> }",
        ],
    );
    assert_eq!(change.severity, Severity::Breaking);
    assert_eq!(
        change.kind,
        ChangeKind::FieldAdded("colour: Option<String>".to_owned())
    );
    assert!(change.to_string().contains("struct literals"), "{change}");
}

#[test]
fn a_removed_field_and_a_changed_type_are_breaking() {
    let change = only_change(
        &[DISK_ARGUMENTS],
        &["struct types::DiskArguments { bus_type: Option<DiskBusArgument> }"],
    );
    assert_eq!(change.kind, ChangeKind::FieldRemoved("name".to_owned()));
    let change = only_change(
        &[DISK_ARGUMENTS],
        &["struct types::DiskArguments { bus_type: Option<DiskBusArgument>, name: String }"],
    );
    assert_eq!(change.severity, Severity::Breaking);
    assert_eq!(
        change.kind,
        ChangeKind::FieldTypeChanged(
            "name".to_owned(),
            "Option<String>".to_owned(),
            "String".to_owned()
        )
    );
}

#[test]
fn a_new_variant_of_an_open_enum_is_additive() {
    let change = only_change(
        &[DISK_STATE],
        &[
            "open enum types::DiskStateEnum { Built = \"built\", Failed = \"failed\", Migrating = \"migrating\", Unknown(String) }",
        ],
    );
    assert_eq!(change.severity, Severity::Additive);
    assert_eq!(
        change.kind,
        ChangeKind::VariantAdded("Migrating".to_owned())
    );
    let (kind, next, _) = bump(std::slice::from_ref(&change), &v("0.1.0"));
    assert_eq!((kind, next.to_string()), (Bump::Patch, "0.1.1".to_owned()));
    let (kind, next, _) = bump(&[change], &v("1.4.2"));
    assert_eq!((kind, next.to_string()), (Bump::Minor, "1.5.0".to_owned()));
}

#[test]
fn a_removed_variant_of_an_open_enum_is_breaking() {
    let change = only_change(
        &[DISK_STATE],
        &["open enum types::DiskStateEnum { Built = \"built\", Unknown(String) }"],
    );
    assert_eq!(change.severity, Severity::Breaking);
    assert_eq!(change.kind, ChangeKind::VariantRemoved("Failed".to_owned()));
}

#[test]
fn a_new_variant_of_a_closed_enum_is_breaking() {
    let change = only_change(
        &[BUS],
        &["enum types::DiskBusArgument { Ide, Scsi, Virtio }"],
    );
    assert_eq!(change.severity, Severity::Breaking);
    assert_eq!(change.kind, ChangeKind::VariantAdded("Ide".to_owned()));
    // A new error code: a new variant of the generated error union.
    let change = only_change(
        &[ERROR],
        &[
            "enum types::KatapultError { DiskNotFound { description: String, detail: serde_json::Map<String, serde_json::Value> }, DiskLocked { description: String, detail: serde_json::Map<String, serde_json::Value> } }",
        ],
    );
    assert_eq!(change.severity, Severity::Breaking);
    let (kind, next, _) = bump(&[change], &v("1.4.2"));
    assert_eq!((kind, next.to_string()), (Bump::Major, "2.0.0".to_owned()));
}

#[test]
fn a_closed_enum_made_open_is_breaking() {
    let change = only_change(
        &[BUS],
        &[
            "open enum types::DiskBusArgument { Scsi = \"scsi\", Virtio = \"virtio\", Unknown(String) }",
        ],
    );
    assert_eq!(change.severity, Severity::Breaking);
    assert!(
        matches!(change.kind, ChangeKind::ShapeChanged(_)),
        "{change:?}"
    );
}

#[test]
fn a_new_item_is_additive_and_a_removed_one_breaking() {
    let change = only_change(&[BUS], &[BUS, DISK_ARGUMENTS]);
    assert_eq!(change.severity, Severity::Additive);
    assert_eq!(change.kind, ChangeKind::Added);
    assert_eq!(change.item, "types::DiskArguments");
    let change = only_change(&[BUS, DISK_ARGUMENTS], &[BUS]);
    assert_eq!(change.severity, Severity::Breaking);
    assert_eq!(change.kind, ChangeKind::Removed);
}

#[test]
fn a_changed_signature_is_breaking() {
    let change = only_change(
        &["Client::fn update_disk(&self) -> builder::UpdateDisk<'_>"],
        &["Client::fn update_disk(&self, disk: &str) -> builder::UpdateDisk<'_>"],
    );
    assert_eq!(change.severity, Severity::Breaking);
    assert_eq!(change.item, "Client::fn update_disk");
    assert!(matches!(change.kind, ChangeKind::SignatureChanged(_)));
}

#[test]
fn an_optional_field_becoming_option_vec_is_a_type_change() {
    // Item 5 of the same issue: annotations become `Option<Vec<KeyValue>>`.
    let change = only_change(
        &["struct types::UpdateDiskBody { annotations: Vec<KeyValue>, disk: DiskLookup }"],
        &["struct types::UpdateDiskBody { annotations: Option<Vec<KeyValue>>, disk: DiskLookup }"],
    );
    assert_eq!(change.severity, Severity::Breaking);
    assert!(
        matches!(change.kind, ChangeKind::FieldTypeChanged(..)),
        "{change:?}"
    );
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
    assert!(classify(outline, outline).is_empty());
    let text = report(&[], "0.1.0+katapult.2.68.0");
    assert_eq!(
        text,
        "public API: unchanged\nversion: 0.1.0+katapult.2.68.0 (no version bump needed)\n"
    );
}

#[test]
fn versions_are_semver_with_build_metadata() {
    let version = v("0.1.0+katapult.2.68.0");
    assert_eq!((version.major, version.minor, version.patch), (0, 1, 0));
    assert_eq!(version.build.as_str(), "katapult.2.68.0");
    assert_eq!(version.to_string(), "0.1.0+katapult.2.68.0");
    assert!(Version::parse("0.1").is_err());
    assert!(Version::parse("x.y.z").is_err());
    // A pre-release is dropped by a bump, the build metadata kept.
    let (_, next, _) = bump(
        &classify(BUS, DISK_ARGUMENTS),
        &v("0.1.0-rc.1+katapult.2.68.0"),
    );
    assert_eq!(next.to_string(), "0.2.0+katapult.2.68.0");
    assert!(report(&[], "0.1").contains("version: `0.1` is not a semver version"));
}

#[test]
fn a_rename_that_also_changes_a_field_is_told_apart_from_a_removal() {
    let changes = classify(
        &outline(&[
            "struct types::PatchDiskBody { annotations: Vec<KeyValue>, disk: DiskLookup }",
            "types: PatchDiskBody::fn builder() -> builder::PatchDiskBody",
        ]),
        &outline(&[
            "struct types::UpdateDiskBody { annotations: Option<Vec<KeyValue>>, disk: DiskLookup }",
            "types: UpdateDiskBody::fn builder() -> builder::UpdateDiskBody",
        ]),
    );
    let mut found = kinds(&changes);
    found.sort();
    let mut expected = vec![
        (
            Severity::Breaking,
            "types::PatchDiskBody".to_owned(),
            ChangeKind::Renamed("types::UpdateDiskBody".to_owned()),
        ),
        (
            Severity::Breaking,
            "types::UpdateDiskBody".to_owned(),
            ChangeKind::FieldTypeChanged(
                "annotations".to_owned(),
                "Vec<KeyValue>".to_owned(),
                "Option<Vec<KeyValue>>".to_owned(),
            ),
        ),
        (
            Severity::Breaking,
            "types: PatchDiskBody::fn builder".to_owned(),
            ChangeKind::Renamed("types: UpdateDiskBody::fn builder".to_owned()),
        ),
    ];
    expected.sort();
    assert_eq!(found, expected);
}

#[test]
fn a_changed_impl_argument_is_one_breaking_change() {
    let change = only_change(
        &["impl ClientInfo<crate::transport::Transport> for Client"],
        &["impl ClientInfo<crate::settings::ClientSettings> for Client"],
    );
    assert_eq!(change.severity, Severity::Breaking);
    assert!(
        matches!(change.kind, ChangeKind::SignatureChanged(_)),
        "{change:?}"
    );
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
    assert!(same.starts_with("public API: unchanged\n"), "{same}");

    // One more open-enum value than committed: additive, a patch release.
    let grown = committed.replace(
        "Importing = \"importing\", Unknown(String)",
        "Importing = \"importing\", Migrating = \"migrating\", Unknown(String)",
    );
    assert_ne!(grown, committed, "the outline lists DiskStateEnum");
    let text = xtask::api_change::report_against_committed(&root, &grown).unwrap();
    assert!(
        text.contains("additive  new variant types::DiskStateEnum::Migrating"),
        "{text}"
    );
    let current = Version::parse(&version).unwrap();
    let (_, next, _) = bump(&classify(committed, &grown), &current);
    assert!(
        text.contains(&format!("version: {current} -> {next}")),
        "{text}"
    );
}

/// Every kind of change, as the report words it.
#[test]
fn every_change_kind_has_its_wording() {
    use xtask::api_change::Shape;
    let line = |shape, kind| ApiChange::new(shape, "types::T", kind).to_string();
    let s = |text: &str| text.to_owned();
    let cases = [
        (Shape::Other, ChangeKind::Added, "new: types::T"),
        (Shape::Other, ChangeKind::Removed, "removed: types::T"),
        (
            Shape::Other,
            ChangeKind::Renamed(s("types::U")),
            "renamed: types::T -> types::U",
        ),
        (
            Shape::Struct,
            ChangeKind::FieldAdded(s("a: A")),
            "new field types::T.a: A (struct literals without `..Default::default()` stop compiling)",
        ),
        (
            Shape::OpaqueStruct,
            ChangeKind::FieldAdded(s("a: A")),
            "new field types::T.a: A",
        ),
        (
            Shape::Struct,
            ChangeKind::FieldRemoved(s("a")),
            "removed field types::T.a",
        ),
        (
            Shape::Struct,
            ChangeKind::FieldTypeChanged(s("a"), s("A"), s("B")),
            "type of types::T.a: A -> B",
        ),
        (
            Shape::ClosedEnum,
            ChangeKind::VariantAdded(s("V")),
            "new variant types::T::V (closed enum: exhaustive matches stop compiling)",
        ),
        (
            Shape::OpenEnum,
            ChangeKind::VariantAdded(s("V")),
            "new variant types::T::V (open enum)",
        ),
        (
            Shape::OpenEnum,
            ChangeKind::VariantRemoved(s("V")),
            "removed variant types::T::V",
        ),
        (
            Shape::ClosedEnum,
            ChangeKind::VariantChanged(s("V")),
            "changed variant types::T::V",
        ),
        (
            Shape::Struct,
            ChangeKind::ShapeChanged(s("how")),
            "types::T: how",
        ),
        (
            Shape::Other,
            ChangeKind::SignatureChanged(s("fn f()")),
            "signature of types::T: now fn f()",
        ),
    ];
    for (shape, kind, expected) in cases {
        assert_eq!(line(shape, kind), expected);
    }
}

/// Each bump, with its reason, above and below 1.0.
#[test]
fn the_report_says_why_each_bump() {
    use xtask::api_change::Shape;
    let added = [ApiChange::new(Shape::Other, "types::T", ChangeKind::Added)];
    let removed = [ApiChange::new(
        Shape::Other,
        "types::T",
        ChangeKind::Removed,
    )];
    let cases: [(&[ApiChange], &str, &str); 4] = [
        (
            &added,
            "0.1.0",
            "version: 0.1.0 -> 0.1.1 (additive changes below 1.0 bump the patch version)\n",
        ),
        (
            &removed,
            "0.1.0",
            "version: 0.1.0 -> 0.2.0 (breaking changes below 1.0 bump the minor version)\n",
        ),
        (
            &added,
            "1.2.3",
            "version: 1.2.3 -> 1.3.0 (additive changes bump the minor version)\n",
        ),
        (
            &removed,
            "1.2.3",
            "version: 1.2.3 -> 2.0.0 (breaking changes bump the major version)\n",
        ),
    ];
    for (changes, version, last) in cases {
        let text = report(changes, version);
        assert!(text.ends_with(last), "{text}");
    }
    let text = report(&removed, "0.1.0");
    assert!(
        text.starts_with(
            "public API: 1 change(s), 1 breaking, 0 additive\n  breaking  removed: types::T\n"
        ),
        "{text}"
    );
}
