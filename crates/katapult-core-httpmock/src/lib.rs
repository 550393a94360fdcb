//! A mock Katapult for testing code that uses `katapult-core`, on loopback.
//!
//! Two levels:
//!
//! - [`MockServerExt`] (generated from the same OpenAPI fragment as the
//!   client): typed `when`/`then` for each operation, so a mock cannot
//!   drift from the API's types;
//! - [`KatapultMock`]: a ready-made server answering `PATCH /disks/disk`
//!   the way the real API does, for a round trip with no account and no
//!   network.
//!
//! ```
//! use katapult_core::types::{DiskArguments, DiskLookup, UpdateDiskBody};
//! use katapult_core_httpmock::{KatapultMock, MockServerExt, fixtures, httpmock::MockServer};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), katapult_core::Error> {
//! // Typed expectations:
//! let server = MockServer::start_async().await;
//! let mock = server.update_disk(|when, then| {
//!     when.body(&UpdateDiskBody {
//!         disk: DiskLookup { id: "disk_1".into() },
//!         properties: DiskArguments { name: Some("logs".into()), ..Default::default() },
//!         annotations: None,
//!     });
//!     then.ok(&fixtures::update_disk_response("disk_1"));
//! });
//! let client = katapult_core::Client::builder()
//!     .token("test-token")
//!     .base_url(server.base_url())
//!     .build()?;
//! let body = UpdateDiskBody {
//!     disk: DiskLookup { id: "disk_1".into() },
//!     properties: DiskArguments { name: Some("logs".into()), ..Default::default() },
//!     annotations: None,
//! };
//! client.update_disk(body).await?;
//! mock.assert_async().await;
//!
//! // Or a server that behaves like Katapult:
//! let katapult = KatapultMock::start().await;
//! let client = katapult_core::Client::builder().token("t").base_url(katapult.base_url()).build()?;
//! # let _ = client;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

#[rustfmt::skip]
#[allow(missing_docs, clippy::all, clippy::pedantic)]
mod generated;

mod demo;
pub mod fixtures;
mod katapult_mock;
mod routes;
mod state;
mod task;

pub use generated::{MockServerExt, operations};
pub use katapult_mock::{KatapultMock, KatapultMockBuilder};

/// The `httpmock` this crate is built on.
pub use httpmock;
