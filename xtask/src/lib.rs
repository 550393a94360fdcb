//! Maintainer tasks for the Katapult SDK workspace, run as `cargo xtask <task>`.
//!
//! The library half holds the work (reading and linting the fragment,
//! generating code, comparing it with what is committed) so that tests can
//! call it directly; `main.rs` is the command line around it.

pub mod bench_report;
pub mod codegen;
pub mod doc;
pub mod fragment;
pub mod lint;
pub mod outline;
pub mod problem;

use std::path::Path;

use fragment::{FRAGMENT_PATH, Fragment};
use problem::Problem;

/// Loads the project's fragment from the workspace at `root`.
pub fn load_fragment(root: &Path) -> Result<Fragment, Vec<Problem>> {
    Fragment::load(&root.join(FRAGMENT_PATH), FRAGMENT_PATH)
}

/// Everything `cargo xtask codegen` would write for the workspace at `root`.
pub fn expected_outputs(root: &Path) -> Result<Vec<codegen::Output>, Vec<Problem>> {
    let fragment = load_fragment(root)?;
    codegen::generate(&fragment).map_err(|problem| vec![problem])
}
