//! A problem found in an OpenAPI document: where it is, what is wrong, and
//! what to write instead.

use std::fmt;

/// One finding about the fragment, rendered as `error[rule]: file#pointer`,
/// the message, and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The lint rule (or pipeline stage) that found it.
    pub rule: &'static str,
    /// The file, as the user would type it (relative to the workspace root).
    pub file: String,
    /// JSON pointer (RFC 6901) of the node at fault; empty for the whole document.
    pub pointer: String,
    /// What is wrong, and why it matters for the generated client.
    pub message: String,
    /// What to write instead.
    pub fix: String,
}

impl Problem {
    pub fn new(
        rule: &'static str,
        file: &str,
        pointer: &str,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            rule,
            file: file.to_owned(),
            pointer: pointer.to_owned(),
            message: message.into(),
            fix: fix.into(),
        }
    }
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
    let blocks: Vec<String> = problems.iter().map(ToString::to_string).collect();
    blocks.join("\n\n")
}
