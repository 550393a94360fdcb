//! Schemas, normalised: the facts of a schema's use (nullable, its
//! description there), then of the schema itself under its shape family and
//! type. A recursive schema is read once.

use serde_json::{Value, json};

use super::normal::What::*;
use super::normal::{Fact, Facts, What, field};
use crate::doc::{self, OneOfShape, Resolved, below, child, entries, items, pointer};

impl<'a> Facts<'a> {
    /// The schema written at `segments` below `parent` (in both the path
    /// and the document), if there is one, used in a request or not,
    /// required there or not.
    pub(super) fn schema_below(
        &mut self,
        parent: &Fact<'a>,
        segments: &[&str],
        request: bool,
        required: bool,
    ) {
        let suffix = pointer(segments);
        let Some(node) = parent.node.pointer(&suffix) else {
            return;
        };
        let (path, at) = (parent.path.clone() + &suffix, parent.at.clone() + &suffix);
        let mut n = Fact::new(path, at, "", node);
        (n.ctx.request, n.ctx.required) = (request, required);
        self.schema(n, Node);
    }

    /// The schema `n` (as written, at its pointer: a use), as a `what`: the
    /// facts of the use, then those of the schema itself.
    pub(super) fn schema(&mut self, mut n: Fact<'a>, what: What) {
        let s = doc::resolve(self.doc, n.at.clone(), n.node);
        let (composition, shape) = composition(s.value);
        let lookup = composition == "lookup";
        n.ctx.name.clone_from(&s.name);
        n.ctx.lookup = lookup;
        // The use: whether it may be null there, and the description written
        // there (beside a reference, or of an inline schema).
        self.add(&n, what);
        self.leaf(&n, "nullable", Nullable, json!(s.nullable));
        let mut written = n.clone();
        written.node = n.node.get("$ref").map_or(n.node, |_| &Value::Null);
        self.field(&written, "description", Description);
        if self.stack.contains(&s.at) {
            // A schema that refers back to one being read: said already.
            return;
        }
        // The schema itself.
        n.path = child(&n.path, "schema");
        (n.at, n.anchor, n.node) = (s.at.clone(), s.at.clone(), s.value);
        let has = |keys: &[&str]| keys.iter().any(|key| s.value.get(key).is_some());
        let name = match &s.name {
            Some(name) => json!(name),
            // Unnamed, but generating a type all the same.
            None if has(&["properties", "enum", "oneOf"]) => json!(""),
            None => Value::Null,
        };
        self.field(&n, "description", Description);
        self.leaf(&n, "name", Name, name);
        self.leaf(&n, "shape", Shape, json!(shape));
        let ty = schema_type(s.value).or(lookup.then_some("object"));
        // The facts below the shape sit under its family: a lookup compares
        // like an object (its members' fields are the object's optional
        // fields), so the two share one.
        let family = child(&n.path, if lookup { "plain" } else { composition });
        self.push(n.fact(child(&family, "type"), Type, &n.at, json!(ty)));
        let mut typed = n.clone();
        typed.path = child(&family, ty.unwrap_or("none"));
        typed.ctx.owner = s.name.as_deref().unwrap_or("the inline object").to_owned();
        self.add(&typed, Node);
        self.leaf(&typed, "format", Format, field(s.value, "format"));
        for value in items(s.value, "enum").iter().map(Value::to_string) {
            let path = below(&typed.path, ["enum", &value]);
            let mut listed = n.fact(path, EnumValue, &child(&s.at, "enum"), Value::Null);
            listed.key = value;
            self.push(listed);
        }
        self.stack.push(s.at.clone());
        let request = n.ctx.request;
        if composition == "oneOf" {
            let members = items(s.value, "oneOf");
            self.leaf(&typed, "members", Members, json!(members.len()));
            for index in 0..members.len() {
                self.schema_below(&typed, &["oneOf", &index.to_string()], request, true);
            }
        }
        match ty {
            Some("array") => self.schema_below(&typed, &["items"], request, true),
            Some("object") => self.properties(&typed, &s, false),
            _ => {}
        }
        self.stack.pop();
    }

    /// The properties of the object `s` (read as `n`): its own, its `allOf`
    /// members', and for a lookup each member's one field (optional: exactly
    /// one is sent). In an error object, `code` and whether `description` is
    /// required are how the fragment's union is tagged (D3): not compared.
    pub(super) fn properties(&mut self, n: &Fact<'a>, s: &Resolved<'a>, error: bool) {
        let mut objects = vec![(s.at.clone(), s.value, false)];
        for (list, one_of) in [("allOf", false), ("oneOf", true)] {
            if one_of && !n.ctx.lookup {
                continue;
            }
            for (index, member) in items(s.value, list).iter().enumerate() {
                let at = below(&s.at, [list, &index.to_string()]);
                let member = doc::resolve(self.doc, at, member);
                objects.push((member.at, member.value, one_of));
            }
        }
        for (at, object, one_of) in objects {
            let required = doc::strings(object, "required");
            for (name, property) in entries(object, "properties") {
                let path = below(&n.path, ["properties", name]);
                if (error && name == "code") || self.by_path.contains_key(&path) {
                    continue;
                }
                let mut p = Fact::new(path, below(&at, ["properties", name]), name, property);
                p.ctx.request = n.ctx.request;
                p.ctx.required = !one_of && required.contains(&name.as_str());
                p.ctx.owner.clone_from(&n.ctx.owner);
                if !(error && name == "description") {
                    self.leaf(&p, "required", Required, json!(p.ctx.required));
                }
                self.schema(p, Property);
            }
        }
    }
}

/// How a schema is composed: the keyword (`lookup` for a oneOf of objects
/// with one required property each, a lookup by exactly one of several keys,
/// which upstream writes as an object with optional fields; `plain` for no
/// composition) and how a message describes it.
fn composition(value: &Value) -> (&'static str, &'static str) {
    match value.get("oneOf").and_then(Value::as_array) {
        Some(members) if doc::one_of_shape(members) == OneOfShape::External => (
            "lookup",
            "a oneOf of single-field objects (exactly one field is sent)",
        ),
        Some(_) => ("oneOf", "a oneOf"),
        None if value.get("anyOf").is_some() => ("anyOf", "an anyOf"),
        None if value.get("allOf").is_some() => ("allOf", "an allOf"),
        None => (
            "plain",
            "a plain schema (an object with optional fields, a string, ...)",
        ),
    }
}

/// `type`, or the type its keywords imply (`properties`: an object, `items`:
/// an array): Katapult's document leaves `type: object` out of some objects.
fn schema_type(value: &Value) -> Option<&'static str> {
    const TYPES: [&str; 6] = ["object", "array", "string", "integer", "number", "boolean"];
    let implied = |keys: &[&str]| keys.iter().any(|key| value.get(key).is_some());
    match value.get("type").and_then(Value::as_str) {
        Some(ty) => TYPES.into_iter().find(|&t| t == ty).or(Some("unknown")),
        None if implied(&["properties", "required", "additionalProperties"]) => Some("object"),
        None if implied(&["items"]) => Some("array"),
        None => None,
    }
}
