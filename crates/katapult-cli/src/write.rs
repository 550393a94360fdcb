//! The raw writes: `disk resize`, `io-profile`, `attach`, `detach`,
//! `assign` and `unassign`, one operation each, from its generated flags or
//! `--json-body`. A write prints its answer (the disk as it was, and the
//! task for the writes that take time) and does not wait for the task:
//! `task wait` does, and `disk change` plans, waits and verifies.

use katapult_core::types::{
    AssignDiskBody, AttachDiskBody, ChangeDiskIoProfileBody, DetachDiskBody, ResizeDiskBody,
    UnassignDiskBody,
};
use katapult_core::{Client, Error, PreparedRequest};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::cli::{Connection, WriteParts};
use crate::exit::{Exit, Failure};
use crate::session::{self, Purpose};
use crate::update::print;
use crate::{dry_run, output, request};

/// One write's request body, typed.
#[derive(Debug)]
pub enum WriteBody {
    /// `resize_disk`.
    Resize(ResizeDiskBody),
    /// `change_disk_io_profile`.
    IoProfile(ChangeDiskIoProfileBody),
    /// `attach_disk`.
    Attach(AttachDiskBody),
    /// `detach_disk`.
    Detach(DetachDiskBody),
    /// `assign_disk`.
    Assign(AssignDiskBody),
    /// `unassign_disk`.
    Unassign(UnassignDiskBody),
}

impl WriteBody {
    /// The request, built and not sent.
    fn prepare(&self, client: &Client) -> Result<PreparedRequest, Error> {
        match self {
            Self::Resize(body) => client.prepare_resize_disk(body),
            Self::IoProfile(body) => client.prepare_change_disk_io_profile(body),
            Self::Attach(body) => client.prepare_attach_disk(body),
            Self::Detach(body) => client.prepare_detach_disk(body),
            Self::Assign(body) => client.prepare_assign_disk(body),
            Self::Unassign(body) => client.prepare_unassign_disk(body),
        }
    }

    /// Sends it; the answer's body as received.
    async fn send(self, client: &Client) -> Result<String, Failure> {
        Ok(match self {
            Self::Resize(body) => output::json(&client.resize_disk(body).await?)?,
            Self::IoProfile(body) => output::json(&client.change_disk_io_profile(body).await?)?,
            Self::Attach(body) => output::json(&client.attach_disk(body).await?)?,
            Self::Detach(body) => output::json(&client.detach_disk(body).await?)?,
            Self::Assign(body) => output::json(&client.assign_disk(body).await?)?,
            Self::Unassign(body) => output::json(&client.unassign_disk(body).await?)?,
        })
    }

    /// What the request type accepts and Katapult does not: a size that
    /// is not a positive number of GB.
    fn refusal(&self) -> Option<String> {
        match self {
            Self::Resize(body) if body.size_in_gb < 1 => Some(format!(
                "size_in_gb must be a positive whole number of GB, not {}",
                body.size_in_gb
            )),
            _ => None,
        }
    }
}

/// The typed body from the flags or `--json-body`, checked against the
/// request type `B` as `disk update`'s is ([`request::check`]).
pub fn body<B: DeserializeOwned + Serialize>(
    parts: &WriteParts,
    wrap: fn(B) -> WriteBody,
) -> Result<WriteBody, Failure> {
    let body = match &parts.json_body {
        Some(path) => {
            let text = request::read_input(path, "--json-body")?;
            request::parse(&text).map_err(|problem| {
                Failure::usage(format!(
                    "--json-body {}: {problem}; nothing was sent",
                    path.display()
                ))
            })?
        }
        None => request::check(parts.flags.clone()).map_err(|problem| {
            Failure::usage(format!(
                "the flags do not make a request that can be sent: {problem}; nothing was sent"
            ))
        })?,
    };
    let body = wrap(body);
    match body.refusal() {
        Some(problem) => Err(Failure::usage(format!("{problem}; nothing was sent"))),
        None => Ok(body),
    }
}

/// Runs one write: the body is checked first (a mistake in it is reported
/// before any credential is looked at), then shown (`--dry-run`) or sent.
pub async fn run<B: DeserializeOwned + Serialize>(
    connection: &Connection,
    parts: WriteParts,
    wrap: fn(B) -> WriteBody,
) -> Result<Exit, Failure> {
    let body = body(&parts, wrap)?;
    if parts.dry_run {
        let session = session::open(connection, Purpose::Show).await?;
        let text = format!("{}\n", body.prepare(&session.client)?);
        return dry_run::show(&text, session.has_token);
    }
    let session = session::open(connection, Purpose::Send).await?;
    let text = body.send(&session.client).await?;
    print(&format!("{text}\n")).map_err(Failure::output)?;
    Ok(Exit::Success)
}
