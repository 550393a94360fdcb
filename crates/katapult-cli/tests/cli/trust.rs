//! `--ca-file` end to end: the binary against a loopback HTTPS server whose
//! certificate a private CA signs (katapult-core's test PKI,
//! crates/katapult-core/tests/data/tls). Without the CA the certificate is
//! refused after one connection, exit 3, with the fix named; with
//! `--ca-file` the server's answer comes through.

use std::path::{Path, PathBuf};

use katapult_test_server::tls::TlsServer;

use crate::support::Home;

fn tls_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../katapult-core/tests/data/tls")
        .join(name)
}

/// katapult-test-server's HTTPS server with katapult-core's test
/// certificate, which the test CA signs.
fn tls_server() -> TlsServer {
    TlsServer::start_in_background(&tls_data("server.pem"), &tls_data("server.key"))
}

#[test]
fn without_the_ca_the_certificate_is_refused_once_and_the_fix_named() {
    let home = Home::new("tls-refused");
    let server = tls_server();
    let run = home
        .katapult()
        .env("KATAPULT_API_TOKEN", "t")
        .env("KATAPULT_API_URL", server.base_url())
        .args(["disk", "get", "--disk-id", "d"])
        .run();
    run.exits(3);
    for part in ["failed verification", "not retried", "--ca-file PATH"] {
        assert!(run.stderr.contains(part), "{part}: {run:?}");
    }
    assert_eq!(server.connections(), 1, "{run:?}");
}

#[test]
fn with_ca_file_the_private_ca_is_trusted() {
    let home = Home::new("tls-trusted");
    let server = tls_server();
    let run = home
        .katapult()
        .env("KATAPULT_API_TOKEN", "t")
        .env("KATAPULT_API_URL", server.base_url())
        .args(["disk", "get", "--disk-id", "d", "--ca-file"])
        .arg(tls_data("ca.pem"))
        .run();
    // Katapult's 404 came through TLS: a refusal (exit 1), not a transport
    // failure (exit 3).
    run.exits(1);
    assert!(run.stderr.contains("disk_not_found"), "{run:?}");
    assert!(run.stderr.contains("req-tls"), "{run:?}");
}
