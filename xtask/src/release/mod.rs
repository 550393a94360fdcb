//! `cargo xtask release-check`: whether both crates could be released, on
//! one screen: metadata, drift, `cargo package`, API changes since the last
//! tag and cargo-semver-checks' verdict on them, the changelog.

use std::fmt::Write;
use std::path::Path;
use std::process::{Command, ExitCode, Output};

mod metadata;

pub use self::metadata::{CrateMeta, Dependency, metadata, rust_version};
use crate::api_change::{self, COMMITTED_OUTLINE, Version, outline_from_snapshot};
use crate::drift::{self, RECORDED_PATH, Stamp};
use crate::{cargo, codegen};

/// The mocks after the client they pin.
pub const CRATES: [&str; 2] = ["katapult-core", "katapult-core-httpmock"];
/// `v` and the version without build metadata (`v0.1.0`).
pub const TAG_PREFIX: &str = "v";
/// Keep a Changelog style.
pub const CHANGELOG: &str = "CHANGELOG.md";

/// One line of the summary, with what blocks the release and what to do
/// before the first publish, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub topic: &'static str,
    pub text: String,
    pub blocker: Option<String>,
    pub note: Option<String>,
}

impl Finding {
    fn new(topic: &'static str, text: impl Into<String>, blocker: Option<String>) -> Self {
        Self {
            topic,
            text: text.into(),
            blocker,
            note: None,
        }
    }
}

/// Prints the summary; exit 1 when something blocks the release.
pub fn release_check(root: &Path) -> ExitCode {
    let findings = check(root);
    crate::print_report(&render(&findings));
    ExitCode::from(u8::from(findings.iter().any(|f| f.blocker.is_some())))
}

pub fn check(root: &Path) -> Vec<Finding> {
    let text = "cannot read the workspace's metadata";
    let crates = match metadata::crates(root) {
        Ok(crates) => crates,
        Err(error) => return vec![Finding::new("metadata", text, Some(error))],
    };
    let mut findings = metadata(&crates);
    findings.extend([upstream(root, &crates), drift_finding(root)]);
    findings.push(package(root).unwrap_or_else(|blocked| blocked));
    let last = last_release(root);
    findings.push(api(root, last.as_deref()));
    findings.push(semver_checks(root, last.as_deref()));
    findings.extend([changelog(root), tree(root)]);
    findings
}

/// The summary: each finding (with its blocker or note), then the verdict.
pub fn render(findings: &[Finding]) -> String {
    let mut out = String::new();
    for finding in findings {
        let mark = finding.blocker.as_ref().map_or("ok", |_| "!!");
        let _ = writeln!(out, "{mark} {:<10} {}", finding.topic, finding.text);
        for (prefix, line) in [("-> ", &finding.blocker), ("note: ", &finding.note)] {
            if let Some(line) = line {
                let _ = writeln!(out, "   {:<10} {prefix}{line}", "");
            }
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
    let Some(stamp) = Stamp::recorded(root) else {
        let text = format!("no recorded upstream document at {RECORDED_PATH}");
        let blocker = "record one: `cargo xtask drift --upstream FILE --record`";
        return Finding::new("upstream", text, Some(blocker.into()));
    };
    let version = &stamp.katapult_version;
    let expected = format!("katapult.{version}");
    let carries = |c: &&CrateMeta| Version::parse(&c.version).is_ok_and(|v| *v.build == expected);
    let wrong = crates.iter().filter(|c| !carries(c));
    let wrong: Vec<String> = wrong.map(|c| format!("{} {}", c.name, c.version)).collect();
    let (file, sha) = (&stamp.source_file, drift::short_sha(&stamp.source_sha256));
    let text = format!(
        "Katapult {version} ({file}, document sha256 {sha}); crate versions carry +{expected}"
    );
    let blocker = (!wrong.is_empty()).then(|| {
        let wrong = wrong.join(", ");
        format!("{wrong} should end in +{expected}, the upstream version the fragment follows")
    });
    Finding::new("upstream", text, blocker)
}

fn drift_finding(root: &Path) -> Finding {
    let report = match drift::drift(root, None) {
        Ok(report) => report,
        Err(error) => {
            let first = error.to_string().lines().next().map(str::to_owned);
            return Finding::new("drift", "cannot compare with upstream", first);
        }
    };
    let text = format!(
        "{} undeclared, {}",
        report.undeclared().count(),
        report.tally()
    );
    let blocker = "run `cargo xtask drift` and follow upstream or declare the departures";
    Finding::new("drift", text, (!report.is_clean()).then(|| blocker.into()))
}

/// `cargo package` for both crates together (the mocks alone fail until
/// katapult-core is on crates.io), offline, `--allow-dirty`. Cargo takes a
/// registry version to be immutable and these are repackaged at one version,
/// so each run verifies in a fresh temporary target directory (a reused one
/// would build the mocks against a stale client); `$CARGO_HOME` is left alone.
fn package(root: &Path) -> Result<Finding, Finding> {
    let blocked = |text: &'static str| {
        move |error: std::io::Error| Finding::new("package", text, Some(error.to_string()))
    };
    let target = tempfile::Builder::new()
        .prefix("katapult-release-check-")
        .tempdir()
        .map_err(blocked("cannot make a temporary target directory"))?;
    let output = cargo(root)
        .args(["package", "--offline", "--allow-dirty", "--color", "never"])
        .arg("--target-dir")
        .arg(target.path())
        .args(CRATES.iter().flat_map(|name| ["-p", name]))
        .output()
        .map_err(blocked("cannot run cargo package"))?;
    let log = String::from_utf8_lossy(&output.stderr);
    if output.status.success() {
        let packaged: Vec<String> = (packaged(&log).iter())
            .map(|(name, size)| format!("{name}.crate {size}"))
            .collect();
        let packaged = packaged.join(", ");
        let text = format!("{packaged} (verified offline in a fresh target directory)");
        return Ok(Finding::new("package", text, None));
    }
    let tail: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = tail[tail.len().saturating_sub(6)..].join("\n              ");
    Err(Finding::new("package", "cargo package failed", Some(tail)))
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

/// The generated public API against the last release tag's outline: what
/// changed, for the reader; the `semver` line judges it.
fn api(root: &Path, last: Option<&str>) -> Finding {
    let current = match codegen::committed_public_api(root) {
        Ok(current) => current,
        Err(error) => return Finding::new("api", "cannot outline the generated API", Some(error)),
    };
    let committed = std::fs::read_to_string(root.join(COMMITTED_OUTLINE)).unwrap_or_default();
    let stale_snapshot = (outline_from_snapshot(&committed) != current).then(|| {
        format!(
            "{COMMITTED_OUTLINE} is stale: run `cargo test -p xtask --test fragment` and review it"
        )
    });
    let outline_at = |tag| git(root, &["show", &format!("{tag}:{COMMITTED_OUTLINE}")]);
    let text = match last.map(|tag| (tag, outline_at(tag))) {
        None => {
            let items = current.lines().filter(|l| !l.trim().is_empty()).count();
            format!("first release: no {TAG_PREFIX}* tag, so all {items} outline items are new")
        }
        Some((tag, None)) => format!("{tag} has no {COMMITTED_OUTLINE} to compare with"),
        Some((tag, Some(previous))) => {
            let lines = api_change::changed_lines(outline_from_snapshot(&previous), &current);
            let removed = lines.iter().filter(|(sign, _)| *sign == '-').count();
            let added = lines.len() - removed;
            format!("since {tag}: {removed} outline line(s) removed, {added} added")
        }
    };
    Finding::new("api", text, stale_snapshot)
}

/// The highest `v<version>` tag.
fn last_release(root: &Path) -> Option<String> {
    let tags = git(root, &["tag", "--list", &format!("{TAG_PREFIX}*")])?;
    latest_release(&tags).map(|(tag, _)| tag)
}

/// The highest of `git tag --list`'s `v<version>` tags, and its version.
pub fn latest_release(tags: &str) -> Option<(String, Version)> {
    let version = |tag: &str| Version::parse(tag.strip_prefix(TAG_PREFIX)?).ok();
    let tagged = |tag: &str| Some((tag.to_owned(), version(tag)?));
    let tags = tags.lines().filter_map(tagged);
    // By semver precedence (build metadata ignored): `v0.2.0` is later than
    // `v0.2.0-rc.1`, which sorts after it by name.
    tags.max_by(|(_, a), (_, b)| a.cmp_precedence(b))
}

/// cargo-semver-checks against the last release: the one judge of whether
/// the changes since then fit the crates' version (`crate::api_change` says
/// why it is the only one).
pub fn semver_checks(root: &Path, previous_tag: Option<&str>) -> Finding {
    let finding = |text: String, blocker| Finding::new("semver", text, blocker);
    let installed = cargo(root).args(["semver-checks", "--version"]).output();
    let installed = installed.is_ok_and(|o| o.status.success());
    let install = "`cargo install cargo-semver-checks --locked`";
    let Some(tag) = previous_tag else {
        let text = format!("nothing to judge: no {TAG_PREFIX}* tag yet (a first release)");
        let mut first = finding(text, None);
        first.note = (!installed).then(|| {
            format!("cargo-semver-checks judges every later release; install it: {install}")
        });
        return first;
    };
    if !installed {
        let text = format!("cargo-semver-checks, the judge of the changes since {tag}, is missing");
        let blocker = format!("{install}, then run release-check again");
        return finding(text, Some(blocker));
    }
    let output = cargo(root)
        .args(["semver-checks", "check-release", "--baseline-rev", tag])
        .args(CRATES.iter().flat_map(|c| ["-p", c]))
        .output();
    let against = format!("cargo-semver-checks against {tag}");
    match output {
        Ok(output) if output.status.success() => {
            finding(format!("{against}: no semver violation"), None)
        }
        Ok(Output { stderr, .. }) => {
            let summary = semver_summary(&String::from_utf8_lossy(&stderr));
            let run = format!("run `cargo semver-checks check-release --baseline-rev {tag}`");
            let blocker = format!("{run} and bump the version it asks for");
            finding(format!("{against}: {summary}"), Some(blocker))
        }
        Err(error) => {
            let text = format!("cargo-semver-checks could not run: {error}");
            finding(text, Some(install.to_owned()))
        }
    }
}

/// What a failed cargo-semver-checks run says: the summary of each crate
/// that needs a bump (another crate's "no semver update required" may come
/// after it), else its first error line (a backtrace may follow).
pub fn semver_summary(log: &str) -> String {
    let mut lines = log.lines().map(str::trim);
    let summaries = lines.clone().filter_map(|l| l.strip_prefix("Summary "));
    let bumps: Vec<&str> = summaries.filter(|s| !s.starts_with("no semver")).collect();
    if !bumps.is_empty() {
        return bumps.join("; ");
    }
    let error = lines.find(|l| l.starts_with("error"));
    let neither = "see `cargo semver-checks check-release`";
    error.unwrap_or(neither).to_owned()
}

/// The entries (`- ...` lines) of the changelog's `## [Unreleased]` section.
pub fn unreleased_entries(changelog: &str) -> Option<Vec<String>> {
    let mut lines = changelog.lines();
    lines.find(|l| l.trim_start().starts_with("## [Unreleased]"))?;
    let section = lines.take_while(|l| !l.starts_with("## "));
    let entries = section.filter_map(|l| l.strip_prefix("- "));
    Some(entries.map(str::to_owned).collect())
}

fn changelog(root: &Path) -> Finding {
    let Ok(text) = std::fs::read_to_string(root.join(CHANGELOG)) else {
        let blocker = format!("keep a {CHANGELOG} (https://keepachangelog.com)");
        return Finding::new("changelog", format!("no {CHANGELOG}"), Some(blocker));
    };
    let (text, blocker) = match unreleased_entries(&text).unwrap_or_default().as_slice() {
        [] => {
            let blocker = format!("list what this release changes in {CHANGELOG}");
            ("nothing under `## [Unreleased]`".to_owned(), Some(blocker))
        }
        entries => {
            let (count, first) = (entries.len(), crate::shorten(&entries[0], 73));
            let text = format!("{count} entries under [Unreleased], first: {first}");
            (text, None)
        }
    };
    Finding::new("changelog", text, blocker)
}

/// Whether the working tree is clean: a release is published from a commit.
fn tree(root: &Path) -> Finding {
    let text = match git(root, &["status", "--porcelain"]) {
        Some(status) if status.trim().is_empty() => "clean".to_owned(),
        Some(status) => format!(
            "{} uncommitted path(s): packaged as they are here; publish from a clean commit",
            status.lines().count()
        ),
        None => "not a git checkout".to_owned(),
    };
    Finding::new("tree", text, None)
}

/// Its output, when it succeeds.
fn git(root: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git").current_dir(root).args(args).output();
    let output = output.ok()?;
    (output.status.success()).then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}
