//! `cargo xtask release-check`: what a release of `katapult-core` and
//! `katapult-core-httpmock` would contain, and whether it can go out, on one
//! screen. It checks the crates' metadata, compares the fragment with the
//! recorded upstream document (`cargo xtask drift`), packages both crates
//! (offline, verified in a fresh temporary target directory), judges the
//! public API changes since the last release tag (`crate::api_change`),
//! runs cargo-semver-checks as a cross-check when it is installed, and reads
//! the changelog's Unreleased section.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::Path;
use std::process::{Command, ExitCode};

use serde_json::Value;

mod metadata;

pub use self::metadata::{CrateMeta, Dependency, metadata, rust_version};
use crate::api_change::{self, Bump, Severity, Version};
use crate::drift::{self, RECORDED_PATH};
use crate::{cargo, codegen};

/// The crates a release publishes, the mocks after the client they pin.
pub const CRATES: [&str; 2] = ["katapult-core", "katapult-core-httpmock"];
/// The committed outline of the generated public API.
pub const OUTLINE_SNAPSHOT: &str = api_change::COMMITTED_OUTLINE;
/// Release tags: `v` and the version without build metadata (`v0.1.0`).
pub const TAG_PREFIX: &str = "v";
/// The changelog, Keep a Changelog style.
pub const CHANGELOG: &str = "CHANGELOG.md";

/// One line of the summary: a topic, what was found, whether it blocks the
/// release, and what to know before publishing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `package`, `drift`, `api`, ...
    pub topic: &'static str,
    /// What was found.
    pub text: String,
    /// What stops the release, if anything.
    pub blocker: Option<String>,
    /// What to do before the first publish, without blocking it.
    pub note: Option<String>,
}

impl Finding {
    fn ok(topic: &'static str, text: impl Into<String>) -> Self {
        Self {
            topic,
            text: text.into(),
            blocker: None,
            note: None,
        }
    }

    fn blocked(topic: &'static str, text: impl Into<String>, blocker: impl Into<String>) -> Self {
        Self::ok(topic, text).with_blocker(Some(blocker.into()))
    }

    fn with_blocker(self, blocker: Option<String>) -> Self {
        Self { blocker, ..self }
    }
}

/// `cargo xtask release-check` for the workspace at `root`: prints the
/// summary and returns 0 when a release could go out, 1 when something
/// blocks it.
pub fn release_check(root: &Path) -> ExitCode {
    let findings = check(root);
    print!("{}", render(&findings));
    if findings.iter().any(|f| f.blocker.is_some()) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Runs every check; see the module documentation.
pub fn check(root: &Path) -> Vec<Finding> {
    let crates = match metadata::crates(root) {
        Ok(crates) => crates,
        Err(error) => {
            return vec![Finding::blocked(
                "metadata",
                "cannot read the workspace's metadata",
                error,
            )];
        }
    };
    let mut findings = metadata(&crates);
    findings.push(upstream(root, &crates));
    findings.push(drift_finding(root));
    findings.push(package(root));
    let (api, previous) = api(root, &crates);
    findings.push(api);
    findings.push(semver_checks(root, previous.as_deref()));
    findings.push(changelog(root));
    findings.push(tree(root));
    findings
}

/// The summary: one line per finding (and its blocker or note), then the
/// verdict.
pub fn render(findings: &[Finding]) -> String {
    let mut out = String::new();
    for finding in findings {
        let mark = if finding.blocker.is_some() {
            "!!"
        } else {
            "ok"
        };
        let _ = writeln!(out, "{mark} {:<10} {}", finding.topic, finding.text);
        if let Some(blocker) = &finding.blocker {
            let _ = writeln!(out, "   {:<10} -> {blocker}", "");
        }
        if let Some(note) = &finding.note {
            let _ = writeln!(out, "   {:<10} note: {note}", "");
        }
    }
    match findings.iter().filter(|f| f.blocker.is_some()).count() {
        0 => out.push_str(
            "release: ready (publish katapult-core first, then katapult-core-httpmock)\n",
        ),
        n => _ = writeln!(out, "release: NOT READY ({n} blocker(s) above)"),
    }
    out
}

/// The recorded upstream document, and whether the versions name it.
fn upstream(root: &Path, crates: &[CrateMeta]) -> Finding {
    let recorded = std::fs::read_to_string(root.join(RECORDED_PATH))
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok());
    let Some(stamp) = recorded.as_ref().and_then(|r| r.get(drift::RECORDED_KEY)) else {
        return Finding::blocked(
            "upstream",
            format!("no recorded upstream document at {RECORDED_PATH}"),
            "record one: `cargo xtask drift --upstream FILE --record`",
        );
    };
    let version = stamp["katapult-version"].as_str().unwrap_or("unknown");
    let sha = stamp["source-sha256"].as_str().unwrap_or("");
    let expected = format!("katapult.{version}");
    let wrong: Vec<String> = crates
        .iter()
        .filter(|c| {
            Version::parse(&c.version)
                .ok()
                .is_none_or(|v| v.build.as_str() != expected)
        })
        .map(|c| format!("{} {}", c.name, c.version))
        .collect();
    let text = format!(
        "Katapult {version} ({}, document sha256 {}); crate versions carry +{expected}",
        stamp["source-file"].as_str().unwrap_or(RECORDED_PATH),
        sha.get(..12).unwrap_or(sha)
    );
    let blocker = (!wrong.is_empty()).then(|| {
        let wrong = wrong.join(", ");
        format!("{wrong} should end in +{expected}, the upstream version the fragment follows")
    });
    Finding::ok("upstream", text).with_blocker(blocker)
}

fn drift_finding(root: &Path) -> Finding {
    let report = match drift::drift(root, None) {
        Ok(report) => report,
        Err(error) => {
            let error = error.to_string();
            let first = error.lines().next().unwrap_or_default();
            return Finding::blocked("drift", "cannot compare with upstream", first);
        }
    };
    let ids: BTreeSet<&String> = report.declared().flat_map(|d| &d.departures).collect();
    let text = format!(
        "{} undeclared, {} declared ({} departures), {} stale, {} description warning(s)",
        report.undeclared().count(),
        report.declared().count(),
        ids.len(),
        report.stale.len(),
        report.warnings.len()
    );
    let blocker = "run `cargo xtask drift` and follow upstream or declare the departures";
    Finding::ok("drift", text).with_blocker((!report.is_clean()).then(|| blocker.to_owned()))
}

// ----------------------------------------------------------------- package

/// `cargo package` for both crates together, offline, with verification:
/// cargo builds each packaged crate, the mocks against the packaged client
/// through a temporary local registry. (Packaging katapult-core-httpmock
/// alone fails until katapult-core is on crates.io.) `--allow-dirty`
/// packages the working tree as it is; the `tree` line says if it is dirty.
///
/// These crates are repackaged at the same version after every change, and
/// cargo takes a crate of a given version in a registry to be immutable:
/// verifying in the same target directory twice builds the mocks against
/// the client as it was packaged the first time. So each run verifies in a
/// fresh temporary target directory, removed afterwards. The temporary
/// registry lives in it, so cargo unpacks the packaged crates afresh too,
/// into a new directory of its registry cache (`$CARGO_HOME/registry/src/
/// -<hash of the registry's path>`), which is cargo's own and left alone.
fn package(root: &Path) -> Finding {
    let target = match tempfile::Builder::new()
        .prefix("katapult-release-check-")
        .tempdir()
    {
        Ok(target) => target,
        Err(error) => {
            return Finding::blocked(
                "package",
                "cannot make a temporary target directory",
                error.to_string(),
            );
        }
    };
    let mut command = cargo(root);
    command.args(["package", "--offline", "--allow-dirty", "--color", "never"]);
    command.arg("--target-dir").arg(target.path());
    command.args(CRATES.iter().flat_map(|name| ["-p", name]));
    let output = match command.output() {
        Ok(output) => output,
        Err(error) => {
            return Finding::blocked("package", "cannot run cargo package", error.to_string());
        }
    };
    let log = String::from_utf8_lossy(&output.stderr);
    if output.status.success() {
        let packaged: Vec<String> = packaged(&log)
            .iter()
            .map(|(name, size)| format!("{name}.crate {size}"))
            .collect();
        return Finding::ok(
            "package",
            format!(
                "{} (verified offline in a fresh target directory)",
                packaged.join(", ")
            ),
        );
    }
    let tail: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = tail[tail.len().saturating_sub(6)..].join("\n              ");
    Finding::blocked("package", "cargo package failed", tail)
}

/// (crate-version, size) from `cargo package`'s log: each `Packaging NAME
/// vVERSION` line and the `Packaged N files, SIZE (SIZE compressed)` after it.
pub fn packaged(log: &str) -> Vec<(String, String)> {
    let (mut out, mut current) = (Vec::new(), None);
    for line in log.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("Packaging ") {
            let mut words = rest.split_whitespace();
            if let (Some(name), Some(version)) = (words.next(), words.next()) {
                current = Some(format!("{name}-{}", version.trim_start_matches('v')));
            }
        } else if let Some(rest) = line.strip_prefix("Packaged ")
            && let Some(name) = current.take()
        {
            out.push((name, format!("({rest})")));
        }
    }
    out
}

// --------------------------------------------------------------------- api

/// The generated public API against the last release tag's outline, judged
/// by `crate::api_change`. Returns the finding and the tag, if there is one.
fn api(root: &Path, crates: &[CrateMeta]) -> (Finding, Option<String>) {
    let current = match codegen::committed_public_api(root) {
        Ok(outline) => outline,
        Err(error) => {
            return (
                Finding::blocked("api", "cannot outline the generated API", error),
                None,
            );
        }
    };
    let version = crates
        .iter()
        .find(|c| c.name == CRATES[0])
        .map(|c| c.version.clone())
        .unwrap_or_default();
    let committed = std::fs::read_to_string(root.join(OUTLINE_SNAPSHOT)).unwrap_or_default();
    let stale_snapshot = (api_change::outline_from_snapshot(&committed) != current).then(|| {
        format!(
            "{OUTLINE_SNAPSHOT} is stale: run `cargo test -p xtask --test fragment` and review it"
        )
    });

    let Some((tag, previous)) = last_release(root) else {
        let items = current.lines().filter(|l| !l.trim().is_empty()).count();
        let text = format!(
            "first release: no {TAG_PREFIX}* tag, so all {items} outline items are new (version {version})"
        );
        return (
            Finding {
                blocker: stale_snapshot,
                ..Finding::ok("api", text)
            },
            None,
        );
    };
    let Some(previous_outline) = git(root, &["show", &format!("{tag}:{OUTLINE_SNAPSHOT}")]) else {
        return (
            Finding::ok(
                "api",
                format!("{tag} has no {OUTLINE_SNAPSHOT} to compare with"),
            ),
            Some(tag),
        );
    };
    let changes = api_change::classify(
        api_change::outline_from_snapshot(&previous_outline),
        &current,
    );
    let (bump, required) = api_change::bump(&changes, &previous);
    let breaking = changes
        .iter()
        .filter(|c| c.severity == Severity::Breaking)
        .count();
    let numbers = |v: &Version| (v.major, v.minor, v.patch);
    let too_low = Version::parse(&version)
        .is_ok_and(|v| bump != Bump::None && numbers(&v) < numbers(&required));
    let needs = match bump {
        Bump::None => format!("no bump from {previous}"),
        _ => required.to_string(),
    };
    let text = format!(
        "since {tag}: {} change(s), {breaking} breaking; needs {needs} (Cargo.toml: {version})",
        changes.len()
    );
    let bump_blocker = format!("bump the crates' version to {required} at least");
    let blocker = if too_low {
        Some(bump_blocker)
    } else {
        stale_snapshot
    };
    (Finding::ok("api", text).with_blocker(blocker), Some(tag))
}

/// The highest `v<version>` tag and its version.
fn last_release(root: &Path) -> Option<(String, Version)> {
    let tags = git(root, &["tag", "--list", &format!("{TAG_PREFIX}*")])?;
    tags.lines()
        .filter_map(|tag| {
            Some((
                tag.to_owned(),
                Version::parse(tag.strip_prefix(TAG_PREFIX)?).ok()?,
            ))
        })
        .max_by_key(|(_, v)| (v.major, v.minor, v.patch))
}

// ---------------------------------------------------------- semver-checks

/// cargo-semver-checks against the last release, when it is installed: a
/// cross-check of the `api` line from the crates' rustdoc. It needs two
/// rustdoc builds, too slow for `cargo xtask codegen`, which is why the
/// judge is `crate::api_change`; it is never required.
fn semver_checks(root: &Path, previous_tag: Option<&str>) -> Finding {
    let installed = cargo(root)
        .args(["semver-checks", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        return Finding::ok(
            "semver",
            "cargo-semver-checks is not installed (optional; the api line above is this \
             repository's own check). To add rustdoc-based checks: \
             `cargo install cargo-semver-checks --locked`",
        );
    }
    let Some(tag) = previous_tag else {
        return Finding::ok(
            "semver",
            format!("cargo-semver-checks: nothing to compare with (no {TAG_PREFIX}* tag yet)"),
        );
    };
    let output = cargo(root)
        .args(["semver-checks", "check-release", "--baseline-rev", tag])
        .args(CRATES.iter().flat_map(|c| ["-p", c]))
        .output();
    match output {
        Ok(output) if output.status.success() => Finding::ok(
            "semver",
            format!("cargo-semver-checks against {tag}: no semver violation"),
        ),
        Ok(output) => {
            let log = String::from_utf8_lossy(&output.stderr);
            let summary = log
                .lines()
                .rev()
                .find(|l| l.contains("Summary") || l.contains("error"))
                .unwrap_or("see `cargo semver-checks check-release`");
            Finding::blocked(
                "semver",
                format!("cargo-semver-checks against {tag}: {}", summary.trim()),
                format!(
                    "run `cargo semver-checks check-release --baseline-rev {tag}` and bump the version it asks for"
                ),
            )
        }
        Err(error) => Finding::ok(
            "semver",
            format!("cargo-semver-checks could not run: {error}"),
        ),
    }
}

// --------------------------------------------------------------- changelog

/// The entries (`- ...` lines) of the changelog's `## [Unreleased]` section.
pub fn unreleased_entries(changelog: &str) -> Option<Vec<String>> {
    let mut lines = changelog.lines();
    lines.find(|l| l.trim_start().starts_with("## [Unreleased]"))?;
    let section = lines.take_while(|l| !l.starts_with("## "));
    Some(
        section
            .filter_map(|l| l.strip_prefix("- "))
            .map(str::to_owned)
            .collect(),
    )
}

fn changelog(root: &Path) -> Finding {
    let Ok(text) = std::fs::read_to_string(root.join(CHANGELOG)) else {
        return Finding::blocked(
            "changelog",
            format!("no {CHANGELOG}"),
            format!("keep a {CHANGELOG} (https://keepachangelog.com)"),
        );
    };
    match unreleased_entries(&text).unwrap_or_default().as_slice() {
        [] => Finding::blocked(
            "changelog",
            "nothing under `## [Unreleased]`",
            format!("list what this release changes in {CHANGELOG}"),
        ),
        entries => {
            let first = crate::shorten(&entries[0], 73);
            Finding::ok(
                "changelog",
                format!(
                    "{} entries under [Unreleased], first: {first}",
                    entries.len()
                ),
            )
        }
    }
}

/// Whether the working tree is clean: a release is published from a commit.
fn tree(root: &Path) -> Finding {
    Finding::ok(
        "tree",
        match git(root, &["status", "--porcelain"]) {
            Some(status) if status.trim().is_empty() => "clean".to_owned(),
            Some(status) => format!(
                "{} uncommitted path(s): packaged as they are here; publish from a clean commit",
                status.lines().count()
            ),
            None => "not a git checkout".to_owned(),
        },
    )
}

fn git(root: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .current_dir(root)
        .args(args)
        .output()
        .ok()?;
    (output.status.success()).then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}
