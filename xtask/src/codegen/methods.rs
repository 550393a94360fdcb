//! The client's public methods: one per operation, named by its
//! `x-rust-name` (the operation id progenitor sees, so the client, the mocks
//! and the CLI agree), each one call of the one call path (`crate::call`),
//! taking and returning the types progenitor generated for it.

use heck::{ToSnakeCase, ToUpperCamelCase};
use openapiv3::{MediaType, Operation, Parameter, ReferenceOr, StatusCode};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use crate::doc::{below, pointer};
use crate::fragment::Fragment;
use crate::problem::Problem;

pub const METHODS_PATH: &str = "crates/katapult-core/src/generated_methods.rs";

/// The formatted source of [`METHODS_PATH`]: for each operation a static
/// `Operation` (`UPDATE_DISK`) and two methods, the call and its `prepare_`.
pub fn render(fragment: &Fragment) -> Result<String, Problem> {
    let operations = fragment.spec.operations();
    let each = operations.map(|(path, method, op)| method_of(fragment, path, method, op));
    let (constants, statics, methods): (Vec<_>, Vec<_>, Vec<_>) =
        each.collect::<Result<Vec<_>, _>>()?.into_iter().collect();
    let tokens = quote! {
        //! The client's methods, one per operation of the fragment: the name comes
        //! from `x-rust-name`, the docs from the operation, the method, path and
        //! documented statuses from the fragment, the work from the one call path
        //! (`crate::call`). Each operation also has a `prepare_` twin that
        //! builds the same request, by the same code, without sending it.
        use crate::call::Operation;
        use crate::{Client, Error, PreparedRequest, Response, types};
        #(#statics)*
        /// Every operation, for what reads them by name.
        pub(crate) static OPERATIONS: &[&Operation] = &[#(&#constants),*];
        impl Client {
            #(#methods)*
        }
    };
    super::format(fragment, tokens)
}

/// One operation's constant, its static `Operation` and its two methods.
fn method_of(
    fragment: &Fragment,
    path: &str,
    method: &str,
    operation: &Operation,
) -> Result<(Ident, TokenStream, TokenStream), Problem> {
    let at = pointer(["paths", path, method]);
    let problem = |at: &str, message: String, fix: &str| {
        super::problem(fragment, "generate", at, message, fix)
    };
    let Some(id) = &operation.operation_id else {
        return Err(problem(
            &at,
            "the operation has no operationId, so its method would have no name".to_owned(),
            "give it an `operationId`, or an `x-rust-name` in snake_case",
        ));
    };
    let (name, camel) = (id.to_snake_case(), id.to_upper_camel_case());
    // The Rust argument and the wire name (`disk_id`, `disk[id]`).
    let (mut args, mut wire) = (Vec::new(), Vec::new());
    for (index, parameter) in operation.parameters.iter().enumerate() {
        let parameter = match parameter {
            ReferenceOr::Item(parameter) => Some(parameter),
            ReferenceOr::Reference { reference } => reference
                .strip_prefix("#/components/parameters/")
                .and_then(|name| fragment.spec.components.as_ref()?.parameters.get(name))
                .and_then(ReferenceOr::as_item),
        };
        let query = |p: &&Parameter| matches!(p, Parameter::Query { .. });
        let data = parameter.filter(query).map(Parameter::parameter_data_ref);
        let Some(data) = data.filter(|data| data.required) else {
            return Err(problem(
                &below(&at, ["parameters", &index.to_string()]),
                format!(
                    "`{name}` has a parameter that is not a required query parameter written \
                     in place or under /components/parameters; the methods take those only"
                ),
                "make it `in: query` and `required: true`, or teach \
                 xtask/src/codegen/methods.rs the other kind",
            ));
        };
        args.push(format_ident!("{}", data.name.to_snake_case()));
        wire.push(&data.name);
    }
    let Some(serde_json::Value::Bool(idempotent)) = operation.extensions.get("x-idempotent") else {
        return Err(problem(
            &at,
            format!("`{name}` does not say in `x-idempotent` whether sending it twice is safe"),
            "add `x-idempotent: true` or `x-idempotent: false` (the lint explains which)",
        ));
    };
    // A `$ref`'d schema's name, or the one progenitor gives a schema written
    // in place (`<Operation>Body`, `<Operation>Response`).
    let json_type = |media: Option<&MediaType>, suffix: &str| {
        let name = match media.and_then(|m| m.schema.as_ref()) {
            Some(ReferenceOr::Reference { reference }) => reference.rsplit('/').next(),
            _ => None,
        };
        let name = name.map_or_else(|| format!("{camel}{suffix}"), |n| n.to_upper_camel_case());
        format_ident!("{name}")
    };
    let body: Vec<Ident> = match &operation.request_body {
        None => Vec::new(),
        Some(ReferenceOr::Item(body)) if body.required => {
            vec![json_type(body.content.get("application/json"), "Body")]
        }
        Some(_) => {
            return Err(problem(
                &at,
                format!("`{name}` has a request body that is optional or not written in place"),
                "mark the request body `required: true` and write it in place",
            ));
        }
    };
    let responses = operation.responses.responses.iter();
    let successes = responses.filter_map(|(status, response)| match status {
        StatusCode::Code(code) if (200..300).contains(code) => Some((*code, response)),
        _ => None,
    });
    let Some(response) = successes.clone().find_map(|(_, r)| r.as_item()) else {
        return Err(problem(
            &at,
            format!("`{name}` has no 2xx response written in place"),
            "describe the success response under `responses`",
        ));
    };
    let response = json_type(response.content.get("application/json"), "Response");
    let success = successes.map(|(code, _)| Literal::u16_unsuffixed(code));

    let verb = format_ident!("{}", method.to_uppercase());
    let constant = format_ident!("{}", name.to_uppercase());
    let (call, prepare) = (format_ident!("{name}"), format_ident!("prepare_{name}"));
    let api_version = &fragment.spec.info.version;
    let static_doc = format!(" `{verb} {path}`.");
    let operation_static = quote! {
        #[doc = #static_doc]
        static #constant: Operation = Operation {
            id: #name,
            method: reqwest::Method::#verb,
            path: #path,
            success: &[#(#success),*],
            idempotent: #idempotent,
            api_version: #api_version,
        };
    };
    let summary = operation.summary.as_ref().map(|s| format!("{s}: "));
    let head = format!("{}`{verb} {path}`.", summary.unwrap_or_default());
    let description = operation.description.iter();
    let description = description.flat_map(|d| [""].into_iter().chain(d.trim_end().lines()));
    // As `#[doc]` values: `/// text` is `" text"`, `///` is `""`.
    let call_doc = [head.as_str()].into_iter().chain(description);
    let call_doc = call_doc.map(|line| format!("{}{line}", if line.is_empty() { "" } else { " " }));
    let prepare_doc =
        format!(" The request [`{name}`](Self::{name}) sends, built by the same code and not");
    // The call takes the body it sends; `prepare_` borrows it.
    let query = quote! { &[#((#wire, #args)),*] };
    let (send, lend) = match body.is_empty() {
        true => (quote! { None::<&()> }, quote! { None::<&()> }),
        false => (quote! { Some(&body) }, quote! { Some(body) }),
    };
    let methods = quote! {
        #(#[doc = #call_doc])*
        ///
        /// Retries what the client's [`RetryPolicy`](crate::RetryPolicy) allows, and waits
        /// while the rate-limit governor holds the request
        /// ([`ClientBuilder::rate_limit_governor`](crate::ClientBuilder::rate_limit_governor));
        /// the status, request id and rate-limit headers of the answer are in
        /// [`Response::meta`], or in the error's.
        pub async fn #call(&self, #(#args: &str,)* #(body: types::#body,)*)
            -> Result<Response<types::#response>, Error>
        {
            self.call(&#constant, #query, #send).await
        }
        #[doc = #prepare_doc]
        /// sent (the token redacted): for a dry run, a log or a test.
        pub fn #prepare(&self, #(#args: &str,)* #(body: &types::#body,)*)
            -> Result<PreparedRequest, Error>
        {
            self.prepare(&#constant, #query, #lend)
        }
    };
    Ok((constant, operation_static, methods))
}
