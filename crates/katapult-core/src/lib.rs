#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

// The seam: these two modules are written by `cargo xtask codegen` and never
// edited by hand. rustfmt and the lints below leave them as generated.
#[rustfmt::skip]
#[allow(missing_docs, dead_code, unused_imports, clippy::all, clippy::pedantic)]
mod generated;
#[rustfmt::skip]
mod generated_open_enums;
#[rustfmt::skip]
mod generated_methods;

mod api_error;
mod attempts;
mod body;
mod bulk;
mod call;
mod change;
mod client;
mod config;
mod error;
mod governor;
mod open_enum;
mod response;
mod retry;
mod settings;
mod tls;

/// Request and response types, generated from the OpenAPI fragment.
///
/// Every struct has a typed builder (`DiskArguments::builder()`), and every
/// struct whose fields are all optional implements `Default`. Lookups whose
/// fields are mutually exclusive are enums, so a request cannot name two.
pub mod types {
    pub use crate::generated::types::*;
    pub use crate::generated_open_enums::*;
}

pub use api_error::{ApiError, ErrorBody};
pub use bulk::{BulkOptions, BulkResult, BulkUpdates, Progress};
pub use change::{
    ChangeLineError, ChangePlan, ChangeStep, DiskChange, DiskOperation, DiskProperty, PlanEntry,
    PlanRefusal, PropertyMismatch, RefusalKind, ResizeMethod, StepAction, StepReadiness,
    TaskPollSchedule, TaskReading, VirtualMachineChange,
};
pub use client::Client;
pub use config::{
    BASE_URL_ENV, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, TOKEN_ENV, http_client_builder,
};
pub use error::{
    ConfigError, Error, InternalError, InvalidResponse, NetworkError, NetworkErrorKind,
    RateLimited, ResponseProblem,
};
pub use response::{RateLimit, Response, ResponseMeta};
pub use retry::{Backoff, RetryCause, RetryPolicy};

/// The `reqwest` this crate is built on, for [`ClientBuilder::http_client`].
/// Start a client of your own from [`http_client_builder`], which configures
/// TLS: `reqwest::Client::new()` alone has no crypto provider in this build.
pub use reqwest;

/// The `schemars` every generated type implements `JsonSchema` with: the
/// JSON Schema of a request body, for editors and validators of the JSON
/// and JSON Lines files a batch job (or `katapult disk update --json-body`
/// and `--from`) reads.
///
/// ```
/// use katapult_core::{schemars, types::UpdateDiskBody};
///
/// let schema = schemars::schema_for!(UpdateDiskBody);
/// let json = serde_json::to_value(&schema).unwrap();
/// assert_eq!(json["required"], serde_json::json!(["disk", "properties"]));
/// ```
pub use schemars;

#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
