//! `cargo xtask codegen [--check]`: the fragment in, five generated files out.
//!
//! - `crates/katapult-core/src/generated.rs`: progenitor's types (its
//!   request plumbing is left out: katapult-core has its own call path);
//! - `crates/katapult-core/src/generated_methods.rs`: the public methods of
//!   `katapult_core::Client`, one per operation, each a call of the one call
//!   path (`methods.rs`);
//! - `crates/katapult-core/src/generated_open_enums.rs`: the enums the API
//!   sends back, as open enums (progenitor makes every enum closed, so it is
//!   told to use these instead, through `with_replacement`);
//! - `crates/katapult-core-httpmock/src/generated.rs`: progenitor's typed
//!   `httpmock` helpers;
//! - `crates/katapult-cli/src/generated.rs`: the command line's request
//!   flags, one per field of the request body (`cli.rs`).
//!
//! The pipeline, in the order [`run`] goes through it:
//!
//! 1. **load** (`Fragment::load`): YAML to a JSON tree and to the typed
//!    OpenAPI model; syntax and structure problems stop here;
//! 2. **lint** (`lint::check`): every shape progenitor mishandles;
//! 3. **shape for Rust** (`Fragment::shape_for_rust`): `x-rust-option`
//!    makes an optional array an `Option`, so absent and empty differ;
//!    `x-rust-name` becomes the operation id progenitor derives every name
//!    from;
//! 4. **generate** (`generate.rs`, with `open_enums.rs`): progenitor's
//!    tokens, under its settings for this project, and the open enums;
//!    `methods.rs`: the client's methods; `cli.rs`: the CLI's flags;
//! 5. **format** (`format`): prettyplease, under a header naming the
//!    fragment and its sha256 (`output.rs`);
//! 6. **write or check** (`output.rs`): write the files that changed, or
//!    with `--check` write nothing and diff each stale file; after a write
//!    that changed the client, judge the public API changes and state the
//!    version bump they call for ([`crate::api_change`]).
//!
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

pub use self::cli::CLI_PATH;
pub use self::methods::METHODS_PATH;
pub use self::open_enums::{open_enums, render_open_enums};
pub use self::output::{
    MOCKS_PATH, OPEN_ENUMS_PATH, Output, Stale, TYPES_PATH, stale, stale_message,
};
use crate::fragment::{FRAGMENT_PATH, Fragment};
use crate::problem::{self, Problem};
use crate::{flags, lint, outline};

/// `cargo xtask codegen [--check]` for the workspace at `root`.
pub fn run(root: &Path, flags: &flags::Codegen) -> ExitCode {
    // load → lint → shape for Rust → generate → format
    let fragment = prepare(&root.join(FRAGMENT_PATH), FRAGMENT_PATH);
    let prepared = fragment.and_then(|f| outputs(&f).map(|o| (f, o)).map_err(|p| vec![p]));
    let (fragment, outputs) = match prepared {
        Ok(prepared) => prepared,
        Err(problems) => {
            eprintln!("{}", problem::render(&problems));
            eprintln!(
                "\n{} problem(s) in the fragment; nothing was generated.",
                problems.len()
            );
            return ExitCode::FAILURE;
        }
    };
    let up_to_date = || println!("generated code is up to date ({} files)", outputs.len());

    // check: write nothing, show what is stale
    if flags.check {
        let stale = stale(root, &outputs);
        if stale.is_empty() {
            up_to_date();
            return ExitCode::SUCCESS;
        }
        eprintln!("{}", stale_message(&stale));
        return ExitCode::FAILURE;
    }

    // write what changed
    match output::write(root, &outputs) {
        Ok(written) if written.is_empty() => up_to_date(),
        Ok(written) => {
            for path in &written {
                println!("wrote {path}");
            }
            if written.contains(&TYPES_PATH) || written.contains(&METHODS_PATH) {
                println!("\n{}", api_changes(root, &fragment, &outputs));
            }
            println!("review the change with `git diff` and `cargo insta review`");
        }
        Err(error) => {
            eprintln!("cannot write generated code: {error}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// What the regeneration changed in the public API (against the committed
/// outline snapshot), and the version bump that follows.
fn api_changes(root: &Path, fragment: &Fragment, outputs: &[Output]) -> String {
    let file = |path| {
        outputs
            .iter()
            .find(|o| o.path == path)
            .map_or("", |o| o.contents.as_str())
    };
    public_api(fragment, file(TYPES_PATH), file(METHODS_PATH))
        .and_then(|new_outline| crate::api_change::report_against_committed(root, &new_outline))
        .unwrap_or_else(|error| format!("the public API changes could not be classified: {error}"))
}

/// The outline of the public API that `types` and `methods` (the generated
/// files' text) and the fragment's open enums make: what the outline
/// snapshot holds.
fn public_api(fragment: &Fragment, types: &str, methods: &str) -> Result<String, String> {
    let enums = open_enums(fragment).map_err(|problem| problem.to_string())?;
    outline::public_api(types, methods, &enums).map_err(|e| e.to_string())
}

/// The outline of the public API as committed under `root`: the generated
/// types and methods on disk, with the fragment's open enums.
pub fn committed_public_api(root: &Path) -> Result<String, String> {
    let fragment = prepare(&root.join(FRAGMENT_PATH), FRAGMENT_PATH)
        .map_err(|problems| problem::render(&problems))?;
    let read = |path: &str| {
        std::fs::read_to_string(root.join(path)).map_err(|e| format!("cannot read {path}: {e}"))
    };
    public_api(&fragment, &read(TYPES_PATH)?, &read(METHODS_PATH)?)
}

/// Everything `cargo xtask codegen` would write for the workspace at `root`.
pub fn expected_outputs(root: &Path) -> Result<Vec<Output>, Vec<Problem>> {
    let fragment = prepare(&root.join(FRAGMENT_PATH), FRAGMENT_PATH)?;
    outputs(&fragment).map_err(|problem| vec![problem])
}

/// Load → lint → shape for Rust: the fragment at `path` (named `display_path` in
/// messages) as the generate step takes it.
pub fn prepare(path: &Path, display_path: &str) -> Result<Fragment, Vec<Problem>> {
    let mut fragment = Fragment::load(path, display_path)?;
    lint::check(&fragment)?;
    fragment.shape_for_rust()?;
    Ok(fragment)
}

/// Generate → format: every output from a [`prepare`]d fragment.
pub(crate) fn outputs(fragment: &Fragment) -> Result<Vec<Output>, Problem> {
    let enums = open_enums(fragment)?;
    let types = types_module(fragment)?;
    let mocks = generate::mocks(fragment)?;
    let methods = methods::render(fragment)?;
    Ok(vec![
        Output::generated(TYPES_PATH, fragment, &types),
        Output::generated(METHODS_PATH, fragment, &methods),
        Output::generated(OPEN_ENUMS_PATH, fragment, &render_open_enums(&enums)),
        Output::generated(MOCKS_PATH, fragment, &format(fragment, mocks)?),
        Output::generated(CLI_PATH, fragment, &cli_module(fragment)?),
    ])
}

/// The CLI's generated module (request flags), formatted.
pub fn cli_module(fragment: &Fragment) -> Result<String, Problem> {
    format(fragment, cli::tokens(fragment)?)
}

/// The generated `types` module alone, formatted: what katapult-core's
/// `generated.rs` holds, and what the generator fixtures snapshot.
///
/// That is progenitor's output less its request plumbing: katapult-core
/// builds and sends requests on its one call path (`call.rs`, with the
/// methods generated by `methods.rs`), so only the types module is kept.
/// Selecting a whole item of the parsed file is all this does; no generated
/// text is edited.
pub fn types_module(fragment: &Fragment) -> Result<String, Problem> {
    let mut file = parse(fragment, generate::client(fragment)?)?;
    file.items
        .retain(|item| matches!(item, syn::Item::Mod(m) if m.ident == "types"));
    Ok(prettyplease::unparse(&file))
}

/// The format step: generated tokens to Rust source text. prettyplease
/// formats deterministically and is pinned by Cargo.lock, unlike whichever
/// rustfmt happens to be installed, so the same fragment gives the same
/// bytes on every machine.
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
    Problem {
        rule,
        file: fragment.display_path.clone(),
        pointer: pointer.to_owned(),
        message: message.into(),
        fix: fix.into(),
    }
}
