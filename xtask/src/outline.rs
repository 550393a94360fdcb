//! The outline of the generated public surface, one item per line: types
//! with their fields, enums with their variants, methods with their
//! signatures. Snapshotted, so a change to what the generator emits reviews
//! as a short diff; `read` takes lines back apart for `crate::api_change`.

use std::collections::BTreeMap;

use heck::ToUpperCamelCase;
use quote::ToTokens;
use syn::{Fields, ImplItem, Item, Visibility};

use crate::api_change::Shape;
use crate::doc::OpenEnum;

/// What the outline snapshot holds: the generated types, the open enums that
/// replace progenitor's closed ones, then (after a blank line) the client's methods.
pub fn public_api(
    types: &str,
    methods: &str,
    open_enums: &[OpenEnum],
) -> Result<String, syn::Error> {
    let mut out = Vec::new();
    walk(&syn::parse_file(types)?.items, "", &mut out);
    for e in open_enums {
        let values = (e.values.iter()).map(|v| format!("{} = {v:?}", v.to_upper_camel_case()));
        let variants: Vec<String> = values.chain(["Unknown(String)".into()]).collect();
        let (name, variants) = (&e.name, variants.join(", "));
        out.push(format!("open enum types::{name} {{ {variants} }}"));
    }
    out.push(String::new());
    walk(&syn::parse_file(methods)?.items, "", &mut out);
    Ok(out.join("\n") + "\n")
}

fn walk(items: &[Item], module: &str, out: &mut Vec<String>) {
    let (path, prefix) = match module {
        "" => (String::new(), String::new()),
        _ => (format!("{module}::"), format!("{module}: ")),
    };
    for item in items {
        match item {
            // Typed builders mirror every struct field for field.
            Item::Mod(m) if m.ident == "builder" && module == "types" => {
                out.push("mod types::builder (one builder per struct)".to_owned());
            }
            Item::Mod(m) if is_pub(&m.vis) => {
                if let Some((_, items)) = &m.content {
                    walk(items, &format!("{path}{}", m.ident), out);
                }
            }
            Item::Struct(s) if is_pub(&s.vis) => {
                let (name, fields) = (&s.ident, fields(&s.fields, true));
                out.push(format!("struct {path}{name}{fields}"));
            }
            Item::Enum(e) if is_pub(&e.vis) => {
                let variants =
                    (e.variants.iter()).map(|v| format!("{}{}", v.ident, fields(&v.fields, false)));
                let variants = variants.collect::<Vec<_>>().join(", ");
                out.push(format!("enum {path}{} {{ {variants} }}", e.ident));
            }
            Item::Impl(block) => {
                let self_ty = clean(&block.self_ty);
                if let Some((path, _)) = &block.trait_ {
                    let line = format!("impl {} for {self_ty}", clean(path));
                    if !line.contains("builder::") {
                        out.push(format!("{prefix}{line}"));
                    }
                    continue;
                }
                for member in &block.items {
                    if let ImplItem::Fn(f) = member
                        && is_pub(&f.vis)
                    {
                        out.push(format!("{prefix}{self_ty}::{}", clean(&f.sig)));
                    }
                }
            }
            _ => {}
        }
    }
}

/// ` { name: Type, .. }`, `(Type, ..)` or nothing. A struct (`only_pub`)
/// lists only its public fields, `..` when it has none; an enum variant's
/// fields have no visibility of their own.
fn fields(fields: &Fields, only_pub: bool) -> String {
    let listed: Vec<String> = fields
        .iter()
        .filter(|f| !only_pub || is_pub(&f.vis))
        .map(|f| match &f.ident {
            Some(ident) => format!("{ident}: {}", clean(&f.ty)),
            None => clean(&f.ty),
        })
        .collect();
    let listed = match listed.is_empty() && only_pub {
        true => "..".to_owned(),
        false => listed.join(", "),
    };
    match fields {
        Fields::Named(_) => format!(" {{ {listed} }}"),
        Fields::Unnamed(_) => format!("({listed})"),
        Fields::Unit => String::new(),
    }
}

fn is_pub(vis: &Visibility) -> bool {
    matches!(vis, Visibility::Public(_))
}

/// Tokens to readable Rust: drop the absolute paths progenitor writes for
/// std and serde_json types, and the spaces the token printer adds.
fn clean(tokens: &impl ToTokens) -> String {
    // Applied in order: the absolute paths first, then the spacing.
    #[rustfmt::skip]
    const REPLACEMENTS: &[(&str, &str)] = &[
        (":: std :: option :: ", ""), (":: std :: string :: ", ""), (":: std :: vec :: ", ""),
        (":: std :: boxed :: ", ""), (":: std :: fmt :: ", "fmt::"), (":: std :: str :: ", ""),
        (":: std :: convert :: ", ""), (":: serde_json :: ", "serde_json::"),
        (":: reqwest :: ", "reqwest::"), ("std :: convert :: ", ""), ("std :: ops :: ", ""),
        (" :: ", "::"), (":: ", "::"), (" < ", "<"), ("< ", "<"), (" >", ">"), (" ,", ","),
        ("& '", "&'"), ("& ", "&"), (" (", "("), ("( ", "("), (" )", ")"), (" : ", ": "),
        (",>", ">"), (",)", ")"), ("crate::generated_open_enums::", ""),
    ];
    let text = tokens.to_token_stream().to_string();
    REPLACEMENTS
        .iter()
        .fold(text, |text, (from, to)| text.replace(from, to))
}

/// One line of the outline, taken apart.
#[derive(Debug, Clone, Default)]
pub(crate) struct Entry {
    /// What identifies it from one outline to the next: `type <path>`,
    /// `<module>: <Type>::fn <name>`, or the line without generic arguments.
    pub(crate) key: String,
    /// How a change names it: a type's path, a method's key, the line.
    pub(crate) item: String,
    /// A type's or a method's own name (`DiskArguments`, `builder`).
    pub(crate) name: String,
    /// A method's type as written (`UpdateDisk<'a>`); empty otherwise.
    pub(crate) owner: String,
    pub(crate) shape: Shape,
    /// A type's text after its path (` { a: A }`, `(A)`); else the line.
    pub(crate) body: String,
    /// A type's fields or variants: the name, then the rest (a field's
    /// type, a variant's fields, an open enum's value); `Unknown` left out.
    pub(crate) members: BTreeMap<String, String>,
}

/// Keyed by [`Entry::key`].
pub(crate) fn read(outline: &str) -> BTreeMap<String, Entry> {
    let lines = outline.lines().map(str::trim).filter(|l| !l.is_empty());
    lines.map(entry).map(|e| (e.key.clone(), e)).collect()
}

fn entry(line: &str) -> Entry {
    let kinds = [
        ("open enum ", Shape::OpenEnum),
        ("enum ", Shape::ClosedEnum),
        ("struct ", Shape::Struct),
    ];
    if let Some((rest, shape)) = kinds
        .into_iter()
        .find_map(|(p, s)| Some((line.strip_prefix(p)?, s)))
    {
        let (path, body) = rest.split_at(rest.find([' ', '(']).unwrap_or(rest.len()));
        let braced = body.strip_prefix(" { ").and_then(|b| b.strip_suffix(" }"));
        let inner = braced.or_else(|| body.strip_prefix('(')?.strip_suffix(')'));
        let shape = match (shape, inner) {
            (Shape::Struct, None) => Shape::UnitStruct,
            (Shape::Struct, Some("..")) => Shape::OpaqueStruct,
            (Shape::Struct, Some(_)) if braced.is_none() => Shape::TupleStruct,
            (shape, _) => shape,
        };
        // A tuple struct's fields have no names: its body is compared whole.
        let members =
            split_top(braced.unwrap_or("")).filter(|&m| !matches!(m, ".." | "Unknown(String)"));
        let members = members.map(member).collect();
        return Entry {
            key: format!("type {path}"),
            item: path.to_owned(),
            name: path.rsplit("::").next().unwrap_or(path).to_owned(),
            shape,
            body: body.to_owned(),
            members,
            ..Entry::default()
        };
    }
    let mut entry = Entry {
        item: line.to_owned(),
        body: line.to_owned(),
        ..Entry::default()
    };
    // `<module>: Type::fn name(...)` or `Type::async fn name(...)`.
    for marker in ["::fn ", "::async fn ", "::const fn ", "::unsafe fn "] {
        if let Some(at) = line.find(marker) {
            let head = &line[..at];
            let (module, owner) = head.split_at(head.rfind(": ").map_or(0, |i| i + 2));
            let after = &line[at + marker.len()..];
            let name = &after[..after.find(['(', '<']).unwrap_or(after.len())];
            let type_name = owner.split('<').next().unwrap_or(owner);
            entry.key = format!("{module}{type_name}::fn {name}");
            (entry.item, entry.name, entry.owner) = (entry.key.clone(), name.into(), owner.into());
            return entry;
        }
    }
    // `impl Trait<Args> for Type` is keyed without its arguments, so a
    // changed argument reads as a change.
    let mut depth = 0usize;
    let outside_angles = |&c: &char| {
        let outside = depth == 0 && c != '<';
        depth = (depth + usize::from(c == '<')).saturating_sub(usize::from(c == '>'));
        outside
    };
    entry.key = line.chars().filter(outside_angles).collect();
    entry
}

/// `name: Type`, `Variant(..)`, `Variant { .. }` or `Name = "value"`:
/// the name, and the rest after any `:` or `=`.
fn member(text: &str) -> (String, String) {
    let end = text.find(|c: char| !(c.is_alphanumeric() || c == '_'));
    let (name, rest) = text.split_at(end.unwrap_or(text.len()));
    let rest = rest.trim_start();
    let rest = rest.strip_prefix([':', '=']).unwrap_or(rest).trim();
    (name.into(), rest.into())
}

/// Splits `a: A<B, C>, d: D` at the commas outside brackets.
fn split_top(text: &str) -> impl Iterator<Item = &str> {
    let mut depth = 0;
    let at_top_comma = move |c| {
        match c {
            '<' | '(' | '[' | '{' => depth += 1,
            '>' | ')' | ']' | '}' => depth -= 1,
            _ => {}
        }
        c == ',' && depth == 0
    };
    text.split(at_top_comma)
        .map(str::trim)
        .filter(|part| !part.is_empty())
}
