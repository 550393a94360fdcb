//! TLS for the client the builder makes (a caller's own `reqwest::Client`
//! brings its own).
//!
//! Default (`rustls` feature): rustls with the `ring` provider and Mozilla's
//! root certificates compiled in (webpki-roots). Nothing to install, no
//! OpenSSL, no dependence on the machine's CA bundle, which minimal container
//! images lack. It does not see CAs added to the system store; for those
//! (a corporate proxy, say) use the `native-tls` feature or pass your own
//! client to [`crate::ClientBuilder::http_client`].
//!
//! `native-tls` feature: the platform's TLS library and trust store. When it
//! is enabled it is used, even if `rustls` is enabled too.

use crate::error::ConfigError;

/// Whether this build can speak https at all.
pub(crate) const AVAILABLE: bool = cfg!(any(feature = "rustls", feature = "native-tls"));

#[cfg(feature = "native-tls")]
pub(crate) fn configure(
    builder: reqwest::ClientBuilder,
) -> Result<reqwest::ClientBuilder, ConfigError> {
    Ok(builder.tls_backend_native())
}

#[cfg(all(feature = "rustls", not(feature = "native-tls")))]
pub(crate) fn configure(
    builder: reqwest::ClientBuilder,
) -> Result<reqwest::ClientBuilder, ConfigError> {
    use std::sync::Arc;

    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    // An explicit provider rather than the process-wide default: a library
    // must not install global state its caller might set differently.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| ConfigError::HttpClient(format!("TLS setup failed: {error}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    // reqwest is built without HTTP/2 here; say so during the handshake.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(builder.tls_backend_preconfigured(config))
}

#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
pub(crate) fn configure(
    builder: reqwest::ClientBuilder,
) -> Result<reqwest::ClientBuilder, ConfigError> {
    // `ClientBuilder::build` refuses https:// URLs in this configuration
    // before getting here; http:// to loopback still works.
    Ok(builder)
}
