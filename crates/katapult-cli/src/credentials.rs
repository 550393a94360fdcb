//! Where the API token and base URL come from: katapult-core's
//! [`credentials`](katapult_core::credentials) lookup, with this command
//! line's flags mapped onto it, so that the CLI and a Rust program read the
//! same files with the same rules. In the order the help states:
//!
//! 1. the command line: `--token-file PATH` (the token), `--profile NAME`
//!    (that profile's token and base URL);
//! 2. the environment: `KATAPULT_API_TOKEN`, `KATAPULT_API_URL`;
//! 3. the config file's default profile;
//! 4. Krystal's `katapult` CLI config, `~/.katapult/katapult.yaml`.
//!
//! Every problem with them is a usage error (exit 2): nothing is sent.

use std::path::PathBuf;

use katapult_core::credentials::{Credentials, Environment, Lookup, Spelling};

use crate::exit::Failure;

/// What the command line said about credentials.
#[derive(Debug, Default, Clone)]
pub struct CommandLine {
    /// `--token-file`.
    pub token_file: Option<PathBuf>,
    /// `--profile`.
    pub profile: Option<String>,
}

/// How katapult-core's messages name this command's flags.
const FLAGS: Spelling = Spelling::new("--token-file PATH", "--profile NAME", None);

impl CommandLine {
    fn lookup(&self) -> Lookup {
        let mut lookup = Lookup::new().spelling(FLAGS);
        if let Some(path) = &self.token_file {
            lookup = lookup.token_file(path);
        }
        if let Some(name) = &self.profile {
            lookup = lookup.profile(name);
        }
        lookup
    }
}

/// Finds the credentials; a token may be missing (a dry run needs none).
pub fn resolve(command_line: &CommandLine, env: &Environment) -> Result<Credentials, Failure> {
    command_line
        .lookup()
        .resolve(env)
        .map_err(|error| Failure::usage(error.to_string()))
}

/// The message for "no token from anywhere": every way to give one, and
/// how to try katapult without.
pub fn missing_token_message(command_line: &CommandLine, env: &Environment) -> String {
    format!(
        "{}\n\nTo try katapult without a token, add --mock (a mock Katapult, offline) or \
         --dry-run (print the request, send nothing).",
        command_line.lookup().missing_token(env)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_named_as_the_command_line_spells_them() {
        let dir = std::env::temp_dir().join("katapult-cli-credentials-unit");
        let env = Environment::empty()
            .with_config_dir(&dir)
            .with_home_dir(&dir);
        let message = missing_token_message(&CommandLine::default(), &env);
        for way in [
            "--token-file PATH",
            "--profile NAME",
            "KATAPULT_API_TOKEN",
            "--mock",
        ] {
            assert!(message.contains(way), "{way}: {message}");
        }
        let failure = resolve(
            &CommandLine {
                profile: Some("p".into()),
                ..CommandLine::default()
            },
            &env,
        )
        .unwrap_err();
        assert!(failure.message.starts_with("--profile p: "), "{failure}");
    }
}
