//! The generate step: progenitor's client and mocks as token streams, under
//! this project's [`GenerationSettings`], with a panic inside progenitor
//! turned into a [`Problem`].

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use proc_macro2::TokenStream;
use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle, TypeImpl};

use super::open_enums::replaced_enums;
use crate::fragment::Fragment;
use crate::problem::Problem;

/// progenitor's client module: types with their builders, and request
/// plumbing that the codegen step leaves out (see `types_module`). The open
/// enums are `crate::generated_open_enums::X`.
pub(super) fn client(fragment: &Fragment) -> Result<TokenStream, Problem> {
    let settings = settings(fragment, "crate::generated_open_enums");
    guarded(fragment, "client", || {
        Generator::new(&settings).generate_tokens(&fragment.spec)
    })
}

/// The typed `httpmock` helpers, for the mock crate, which depends on
/// `katapult_core` and names the open enums `katapult_core::types::X`.
pub(super) fn mocks(fragment: &Fragment) -> Result<TokenStream, Problem> {
    let settings = settings(fragment, "katapult_core::types");
    guarded(fragment, "httpmock", || {
        Generator::new(&settings).httpmock(&fragment.spec, "katapult_core")
    })
}

/// progenitor's settings for this project: everything about the generated
/// code's shape that is not in the fragment.
///
/// - builder interface, for the typed builder of every struct
///   (`DiskArguments::builder()`);
/// - `PartialEq` (so callers can compare values in their tests) and
///   `schemars::JsonSchema` on every type;
/// - each open enum replaces the closed one progenitor would generate, by
///   its path under `open_enums`.
fn settings(fragment: &Fragment, open_enums: &str) -> GenerationSettings {
    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_derive("PartialEq")
        .with_derive("schemars::JsonSchema");
    for name in replaced_enums(fragment) {
        let implements = [TypeImpl::Display, TypeImpl::FromStr].into_iter();
        settings.with_replacement(&name, format!("{open_enums}::{name}"), implements);
    }
    settings
}

thread_local! {
    /// Set while this thread runs progenitor under [`guarded`].
    pub static IN_GENERATOR: Cell<bool> = const { Cell::new(false) };
}

/// Runs a progenitor call, turning a panic inside it into a [`Problem`]:
/// a shape the lint rules do not know yet.
///
/// The panic is caught around this call alone. While it runs, the panic
/// hook stays quiet on this thread (the problem says what happened); any
/// other panic, such as a bug in xtask itself, goes to the hook that was
/// there before, as usual.
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
            let message = payload.downcast_ref::<&str>().map(|s| (*s).to_owned());
            let message = message.or_else(|| payload.downcast_ref::<String>().cloned());
            let message = message.unwrap_or_else(|| "(no message)".to_owned());
            format!("progenitor panicked while generating the {what}: {message}")
        }
    };
    let fix = "this shape passed every lint rule; add a rule for it in xtask/src/lint.rs \
               (with a fixture) so the next person gets a precise message";
    Err(super::problem(fragment, "generate", "", message, fix))
}
