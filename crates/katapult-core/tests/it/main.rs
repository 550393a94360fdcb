//! katapult-core's integration tests, in one binary: each test binary is a
//! link of the whole dependency tree, and on a 2-core machine the links are
//! what `cargo test` spends its time on. `tests/load.rs` is apart because it
//! counts the process's file descriptors, which tests running beside it
//! would change.
//!
//! Every network test binds to 127.0.0.1 and is bounded in time
//! (`support::bounded`).

mod bench_tables;
mod bulk;
mod change;
mod client;
mod credentials;
mod example;
mod faults;
mod governor;
mod heap;
mod hooks;
mod options;
mod promises;
mod properties;
mod reconcile;
mod secrets;
mod support;
mod token;
mod traces;
mod trust;
mod wire;
