//! What can be wrong with the credentials a [`Lookup`](super::Lookup)
//! finds, and the messages that say so: each names the file (and the line,
//! for a file that does not parse) and what to write or run instead.

use std::fmt;
use std::path::{Path, PathBuf};

/// Why the credentials could not be found or read. Nothing was sent.
///
/// Its `Display` is the whole message for a person: what is wrong, which
/// file, and the fix. It never holds a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsError {
    pub(crate) problem: CredentialsProblem,
    pub(crate) path: Option<PathBuf>,
    pub(crate) line: Option<usize>,
    pub(crate) message: String,
}

/// The kind of a [`CredentialsError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CredentialsProblem {
    /// No source gave a token; the message lists every way to give one.
    NoToken,
    /// A file that was named (a token file, or the config file a profile
    /// needs) does not exist.
    Missing,
    /// The config file has no profile of the name asked for, or its
    /// `default_profile` names none.
    NoSuchProfile,
    /// Other users can read the file (unix mode bits), and it holds a
    /// token.
    Shared,
    /// The file cannot be read, or is not a file.
    Unreadable,
    /// The file does not parse, or holds no token.
    Invalid,
    /// There is no config directory to look in: neither the platform's
    /// nor a home directory is known.
    NoConfigDirectory,
}

impl CredentialsError {
    pub(crate) fn new(problem: CredentialsProblem, message: impl Into<String>) -> Self {
        Self {
            problem,
            path: None,
            line: None,
            message: message.into(),
        }
    }

    pub(crate) fn at(mut self, path: &Path) -> Self {
        self.path = Some(path.to_owned());
        self
    }

    pub(crate) fn line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }

    /// What kind of problem this is.
    pub fn problem(&self) -> CredentialsProblem {
        self.problem
    }

    /// The file at fault, when one is.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The line of the file at fault (1-based), for a file that does not
    /// parse.
    pub fn line_number(&self) -> Option<usize> {
        self.line
    }
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CredentialsError {}

/// A config file to copy, with a profile of this name.
pub(crate) fn example_config(profile: &str) -> String {
    format!(
        "    [profiles.{profile}]\n    token = \"<your API token>\"\n    \
         # base_url = \"https://api.katapult.io/core/v1\"\n\n\
         and make it readable by you alone: chmod 600 <the file>"
    )
}

/// The 1-based line of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&byte| byte == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_count_from_one() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 4), 3);
        assert_eq!(line_of("a", 99), 1);
    }
}
