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
//! 1. **load** ([`Fragment::load`]): YAML to a JSON tree and to the typed
//!    OpenAPI model; syntax and structure problems stop here;
//! 2. **lint** ([`lint::check`]): every shape progenitor mishandles;
//! 3. **shape for Rust** ([`Fragment::apply_rust_options`],
//!    [`Fragment::apply_rust_names`]): `x-rust-option` makes an optional
//!    array an `Option`, so absent and empty differ; `x-rust-name` becomes
//!    the operation id progenitor derives every name from;
//! 4. **generate** (`generate.rs`, with `settings.rs` and `open_enums.rs`):
//!    progenitor's tokens and the open enums; `methods.rs`: the client's
//!    methods; `cli.rs`: the CLI's flags;
//! 5. **format** (`format.rs`): prettyplease, under a header naming the
//!    fragment and its sha256;
//! 6. **write or check** (`output.rs`): write the files that changed, or
//!    with `--check` write nothing and diff each stale file; after a write
//!    that changed the client, classify the public API changes and state the
//!    version bump they call for ([`crate::api_change`]).
//!
//! Everything about the output's shape is decided by the fragment and by
//! progenitor's settings; nothing edits generated text.

mod cli;
mod format;
mod generate;
mod methods;
mod open_enums;
mod output;
mod settings;

use std::path::Path;
use std::process::ExitCode;

pub use self::cli::CLI_PATH;
pub use self::methods::METHODS_PATH;
pub use self::open_enums::{open_enums, render_open_enums};
pub use self::output::{
    CLIENT_PATH, MOCKS_PATH, OPEN_ENUMS_PATH, Output, Stale, stale, stale_message,
};
use crate::fragment::{FRAGMENT_PATH, Fragment};
use crate::problem::{self, Problem};
use crate::{flags, lint};

/// `cargo xtask codegen [--check]` for the workspace at `root`.
pub fn run(root: &Path, flags: &flags::Codegen) -> ExitCode {
    // progenitor panics on some shapes the linter may not know yet; the
    // generate step catches those and reports them as problems, so the
    // default hook's "thread panicked" line would only be noise.
    std::panic::set_hook(Box::new(|_| {}));

    // load → lint → shape for Rust → generate → format
    let prepared = prepare(&root.join(FRAGMENT_PATH), FRAGMENT_PATH).and_then(|fragment| {
        let outputs = outputs(&fragment).map_err(|problem| vec![problem])?;
        Ok((fragment, outputs))
    });
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

    // check: write nothing, show what is stale
    if flags.check {
        let stale = stale(root, &outputs);
        if stale.is_empty() {
            println!("generated code is up to date ({} files)", outputs.len());
            return ExitCode::SUCCESS;
        }
        eprintln!("{}", stale_message(&stale));
        return ExitCode::FAILURE;
    }

    // write what changed
    match output::write(root, &outputs) {
        Ok(written) if written.is_empty() => {
            println!("generated code is up to date ({} files)", outputs.len());
            ExitCode::SUCCESS
        }
        Ok(written) => {
            for path in &written {
                println!("wrote {path}");
            }
            if written.contains(&CLIENT_PATH) || written.contains(&METHODS_PATH) {
                println!("\n{}", api_changes(root, &fragment, &outputs));
            }
            println!("review the change with `git diff` and `cargo insta review`");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("cannot write generated code: {error}");
            ExitCode::FAILURE
        }
    }
}

/// What the regeneration changed in the public API (against the committed
/// outline snapshot), and the version bump that follows.
fn api_changes(root: &Path, fragment: &Fragment, outputs: &[Output]) -> String {
    let file = |path: &str| {
        outputs
            .iter()
            .find(|output| output.path() == path)
            .map_or("", Output::contents)
    };
    let (types, methods) = (file(CLIENT_PATH), file(METHODS_PATH));
    let new_outline = open_enums(fragment)
        .map_err(|problem| problem.to_string())
        .and_then(|enums| {
            crate::outline::public_api(types, methods, &enums).map_err(|e| e.to_string())
        })
        .and_then(|new_outline| crate::api_change::report_against_committed(root, &new_outline));
    match new_outline {
        Ok(report) => report,
        Err(error) => format!("the public API changes could not be classified: {error}"),
    }
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
    fragment.apply_rust_options()?;
    fragment.apply_rust_names()?;
    Ok(fragment)
}

/// Generate → format: every output from a [`prepare`]d fragment.
fn outputs(fragment: &Fragment) -> Result<Vec<Output>, Problem> {
    let enums = open_enums(fragment)?;
    let types = types_only(format::parse(fragment, generate::client(fragment)?)?);
    let mocks = generate::mocks(fragment)?;
    Ok(vec![
        Output::generated(CLIENT_PATH, fragment, &prettyplease::unparse(&types)),
        Output::generated(METHODS_PATH, fragment, &methods_module(fragment)?),
        Output::generated(OPEN_ENUMS_PATH, fragment, &render_open_enums(&enums)),
        Output::generated(MOCKS_PATH, fragment, &format::rust(fragment, mocks)?),
        Output::generated(CLI_PATH, fragment, &cli_module(fragment)?),
    ])
}

/// The client's generated methods, formatted.
fn methods_module(fragment: &Fragment) -> Result<String, Problem> {
    let source = methods::render(fragment)?;
    let tokens = source.parse().map_err(|error| Problem {
        rule: "generate",
        file: fragment.display_path.clone(),
        pointer: String::new(),
        message: format!("the generated client methods do not parse: {error}"),
        fix: "a description in the fragment may hold text Rust cannot carry in a doc comment"
            .to_owned(),
    })?;
    format::rust(fragment, tokens)
}

/// The CLI's generated module (request flags), formatted.
pub fn cli_module(fragment: &Fragment) -> Result<String, Problem> {
    format::rust(fragment, cli::tokens(fragment)?)
}

/// The generated `types` module alone, formatted: what katapult-core's
/// `generated.rs` holds, and what the generator fixtures snapshot.
pub fn types_module(fragment: &Fragment) -> Result<String, Problem> {
    let file = format::parse(fragment, generate::client(fragment)?)?;
    Ok(prettyplease::unparse(&types_only(file)))
}

/// progenitor's output less its request plumbing: katapult-core builds and
/// sends requests on its one call path (`call.rs`, with the methods
/// generated by `methods.rs`), so only the types module is kept. Selecting a
/// whole item of the parsed file is all this does; no generated text is
/// edited.
fn types_only(mut file: syn::File) -> syn::File {
    file.items
        .retain(|item| matches!(item, syn::Item::Mod(m) if m.ident == "types"));
    file
}
