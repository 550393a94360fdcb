//! `cargo xtask release-check`: what a release of `katapult-core` and
//! `katapult-core-httpmock` would contain, and whether it can go out, on one
//! screen. It packages both crates (offline, verified: cargo builds each
//! packaged crate against the other as a local registry), checks their
//! metadata, compares the fragment with the recorded upstream document
//! (`cargo xtask drift`), classifies the public API changes since the last
//! release tag, runs cargo-semver-checks when it is installed, and reads the
//! changelog's Unreleased section.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use serde_json::Value;

use crate::api_change::{self, Bump, Version};
use crate::drift::{self, RECORDED_PATH};
use crate::fragment::FRAGMENT_PATH;

/// The crates a release publishes, the mocks after the client they pin.
pub const CRATES: [&str; 2] = ["katapult-core", "katapult-core-httpmock"];
/// The committed outline of the generated public API.
pub const OUTLINE_SNAPSHOT: &str = api_change::COMMITTED_OUTLINE;
/// Release tags: `v` and the version without build metadata (`v0.1.0`).
pub const TAG_PREFIX: &str = "v";
/// The changelog, Keep a Changelog style.
pub const CHANGELOG: &str = "CHANGELOG.md";

/// One line of the summary: a topic, what was found, and whether it blocks
/// the release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `package`, `drift`, `api`, ...
    pub topic: &'static str,
    /// What was found.
    pub text: String,
    /// What stops the release, if anything.
    pub blocker: Option<String>,
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
    let mut findings = Vec::new();
    let crates = match crate_metadata(root) {
        Ok(crates) => crates,
        Err(error) => {
            findings.push(Finding {
                topic: "metadata",
                text: "cannot read the workspace's metadata".to_owned(),
                blocker: Some(error),
            });
            return findings;
        }
    };
    findings.extend(metadata(&crates));
    findings.push(upstream(root, &crates));
    findings.push(drift_finding(root));
    findings.push(package(root, &crates));
    let (api, previous) = api(root, &crates);
    findings.push(api);
    findings.push(semver_checks(root, previous.as_deref()));
    findings.push(changelog(root));
    findings.push(tree(root));
    findings
}

/// The summary: one line per finding, then the verdict.
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
    }
    let blockers = findings.iter().filter(|f| f.blocker.is_some()).count();
    if blockers == 0 {
        out.push_str("release: ready (publish katapult-core first, then katapult-core-httpmock)\n");
    } else {
        let _ = writeln!(out, "release: NOT READY ({blockers} blocker(s) above)");
    }
    out
}

// ---------------------------------------------------------------- metadata

/// What `cargo metadata` says about one of the crates.
#[derive(Debug, Clone, Default)]
pub struct CrateMeta {
    /// The package name.
    pub name: String,
    /// Its version, build metadata included.
    pub version: String,
    /// `repository`, as crates.io shows it.
    pub repository: Option<String>,
    /// `readme`, relative to the manifest.
    pub readme: Option<String>,
    /// `documentation`.
    pub documentation: Option<String>,
    /// `rust-version`.
    pub rust_version: Option<String>,
    /// `license`.
    pub license: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// The manifest's directory.
    pub dir: PathBuf,
    /// Normal (not dev) dependencies on a path: (name, version requirement).
    pub path_dependencies: Vec<(String, String)>,
    /// The highest `rust-version` among the crate's normal dependencies,
    /// direct and indirect, with the crate that needs it.
    pub dependencies_need: Option<(String, String)>,
}

fn crate_metadata(root: &Path) -> Result<Vec<CrateMeta>, String> {
    let output = Command::new(cargo())
        .current_dir(root)
        .args(["metadata", "--format-version", "1", "--offline"])
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let json: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("cargo metadata printed something else than JSON: {e}"))?;
    Ok(crates_from_metadata(&json))
}

/// Reads the release crates out of `cargo metadata` JSON.
pub fn crates_from_metadata(json: &Value) -> Vec<CrateMeta> {
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let packages: BTreeMap<&str, &Value> = json["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p.get("id")?.as_str()?, p)))
        .collect();
    let nodes: BTreeMap<&str, &Value> = json
        .pointer("/resolve/nodes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|n| Some((n.get("id")?.as_str()?, n)))
        .collect();

    CRATES
        .iter()
        .filter_map(|name| {
            let (id, package) = packages
                .iter()
                .find(|(_, p)| p.get("name").and_then(Value::as_str) == Some(name))?;
            let dir = text(package, "manifest_path")
                .map(PathBuf::from)
                .and_then(|p| p.parent().map(Path::to_path_buf))
                .unwrap_or_default();
            let path_dependencies = package["dependencies"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|d| d.get("path").is_some() && d["kind"].is_null())
                .map(|d| {
                    (
                        text(d, "name").unwrap_or_default(),
                        text(d, "req").unwrap_or_default(),
                    )
                })
                .collect();
            Some(CrateMeta {
                name: (*name).to_owned(),
                version: text(package, "version").unwrap_or_default(),
                repository: text(package, "repository"),
                readme: text(package, "readme"),
                documentation: text(package, "documentation"),
                rust_version: text(package, "rust_version"),
                license: text(package, "license"),
                description: text(package, "description"),
                dir,
                path_dependencies,
                dependencies_need: highest_rust_version(id, &packages, &nodes),
            })
        })
        .collect()
}

/// The highest `rust-version` among the normal dependencies reachable from
/// `root` (not `root` itself).
fn highest_rust_version(
    root: &str,
    packages: &BTreeMap<&str, &Value>,
    nodes: &BTreeMap<&str, &Value>,
) -> Option<(String, String)> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![root];
    let mut best: Option<([u64; 3], String, String)> = None;
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        if id != root
            && let Some(package) = packages.get(id)
            && let Some(rv) = package.get("rust_version").and_then(Value::as_str)
        {
            let key = version_key(rv);
            if best.as_ref().is_none_or(|(k, _, _)| key > *k) {
                let who = format!(
                    "{} {}",
                    package["name"].as_str().unwrap_or("?"),
                    package["version"].as_str().unwrap_or("?")
                );
                best = Some((key, rv.to_owned(), who));
            }
        }
        for dep in nodes
            .get(id)
            .and_then(|n| n["deps"].as_array())
            .into_iter()
            .flatten()
        {
            let normal = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| k["kind"].is_null());
            if normal && let Some(pkg) = dep["pkg"].as_str() {
                stack.push(pkg);
            }
        }
    }
    best.map(|(_, rv, who)| (rv, who))
}

/// Every field crates.io shows, set and true; path dependencies pinned.
pub fn metadata(crates: &[CrateMeta]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for meta in crates {
        let mut problems = Vec::new();
        let mut facts = Vec::new();
        for (field, value) in [
            ("description", &meta.description),
            ("license", &meta.license),
            ("documentation", &meta.documentation),
            ("repository", &meta.repository),
        ] {
            if value.as_deref().is_none_or(str::is_empty) {
                problems.push(format!("`{field}` is not set"));
            }
        }
        if let Some(doc) = &meta.documentation
            && doc != &format!("https://docs.rs/{}", meta.name)
        {
            facts.push(format!("documentation {doc}"));
        }
        match &meta.readme {
            Some(readme) if meta.dir.join(readme).is_file() => {
                facts.push(format!("readme {readme}"))
            }
            Some(readme) => problems.push(format!("`readme = \"{readme}\"` is not a file")),
            None => problems.push("`readme` is not set".to_owned()),
        }
        match (&meta.rust_version, &meta.dependencies_need) {
            (None, _) => problems.push("`rust-version` is not set".to_owned()),
            (Some(declared), Some((needed, who)))
                if version_key(needed) > version_key(declared) =>
            {
                problems.push(format!("rust-version {declared}, but {who} needs {needed}"));
            }
            (Some(declared), _) => facts.push(format!("rust-version {declared}")),
        }
        for (dependency, requirement) in &meta.path_dependencies {
            let pinned = crates
                .iter()
                .find(|c| &c.name == dependency)
                .and_then(|c| Version::parse(&c.version).ok())
                .map(|v| format!("={}.{}.{}", v.major, v.minor, v.patch));
            if requirement == "*" {
                problems.push(format!(
                    "the path dependency on {dependency} has no version"
                ));
            } else if pinned.as_ref().is_some_and(|p| p != requirement) {
                problems.push(format!(
                    "the path dependency on {dependency} asks for {requirement}, not {}",
                    pinned.unwrap_or_default()
                ));
            } else {
                facts.push(format!("{dependency} {requirement}"));
            }
        }
        findings.push(Finding {
            topic: "metadata",
            text: format!("{} {}: {}", meta.name, meta.version, facts.join(", ")),
            blocker: (!problems.is_empty()).then(|| problems.join("; ")),
        });
    }
    findings
}

/// `1.88` and `1.88.0` compare equal.
fn version_key(version: &str) -> [u64; 3] {
    let mut key = [0; 3];
    for (slot, part) in key.iter_mut().zip(version.split('.')) {
        *slot = part.parse().unwrap_or(0);
    }
    key
}

/// The recorded upstream document, and whether the versions name it.
fn upstream(root: &Path, crates: &[CrateMeta]) -> Finding {
    let recorded = std::fs::read_to_string(root.join(RECORDED_PATH))
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok());
    let Some(stamp) = recorded.as_ref().and_then(|r| r.get(drift::RECORDED_KEY)) else {
        return Finding {
            topic: "upstream",
            text: format!("no recorded upstream document at {RECORDED_PATH}"),
            blocker: Some("record one: `cargo xtask drift --upstream FILE --record`".to_owned()),
        };
    };
    let version = stamp["katapult-version"].as_str().unwrap_or("unknown");
    let sha = stamp["source-sha256"].as_str().unwrap_or("");
    let expected = format!("katapult.{version}");
    let wrong: Vec<String> = crates
        .iter()
        .filter(|c| {
            Version::parse(&c.version)
                .ok()
                .and_then(|v| v.build)
                .as_deref()
                != Some(expected.as_str())
        })
        .map(|c| format!("{} {}", c.name, c.version))
        .collect();
    Finding {
        topic: "upstream",
        text: format!(
            "Katapult {version} ({}, document sha256 {}); crate versions carry +{expected}",
            stamp["source-file"].as_str().unwrap_or(RECORDED_PATH),
            sha.get(..12).unwrap_or(sha)
        ),
        blocker: (!wrong.is_empty()).then(|| {
            format!(
                "{} should end in +{expected}, the upstream version the fragment follows",
                wrong.join(", ")
            )
        }),
    }
}

fn drift_finding(root: &Path) -> Finding {
    match drift::drift(root, None) {
        Ok(report) => {
            let ids: BTreeSet<&String> = report.declared().flat_map(|d| &d.departures).collect();
            let undeclared = report.undeclared().count();
            Finding {
                topic: "drift",
                text: format!(
                    "{undeclared} undeclared, {} declared ({} departures), {} stale, {} description warning(s)",
                    report.declared().count(),
                    ids.len(),
                    report.stale.len(),
                    report.warnings.len()
                ),
                blocker: (!report.is_clean()).then(|| {
                    "run `cargo xtask drift` and follow upstream or declare the departures"
                        .to_owned()
                }),
            }
        }
        Err(error) => Finding {
            topic: "drift",
            text: "cannot compare with upstream".to_owned(),
            blocker: Some(
                error
                    .to_string()
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            ),
        },
    }
}

// ----------------------------------------------------------------- package

/// Where `cargo package` verifies, apart from the workspace's own builds.
pub const PACKAGE_TARGET_DIR: &str = "target/release-check";

/// `cargo package` for both crates together, offline, with verification:
/// cargo builds each packaged crate, the mocks against the packaged client
/// through a temporary local registry. (Packaging katapult-core-httpmock
/// alone fails until katapult-core is on crates.io.) `--allow-dirty`
/// packages the working tree as it is; the `tree` line says if it is dirty.
///
/// Cargo takes a registry crate of a given version to be immutable, but
/// these are repackaged at the same version after every change: an earlier
/// run's unpacked sources and build of the client would be reused, and the
/// mocks verified against the client as it was then. So verification builds
/// in a target directory of its own, where the two crates' fingerprints are
/// removed first, and earlier unpacked copies are removed too.
fn package(root: &Path, crates: &[CrateMeta]) -> Finding {
    let cleared = clear_stale_unpacked(crates);
    let target = root.join(PACKAGE_TARGET_DIR);
    clear_fingerprints(&target);
    let mut command = Command::new(cargo());
    command
        .current_dir(root)
        .args(["package", "--offline", "--allow-dirty", "--color", "never"]);
    command.arg("--target-dir").arg(&target);
    for name in CRATES {
        command.args(["-p", name]);
    }
    let output = match command.output() {
        Ok(output) => output,
        Err(error) => {
            return Finding {
                topic: "package",
                text: "cannot run cargo package".to_owned(),
                blocker: Some(error.to_string()),
            };
        }
    };
    let log = String::from_utf8_lossy(&output.stderr);
    let packaged = packaged(&log);
    if output.status.success() {
        Finding {
            topic: "package",
            text: format!(
                "{} (verified offline in {PACKAGE_TARGET_DIR}{})",
                packaged
                    .iter()
                    .map(|(name, size)| format!("{name}.crate {size}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if cleared > 0 {
                    format!(
                        "; {cleared} stale unpacked copy(ies) from an earlier run removed first"
                    )
                } else {
                    String::new()
                }
            ),
            blocker: None,
        }
    } else {
        let tail: Vec<&str> = log
            .lines()
            .filter(|l| !l.trim().is_empty())
            .rev()
            .take(6)
            .collect();
        Finding {
            topic: "package",
            text: "cargo package failed".to_owned(),
            blocker: Some(
                tail.into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join("\n              "),
            ),
        }
    }
}

/// Removes the copies of these crates that an earlier `cargo package`
/// unpacked from its temporary local registry (`$CARGO_HOME/registry/src/
/// -<hash>/<name>-<version>`; a local registry has no host, hence the
/// leading `-`). Cargo keeps an unpacked crate and reuses it while the
/// version is the same, so without this the mocks would be verified against
/// the client as it was packaged last time, not as it is now. Crates from
/// crates.io (`index.crates.io-*`) are left alone. Returns how many copies
/// were removed.
fn clear_stale_unpacked(crates: &[CrateMeta]) -> usize {
    let Some(home) = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
    else {
        return 0;
    };
    let Ok(registries) = std::fs::read_dir(home.join("registry/src")) else {
        return 0;
    };
    let mut removed = 0;
    for registry in registries.flatten() {
        if !registry.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        for meta in crates {
            let unpacked = registry
                .path()
                .join(format!("{}-{}", meta.name, meta.version));
            if unpacked.is_dir() && std::fs::remove_dir_all(&unpacked).is_ok() {
                removed += 1;
            }
        }
    }
    removed
}

/// Removes the fingerprints of the released crates under `target`, so cargo
/// rebuilds them from the sources just packaged.
fn clear_fingerprints(target: &Path) {
    let Ok(entries) = std::fs::read_dir(target.join("debug/.fingerprint")) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = CRATES.iter().any(|c| {
            name.strip_prefix(c)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|hash| hash.chars().all(|c| c.is_ascii_hexdigit()))
        });
        if ours {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// (crate-version, size) from `cargo package`'s log: each `Packaging NAME
/// vVERSION` line and the `Packaged N files, SIZE (SIZE compressed)` after it.
pub fn packaged(log: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
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

/// The generated public API against the last release tag's outline.
/// Returns the finding and the tag, if there is one.
fn api(root: &Path, crates: &[CrateMeta]) -> (Finding, Option<String>) {
    let current = match current_outline(root) {
        Ok(outline) => outline,
        Err(error) => {
            return (
                Finding {
                    topic: "api",
                    text: "cannot outline the generated API".to_owned(),
                    blocker: Some(error),
                },
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
    let stale_snapshot = api_change::outline_from_snapshot(&committed) != current;

    let Some((tag, previous)) = last_release(root) else {
        let items = current.lines().filter(|l| !l.trim().is_empty()).count();
        return (
            Finding {
                topic: "api",
                text: format!(
                    "first release: no {TAG_PREFIX}* tag, so all {items} outline items are new (version {version})"
                ),
                blocker: stale_snapshot.then(stale_outline),
            },
            None,
        );
    };
    let Some(previous_outline) = git(root, &["show", &format!("{tag}:{OUTLINE_SNAPSHOT}")]) else {
        return (
            Finding {
                topic: "api",
                text: format!("{tag} has no {OUTLINE_SNAPSHOT} to compare with"),
                blocker: None,
            },
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
        .filter(|c| c.severity == api_change::Severity::Breaking)
        .count();
    let current_version = Version::parse(&version).ok();
    let numbers = |v: &Version| (v.major, v.minor, v.patch);
    let too_low = current_version
        .as_ref()
        .is_some_and(|v| bump != Bump::None && numbers(v) < numbers(&required));
    (
        Finding {
            topic: "api",
            text: format!(
                "since {tag}: {} change(s), {breaking} breaking; needs {} (Cargo.toml: {version})",
                changes.len(),
                if bump == Bump::None {
                    format!("no bump from {previous}")
                } else {
                    required.to_string()
                }
            ),
            blocker: if too_low {
                Some(format!("bump the crates' version to {required} at least"))
            } else {
                stale_snapshot.then(stale_outline)
            },
        },
        Some(tag),
    )
}

/// What to do when the committed outline snapshot is not the generated API's.
fn stale_outline() -> String {
    format!("{OUTLINE_SNAPSHOT} is stale: run `cargo test -p xtask --test fragment` and review it")
}

/// The outline of the generated public API as committed: the types, then
/// the client's generated methods (as the outline snapshot holds it).
fn current_outline(root: &Path) -> Result<String, String> {
    let fragment = crate::codegen::prepare(&root.join(FRAGMENT_PATH), FRAGMENT_PATH)
        .map_err(|problems| crate::problem::render(&problems))?;
    let enums = crate::codegen::open_enums(&fragment).map_err(|p| p.to_string())?;
    let read = |path: &str| {
        std::fs::read_to_string(root.join(path)).map_err(|e| format!("cannot read {path}: {e}"))
    };
    let types = read(crate::codegen::CLIENT_PATH)?;
    let methods = read(crate::codegen::METHODS_PATH)?;
    crate::outline::public_api(&types, &methods, &enums).map_err(|e| e.to_string())
}

/// The highest `v<version>` tag and its version.
fn last_release(root: &Path) -> Option<(String, Version)> {
    let tags = git(root, &["tag", "--list", &format!("{TAG_PREFIX}*")])?;
    tags.lines()
        .filter_map(|tag| {
            let version = Version::parse(tag.strip_prefix(TAG_PREFIX)?).ok()?;
            Some((tag.to_owned(), version))
        })
        .max_by_key(|(_, v)| (v.major, v.minor, v.patch))
}

// ---------------------------------------------------------- semver-checks

/// cargo-semver-checks, when installed and there is a release to compare
/// with; never required.
fn semver_checks(root: &Path, previous_tag: Option<&str>) -> Finding {
    let installed = Command::new(cargo())
        .args(["semver-checks", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        return Finding {
            topic: "semver",
            text: "cargo-semver-checks is not installed (optional; the api line above is this \
                   repository's own check). To add rustdoc-based checks: \
                   `cargo install cargo-semver-checks --locked`"
                .to_owned(),
            blocker: None,
        };
    }
    let Some(tag) = previous_tag else {
        return Finding {
            topic: "semver",
            text: format!(
                "cargo-semver-checks: nothing to compare with (no {TAG_PREFIX}* tag yet)"
            ),
            blocker: None,
        };
    };
    let output = Command::new(cargo())
        .current_dir(root)
        .args(["semver-checks", "check-release", "--baseline-rev", tag])
        .args(CRATES.iter().flat_map(|c| ["-p", c]))
        .output();
    match output {
        Ok(output) if output.status.success() => Finding {
            topic: "semver",
            text: format!("cargo-semver-checks against {tag}: no semver violation"),
            blocker: None,
        },
        Ok(output) => {
            let log = String::from_utf8_lossy(&output.stderr);
            let summary = log
                .lines()
                .rev()
                .find(|l| l.contains("Summary") || l.contains("error"))
                .unwrap_or("see `cargo semver-checks check-release`")
                .trim()
                .to_owned();
            Finding {
                topic: "semver",
                text: format!("cargo-semver-checks against {tag}: {summary}"),
                blocker: Some(format!(
                    "run `cargo semver-checks check-release --baseline-rev {tag}` and bump the version it asks for"
                )),
            }
        }
        Err(error) => Finding {
            topic: "semver",
            text: format!("cargo-semver-checks could not run: {error}"),
            blocker: None,
        },
    }
}

// --------------------------------------------------------------- changelog

/// The entries (`- ...` lines) of the changelog's `## [Unreleased]` section.
pub fn unreleased_entries(changelog: &str) -> Option<Vec<String>> {
    let mut lines = changelog.lines();
    lines.find(|l| l.trim_start().starts_with("## [Unreleased]"))?;
    Some(
        lines
            .take_while(|l| !l.starts_with("## "))
            .filter_map(|l| l.strip_prefix("- "))
            .map(str::to_owned)
            .collect(),
    )
}

fn changelog(root: &Path) -> Finding {
    let Ok(text) = std::fs::read_to_string(root.join(CHANGELOG)) else {
        return Finding {
            topic: "changelog",
            text: format!("no {CHANGELOG}"),
            blocker: Some(format!("keep a {CHANGELOG} (https://keepachangelog.com)")),
        };
    };
    match unreleased_entries(&text) {
        Some(entries) if !entries.is_empty() => Finding {
            topic: "changelog",
            text: format!(
                "{} entries under [Unreleased], first: {}",
                entries.len(),
                shorten(&entries[0], 70)
            ),
            blocker: None,
        },
        _ => Finding {
            topic: "changelog",
            text: "nothing under `## [Unreleased]`".to_owned(),
            blocker: Some(format!("list what this release changes in {CHANGELOG}")),
        },
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!("{}...", text.chars().take(max).collect::<String>())
    }
}

/// Whether the working tree is clean: a release is published from a commit.
fn tree(root: &Path) -> Finding {
    match git(root, &["status", "--porcelain"]) {
        Some(status) if status.trim().is_empty() => Finding {
            topic: "tree",
            text: "clean".to_owned(),
            blocker: None,
        },
        Some(status) => Finding {
            topic: "tree",
            text: format!(
                "{} uncommitted path(s): packaged as they are here; publish from a clean commit",
                status.lines().count()
            ),
            blocker: None,
        },
        None => Finding {
            topic: "tree",
            text: "not a git checkout".to_owned(),
            blocker: None,
        },
    }
}

fn git(root: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .current_dir(root)
        .args(args)
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The cargo running us (`cargo xtask` sets `CARGO`), else `cargo`.
fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packaged_reads_cargo_package_output() {
        let log = "\
   Packaging katapult-core v0.1.0+katapult.2.68.0 (/w/crates/katapult-core)
    Packaged 41 files, 535.4KiB (118.8KiB compressed)
   Packaging katapult-core-httpmock v0.1.0+katapult.2.68.0 (/w/crates/katapult-core-httpmock)
    Packaged 9 files, 69.3KiB (21.8KiB compressed)
   Verifying katapult-core v0.1.0+katapult.2.68.0 (/w/crates/katapult-core)
";
        assert_eq!(
            packaged(log),
            [
                (
                    "katapult-core-0.1.0+katapult.2.68.0".to_owned(),
                    "(41 files, 535.4KiB (118.8KiB compressed))".to_owned()
                ),
                (
                    "katapult-core-httpmock-0.1.0+katapult.2.68.0".to_owned(),
                    "(9 files, 69.3KiB (21.8KiB compressed))".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn unreleased_entries_stop_at_the_next_release() {
        let text = "# Changelog\n\n## [Unreleased]\n\n### Changed\n- one\n- two\n\n## [0.1.0] - 2026-01-01\n- old\n";
        assert_eq!(unreleased_entries(text).unwrap(), ["one", "two"]);
        assert_eq!(unreleased_entries("# Changelog\n"), None);
    }

    fn meta(name: &str) -> CrateMeta {
        CrateMeta {
            name: name.to_owned(),
            version: "0.1.0+katapult.2.68.0".to_owned(),
            repository: Some("https://example.org/r".to_owned()),
            readme: Some("Cargo.toml".to_owned()),
            documentation: Some(format!("https://docs.rs/{name}")),
            rust_version: Some("1.88".to_owned()),
            license: Some("MIT".to_owned()),
            description: Some("d".to_owned()),
            dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
            path_dependencies: Vec::new(),
            dependencies_need: Some(("1.88".to_owned(), "x 1.0".to_owned())),
        }
    }

    #[test]
    fn metadata_problems_block_the_release() {
        let good = [meta("katapult-core")];
        assert!(
            metadata(&good)[0].blocker.is_none(),
            "{:?}",
            metadata(&good)
        );

        let mut bad = meta("katapult-core-httpmock");
        bad.repository = None;
        bad.readme = Some("MISSING.md".to_owned());
        bad.path_dependencies = vec![("katapult-core".to_owned(), "*".to_owned())];
        bad.dependencies_need = Some(("1.90".to_owned(), "tokio 1.99".to_owned()));
        let blocker = metadata(&[meta("katapult-core"), bad])[1]
            .blocker
            .clone()
            .unwrap();
        for expected in [
            "`repository` is not set",
            "MISSING.md",
            "has no version",
            "tokio 1.99 needs 1.90",
        ] {
            assert!(blocker.contains(expected), "{blocker}");
        }

        let mut pinned = meta("katapult-core-httpmock");
        pinned.path_dependencies = vec![("katapult-core".to_owned(), "=0.1.0".to_owned())];
        let findings = metadata(&[meta("katapult-core"), pinned]);
        assert!(findings[1].blocker.is_none(), "{findings:?}");
    }
}
