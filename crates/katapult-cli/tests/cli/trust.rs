//! `--ca-file` end to end: the binary against a loopback HTTPS server whose
//! certificate a private CA signs (katapult-core's test PKI,
//! crates/katapult-core/tests/data/tls). Without the CA the certificate is
//! refused after one connection, exit 3, with the fix named; with
//! `--ca-file` the server's answer comes through.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::support::Home;

fn tls_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../katapult-core/tests/data/tls")
        .join(name)
}

/// An HTTPS server on 127.0.0.1, on a runtime of its own, that answers
/// every request with Katapult's 404 `disk_not_found` and counts the
/// connections it accepts.
struct TlsServer {
    base_url: String,
    connections: Arc<AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

impl TlsServer {
    fn start() -> Self {
        use rustls_pki_types::pem::PemObject as _;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};

        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(tls_data("server.pem"))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
        let key = PrivateKeyDer::from_pem_file(tls_data("server.key")).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let base_url = format!("https://{}/core/v1", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                counted.fetch_add(1, Ordering::SeqCst);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A client that does not trust the certificate ends the
                    // handshake: the case under test, not a failure.
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
                         x-request-id: req-tls\r\ncontent-length: {}\r\n\
                         connection: close\r\n\r\n{body}",
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
            _runtime: runtime,
        }
    }
}

#[test]
fn without_the_ca_the_certificate_is_refused_once_and_the_fix_named() {
    let home = Home::new("tls-refused");
    let server = TlsServer::start();
    let run = home
        .katapult()
        .env("KATAPULT_API_TOKEN", "t")
        .env("KATAPULT_API_URL", &server.base_url)
        .args(["disk", "get", "--disk-id", "d"])
        .run();
    run.exits(3);
    for part in ["failed verification", "not retried", "--ca-file PATH"] {
        assert!(run.stderr.contains(part), "{part}: {run:?}");
    }
    assert_eq!(server.connections.load(Ordering::SeqCst), 1, "{run:?}");
}

#[test]
fn with_ca_file_the_private_ca_is_trusted() {
    let home = Home::new("tls-trusted");
    let server = TlsServer::start();
    let run = home
        .katapult()
        .env("KATAPULT_API_TOKEN", "t")
        .env("KATAPULT_API_URL", &server.base_url)
        .args(["disk", "get", "--disk-id", "d", "--ca-file"])
        .arg(tls_data("ca.pem"))
        .run();
    // Katapult's 404 came through TLS: a refusal (exit 1), not a transport
    // failure (exit 3).
    run.exits(1);
    assert!(run.stderr.contains("disk_not_found"), "{run:?}");
    assert!(run.stderr.contains("req-tls"), "{run:?}");
}
