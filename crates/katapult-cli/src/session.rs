//! The katapult-core client a command talks through, configured from the
//! connection options: credentials, trust (`--ca-file`), timeouts, the
//! rate-limit window, or the built-in mock.

use std::time::Duration;

use katapult_core::{Client, ClientBuilder};

use crate::cli::Connection;
use katapult_core::credentials::Environment;

use crate::credentials::{self, CommandLine};
use crate::exit::Failure;

/// The product token katapult-cli appends to katapult-core's user agent.
const USER_AGENT_PRODUCT: &str = concat!("katapult-cli/", env!("CARGO_PKG_VERSION"));

/// A client, and the mock server it talks to when `--mock` was given (kept
/// alive as long as the client is used).
pub struct Session {
    /// The client.
    pub client: Client,
    /// Whether a token was configured (a dry run needs none).
    pub has_token: bool,
    #[cfg(feature = "mock")]
    _mock: Option<katapult_core_httpmock::KatapultMock>,
}

/// Whether the client will send requests or only show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Requests will be sent: a token is required.
    Send,
    /// `--dry-run`: no token needed; the client only checks the settings.
    Show,
}

/// Builds the client the options describe.
pub async fn open(connection: &Connection, purpose: Purpose) -> Result<Session, Failure> {
    let mut builder = Client::builder().user_agent_product(USER_AGENT_PRODUCT);
    if let Some(timeout) = connection.timeout {
        builder = builder.timeout(timeout);
    }
    if let Some(seconds) = connection.rate_limit_window {
        builder = builder.rate_limit_window(Duration::from_secs(seconds));
    }
    // The flag, else the variable every client of katapult-core reads.
    match &connection.rate_limit_pool {
        Some(path) => builder = builder.rate_limit_pool(path),
        None => {
            if let Some(path) = std::env::var(katapult_core::RATE_LIMIT_POOL_ENV)
                .ok()
                .filter(|path| !path.trim().is_empty())
            {
                builder = builder.rate_limit_pool(path);
            }
        }
    }
    if let Some(path) = &connection.ca_file {
        builder = builder.add_root_certificates_file(path);
    }

    if connection.mock {
        return mock(builder).await;
    }

    let env = Environment::process();
    let command_line = CommandLine {
        token_file: connection.token_file.clone(),
        profile: connection.profile.clone(),
    };
    let credentials = credentials::resolve(&command_line, &env)?;
    if let Some(source) = &credentials.token_source {
        tracing::debug!(source = source.as_str(), "API token found");
    }
    if let Some(source) = &credentials.base_url_source {
        tracing::debug!(source = source.as_str(), "base URL found");
    }
    if let Some(url) = credentials.base_url {
        builder = builder.base_url(url);
    }
    let has_token = credentials.token.is_some();
    builder = match (credentials.token, purpose) {
        (Some(token), _) => builder.token(token.expose()),
        (None, Purpose::Send) => {
            return Err(Failure::usage(credentials::missing_token_message(
                &command_line,
                &env,
            )));
        }
        // A stand-in, so that building the client checks every other
        // setting; it is never sent and never printed.
        (None, Purpose::Show) => builder.token("dry-run"),
    };
    Ok(Session {
        client: build(builder)?,
        has_token,
        #[cfg(feature = "mock")]
        _mock: None,
    })
}

fn build(builder: ClientBuilder) -> Result<Client, Failure> {
    builder.build().map_err(Failure::from)
}

#[cfg(feature = "mock")]
async fn mock(builder: ClientBuilder) -> Result<Session, Failure> {
    let server = katapult_core_httpmock::KatapultMock::start().await;
    tracing::debug!(
        base_url = server.base_url().as_str(),
        "mock Katapult started"
    );
    let client = build(builder.token("mock-token").base_url(server.base_url()))?;
    Ok(Session {
        client,
        has_token: true,
        _mock: Some(server),
    })
}

#[cfg(not(feature = "mock"))]
async fn mock(_: ClientBuilder) -> Result<Session, Failure> {
    Err(Failure::usage(
        "--mock: this build of katapult has no mock Katapult (it was built without the `mock` \
         feature); reinstall with `cargo install --path crates/katapult-cli`, whose default \
         features include it",
    ))
}
