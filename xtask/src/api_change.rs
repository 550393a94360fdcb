//! What a regeneration changed in the public API, as a reviewer reads it:
//! the diff of the generated API's outline (`crate::outline`) against the
//! committed one.
//!
//! Whether a change breaks users, and the version it calls for, is judged
//! by one tool only: cargo-semver-checks, which release-check runs against
//! the last release tag. It reads the compiled API (rustdoc), keeps the
//! rules of semver as Cargo applies them and is kept by its own project,
//! so no rule of it is restated here or in drift. Its price is two rustdoc
//! builds, which is why codegen, which must answer in seconds, prints the
//! diff and leaves the verdict to release-check.

use std::fmt::Write as _;
use std::path::Path;

pub use semver::Version;
use similar::{ChangeTag, TextDiff};

/// Kept in step with the generated code by the fragment test.
pub const COMMITTED_OUTLINE: &str = "xtask/tests/snapshots/fragment__public_api_outline.snap";
/// The manifest whose version a bump applies to (both crates share it).
pub const CORE_MANIFEST: &str = "crates/katapult-core/Cargo.toml";

/// The outline lines `new` removes from `old` (`-`) and adds (`+`), in the
/// diff's order.
pub fn changed_lines(old: &str, new: &str) -> Vec<(char, String)> {
    let sign = |tag| if tag == ChangeTag::Delete { '-' } else { '+' };
    let diff = TextDiff::from_lines(old, new);
    let changed = diff
        .iter_all_changes()
        .filter(|c| c.tag() != ChangeTag::Equal);
    changed
        .map(|c| (sign(c.tag()), c.value().trim_end().to_owned()))
        .collect()
}

/// The outline diff from `old` to `new`, a line each, under a summary that
/// says who judges it.
pub fn report(old: &str, new: &str, version: &str) -> String {
    let lines = changed_lines(old, new);
    if lines.is_empty() {
        return format!("public API: unchanged (version {version})\n");
    }
    let removed = lines.iter().filter(|(sign, _)| *sign == '-').count();
    let mut out = format!(
        "public API: {removed} outline line(s) removed, {} added (version {version}); \
         `cargo xtask release-check` judges them with cargo-semver-checks\n",
        lines.len() - removed
    );
    for (sign, line) in lines {
        let _ = writeln!(out, "  {sign} {line}");
    }
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
    let old = outline_from_snapshot(&committed);
    Ok(report(old, new_outline, &package_version(root)?))
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
