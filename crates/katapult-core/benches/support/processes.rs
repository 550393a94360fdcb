//! The client processes of the benchmarks that share one token across
//! processes (`fleet.rs`, `governor.rs`): each is the bench binary started
//! again as `client ...`, and prints its report as one JSON value.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// Starts every command with its stdout captured, waits for all of them
/// (on a blocking thread, not one of the runtime's, which may be serving),
/// and returns their reports in order; a process that fails, or prints
/// something that is not JSON, fails the job.
pub async fn reports(commands: Vec<Command>) -> Result<Vec<Value>, String> {
    let children: Vec<_> = commands
        .into_iter()
        .map(|mut command| {
            command
                .stdout(Stdio::piped())
                .spawn()
                .map_err(|e| format!("cannot start a client process: {e}"))
        })
        .collect::<Result<_, _>>()?;
    tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|child| {
                let output = child.wait_with_output().map_err(|e| e.to_string())?;
                if !output.status.success() {
                    return Err(format!("a client process failed: {}", output.status));
                }
                serde_json::from_slice::<Value>(&output.stdout).map_err(|e| e.to_string())
            })
            .collect()
    })
    .await
    .map_err(|e| e.to_string())?
}

/// A rate-limit pool file for one job's client processes
/// (`ClientBuilder::rate_limit_pool`), in the system's temporary folder;
/// removed when the job is over.
pub struct PoolFile(PathBuf);

impl PoolFile {
    pub fn new(bench: &str) -> Self {
        let name = format!("katapult-{bench}-bench-{}.pool", std::process::id());
        Self(std::env::temp_dir().join(name))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for PoolFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
