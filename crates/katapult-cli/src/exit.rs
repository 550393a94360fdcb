//! Exit codes, and the one failure type every command returns: what to print
//! on stderr and which code to exit with. The codes are documented in
//! `--help` ([`crate::cli::EXIT_CODES`]) and the crate's README.md.

use std::fmt;
use std::process::ExitCode;

use katapult_core::{Error, NetworkErrorKind};

/// What the process tells its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done.
    Success = 0,
    /// 1: Katapult, or a proxy in front of it, refused the request, or the
    /// rate-limit governor stopped it (the budget is spent until after the
    /// call's deadline); in bulk mode, any line failed.
    Refused = 1,
    /// 2: the command line or the configuration is wrong; nothing was sent.
    Usage = 2,
    /// 3: no complete response (connect, timeout, broken connection).
    Transport = 3,
    /// 4: a response arrived that cannot be used.
    Unusable = 4,
    /// 5: a bug in katapult-cli or katapult-core.
    Bug = 5,
}

impl Exit {
    /// The code for an error from katapult-core.
    pub fn of(error: &Error) -> Self {
        match error {
            Error::Api(_) | Error::RateLimited(_) => Self::Refused,
            Error::Config(_) | Error::InvalidRequest(_) => Self::Usage,
            Error::Network(_) => Self::Transport,
            Error::InvalidResponse(_) => Self::Unusable,
            Error::Internal(_) => Self::Bug,
            // A task that failed or outlasted the wait: Katapult did not
            // make the change (or has not yet).
            Error::Task(_) => Self::Refused,
            // The plan's rules refused the change before anything was
            // written: like a usage error, the request is what must change.
            Error::PlanRefused(_) => Self::Usage,
            // A change that stopped part-way exits as what stopped it; one
            // that finished but does not read as asked is a refusal.
            Error::Change(failed) => failed.cause().map_or(Self::Refused, Self::of),
            // A kind of error added to katapult-core after this version:
            // its message says what happened; the code cannot.
            _ => Self::Bug,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// A command that did not succeed: the message for stderr and the exit code.
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub exit: Exit,
    /// What happened and what to do next, for a person.
    pub message: String,
}

impl Failure {
    /// A usage or configuration error: nothing was sent.
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Usage,
            message: message.into(),
        }
    }

    /// The answer could not be written to stdout (a closed pipe, a full
    /// disk): whatever was sent may have been applied.
    pub fn output(error: std::io::Error) -> Self {
        Self {
            exit: Exit::Unusable,
            message: format!(
                "cannot write the answer to stdout: {error}; what was sent may have been applied"
            ),
        }
    }

    /// A mistake in katapult-cli itself.
    pub fn bug(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Bug,
            message: format!(
                "{}. This is a bug in katapult-cli: please report it with this message",
                message.into()
            ),
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let mut message = error.to_string();
        // katapult-core's messages name the request id of Api and
        // InvalidResponse errors already; say it for network failures too,
        // where the question a script asks is "was it applied?".
        if let Error::Network(network) = &error {
            let applied = match network.kind() {
                NetworkErrorKind::Connect | NetworkErrorKind::CertificateRejected => {
                    "the update was not applied: nothing reached the API"
                }
                NetworkErrorKind::Timeout | NetworkErrorKind::Interrupted => {
                    "the update may have been applied: check the disk before retrying"
                }
                _ => "whether the update was applied is unknown: check the disk before retrying",
            };
            message.push('\n');
            message.push_str(applied);
        }
        Self {
            exit: Exit::of(&error),
            message,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_errors_are_usage_errors() {
        let error = katapult_core::Client::builder().build().unwrap_err();
        assert_eq!(Exit::of(&error), Exit::Usage);
        let failure = Failure::from(error);
        assert_eq!(failure.exit, Exit::Usage);
        assert_eq!(ExitCode::from(failure.exit), ExitCode::from(2));
    }
}
