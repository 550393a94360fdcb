//! What a regeneration does to the public API: the changes between two
//! outlines of the generated client (`crate::outline`, one item per line),
//! each classified as breaking or additive, and the version bump that
//! follows for the crate's version.
//!
//! The rules (semver as Cargo applies it, and as cargo-semver-checks checks
//! it):
//!
//! - **breaking**: an item or field removed or renamed; a field's type or a
//!   method's signature changed; a struct turned into an enum (or back); a
//!   new field in a struct downstream code can build with a literal (every
//!   struct whose fields the outline lists: generated structs have public
//!   fields); a new variant in a closed enum; a closed enum made open (its
//!   `Unknown` variant and `#[non_exhaustive]` break exhaustive matches);
//! - **additive**: a new item; a new variant in an open enum (the
//!   `open_enum!` enums are `#[non_exhaustive]`); a new field in a struct
//!   built only through its builder or `Default` (the outline shows it as
//!   `{ .. }`: no public fields).
//!
//! A rename is told from a removal plus an addition when exactly one new
//! item has the removed one's body (fields or variants); methods and impls
//! that differ only by a renamed type follow its rename.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write};
use std::path::Path;

/// The committed outline of the generated public API: the snapshot the
/// fragment test keeps in step with the generated code.
pub const COMMITTED_OUTLINE: &str = "xtask/tests/snapshots/fragment__public_api_outline.snap";
/// The manifest whose version a bump applies to (both crates share it).
pub const CORE_MANIFEST: &str = "crates/katapult-core/Cargo.toml";

/// Whether downstream code can break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Downstream code may stop compiling.
    Breaking,
    /// Downstream code keeps compiling.
    Additive,
}

impl Severity {
    /// `breaking` or `additive`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Breaking => "breaking",
            Severity::Additive => "additive",
        }
    }
}

/// What happened to an item.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    /// A new item.
    Added,
    /// An item that is gone.
    Removed,
    /// An item under a new name (the new name).
    Renamed(String),
    /// A new field (its name and type).
    FieldAdded(String),
    /// A field that is gone.
    FieldRemoved(String),
    /// A field whose type changed (its name, old type, new type).
    FieldTypeChanged(String, String, String),
    /// A new enum variant.
    VariantAdded(String),
    /// An enum variant that is gone.
    VariantRemoved(String),
    /// An enum variant whose fields changed.
    VariantChanged(String),
    /// A struct that became an enum, a closed enum that became open, ...
    ShapeChanged(String),
    /// A method whose signature changed (the new signature).
    SignatureChanged(String),
}

/// One change to the public API.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiChange {
    /// Breaking or additive.
    pub severity: Severity,
    /// The item, as the outline names it (`types::DiskArguments`,
    /// `Client::fn update_disk`).
    pub item: String,
    /// What happened to it.
    pub kind: ChangeKind,
}

impl fmt::Display for ApiChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let item = &self.item;
        match &self.kind {
            ChangeKind::Added => write!(f, "new: {item}"),
            ChangeKind::Removed => write!(f, "removed: {item}"),
            ChangeKind::Renamed(to) => write!(f, "renamed: {item} -> {to}"),
            ChangeKind::FieldAdded(field) => match self.severity {
                Severity::Breaking => write!(
                    f,
                    "new field {item}.{field} (struct literals without `..Default::default()` stop compiling)"
                ),
                Severity::Additive => write!(f, "new field {item}.{field}"),
            },
            ChangeKind::FieldRemoved(field) => write!(f, "removed field {item}.{field}"),
            ChangeKind::FieldTypeChanged(field, old, new) => {
                write!(f, "type of {item}.{field}: {old} -> {new}")
            }
            ChangeKind::VariantAdded(variant) => match self.severity {
                Severity::Breaking => write!(
                    f,
                    "new variant {item}::{variant} (closed enum: exhaustive matches stop compiling)"
                ),
                Severity::Additive => write!(f, "new variant {item}::{variant} (open enum)"),
            },
            ChangeKind::VariantRemoved(variant) => write!(f, "removed variant {item}::{variant}"),
            ChangeKind::VariantChanged(variant) => write!(f, "changed variant {item}::{variant}"),
            ChangeKind::ShapeChanged(how) => write!(f, "{item}: {how}"),
            ChangeKind::SignatureChanged(new) => write!(f, "signature of {item}: now {new}"),
        }
    }
}

/// How a change of `kind` rates by the rules above, for a caller that knows
/// the change without two outlines to compare: the drift check, which knows
/// what following upstream would do to the generated API. `open` says
/// whether the enum a variant is added to is open.
pub fn severity(kind: &ChangeKind, open: bool) -> Severity {
    match kind {
        ChangeKind::Added => Severity::Additive,
        ChangeKind::VariantAdded(_) if open => Severity::Additive,
        _ => Severity::Breaking,
    }
}

/// Classifies every change from the outline `old` to the outline `new`.
/// The result is sorted: breaking changes first, then by item.
pub fn classify(old: &str, new: &str) -> Vec<ApiChange> {
    let old_items = parse(old);
    let new_items = parse(new);
    let mut changes = Vec::new();

    let removed: Vec<&String> = old_items
        .keys()
        .filter(|k| !new_items.contains_key(*k))
        .collect();
    let added: Vec<&String> = new_items
        .keys()
        .filter(|k| !old_items.contains_key(*k))
        .collect();

    // Renamed types: exactly one added type with the removed one's body.
    let mut renames: BTreeMap<String, String> = BTreeMap::new();
    for key in &removed {
        let Item::Type(old_type) = &old_items[*key] else {
            continue;
        };
        let candidates: Vec<&&String> = added
            .iter()
            .filter(|k| matches!(&new_items[**k], Item::Type(t) if t.body == old_type.body))
            .collect();
        let same_body_removed = removed
            .iter()
            .filter(|k| matches!(&old_items[**k], Item::Type(t) if t.body == old_type.body))
            .count();
        if let [only] = candidates.as_slice()
            && same_body_removed == 1
            && let Item::Type(new_type) = &new_items[**only]
        {
            renames.insert(old_type.name.clone(), new_type.name.clone());
        }
    }
    // Then types whose members kept their names (a rename that also changed
    // a field's type): exactly one candidate each way.
    let members = |item: &Item| match item {
        Item::Type(t) => t.body.member_names(),
        _ => None,
    };
    for key in &removed {
        let Item::Type(old_type) = &old_items[*key] else {
            continue;
        };
        if renames.contains_key(&old_type.name) {
            continue;
        }
        let Some(names) = members(&old_items[*key]) else {
            continue;
        };
        let taken: BTreeSet<&String> = renames.values().collect();
        let candidates: Vec<&TypeItem> = added
            .iter()
            .filter_map(|k| match &new_items[*k] {
                Item::Type(t) if !taken.contains(&t.name) => Some(t),
                _ => None,
            })
            .filter(|t| {
                t.body.kind() == old_type.body.kind()
                    && t.body.member_names() == Some(names.clone())
            })
            .collect();
        let rivals = removed
            .iter()
            .filter(|k| members(&old_items[**k]).as_ref() == Some(&names))
            .count();
        if let [only] = candidates.as_slice()
            && rivals == 1
        {
            renames.insert(old_type.name.clone(), only.name.clone());
        }
    }
    let renamed = |text: &str| rename_words(text, &renames);

    let mut matched_added: BTreeSet<&String> = BTreeSet::new();
    for key in &removed {
        let old_item = &old_items[*key];
        // The same item under renamed types (or a renamed method).
        let counterpart = added.iter().find(|k| {
            !matched_added.contains(**k) && new_items[**k].matches_renamed(old_item, &renamed)
        });
        match counterpart {
            Some(new_key) => {
                matched_added.insert(new_key);
                changes.push(ApiChange {
                    severity: Severity::Breaking,
                    item: old_item.display(),
                    kind: ChangeKind::Renamed(new_items[*new_key].display()),
                });
                // What else changed under the new name.
                if let (Item::Type(o), Item::Type(n)) = (old_item, &new_items[*new_key]) {
                    compare_types(o, n, &renamed, &mut changes);
                }
            }
            None => changes.push(ApiChange {
                severity: Severity::Breaking,
                item: old_item.display(),
                kind: ChangeKind::Removed,
            }),
        }
    }
    for key in &added {
        if !matched_added.contains(*key) {
            changes.push(ApiChange {
                severity: Severity::Additive,
                item: new_items[*key].display(),
                kind: ChangeKind::Added,
            });
        }
    }
    for (key, old_item) in &old_items {
        if let Some(new_item) = new_items.get(key) {
            compare(old_item, new_item, &renamed, &mut changes);
        }
    }
    changes.sort();
    changes.dedup();
    changes
}

/// A semver version: `MAJOR.MINOR.PATCH`, an optional pre-release and build
/// metadata (`0.1.0+katapult.2.68.0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// MAJOR.
    pub major: u64,
    /// MINOR.
    pub minor: u64,
    /// PATCH.
    pub patch: u64,
    /// After `-`, if any.
    pub pre: Option<String>,
    /// After `+`, if any: for these crates, the upstream API version.
    pub build: Option<String>,
}

impl Version {
    /// Parses `MAJOR.MINOR.PATCH[-pre][+build]`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (rest, build) = match text.split_once('+') {
            Some((rest, build)) => (rest, Some(build.to_owned())),
            None => (text, None),
        };
        let (core, pre) = match rest.split_once('-') {
            Some((core, pre)) => (core, Some(pre.to_owned())),
            None => (rest, None),
        };
        let numbers: Vec<u64> = core
            .split('.')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| format!("`{text}` is not a semver version (MAJOR.MINOR.PATCH)"))?;
        let [major, minor, patch] = numbers[..] else {
            return Err(format!(
                "`{text}` is not a semver version (MAJOR.MINOR.PATCH)"
            ));
        };
        Ok(Self {
            major,
            minor,
            patch,
            pre,
            build,
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if let Some(pre) = &self.pre {
            write!(f, "-{pre}")?;
        }
        if let Some(build) = &self.build {
            write!(f, "+{build}")?;
        }
        Ok(())
    }
}

/// Which part of the version a release must increase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bump {
    /// Nothing in the public API changed.
    None,
    /// The third number.
    Patch,
    /// The second number.
    Minor,
    /// The first number.
    Major,
}

/// The bump `changes` call for from `current`, and the version after it
/// (build metadata kept: update it if the upstream version changed too).
/// Below 1.0, Cargo treats `0.x.y` and `0.x.z` as compatible: a breaking
/// change bumps the minor version and an additive one the patch version;
/// from 1.0, major and minor.
pub fn bump(changes: &[ApiChange], current: &Version) -> (Bump, Version) {
    let breaking = changes.iter().any(|c| c.severity == Severity::Breaking);
    let additive = !changes.is_empty();
    let bump = match (current.major, breaking, additive) {
        (_, false, false) => Bump::None,
        (0, true, _) => Bump::Minor,
        (0, false, true) => Bump::Patch,
        (_, true, _) => Bump::Major,
        (_, false, true) => Bump::Minor,
    };
    let mut next = current.clone();
    next.pre = None;
    match bump {
        Bump::None => next = current.clone(),
        Bump::Patch => next.patch += 1,
        Bump::Minor => {
            next.minor += 1;
            next.patch = 0;
        }
        Bump::Major => {
            next.major += 1;
            next.minor = 0;
            next.patch = 0;
        }
    }
    (bump, next)
}

/// The changes and the version they call for, for a terminal: one line per
/// change, breaking first, then the bump.
pub fn report(changes: &[ApiChange], current_version: &str) -> String {
    let mut out = String::new();
    let breaking = changes
        .iter()
        .filter(|c| c.severity == Severity::Breaking)
        .count();
    if changes.is_empty() {
        out.push_str("public API: unchanged\n");
    } else {
        let _ = writeln!(
            out,
            "public API: {} change(s), {breaking} breaking, {} additive",
            changes.len(),
            changes.len() - breaking
        );
        for change in changes {
            let _ = writeln!(out, "  {:<8}  {change}", change.severity.as_str());
        }
    }
    match Version::parse(current_version) {
        Ok(current) => {
            let (bump, next) = bump(changes, &current);
            let why = match (bump, current.major) {
                (Bump::None, _) => "no version bump needed".to_owned(),
                (Bump::Minor, 0) => "breaking changes below 1.0 bump the minor version".to_owned(),
                (Bump::Patch, 0) => "additive changes below 1.0 bump the patch version".to_owned(),
                (Bump::Major, _) => "breaking changes bump the major version".to_owned(),
                (Bump::Minor, _) => "additive changes bump the minor version".to_owned(),
                (Bump::Patch, _) => "a patch release".to_owned(),
            };
            if bump == Bump::None {
                let _ = writeln!(out, "version: {current} ({why})");
            } else {
                let _ = writeln!(out, "version: {current} -> {next} ({why})");
            }
        }
        Err(error) => {
            let _ = writeln!(out, "version: {error}");
        }
    }
    out
}

// ------------------------------------------------------------ the outline

/// A line of the outline, read back.
#[derive(Debug, Clone)]
enum Item {
    /// A struct or an enum.
    Type(TypeItem),
    /// A method: `<prefix>Type::fn name(...) -> ...`.
    Method {
        key: String,
        self_ty: String,
        name: String,
        line: String,
    },
    /// Anything else (an impl, a module): compared as text.
    Line(String),
}

#[derive(Debug, Clone)]
struct TypeItem {
    /// `types::DiskArguments`.
    path: String,
    /// `DiskArguments`.
    name: String,
    body: Body,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Body {
    /// `struct X { a: T, ... }`: (name, type) pairs.
    Named(Vec<(String, String)>),
    /// `struct X(T, ...)`.
    Tuple(Vec<String>),
    /// `struct X { .. }` / `struct X(..)`: no public fields.
    Opaque,
    /// `struct X`.
    Unit,
    /// `enum X { ... }`: (variant, its fields as text).
    Enum(Vec<(String, String)>),
    /// `open enum X { V = "v", ..., Unknown(String) }`: the variants with
    /// their values, `Unknown` left out.
    OpenEnum(Vec<(String, String)>),
}

impl Item {
    fn display(&self) -> String {
        match self {
            Item::Type(t) => t.path.clone(),
            Item::Method { key, .. } => key.clone(),
            Item::Line(line) => line.clone(),
        }
    }

    /// Whether `self` (a new item) is `old` with renamed types substituted,
    /// or the same method of the same type under another name.
    fn matches_renamed(&self, old: &Item, renamed: &dyn Fn(&str) -> String) -> bool {
        match (old, self) {
            (Item::Type(o), Item::Type(n)) => {
                renamed(&o.name) == n.name && renamed(&o.path) == n.path
            }
            (
                Item::Method {
                    self_ty: o_ty,
                    name: o_name,
                    line: o_line,
                    ..
                },
                Item::Method {
                    self_ty: n_ty,
                    name: n_name,
                    line: n_line,
                    ..
                },
            ) => {
                let o_line = renamed(o_line);
                renamed(o_ty) == *n_ty
                    && (o_line == *n_line || rename_words(&o_line, &one(o_name, n_name)) == *n_line)
            }
            (Item::Line(o), Item::Line(n)) => renamed(o) == *n,
            _ => false,
        }
    }
}

fn one(from: &str, to: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(from.to_owned(), to.to_owned())])
}

/// Reads an outline: one item per line, keyed by what identifies it.
fn parse(outline: &str) -> BTreeMap<String, Item> {
    let mut items = BTreeMap::new();
    for line in outline.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let item = parse_line(line);
        let key = match &item {
            Item::Type(t) => format!("type {}", t.path),
            Item::Method { key, .. } => key.clone(),
            // `impl Trait<Args> for Type`: the same impl whatever the
            // arguments, so a changed argument reads as a change.
            Item::Line(line) => without_generics(line),
        };
        items.insert(key, item);
    }
    items
}

fn parse_line(line: &str) -> Item {
    let type_item = |path: &str, body: Body| {
        let path = path.trim().to_owned();
        let name = path.rsplit("::").next().unwrap_or(&path).to_owned();
        Item::Type(TypeItem { path, name, body })
    };
    if let Some(rest) = line.strip_prefix("open enum ")
        && let Some((path, inner)) = braced(rest)
    {
        let variants = split_top(inner)
            .into_iter()
            .filter(|v| v != "Unknown(String)")
            .map(|v| match v.split_once(" = ") {
                Some((name, value)) => (name.to_owned(), value.to_owned()),
                None => (v.clone(), String::new()),
            })
            .collect();
        return type_item(path, Body::OpenEnum(variants));
    }
    if let Some(rest) = line.strip_prefix("enum ")
        && let Some((path, inner)) = braced(rest)
    {
        let variants = split_top(inner)
            .into_iter()
            .map(|v| {
                let end = v.find([' ', '(']).unwrap_or(v.len());
                (v[..end].to_owned(), v[end..].trim().to_owned())
            })
            .collect();
        return type_item(path, Body::Enum(variants));
    }
    if let Some(rest) = line.strip_prefix("struct ") {
        if let Some((path, inner)) = braced(rest) {
            if inner.trim() == ".." {
                return type_item(path, Body::Opaque);
            }
            let fields = split_top(inner)
                .into_iter()
                .map(|f| match f.split_once(": ") {
                    Some((name, ty)) => (name.to_owned(), ty.to_owned()),
                    None => (f.clone(), String::new()),
                })
                .collect();
            return type_item(path, Body::Named(fields));
        }
        if let Some(open) = rest.find('(')
            && rest.ends_with(')')
        {
            let inner = &rest[open + 1..rest.len() - 1];
            if inner.trim() == ".." {
                return type_item(&rest[..open], Body::Opaque);
            }
            return type_item(&rest[..open], Body::Tuple(split_top(inner)));
        }
        return type_item(rest, Body::Unit);
    }
    // `<module>: Type::fn name(...)` or `Type::async fn name(...)`.
    for marker in ["::fn ", "::async fn ", "::const fn ", "::unsafe fn "] {
        if let Some(at) = line.find(marker) {
            let head = &line[..at];
            let self_ty = head.rsplit(": ").next().unwrap_or(head);
            let after = &line[at + marker.len()..];
            let name_end = after.find(['(', '<']).unwrap_or(after.len());
            let name = after[..name_end].to_owned();
            let self_name = self_ty.split('<').next().unwrap_or(self_ty);
            let module = head.strip_suffix(self_ty).unwrap_or("");
            return Item::Method {
                key: format!("{module}{self_name}::fn {name}"),
                self_ty: self_ty.to_owned(),
                name,
                line: line.to_owned(),
            };
        }
    }
    Item::Line(line.to_owned())
}

/// `line` without anything between `<` and `>`.
fn without_generics(line: &str) -> String {
    let mut depth = 0;
    line.chars()
        .filter(|c| {
            match c {
                '<' => depth += 1,
                '>' if depth > 0 => {
                    depth -= 1;
                    return false;
                }
                _ => {}
            }
            depth == 0
        })
        .collect()
}

/// `path { inner }` → (`path`, `inner`).
fn braced(text: &str) -> Option<(&str, &str)> {
    let open = text.find(" { ")?;
    let inner = text[open + 3..].strip_suffix(" }")?;
    Some((&text[..open], inner))
}

/// Splits `a: A<B, C>, d: D` at the commas outside brackets.
fn split_top(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut current = String::new();
    for c in text.chars() {
        match c {
            '<' | '(' | '[' | '{' => depth += 1,
            '>' | ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(current.trim().to_owned());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        parts.push(current.trim().to_owned());
    }
    parts
}

/// Replaces whole identifiers per `renames`.
fn rename_words(text: &str, renames: &BTreeMap<String, String>) -> String {
    if renames.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        out.push_str(renames.get(word.as_str()).unwrap_or(word));
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Changes inside an item both outlines have.
fn compare(old: &Item, new: &Item, renamed: &dyn Fn(&str) -> String, out: &mut Vec<ApiChange>) {
    let breaking = |item: &str, kind| ApiChange {
        severity: Severity::Breaking,
        item: item.to_owned(),
        kind,
    };
    match (old, new) {
        (Item::Type(o), Item::Type(n)) => compare_types(o, n, renamed, out),
        (Item::Method { line: o, key, .. }, Item::Method { line: n, .. }) if renamed(o) != *n => {
            out.push(breaking(key, ChangeKind::SignatureChanged(n.clone())));
        }
        (Item::Line(o), Item::Line(n)) if renamed(o) != *n => {
            out.push(breaking(o, ChangeKind::SignatureChanged(n.clone())));
        }
        _ => {}
    }
}

fn compare_types(
    old: &TypeItem,
    new: &TypeItem,
    renamed: &dyn Fn(&str) -> String,
    out: &mut Vec<ApiChange>,
) {
    let item = &new.path;
    let push = |out: &mut Vec<ApiChange>, severity, kind| {
        out.push(ApiChange {
            severity,
            item: item.clone(),
            kind,
        });
    };
    match (&old.body, &new.body) {
        (Body::Named(o), Body::Named(n)) => {
            let o: BTreeMap<&String, String> = o.iter().map(|(k, t)| (k, renamed(t))).collect();
            let n: BTreeMap<&String, &String> = n.iter().map(|(k, t)| (k, t)).collect();
            for (field, ty) in &o {
                match n.get(field) {
                    None => push(
                        out,
                        Severity::Breaking,
                        ChangeKind::FieldRemoved((*field).clone()),
                    ),
                    Some(new_ty) if **new_ty != *ty => push(
                        out,
                        Severity::Breaking,
                        ChangeKind::FieldTypeChanged(
                            (*field).clone(),
                            ty.clone(),
                            (*new_ty).clone(),
                        ),
                    ),
                    Some(_) => {}
                }
            }
            for (field, ty) in &n {
                if !o.contains_key(field) {
                    // The outline lists a struct's fields only when they
                    // are public: downstream code can write a literal.
                    push(
                        out,
                        Severity::Breaking,
                        ChangeKind::FieldAdded(format!("{field}: {ty}")),
                    );
                }
            }
        }
        (Body::Enum(o), Body::Enum(n)) => {
            variants(o, n, Severity::Breaking, renamed, |k| push(out, k.0, k.1))
        }
        (Body::OpenEnum(o), Body::OpenEnum(n)) => {
            variants(o, n, Severity::Additive, &|t: &str| t.to_owned(), |k| {
                push(out, k.0, k.1)
            })
        }
        (Body::Tuple(o), Body::Tuple(n)) => {
            let o: Vec<String> = o.iter().map(|t| renamed(t)).collect();
            if o != *n {
                push(
                    out,
                    Severity::Breaking,
                    ChangeKind::ShapeChanged(format!(
                        "fields ({}) -> ({})",
                        o.join(", "),
                        n.join(", ")
                    )),
                );
            }
        }
        (Body::Opaque, Body::Opaque) | (Body::Unit, Body::Unit) => {}
        (o, n) => push(
            out,
            Severity::Breaking,
            ChangeKind::ShapeChanged(format!("{} -> {}", o.describe(), n.describe())),
        ),
    }
}

/// Variants removed, changed (breaking) and added (`added` severity).
fn variants(
    old: &[(String, String)],
    new: &[(String, String)],
    added: Severity,
    renamed: &dyn Fn(&str) -> String,
    mut push: impl FnMut((Severity, ChangeKind)),
) {
    let o: BTreeMap<&String, String> = old.iter().map(|(k, v)| (k, renamed(v))).collect();
    let n: BTreeMap<&String, &String> = new.iter().map(|(k, v)| (k, v)).collect();
    for (variant, payload) in &o {
        match n.get(variant) {
            None => push((
                Severity::Breaking,
                ChangeKind::VariantRemoved((*variant).clone()),
            )),
            Some(new_payload) if **new_payload != *payload => {
                push((
                    Severity::Breaking,
                    ChangeKind::VariantChanged((*variant).clone()),
                ));
            }
            Some(_) => {}
        }
    }
    for variant in n.keys() {
        if !o.contains_key(variant) {
            push((added, ChangeKind::VariantAdded((*variant).clone())));
        }
    }
}

impl Body {
    /// The names of its fields or variants, in order; `None` when it has
    /// none to go by.
    fn member_names(&self) -> Option<Vec<String>> {
        let names =
            |members: &[(String, String)]| Some(members.iter().map(|(n, _)| n.clone()).collect());
        match self {
            Body::Named(fields) => names(fields),
            Body::Enum(variants) | Body::OpenEnum(variants) => names(variants),
            Body::Tuple(_) | Body::Opaque | Body::Unit => None,
        }
    }

    /// Which kind of body, for pairing renamed types.
    fn kind(&self) -> u8 {
        match self {
            Body::Named(_) => 0,
            Body::Tuple(_) => 1,
            Body::Opaque => 2,
            Body::Unit => 3,
            Body::Enum(_) => 4,
            Body::OpenEnum(_) => 5,
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            Body::Named(_) => "a struct with named fields",
            Body::Tuple(_) => "a tuple struct",
            Body::Opaque => "a struct without public fields",
            Body::Unit => "a unit struct",
            Body::Enum(_) => "a closed enum",
            Body::OpenEnum(_) => "an open enum",
        }
    }
}

/// The outline inside an insta snapshot file (the text after its `---`
/// front matter), or the text itself when it has none.
pub fn outline_from_snapshot(snapshot: &str) -> &str {
    let Some(rest) = snapshot.strip_prefix("---\n") else {
        return snapshot;
    };
    match rest.find("\n---\n") {
        Some(end) => &rest[end + "\n---\n".len()..],
        None => snapshot,
    }
}

/// For `cargo xtask codegen`: the changes from the committed outline to
/// `new_outline` (the outline of what was just generated), and the bump they
/// call for from katapult-core's version, as [`report`] prints them.
pub fn report_against_committed(root: &Path, new_outline: &str) -> Result<String, String> {
    let committed = std::fs::read_to_string(root.join(COMMITTED_OUTLINE))
        .map_err(|e| format!("cannot read {COMMITTED_OUTLINE}: {e}"))?;
    let version = package_version(root)?;
    let changes = classify(outline_from_snapshot(&committed), new_outline);
    Ok(report(&changes, &version))
}

/// The `version` of katapult-core's `[package]`.
pub fn package_version(root: &Path) -> Result<String, String> {
    let manifest = std::fs::read_to_string(root.join(CORE_MANIFEST))
        .map_err(|e| format!("cannot read {CORE_MANIFEST}: {e}"))?;
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package
            && let Some(value) = line.strip_prefix("version")
            && let Some(value) = value.trim_start().strip_prefix('=')
        {
            return Ok(value.trim().trim_matches('"').to_owned());
        }
    }
    Err(format!("{CORE_MANIFEST} has no `version` in [package]"))
}
