//! [`NetworkError`]: no complete HTTP response arrived. Its kind comes
//! from the retry table's [`Outcome`], classified once where it happened,
//! and its message says whether the update may have been applied.

use std::fmt;
use std::time::Duration;

use crate::retry::Outcome;

use super::retried;

/// No complete HTTP response arrived.
#[derive(Debug, thiserror::Error)]
pub struct NetworkError {
    /// How it failed, classified once, where it happened.
    pub(crate) outcome: Outcome,
    pub(crate) url: String,
    pub(crate) attempts: u32,
    pub(crate) elapsed: Duration,
    pub(crate) timeout: Duration,
    pub(crate) source: reqwest::Error,
}

/// What kind of network failure a [`NetworkError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NetworkErrorKind {
    /// No connection could be made (refused, DNS, TLS handshake, connect timeout).
    /// Nothing reached the API.
    Connect,
    /// No complete response within the timeout. The update may have been applied.
    Timeout,
    /// The connection broke before a complete response. The update may have been applied.
    Interrupted,
    /// Anything else reqwest reports.
    Other,
    /// The server's TLS certificate failed verification (its issuer is not
    /// trusted, it has expired, it names another host). Nothing reached the
    /// API, and it is not retried: trust the CA that signed it
    /// ([`ClientBuilder::add_root_certificates_file`](crate::ClientBuilder::add_root_certificates_file))
    /// or fix the certificate. Recognised with the `rustls` feature; under
    /// `native-tls` such a failure is a [`Connect`](Self::Connect).
    CertificateRejected,
}

impl NetworkError {
    /// What kind of failure this is.
    pub fn kind(&self) -> NetworkErrorKind {
        kind_of(self.outcome)
    }

    /// How many attempts were made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Time spent, back-off included.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }
}

/// What kind of network failure `outcome` is: a [`NetworkError`]'s, or
/// one a [`crate::Hook`] sees.
pub(crate) fn kind_of(outcome: Outcome) -> NetworkErrorKind {
    match outcome {
        Outcome::ConnectFailed => NetworkErrorKind::Connect,
        Outcome::TimedOut => NetworkErrorKind::Timeout,
        Outcome::BrokeBeforeResponse | Outcome::BrokeInBody => NetworkErrorKind::Interrupted,
        Outcome::CertificateRejected => NetworkErrorKind::CertificateRejected,
        Outcome::OtherNetwork | Outcome::Status(_) | Outcome::HeldPastDeadline => {
            NetworkErrorKind::Other
        }
    }
}

impl fmt::Display for NetworkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = &self.url;
        // reqwest's own message is generic ("error sending request"); the
        // io or hyper error below it is the news.
        let mut cause: &dyn std::error::Error = &self.source;
        while let Some(next) = cause.source() {
            cause = next;
        }
        let tried = retried(self.attempts, self.elapsed)
            .map(|note| format!(" ({note})"))
            .unwrap_or_default();
        match self.kind() {
            NetworkErrorKind::Connect => write!(
                f,
                "could not connect to {url}: {cause}{tried}; nothing reached the API. Check the \
                 base URL (KATAPULT_API_URL) and that this machine can reach it"
            ),
            NetworkErrorKind::Timeout => write!(
                f,
                "no complete response from {url} within the {:?} timeout{tried}; the update may \
                 or may not have been applied: check the disk before retrying, or raise \
                 ClientBuilder::timeout (or CallOptions::timeout)",
                self.timeout
            ),
            NetworkErrorKind::Interrupted => write!(
                f,
                "the connection to {url} broke before a complete response ({cause}){tried}; the \
                 update may or may not have been applied: check the disk before retrying"
            ),
            NetworkErrorKind::CertificateRejected => write!(
                f,
                "the TLS certificate of {url} failed verification: {cause}{tried}; nothing \
                 reached the API, and the call was not retried, because every attempt would meet \
                 the same certificate. If a private CA (or a TLS-inspecting proxy) signs it, trust \
                 that CA: ClientBuilder::add_root_certificates_file (the CLI's --ca-file PATH), \
                 or ClientBuilder::platform_trust_store(true) when it is in the system's store"
            ),
            NetworkErrorKind::Other => write!(f, "the request to {url} failed: {cause}{tried}"),
        }
    }
}
