//! `open_enum!`: the shape of every enum the API sends back.
//!
//! Katapult adds values to its enums as the product grows (new disk states
//! have appeared over the years). progenitor generates closed enums, on which
//! one new value fails the whole response. `cargo xtask codegen` therefore
//! writes each response enum as an invocation of this macro
//! (`generated_open_enums.rs`) and tells progenitor to use it instead: a value
//! this version does not know decodes into `Unknown(String)` and encodes back
//! exactly as it came.
//!
//! Enums the caller sends stay closed (progenitor's own): a request cannot
//! carry a value the API does not define.

/// Defines an open string enum: one variant per known value plus
/// `Unknown(String)`, with serde, `Display`, `FromStr`, `From<&str>` and a
/// JSON schema.
macro_rules! open_enum {
    (
        $(#[doc = $doc:literal])*
        pub enum $name:ident {
            $(
                $(#[doc = $variant_doc:literal])*
                $variant:ident = $value:literal,
            )*
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $(
                $(#[doc = $variant_doc])*
                $variant,
            )*
            /// A value this version of the client does not know, kept exactly
            /// as the API sent it.
            Unknown(::std::string::String),
        }

        impl $name {
            /// Every value this version knows, in the order the API documents them.
            pub const KNOWN: &'static [&'static str] = &[$($value),*];

            /// The value as the API writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $value,)*
                    Self::Unknown(value) => value,
                }
            }

            /// Whether the API sent a value this version does not know.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($value => Self::$variant,)*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::convert::From<::std::string::String> for $name {
            fn from(value: ::std::string::String) -> Self {
                match value.as_str() {
                    $($value => Self::$variant,)*
                    _ => Self::Unknown(value),
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;

            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                struct Visitor;

                impl ::serde::de::Visitor<'_> for Visitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("a string")
                    }

                    fn visit_str<E: ::serde::de::Error>(self, value: &str) -> ::std::result::Result<$name, E> {
                        Ok($name::from(value))
                    }

                    fn visit_string<E: ::serde::de::Error>(
                        self,
                        value: ::std::string::String,
                    ) -> ::std::result::Result<$name, E> {
                        Ok($name::from(value))
                    }
                }

                deserializer.deserialize_str(Visitor)
            }
        }

        impl ::schemars::JsonSchema for $name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(stringify!($name))
            }

            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                // Any string: the known values are examples, not a limit.
                ::schemars::json_schema!({
                    "type": "string",
                    "examples": Self::KNOWN,
                })
            }
        }
    };
}

pub(crate) use open_enum;

#[cfg(test)]
mod tests {
    open_enum! {
        /// A test enum.
        pub enum Colour {
            /// `light_blue`
            LightBlue = "light_blue",
            /// `red`
            Red = "red",
        }
    }

    #[test]
    fn known_values_decode_into_their_variants() {
        let colour: Colour = serde_json::from_str(r#""light_blue""#).unwrap();
        assert_eq!(colour, Colour::LightBlue);
        assert_eq!(serde_json::to_string(&colour).unwrap(), r#""light_blue""#);
        assert!(!colour.is_unknown());
    }

    #[test]
    fn unknown_values_are_kept_and_round_trip() {
        let colour: Colour = serde_json::from_str(r#""ultraviolet""#).unwrap();
        assert_eq!(colour, Colour::Unknown("ultraviolet".into()));
        assert!(colour.is_unknown());
        assert_eq!(colour.to_string(), "ultraviolet");
        assert_eq!(serde_json::to_string(&colour).unwrap(), r#""ultraviolet""#);
    }

    #[test]
    fn non_strings_are_refused() {
        let error = serde_json::from_str::<Colour>("42").unwrap_err();
        assert!(error.to_string().contains("expected a string"), "{error}");
    }

    #[test]
    fn parsing_never_fails() {
        assert_eq!("red".parse::<Colour>(), Ok(Colour::Red));
        assert_eq!(Colour::from(String::from("red")), Colour::Red);
        assert_eq!(Colour::KNOWN, &["light_blue", "red"]);
    }

    #[test]
    fn the_schema_is_any_string_with_known_examples() {
        let schema = schemars::schema_for!(Colour);
        let json = serde_json::to_value(&schema).unwrap();
        assert_eq!(json["type"], "string");
        assert_eq!(json["examples"], serde_json::json!(["light_blue", "red"]));
        assert!(json.get("enum").is_none());
    }
}
