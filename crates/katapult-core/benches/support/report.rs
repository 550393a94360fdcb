//! The bench-report convention: each benchmark renders its own markdown
//! section and, when `KATAPULT_BENCH_OUT` names a file, writes it there;
//! `cargo xtask bench-report` runs the benchmarks with that variable set
//! (`target/bench-report/<bench>.md`) and stitches the sections in order.

/// Writes `markdown` to the file `KATAPULT_BENCH_OUT` names, if it names
/// one (creating its folder), and says where on stderr.
pub fn write(markdown: &str) -> Result<(), String> {
    let Some(path) = std::env::var_os("KATAPULT_BENCH_OUT") else {
        return Ok(());
    };
    let path = std::path::PathBuf::from(path);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&path, markdown).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// Whether a section is asked for (`KATAPULT_BENCH_OUT` is set).
#[allow(dead_code)] // Not every benchmark needs to ask.
pub fn wanted() -> bool {
    std::env::var_os("KATAPULT_BENCH_OUT").is_some()
}

/// `Wed, 02 Dec 2026 15:31:31 GMT` for Unix seconds: when a run was measured.
#[allow(dead_code)] // Not every benchmark says when.
pub fn utc(unix: u64) -> String {
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix))
}
