//! `cargo xtask bench-report`'s sections, tree listings and the generated
//! code's size per operation.

use std::path::Path;
use std::time::{Duration, SystemTime};

use xtask::bench::build_cost::{GENERATED, crates_in_tree, generated_size};
use xtask::bench::{BENCHES, read_section, section_path};

#[test]
fn a_section_is_read_unless_it_predates_its_run() {
    let path = std::env::temp_dir().join(format!("xtask-section-{}.md", std::process::id()));
    std::fs::write(&path, "## fleet\n").unwrap();
    let fresh = read_section(&path, None);
    let later = SystemTime::now() + Duration::from_secs(60);
    let stale = read_section(&path, Some(later));
    let _ = std::fs::remove_file(&path);
    let missing = read_section(&path, None);
    assert_eq!(fresh.unwrap(), "## fleet\n");
    assert!(stale.unwrap_err().contains("predates this run"));
    assert!(missing.unwrap_err().contains("run the benchmark first"));
}

#[test]
fn every_bench_is_named_once() {
    for (n, (name, _)) in BENCHES.iter().enumerate() {
        assert!(!BENCHES[..n].iter().any(|b| b.0 == *name), "{name}");
    }
    assert!(section_path(Path::new("/w"), "fleet").ends_with("bench-report/fleet.md"));
}

#[test]
fn one_more_operation_adds_to_every_generated_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let dir = std::env::temp_dir().join(format!("xtask-generated-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let section = generated_size(root, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    let section = section.unwrap();
    assert!(
        section.contains("Generated code (9 operations;"),
        "{section}"
    );
    let rows: Vec<&str> = section.lines().filter(|l| l.starts_with("| `")).collect();
    assert_eq!(rows.len(), GENERATED.len(), "{section}");
    for row in rows {
        assert!(
            !row.contains("| +0 |"),
            "one more operation adds nothing to {row}"
        );
    }
}

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
