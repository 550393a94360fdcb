//! What the generator makes of each edge case the fragment relies on.

use std::path::Path;

use xtask::codegen::generate::{IN_GENERATOR, guarded};
use xtask::codegen::methods::render;
use xtask::codegen::{open_enums, prepare, render_open_enums, types_module};
use xtask::fragment::Fragment;
use xtask::problem;

fn load(name: &str) -> Fragment {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/generate")
        .join(format!("{name}.yaml"));
    prepare(&path, &format!("xtask/tests/fixtures/generate/{name}.yaml"))
        .unwrap_or_else(|problems| panic!("{}", problem::render(&problems)))
}

fn types(name: &str) -> String {
    types_module(&load(name)).unwrap_or_else(|problem| panic!("{problem}"))
}

#[test]
fn the_error_envelope_is_a_struct_around_an_enum_tagged_by_code() {
    let text = types("error-envelope");
    assert!(text.contains("#[serde(tag = \"code\")]"), "{text}");
    assert!(text.contains("pub error: ApiError"), "{text}");
    insta::assert_snapshot!("error_envelope_types", text);
    let codes = render_open_enums(&open_enums(&load("error-envelope")).unwrap());
    assert!(codes.contains("pub enum ErrorCode"), "{codes}");
    insta::assert_snapshot!("error_envelope_codes", codes);
}

#[test]
fn a_lookup_one_of_is_an_externally_tagged_enum() {
    let text = types("lookup-one-of");
    assert!(text.contains("pub enum PlaceLookup"), "{text}");
    assert!(text.contains("Id(::std::string::String)"), "{text}");
    assert!(!text.contains("#[serde(untagged)]"), "{text}");
    insta::assert_snapshot!("lookup_one_of_types", text);
}

#[test]
fn a_nullable_ref_is_an_option() {
    let text = types("nullable-ref");
    assert!(
        text.contains("pub owner: ::std::option::Option<Owner>"),
        "{text}"
    );
    insta::assert_snapshot!("nullable_ref_types", text);
}

#[test]
fn recursive_templates_are_boxed() {
    let text = types("recursion");
    assert!(text.contains("::std::boxed::Box<"), "{text}");
    insta::assert_snapshot!("recursion_types", text);
}

#[test]
fn an_open_enum_replaces_the_closed_one() {
    let fragment = load("open-enum");
    let text = types_module(&fragment).unwrap();
    assert!(
        text.contains("crate::generated_open_enums::ThingState"),
        "{text}"
    );
    assert!(!text.contains("pub enum ThingState"), "{text}");
    insta::assert_snapshot!("open_enum_types", text);
    insta::assert_snapshot!(
        "open_enum_enums",
        render_open_enums(&open_enums(&fragment).unwrap())
    );
}

// ---------------------------------------------------------- the generator guard

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
    // Quiet only inside the generator: a panic after it is reported.
    assert!(!IN_GENERATOR.get());
}

// ------------------------------------------------------------ the client methods

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
      x-idempotent: true
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
      x-idempotent: false
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
  parameters:
    ThingId: { name: "thing[id]", in: query, required: true, schema: { type: string } }
"##;

#[test]
fn every_operation_gets_a_method_on_the_one_call_path() {
    let mut fragment = Fragment::parse(TWO_OPERATIONS, "two.yaml").unwrap();
    fragment.shape_for_rust().unwrap();
    let source = render(&fragment).unwrap();
    for expected in [
        "pub async fn update_thing(",
        "body: types::UpdateThingBody,",
        "Result<Response<types::UpdateThingResponse>, Error>",
        "self.call(&UPDATE_THING, &[], Some(&body)).await",
        "pub fn prepare_update_thing(",
        "body: &types::UpdateThingBody,",
        "self.prepare(&UPDATE_THING, &[], Some(body))",
        "idempotent: true,",
        "idempotent: false,",
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

/// A read: a required query parameter (in place or `$ref`'d) becomes an
/// argument named in snake_case, sent under its wire name, with no body.
#[test]
fn a_query_parameter_is_an_argument_and_no_body_is_sent() {
    let get = TWO_OPERATIONS.replace(
        "  /things/thing:\n",
        "  /things/thing:\n    get:\n      operationId: get_thing\n      x-idempotent: true\n      \
         parameters:\n        - $ref: \"#/components/parameters/ThingId\"\n      responses:\n        \
             \"200\": { description: ok, content: { application/json: { schema: { $ref: \"#/components/schemas/Deleted\" } } } }\n",
        );
    let mut fragment = Fragment::parse(&get, "three.yaml").unwrap();
    fragment.shape_for_rust().unwrap();
    let source = render(&fragment).unwrap();
    for expected in [
        "pub async fn get_thing(\n        &self,\n        thing_id: &str,\n    ) -> Result<Response<types::Deleted>, Error>",
        "self.call(&GET_THING, &[(\"thing[id]\", thing_id)], None::<&()>).await",
        "self.prepare(&GET_THING, &[(\"thing[id]\", thing_id)], None::<&()>)",
        "method: reqwest::Method::GET,",
    ] {
        assert!(source.contains(expected), "{expected}\n{source}");
    }
}

#[test]
fn an_operation_without_x_idempotent_is_a_clear_problem() {
    let unsaid = TWO_OPERATIONS.replace("      x-idempotent: false\n", "");
    let mut fragment = Fragment::parse(&unsaid, "two.yaml").unwrap();
    fragment.shape_for_rust().unwrap();
    let problem = render(&fragment).unwrap_err();
    assert_eq!(problem.pointer, "/paths/~1things~1thing/delete");
    assert!(problem.message.contains("x-idempotent"), "{problem}");
}

#[test]
fn a_parameter_the_methods_cannot_pass_is_a_clear_problem() {
    let with_parameter = TWO_OPERATIONS.replace(
            "      x-rust-name: update_thing\n",
            "      x-rust-name: update_thing\n      parameters:\n        - { name: id, in: header, required: true, schema: { type: string } }\n",
        );
    let mut fragment = Fragment::parse(&with_parameter, "two.yaml").unwrap();
    fragment.shape_for_rust().unwrap();
    let problem = render(&fragment).unwrap_err();
    assert_eq!(problem.pointer, "/paths/~1things~1thing/patch/parameters/0");
    assert!(
        problem.message.contains("not a required query parameter"),
        "{problem}"
    );
    assert!(problem.fix.contains("methods.rs"), "{problem}");
}
