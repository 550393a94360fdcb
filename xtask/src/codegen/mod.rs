//! `cargo xtask codegen [--check]`: the fragment in, five generated files
//! out: progenitor's types (`generated.rs`, without its request plumbing:
//! katapult-core has its own call path), the client's methods
//! (`methods.rs`), the open enums progenitor is told to use instead of its
//! closed ones (`open_enums.rs`), progenitor's typed `httpmock` helpers, and
//! the CLI's request flags (`cli.rs`).
//!
//! [`run`] goes: load (`Fragment::load`), lint (`lint::check`), shape for
//! Rust (`Fragment::shape_for_rust`: `x-rust-option`, `x-rust-name`),
//! generate (`generate.rs`), format (prettyplease, under a header naming the
//! fragment and its sha256), then write or check (`output.rs`); a write that
//! changed the client prints what changed in the public API's outline
//! ([`crate::api_change`]).
//! Everything about the output's shape is decided by the fragment and by
//! progenitor's settings; nothing edits generated text.

mod cli;
pub mod generate;
pub mod methods;
mod open_enums;
mod output;

use std::path::Path;
use std::process::ExitCode;

use proc_macro2::TokenStream;

pub use self::cli::{CLI_PATH, cli_module};
pub use self::methods::METHODS_PATH;
pub use self::open_enums::{open_enums, render_open_enums};
pub use self::output::{MOCKS_PATH, OPEN_ENUMS_PATH, Output, TYPES_PATH, stale};
use crate::fragment::{FRAGMENT_PATH, Fragment};
use crate::problem::{self, Problem};
use crate::{flags, lint, outline};

pub fn run(root: &Path, flags: &flags::Codegen) -> ExitCode {
    match codegen(root, flags.check) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// [`run`] but for the exit status: what stopped it is the error.
fn codegen(root: &Path, check: bool) -> Result<(), String> {
    let outputs = expected_outputs(root).map_err(|problems| {
        let (count, problems) = (problems.len(), problem::render(&problems));
        format!("{problems}\n\n{count} problem(s) in the fragment; nothing was generated.")
    })?;
    let written = match check {
        true => stale(root, &outputs).map_or(Ok(Vec::new()), Err)?,
        false => output::write(root, &outputs)
            .map_err(|error| format!("cannot write generated code: {error}"))?,
    };
    if written.is_empty() {
        println!("generated code is up to date ({} files)", outputs.len());
        return Ok(());
    }
    for path in &written {
        println!("wrote {path}");
    }
    if written.contains(&TYPES_PATH) || written.contains(&METHODS_PATH) {
        // What the regeneration changed in the public API: the files just
        // written against the committed outline.
        let report = committed_public_api(root)
            .and_then(|outline| crate::api_change::report_against_committed(root, &outline));
        let error = |error| format!("the public API could not be outlined: {error}");
        println!("\n{}", report.unwrap_or_else(error));
    }
    println!("review the change with `git diff` and `cargo insta review`");
    Ok(())
}

/// The outline of the public API of the generated `types` and `methods`
/// under `root`, generated from the fragment there.
pub fn committed_public_api(root: &Path) -> Result<String, String> {
    let fragment = prepare(&root.join(FRAGMENT_PATH), FRAGMENT_PATH)
        .map_err(|problems| problem::render(&problems))?;
    let read = |path: &str| {
        std::fs::read_to_string(root.join(path)).map_err(|e| format!("cannot read {path}: {e}"))
    };
    let (types, methods) = (read(TYPES_PATH)?, read(METHODS_PATH)?);
    let enums = open_enums(&fragment).map_err(|problem| problem.to_string())?;
    outline::public_api(&types, &methods, &enums).map_err(|e| e.to_string())
}

/// Everything `cargo xtask codegen` would write for the workspace at `root`.
pub fn expected_outputs(root: &Path) -> Result<Vec<Output>, Vec<Problem>> {
    let fragment = prepare(&root.join(FRAGMENT_PATH), FRAGMENT_PATH)?;
    outputs(&fragment).map_err(|problem| vec![problem])
}

/// Load → lint → shape for Rust: the fragment at `path` (`display_path` in
/// messages) as the generate step takes it.
pub fn prepare(path: &Path, display_path: &str) -> Result<Fragment, Vec<Problem>> {
    let mut fragment = Fragment::load(path, display_path)?;
    lint::check(&fragment)?;
    fragment.shape_for_rust()?;
    Ok(fragment)
}

/// Generate → format: every output from a [`prepare`]d fragment.
pub(crate) fn outputs(fragment: &Fragment) -> Result<Vec<Output>, Problem> {
    let enums = render_open_enums(&open_enums(fragment)?);
    let types = types_module(fragment)?;
    let mocks = generate::mocks(fragment)?;
    let files = [
        (TYPES_PATH, types),
        (METHODS_PATH, methods::render(fragment)?),
        (OPEN_ENUMS_PATH, enums),
        (MOCKS_PATH, format(fragment, mocks)?),
        (CLI_PATH, cli_module(fragment)?),
    ];
    let outputs = files.map(|(path, body)| Output::generated(path, fragment, &body));
    Ok(outputs.into())
}

/// The generated `types` module alone, formatted: what katapult-core's
/// `generated.rs` holds. Only a whole item of progenitor's parsed output is
/// selected; no generated text is edited.
pub fn types_module(fragment: &Fragment) -> Result<String, Problem> {
    let mut file = parse(fragment, generate::client(fragment)?)?;
    file.items
        .retain(|item| matches!(item, syn::Item::Mod(m) if m.ident == "types"));
    Ok(prettyplease::unparse(&file))
}

/// Generated tokens to Rust source. prettyplease, pinned by Cargo.lock
/// unlike whichever rustfmt is installed, gives the same bytes everywhere.
fn format(fragment: &Fragment, tokens: TokenStream) -> Result<String, Problem> {
    Ok(prettyplease::unparse(&parse(fragment, tokens)?))
}

fn parse(fragment: &Fragment, tokens: TokenStream) -> Result<syn::File, Problem> {
    syn::parse2::<syn::File>(tokens).map_err(|error| {
        let message = format!("progenitor produced code that does not parse: {error}");
        let fix = "report this against progenitor; meanwhile simplify the schema involved";
        problem(fragment, "generate", "", message, fix)
    })
}

/// A problem `rule` found in the fragment at `pointer`.
pub(crate) fn problem(
    fragment: &Fragment,
    rule: &'static str,
    pointer: &str,
    message: impl Into<String>,
    fix: impl Into<String>,
) -> Problem {
    Problem::new(rule, &fragment.display_path, pointer, message, fix)
}
