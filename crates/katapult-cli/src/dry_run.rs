//! `--dry-run`: the exact request an update would send, printed instead of
//! sent.
//!
//! katapult-core builds it ([`Client::prepare_update_disk`]) by the same
//! code that builds the request it sends, from a client configured like
//! the real one (so the base URL is checked and joined exactly as it is
//! for a real call). A test sends the same request to a loopback server and
//! compares it with this output, so the two cannot drift apart unnoticed.

use katapult_core::types::UpdateDiskBody;
use katapult_core::{Client, Error};

use crate::exit::{Exit, Failure};
use crate::update::print;

/// The request, as text: request line, headers sorted by name (the token
/// shown as `Bearer <redacted>`), a blank line, and the body exactly as it
/// would be sent.
pub fn render(client: &Client, body: &UpdateDiskBody) -> Result<String, Error> {
    Ok(format!("{}\n", client.prepare_update_disk(body)?))
}

/// Prints a rendered request on stdout, with a note on stderr when no
/// token is configured (sending it would need one).
pub fn show(text: &str, has_token: bool) -> Result<Exit, Failure> {
    print(text)
        .map_err(|error| Failure::usage(format!("cannot write the request to stdout: {error}")))?;
    if !has_token {
        eprintln!(
            "note: no API token is configured; sending this request needs one \
             (run without --dry-run to see the ways to give it)"
        );
    }
    Ok(Exit::Success)
}
