//! [`ConfigError`]: why a client could not be built, or a call could not be
//! sent (a hook's header, a token provider's failure). Each message names
//! the setting and the fix; nothing was sent.

/// Why a client could not be built. Each message names the setting and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No token was given, and `KATAPULT_API_TOKEN` is not set.
    #[error(
        "no API token: set KATAPULT_API_TOKEN, pass one to ClientBuilder::token, or read the \
         config file with ClientBuilder::from_config or Client::from_profile (create a token \
         in Katapult under Organization > API tokens)"
    )]
    MissingToken,
    /// The token is empty, or holds characters an HTTP header cannot carry.
    #[error(
        "the API token {0}: check KATAPULT_API_TOKEN (or the value given to ClientBuilder::token)"
    )]
    InvalidToken(&'static str),
    /// The base URL does not parse, or has a shape the client refuses.
    #[error(
        "the base URL {url:?} {reason}: set KATAPULT_API_URL (or ClientBuilder::base_url) \
         to a URL like https://api.katapult.io/core/v1"
    )]
    InvalidBaseUrl {
        /// The URL as given (credentials removed).
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `http://` to a host that is not loopback: the token would travel in clear.
    #[error(
        "refusing the plain-HTTP base URL {url:?}: the API token would travel in clear. \
         Use https://, or http:// to a loopback address (127.0.0.1, ::1, localhost) for local testing"
    )]
    InsecureBaseUrl {
        /// The URL as given.
        url: String,
    },
    /// `https://` in a build with neither the `rustls` nor the `native-tls` feature.
    #[error(
        "this build of katapult-core has no TLS, so https:// cannot work: enable the \
         `rustls` (default) or `native-tls` feature"
    )]
    NoTls,
    /// The user-agent product token cannot be sent in a header.
    #[error(
        "the user-agent product {0:?} cannot be sent in a header: use visible ASCII, \
         like \"my-app/1.2\""
    )]
    InvalidUserAgent(String),
    /// A setting is out of range (zero attempts, a zero timeout, ...).
    #[error("{0}")]
    InvalidSetting(String),
    /// The credentials could not be found or read: no source gave a token,
    /// a token or config file is missing, shared with other users, or does
    /// not parse ([`crate::credentials`]). The message names the file and
    /// the fix.
    #[error(transparent)]
    Credentials(Box<crate::credentials::CredentialsError>),
    /// Root certificates given to the builder cannot be used: the file
    /// cannot be read, or is not PEM certificates
    /// ([`ClientBuilder::add_root_certificates_file`](crate::ClientBuilder::add_root_certificates_file)).
    /// Nothing was sent.
    #[error(
        "the root certificates in {origin} cannot be used: {reason}. Give the CA's certificate \
         as PEM (-----BEGIN CERTIFICATE----- blocks); nothing was sent"
    )]
    RootCertificates {
        /// Where they came from: `the CA file <path>`, or the PEM bytes.
        origin: String,
        /// The file, when they came from one.
        path: Option<std::path::PathBuf>,
        /// What is wrong with them.
        reason: String,
    },
    /// The rate-limit pool file given to
    /// [`ClientBuilder::rate_limit_pool`](crate::ClientBuilder::rate_limit_pool)
    /// cannot be opened for reading and writing, or holds something other
    /// than a pool record (it is never overwritten). Nothing was sent.
    #[error(
        "the rate-limit pool file {} cannot be used: {reason}. Give the path of a pool file, \
         or a new one in a folder that exists and that this process may write to; nothing was \
         sent",
        path.display()
    )]
    RateLimitPool {
        /// The file.
        path: std::path::PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// The HTTP client could not be built (TLS initialisation failed).
    #[error(
        "the HTTP client could not be built: {0}; pass your own with ClientBuilder::http_client"
    )]
    HttpClient(String),
    // Met at call time, before an attempt is sent: the extension points.
    // They are asked again for every retry, so the attempt refused may not
    // be the first: `sent` says how many went before it.
    /// A [`Hook`](crate::Hook) set a header the client cannot send: a name
    /// or value HTTP cannot carry, or a header the client sets itself. The
    /// attempt it refused was not sent; `sent` earlier attempts of the call
    /// were.
    #[error(
        "the hook {hook:?} set the header {header:?}, which {reason}; {}: correct the hook",
        sent_before(*.sent)
    )]
    HookHeader {
        /// The hook's [`name`](crate::Hook::name).
        hook: String,
        /// The header's name as the hook gave it.
        header: String,
        /// What is wrong with it.
        reason: &'static str,
        /// Requests the call had already sent (its earlier attempts): 0
        /// unless the hook refused a retry.
        sent: u32,
    },
    /// The [`TokenProvider`](crate::TokenProvider) failed, or gave
    /// something that is not a token. The attempt it was asked for was not
    /// sent; `sent` earlier attempts of the call were.
    #[error(
        "the token provider {provider:?} gave no usable token: {reason}; {}: check the \
         provider and what it reads the token from",
        sent_before(*.sent)
    )]
    TokenProvider {
        /// The provider's [`name`](crate::TokenProvider::name).
        provider: String,
        /// What went wrong, as the provider said it.
        reason: String,
        /// Requests the call had already sent (its earlier attempts): 0
        /// unless the provider failed on a retry.
        sent: u32,
    },
}

impl ConfigError {
    /// The same error, met after the call had sent `sent` requests: a hook
    /// or token provider asked again for a retry.
    pub(crate) fn after_sending(mut self, sent: u32) -> Self {
        if let Self::HookHeader { sent: count, .. } | Self::TokenProvider { sent: count, .. } =
            &mut self
        {
            *count = sent;
        }
        self
    }
}

/// What a call refused before an attempt had sent: nothing, or earlier
/// attempts that may have been applied (they ended without an answer that
/// settles it, or the call would not have retried).
fn sent_before(sent: u32) -> String {
    match sent {
        0 => "nothing was sent".to_owned(),
        1 => "this call had already sent 1 request, which may have been applied: read the \
              resource before sending it again"
            .to_owned(),
        n => format!(
            "this call had already sent {n} requests, which may have been applied: read the \
             resource before sending it again"
        ),
    }
}
