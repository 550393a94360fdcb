//! Build cost: clean release builds of katapult-core and of the hand-written
//! floor, timed, and the crates in each dependency tree counted (offline).
//! Each build has its own `CARGO_TARGET_DIR` under the system's temporary
//! directory; the shared `target/` is never cleaned.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::runner::cargo;

/// The floor crates' `Cargo.toml` dependency sections, by name.
const FLOORS: &[(&str, &str, &str)] = &[
    (
        "floor-tls",
        "floor: reqwest + serde_json, TLS as katapult-core's default (rustls, ring, webpki-roots)",
        r#"reqwest = { version = "0.13", default-features = false, features = ["json", "rustls-no-provider"] }
rustls = { version = "0.23", default-features = false, features = ["ring", "std", "tls12"] }
webpki-roots = "1"
serde = { version = "1", features = ["derive"] }
serde_json = "1"
"#,
    ),
    (
        "floor-plain",
        "floor: reqwest + serde_json, no TLS",
        r#"reqwest = { version = "0.13", default-features = false, features = ["json"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
"#,
    ),
];

/// The floor's code: the same `PATCH /disks/disk`, hand-written.
const FLOOR_LIB: &str = r#"//! The hand-written floor: `PATCH /disks/disk` with reqwest and serde.

use serde::{Deserialize, Serialize};

#[derive(Serialize)]
pub struct UpdateDisk {
    pub disk: DiskRef,
    pub properties: Properties,
}

#[derive(Serialize)]
pub struct DiskRef {
    pub id: String,
}

#[derive(Serialize, Default)]
pub struct Properties {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_speed: Option<String>,
}

#[derive(Deserialize, Debug)]
pub struct Response {
    pub disk: Disk,
}

#[derive(Deserialize, Debug)]
pub struct Disk {
    pub id: Option<String>,
    pub name: Option<String>,
    pub size_in_gb: Option<i64>,
    pub state: Option<String>,
}

pub fn client() -> reqwest::Result<reqwest::Client> {
    let builder = reqwest::Client::builder();
    #[cfg(feature_tls)]
    let builder = {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        builder.tls_backend_preconfigured(config)
    };
    builder.build()
}

pub async fn update_disk(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    body: &UpdateDisk,
) -> reqwest::Result<Response> {
    client
        .patch(format!("{base}/disks/disk"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await
}
"#;

/// One thing whose build is measured.
struct Subject {
    label: String,
    /// Where cargo runs.
    dir: PathBuf,
    /// Extra arguments for `cargo tree` and `cargo build`.
    args: Vec<String>,
    slug: String,
}

/// Writes the floor crates under `dir`, each with a copy of the workspace's
/// `Cargo.lock` so that they resolve to the same versions, offline.
fn write_floors(root: &Path, dir: &Path) -> Result<Vec<Subject>, String> {
    let lock = std::fs::read(root.join("Cargo.lock")).map_err(|e| e.to_string())?;
    let mut subjects = Vec::new();
    for (slug, label, deps) in FLOORS {
        let crate_dir = dir.join(slug);
        std::fs::create_dir_all(crate_dir.join("src")).map_err(|e| e.to_string())?;
        let tls = slug.ends_with("tls");
        let manifest = format!(
            "[package]\nname = \"katapult-{slug}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\n{deps}\n[workspace]\n"
        );
        let lib = FLOOR_LIB.replace(
            "#[cfg(feature_tls)]",
            if tls { "" } else { "#[cfg(any())]" },
        );
        for (name, text) in [
            ("Cargo.toml", manifest.as_bytes()),
            ("Cargo.lock", &lock[..]),
            ("src/lib.rs", lib.as_bytes()),
        ] {
            std::fs::write(crate_dir.join(name), text).map_err(|e| e.to_string())?;
        }
        subjects.push(Subject {
            label: (*label).to_owned(),
            dir: crate_dir,
            args: Vec::new(),
            slug: (*slug).to_owned(),
        });
    }
    Ok(subjects)
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
    let output = Command::new(cargo())
        .current_dir(&subject.dir)
        .args(["tree", "--offline", "-e", edges, "--prefix", "none"])
        .args(&subject.args)
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
    let output = Command::new(cargo())
        .current_dir(&subject.dir)
        .args(["build", "--release", "--offline"])
        .args(&subject.args)
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
    let workspace = |label: &str, slug: &str, extra: &[&str]| Subject {
        label: label.to_owned(),
        dir: root.to_path_buf(),
        args: ["-p", "katapult-core"]
            .iter()
            .chain(extra)
            .map(|s| (*s).to_owned())
            .collect(),
        slug: slug.to_owned(),
    };
    let mut subjects = vec![
        workspace("katapult-core, default features", "katapult-core", &[]),
        workspace(
            "katapult-core, `--no-default-features` (no TLS)",
            "katapult-core-no-tls",
            &["--no-default-features"],
        ),
    ];
    subjects.extend(write_floors(root, &dir)?);

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
