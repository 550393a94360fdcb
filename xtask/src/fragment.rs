//! Reading the hand-written OpenAPI fragment: YAML (or JSON) text, to a JSON
//! tree the linter walks, to the typed `openapiv3` document progenitor takes;
//! and shaping that typed document for Rust once the lint rules passed.

use std::path::Path;

use heck::ToSnakeCase;
use openapiv3::OpenAPI;
use serde_json::Value;

use crate::doc::{self, YamlError, child};
use crate::problem::Problem;

/// The fragment every generated file comes from, relative to the workspace root.
pub const FRAGMENT_PATH: &str = "openapi/katapult-core-v1.yaml";

/// A fragment that parsed: valid syntax and an OpenAPI 3.0 structure. Not
/// linted yet.
#[derive(Debug)]
pub struct Fragment {
    /// The path shown in messages and generated headers.
    pub display_path: String,
    /// Lowercase hex sha256 of the file's bytes, stamped into generated headers.
    pub sha256: String,
    /// The document as a JSON tree: what the lint rules and the open-enum
    /// generator read (it keeps `x-` extensions and `$ref` siblings that the
    /// typed model drops).
    pub document: Value,
    /// The typed document progenitor generates from: as published until
    /// [`Fragment::shape_for_rust`] runs.
    pub spec: OpenAPI,
}

impl Fragment {
    /// Reads and parses the file at `path`; `display_path` is how messages
    /// name it.
    pub fn load(path: &Path, display_path: &str) -> Result<Self, Vec<Problem>> {
        let source = std::fs::read_to_string(path).map_err(|error| {
            let message = format!("cannot read the fragment: {error}");
            let fix = format!("make sure {display_path} exists and is readable UTF-8");
            vec![Problem::new("read", display_path, "", message, fix)]
        })?;
        Self::parse(&source, display_path)
    }

    /// Parses fragment text: YAML to a JSON tree, then to the typed model.
    pub fn parse(source: &str, display_path: &str) -> Result<Self, Vec<Problem>> {
        let problem = |rule, at: &str, message: String, fix: &str| {
            vec![Problem::new(rule, display_path, at, message, fix)]
        };
        let document = doc::parse_yaml(source).map_err(|YamlError { at, message }| {
            if at.is_empty() {
                let fix = "fix the syntax at the line and column given";
                problem("syntax", &at, format!("not valid YAML: {message}"), fix)
            } else {
                let fix = "OpenAPI documents are JSON trees: use string keys and plain values";
                problem("syntax", &at, message, fix)
            }
        })?;
        // Structure first: the lint rules assume an object they can walk.
        let spec = serde_path_to_error::deserialize(&document).map_err(|error| {
            let message = format!("not a valid OpenAPI 3.0 document here: {}", error.inner());
            let fix = "compare this node with the OpenAPI 3.0.3 specification \
                       (https://spec.openapis.org/oas/v3.0.3) and correct its shape";
            let at = doc::path_to_pointer(error.path());
            problem("structure", &at, message, fix)
        })?;
        Ok(Self {
            display_path: display_path.to_owned(),
            sha256: doc::sha256_hex(source.as_bytes()),
            document,
            spec,
        })
    }

    /// The shaping step, on the typed document only (the JSON tree stays as
    /// published, for the linter and the drift check): a schema marked
    /// `x-rust-option: true` (an array or an object) becomes nullable, and an
    /// operation's `x-rust-name` (snake_case) becomes its operation id, from
    /// which the generator derives every name.
    pub fn shape_for_rust(&mut self) -> Result<(), Vec<Problem>> {
        let problem =
            |rule, at: &str, message, fix| crate::codegen::problem(self, rule, at, message, fix);
        let (mut shaped, mut problems) = (self.document.clone(), Vec::new());
        for (at, node) in doc::nodes(&self.document, "") {
            let Some(marker) = node.get(RUST_OPTION) else {
                continue;
            };
            let message = match node["type"].as_str() {
                _ if *marker != true => format!("`{RUST_OPTION}` must be `true`, not {marker}"),
                Some("array" | "object") => {
                    shaped.pointer_mut(&at).expect(CLONED)["nullable"] = true.into();
                    continue;
                }
                shape => format!(
                    "`{RUST_OPTION}` stands on a schema of type {}, not an array or an object",
                    shape.unwrap_or("(none)")
                ),
            };
            let fix = format!(
                "write `{RUST_OPTION}: true` on an optional array or object property, or remove it"
            );
            problems.push(problem("rust-option", &at, message, fix));
        }
        for op in doc::operations(&self.document) {
            let Some(name) = op.value.get(RUST_NAME) else {
                continue;
            };
            if let Some(name) = name.as_str().filter(|name| is_snake_case(name)) {
                shaped.pointer_mut(&op.pointer).expect(CLONED)["operationId"] = name.into();
                continue;
            }
            let fix = match name.as_str().map(ToSnakeCase::to_snake_case) {
                Some(snake) if is_snake_case(&snake) => format!("write `{RUST_NAME}: {snake}`"),
                _ => "write the operation's name in snake_case, like `update_disk`".to_owned(),
            };
            let message = format!("`{RUST_NAME}` must be a snake_case Rust identifier, not {name}");
            let at = child(&op.pointer, RUST_NAME);
            problems.push(problem("rust-name", &at, message, fix));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        // `nullable` and an id keep a parsed document valid; should a future
        // openapiv3 disagree, say so rather than panic.
        self.spec = serde_json::from_value(shaped).map_err(|error| {
            let message = format!("the shaped document no longer parses: {error}");
            vec![problem("rust-option", "", message, String::new())]
        })?;
        Ok(())
    }
}

const CLONED: &str = "the shaped document is a clone of the parsed one";

/// The extension naming an operation in Rust, in place of its `operationId`.
const RUST_NAME: &str = "x-rust-name";

/// The extension asking for an optional array or object property to be an
/// `Option` in Rust, so that absent (`None`, the key left out) and empty
/// (`Some(vec![])`, sent as `[]`) are two values. Without it, progenitor
/// makes such a property a plain `Vec` that is left out when empty.
const RUST_OPTION: &str = "x-rust-option";

fn is_snake_case(name: &str) -> bool {
    let snake = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_';
    name.starts_with(|c: char| c.is_ascii_lowercase()) && name.chars().all(snake)
}
