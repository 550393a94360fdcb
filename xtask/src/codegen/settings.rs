//! progenitor's [`GenerationSettings`] for this project: everything about the
//! generated code's shape that is not in the fragment.

use progenitor::{GenerationSettings, InterfaceStyle, TagStyle, TypeImpl};

/// How the generated code refers to the open enums: from inside
/// `katapult-core`, or from a crate that depends on it.
#[derive(Debug, Clone, Copy)]
pub(super) enum OpenEnumPath {
    /// `crate::generated_open_enums::X` (the client crate itself).
    InCrate,
    /// `katapult_core::types::X` (the mock crate).
    FromDependent,
}

impl OpenEnumPath {
    fn prefix(self) -> &'static str {
        match self {
            Self::InCrate => "crate::generated_open_enums",
            Self::FromDependent => "katapult_core::types",
        }
    }
}

/// progenitor's settings for this project.
///
/// - builder interface, for the typed builder of every struct
///   (`DiskArguments::builder()`);
/// - `PartialEq` (so callers can compare values in their tests) and
///   `schemars::JsonSchema` on every type;
/// - each open enum (`open_enums`: their schema names) replaces the closed
///   one progenitor would generate.
pub(super) fn settings(open_enums: &[String], path: OpenEnumPath) -> GenerationSettings {
    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_derive("PartialEq")
        .with_derive("schemars::JsonSchema");
    for name in open_enums {
        settings.with_replacement(
            name,
            format!("{}::{name}", path.prefix()),
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    }
    settings
}
