//! `cargo xtask release-check`'s readers of cargo's output and the
//! changelog, and its judgement of the crates' metadata.

use std::path::PathBuf;

use xtask::release::{
    CrateMeta, Dependency, latest_release, metadata, packaged, render, rust_version, semver_checks,
    semver_summary, unreleased_entries,
};

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
        manifest_path: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"),
        dependencies_need: Some(("1.88.0".to_owned(), "x 1.0".to_owned())),
        ..CrateMeta::default()
    }
}

fn path_dependency(req: &str) -> Dependency {
    Dependency {
        name: "katapult-core".to_owned(),
        req: req.to_owned(),
        kind: None,
        path: Some(PathBuf::from("../katapult-core")),
    }
}

#[test]
fn metadata_problems_block_the_release() {
    let good = metadata(&[meta("katapult-core")]);
    assert!(
        good[0].blocker.is_none() && good[0].note.is_none(),
        "{good:?}"
    );

    let mut bad = meta("katapult-core-httpmock");
    bad.license = None;
    bad.readme = Some("MISSING.md".to_owned());
    bad.dependencies = vec![path_dependency("*")];
    bad.dependencies_need = Some(("1.90".to_owned(), "tokio 1.99".to_owned()));
    let blocker = metadata(&[meta("katapult-core"), bad])[1]
        .blocker
        .clone()
        .unwrap();
    for expected in [
        "`license` is not set",
        "MISSING.md",
        "has no version",
        "tokio 1.99 needs 1.90",
    ] {
        assert!(blocker.contains(expected), "{blocker}");
    }

    let mut pinned = meta("katapult-core-httpmock");
    pinned.dependencies = vec![path_dependency("=0.1.0")];
    let findings = metadata(&[meta("katapult-core"), pinned]);
    assert!(findings[1].blocker.is_none(), "{findings:?}");
}

/// A `rust-version` of `1.88` is `1.88.0`, and `1.90` is above both.
#[test]
fn rust_versions_compare_as_versions() {
    assert_eq!(rust_version("1.88"), rust_version("1.88.0"));
    assert!(rust_version("1.90") > rust_version("1.88.0"));
    assert!(rust_version("1.100") > rust_version("1.99"));
}

/// crates.io does not require `repository`, and the project has no
/// public home yet: its absence is a note for the first publish.
#[test]
fn a_missing_repository_is_a_note_not_a_blocker() {
    let mut unset = meta("katapult-core");
    unset.repository = None;
    let finding = &metadata(&[unset])[0];
    assert_eq!(finding.blocker, None, "{finding:?}");
    let note = finding.note.as_deref().unwrap();
    assert!(
        note.contains("has no `repository`") && note.contains("first publish"),
        "{note}"
    );
    let rendered = render(std::slice::from_ref(finding));
    assert!(
        rendered.contains("note: katapult-core has no `repository`"),
        "{rendered}"
    );
    assert!(
        rendered.ends_with(
            "release: ready (publish katapult-core first, then katapult-core-httpmock)\n"
        )
    );
}

/// The baseline is the highest version by semver, not the last tag by name:
/// `git tag --list` sorts `v0.2.0-rc.1` after `v0.2.0`, and `v0.10.0` before
/// `v0.9.0`.
#[test]
fn the_last_release_is_the_highest_version() {
    let tags = "v0.10.0\nv0.2.0\nv0.2.0-rc.1\nv0.9.0\nvnext\n";
    let (tag, _) = latest_release(tags).unwrap();
    assert_eq!(tag, "v0.10.0");
    let (tag, version) = latest_release("v0.2.0\nv0.2.0-rc.1\n").unwrap();
    assert_eq!(
        (tag.as_str(), version.to_string()),
        ("v0.2.0", "0.2.0".to_owned())
    );
    assert_eq!(latest_release("vnext\n"), None);
}

/// cargo-semver-checks is the one judge of the version: before the first
/// release tag there is nothing to judge; after one, release-check cannot
/// pass without its verdict (a missing tool blocks, and so does a baseline
/// it cannot check against).
#[test]
fn a_release_after_a_tag_needs_the_verdict_of_cargo_semver_checks() {
    let root = xtask::workspace_root();
    let first = semver_checks(&root, None);
    assert_eq!(first.blocker, None, "{first:?}");
    assert!(first.text.starts_with("nothing to judge"), "{first:?}");
    let later = semver_checks(&root, Some("v999.0.0-no-such-tag"));
    assert!(later.blocker.is_some(), "{later:?}");
}

/// A failed run names the crate's bump, though the next crate's "no semver
/// update required" comes last (cargo-semver-checks 0.51's log, trimmed).
#[test]
fn a_failed_semver_check_is_summed_up_by_the_bump_it_asks_for() {
    let log = "\
    Checking katapult-core v0.1.0+katapult.2.68.0 -> v0.1.0+katapult.2.68.0 (no change; assume minor)
     Checked [   0.073s] 202 checks: 201 pass, 1 fail, 0 warn, 58 skip

     Summary semver requires new major version: 1 major and 0 minor checks failed
    Finished [   5.024s] katapult-core
    Checking katapult-core-httpmock v0.1.0+katapult.2.68.0 -> v0.1.0+katapult.2.68.0 (no change; assume minor)
     Summary no semver update required
    Finished [   7.049s] katapult-core-httpmock
";
    assert_eq!(
        semver_summary(log),
        "semver requires new major version: 1 major and 0 minor checks failed"
    );
    let broken = "     Cloning v9
error: couldn't parse revision: \"v9^{tree}\"

Caused by:
    The ref partially named \"v9\" could not be found

Stack backtrace:
   0: anyhow::error::<impl core::convert::From<E> for anyhow::Error>::from
";
    assert_eq!(
        semver_summary(broken),
        "error: couldn't parse revision: \"v9^{tree}\""
    );
}
