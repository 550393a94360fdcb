//! The open enums (every `x-open-enum` schema, and `ErrorCode` from the
//! error union's tags) as `open_enum!` invocations; progenitor's settings
//! point it at these instead of the closed enums it would make.

use std::fmt::Write as _;

use heck::ToUpperCamelCase;

use crate::doc::{self, OpenEnum};
use crate::fragment::Fragment;
use crate::problem::Problem;

/// The name of the open enum derived from the error union's codes.
const ERROR_CODE_ENUM: &str = "ErrorCode";

/// Every `x-open-enum` schema, then `ErrorCode` from the error union's tags.
pub fn open_enums(fragment: &Fragment) -> Result<Vec<OpenEnum>, Problem> {
    let (doc, mut enums) = (&fragment.document, doc::open_enums(&fragment.document));
    // `ErrorCode` lists the codes of the first error union an operation has.
    let union = |op| doc::error_union(doc, &doc::error_schema(doc, op).0?);
    let Some(union) = doc::operations(doc).iter().find_map(union) else {
        return Ok(enums);
    };
    let at = format!("/components/schemas/{ERROR_CODE_ENUM}");
    if doc.pointer(&at).is_some() {
        let message = format!(
            "`{ERROR_CODE_ENUM}` is the name of the enum generated from the error \
             union's codes; a schema of that name would collide with it"
        );
        let fix = "rename the schema";
        return Err(super::problem(fragment, "generate", &at, message, fix));
    }
    let union_name = union.name.as_deref().unwrap_or("the error union");
    enums.push(OpenEnum {
        name: ERROR_CODE_ENUM.to_owned(),
        description: Some(format!(
            "The `{}` of an error the API reports: one variant per variant of `{union_name}`.",
            union.tag
        )),
        values: union.codes,
    });
    Ok(enums)
}

/// The open enums as invocations of katapult-core's `open_enum!` macro,
/// which implements their decoding, encoding, `Display` and schema.
pub fn render_open_enums(enums: &[OpenEnum]) -> String {
    let mut out = String::from(
        "//! Enums the API sends back, generated as open enums: a value this\n\
         //! version does not know decodes into `Unknown(String)` and encodes back\n\
         //! unchanged.\n\n\
         use crate::open_enum::open_enum;\n",
    );
    for e in enums {
        out.push_str("\nopen_enum! {\n");
        if let Some(description) = &e.description {
            for line in description.lines() {
                let _ = writeln!(out, "    /// {}", line.trim_end());
            }
            out.push_str("    ///\n");
        }
        out.push_str(
            "    /// Open enum: values this client does not know decode into `Unknown`.\n",
        );
        let _ = writeln!(out, "    pub enum {} {{", e.name);
        for value in &e.values {
            let _ = writeln!(out, "        /// `{value}`");
            let _ = writeln!(out, "        {} = {value:?},", value.to_upper_camel_case());
        }
        out.push_str("    }\n}\n");
    }
    out
}
