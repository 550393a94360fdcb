//! The generate step: progenitor's client and mocks as tokens, under this
//! project's [`GenerationSettings`], a panic inside progenitor a [`Problem`].

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use proc_macro2::TokenStream;
use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle, TypeImpl};

use crate::doc::{self, OpenEnum};
use crate::fragment::Fragment;
use crate::problem::Problem;

/// progenitor's client: the types, with the open enums as
/// `crate::generated_open_enums::X`, and request plumbing `types_module` drops.
pub(super) fn client(fragment: &Fragment) -> Result<TokenStream, Problem> {
    let settings = settings(fragment, "crate::generated_open_enums");
    let client = || Generator::new(&settings).generate_tokens(&fragment.spec);
    guarded(fragment, "client", client)
}

/// The typed `httpmock` helpers: the mock crate names the open enums
/// `katapult_core::types::X`.
pub(super) fn mocks(fragment: &Fragment) -> Result<TokenStream, Problem> {
    let settings = settings(fragment, "katapult_core::types");
    let mocks = || Generator::new(&settings).httpmock(&fragment.spec, "katapult_core");
    guarded(fragment, "httpmock", mocks)
}

/// Everything about the generated code's shape that is not in the
/// fragment: a typed builder per struct, `PartialEq` (for callers' tests)
/// and `JsonSchema` on every type, and each open enum (under `open_enums`)
/// in place of the closed one progenitor would make.
fn settings(fragment: &Fragment, open_enums: &str) -> GenerationSettings {
    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_derive("PartialEq")
        .with_derive("schemars::JsonSchema");
    // `ErrorCode`, an open enum but no schema, has nothing to replace.
    for OpenEnum { name, .. } in doc::open_enums(&fragment.document) {
        let implements = [TypeImpl::Display, TypeImpl::FromStr].into_iter();
        settings.with_replacement(&name, format!("{open_enums}::{name}"), implements);
    }
    settings
}

thread_local! {
    /// Set while this thread runs progenitor under [`guarded`].
    pub static IN_GENERATOR: Cell<bool> = const { Cell::new(false) };
}

/// Runs a progenitor call, turning a panic inside it (a shape the lint rules
/// do not know yet) into a [`Problem`]. The panic hook stays quiet on this
/// thread meanwhile; any other panic goes to the previous hook as usual.
pub fn guarded<T>(
    fragment: &Fragment,
    what: &str,
    run: impl FnOnce() -> Result<T, progenitor::Error>,
) -> Result<T, Problem> {
    static QUIET_HOOK: Once = Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !IN_GENERATOR.get() {
                previous(info);
            }
        }));
    });
    IN_GENERATOR.set(true);
    let result = panic::catch_unwind(AssertUnwindSafe(run));
    IN_GENERATOR.set(false);

    let message = match result {
        Ok(Ok(value)) => return Ok(value),
        Ok(Err(error)) => format!("progenitor could not generate the {what}: {error}"),
        Err(payload) => {
            let message = (payload.downcast_ref::<&str>().copied())
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("(no message)");
            format!("progenitor panicked while generating the {what}: {message}")
        }
    };
    let fix = "this shape passed every lint rule; add a rule for it in xtask/src/lint.rs \
               (with a fixture) so the next person gets a precise message";
    Err(super::problem(fragment, "generate", "", message, fix))
}
