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
//! ended with [`KatapultMock::disk`]. Where `katapult-core` has no method
//! for an operation, send it raw with the `reqwest` it re-exports:
//!
//! ```
//! use std::time::Duration;
//!
//! use katapult_core::reqwest;
//! use katapult_core::types::{DiskArguments, DiskLookup, UpdateDiskBody};
//! use katapult_core_httpmock::KatapultMock;
//! use serde_json::{Value, json};
//!
//! type Failure = Box<dyn std::error::Error>;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Failure> {
//! let katapult = KatapultMock::builder()
//!     .task_duration(Duration::from_millis(50))
//!     .start()
//!     .await;
//! // The disk as the test needs it; keys left out read as `null`.
//! katapult.put_disk(json!({"id": "disk_1", "name": "data", "size_in_gb": 20, "state": "built"}));
//!
//! // With katapult-core's `rustls` feature, a reqwest client of your own
//! // needs a crypto provider (katapult_core::Client brings its own).
//! let _ = rustls::crypto::ring::default_provider().install_default();
//! let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?;
//! let base = katapult.base_url();
//! let send = async |request: reqwest::RequestBuilder| -> Result<Value, Failure> {
//!     let answer = request.bearer_auth("test-token").send().await?;
//!     Ok(serde_json::from_slice(&answer.bytes().await?)?)
//! };
//!
//! // The answer to a resize shows the disk as it was...
//! let resize = json!({"disk": {"id": "disk_1"}, "size_in_gb": 30});
//! let answer = send(http.put(format!("{base}/disks/disk/resize")).body(resize.to_string())).await?;
//! assert_eq!(answer["disk"]["size_in_gb"], 20);
//! assert_eq!(answer["task"]["status"], "pending");
//!
//! // ...until its task completes (polled here at most 5 s).
//! let task = format!("{base}/tasks/task?task%5Bid%5D={}", answer["task"]["id"].as_str().unwrap());
//! for _ in 0..500 {
//!     if send(http.get(&task)).await?["task"]["status"] == "completed" {
//!         break;
//!     }
//!     tokio::time::sleep(Duration::from_millis(10)).await;
//! }
//! let read = send(http.get(format!("{base}/disks/disk?disk%5Bid%5D=disk_1"))).await?;
//! assert_eq!(read["disk"]["size_in_gb"], 30);
//!
//! // Refusals are Katapult's: this disk has no virtual machine to detach from.
//! let detach = json!({"disk": {"id": "disk_1"}});
//! let refused = send(http.post(format!("{base}/disks/disk/detach")).body(detach.to_string())).await?;
//! assert_eq!(refused["error"]["code"], "unassigned_disk");
//!
//! // The typed client sees the same disks; an update lands at once.
//! let client = katapult_core::Client::builder().token("t").base_url(base).build()?;
//! let rename = UpdateDiskBody {
//!     disk: DiskLookup { id: "disk_1".into() },
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
