//! The format step: generated tokens to Rust source text.
//!
//! prettyplease formats deterministically and is pinned by Cargo.lock,
//! unlike whichever rustfmt happens to be installed, so the same fragment
//! gives the same bytes on every machine.

use proc_macro2::TokenStream;

use crate::fragment::Fragment;
use crate::problem::Problem;

/// Formats a generated file.
pub(super) fn rust(fragment: &Fragment, tokens: TokenStream) -> Result<String, Problem> {
    Ok(prettyplease::unparse(&parse(fragment, tokens)?))
}

/// Parses generated tokens into a file prettyplease can print (or a caller
/// can trim first).
pub(super) fn parse(fragment: &Fragment, tokens: TokenStream) -> Result<syn::File, Problem> {
    syn::parse2::<syn::File>(tokens).map_err(|error| Problem {
        rule: "generate",
        file: fragment.display_path.clone(),
        pointer: String::new(),
        message: format!("progenitor produced code that does not parse: {error}"),
        fix: "report this against progenitor; meanwhile simplify the schema involved".to_owned(),
    })
}
