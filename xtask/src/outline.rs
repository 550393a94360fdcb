//! A compact outline of the generated client's public surface: types with
//! their fields and Rust types, enums with their variants, methods with their
//! signatures. Snapshotted by a test, so that any change to what the
//! generator emits shows up in review as a short, readable diff rather than
//! thousands of generated lines.

use quote::ToTokens;
use syn::{Fields, ImplItem, Item, Visibility};

use crate::doc::OpenEnum;

/// The public API the generated code gives katapult-core: the types (with
/// the open enums), then the client's generated methods. What the outline
/// snapshot holds and what `cargo xtask codegen` classifies changes of.
pub fn public_api(
    types: &str,
    methods: &str,
    open_enums: &[OpenEnum],
) -> Result<String, syn::Error> {
    Ok(format!(
        "{}\n{}",
        outline(types, open_enums)?,
        outline(methods, &[])?
    ))
}

/// Outlines `generated` (the text of a generated module) and the open enums
/// that replace progenitor's closed ones.
pub fn outline(generated: &str, open_enums: &[OpenEnum]) -> Result<String, syn::Error> {
    let file = syn::parse_file(generated)?;
    let mut out = Vec::new();
    walk(&file.items, "", &mut out);
    for e in open_enums {
        let variants: Vec<String> = e
            .values
            .iter()
            .map(|v| {
                format!(
                    "{} = {v:?}",
                    heck::ToUpperCamelCase::to_upper_camel_case(v.as_str())
                )
            })
            .chain(["Unknown(String)".to_owned()])
            .collect();
        out.push(format!(
            "open enum types::{} {{ {} }}",
            e.name,
            variants.join(", ")
        ));
    }
    Ok(out.join("\n") + "\n")
}

fn walk(items: &[Item], module: &str, out: &mut Vec<String>) {
    for item in items {
        match item {
            // Typed builders mirror every struct field for field: listing
            // them again would double the outline without adding news.
            Item::Mod(m) if m.ident == "builder" && module == "types" => {
                out.push("mod types::builder (one builder per struct)".to_owned());
            }
            Item::Mod(m) if is_pub(&m.vis) => {
                let path = join(module, &m.ident.to_string());
                if let Some((_, items)) = &m.content {
                    walk(items, &path, out);
                }
            }
            Item::Struct(s) if is_pub(&s.vis) => {
                let name = join(module, &s.ident.to_string());
                // A struct's private fields are not its API.
                let listed = fields(&s.fields, true);
                out.push(match &s.fields {
                    Fields::Named(_) if listed.is_empty() => format!("struct {name} {{ .. }}"),
                    Fields::Unnamed(_) if listed.is_empty() => format!("struct {name}(..)"),
                    Fields::Named(_) => format!("struct {name} {{ {listed} }}"),
                    Fields::Unnamed(_) => format!("struct {name}({listed})"),
                    Fields::Unit => format!("struct {name}"),
                });
            }
            Item::Enum(e) if is_pub(&e.vis) => {
                let variants: Vec<String> = e
                    .variants
                    .iter()
                    .map(|v| match &v.fields {
                        Fields::Named(_) => {
                            format!("{} {{ {} }}", v.ident, fields(&v.fields, false))
                        }
                        Fields::Unnamed(_) => format!("{}({})", v.ident, fields(&v.fields, false)),
                        Fields::Unit => v.ident.to_string(),
                    })
                    .collect();
                out.push(format!(
                    "enum {} {{ {} }}",
                    join(module, &e.ident.to_string()),
                    variants.join(", ")
                ));
            }
            Item::Impl(block) => {
                let self_ty = ty(&block.self_ty);
                match &block.trait_ {
                    Some((path, _)) => {
                        let line = format!(
                            "impl {} for {}",
                            clean(&path.to_token_stream().to_string()),
                            self_ty
                        );
                        if !line.contains("builder::") {
                            out.push(format!("{}{line}", prefix(module)));
                        }
                    }
                    None => {
                        for member in &block.items {
                            if let ImplItem::Fn(f) = member
                                && is_pub(&f.vis)
                            {
                                let signature = clean(&f.sig.to_token_stream().to_string());
                                out.push(format!("{}{self_ty}::{signature}", prefix(module)));
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// `name: Type, ...` for named fields, `Type, ...` for unnamed ones;
/// `only_pub` leaves out fields that are not `pub` (struct fields; an enum
/// variant's fields have no visibility of their own).
fn fields(fields: &Fields, only_pub: bool) -> String {
    fields
        .iter()
        .filter(|f| !only_pub || is_pub(&f.vis))
        .map(|f| match &f.ident {
            Some(ident) => format!("{ident}: {}", ty(&f.ty)),
            None => ty(&f.ty),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_pub(vis: &Visibility) -> bool {
    matches!(vis, Visibility::Public(_))
}

fn join(module: &str, name: &str) -> String {
    if module.is_empty() {
        name.to_owned()
    } else {
        format!("{module}::{name}")
    }
}

fn prefix(module: &str) -> String {
    if module.is_empty() {
        String::new()
    } else {
        format!("{module}: ")
    }
}

fn ty(t: &syn::Type) -> String {
    clean(&t.to_token_stream().to_string())
}

/// Token text to readable Rust: drop the absolute paths progenitor writes
/// for std and serde_json types, and the spaces the token printer adds.
fn clean(tokens: &str) -> String {
    let mut text = tokens.to_owned();
    for (from, to) in [
        (":: std :: option :: ", ""),
        (":: std :: string :: ", ""),
        (":: std :: vec :: ", ""),
        (":: std :: boxed :: ", ""),
        (":: std :: fmt :: ", "fmt::"),
        (":: std :: str :: ", ""),
        (":: std :: convert :: ", ""),
        (":: serde_json :: ", "serde_json::"),
        (":: reqwest :: ", "reqwest::"),
        ("std :: convert :: ", ""),
        ("std :: ops :: ", ""),
        (" :: ", "::"),
        (":: ", "::"),
        (" < ", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" ,", ","),
        ("& '", "&'"),
        ("& ", "&"),
        (" (", "("),
        ("( ", "("),
        (" )", ")"),
        (" : ", ": "),
        (",>", ">"),
        (",)", ")"),
        (", ", ", "),
        ("crate::generated_open_enums::", ""),
    ] {
        text = text.replace(from, to);
    }
    text
}
