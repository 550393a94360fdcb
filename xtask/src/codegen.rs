//! `cargo xtask codegen`: the fragment in, three generated files out.
//!
//! - `crates/katapult-core/src/generated.rs`: progenitor's client and types;
//! - `crates/katapult-core/src/generated_open_enums.rs`: the enums the API
//!   sends back, as open enums (progenitor makes every enum closed, so it is
//!   told to use these instead, through `with_replacement`);
//! - `crates/katapult-core-httpmock/src/generated.rs`: progenitor's typed
//!   `httpmock` helpers.
//!
//! Everything about the output's shape is decided here, in
//! [`GenerationSettings`] and in the fragment; nothing edits generated text.

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use heck::ToUpperCamelCase;
use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};
use quote::quote;

use crate::doc::{self, OpenEnum};
use crate::fragment::Fragment;
use crate::problem::Problem;

/// The client's generated module.
pub const CLIENT_PATH: &str = "crates/katapult-core/src/generated.rs";
/// The open enums, generated from `x-open-enum` schemas and the error union.
pub const OPEN_ENUMS_PATH: &str = "crates/katapult-core/src/generated_open_enums.rs";
/// The typed mocks.
pub const MOCKS_PATH: &str = "crates/katapult-core-httpmock/src/generated.rs";

/// The name of the open enum derived from the error union's codes.
pub const ERROR_CODE_ENUM: &str = "ErrorCode";

/// One file `cargo xtask codegen` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Relative to the workspace root, `/`-separated.
    pub path: &'static str,
    pub contents: String,
}

/// How the generated code refers to the open enums: from inside
/// `katapult-core`, or from a crate that depends on it.
#[derive(Debug, Clone, Copy)]
pub enum OpenEnumPath {
    /// `crate::generated_open_enums::X` (the client crate itself).
    InCrate,
    /// `katapult_core::types::X` (the mock crate).
    FromDependent,
}

impl OpenEnumPath {
    fn prefix(self) -> &'static str {
        match self {
            Self::InCrate => "crate::generated_open_enums",
            Self::FromDependent => "katapult_core::types",
        }
    }
}

/// progenitor's settings for this project.
///
/// - builder interface: `client.update_disk().body(..).send()`, and typed
///   builders for every struct;
/// - hooks `Expected`: the hand-written `crate::hooks` implements
///   `ClientHooks` for the generated client (auth, retries, timeouts, body
///   limits, tracing); forgetting it is a compile error, not a client that
///   silently sends no token;
/// - the inner type carries that layer's configuration;
/// - `PartialEq` (so callers can compare values in their tests) and
///   `schemars::JsonSchema` on every type;
/// - each open enum replaces the closed one progenitor would generate.
pub fn settings(open_enums: &[String], path: OpenEnumPath) -> GenerationSettings {
    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_hooks(HooksMode::Expected)
        .with_inner_type(quote!(crate::settings::ClientSettings))
        .with_derive("PartialEq")
        .with_derive("schemars::JsonSchema");
    for name in open_enums {
        settings.with_replacement(
            name,
            format!("{}::{name}", path.prefix()),
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    }
    settings
}

/// Generates every output from a linted fragment.
pub fn generate(fragment: &Fragment) -> Result<Vec<Output>, Problem> {
    let enums = open_enums(fragment)?;
    let client = client_tokens(fragment)?;
    let mocks = guarded(fragment, "httpmock", || {
        Generator::new(&settings(
            &replaced_enums(fragment),
            OpenEnumPath::FromDependent,
        ))
        .httpmock(&fragment.spec, "katapult_core")
    })?;

    Ok(vec![
        Output {
            path: CLIENT_PATH,
            contents: with_header(fragment, &prettyplease::unparse(&parse(fragment, client)?)),
        },
        Output {
            path: OPEN_ENUMS_PATH,
            contents: with_header(fragment, &render_open_enums(&enums)),
        },
        Output {
            path: MOCKS_PATH,
            contents: with_header(fragment, &prettyplease::unparse(&parse(fragment, mocks)?)),
        },
    ])
}

/// The generated `types` module alone, formatted: what the generator
/// fixtures snapshot, without the client boilerplate around it.
pub fn types_module(fragment: &Fragment) -> Result<String, Problem> {
    let mut file = parse(fragment, client_tokens(fragment)?)?;
    file.items
        .retain(|item| matches!(item, syn::Item::Mod(m) if m.ident == "types"));
    Ok(prettyplease::unparse(&file))
}

/// The names of the schemas progenitor must take from the open enums.
fn replaced_enums(fragment: &Fragment) -> Vec<String> {
    doc::open_enums(&fragment.document)
        .into_iter()
        .map(|e| e.name)
        .collect()
}

fn client_tokens(fragment: &Fragment) -> Result<proc_macro2::TokenStream, Problem> {
    guarded(fragment, "client", || {
        Generator::new(&settings(&replaced_enums(fragment), OpenEnumPath::InCrate))
            .generate_tokens(&fragment.spec)
    })
}

/// The open enums to generate: every `x-open-enum` schema, then the
/// `ErrorCode` enum derived from the error union's tags.
pub fn open_enums(fragment: &Fragment) -> Result<Vec<OpenEnum>, Problem> {
    let mut enums = doc::open_enums(&fragment.document);
    let union = doc::operations(&fragment.document)
        .into_iter()
        .find_map(|op| {
            doc::responses(&fragment.document, &op)
                .into_iter()
                .filter(|(status, _, _)| doc::is_error_status(status))
                .find_map(|(_, at, response)| doc::json_schema_pointer(&at, response))
                .and_then(|schema_at| doc::error_union(&fragment.document, &schema_at))
        });
    if let Some(union) = union {
        if fragment
            .document
            .pointer(&format!("/components/schemas/{ERROR_CODE_ENUM}"))
            .is_some()
        {
            return Err(Problem {
                rule: "generate",
                file: fragment.display_path.clone(),
                pointer: format!("/components/schemas/{ERROR_CODE_ENUM}"),
                message: format!(
                    "`{ERROR_CODE_ENUM}` is the name of the enum generated from the error \
                     union's codes; a schema of that name would collide with it"
                ),
                fix: "rename the schema".to_owned(),
            });
        }
        let union_name = union.name.as_deref().unwrap_or("the error union");
        enums.push(OpenEnum {
            name: ERROR_CODE_ENUM.to_owned(),
            description: Some(format!(
                "The `{}` of an error the API reports: one variant per variant of `{union_name}`.",
                union.tag
            )),
            values: union.codes,
        });
    }
    Ok(enums)
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

/// Parses generated tokens for prettyplease, which formats them
/// deterministically and is pinned by Cargo.lock (unlike whichever rustfmt is
/// installed).
fn parse(fragment: &Fragment, tokens: proc_macro2::TokenStream) -> Result<syn::File, Problem> {
    syn::parse2::<syn::File>(tokens).map_err(|error| Problem {
        rule: "generate",
        file: fragment.display_path.clone(),
        pointer: String::new(),
        message: format!("progenitor produced code that does not parse: {error}"),
        fix: "report this against progenitor; meanwhile simplify the schema involved".to_owned(),
    })
}

fn with_header(fragment: &Fragment, body: &str) -> String {
    format!(
        "// @generated by `cargo xtask codegen` from {}. Do not edit by hand:\n\
         // edit the fragment, then run `cargo xtask codegen`.\n\
         // fragment sha256: {}\n\n{body}",
        fragment.display_path, fragment.sha256
    )
}

/// Renders the open enums as invocations of the hand-written `open_enum!`
/// macro (crates/katapult-core/src/open_enum.rs), which implements the
/// decoding, encoding, `Display` and schema of each.
pub fn render_open_enums(enums: &[OpenEnum]) -> String {
    let mut out = String::from(
        "//! Enums the API sends back, generated as open enums: a value this\n\
         //! version does not know decodes into `Unknown(String)` and encodes back\n\
         //! unchanged.\n\n\
         use crate::open_enum::open_enum;\n",
    );
    for e in enums {
        out.push_str("\nopen_enum! {\n");
        if let Some(description) = &e.description {
            for line in description.lines() {
                let _ = writeln!(out, "    /// {}", line.trim_end());
            }
            out.push_str("    ///\n");
        }
        out.push_str(
            "    /// Open enum: values this client does not know decode into `Unknown`.\n",
        );
        let _ = writeln!(out, "    pub enum {} {{", e.name);
        for value in &e.values {
            let _ = writeln!(out, "        /// `{value}`");
            let _ = writeln!(out, "        {} = {value:?},", value.to_upper_camel_case());
        }
        out.push_str("    }\n}\n");
    }
    out
}

/// A generated file that differs from what `cargo xtask codegen` would write.
#[derive(Debug)]
pub struct Stale {
    pub path: &'static str,
    /// Unified diff from the file on disk to the expected contents.
    pub diff: String,
}

/// Compares outputs with the files under `root`; returns the stale ones.
pub fn stale(root: &Path, outputs: &[Output]) -> Vec<Stale> {
    outputs
        .iter()
        .filter_map(|output| {
            let current = std::fs::read_to_string(root.join(output.path)).unwrap_or_default();
            (current != output.contents).then(|| Stale {
                path: output.path,
                diff: similar::TextDiff::from_lines(&current, &output.contents)
                    .unified_diff()
                    .context_radius(3)
                    .header(&format!("a/{}", output.path), &format!("b/{}", output.path))
                    .to_string(),
            })
        })
        .collect()
}

/// Writes the outputs that changed; returns their paths.
pub fn write(root: &Path, outputs: &[Output]) -> std::io::Result<Vec<&'static str>> {
    let mut written = Vec::new();
    for output in outputs {
        let path = root.join(output.path);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(output.contents.as_str()) {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, &output.contents)?;
            written.push(output.path);
        }
    }
    Ok(written)
}

/// The workspace root: the directory above `xtask/`, unless
/// `XTASK_WORKSPACE_ROOT` names another (the tests point the binary at a
/// scratch copy of the workspace that way).
pub fn workspace_root() -> PathBuf {
    match std::env::var_os("XTASK_WORKSPACE_ROOT") {
        Some(root) => PathBuf::from(root),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
    }
}

/// The message shown when generated code is stale.
pub fn stale_message(stale: &[Stale]) -> String {
    let mut out = String::new();
    for s in stale {
        out.push_str(&s.diff);
        out.push('\n');
    }
    let _ = write!(
        out,
        "{} generated file(s) are stale: {}.\n\
         Run `cargo xtask codegen` to regenerate them, review with `git diff` and \
         `cargo insta review`, and commit the result.",
        stale.len(),
        stale.iter().map(|s| s.path).collect::<Vec<_>>().join(", ")
    );
    out
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
