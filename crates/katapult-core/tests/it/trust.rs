//! Trust: a loopback TLS server whose certificate a private CA signs
//! (tests/data/tls, see generate.sh there) is trusted once that CA is
//! added, from a file or from PEM bytes, and refused without it after
//! exactly one attempt; a CA file that is not PEM is a configuration error
//! naming the file.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use katapult_core::{Client, ClientBuilder, ConfigError, Error, NetworkErrorKind};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

use crate::support::{TOKEN, bounded, fast_retries};

const LIMIT: Duration = Duration::from_secs(20);

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/tls")
        .join(name)
}

/// An HTTPS server on 127.0.0.1 that answers every request 404
/// `disk_not_found`, and counts the connections it accepts.
struct TlsServer {
    base_url: String,
    connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl TlsServer {
    async fn start() -> Self {
        use rustls_pki_types::pem::PemObject as _;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};

        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(data("server.pem"))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(data("server.key")).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("https://{}/core/v1", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                counted.fetch_add(1, Ordering::SeqCst);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A client that does not trust the certificate ends the
                    // handshake; that is the case under test, not a failure.
                    let Ok(mut tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    let mut request = Vec::new();
                    let mut buffer = [0u8; 4096];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tls.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buffer[..n]),
                        }
                    }
                    let body = r#"{"error":{"code":"disk_not_found","description":"No disk was found matching any of the criteria provided in the arguments","detail":{}}}"#;
                    let response = format!(
                        "HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = tls.write_all(response.as_bytes()).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        Self {
            base_url,
            connections,
            task,
        }
    }

    fn builder(&self) -> ClientBuilder {
        Client::builder()
            .token(TOKEN)
            .base_url(&self.base_url)
            .retry(fast_retries())
            .timeout(Duration::from_secs(5))
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The server answered over TLS: Katapult's 404, not a network error.
async fn answers(client: &Client) {
    let error = bounded(LIMIT, client.get_disk("d")).await.unwrap_err();
    assert!(error.is_not_found(), "{error}");
}

#[tokio::test]
async fn a_private_ca_added_from_a_file_is_trusted() {
    let server = TlsServer::start().await;
    let client = server
        .builder()
        .add_root_certificates_file(data("ca.pem"))
        .build()
        .unwrap();
    answers(&client).await;
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_private_ca_added_as_pem_bytes_is_trusted_also_with_the_platform_store() {
    let server = TlsServer::start().await;
    let pem = std::fs::read(data("ca.pem")).unwrap();
    let client = server
        .builder()
        .add_root_certificates_pem(&pem)
        .build()
        .unwrap();
    answers(&client).await;
    // The platform's verifier, with the CA added on top of its store.
    let client = server
        .builder()
        .platform_trust_store(true)
        .add_root_certificates_pem(&pem)
        .build()
        .unwrap();
    answers(&client).await;
}

#[tokio::test]
async fn without_the_ca_the_certificate_is_refused_after_one_attempt() {
    let server = TlsServer::start().await;
    // Five attempts allowed: a certificate that fails is still tried once.
    let client = server.builder().build().unwrap();
    let error = bounded(LIMIT, client.get_disk("d")).await.unwrap_err();
    let Error::Network(network) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(
        network.kind(),
        NetworkErrorKind::CertificateRejected,
        "{error}"
    );
    assert_eq!(network.attempts(), 1, "{error}");
    assert!(!error.is_retryable());
    let message = error.to_string();
    for part in [
        "failed verification",
        "not retried",
        "add_root_certificates_file",
        "--ca-file PATH",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
    // Every connection the client made was accepted before it returned.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
}

#[test]
fn a_ca_file_that_is_not_pem_is_a_configuration_error_naming_it() {
    for name in ["not-pem.txt", "absent.pem", "server.key"] {
        let path = data(name);
        let error = Client::builder()
            .token(TOKEN)
            .add_root_certificates_file(&path)
            .build()
            .unwrap_err();
        match &error {
            Error::Config(ConfigError::RootCertificates { path: Some(at), .. }) => {
                assert_eq!(at, &path);
            }
            other => panic!("{name}: {other:?}"),
        }
        let message = error.to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("nothing was sent"), "{message}");
    }
    let error = Client::builder()
        .token(TOKEN)
        .add_root_certificates_pem("not a certificate")
        .build()
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Config(ConfigError::RootCertificates { path: None, .. })
        ),
        "{error:?}"
    );
}

#[test]
fn trust_settings_are_refused_with_a_client_of_your_own() {
    let http = ClientBuilder::http_client_builder()
        .unwrap()
        .build()
        .unwrap();
    let error = Client::builder()
        .token(TOKEN)
        .http_client(http)
        .add_root_certificates_file(data("ca.pem"))
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("http_client"), "{error}");
}
