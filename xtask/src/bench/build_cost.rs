//! Build cost: clean release builds of katapult-core and of the hand-written
//! floor timed, their crates counted, and the code generated per operation.
//! Each build has its own `CARGO_TARGET_DIR` under the system's temporary
//! directory: the shared `target/` is never cleaned.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::codegen::{self, CLI_PATH, METHODS_PATH, MOCKS_PATH, TYPES_PATH};
use crate::fragment::FRAGMENT_PATH;
use crate::{cargo, problem};

const FLOOR_DIR: &str = "crates/katapult-core/benches/floor";

/// Label, whether it is the floor (built in its copy), and `cargo
/// tree`/`build` arguments. The first and third are the like-for-like pair.
type Subject = (&'static str, bool, &'static [&'static str]);

#[rustfmt::skip]
const SUBJECTS: [Subject; 4] = [
    ("katapult-core, default features", false, &["-p", "katapult-core"]),
    ("katapult-core, `--no-default-features` (no TLS)", false, &["-p", "katapult-core", "--no-default-features"]),
    ("floor: reqwest + serde_json, TLS as katapult-core's default (rustls, ring, webpki-roots)", true, &[]),
    ("floor: reqwest + serde_json, no TLS", true, &["--no-default-features"]),
];

/// The crates in a `cargo tree --prefix none` listing, deduplicated
/// (`name vX.Y.Z`, without `(*)`, `(proc-macro)` or paths).
pub fn crates_in_tree(listing: &str) -> BTreeSet<String> {
    let crate_of = |line: &str| {
        let mut words = line.split_whitespace();
        Some(format!("{} {}", words.next()?, words.next()?))
    };
    listing.lines().filter_map(crate_of).collect()
}

fn tree(dir: &Path, (label, _, args): Subject, edges: &str) -> Result<BTreeSet<String>, String> {
    let output = cargo(dir)
        .args(["tree", "--offline", "-e", edges, "--prefix", "none"])
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo tree: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo tree failed for {label}"));
    }
    Ok(crates_in_tree(&String::from_utf8_lossy(&output.stdout)))
}

/// Wall time and the number of crates compiled.
fn clean_build(dir: &Path, subject: Subject, target: &Path) -> Result<(Duration, usize), String> {
    let (label, _, args) = subject;
    if target.exists() {
        std::fs::remove_dir_all(target).map_err(|e| format!("{}: {e}", target.display()))?;
    }
    eprintln!("building {label} from clean ...");
    let started = Instant::now();
    let output = cargo(dir)
        .args(["build", "--release", "--offline"])
        .args(args)
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_TERM_COLOR", "never")
        .stdout(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo build: {e}"))?;
    let took = started.elapsed();
    let log = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("cargo build failed for {label}:\n{log}"));
    }
    let compiling = |line: &&str| line.trim_start().starts_with("Compiling ");
    Ok((took, log.lines().filter(compiling).count()))
}

/// Every subject built `repeat` times from clean.
pub(super) fn build_cost(root: &Path, repeat: u32) -> Result<String, String> {
    let dir = std::env::temp_dir().join("katapult-build-cost");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    // The floor's manifest and source, with the workspace's `Cargo.lock` so
    // that it resolves to the same versions, offline.
    let floor = dir.join("floor");
    let files = [
        (FLOOR_DIR, "Cargo.toml"),
        (FLOOR_DIR, "src/lib.rs"),
        ("", "Cargo.lock"),
    ];
    for (from, file) in files {
        let (from, to) = (root.join(from).join(file), floor.join(file));
        let failed = |e: std::io::Error| format!("cannot copy {}: {e}", from.display());
        std::fs::create_dir_all(to.parent().unwrap_or(&dir)).map_err(failed)?;
        std::fs::copy(&from, &to).map_err(failed)?;
    }
    let mut out = format!(
        "## Build cost\n\n\
         Release build from an empty `CARGO_TARGET_DIR` under `{}`, offline, all cores; \
         crates counted with `cargo tree -e normal --prefix none` (deduplicated; the root \
         included) and, in the third column, with build dependencies too. \
         `compiled` counts cargo's `Compiling` lines.\n\n\
         | subject | crates (`-e normal`) | crates (`-e normal,build`) | compiled | clean release build |\n\
         |---|---:|---:|---:|---|\n",
        dir.display()
    );
    let mut trees = Vec::new();
    for (index, subject) in SUBJECTS.into_iter().enumerate() {
        let at = if subject.1 { &floor } else { root };
        let normal = tree(at, subject, "normal")?;
        let with_build = tree(at, subject, "normal,build")?.len();
        let target = dir.join(format!("target-{index}"));
        let (mut times, mut compiled) = (Vec::new(), 0);
        for _ in 0..repeat {
            let (took, count) = clean_build(at, subject, &target)?;
            times.push(format!("{:.1} s", took.as_secs_f64()));
            compiled = count;
        }
        let (label, count, times) = (subject.0, normal.len(), times.join(", "));
        let _ = writeln!(
            out,
            "| {label} | {count} | {with_build} | {compiled} | {times} |"
        );
        trees.push(normal);
    }
    // What katapult-core adds over the floor with the same TLS.
    let added: Vec<String> = (trees[0].difference(&trees[2]).map(|c| format!("`{c}`"))).collect();
    let (count, added) = (added.len(), added.join(", "));
    let _ = writeln!(
        out,
        "\nIn katapult-core's tree (default features) and not in the TLS floor's ({count}): {added}\n"
    );
    out.push_str(&generated_size(root, &dir)?);
    Ok(out)
}

/// The generated files whose size grows with the operations.
pub const GENERATED: [&str; 4] = [TYPES_PATH, METHODS_PATH, MOCKS_PATH, CLI_PATH];

/// The operation copied (inline request and response, like most) and the next.
const COPIED: (&str, &str) = ("  /disks/disk/detach:\n", "  /disks/disk/assign:\n");

/// Lines and bytes of each generated file for the fragment at `path`, then
/// of all, and its operations.
fn generate(path: &Path) -> Result<(Vec<(usize, usize)>, usize), String> {
    let fragment = codegen::prepare(path, FRAGMENT_PATH).map_err(|p| problem::render(&p))?;
    let operations = crate::doc::operations(&fragment.document).len();
    let outputs = codegen::outputs(&fragment).map_err(|p| problem::render(&[p]))?;
    let size = |path: &str| {
        let file = outputs.iter().find(|o| o.path == path);
        let text = file.map_or("", |o| o.contents.as_str());
        (text.lines().count(), text.len())
    };
    let mut sizes = GENERATED.map(size).to_vec();
    sizes.push(sizes.iter().fold((0, 0), |t, s| (t.0 + s.0, t.1 + s.1)));
    Ok((sizes, operations))
}

/// The section on generated code: lines and bytes per file and operation,
/// and what one more operation (in a scratch fragment under `dir`) adds.
pub fn generated_size(root: &Path, dir: &Path) -> Result<String, String> {
    let (now, operations) = generate(&root.join(FRAGMENT_PATH))?;
    let text = std::fs::read_to_string(root.join(FRAGMENT_PATH)).map_err(|e| e.to_string())?;
    let (copied, before) = COPIED;
    let (Some(start), Some(end)) = (text.find(copied), text.find(before)) else {
        return Err(format!(
            "{FRAGMENT_PATH} no longer has {copied} before {before}"
        ));
    };
    let renames = [
        ("/disks/disk/detach:", "/disks/disk/detach_again:"),
        ("post:disk_detach\"", "post:disk_detach_again\""),
        ("x-rust-name: detach_disk", "x-rust-name: detach_disk_again"),
    ];
    let copy = (renames.iter()).fold(text[start..end].to_owned(), |t, (a, b)| t.replacen(a, b, 1));
    let scratch = dir.join("fragment-plus-one.yaml");
    std::fs::write(&scratch, format!("{}{copy}{}", &text[..end], &text[end..]))
        .map_err(|e| format!("{}: {e}", scratch.display()))?;
    let (plus, plus_operations) = generate(&scratch)?;
    if plus_operations != operations + 1 {
        let expected = operations + 1;
        return Err(format!(
            "the scratch fragment has {plus_operations} operations, not {expected}"
        ));
    }
    let mut out = format!(
        "\nGenerated code ({operations} operations; as `cargo xtask codegen` writes it, headers \
         included); \"one more\" is what a copy of `detach_disk` under a new path and name adds, \
         generated from a scratch copy of the fragment:\n\n\
         | file | lines | bytes | lines per operation | bytes per operation | one more: lines | one more: bytes |\n\
         |---|---:|---:|---:|---:|---:|---:|\n"
    );
    let labels = (GENERATED.iter().map(|path| format!("`{path}`"))).chain(["all four".into()]);
    let rows = labels.zip(now).zip(plus);
    for ((file, (lines, bytes)), (plus_lines, plus_bytes)) in rows {
        let _ = writeln!(
            out,
            "| {file} | {lines} | {bytes} | {} | {} | +{} | +{} |",
            lines / operations,
            bytes / operations,
            plus_lines.saturating_sub(lines),
            plus_bytes.saturating_sub(bytes),
        );
    }
    Ok(out)
}
