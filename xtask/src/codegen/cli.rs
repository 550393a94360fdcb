//! The command line's request flags (`crates/katapult-cli/src/generated.rs`),
//! generated from the fragment: for each operation with a JSON request
//! body, a clap `Args` struct with one flag per field of the body and a
//! `to_json` method that builds the body from them, so a property added to
//! the fragment appears in `katapult` with no hand edit.
//!
//! How the body's schema becomes flags, walking the JSON tree:
//!
//! - a string, integer, number or boolean property is one flag named after
//!   it (`size_in_gb` is `--size-in-gb`); a string enum takes its values;
//!   a boolean takes `true` or `false` (a PATCH must be able to send both);
//! - an object whose properties are all optional (a bag of settings, like
//!   `properties` or `virtual_machine_disk`) adds its properties' flags
//!   unprefixed; an object with required properties (something that
//!   identifies, like `disk`) prefixes them with its name (`--disk-id`);
//! - a `oneOf` of single-field objects (a lookup, like `io_profile`) is one
//!   flag per field, prefixed with the property's name
//!   (`--io-profile-id`, `--io-profile-permalink`), each conflicting with
//!   the others;
//! - an array of `{key, value}` objects is a repeatable `--<singular>
//!   KEY=VALUE` and a `--clear-<name>` that sends an empty list.
//!
//! Help comes from the fragment: the JSON path the flag sets, then the
//! description of the property (or, for a prefixed object's field, of the
//! object). Flags are listed required first, then by name. Any other shape,
//! and two properties that would make the same flag, is a problem of the
//! `cli` stage, with the pointer and the fix.
//!
//! The generated code names three things of the CLI crate:
//! `crate::cli::WHOLE_BODY_ARGS` (the arguments that give a whole body, which
//! make a required field's flag optional) and
//! `crate::request::parse_key_value` (the `KEY=VALUE` parser). Its clap
//! attributes are checked by the CLI's own `debug_assert` test.

use std::collections::BTreeMap;

use heck::{ToKebabCase, ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::doc::{self, OneOfShape, child};
use crate::fragment::Fragment;
use crate::problem::Problem;

/// The file this step writes.
pub const CLI_PATH: &str = "crates/katapult-cli/src/generated.rs";

/// Long flags the CLI declares by hand (crates/katapult-cli/src/cli.rs); a
/// property whose flag would take one of these names is a problem here
/// rather than a clash at run time.
const RESERVED: &[&str] = &[
    "json-body",
    "from",
    "concurrency",
    "dry-run",
    "output",
    "token-file",
    "profile",
    "mock",
    "timeout",
    "rate-limit-window",
    "debug",
    "help",
    "version",
];

/// The CLI module's tokens, for every operation with a JSON request body.
pub(super) fn tokens(fragment: &Fragment) -> Result<TokenStream, Problem> {
    let doc = &fragment.document;
    let mut items = Vec::new();
    for op in doc::operations(doc) {
        let Some((at, body)) = request_schema(doc, &op.pointer, op.value) else {
            continue;
        };
        let name = rust_name(op.value);
        let mut walk = Walk {
            fragment,
            flags: Vec::new(),
        };
        let root = walk.object(&at, body, &[], &[], true)?;
        walk.check_names()?;
        items.push(render(
            fragment,
            &name,
            &op.pointer,
            op.value,
            &walk.flags,
            &root,
        ));
    }
    Ok(quote! {
        //! The request flags of `katapult`, one per field of each operation's
        //! request body, and the JSON body they describe.
        #(#items)*
    })
}

/// The operation's name in Rust: `x-rust-name`, else its operation id.
fn rust_name(op: &Value) -> String {
    op.get("x-rust-name")
        .or_else(|| op.get("operationId"))
        .and_then(Value::as_str)
        .map(ToSnakeCase::to_snake_case)
        .unwrap_or_else(|| "operation".to_owned())
}

/// The JSON request body's schema, resolved, and where it is.
fn request_schema<'a>(doc: &'a Value, op_at: &str, op: &'a Value) -> Option<(String, &'a Value)> {
    let (body_at, body) = doc::deref(doc, child(op_at, "requestBody"), op.get("requestBody")?);
    let content = body.get("content")?.as_object()?;
    let (media, schema) = content.iter().find_map(|(media, value)| {
        let json = media == "application/json" || media.starts_with("application/json;");
        json.then(|| (media, value.get("schema")))?
            .1
            .map(|schema| (media, schema))
    })?;
    let at = child(&child(&child(&body_at, "content"), media), "schema");
    let schema = doc::resolve(doc, at, schema);
    Some((schema.at, schema.value))
}

/// The type of a flag's value.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    String,
    Integer,
    Number,
    Boolean,
    Enum(Vec<String>),
}

/// One flag.
#[derive(Debug)]
struct Flag {
    /// The field and clap id: `disk_id`.
    id: String,
    /// `disk-id`.
    long: String,
    value_name: Option<String>,
    help: String,
    shape: FlagShape,
    /// Required in the body (every object above it required too).
    required: bool,
    /// Ids of the flags it conflicts with.
    conflicts: Vec<String>,
    /// Where it comes from, for problems.
    pointer: String,
}

#[derive(Debug)]
enum FlagShape {
    /// `Option<T>`.
    Value(Kind),
    /// `Vec<(String, Option<String>)>`, repeatable.
    KeyValues,
    /// `bool`, present or not.
    Switch,
}

/// A node of the body the flags build.
#[derive(Debug)]
enum Node {
    /// `{...}`: inserted when required, or when any flag below it is given.
    Object {
        key: String,
        required: bool,
        children: Vec<Node>,
    },
    /// One flag's value.
    Value { key: String, flag: String },
    /// `{"<field>": value}`, from whichever member's flag is given.
    Lookup {
        key: String,
        members: Vec<(String, String)>,
    },
    /// `[{"key": k, "value": v}, ...]`, or `[]` with the clear flag.
    KeyValues {
        key: String,
        add: String,
        clear: String,
    },
}

struct Walk<'a> {
    fragment: &'a Fragment,
    flags: Vec<Flag>,
}

impl Walk<'_> {
    fn problem(&self, pointer: &str, message: String) -> Problem {
        Problem {
            rule: "cli",
            file: self.fragment.display_path.clone(),
            pointer: pointer.to_owned(),
            message,
            fix: "give the property a shape the CLI generator knows (a string, integer, number, \
                  boolean or string enum; an object; a oneOf of single-field objects; an array \
                  of {key, value} objects), or teach xtask/src/codegen/cli.rs this one"
                .to_owned(),
        }
    }

    /// The children of an object schema at `at`. `prefix` is the flag-name
    /// prefix so far, `path` the JSON path, `required` whether every object
    /// down to this one is required.
    fn object(
        &mut self,
        at: &str,
        node: &Value,
        prefix: &[String],
        path: &[String],
        required: bool,
    ) -> Result<Vec<Node>, Problem> {
        let doc = &self.fragment.document;
        let Some(properties) = node.get("properties").and_then(Value::as_object) else {
            return Err(self.problem(
                at,
                "the request body is not an object with properties".to_owned(),
            ));
        };
        let required_names: Vec<&str> = node
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let object_description = description(node);
        let mut children = Vec::new();
        for (name, property) in properties {
            let property_at = child(&child(at, "properties"), name);
            let resolved = doc::resolve(doc, property_at.clone(), property);
            let (schema_at, schema) = (resolved.at, resolved.value);
            let is_required = required && required_names.contains(&name.as_str());
            let mut json_path = path.to_vec();
            json_path.push(name.clone());
            let dotted = json_path.join(".");
            let own_description = description(property).or_else(|| description(schema));

            if let Some(members) = schema.get("oneOf").and_then(Value::as_array) {
                children.push(self.lookup(&schema_at, members, prefix, name, &dotted)?);
                continue;
            }
            match schema.get("type").and_then(Value::as_str) {
                Some("object") | None if schema.get("properties").is_some() => {
                    let has_required = schema
                        .get("required")
                        .and_then(Value::as_array)
                        .is_some_and(|names| !names.is_empty());
                    let mut inner_prefix = prefix.to_vec();
                    if has_required {
                        inner_prefix.push(name.clone());
                    }
                    let grandchildren =
                        self.object(&schema_at, schema, &inner_prefix, &json_path, is_required)?;
                    children.push(Node::Object {
                        key: name.clone(),
                        required: is_required,
                        children: grandchildren,
                    });
                }
                Some("array") => {
                    children.push(self.key_values(
                        &schema_at,
                        schema,
                        prefix,
                        name,
                        &dotted,
                        own_description,
                    )?);
                }
                _ => {
                    let kind = self.kind(&schema_at, schema)?;
                    let long = flag_name(prefix, name);
                    // A field of a prefixed object without a description of
                    // its own is described by its object (`disk.id`: "The
                    // disk to update").
                    let text = own_description.or_else(|| {
                        (!prefix.is_empty())
                            .then(|| object_description.clone())
                            .flatten()
                    });
                    self.flags.push(Flag {
                        id: long.to_snake_case(),
                        value_name: Some(if kind == Kind::Boolean {
                            "BOOL".to_owned()
                        } else {
                            name.to_shouty_snake_case()
                        }),
                        help: sentence(&format!("Sets {dotted}."), text.as_deref()),
                        shape: FlagShape::Value(kind),
                        required: is_required,
                        conflicts: Vec::new(),
                        pointer: property_at,
                        long,
                    });
                    children.push(Node::Value {
                        key: name.clone(),
                        flag: self.flags.last().map(|f| f.id.clone()).unwrap_or_default(),
                    });
                }
            }
        }
        Ok(children)
    }

    /// A lookup: one flag per member field, conflicting with each other.
    fn lookup(
        &mut self,
        at: &str,
        members: &[Value],
        prefix: &[String],
        name: &str,
        dotted: &str,
    ) -> Result<Node, Problem> {
        if let OneOfShape::Untagged(why) | OneOfShape::Internal { tag: why } =
            doc::one_of_shape(members)
        {
            return Err(self.problem(
                at,
                format!("only a oneOf of single-field objects (a lookup) makes flags; this one does not: {why}"),
            ));
        }
        let mut lookup_prefix = prefix.to_vec();
        lookup_prefix.push(name.to_owned());
        let mut fields = Vec::new();
        for (index, member) in members.iter().enumerate() {
            let member_at = child(&child(at, "oneOf"), &index.to_string());
            let Some((field, schema)) = member
                .get("properties")
                .and_then(Value::as_object)
                .and_then(|p| p.iter().next())
            else {
                continue;
            };
            let field_at = child(&child(&member_at, "properties"), field);
            let resolved = doc::resolve(&self.fragment.document, field_at.clone(), schema);
            let (schema_at, schema) = (resolved.at, resolved.value);
            let kind = self.kind(&schema_at, schema)?;
            fields.push((field.clone(), kind, field_at, description(schema)));
        }
        let ids: Vec<String> = fields
            .iter()
            .map(|(field, ..)| flag_name(&lookup_prefix, field).to_snake_case())
            .collect();
        let mut members_out = Vec::new();
        for (index, (field, kind, field_at, text)) in fields.into_iter().enumerate() {
            let long = flag_name(&lookup_prefix, &field);
            let others: Vec<String> = ids
                .iter()
                .filter(|id| **id != ids[index])
                .cloned()
                .collect();
            let others_long: Vec<String> = others
                .iter()
                .map(|id| format!("--{}", id.to_kebab_case()))
                .collect();
            let lead = format!(
                "Sets {dotted} by {field}; conflicts with {}.",
                others_long.join(", ")
            );
            self.flags.push(Flag {
                id: ids[index].clone(),
                value_name: Some(field.to_shouty_snake_case()),
                help: sentence(&lead, text.as_deref()),
                shape: FlagShape::Value(kind),
                required: false,
                conflicts: others,
                pointer: field_at,
                long,
            });
            members_out.push((field, ids[index].clone()));
        }
        Ok(Node::Lookup {
            key: name.to_owned(),
            members: members_out,
        })
    }

    /// An array of `{key, value}` objects: `--<singular> KEY=VALUE` and
    /// `--clear-<name>`.
    fn key_values(
        &mut self,
        at: &str,
        schema: &Value,
        prefix: &[String],
        name: &str,
        dotted: &str,
        text: Option<String>,
    ) -> Result<Node, Problem> {
        let doc = &self.fragment.document;
        let items = schema
            .get("items")
            .map(|items| doc::resolve(doc, child(at, "items"), items).value);
        let is_key_value = items.is_some_and(|items| {
            let string = |name: &str| {
                items
                    .pointer(&format!("/properties/{name}/type"))
                    .and_then(Value::as_str)
                    == Some("string")
            };
            let count = items
                .get("properties")
                .and_then(Value::as_object)
                .map_or(0, |p| p.len());
            let required = items.get("required").and_then(Value::as_array);
            count == 2
                && string("key")
                && string("value")
                && required.is_some_and(|r| r.len() == 1 && r[0] == "key")
        });
        if !is_key_value {
            return Err(self.problem(
                at,
                "only an array of {key, value} objects (key required, both strings) makes flags"
                    .to_owned(),
            ));
        }
        let singular = name
            .strip_suffix('s')
            .filter(|s| !s.is_empty() && !s.ends_with('s'))
            .unwrap_or(name);
        let add = flag_name(prefix, singular);
        let clear = flag_name(prefix, &format!("clear_{name}"));
        self.flags.push(Flag {
            id: add.to_snake_case(),
            value_name: Some("KEY=VALUE".to_owned()),
            help: sentence(
                &format!("Adds an entry to {dotted} (repeatable; KEY alone sends no value)."),
                text.as_deref(),
            ),
            shape: FlagShape::KeyValues,
            required: false,
            conflicts: vec![clear.to_snake_case()],
            pointer: at.to_owned(),
            long: add.clone(),
        });
        self.flags.push(Flag {
            id: clear.to_snake_case(),
            value_name: None,
            help: format!("Sends {dotted} as an empty list, removing every entry."),
            shape: FlagShape::Switch,
            required: false,
            conflicts: vec![add.to_snake_case()],
            pointer: at.to_owned(),
            long: clear.clone(),
        });
        Ok(Node::KeyValues {
            key: name.to_owned(),
            add: add.to_snake_case(),
            clear: clear.to_snake_case(),
        })
    }

    /// The value type of a scalar schema.
    fn kind(&self, at: &str, schema: &Value) -> Result<Kind, Problem> {
        let values = schema.get("enum").and_then(Value::as_array);
        Ok(match (schema.get("type").and_then(Value::as_str), values) {
            (Some("string"), Some(values)) => Kind::Enum(
                values
                    .iter()
                    .map(|v| {
                        v.as_str().map(str::to_owned).ok_or_else(|| {
                            self.problem(at, format!("the enum value {v} is not a string"))
                        })
                    })
                    .collect::<Result<_, _>>()?,
            ),
            (Some("string"), None) => Kind::String,
            (Some("integer"), None) => Kind::Integer,
            (Some("number"), None) => Kind::Number,
            (Some("boolean"), None) => Kind::Boolean,
            (other, _) => {
                return Err(self.problem(
                    at,
                    format!(
                        "no flag can be made for a schema of type {}",
                        other.unwrap_or("(none)")
                    ),
                ));
            }
        })
    }

    /// Two properties making one flag, or a flag the CLI declares itself.
    fn check_names(&self) -> Result<(), Problem> {
        let mut seen: BTreeMap<&str, &Flag> = BTreeMap::new();
        for flag in &self.flags {
            if RESERVED.contains(&flag.long.as_str()) {
                return Err(Problem {
                    fix: "rename the property, or teach xtask/src/codegen/cli.rs to prefix it"
                        .to_owned(),
                    ..self.problem(
                        &flag.pointer,
                        format!(
                            "this property would make the flag --{}, which katapult already uses",
                            flag.long
                        ),
                    )
                });
            }
            if let Some(first) = seen.insert(flag.long.as_str(), flag) {
                return Err(Problem {
                    fix: "rename one of them, or teach xtask/src/codegen/cli.rs to prefix them"
                        .to_owned(),
                    ..self.problem(
                        &flag.pointer,
                        format!(
                            "this property and {} would both make the flag --{}",
                            first.pointer, flag.long
                        ),
                    )
                });
            }
        }
        Ok(())
    }
}

/// `prefix-...-name`, kebab-case.
fn flag_name(prefix: &[String], name: &str) -> String {
    let mut parts = prefix.to_vec();
    parts.push(name.to_owned());
    parts.join("_").to_kebab_case()
}

/// A schema's description, whitespace collapsed onto one line.
fn description(node: &Value) -> Option<String> {
    node.get("description")
        .and_then(Value::as_str)
        .map(|text| text.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|text| !text.is_empty())
}

/// `lead` then `text`, as one paragraph.
fn sentence(lead: &str, text: Option<&str>) -> String {
    match text {
        Some(text) => format!("{lead} {text}"),
        None => lead.to_owned(),
    }
}

/// The struct, its constants and `to_json` for one operation.
fn render(
    fragment: &Fragment,
    name: &str,
    op_at: &str,
    op: &Value,
    flags: &[Flag],
    root: &[Node],
) -> TokenStream {
    let doc = &fragment.document;
    let struct_name = format_ident!("{}Flags", name.to_upper_camel_case());
    let group = format!("{name}_flags");
    let method = op_at.rsplit('/').next().unwrap_or("").to_uppercase();
    let path = op_at
        .strip_prefix("/paths/")
        .and_then(|rest| rest.rsplit_once('/'))
        .map(|(path, _)| path.replace("~1", "/").replace("~0", "~"))
        .unwrap_or_default();
    let headers = headers(doc, op_at, op);
    let header_tokens = headers.iter().map(|(n, v)| quote! { (#n, #v) });
    let struct_doc =
        format!(" The request body of `{name}` ({method} {path}), one flag per field.");

    let mut ordered: Vec<&Flag> = flags.iter().collect();
    ordered.sort_by(|a, b| {
        b.required
            .cmp(&a.required)
            .then_with(|| a.long.cmp(&b.long))
    });
    let fields = ordered.iter().map(|flag| field(flag));
    let body = object_body(root, 0);

    quote! {
        #[doc = #struct_doc]
        #[derive(Debug, Clone, ::clap::Args)]
        #[group(id = #group, multiple = true)]
        #[command(next_help_heading = "Request body")]
        pub struct #struct_name {
            #(#fields)*
        }

        impl #struct_name {
            /// The clap group holding every flag of this struct.
            pub const GROUP: &str = #group;
            /// The operation's HTTP method.
            pub const METHOD: &str = #method;
            /// The operation's path, appended to the base URL.
            pub const PATH: &str = #path;
            /// The headers the generated client sets on every request of
            /// this operation (name, value), sorted by name.
            pub const HEADERS: &[(&str, &str)] = &[#(#header_tokens),*];

            /// The request body these flags describe, as JSON with the
            /// fragment's property names.
            pub fn to_json(&self) -> ::serde_json::Value {
                let mut object_0 = ::serde_json::Map::new();
                #body
                ::serde_json::Value::Object(object_0)
            }
        }
    }
}

/// The headers progenitor's generated client sets itself: `accept` (the
/// success response's media type), `api-version` (the document's
/// `info.version`) and `content-type` (the request body's media type).
fn headers(doc: &Value, op_at: &str, op: &Value) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    let success = doc::responses(
        doc,
        &doc::Operation {
            pointer: op_at.to_owned(),
            value: op,
        },
    )
    .into_iter()
    .find(|(status, _, response)| status.starts_with('2') && response.get("content").is_some());
    if let Some(media) = success
        .and_then(|(_, _, response)| response.get("content")?.as_object()?.keys().next().cloned())
    {
        headers.push(("accept".to_owned(), media));
    }
    if let Some(version) = doc.pointer("/info/version").and_then(Value::as_str) {
        headers.push(("api-version".to_owned(), version.to_owned()));
    }
    let (_, body) = doc::deref(doc, child(op_at, "requestBody"), &op["requestBody"]);
    if let Some(media) = body
        .get("content")
        .and_then(Value::as_object)
        .and_then(|c| c.keys().next())
    {
        headers.push(("content-type".to_owned(), media.clone()));
    }
    headers.sort();
    headers
}

/// One field of the struct, with its clap attributes.
fn field(flag: &Flag) -> TokenStream {
    let ident = format_ident!("{}", flag.id);
    let long = &flag.long;
    let help = format!(" {}", flag.help);
    let value_name = flag
        .value_name
        .as_ref()
        .map(|name| quote! { value_name = #name, });
    let required = flag
        .required
        .then(|| quote! { required_unless_present_any = crate::cli::WHOLE_BODY_ARGS, });
    let conflicts = &flag.conflicts;
    let conflicts =
        (!conflicts.is_empty()).then(|| quote! { conflicts_with_all = [#(#conflicts),*], });
    // Bare `Option` and `Vec`: clap's derive recognises only those
    // spellings as "optional" and "repeatable".
    let (ty, extra) = match &flag.shape {
        FlagShape::Value(Kind::String) => (quote! { Option<String> }, quote! {}),
        FlagShape::Value(Kind::Integer) => (quote! { Option<i64> }, quote! {}),
        FlagShape::Value(Kind::Number) => (quote! { Option<f64> }, quote! {}),
        FlagShape::Value(Kind::Boolean) => (
            quote! { Option<bool> },
            quote! { action = ::clap::ArgAction::Set, },
        ),
        FlagShape::Value(Kind::Enum(values)) => (
            quote! { Option<String> },
            quote! { value_parser = [#(#values),*], },
        ),
        FlagShape::KeyValues => (
            quote! { Vec<(String, Option<String>)> },
            quote! { value_parser = crate::request::parse_key_value, },
        ),
        FlagShape::Switch => (quote! { bool }, quote! {}),
    };
    quote! {
        #[doc = #help]
        #[arg(long = #long, #value_name #required #conflicts #extra)]
        pub #ident: #ty,
    }
}

/// Statements filling `object_<depth>` from the nodes.
fn object_body(nodes: &[Node], depth: usize) -> TokenStream {
    let object = format_ident!("object_{depth}");
    let statements = nodes.iter().map(|node| match node {
        Node::Value { key, flag } => {
            let flag = format_ident!("{flag}");
            quote! {
                if let Some(value) = &self.#flag {
                    #object.insert(#key.to_owned(), ::serde_json::Value::from(value.clone()));
                }
            }
        }
        Node::Lookup { key, members } => {
            let arms = members.iter().map(|(field, flag)| {
                let flag = format_ident!("{flag}");
                quote! {
                    if let Some(value) = &self.#flag {
                        let mut lookup = ::serde_json::Map::new();
                        lookup.insert(#field.to_owned(), ::serde_json::Value::from(value.clone()));
                        #object.insert(#key.to_owned(), ::serde_json::Value::Object(lookup));
                    }
                }
            });
            quote! { #(#arms)* }
        }
        Node::KeyValues { key, add, clear } => {
            let add = format_ident!("{add}");
            let clear = format_ident!("{clear}");
            quote! {
                if self.#clear {
                    #object.insert(#key.to_owned(), ::serde_json::Value::Array(::std::vec::Vec::new()));
                } else if !self.#add.is_empty() {
                    let entries = self
                        .#add
                        .iter()
                        .map(|(key, value)| {
                            let mut entry = ::serde_json::Map::new();
                            entry.insert("key".to_owned(), ::serde_json::Value::from(key.clone()));
                            if let Some(value) = value {
                                entry.insert("value".to_owned(), ::serde_json::Value::from(value.clone()));
                            }
                            ::serde_json::Value::Object(entry)
                        })
                        .collect();
                    #object.insert(#key.to_owned(), ::serde_json::Value::Array(entries));
                }
            }
        }
        Node::Object {
            key,
            required,
            children,
        } => {
            let inner = format_ident!("object_{}", depth + 1);
            let body = object_body(children, depth + 1);
            let insert = if *required {
                quote! { #object.insert(#key.to_owned(), ::serde_json::Value::Object(#inner)); }
            } else {
                quote! {
                    if !#inner.is_empty() {
                        #object.insert(#key.to_owned(), ::serde_json::Value::Object(#inner));
                    }
                }
            };
            quote! {
                {
                    let mut #inner = ::serde_json::Map::new();
                    #body
                    #insert
                }
            }
        }
    });
    quote! { #(#statements)* }
}
