//! Which certificate authorities the client trusts, set on the builder
//! without building a reqwest client by hand: root certificates added to
//! the compiled-in set (a PEM file or PEM bytes), or the platform's trust
//! store. [`crate::tls`] applies the result to the TLS backend.

use std::path::PathBuf;

use crate::ClientBuilder;
use crate::error::ConfigError;

/// What the builder was told about trust. The default trusts Mozilla's
/// roots compiled into the crate (the `rustls` feature) or the platform's
/// (`native-tls`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Trust {
    /// Root certificates added to the default set, read at `build`.
    pub(crate) roots: Vec<Roots>,
    /// Verify with the platform's verifier and trust store instead of the
    /// compiled-in roots (the `rustls` feature; `native-tls` always does).
    pub(crate) platform: bool,
}

/// Root certificates in PEM, from a file or from memory.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Roots {
    File(PathBuf),
    Pem(Vec<u8>),
}

impl std::fmt::Debug for Roots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(path) => write!(f, "File({})", path.display()),
            Self::Pem(pem) => write!(f, "Pem({} bytes)", pem.len()),
        }
    }
}

impl Trust {
    /// Whether anything differs from the default.
    pub(crate) fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// Refuses trust settings that could not apply: with the caller's own
    /// `reqwest::Client`, whose TLS is its own, or in a build without TLS.
    pub(crate) fn check(&self, own_http_client: bool) -> Result<(), ConfigError> {
        if self.is_default() {
            return Ok(());
        }
        if own_http_client {
            return Err(ConfigError::InvalidSetting(
                "root certificates and platform_trust_store apply to the client katapult-core \
                 builds, not to one passed to ClientBuilder::http_client: configure that \
                 client's TLS instead (reqwest's tls_certs_merge), or drop http_client"
                    .to_owned(),
            ));
        }
        if !crate::tls::AVAILABLE {
            return Err(ConfigError::NoTls);
        }
        Ok(())
    }

    /// The added roots, each certificate in DER, checked to be one a
    /// verifier can use as a trust anchor. Errors name the file.
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    pub(crate) fn certificates(
        &self,
    ) -> Result<Vec<rustls_pki_types::CertificateDer<'static>>, ConfigError> {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject as _;

        let mut all = Vec::new();
        for roots in &self.roots {
            let (origin, path, pem) = match roots {
                Roots::File(path) => {
                    let pem =
                        std::fs::read(path).map_err(|error| ConfigError::RootCertificates {
                            origin: format!("the CA file {}", path.display()),
                            path: Some(path.clone()),
                            reason: format!("it cannot be read ({error})"),
                        })?;
                    (format!("the CA file {}", path.display()), Some(path), pem)
                }
                Roots::Pem(pem) => (
                    "the PEM given to ClientBuilder::add_root_certificates_pem".to_owned(),
                    None,
                    pem.clone(),
                ),
            };
            let refuse = |reason: String| ConfigError::RootCertificates {
                origin: origin.clone(),
                path: path.cloned(),
                reason,
            };
            let found: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
                .collect::<Result<_, _>>()
                .map_err(|error| refuse(format!("it is not valid PEM ({error})")))?;
            if found.is_empty() {
                return Err(refuse(
                    "it holds no PEM certificate (no -----BEGIN CERTIFICATE----- block)".to_owned(),
                ));
            }
            for certificate in &found {
                webpki_anchor(certificate).map_err(refuse)?;
            }
            all.extend(found);
        }
        Ok(all)
    }
}

/// Checks that a certificate can be a trust anchor (it parses as X.509).
#[cfg(any(feature = "rustls", feature = "native-tls"))]
fn webpki_anchor(certificate: &rustls_pki_types::CertificateDer<'_>) -> Result<(), String> {
    #[cfg(feature = "rustls")]
    {
        let mut store = rustls::RootCertStore::empty();
        store
            .add(certificate.clone())
            .map_err(|error| format!("a certificate in it cannot be used ({error})"))
    }
    #[cfg(not(feature = "rustls"))]
    {
        reqwest::Certificate::from_der(certificate.as_ref())
            .map(drop)
            .map_err(|error| format!("a certificate in it cannot be used ({error})"))
    }
}

/// Trust: private certificate authorities, and the platform's store.
impl ClientBuilder {
    /// Trusts the root certificates in this PEM file too (one or more
    /// `-----BEGIN CERTIFICATE-----` blocks): the CA of a private
    /// deployment, or of a TLS-inspecting proxy. They are added to the
    /// default set, not put in its place. The file is read by
    /// [`build`](Self::build), which fails with
    /// [`ConfigError::RootCertificates`], naming the file, when it cannot be
    /// read or holds no certificate; nothing is sent then.
    ///
    /// ```no_run
    /// let client = katapult_core::Client::builder()
    ///     .token("my-api-token")
    ///     .add_root_certificates_file("/etc/ssl/private-ca.pem")
    ///     .build()?;
    /// # let _ = client;
    /// # Ok::<(), katapult_core::Error>(())
    /// ```
    pub fn add_root_certificates_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.trust.roots.push(Roots::File(path.into()));
        self
    }

    /// Trusts the root certificates in this PEM text too, as
    /// [`add_root_certificates_file`](Self::add_root_certificates_file)
    /// does (for a CA kept in a secret store, or compiled in with
    /// `include_bytes!`).
    pub fn add_root_certificates_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.trust.roots.push(Roots::Pem(pem.as_ref().to_vec()));
        self
    }

    /// Verifies certificates with the platform's verifier and trust store
    /// (default `false`), so that CAs an administrator installed on the
    /// machine are trusted: the OS's verifier on Windows and macOS, and on
    /// Linux the system's CA bundle (`/etc/ssl/certs`, or `SSL_CERT_FILE`),
    /// through [rustls-platform-verifier](https://docs.rs/rustls-platform-verifier).
    /// Added root certificates still apply. With the `native-tls` feature
    /// the platform's store is always used, and this changes nothing.
    ///
    /// A machine with no CA bundle (a minimal container) then trusts
    /// nothing but the added roots; `build` fails if there are none.
    pub fn platform_trust_store(mut self, on: bool) -> Self {
        self.trust.platform = on;
        self
    }
}
