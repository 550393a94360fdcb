//! Build cost: clean release builds of katapult-core and of the hand-written
//! floor, timed, and the crates in each dependency tree counted (offline).
//! The floor is the project the benchmark compiles too
//! (`crates/katapult-core/benches/floor`), copied with the workspace's
//! `Cargo.lock` and built with and without its `rustls` feature. Each build
//! has its own `CARGO_TARGET_DIR` under the system's temporary directory; the
//! shared `target/` is never cleaned.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::cargo;

/// The hand-written floor, a Cargo project of its own that the benchmark
/// also compiles (as a module), relative to the workspace root.
const FLOOR_DIR: &str = "crates/katapult-core/benches/floor";

/// One thing whose build is measured.
struct Subject {
    label: &'static str,
    /// Where cargo runs.
    dir: PathBuf,
    /// Extra arguments for `cargo tree` and `cargo build`.
    args: &'static [&'static str],
    /// Names its target directory.
    slug: &'static str,
}

/// Copies the floor project (its manifest and sources) to `dir/floor`, with
/// a copy of the workspace's `Cargo.lock` so that it resolves to the same
/// versions, offline. Returns the copy's directory.
fn copy_floor(root: &Path, dir: &Path) -> Result<PathBuf, String> {
    let from = root.join(FLOOR_DIR);
    let to = dir.join("floor");
    if to.exists() {
        std::fs::remove_dir_all(&to).map_err(|e| format!("{}: {e}", to.display()))?;
    }
    copy(&from.join("Cargo.toml"), &to.join("Cargo.toml"))?;
    copy(&from.join("src"), &to.join("src"))?;
    copy(&root.join("Cargo.lock"), &to.join("Cargo.lock"))?;
    Ok(to)
}

/// Copies a file, or a directory and everything in it.
fn copy(from: &Path, to: &Path) -> Result<(), String> {
    let failed =
        |e: std::io::Error| format!("cannot copy {} to {}: {e}", from.display(), to.display());
    if from.is_dir() {
        std::fs::create_dir_all(to).map_err(failed)?;
        for entry in std::fs::read_dir(from).map_err(failed)? {
            let entry = entry.map_err(failed)?;
            copy(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(failed)?;
        }
        std::fs::copy(from, to).map(drop).map_err(failed)
    }
}

/// The crates in a `cargo tree --prefix none` listing, deduplicated
/// (`name vX.Y.Z`, without `(*)`, `(proc-macro)` or paths).
fn crates_in_tree(listing: &str) -> BTreeSet<String> {
    listing
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next()?;
            let version = words.next()?;
            Some(format!("{name} {version}"))
        })
        .collect()
}

fn tree(subject: &Subject, edges: &str) -> Result<BTreeSet<String>, String> {
    let output = cargo(&subject.dir)
        .args(["tree", "--offline", "-e", edges, "--prefix", "none"])
        .args(subject.args)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo tree: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo tree failed for {}", subject.label));
    }
    Ok(crates_in_tree(&String::from_utf8_lossy(&output.stdout)))
}

/// One clean release build: wall time and the number of crates compiled.
fn clean_build(subject: &Subject, target: &Path) -> Result<(Duration, usize), String> {
    if target.exists() {
        std::fs::remove_dir_all(target).map_err(|e| format!("{}: {e}", target.display()))?;
    }
    eprintln!("building {} from clean ...", subject.label);
    let started = Instant::now();
    let output = cargo(&subject.dir)
        .args(["build", "--release", "--offline"])
        .args(subject.args)
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_TERM_COLOR", "never")
        .stdout(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo build: {e}"))?;
    let took = started.elapsed();
    let log = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("cargo build failed for {}:\n{log}", subject.label));
    }
    let compiled = log
        .lines()
        .filter(|line| line.trim_start().starts_with("Compiling "))
        .count();
    Ok((took, compiled))
}

/// The build-cost section of the report: every subject built `repeat` times
/// from clean, offline.
pub(super) fn build_cost(root: &Path, repeat: u32) -> Result<String, String> {
    let dir = std::env::temp_dir().join("katapult-build-cost");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let floor = copy_floor(root, &dir)?;
    // katapult-core and the floor, each with its default TLS and without:
    // the first and the third are the like-for-like pair compared below.
    let subjects = [
        Subject {
            label: "katapult-core, default features",
            dir: root.to_path_buf(),
            args: &["-p", "katapult-core"],
            slug: "katapult-core",
        },
        Subject {
            label: "katapult-core, `--no-default-features` (no TLS)",
            dir: root.to_path_buf(),
            args: &["-p", "katapult-core", "--no-default-features"],
            slug: "katapult-core-no-tls",
        },
        Subject {
            label: "floor: reqwest + serde_json, TLS as katapult-core's default (rustls, ring, webpki-roots)",
            dir: floor.clone(),
            args: &[],
            slug: "floor-tls",
        },
        Subject {
            label: "floor: reqwest + serde_json, no TLS",
            dir: floor,
            args: &["--no-default-features"],
            slug: "floor-plain",
        },
    ];

    let mut out = String::new();
    writeln!(out, "## Build cost\n").unwrap();
    writeln!(
        out,
        "Release build from an empty `CARGO_TARGET_DIR` under `{}`, offline, all cores; \
         crates counted with `cargo tree -e normal --prefix none` (deduplicated; the root \
         included) and, in the third column, with build dependencies too. \
         `compiled` counts cargo's `Compiling` lines.\n",
        dir.display()
    )
    .unwrap();
    writeln!(
        out,
        "| subject | crates (`-e normal`) | crates (`-e normal,build`) | compiled | clean release build |"
    )
    .unwrap();
    writeln!(out, "|---|---:|---:|---:|---|").unwrap();
    let mut trees = Vec::new();
    for subject in &subjects {
        let normal = tree(subject, "normal")?;
        let with_build = tree(subject, "normal,build")?;
        let target = dir.join(format!("target-{}", subject.slug));
        let mut times = Vec::new();
        let mut compiled = 0;
        for _ in 0..repeat {
            let (took, count) = clean_build(subject, &target)?;
            times.push(format!("{:.1} s", took.as_secs_f64()));
            compiled = count;
        }
        writeln!(
            out,
            "| {} | {} | {} | {compiled} | {} |",
            subject.label,
            normal.len(),
            with_build.len(),
            times.join(", ")
        )
        .unwrap();
        trees.push(normal);
    }

    // What katapult-core adds over the floor with the same TLS.
    let added: Vec<&String> = trees[0].difference(&trees[2]).collect();
    writeln!(
        out,
        "\nIn katapult-core's tree (default features) and not in the TLS floor's ({}): {}\n",
        added.len(),
        added
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )
    .unwrap();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_listings_are_deduplicated() {
        let listing = "katapult-core v0.1.0 (/work/main/crates/katapult-core)\n\
                       bytes v1.12.2\n\
                       http v1.5.0\n\
                       bytes v1.12.2\n\
                       http v1.5.0 (*)\n\
                       serde_derive v1.0.229 (proc-macro)\n";
        let crates = crates_in_tree(listing);
        assert_eq!(crates.len(), 4);
        assert!(crates.contains("http v1.5.0"));
    }
}
