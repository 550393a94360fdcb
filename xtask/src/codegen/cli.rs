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
//! object); Update disk's fields that only a new disk takes say so there
//! and name the command that changes them on an existing disk
//! ([`CREATE_ONLY`]). Flags are listed required first, then by name. Any other shape,
//! and two properties that would make the same flag, is a problem of the
//! `cli` stage, with the pointer and the fix.
//!
//! A required field's flag is required unless the command is given a whole
//! body instead: `--json-body`, and `--from` for an operation the CLI runs
//! in bulk ([`BULK`]); each struct lists its own.
//!
//! `disk change` takes most of Update disk's fields, each routed to the
//! operation that changes it on an existing disk (`cli/change.rs`):
//! `DiskChangeFlags` is those flags, their help naming the operation, and
//! `to_json` builds the body a `--from` line has.
//!
//! `cli/render.rs` turns the flags into the module's tokens. The generated
//! code names one thing of the CLI crate,
//! `crate::request::parse_key_value` (the `KEY=VALUE` parser). Its clap
//! attributes are checked by the CLI's own `debug_assert` test.

use std::collections::BTreeMap;

use heck::{ToKebabCase, ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};
use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

use crate::doc::{self, OneOfShape, child};
use crate::fragment::Fragment;
use crate::problem::Problem;

mod change;
mod render;

use change::CHANGE_FROM;

/// The file this step writes.
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
/// Update disk's fields that only a disk being created takes (their own
/// descriptions say so, or wire-facts.md does), and what changes each on
/// an existing disk: the flag's help says so after "Sets <path>", so that
/// `katapult disk update --help` points at the command that works.
const CREATE_ONLY: &[(&str, &str)] = &[
    (
        "properties.size_in_gb",
        "create only; an existing disk: `katapult disk resize`, or `katapult disk change --size-in-gb`",
    ),
    (
        "properties.virtual_machine_disk.attach",
        "create only; an existing disk: `katapult disk attach`, or `katapult disk change --attached true`",
    ),
    (
        "properties.data_center",
        "create only; an existing disk stays in its data centre",
    ),
    (
        "properties.initial_file_system",
        "create only; an existing disk keeps the file system it was made with",
    ),
];

/// The operations the CLI also runs in bulk, from JSON Lines (`--from`):
/// their required fields' flags are optional with `--from` as with
/// `--json-body`.
const BULK: &[&str] = &["update_disk"];

/// ` (create only; ...)` for a field in [`CREATE_ONLY`], else nothing.
fn create_only(dotted: &str) -> String {
    CREATE_ONLY
        .iter()
        .find(|(path, _)| *path == dotted)
        .map(|(_, note)| format!(" ({note})"))
        .unwrap_or_default()
}

/// The CLI module's tokens, for every operation with a JSON request body,
/// and `disk change`'s property flags.
pub(super) fn tokens(fragment: &Fragment) -> Result<TokenStream, Problem> {
    let doc = &fragment.document;
    let mut items = Vec::new();
    for op in doc::operations(doc) {
        let Some((at, body)) = request_schema(doc, &op.pointer, op.value) else {
            continue;
        };
        let mut walk = Walk {
            fragment,
            flags: Vec::new(),
        };
        let root = walk.object(&at, body, &[], &[], true)?;
        walk.check_names()?;
        let name = rust_name(op.value);
        let mut whole_body = vec!["json_body".to_owned()];
        if BULK.contains(&name.as_str()) {
            whole_body.push("from".to_owned());
        }
        let spec = render::Spec {
            doc: format!(
                " The request body of `{name}` ({} {}), one flag per field.",
                render::method(&op.pointer),
                render::path(&op.pointer)
            ),
            struct_name: format!("{}Flags", name.to_upper_camel_case()),
            group: format!("{name}_flags"),
            heading: "Request body",
            whole_body,
        };
        items.push(render::render(&spec, &walk.flags, &root));
        if name == CHANGE_FROM {
            let (flags, root) = change::flags(walk.flags, root);
            items.push(render::render(&change::spec(), &flags, &root));
        }
    }
    Ok(quote! {
        //! The request flags of `katapult`, one per field of each operation's
        //! request body, and the JSON body they describe; and the property
        //! flags of `katapult disk change`.
        #(#items)*
    })
}

/// The operation's name in Rust: `x-rust-name`, else its operation id.
fn rust_name(op: &Value) -> String {
    op.get("x-rust-name")
        .or_else(|| op.get("operationId"))
        .and_then(Value::as_str)
        .map_or_else(|| "operation".to_owned(), ToSnakeCase::to_snake_case)
}

/// The JSON request body's schema, resolved, and where it is.
fn request_schema<'a>(doc: &'a Value, op_at: &str, op: &'a Value) -> Option<(String, &'a Value)> {
    let (body_at, body) = doc::deref(doc, child(op_at, "requestBody"), op.get("requestBody")?);
    let content = body.get("content")?.as_object()?;
    let (media, schema) = content.iter().find_map(|(media, value)| {
        let json = media == "application/json" || media.starts_with("application/json;");
        Some((media, value.get("schema").filter(|_| json)?))
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
    /// The JSON path it sets (`properties.name`; a lookup's or a list's
    /// path for each of its flags), for picking `disk change`'s flags.
    path: String,
}

impl Flag {
    /// The flag `--<long>`, optional and conflicting with nothing.
    fn new(
        long: String,
        value_name: Option<String>,
        help: String,
        shape: FlagShape,
        at: &str,
        path: &str,
    ) -> Self {
        Self {
            id: long.to_snake_case(),
            long,
            value_name,
            help,
            shape,
            required: false,
            conflicts: Vec::new(),
            pointer: at.to_owned(),
            path: path.to_owned(),
        }
    }
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
        let fix = "give the property a shape the CLI generator knows (a string, integer, number, \
                   boolean or string enum; an object; a oneOf of single-field objects; an array \
                   of {key, value} objects), or teach xtask/src/codegen/cli.rs this one";
        super::problem(self.fragment, "cli", pointer, message, fix)
    }

    /// Adds a flag; returns its id.
    fn push(&mut self, flag: Flag) -> String {
        self.flags.push(flag);
        self.flags.last().map(|f| f.id.clone()).unwrap_or_default()
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
        let Some(properties) = node.get("properties").and_then(Value::as_object) else {
            let message = "the request body is not an object with properties".to_owned();
            return Err(self.problem(at, message));
        };
        let required_names = names(node.get("required"));
        let object_description = description(node);
        let mut children = Vec::new();
        for (name, property) in properties {
            let property_at = child(&child(at, "properties"), name);
            let resolved = doc::resolve(&self.fragment.document, property_at.clone(), property);
            let (schema_at, schema) = (resolved.at, resolved.value);
            let is_required = required && required_names.contains(&name.as_str());
            let json_path = [path, std::slice::from_ref(name)].concat();
            let dotted = json_path.join(".");
            let own_description = description(property).or_else(|| description(schema));
            let key = name.clone();

            if let Some(members) = schema.get("oneOf").and_then(Value::as_array) {
                children.push(self.lookup(&schema_at, members, prefix, name, &dotted)?);
                continue;
            }
            let node = match schema.get("type").and_then(Value::as_str) {
                Some("object") | None if schema.get("properties").is_some() => {
                    // An object that identifies something (with required
                    // properties) prefixes its fields' flags with its name.
                    let mut inner_prefix = prefix.to_vec();
                    if !names(schema.get("required")).is_empty() {
                        inner_prefix.push(name.clone());
                    }
                    let children =
                        self.object(&schema_at, schema, &inner_prefix, &json_path, is_required)?;
                    Node::Object {
                        key,
                        required: is_required,
                        children,
                    }
                }
                Some("array") => {
                    self.key_values(&schema_at, schema, prefix, name, &dotted, own_description)?
                }
                _ => {
                    let kind = self.kind(&schema_at, schema)?;
                    // A field of a prefixed object without a description of
                    // its own is described by its object (`disk.id`: "The
                    // disk to update").
                    let text = own_description.or_else(|| {
                        (!prefix.is_empty())
                            .then(|| object_description.clone())
                            .flatten()
                    });
                    let value_name = match kind {
                        Kind::Boolean => "BOOL".to_owned(),
                        _ => name.to_shouty_snake_case(),
                    };
                    let help = sentence(
                        &format!("Sets {dotted}{}.", create_only(&dotted)),
                        text.as_deref(),
                    );
                    let mut flag = Flag::new(
                        flag_name(prefix, name),
                        Some(value_name),
                        help,
                        FlagShape::Value(kind),
                        &property_at,
                        &dotted,
                    );
                    flag.required = is_required;
                    Node::Value {
                        key,
                        flag: self.push(flag),
                    }
                }
            };
            children.push(node);
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
        let lookup_prefix = [prefix, &[name.to_owned()]].concat();
        let mut fields = Vec::new();
        for (index, member) in members.iter().enumerate() {
            let properties = member.get("properties").and_then(Value::as_object);
            let Some((field, schema)) = properties.and_then(|p| p.iter().next()) else {
                continue;
            };
            let member_at = child(&child(at, "oneOf"), &index.to_string());
            let field_at = child(&child(&member_at, "properties"), field);
            let resolved = doc::resolve(&self.fragment.document, field_at.clone(), schema);
            let (schema_at, schema) = (resolved.at, resolved.value);
            let kind = self.kind(&schema_at, schema)?;
            let long = flag_name(&lookup_prefix, field);
            fields.push((field.clone(), long, kind, field_at, description(schema)));
        }
        let ids: Vec<String> = fields
            .iter()
            .map(|(_, long, ..)| long.to_snake_case())
            .collect();
        let mut lookup = Vec::new();
        for (field, long, kind, field_at, text) in fields {
            let id = long.to_snake_case();
            let others: Vec<String> = ids.iter().filter(|other| **other != id).cloned().collect();
            let others_long: Vec<String> = others
                .iter()
                .map(|id| format!("--{}", id.to_kebab_case()))
                .collect();
            let lead = format!(
                "Sets {dotted} by {field}{}; conflicts with {}.",
                create_only(dotted),
                others_long.join(", ")
            );
            let help = sentence(&lead, text.as_deref());
            let value_name = Some(field.to_shouty_snake_case());
            let mut flag = Flag::new(
                long,
                value_name,
                help,
                FlagShape::Value(kind),
                &field_at,
                dotted,
            );
            flag.conflicts = others;
            lookup.push((field, self.push(flag)));
        }
        Ok(Node::Lookup {
            key: name.to_owned(),
            members: lookup,
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
        let items = schema
            .get("items")
            .map(|items| doc::resolve(&self.fragment.document, child(at, "items"), items).value);
        let is_key_value = items.is_some_and(|items| {
            let string = |name: &str| {
                items.pointer(&format!("/properties/{name}/type")) == Some(&"string".into())
            };
            let count = items
                .get("properties")
                .and_then(Value::as_object)
                .map_or(0, |p| p.len());
            count == 2
                && string("key")
                && string("value")
                && names(items.get("required")) == ["key"]
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
        let (add, clear) = (
            flag_name(prefix, singular),
            flag_name(prefix, &format!("clear_{name}")),
        );
        let (add_id, clear_id) = (add.to_snake_case(), clear.to_snake_case());
        let help = format!("Adds an entry to {dotted} (repeatable; KEY alone sends no value).");
        let mut flag = Flag::new(
            add,
            Some("KEY=VALUE".to_owned()),
            sentence(&help, text.as_deref()),
            FlagShape::KeyValues,
            at,
            dotted,
        );
        flag.conflicts = vec![clear_id.clone()];
        self.push(flag);
        let help = format!("Sends {dotted} as an empty list, removing every entry.");
        let mut flag = Flag::new(clear, None, help, FlagShape::Switch, at, dotted);
        flag.conflicts = vec![add_id.clone()];
        self.push(flag);
        Ok(Node::KeyValues {
            key: name.to_owned(),
            add: add_id,
            clear: clear_id,
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
                        let message = || format!("the enum value {v} is not a string");
                        v.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| self.problem(at, message()))
                    })
                    .collect::<Result<_, _>>()?,
            ),
            (Some("string"), None) => Kind::String,
            (Some("integer"), None) => Kind::Integer,
            (Some("number"), None) => Kind::Number,
            (Some("boolean"), None) => Kind::Boolean,
            (other, _) => {
                let message = format!(
                    "no flag can be made for a schema of type {}",
                    other.unwrap_or("(none)")
                );
                return Err(self.problem(at, message));
            }
        })
    }

    /// Two properties making one flag, or a flag the CLI declares itself.
    fn check_names(&self) -> Result<(), Problem> {
        let mut seen: BTreeMap<&str, &Flag> = BTreeMap::new();
        for flag in &self.flags {
            let clash = |message: String, fix: &str| Problem {
                fix: fix.to_owned(),
                ..self.problem(&flag.pointer, message)
            };
            if RESERVED.contains(&flag.long.as_str()) {
                return Err(clash(
                    format!(
                        "this property would make the flag --{}, which katapult already uses",
                        flag.long
                    ),
                    "rename the property, or teach xtask/src/codegen/cli.rs to prefix it",
                ));
            }
            if let Some(first) = seen.insert(flag.long.as_str(), flag) {
                return Err(clash(
                    format!(
                        "this property and {} would both make the flag --{}",
                        first.pointer, flag.long
                    ),
                    "rename one of them, or teach xtask/src/codegen/cli.rs to prefix them",
                ));
            }
        }
        Ok(())
    }
}

/// The names in a `required` list.
fn names(required: Option<&Value>) -> Vec<&str> {
    let names = required.and_then(Value::as_array).into_iter().flatten();
    names.filter_map(Value::as_str).collect()
}

/// `prefix-...-name`, kebab-case.
fn flag_name(prefix: &[String], name: &str) -> String {
    [prefix, &[name.to_owned()]]
        .concat()
        .join("_")
        .to_kebab_case()
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
