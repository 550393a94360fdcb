//! The outline of the generated public surface, one item per line: types
//! with their fields, enums with their variants, methods with their
//! signatures. Snapshotted, so a change to what the generator emits reviews
//! as a short diff, which codegen and release-check print
//! (`crate::api_change`).

use heck::ToUpperCamelCase;
use quote::ToTokens;
use syn::{Fields, ImplItem, Item, Visibility};

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
