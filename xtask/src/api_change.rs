//! The one judge of API breakage: [`severity`] holds the rules (semver as
//! Cargo applies it), [`classify`] applies them to two outlines
//! (`crate::outline`), drift and release-check ask it. Not
//! cargo-semver-checks: codegen must answer in seconds, without two rustdoc
//! builds; release-check runs that as a cross-check when installed.

use std::collections::BTreeMap;
use std::fmt::{self, Write};
use std::path::Path;

pub use semver::Version;

use crate::outline::{self, Entry};

/// Kept in step with the generated code by the fragment test.
pub const COMMITTED_OUTLINE: &str = "xtask/tests/snapshots/fragment__public_api_outline.snap";
/// The manifest whose version a bump applies to (both crates share it).
pub const CORE_MANIFEST: &str = "crates/katapult-core/Cargo.toml";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Breaking,
    Additive,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Breaking => "breaking",
            Severity::Additive => "additive",
        }
    }
}

/// The rules depend on the kind of item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Shape {
    /// A struct with public named fields.
    Struct,
    TupleStruct,
    /// A struct without public fields: built through a builder or `Default`.
    OpaqueStruct,
    UnitStruct,
    /// An enum without an `Unknown` variant.
    ClosedEnum,
    /// An `open_enum!` enum: `#[non_exhaustive]`, with `Unknown(String)`.
    OpenEnum,
    /// A method, a trait impl, a module.
    #[default]
    Other,
}

impl Shape {
    fn describe(self) -> &'static str {
        match self {
            Shape::Struct => "a struct with named fields",
            Shape::TupleStruct => "a tuple struct",
            Shape::OpaqueStruct => "a struct without public fields",
            Shape::UnitStruct => "a unit struct",
            Shape::ClosedEnum => "a closed enum",
            Shape::OpenEnum => "an open enum",
            Shape::Other => "an item",
        }
    }
}

/// `Renamed` holds the new name, `FieldAdded` `field: Type`,
/// `FieldTypeChanged` the field, old and new type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    Added,
    Removed,
    Renamed(String),
    FieldAdded(String),
    FieldRemoved(String),
    FieldTypeChanged(String, String, String),
    VariantAdded(String),
    VariantRemoved(String),
    VariantChanged(String),
    ShapeChanged(String),
    SignatureChanged(String),
}

/// Breaking unless added: an item, a variant of an open enum, a field of a
/// struct without public fields (a new field breaks struct literals, a new
/// variant of a closed enum exhaustive matches).
pub fn severity(shape: Shape, kind: &ChangeKind) -> Severity {
    match (shape, kind) {
        (_, ChangeKind::Added)
        | (Shape::OpenEnum, ChangeKind::VariantAdded(_))
        | (Shape::OpaqueStruct, ChangeKind::FieldAdded(_)) => Severity::Additive,
        _ => Severity::Breaking,
    }
}

/// One change to the public API, to the item as the outline names it
/// (`types::DiskArguments`, `Client::fn update_disk`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiChange {
    pub severity: Severity,
    pub item: String,
    pub kind: ChangeKind,
}

impl ApiChange {
    pub fn new(shape: Shape, item: &str, kind: ChangeKind) -> Self {
        Self {
            severity: severity(shape, &kind),
            item: item.to_owned(),
            kind,
        }
    }
}

impl fmt::Display for ApiChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (item, breaking) = (&self.item, self.severity == Severity::Breaking);
        match &self.kind {
            ChangeKind::Added => write!(f, "new: {item}"),
            ChangeKind::Removed => write!(f, "removed: {item}"),
            ChangeKind::Renamed(to) => write!(f, "renamed: {item} -> {to}"),
            ChangeKind::FieldAdded(field) if breaking => write!(
                f,
                "new field {item}.{field} (struct literals without `..Default::default()` stop compiling)"
            ),
            ChangeKind::FieldAdded(field) => write!(f, "new field {item}.{field}"),
            ChangeKind::FieldRemoved(field) => write!(f, "removed field {item}.{field}"),
            ChangeKind::FieldTypeChanged(field, old, new) => {
                write!(f, "type of {item}.{field}: {old} -> {new}")
            }
            ChangeKind::VariantAdded(variant) if breaking => write!(
                f,
                "new variant {item}::{variant} (closed enum: exhaustive matches stop compiling)"
            ),
            ChangeKind::VariantAdded(variant) => {
                write!(f, "new variant {item}::{variant} (open enum)")
            }
            ChangeKind::VariantRemoved(variant) => write!(f, "removed variant {item}::{variant}"),
            ChangeKind::VariantChanged(variant) => write!(f, "changed variant {item}::{variant}"),
            ChangeKind::ShapeChanged(how) => write!(f, "{item}: {how}"),
            ChangeKind::SignatureChanged(new) => write!(f, "signature of {item}: now {new}"),
        }
    }
}

/// Every change from the outline `old` to the outline `new`, breaking first,
/// then by item. A removed type is renamed when exactly one new type has its
/// body, or else its member names; methods and impls that differ only by a
/// renamed type (or a method by its own name) follow the rename.
pub fn classify(old: &str, new: &str) -> Vec<ApiChange> {
    let (old, new) = (outline::read(old), outline::read(new));
    let removed: Vec<&Entry> = old.values().filter(|e| !new.contains_key(&e.key)).collect();
    let mut added: Vec<&Entry> = new.values().filter(|e| !old.contains_key(&e.key)).collect();
    let renames = renamed_types(&removed, &added);
    let renamed = |text: &str| rename_words(text, &renames);
    let mut changes = Vec::new();
    for was in &removed {
        let Some(at) = added.iter().position(|now| is_renamed(was, now, &renamed)) else {
            changes.push(ApiChange::new(was.shape, &was.item, ChangeKind::Removed));
            continue;
        };
        // Paired once: what is left of `added` is new.
        let now = added.remove(at);
        let kind = ChangeKind::Renamed(now.item.clone());
        changes.push(ApiChange::new(was.shape, &was.item, kind));
        if was.shape != Shape::Other {
            compare(was, now, &renamed, &mut changes);
        }
    }
    for now in &added {
        changes.push(ApiChange::new(now.shape, &now.item, ChangeKind::Added));
    }
    for (key, was) in &old {
        if let Some(now) = new.get(key) {
            compare(was, now, &renamed, &mut changes);
        }
    }
    changes.sort();
    changes.dedup();
    changes
}

/// Removed types paired with added ones (old name to new name): first by an
/// identical body, then by the same member names; each only when exactly
/// one type on each side fits.
fn renamed_types(removed: &[&Entry], added: &[&Entry]) -> BTreeMap<String, String> {
    type Signature = fn(&Entry) -> Option<String>;
    let by_body: Signature =
        |e| (e.shape != Shape::Other).then(|| format!("{:?}{}", e.shape, e.body));
    // Only types have members.
    let by_members: Signature = |e| {
        let names: Vec<&String> = e.members.keys().collect();
        (!names.is_empty()).then(|| format!("{:?}{names:?}", e.shape))
    };
    let mut renames = BTreeMap::new();
    for signature in [by_body, by_members] {
        for was in removed {
            let wanted = signature(was);
            let fits = |e: &&&Entry| wanted.is_some() && signature(e) == wanted;
            let free = |e: &&&Entry| fits(e) && !renames.values().any(|name| *name == e.name);
            let candidates: Vec<&&Entry> = added.iter().filter(free).collect();
            if let [only] = candidates[..]
                && removed.iter().filter(fits).count() == 1
                && !renames.contains_key(&was.name)
            {
                renames.insert(was.name.clone(), only.name.clone());
            }
        }
    }
    renames
}

/// Whether `now` is `was` under renamed types, or the same method of the
/// same type under another name.
fn is_renamed(was: &Entry, now: &Entry, renamed: &dyn Fn(&str) -> String) -> bool {
    match (was.shape, now.shape) {
        (Shape::Other, Shape::Other) => {
            let body = renamed(&was.body);
            let own_name = BTreeMap::from([(was.name.clone(), now.name.clone())]);
            body == now.body
                || !was.owner.is_empty()
                    && renamed(&was.owner) == now.owner
                    && rename_words(&body, &own_name) == now.body
        }
        (Shape::Other, _) | (_, Shape::Other) => false,
        // The path ends in the name.
        _ => renamed(&was.item) == now.item,
    }
}

/// Changes inside an entry both outlines have (or a renamed type).
fn compare(was: &Entry, now: &Entry, renamed: &dyn Fn(&str) -> String, out: &mut Vec<ApiChange>) {
    // A type goes by its new path; a method by its key, an impl by its old line.
    let item = match now.shape {
        Shape::Other => &was.item,
        _ => &now.item,
    };
    let mut push = |kind| out.push(ApiChange::new(now.shape, item, kind));
    if was.shape != now.shape {
        let how = format!("{} -> {}", was.shape.describe(), now.shape.describe());
        return push(ChangeKind::ShapeChanged(how));
    }
    let struct_ = now.shape == Shape::Struct;
    for (name, rest) in &was.members {
        let (rest, name) = (renamed(rest), name.clone());
        push(match now.members.get(&name) {
            Some(new) if *new == rest => continue,
            Some(new) if struct_ => ChangeKind::FieldTypeChanged(name, rest, new.clone()),
            Some(_) => ChangeKind::VariantChanged(name),
            None if struct_ => ChangeKind::FieldRemoved(name),
            None => ChangeKind::VariantRemoved(name),
        });
    }
    for (name, rest) in &now.members {
        if was.members.contains_key(name) {
            continue;
        }
        push(match struct_ {
            true => ChangeKind::FieldAdded(format!("{name}: {rest}")),
            false => ChangeKind::VariantAdded(name.clone()),
        });
    }
    let body = renamed(&was.body);
    let (old, new) = (body.trim(), now.body.trim());
    match now.shape {
        _ if body == now.body => {}
        Shape::TupleStruct => push(ChangeKind::ShapeChanged(format!("fields {old} -> {new}"))),
        Shape::Other => push(ChangeKind::SignatureChanged(now.body.clone())),
        _ => {}
    }
}

/// Replaces whole identifiers per `renames`.
fn rename_words(text: &str, renames: &BTreeMap<String, String>) -> String {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    // Each piece is a word and the one character that ends it, if any.
    let pieces = text.split_inclusive(|c: char| !is_word(c)).map(|piece| {
        let word = piece.trim_end_matches(|c: char| !is_word(c));
        let renamed = renames.get(word).map_or(word, String::as_str);
        format!("{renamed}{}", &piece[word.len()..])
    });
    pieces.collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bump {
    None,
    Patch,
    Minor,
    Major,
}

/// The bump `changes` call for from `current`, the version after it (build
/// metadata kept) and why. Below 1.0 Cargo treats `0.x.y` and `0.x.z` as
/// compatible, so breaking bumps the minor and additive the patch number.
pub fn bump(changes: &[ApiChange], current: &Version) -> (Bump, Version, &'static str) {
    let breaking = changes.iter().any(|c| c.severity == Severity::Breaking);
    let (bump, why) = match (current.major, breaking) {
        _ if changes.is_empty() => return (Bump::None, current.clone(), "no version bump needed"),
        (0, true) => (
            Bump::Minor,
            "breaking changes below 1.0 bump the minor version",
        ),
        (0, false) => (
            Bump::Patch,
            "additive changes below 1.0 bump the patch version",
        ),
        (_, true) => (Bump::Major, "breaking changes bump the major version"),
        (_, false) => (Bump::Minor, "additive changes bump the minor version"),
    };
    let mut next = current.clone();
    next.pre = semver::Prerelease::EMPTY;
    match bump {
        Bump::Patch => next.patch += 1,
        Bump::Minor => (next.minor, next.patch) = (next.minor + 1, 0),
        _ => (next.major, next.minor, next.patch) = (next.major + 1, 0, 0),
    }
    (bump, next, why)
}

/// The changes, one per line, and the version they call for.
pub fn report(changes: &[ApiChange], current_version: &str) -> String {
    let breaking = (changes.iter()).filter(|c| c.severity == Severity::Breaking);
    let (total, breaking) = (changes.len(), breaking.count());
    let mut out = match total {
        0 => "public API: unchanged\n".to_owned(),
        _ => format!(
            "public API: {total} change(s), {breaking} breaking, {} additive\n",
            total - breaking
        ),
    };
    for change in changes {
        let _ = writeln!(out, "  {:<8}  {change}", change.severity.as_str());
    }
    let _ = match Version::parse(current_version) {
        Err(error) => writeln!(
            out,
            "version: `{current_version}` is not a semver version: {error}"
        ),
        Ok(current) => match bump(changes, &current) {
            (Bump::None, _, why) => writeln!(out, "version: {current} ({why})"),
            (_, next, why) => writeln!(out, "version: {current} -> {next} ({why})"),
        },
    };
    out
}

/// The outline inside an insta snapshot (after its `---` front matter), or
/// the text itself when it has none.
pub fn outline_from_snapshot(snapshot: &str) -> &str {
    snapshot
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map_or(snapshot, |(_, outline)| outline)
}

/// The [`report`] from the committed outline to `new_outline`.
pub fn report_against_committed(root: &Path, new_outline: &str) -> Result<String, String> {
    let committed = std::fs::read_to_string(root.join(COMMITTED_OUTLINE))
        .map_err(|e| format!("cannot read {COMMITTED_OUTLINE}: {e}"))?;
    let changes = classify(outline_from_snapshot(&committed), new_outline);
    Ok(report(&changes, &package_version(root)?))
}

pub fn package_version(root: &Path) -> Result<String, String> {
    let manifest = std::fs::read_to_string(root.join(CORE_MANIFEST))
        .map_err(|e| format!("cannot read {CORE_MANIFEST}: {e}"))?;
    let manifest: toml::Table =
        toml::from_str(&manifest).map_err(|e| format!("{CORE_MANIFEST}: {e}"))?;
    let version = manifest
        .get("package")
        .and_then(|p| p.get("version")?.as_str());
    let missing = || format!("{CORE_MANIFEST} has no `version` in [package]");
    version.map(str::to_owned).ok_or_else(missing)
}
