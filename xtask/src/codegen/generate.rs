//! The generate step: progenitor's client and mocks as token streams, with
//! a panic inside progenitor turned into a [`Problem`].

use std::panic::{AssertUnwindSafe, catch_unwind};

use proc_macro2::TokenStream;
use progenitor::Generator;

use super::open_enums::replaced_enums;
use super::settings::{OpenEnumPath, settings};
use crate::fragment::Fragment;
use crate::problem::Problem;

/// progenitor's client module: types with their builders, and request
/// plumbing that the codegen step leaves out (see `types_only`).
pub(super) fn client(fragment: &Fragment) -> Result<TokenStream, Problem> {
    guarded(fragment, "client", || {
        Generator::new(&settings(&replaced_enums(fragment), OpenEnumPath::InCrate))
            .generate_tokens(&fragment.spec)
    })
}

/// The typed `httpmock` helpers, for the mock crate (which depends on
/// `katapult_core`).
pub(super) fn mocks(fragment: &Fragment) -> Result<TokenStream, Problem> {
    guarded(fragment, "httpmock", || {
        Generator::new(&settings(
            &replaced_enums(fragment),
            OpenEnumPath::FromDependent,
        ))
        .httpmock(&fragment.spec, "katapult_core")
    })
}

/// Runs a progenitor call, turning a panic inside it into a [`Problem`]:
/// a shape the lint rules do not know yet.
fn guarded<T>(
    fragment: &Fragment,
    what: &str,
    run: impl FnOnce() -> Result<T, progenitor::Error>,
) -> Result<T, Problem> {
    let problem = |message: String| Problem {
        rule: "generate",
        file: fragment.display_path.clone(),
        pointer: String::new(),
        message,
        fix: "this shape passed every lint rule; add a rule for it in xtask/src/lint.rs \
              (with a fixture) so the next person gets a precise message"
            .to_owned(),
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(problem(format!(
            "progenitor could not generate the {what}: {error}"
        ))),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(no message)".to_owned());
            Err(problem(format!(
                "progenitor panicked while generating the {what}: {message}"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
openapi: 3.0.3
info: { title: T, version: "1" }
paths: {}
"#;

    #[test]
    fn a_generator_panic_becomes_a_problem() {
        let fragment = Fragment::parse(MINIMAL, "x.yaml").unwrap();
        let problem = guarded(&fragment, "client", || -> Result<(), progenitor::Error> {
            panic!("assertion failed: response_types.len() <= 1")
        })
        .unwrap_err();
        assert_eq!(
            problem.message,
            "progenitor panicked while generating the client: assertion failed: response_types.len() <= 1"
        );
        assert!(
            problem
                .fix
                .contains("add a rule for it in xtask/src/lint.rs"),
            "{problem}"
        );
    }
}
