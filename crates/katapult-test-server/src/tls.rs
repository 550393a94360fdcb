//! An HTTPS server on 127.0.0.1 for the trust tests of katapult-core and
//! the CLI (feature `tls`): it serves the certificate chain and key it is
//! given, answers every request with Katapult's 404 `disk_not_found`, and
//! counts the connections it accepts, so a test can tell a certificate
//! refused after one attempt from one retried.
//!
//! It runs on a thread and a runtime of its own, so a `#[test]` and a
//! `#[tokio::test]` use it alike; dropping it stops it.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::oneshot;

/// A running HTTPS server; see the module docs.
pub struct TlsServer {
    base_url: String,
    connections: Arc<AtomicUsize>,
    stop: Option<oneshot::Sender<()>>,
}

impl TlsServer {
    /// Serves the chain in the PEM file `chain` with the key in `key`.
    /// Panics on files that are not what they should be: test data.
    pub fn start_in_background(chain: &Path, key: &Path) -> Self {
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(chain)
            .expect("the chain's PEM file")
            .collect::<Result<_, _>>()
            .expect("the chain's certificates");
        let key = PrivateKeyDer::from_pem_file(key).expect("the key's PEM file");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("the certificate and its key");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let base_url = format!("https://{}/core/v1", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("the TLS server's runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let accepting = async {
                    loop {
                        let Ok((stream, _)) = listener.accept().await else {
                            return;
                        };
                        counted.fetch_add(1, Ordering::SeqCst);
                        tokio::spawn(answer(acceptor.clone(), stream));
                    }
                };
                tokio::select! {
                    _ = accepting => {}
                    _ = stopped => {}
                }
            });
        });
        Self {
            base_url,
            connections,
            stop: Some(stop),
        }
    }

    /// `https://127.0.0.1:PORT/core/v1`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Connections accepted so far, handshakes that failed included.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// One connection: the handshake, one request read to the end of its head,
/// Katapult's 404. A client that does not trust the certificate ends the
/// handshake: the case under test, not a failure.
async fn answer(acceptor: tokio_rustls::TlsAcceptor, stream: tokio::net::TcpStream) {
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
    let body = crate::envelope(
        "disk_not_found",
        "No disk was found matching any of the criteria provided in the arguments",
        "{}",
    );
    let response = crate::katapult(404, &body, "req-tls");
    let _ = tls.write_all(&response).await;
    let _ = tls.shutdown().await;
}
