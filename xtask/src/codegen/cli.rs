//! The command line's request flags (`crates/katapult-cli/src/generated.rs`):
//! for each operation with a JSON request body, a clap `Args` struct with
//! one flag per field and a `to_json` that builds the body, so a property
//! added to the fragment appears in `katapult` with no hand edit.
//!
//! A scalar property is one flag (a string enum takes its values, a boolean
//! `true` or `false`, as a PATCH sends both). An object of optional
//! properties adds their flags unprefixed; one with required properties (it
//! identifies something, like `disk`) prefixes them (`--disk-id`). Lookups
//! and `{key, value}` arrays: [`Walk::lookup`], [`Walk::key_values`]. Any
//! other shape, or two properties making one flag, is a problem of the `cli`
//! stage. A required field's flag is required unless a whole body is given
//! (`--json-body`, and `--from` for [`BULK`] operations). `cli/change.rs`
//! picks `disk change`'s flags; `cli/render.rs` turns flags into tokens,
//! which name one thing of the CLI crate: `crate::request::parse_key_value`.

use std::collections::BTreeMap;

use heck::{ToKebabCase, ToShoutySnakeCase, ToSnakeCase};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

use crate::doc::{self, OneOfShape, child};
use crate::fragment::Fragment;
use crate::problem::Problem;

mod change;
mod render;

pub const CLI_PATH: &str = "crates/katapult-cli/src/generated.rs";

/// Long flags the CLI declares by hand (crates/katapult-cli/src/cli.rs); a
/// property whose flag would take one of these names is a problem here
/// rather than a clash at run time.
#[rustfmt::skip]
const RESERVED: &[&str] = &[
    "json-body", "from", "concurrency", "dry-run", "output", "token-file", "profile", "mock",
    "timeout", "rate-limit-window", "debug", "help", "version",
    // disk change's own flags (its --resize-method is resize_disk's field, not a
    // field of the body its generated flags build).
    "attached", "unassign", "plan", "no-wait", "deadline",
];
/// The operations the CLI also runs in bulk, from JSON Lines (`--from`).
const BULK: &[&str] = &["update_disk"];

/// ` (create only; ...)` for Update disk's fields only a new disk takes (as
/// their descriptions say, or as the running API behaves), with what changes
/// each on an existing disk, so that `katapult disk update --help` points at
/// the command that works. Nothing for any other field.
fn create_only(dotted: &str) -> String {
    let note = match dotted {
        "properties.size_in_gb" => {
            "an existing disk: `katapult disk resize`, or `katapult disk change --size-in-gb`"
        }
        "properties.virtual_machine_disk.attach" => {
            "an existing disk: `katapult disk attach`, or `katapult disk change --attached true`"
        }
        "properties.data_center" => "an existing disk stays in its data centre",
        "properties.initial_file_system" => {
            "an existing disk keeps the file system it was made with"
        }
        _ => return String::new(),
    };
    format!(" (create only; {note})")
}

/// The CLI's generated module, formatted: the flags of every operation with
/// a JSON request body, and `disk change`'s property flags.
pub fn cli_module(fragment: &Fragment) -> Result<String, Problem> {
    let (doc, walk) = (&fragment.document, Walk { fragment });
    let mut items = Vec::new();
    for (path, method, op) in fragment.spec.operations() {
        let Some((at, body)) = request_schema(doc, &doc::pointer(["paths", path, method])) else {
            continue;
        };
        let root = walk.object(&at, body, "", "", true)?;
        walk.check_names(&flags(&root))?;
        // The shaped document's operation id: `x-rust-name` when there is one.
        let name = (op.operation_id.as_deref().unwrap_or("operation")).to_snake_case();
        let whole_body: &[&str] = match BULK.contains(&name.as_str()) {
            true => &["json_body", "from"],
            false => &["json_body"],
        };
        let method = method.to_uppercase();
        let struct_doc =
            format!(" The request body of `{name}` ({method} {path}), one flag per field.");
        let flags = render::render(&struct_doc, &name, "Request body", whole_body, &root);
        items.push(flags);
        if name == change::CHANGE_FROM {
            items.push(change::render(root));
        }
    }
    let tokens = quote! {
        //! The request flags of `katapult`, one per field of each operation's
        //! request body, and the JSON body they describe; and the property
        //! flags of `katapult disk change`.
        #(#items)*
    };
    super::format(fragment, tokens)
}

/// The JSON request body's schema of the operation at `op_at`, resolved,
/// and where it is.
fn request_schema<'a>(doc: &'a Value, op_at: &str) -> Option<(String, &'a Value)> {
    let at = child(op_at, "requestBody");
    let (body_at, body) = doc::deref(doc, at.clone(), doc.pointer(&at)?);
    let at = doc::json_schema_pointer(&body_at, body)?;
    Some(doc::deref(doc, at.clone(), doc.pointer(&at)?))
}

#[derive(Debug)]
struct Flag {
    /// `disk-id`.
    long: String,
    value_name: Option<String>,
    help: String,
    /// The field's type, and the clap attributes that parse its value.
    kind: (TokenStream, TokenStream),
    /// Required in the body (every object above it required too).
    required: bool,
    /// The long names of the flags it conflicts with.
    conflicts: Vec<String>,
    /// Where it comes from, for problems.
    pointer: String,
}

impl Flag {
    /// `--<long>`, from `pointer`: optional, conflicting with nothing.
    fn new(
        long: String,
        value_name: Option<String>,
        help: String,
        kind: (TokenStream, TokenStream),
        pointer: &str,
    ) -> Self {
        Flag {
            long,
            value_name,
            help,
            kind,
            required: false,
            conflicts: Vec::new(),
            pointer: pointer.to_owned(),
        }
    }

    /// The struct field and clap id: `disk_id`.
    fn id(&self) -> Ident {
        format_ident!("{}", self.long.to_snake_case())
    }
}

/// A node of the body the flags build, under its key in the object above,
/// holding the flags that fill it.
#[derive(Debug)]
// A few dozen nodes per run: boxing the flags would buy nothing.
#[allow(clippy::large_enum_variant)]
enum Node {
    /// `{...}`: inserted when required, or when any flag below it is given.
    Object {
        required: bool,
        children: Vec<(String, Node)>,
    },
    /// One flag's value.
    Value(Flag),
    /// `{"<field>": value}`, from whichever member field's flag is given.
    Lookup(Vec<(String, Flag)>),
    /// `[{"key": k, "value": v}, ...]`, or `[]` with the clear flag.
    KeyValues { add: Flag, clear: Flag },
}

/// The flags filling `nodes`, in the body's order.
fn flags<'a>(nodes: &'a [(String, Node)]) -> Vec<&'a Flag> {
    let node_flags = |(_, node): &'a (String, Node)| match node {
        Node::Object { children, .. } => flags(children),
        Node::Value(flag) => vec![flag],
        Node::Lookup(members) => members.iter().map(|(_, flag)| flag).collect(),
        Node::KeyValues { add, clear } => vec![add, clear],
    };
    nodes.iter().flat_map(node_flags).collect()
}

struct Walk<'a> {
    fragment: &'a Fragment,
}

impl Walk<'_> {
    fn problem(&self, pointer: &str, message: impl Into<String>) -> Problem {
        let fix = "give the property a shape the CLI generator knows (a string, integer, number, \
                   boolean or string enum; an object; a oneOf of single-field objects; an array \
                   of {key, value} objects), or teach xtask/src/codegen/cli.rs this one";
        super::problem(self.fragment, "cli", pointer, message, fix)
    }

    /// The properties of the object schema at `at`: `prefix` is the
    /// flag-name prefix so far (snake_case), `path` the JSON path to it
    /// (empty, or dotted and ending in `.`), `required` whether every object
    /// down to this one is required.
    fn object(
        &self,
        at: &str,
        node: &Value,
        prefix: &str,
        path: &str,
        required: bool,
    ) -> Result<Vec<(String, Node)>, Problem> {
        let Some(properties) = node.get("properties").and_then(Value::as_object) else {
            return Err(self.problem(at, "the request body is not an object with properties"));
        };
        let required_names = doc::strings(node, "required");
        // A prefixed object's field without a description of its own is
        // described by its object (`disk.id`: "The disk").
        let inherited = description(node).filter(|_| !prefix.is_empty());
        let property = |(name, property): (&String, &Value)| {
            let property_at = doc::below(at, ["properties", name]);
            let resolved = doc::resolve(&self.fragment.document, property_at.clone(), property);
            let (at, schema) = (resolved.at.as_str(), resolved.value);
            let required = required && required_names.contains(&name.as_str());
            let dotted = format!("{path}{name}");
            let text = description(property).or_else(|| description(schema));
            let named = format!("{prefix}_{name}");

            let one_of = schema.get("oneOf").and_then(Value::as_array);
            let node = match (one_of, schema.get("type").and_then(Value::as_str)) {
                (Some(members), _) => self.lookup(at, members, &named, &dotted)?,
                (_, Some("object") | None) if schema.get("properties").is_some() => {
                    let identifies = !doc::strings(schema, "required").is_empty();
                    let prefix = if identifies { &named } else { prefix };
                    let children =
                        self.object(at, schema, prefix, &format!("{dotted}."), required)?;
                    Node::Object { required, children }
                }
                (_, Some("array")) => self.key_values(at, schema, prefix, name, &dotted, text)?,
                _ => {
                    let kind = self.kind(at, schema)?;
                    let value_name = match schema.get("type") == Some(&"boolean".into()) {
                        true => "BOOL".to_owned(),
                        false => name.to_shouty_snake_case(),
                    };
                    let lead = format!("Sets {dotted}{}.", create_only(&dotted));
                    let help = sentence(&lead, text.or(inherited.clone()).as_deref());
                    let long = flag_name(prefix, name);
                    let flag = Flag::new(long, Some(value_name), help, kind, &property_at);
                    Node::Value(Flag { required, ..flag })
                }
            };
            Ok((name.clone(), node))
        };
        properties.iter().map(property).collect()
    }

    /// A lookup: one flag per member field (`prefix` ends with the lookup's
    /// name), conflicting with each other.
    fn lookup(
        &self,
        at: &str,
        members: &[Value],
        prefix: &str,
        dotted: &str,
    ) -> Result<Node, Problem> {
        if let OneOfShape::Untagged(why) | OneOfShape::Internal { tag: why, .. } =
            doc::one_of_shape(members)
        {
            let message = "only a oneOf of single-field objects (a lookup) makes flags";
            return Err(self.problem(at, format!("{message}; this one does not: {why}")));
        }
        let fields = members.iter().enumerate().filter_map(|(index, member)| {
            let (field, schema) = member.get("properties")?.as_object()?.iter().next()?;
            let field_at = doc::below(at, ["oneOf", &index.to_string(), "properties", field]);
            Some((field_at, field, schema))
        });
        let fields: Vec<(String, &String, &Value)> = fields.collect();
        let longs: Vec<String> = fields.iter().map(|f| flag_name(prefix, f.1)).collect();
        let mut lookup = Vec::new();
        for ((field_at, field, schema), long) in fields.into_iter().zip(&longs) {
            let resolved = doc::resolve(&self.fragment.document, field_at.clone(), schema);
            let kind = self.kind(&resolved.at, resolved.value)?;
            let others: Vec<String> = longs.iter().filter(|o| *o != long).cloned().collect();
            let others_long: Vec<String> = others.iter().map(|o| format!("--{o}")).collect();
            let lead = format!(
                "Sets {dotted} by {field}{}; conflicts with {}.",
                create_only(dotted),
                others_long.join(", ")
            );
            let help = sentence(&lead, description(resolved.value).as_deref());
            let value_name = Some(field.to_shouty_snake_case());
            let flag = Flag::new(long.clone(), value_name, help, kind, &field_at);
            lookup.push((
                field.clone(),
                Flag {
                    conflicts: others,
                    ..flag
                },
            ));
        }
        Ok(Node::Lookup(lookup))
    }

    /// An array of `{key, value}` objects: `--<singular> KEY=VALUE` and
    /// `--clear-<name>`.
    fn key_values(
        &self,
        at: &str,
        schema: &Value,
        prefix: &str,
        name: &str,
        dotted: &str,
        text: Option<String>,
    ) -> Result<Node, Problem> {
        let items = schema
            .get("items")
            .map(|items| doc::resolve(&self.fragment.document, child(at, "items"), items).value);
        let is_key_value = items.is_some_and(|items| {
            let string = |name: &str| {
                items.pointer(&format!("/properties/{name}/type")) == Some(&"string".into())
            };
            doc::entries(items, "properties").count() == 2
                && string("key")
                && string("value")
                && doc::strings(items, "required") == ["key"]
        });
        if !is_key_value {
            let message =
                "only an array of {key, value} objects (key required, both strings) makes flags";
            return Err(self.problem(at, message));
        }
        let singular = name
            .strip_suffix('s')
            .filter(|s| !s.is_empty() && !s.ends_with('s'))
            .unwrap_or(name);
        let (add, clear) = (
            flag_name(prefix, singular),
            flag_name(prefix, &format!("clear_{name}")),
        );
        let help = format!("Adds an entry to {dotted} (repeatable; KEY alone sends no value).");
        let help = sentence(&help, text.as_deref());
        let value_name = Some("KEY=VALUE".to_owned());
        // Bare `Vec`: clap's derive recognises only that spelling as repeatable.
        let ty = quote! { Vec<(String, Option<String>)> };
        let parser = quote! { value_parser = crate::request::parse_key_value, };
        let mut add = Flag::new(add, value_name, help, (ty, parser), at);
        let help = format!("Sends {dotted} as an empty list, removing every entry.");
        let mut clear = Flag::new(clear, None, help, (quote! { bool }, quote! {}), at);
        (add.conflicts, clear.conflicts) = (vec![clear.long.clone()], vec![add.long.clone()]);
        Ok(Node::KeyValues { add, clear })
    }

    /// The field type and value parser of a scalar schema's flag (a bare
    /// `Option`: clap's derive recognises only that spelling as optional).
    fn kind(&self, at: &str, schema: &Value) -> Result<(TokenStream, TokenStream), Problem> {
        let values = schema.get("enum").and_then(Value::as_array);
        let (ty, parser) = match (schema.get("type").and_then(Value::as_str), values) {
            (Some("string"), Some(values)) => {
                let values = values.iter().map(|v| v.as_str().ok_or(v));
                let values = values.collect::<Result<Vec<_>, _>>();
                let message = |v| format!("the enum value {v} is not a string");
                let values = values.map_err(|v| self.problem(at, message(v)))?;
                (quote! { String }, quote! { value_parser = [#(#values),*], })
            }
            (Some("string"), None) => (quote! { String }, quote! {}),
            (Some("integer"), None) => (quote! { i64 }, quote! {}),
            (Some("number"), None) => (quote! { f64 }, quote! {}),
            (Some("boolean"), None) => {
                (quote! { bool }, quote! { action = ::clap::ArgAction::Set, })
            }
            (other, _) => {
                let other = other.unwrap_or("(none)");
                let message = format!("no flag can be made for a schema of type {other}");
                return Err(self.problem(at, message));
            }
        };
        Ok((quote! { Option<#ty> }, parser))
    }

    /// Two properties making one flag, or a flag the CLI declares itself.
    fn check_names(&self, flags: &[&Flag]) -> Result<(), Problem> {
        let mut seen = BTreeMap::new();
        for flag in flags {
            let (at, long) = (&flag.pointer, &flag.long);
            let (message, fix) = match seen.insert(long, at) {
                _ if RESERVED.contains(&long.as_str()) => (
                    format!(
                        "this property would make the flag --{long}, which katapult already uses"
                    ),
                    "rename the property, or teach xtask/src/codegen/cli.rs to prefix it",
                ),
                Some(first) => (
                    format!("this property and {first} would both make the flag --{long}"),
                    "rename one of them, or teach xtask/src/codegen/cli.rs to prefix them",
                ),
                None => continue,
            };
            return Err(super::problem(self.fragment, "cli", at, message, fix));
        }
        Ok(())
    }
}

/// `<prefix>_<name>` (either may be empty or snake_case), kebab-case.
fn flag_name(prefix: &str, name: &str) -> String {
    format!("{prefix}_{name}").to_kebab_case()
}

/// A schema's description, whitespace collapsed onto one line.
fn description(node: &Value) -> Option<String> {
    let text = node.get("description").and_then(Value::as_str)?;
    Some(text.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|text| !text.is_empty())
}

/// `lead` then `text`, as one paragraph.
fn sentence(lead: &str, text: Option<&str>) -> String {
    match text {
        Some(text) => format!("{lead} {text}"),
        None => lead.to_owned(),
    }
}
