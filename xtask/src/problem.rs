//! A problem found in an OpenAPI document: where it is, what is wrong, and
//! what to write instead.

use std::fmt;

/// One finding about the fragment. Rendered as
///
/// ```text
/// error[nullable-ref]: openapi/x.yaml#/components/schemas/Disk/properties/io_profile
///   `nullable` beside `$ref` is ignored (OpenAPI 3.0 ignores every sibling of `$ref`) ...
///   fix: write `nullable: true` with `allOf: [{$ref: ...}]`
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The lint rule (or pipeline stage) that found it.
    pub rule: &'static str,
    /// The file, as the user would type it (relative to the workspace root).
    pub(crate) file: String,
    /// JSON pointer (RFC 6901) of the node at fault; empty for the whole document.
    pub(crate) pointer: String,
    /// What is wrong, and why it matters for the generated client.
    pub message: String,
    /// What to write instead.
    pub fix: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error[{}]: {}#{}", self.rule, self.file, self.pointer)?;
        writeln!(f, "  {}", self.message)?;
        write!(f, "  fix: {}", self.fix)
    }
}

/// Renders a list of problems, one block each, separated by blank lines.
pub fn render(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Builds JSON pointers (RFC 6901) from path segments.
pub(crate) fn pointer<I, S>(segments: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    segments
        .into_iter()
        .fold(String::new(), |mut out, segment| {
            out.push('/');
            out.push_str(&segment.as_ref().replace('~', "~0").replace('/', "~1"));
            out
        })
}

/// Appends one segment to an existing pointer.
pub(crate) fn child(parent: &str, segment: &str) -> String {
    format!("{parent}{}", pointer([segment]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_escape_slashes_and_tildes() {
        assert_eq!(
            pointer(["paths", "/disks/disk", "patch"]),
            "/paths/~1disks~1disk/patch"
        );
        assert_eq!(child("/a", "x~y"), "/a/x~0y");
        assert_eq!(pointer::<[&str; 0], &str>([]), "");
    }
}
