//! A mock Katapult for testing code that uses `katapult-core`, on loopback.
//!
//! Two levels:
//!
//! - [`MockServerExt`] (generated from the same OpenAPI fragment as the
//!   client): typed `when`/`then` for each operation, so a mock cannot
//!   drift from the API's types;
//! - [`KatapultMock`]: a ready-made server that keeps disks and tasks and
//!   answers Update disk and the operations around it (read, resize, I/O
//!   profile, attach and detach, assign and unassign, tasks) the way the
//!   real API does: with no account and no network.
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
//!
//! # Testing change logic offline
//!
//! Code that changes a disk in several steps (write, wait for the task,
//! read back) can be tested against [`KatapultMock`] as against Katapult:
//! the answer to a write shows the disk as it was, the change lands when
//! the task completes, and invalid transitions are refused with
//! Katapult's errors. Seed the disk the test starts from with
//! [`KatapultMock::put_disk`] (or let any id name a demo disk), take it
//! away mid-change with [`KatapultMock::remove_disk`], and check where it
//! ended with [`KatapultMock::disk`]; lose a write's answer with
//! [`KatapultMock::lose_answer`]. katapult-core's typed client talks to it
//! as to Katapult:
//!
//! ```
//! use std::time::Duration;
//!
//! use katapult_core::types::{DetachDiskBody, DiskArguments, DiskLookup, ErrorCode};
//! use katapult_core::types::{ResizeDiskBody, ResizeMethodEnum, TaskStatusEnum, UpdateDiskBody};
//! use katapult_core_httpmock::KatapultMock;
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), katapult_core::Error> {
//! let katapult = KatapultMock::builder()
//!     .task_duration(Duration::from_millis(50))
//!     .start()
//!     .await;
//! // The disk as the test needs it; keys left out read as `null`.
//! katapult.put_disk(json!({"id": "disk_1", "name": "data", "size_in_gb": 20, "state": "built"}));
//! let client = katapult_core::Client::builder()
//!     .token("test-token")
//!     .base_url(katapult.base_url())
//!     .build()?;
//! let disk = || DiskLookup { id: "disk_1".into() };
//!
//! // The answer to a resize shows the disk as it was...
//! let resize = ResizeDiskBody {
//!     disk: disk(),
//!     size_in_gb: 30,
//!     resize_method: Some(ResizeMethodEnum::Offline),
//! };
//! let answer = client.resize_disk(resize).await?.into_inner();
//! assert_eq!(answer.disk.size_in_gb, Some(20));
//! assert_eq!(answer.task.status, Some(TaskStatusEnum::Pending));
//!
//! // ...until its task completes.
//! let done = client.wait_for_task(&answer.task).deadline(Duration::from_secs(10)).await?;
//! assert_eq!(done.status, Some(TaskStatusEnum::Completed));
//! assert_eq!(client.get_disk("disk_1").await?.disk.size_in_gb, Some(30));
//!
//! // Refusals are Katapult's: this disk has no virtual machine to detach from.
//! let refused = client.detach_disk(DetachDiskBody { disk: disk() }).await.unwrap_err();
//! assert_eq!(refused.code(), Some(&ErrorCode::UnassignedDisk));
//!
//! // An update lands at once.
//! let rename = UpdateDiskBody {
//!     disk: disk(),
//!     properties: DiskArguments { name: Some("logs".into()), ..Default::default() },
//!     annotations: None,
//! };
//! assert_eq!(client.update_disk(rename).await?.disk.size_in_gb, Some(30));
//! assert_eq!(katapult.disk("disk_1").unwrap()["name"], "logs");
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

#[rustfmt::skip]
#[allow(missing_docs, clippy::all, clippy::pedantic)]
mod generated;

mod demo;
pub mod fixtures;
mod katapult_mock;
mod lost;
mod rate_limit;
mod routes;
mod state;
mod task;

pub use generated::{MockServerExt, operations};
pub use katapult_mock::{KatapultMock, KatapultMockBuilder};
pub use lost::LostAnswer;
pub use rate_limit::Answered;

/// The `httpmock` this crate is built on.
pub use httpmock;
