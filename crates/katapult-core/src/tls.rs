//! TLS for the client the builder makes (a caller's own `reqwest::Client`
//! brings its own), with the trust the builder was given
//! ([`crate::trust`]); and recognising a certificate that failed
//! verification, which no retry can change.
//!
//! Default (`rustls` feature): rustls with the `ring` provider and Mozilla's
//! root certificates compiled in (webpki-roots), plus any roots added with
//! [`crate::ClientBuilder::add_root_certificates_file`]. Nothing to install,
//! no OpenSSL, no dependence on the machine's CA bundle, which minimal
//! container images lack. With
//! [`platform_trust_store`](crate::ClientBuilder::platform_trust_store), the
//! platform's verifier and store (rustls-platform-verifier) instead.
//!
//! `native-tls` feature: the platform's TLS library and trust store, plus
//! the added roots. When it is enabled it is used, even if `rustls` is
//! enabled too.

use crate::error::ConfigError;
use crate::trust::Trust;

/// Whether this build can speak https at all.
pub(crate) const AVAILABLE: bool = cfg!(any(feature = "rustls", feature = "native-tls"));

#[cfg(feature = "native-tls")]
pub(crate) fn configure(
    builder: reqwest::ClientBuilder,
    trust: &Trust,
) -> Result<reqwest::ClientBuilder, ConfigError> {
    let mut roots = Vec::new();
    for certificate in trust.certificates()? {
        roots.push(
            reqwest::Certificate::from_der(certificate.as_ref())
                .map_err(|error| ConfigError::HttpClient(format!("TLS setup failed: {error}")))?,
        );
    }
    Ok(builder.tls_backend_native().tls_certs_merge(roots))
}

#[cfg(all(feature = "rustls", not(feature = "native-tls")))]
pub(crate) fn configure(
    builder: reqwest::ClientBuilder,
    trust: &Trust,
) -> Result<reqwest::ClientBuilder, ConfigError> {
    use std::sync::Arc;

    let added = trust.certificates()?;
    let failed =
        |error: rustls::Error| ConfigError::HttpClient(format!("TLS setup failed: {error}"));
    // An explicit provider rather than the process-wide default: a library
    // must not install global state its caller might set differently.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(failed)?;
    let mut config = if trust.platform {
        let verifier = platform_verifier(added, provider).map_err(|error| {
            ConfigError::HttpClient(format!(
                "the platform's trust store could not be used ({error}); add your CA with \
                 ClientBuilder::add_root_certificates_file, or leave platform_trust_store off"
            ))
        })?;
        versions
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth()
    } else {
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        for certificate in added {
            roots.add(certificate).map_err(failed)?;
        }
        versions.with_root_certificates(roots).with_no_client_auth()
    };
    // reqwest is built without HTTP/2 here; say so during the handshake.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(builder.tls_backend_preconfigured(config))
}

#[cfg(all(feature = "rustls", not(feature = "native-tls")))]
fn platform_verifier(
    added: Vec<rustls_pki_types::CertificateDer<'static>>,
    provider: std::sync::Arc<rustls::crypto::CryptoProvider>,
) -> Result<rustls_platform_verifier::Verifier, rustls::Error> {
    if added.is_empty() {
        return rustls_platform_verifier::Verifier::new(provider);
    }
    #[cfg(not(target_os = "android"))]
    return rustls_platform_verifier::Verifier::new_with_extra_roots(added, provider);
    #[cfg(target_os = "android")]
    Err(rustls::Error::General(
        "Android's verifier takes no added roots".to_owned(),
    ))
}

#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
pub(crate) fn configure(
    builder: reqwest::ClientBuilder,
    _: &Trust,
) -> Result<reqwest::ClientBuilder, ConfigError> {
    // `ClientBuilder::build` refuses https:// URLs, and any trust settings,
    // in this configuration before getting here; http:// to loopback still
    // works.
    Ok(builder)
}

/// Whether a request failed because the server's certificate did not
/// verify: an unknown issuer, an expired certificate, a wrong name. The
/// handshake's answer is the same on every attempt.
///
/// Recognised for rustls, whose error is typed. Under `native-tls` the
/// platform library's error is not, and such a failure is reported as a
/// failed connection (and retried as one).
pub(crate) fn is_certificate_rejection(error: &reqwest::Error) -> bool {
    #[cfg(all(feature = "rustls", not(feature = "native-tls")))]
    {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(current) = cause {
            if let Some(rustls::Error::InvalidCertificate(_)) =
                current.downcast_ref::<rustls::Error>()
            {
                return true;
            }
            // tokio-rustls reports the handshake's error inside an io::Error
            // (itself inside another), whose `source` skips the error it
            // wraps: step into it instead.
            cause = match current
                .downcast_ref::<std::io::Error>()
                .and_then(std::io::Error::get_ref)
            {
                Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
                None => current.source(),
            };
        }
        false
    }
    #[cfg(not(all(feature = "rustls", not(feature = "native-tls"))))]
    {
        let _ = error;
        false
    }
}
