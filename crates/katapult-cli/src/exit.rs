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
    /// 3: no complete response (connect, a certificate that failed
    /// verification, timeout, broken connection), or the call's deadline
    /// passed.
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
            // Every ConfigError is met before anything is sent, so the
            // command line, the environment or a file must change: the
            // credentials lookup (a missing, shared or unparsable file),
            // `--ca-file` that is not PEM (RootCertificates), a
            // `--rate-limit-pool` file that cannot be opened, and the call-
            // time extension points (HookHeader, TokenProvider), which the
            // CLI installs none of but a katapult-core error may still be.
            Error::Config(_) | Error::InvalidRequest(_) => Self::Usage,
            // Every network kind is a transport failure; the message says
            // whether the write may have been applied (a rejected
            // certificate, like a failed connect: nothing reached the API).
            Error::Network(_) => Self::Transport,
            // The call's hard deadline passed: a timeout of the whole call,
            // mapped as a timeout is. A write cut off mid-attempt may have
            // been applied, and katapult-core's message says so.
            Error::DeadlineExceeded(_) => Self::Transport,
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

/// What kind of failure `error` is, for scripts that sort the error lines
/// of a bulk run (`"kind"`): one word per exit code's cause, decided here
/// beside the code so the two cannot disagree.
pub fn kind(error: &Error) -> &'static str {
    match error {
        Error::Task(_) => "task",
        Error::PlanRefused(_) => "refused",
        Error::Change(failed) => failed.cause().map_or("change", kind),
        Error::Api(_) => "api",
        Error::RateLimited(_) => "rate_limited",
        // A deadline is a timeout of the whole call: sorted with timeouts.
        Error::Network(_) | Error::DeadlineExceeded(_) => "network",
        Error::InvalidResponse(_) => "response",
        Error::Config(_) | Error::InvalidRequest(_) => "request",
        _ => "internal",
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
    use std::time::Duration;

    use katapult_core::types::{DiskArguments, DiskLookup, UpdateDiskBody};
    use katapult_core::{AttemptRequest, CallOptions, Client, ConfigError, Hook};
    use katapult_test_server::{Reply, Server};

    use super::*;

    /// The code, the kind and the message's core of an error, as a command
    /// reports it.
    fn reported(error: Error) -> (u8, &'static str, String) {
        let kind = kind(&error);
        let failure = Failure::from(error);
        (failure.exit as u8, kind, failure.message)
    }

    fn config_error(error: &Error) -> &ConfigError {
        match error {
            Error::Config(config) => config,
            other => panic!("expected a configuration error, got {other:?}"),
        }
    }

    /// Every call here is bounded in time, whatever the deadline does.
    fn bounded<F: std::future::Future>(call: F) -> tokio::time::Timeout<F> {
        tokio::time::timeout(Duration::from_secs(20), call)
    }

    fn client(base_url: &str) -> Client {
        Client::builder()
            .token("t")
            .base_url(base_url)
            .build()
            .unwrap()
    }

    #[test]
    fn configuration_errors_are_usage_errors() {
        let error = katapult_core::Client::builder().build().unwrap_err();
        assert_eq!(Exit::of(&error), Exit::Usage);
        let failure = Failure::from(error);
        assert_eq!(failure.exit, Exit::Usage);
        assert_eq!(ExitCode::from(failure.exit), ExitCode::from(2));
    }

    /// A deadline is a timeout of the whole call: exit 3 and kind
    /// `network`, for a read and for a write, and the write's message says
    /// it may have been applied.
    #[tokio::test]
    async fn a_passed_deadline_exits_as_a_timeout() {
        // It never answers, so every call to it ends at its deadline.
        let server = Server::start(|_, _| Reply::Hang).await;
        let base_url = format!("{}/core/v1", server.base_url());
        let quick =
            client(&base_url).with_options(CallOptions::new().deadline(Duration::from_millis(200)));

        let read = bounded(quick.get_disk("disk_1"))
            .await
            .unwrap()
            .unwrap_err();
        assert!(matches!(read, Error::DeadlineExceeded(_)), "{read:?}");
        let (code, kind, message) = reported(read);
        assert_eq!((code, kind), (3, "network"), "{message}");
        assert!(
            !message.contains("may or may not have been applied"),
            "{message}"
        );

        let write = bounded(quick.update_disk(UpdateDiskBody {
            disk: DiskLookup {
                id: "disk_1".into(),
            },
            properties: DiskArguments {
                name: Some("x".into()),
                ..Default::default()
            },
            annotations: None,
        }))
        .await
        .unwrap()
        .unwrap_err();
        assert!(matches!(write, Error::DeadlineExceeded(_)), "{write:?}");
        let (code, kind, message) = reported(write);
        assert_eq!((code, kind), (3, "network"), "{message}");
        assert!(
            message.contains("may or may not have been applied"),
            "{message}"
        );
        drop(server);
    }

    /// The extension points' errors are met before anything is sent:
    /// exit 2, kind `request`, like every configuration error.
    #[tokio::test]
    async fn a_hook_or_token_provider_error_is_a_usage_error() {
        struct BadHeader;
        impl Hook for BadHeader {
            fn name(&self) -> &str {
                "bad-header"
            }
            fn before_attempt(&self, request: &mut AttemptRequest<'_>) {
                request.set_header("x-audit", "line\nbreak");
            }
        }
        // A closed port: were anything sent, the error would be a connect failure.
        let base_url = format!("{}/core/v1", katapult_test_server::closed_port());
        let hooked = Client::builder()
            .token("t")
            .base_url(&base_url)
            .hook(BadHeader)
            .build()
            .unwrap();
        let error = hooked.get_disk("disk_1").await.unwrap_err();
        assert!(
            matches!(config_error(&error), ConfigError::HookHeader { .. }),
            "{error:?}"
        );
        let (code, kind, message) = reported(error);
        assert_eq!((code, kind), (2, "request"), "{message}");

        let provided = Client::builder()
            .base_url(&base_url)
            .token_provider(katapult_core::token_provider_fn("vault", || {
                Err("sealed".into())
            }))
            .build()
            .unwrap();
        let error = provided.get_disk("disk_1").await.unwrap_err();
        assert!(
            matches!(config_error(&error), ConfigError::TokenProvider { .. }),
            "{error:?}"
        );
        let (code, kind, message) = reported(error);
        assert_eq!((code, kind), (2, "request"), "{message}");
    }

    /// Root certificates that are not PEM: exit 2 (the CLI's `--ca-file`
    /// has a black-box test of its own).
    #[test]
    fn unusable_root_certificates_are_a_usage_error() {
        let error = Client::builder()
            .token("t")
            .add_root_certificates_pem("not a certificate")
            .build()
            .unwrap_err();
        assert!(
            matches!(config_error(&error), ConfigError::RootCertificates { .. }),
            "{error:?}"
        );
        let (code, kind, message) = reported(error);
        assert_eq!((code, kind), (2, "request"), "{message}");
    }
}
