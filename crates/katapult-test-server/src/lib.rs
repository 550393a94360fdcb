//! The loopback HTTP/1.1 server every test suite and benchmark of this
//! workspace runs against, scripted per test.
//!
//! A [`Server`] binds 127.0.0.1 on a free port, reads each request in full,
//! records it, and asks the test's script what to do with it: the script
//! gets the request and its number (1-based, across connections) and
//! returns a [`Reply`], which is exactly the bytes to send and what to do
//! with the connection after. [`Server::start`] serves on the test's own
//! tokio runtime, [`Server::start_in_background`] on threads of its own.
//! Everything it can do is bounded in time: a connection that makes no
//! progress for [`IDLE_LIMIT`] is closed, and dropping the server closes all
//! of them.
//!
//! What the scripts build from:
//!
//! - [`response`], [`head`], [`overridden`]: well-formed responses, the
//!   head alone (to follow with a trickle, a flood, a cut-off body), a
//!   header changed or removed; [`Reply::After`] holds any reply back;
//! - [`katapult`], [`envelope`], [`disk_id`]: Katapult's headers, its error
//!   envelope, the disk an update names;
//! - [`windows::FixedWindows`]: Katapult's fixed-window rate limit, with
//!   `Date` in a clock that may be skewed;
//! - [`tasks::TaskBoard`]: Katapult's tasks, each following a
//!   [`task_traces::TaskTrace`] (durations and a progress curve) on the
//!   real clock, read with `GET /tasks/task`;
//! - `tls::TlsServer` (feature `tls`): an HTTPS server with a given
//!   certificate, for the trust tests.
//!
//! ```
//! use std::io::{Read, Write};
//! use std::time::Duration;
//!
//! use katapult_test_server::{Reply, Server, katapult};
//!
//! // The first request gets a 429, every later one a 200.
//! let server = Server::start_in_background(|request, n| match n {
//!     1 => Reply::KeepAlive(katapult(429, "{}", "req-1")),
//!     _ => Reply::Close(katapult(200, request.body(), "req-2")),
//! });
//! let address = server.base_url().trim_start_matches("http://").to_owned();
//! let mut connection = std::net::TcpStream::connect(address).unwrap();
//! connection.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
//! for _ in 0..2 {
//!     connection
//!         .write_all(b"PATCH /disks/disk HTTP/1.1\r\ncontent-length: 2\r\n\r\n{}")
//!         .unwrap();
//! }
//! let mut answers = String::new();
//! connection.read_to_string(&mut answers).unwrap();
//! assert!(answers.starts_with("HTTP/1.1 429 Too Many Requests\r\n"));
//! assert!(answers.contains("HTTP/1.1 200 OK\r\n"));
//! assert_eq!(server.hits(), 2);
//! assert_eq!(server.requests()[1].target(), "/disks/disk");
//! ```

mod katapult;
mod on_runtime;
mod on_threads;
mod response;
mod server;
pub mod task_traces;
pub mod tasks;
#[cfg(feature = "tls")]
pub mod tls;
pub mod windows;

pub use katapult::{disk_id, envelope, katapult};
pub use response::{head, http_date, http_date_now, overridden, response, unix_now};
pub use server::{IDLE_LIMIT, Reply, Request, Server, Written, closed_port};
