//! `katapult` as a black box: the built binary, run against the mock
//! Katapult (`--mock`) and a scripted server on 127.0.0.1, every run
//! bounded in time.

mod bulk;
mod change;
mod credentials;
mod dry_run;
mod exit_codes;
mod help;
mod read;
mod support;
mod trust;
mod update;
mod write;
