//! Trust: a loopback TLS server whose certificate a private CA signs
//! (tests/data/tls, see generate.sh there) is trusted once that CA is
//! added, from a file or from PEM bytes, and refused without it after
//! exactly one attempt; a CA file that is not PEM is a configuration error
//! naming the file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use katapult_core::{Client, ClientBuilder, ConfigError, Error, NetworkErrorKind};
use katapult_test_server::tls::TlsServer;

use crate::support::{TOKEN, bounded, fast_retries};

const LIMIT: Duration = Duration::from_secs(20);

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/tls")
        .join(name)
}

/// katapult-test-server's HTTPS server with the test certificate, which
/// the test CA signs.
fn tls_server() -> TlsServer {
    TlsServer::start_in_background(&data("server.pem"), &data("server.key"))
}

/// A client of `server` that does not yet trust its CA.
fn builder(server: &TlsServer) -> ClientBuilder {
    Client::builder()
        .token(TOKEN)
        .base_url(server.base_url())
        .retry(fast_retries())
        .timeout(Duration::from_secs(5))
}

/// The server answered over TLS: Katapult's 404, not a network error.
async fn answers(client: &Client) {
    let error = bounded(LIMIT, client.get_disk("d")).await.unwrap_err();
    assert!(error.is_not_found(), "{error}");
}

#[tokio::test]
async fn a_private_ca_added_from_a_file_is_trusted() {
    let server = tls_server();
    let client = builder(&server)
        .add_root_certificates_file(data("ca.pem"))
        .build()
        .unwrap();
    answers(&client).await;
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn a_private_ca_added_as_pem_bytes_is_trusted_also_with_the_platform_store() {
    let server = tls_server();
    let pem = std::fs::read(data("ca.pem")).unwrap();
    let client = builder(&server)
        .add_root_certificates_pem(&pem)
        .build()
        .unwrap();
    answers(&client).await;
    // The platform's verifier, with the CA added on top of its store.
    let client = builder(&server)
        .platform_trust_store(true)
        .add_root_certificates_pem(&pem)
        .build()
        .unwrap();
    answers(&client).await;
}

#[tokio::test]
async fn without_the_ca_the_certificate_is_refused_after_one_attempt() {
    let server = tls_server();
    // Five attempts allowed: a certificate that fails is still tried once.
    let client = builder(&server).build().unwrap();
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
    assert_eq!(server.connections(), 1);
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
