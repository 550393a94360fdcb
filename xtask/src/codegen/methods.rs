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
    body: String,
    response: String,
    /// The documented 2xx statuses.
    success: Vec<u16>,
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
pub(super) fn render(fragment: &Fragment) -> Result<String, Problem> {
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
             success: &{success:?},\n    api_version: {api_version:?},\n}};\n",
            method = m.method,
            path = m.path,
            constant = m.name.to_uppercase(),
            name = m.name,
            success = m.success,
            api_version = fragment.spec.info.version,
        );
    }
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
        let _ = writeln!(
            out,
            "    pub async fn {name}(\n        &self,\n        body: types::{body},\n    ) -> \
             Result<Response<types::{response}>, Error> {{\n        \
             self.call(&{constant}, &[], Some(&body)).await\n    }}\n\n    \
             /// The request [`{name}`](Self::{name}) sends, built by the same code and not\n    \
             /// sent (the token redacted): for a dry run, a log or a test.\n    \
             pub fn prepare_{name}(\n        &self,\n        body: &types::{body},\n    ) -> \
             Result<PreparedRequest, Error> {{\n        \
             self.prepare(&{constant}, &[], Some(body))\n    }}",
            name = m.name,
            constant = m.name.to_uppercase(),
            body = m.body,
            response = m.response,
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
    if !operation.parameters.is_empty() {
        return Err(problem(
            format!("`{name}` has parameters; the method generator passes a JSON body only"),
            "teach xtask/src/codegen/methods.rs to pass parameters to the call path",
        ));
    }
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
        Some(ReferenceOr::Item(body)) if body.required => {
            json_type(body.content.get("application/json"), "Body")
        }
        _ => {
            return Err(problem(
                format!("`{name}` has no required JSON request body written in place"),
                "mark the request body `required: true`, or teach \
                 xtask/src/codegen/methods.rs operations without one",
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
        response: json_type(success.content.get("application/json"), "Response"),
        success: successes.map(|(code, _)| code).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A second operation gets its method from the fragment alone, named by
    /// `x-rust-name`, on the same call path; a `$ref`'d body or response
    /// keeps its schema's name.
    const TWO_OPERATIONS: &str = r##"
openapi: 3.0.3
info: { title: T, version: "2.0.0" }
paths:
  /things/thing:
    patch:
      operationId: "patch:thing"
      x-rust-name: update_thing
      summary: Update thing
      requestBody:
        required: true
        content:
          application/json:
            schema: { type: object, properties: { name: { type: string } } }
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: { type: object, properties: { name: { type: string } } }
    delete:
      operationId: delete_thing
      requestBody:
        required: true
        content:
          application/json:
            schema: { $ref: "#/components/schemas/ThingLookup" }
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Deleted" }
        "202":
          description: accepted
components:
  schemas:
    ThingLookup: { type: object, properties: { id: { type: string } } }
    Deleted: { type: object, properties: { id: { type: string } } }
"##;

    #[test]
    fn every_operation_gets_a_method_on_the_one_call_path() {
        let mut fragment = Fragment::parse(TWO_OPERATIONS, "two.yaml").unwrap();
        fragment.apply_rust_names().unwrap();
        let source = render(&fragment).unwrap();
        for expected in [
            "pub async fn update_thing(",
            "body: types::UpdateThingBody,",
            "Result<Response<types::UpdateThingResponse>, Error>",
            "self.call(&UPDATE_THING, &[], Some(&body)).await",
            "pub fn prepare_update_thing(",
            "body: &types::UpdateThingBody,",
            "self.prepare(&UPDATE_THING, &[], Some(body))",
            "method: reqwest::Method::PATCH,",
            "pub async fn delete_thing(",
            "body: types::ThingLookup,",
            "Result<Response<types::Deleted>, Error>",
            "method: reqwest::Method::DELETE,",
            "success: &[200, 202],",
            "api_version: \"2.0.0\",",
            "/// Update thing: `PATCH /things/thing`.",
        ] {
            assert!(source.contains(expected), "{expected}\n{source}");
        }
        assert_eq!(source.matches("self.call(").count(), 2, "{source}");
        assert_eq!(source.matches("self.prepare(").count(), 2, "{source}");
    }

    #[test]
    fn an_operation_with_parameters_is_a_clear_problem() {
        let with_parameter = TWO_OPERATIONS.replace(
            "      x-rust-name: update_thing\n",
            "      x-rust-name: update_thing\n      parameters:\n        - { name: id, in: query, schema: { type: string } }\n",
        );
        let mut fragment = Fragment::parse(&with_parameter, "two.yaml").unwrap();
        fragment.apply_rust_names().unwrap();
        let problem = render(&fragment).unwrap_err();
        assert_eq!(problem.pointer, "/paths/~1things~1thing/patch");
        assert!(problem.message.contains("has parameters"), "{problem}");
        assert!(problem.fix.contains("methods.rs"), "{problem}");
    }
}
