//! The tokens of one struct of flags: a clap `Args` struct, its group, and
//! `to_json`, which builds the body tree `cli.rs` made.

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{Flag, Node};

/// A struct of flags and its group and `to_json`, for the body tree `root`:
/// its rustdoc (with the leading space), name in snake_case (`update_disk`
/// makes `UpdateDiskFlags` and the clap group `update_disk_flags`), help
/// heading, and the arguments that give a whole body instead (`json_body`,
/// `from`), which make its required flags optional.
pub(super) fn render(
    struct_doc: &str,
    name: &str,
    heading: &str,
    whole_body: &[&str],
    root: &[(String, Node)],
) -> TokenStream {
    let struct_name = format_ident!("{}Flags", name.to_upper_camel_case());
    let group = format!("{name}_flags");
    let mut ordered = super::flags(root);
    // Required first, then by name.
    ordered.sort_by(|a, b| (b.required, &a.long).cmp(&(a.required, &b.long)));
    let fields = ordered.iter().map(|flag| field(flag, whole_body));
    let body = object_body(root, 0);

    quote! {
        #[doc = #struct_doc]
        #[derive(Debug, Clone, ::clap::Args)]
        #[group(id = #group, multiple = true)]
        #[command(next_help_heading = #heading)]
        pub struct #struct_name {
            #(#fields)*
        }

        impl #struct_name {
            /// The clap group holding every flag of this struct.
            pub const GROUP: &str = #group;
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

/// One field of the struct, with its clap attributes.
fn field(flag: &Flag, whole_body: &[&str]) -> TokenStream {
    let ident = flag.id();
    let long = &flag.long;
    let help = format!(" {}", flag.help);
    let value_name = flag.value_name.iter();
    let required = flag
        .required
        .then(|| quote! { required_unless_present_any = [#(#whole_body),*], });
    let conflicts = flag.conflicts.iter().map(|long| long.to_snake_case());
    let conflicts =
        (!flag.conflicts.is_empty()).then(|| quote! { conflicts_with_all = [#(#conflicts),*], });
    let (ty, parser) = &flag.kind;
    quote! {
        #[doc = #help]
        #[arg(long = #long, #(value_name = #value_name,)* #required #conflicts #parser)]
        pub #ident: #ty,
    }
}

/// Statements filling `object_<depth>` from the nodes.
fn object_body(nodes: &[(String, Node)], depth: usize) -> TokenStream {
    let object = format_ident!("object_{depth}");
    // `set`, when the flag is given, with its `value`.
    let given = |flag: &Flag, set: TokenStream| {
        let flag = flag.id();
        quote! { if let Some(value) = &self.#flag { #set } }
    };
    let statements = nodes.iter().map(|(key, node)| match node {
        Node::Value(flag) => given(
            flag,
            quote! { #object.insert(#key.to_owned(), ::serde_json::Value::from(value.clone())); },
        ),
        Node::Lookup(members) => {
            let arms = members.iter().map(|(field, flag)| {
                let set = quote! {
                    let mut lookup = ::serde_json::Map::new();
                    lookup.insert(#field.to_owned(), ::serde_json::Value::from(value.clone()));
                    #object.insert(#key.to_owned(), ::serde_json::Value::Object(lookup));
                };
                given(flag, set)
            });
            quote! { #(#arms)* }
        }
        Node::KeyValues { add, clear } => {
            let (add, clear) = (add.id(), clear.id());
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
        Node::Object { required, children } => {
            let inner = format_ident!("object_{}", depth + 1);
            let body = object_body(children, depth + 1);
            let insert =
                quote! { #object.insert(#key.to_owned(), ::serde_json::Value::Object(#inner)); };
            let insert = match required {
                true => insert,
                false => quote! { if !#inner.is_empty() { #insert } },
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
