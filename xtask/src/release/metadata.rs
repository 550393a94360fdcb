//! The crates' metadata, as `cargo metadata` reports it, and whether
//! crates.io would take it.

use std::cmp::Reverse;
use std::path::{Path, PathBuf};

use indexmap::IndexSet;
use serde::Deserialize;
use serde_json::Value;

use super::{CRATES, Finding};
use crate::api_change::Version;
use crate::cargo;
use crate::doc::items;

/// One crate as `cargo metadata` has it (`readme` relative to the manifest),
/// and the highest `rust-version` its normal dependencies need, and whose.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CrateMeta {
    pub id: String,
    pub name: String,
    pub version: String,
    pub repository: Option<String>,
    pub readme: Option<String>,
    pub documentation: Option<String>,
    pub rust_version: Option<String>,
    pub license: Option<String>,
    pub description: Option<String>,
    pub manifest_path: PathBuf,
    pub dependencies: Vec<Dependency>,
    #[serde(skip)]
    pub dependencies_need: Option<(String, String)>,
}

/// One dependency: `req` is `*` when unset, `kind` is none when normal.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Dependency {
    pub name: String,
    pub req: String,
    pub kind: Option<String>,
    pub path: Option<PathBuf>,
}

/// The packages and the resolved graph (read as it is, for the edges).
#[derive(Deserialize)]
struct Metadata {
    packages: Vec<CrateMeta>,
    resolve: Value,
}

pub(super) fn crates(root: &Path) -> Result<Vec<CrateMeta>, String> {
    let output = cargo(root)
        .args(["metadata", "--format-version", "1", "--offline"])
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !output.status.success() {
        let log = String::from_utf8_lossy(&output.stderr);
        return Err(format!("cargo metadata failed: {}", log.trim()));
    }
    let metadata: Metadata = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("cargo metadata printed something else than expected: {e}"))?;
    let release = |name: &str| {
        let mut meta = metadata.packages.iter().find(|p| p.name == name)?.clone();
        meta.dependencies_need = highest_rust_version(&meta.id, &metadata);
        Some(meta)
    };
    Ok(CRATES.iter().filter_map(|name| release(name)).collect())
}

/// The highest `rust-version` reachable from `root` through normal edges;
/// of equals, the first reached.
fn highest_rust_version(root: &str, metadata: &Metadata) -> Option<(String, String)> {
    let nodes = items(&metadata.resolve, "nodes");
    let (mut reached, mut stack) = (IndexSet::new(), vec![root]);
    while let Some(id) = stack.pop() {
        if !reached.insert(id) {
            continue;
        }
        let node = nodes.iter().find(|n| n["id"] == id);
        let deps = node.map_or(&[][..], |n| items(n, "deps"));
        // An edge has a `kind` per way it is depended on: none for normal.
        let normal = |d: &&Value| items(d, "dep_kinds").iter().any(|k| k["kind"].is_null());
        stack.extend(deps.iter().filter(normal).filter_map(|d| d["pkg"].as_str()));
    }
    let needs = reached.iter().skip(1).filter_map(|&id| {
        let package = metadata.packages.iter().find(|p| p.id == id)?;
        Some((rust_version(package.rust_version.as_deref()?)?, package))
    });
    let (_, p) = needs.min_by_key(|(version, _)| Reverse(version.clone()))?;
    Some((p.rust_version.clone()?, format!("{} {}", p.name, p.version)))
}

/// A `rust-version` (`1.88` or `1.88.0`) as a version, so both compare equal.
pub fn rust_version(text: &str) -> Option<Version> {
    let full = |text: String| Version::parse(&text).ok();
    full(text.to_owned()).or_else(|| full(format!("{text}.0")))
}

/// The fields crates.io shows, set and true; path dependencies pinned. A
/// missing `repository` is a note, not a blocker: crates.io does not require
/// it, and the project has no public home yet, so no URL would be true.
pub fn metadata(crates: &[CrateMeta]) -> Vec<Finding> {
    crates.iter().map(|meta| judge(meta, crates)).collect()
}

/// One crate's `metadata` line; its path dependencies must pin `crates`.
fn judge(meta: &CrateMeta, crates: &[CrateMeta]) -> Finding {
    let (mut problems, mut facts) = (Vec::new(), Vec::new());
    let unset = |value: &Option<String>| value.as_deref().is_none_or(str::is_empty);
    let fields = [
        ("description", &meta.description),
        ("license", &meta.license),
        ("documentation", &meta.documentation),
    ];
    let unset_fields = fields.into_iter().filter(|(_, value)| unset(value));
    problems.extend(unset_fields.map(|(field, _)| format!("`{field}` is not set")));
    if let Some(doc) = &meta.documentation
        && doc != &format!("https://docs.rs/{}", meta.name)
    {
        facts.push(format!("documentation {doc}"));
    }
    let dir = meta.manifest_path.parent().unwrap_or(Path::new("."));
    match &meta.readme {
        Some(readme) if dir.join(readme).is_file() => facts.push(format!("readme {readme}")),
        Some(readme) => problems.push(format!("`readme = \"{readme}\"` is not a file")),
        None => problems.push("`readme` is not set".to_owned()),
    }
    match (&meta.rust_version, &meta.dependencies_need) {
        (None, _) => problems.push("`rust-version` is not set".to_owned()),
        (Some(declared), Some((needed, who))) if rust_version(needed) > rust_version(declared) => {
            problems.push(format!("rust-version {declared}, but {who} needs {needed}"));
        }
        (Some(declared), _) => facts.push(format!("rust-version {declared}")),
    }
    let path_dependencies =
        (meta.dependencies.iter()).filter(|d| d.path.is_some() && d.kind.is_none());
    for Dependency { name, req, .. } in path_dependencies {
        let pinned = (crates.iter().find(|c| &c.name == name))
            .and_then(|c| Version::parse(&c.version).ok())
            .map(|v| format!("={}.{}.{}", v.major, v.minor, v.patch));
        let dependency = format!("the path dependency on {name}");
        match pinned {
            _ if req == "*" => problems.push(format!("{dependency} has no version")),
            Some(pin) if &pin != req => {
                problems.push(format!("{dependency} asks for {req}, not {pin}"))
            }
            _ => facts.push(format!("{name} {req}")),
        }
    }
    let (name, version, facts) = (&meta.name, &meta.version, facts.join(", "));
    let blocker = (!problems.is_empty()).then(|| problems.join("; "));
    let mut finding = Finding::new("metadata", format!("{name} {version}: {facts}"), blocker);
    finding.note = unset(&meta.repository).then(|| {
        format!(
            "{name} has no `repository`: crates.io does not require one; set it before the \
             first publish if the project has a public home by then"
        )
    });
    finding
}
