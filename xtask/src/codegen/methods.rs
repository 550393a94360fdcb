//! The client's public methods: one per operation of the fragment, named by
//! its `x-rust-name` (the operation id progenitor sees), documented from its
//! summary and description, each a single call of the one call path
//! (`crate::call::call`) with the operation's method, path and documented
//! statuses, taking and returning the types progenitor generated for it. So
//! a name chosen in the fragment reaches the client, the mocks and the CLI
//! alike, and a new operation needs no hand-written method.

use std::fmt::Write as _;

use heck::{ToSnakeCase, ToUpperCamelCase};
use openapiv3::{MediaType, Operation, ReferenceOr, StatusCode};

use crate::doc::pointer;
use crate::fragment::Fragment;
use crate::problem::Problem;

/// The client's generated methods.
pub const METHODS_PATH: &str = "crates/katapult-core/src/generated_methods.rs";

/// What one generated method needs to know about its operation.
struct Method {
    name: String,
    method: String,
    path: String,
    summary: Option<String>,
    description: Option<String>,
    /// The JSON request body's generated type, if the operation has one.
    body: Option<String>,
    /// The query parameters: the Rust argument and the name on the wire
    /// (`disk_id`, `disk[id]`).
    query: Vec<(String, String)>,
    response: String,
    /// The documented 2xx statuses.
    success: Vec<u16>,
    /// `x-idempotent`: sending it twice is safe.
    idempotent: bool,
}

/// What every method's documentation ends with.
const CALL_PATH_DOC: [&str; 5] = [
    "Retries what the client's [`RetryPolicy`](crate::RetryPolicy) allows, and waits",
    "while the rate-limit governor holds the request",
    "([`ClientBuilder::rate_limit_governor`](crate::ClientBuilder::rate_limit_governor));",
    "the status, request id and rate-limit headers of the answer are in",
    "[`Response::meta`], or in the error's.",
];

/// The Rust source of `crates/katapult-core/src/generated_methods.rs`.
pub fn render(fragment: &Fragment) -> Result<String, Problem> {
    let mut methods = Vec::new();
    for (path, item) in &fragment.spec.paths.paths {
        for (method, operation) in item.as_item().into_iter().flat_map(|item| item.iter()) {
            let at = pointer(["paths", path.as_str(), method]);
            methods.push(method_of(fragment, &at, path, method, operation)?);
        }
    }
    let mut out = String::from(
        "//! The client's methods, one per operation of the fragment: the name comes\n\
         //! from `x-rust-name`, the docs from the operation, the method, path and\n\
         //! documented statuses from the fragment, the work from the one call path\n\
         //! (`crate::call`). Each operation also has a `prepare_` twin that\n\
         //! builds the same request, by the same code, without sending it.\n\n\
         use crate::call::Operation;\n\
         use crate::{Client, Error, PreparedRequest, Response, types};\n\n",
    );
    for m in &methods {
        let _ = writeln!(
            out,
            "/// `{method} {path}`.\nstatic {constant}: Operation = Operation {{\n    \
             id: {name:?},\n    method: reqwest::Method::{method},\n    path: {path:?},\n    \
             success: &{success:?},\n    idempotent: {idempotent},\n    \
             api_version: {api_version:?},\n}};\n",
            method = m.method,
            path = m.path,
            constant = m.name.to_uppercase(),
            name = m.name,
            success = m.success,
            idempotent = m.idempotent,
            api_version = fragment.spec.info.version,
        );
    }
    out.push_str("/// Every operation, for what reads them by name.\npub(crate) static OPERATIONS: &[&Operation] = &[\n");
    for m in &methods {
        let _ = writeln!(out, "    &{},", m.name.to_uppercase());
    }
    out.push_str("];\n\n");
    out.push_str("impl Client {\n");
    for m in &methods {
        let head = match &m.summary {
            Some(summary) => format!("{summary}: `{} {}`.", m.method, m.path),
            None => format!("`{} {}`.", m.method, m.path),
        };
        let description = m
            .description
            .iter()
            .flat_map(|d| [""].into_iter().chain(d.trim_end().lines()));
        let doc = [head.as_str()]
            .into_iter()
            .chain(description)
            .chain([""])
            .chain(CALL_PATH_DOC);
        for line in doc {
            let _ = writeln!(
                out,
                "    ///{}{line}",
                if line.is_empty() { "" } else { " " }
            );
        }
        // The arguments, as the method takes them and as the call path does:
        // the call takes the body by value, as a request it sends; its
        // `prepare_` twin borrows it.
        let query_params = m
            .query
            .iter()
            .map(|(arg, _)| format!("\n        {arg}: &str,"));
        let query = m
            .query
            .iter()
            .map(|(arg, wire)| format!("({wire:?}, {arg})"))
            .collect::<Vec<_>>()
            .join(", ");
        let (args, prepare_args, send, prepare) = match &m.body {
            Some(body) => (
                format!(
                    "{}\n        body: types::{body},",
                    query_params.collect::<String>()
                ),
                format!(
                    "{}\n        body: &types::{body},",
                    m.query
                        .iter()
                        .map(|(arg, _)| format!("\n        {arg}: &str,"))
                        .collect::<String>()
                ),
                "Some(&body)",
                "Some(body)",
            ),
            None => {
                let params = query_params.collect::<String>();
                (params.clone(), params, "None::<&()>", "None::<&()>")
            }
        };
        let (name, constant, response) = (&m.name, m.name.to_uppercase(), &m.response);
        let _ = writeln!(
            out,
            "    pub async fn {name}(\n        &self,{args}\n    ) -> \
             Result<Response<types::{response}>, Error> {{\n        \
             self.call(&{constant}, &[{query}], {send}).await\n    }}\n\n    \
             /// The request [`{name}`](Self::{name}) sends, built by the same code and not\n    \
             /// sent (the token redacted): for a dry run, a log or a test.\n    \
             pub fn prepare_{name}(\n        &self,{prepare_args}\n    ) -> \
             Result<PreparedRequest, Error> {{\n        \
             self.prepare(&{constant}, &[{query}], {prepare})\n    }}",
        );
    }
    out.push_str("}\n");
    Ok(out)
}

fn method_of(
    fragment: &Fragment,
    at: &str,
    path: &str,
    method: &str,
    operation: &Operation,
) -> Result<Method, Problem> {
    let problem =
        |message: String, fix: &str| super::problem(fragment, "generate", at, message, fix);
    let Some(id) = &operation.operation_id else {
        return Err(problem(
            "the operation has no operationId, so its method would have no name".to_owned(),
            "give it an `operationId`, or an `x-rust-name` in snake_case",
        ));
    };
    let (name, camel) = (id.to_snake_case(), id.to_upper_camel_case());
    let mut query = Vec::new();
    for (index, parameter) in operation.parameters.iter().enumerate() {
        let at = pointer(["paths", path, method, "parameters", &index.to_string()]);
        let parameter = match parameter {
            ReferenceOr::Item(parameter) => Some(parameter),
            ReferenceOr::Reference { reference } => reference
                .strip_prefix("#/components/parameters/")
                .and_then(|name| fragment.spec.components.as_ref()?.parameters.get(name))
                .and_then(ReferenceOr::as_item),
        };
        let data = match parameter {
            Some(openapiv3::Parameter::Query { parameter_data, .. }) if parameter_data.required => {
                parameter_data
            }
            _ => {
                return Err(super::problem(
                    fragment,
                    "generate",
                    &at,
                    format!(
                        "`{name}` has a parameter that is not a required query parameter written \
                         in place or under /components/parameters; the methods take those only"
                    ),
                    "make it `in: query` and `required: true`, or teach \
                     xtask/src/codegen/methods.rs the other kind",
                ));
            }
        };
        // `disk[id]` is the argument `disk_id`.
        query.push((data.name.to_snake_case(), data.name.clone()));
    }
    let idempotent = match operation.extensions.get("x-idempotent") {
        Some(serde_json::Value::Bool(safe)) => *safe,
        _ => {
            return Err(problem(
                format!("`{name}` does not say in `x-idempotent` whether sending it twice is safe"),
                "add `x-idempotent: true` or `x-idempotent: false` (the lint explains which)",
            ));
        }
    };
    // The generated type of the JSON schema: a `$ref`'d schema's name, or
    // for one written in place the name progenitor gives it after the
    // operation (`<Operation>Body`, `<Operation>Response`).
    let json_type = |media: Option<&MediaType>, suffix: &str| {
        match media.and_then(|m| m.schema.as_ref()) {
            Some(ReferenceOr::Reference { reference }) => reference
                .rsplit('/')
                .next()
                .map(ToUpperCamelCase::to_upper_camel_case),
            _ => None,
        }
        .unwrap_or_else(|| format!("{camel}{suffix}"))
    };
    let body = match &operation.request_body {
        None => None,
        Some(ReferenceOr::Item(body)) if body.required => {
            Some(json_type(body.content.get("application/json"), "Body"))
        }
        Some(_) => {
            return Err(problem(
                format!("`{name}` has a request body that is optional or not written in place"),
                "mark the request body `required: true` and write it in place",
            ));
        }
    };
    let successes = operation
        .responses
        .responses
        .iter()
        .filter_map(|(status, response)| match status {
            StatusCode::Code(code) if (200..300).contains(code) => Some((*code, response)),
            _ => None,
        });
    let Some(success) = successes
        .clone()
        .find_map(|(_, response)| response.as_item())
    else {
        return Err(problem(
            format!("`{name}` has no 2xx response written in place"),
            "describe the success response under `responses`",
        ));
    };
    Ok(Method {
        name,
        method: method.to_uppercase(),
        path: path.to_owned(),
        summary: operation.summary.clone(),
        description: operation.description.clone(),
        body,
        query,
        response: json_type(success.content.get("application/json"), "Response"),
        success: successes.map(|(code, _)| code).collect(),
        idempotent,
    })
}
