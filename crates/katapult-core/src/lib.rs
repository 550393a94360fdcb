#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

// The seam: these three modules are written by `cargo xtask codegen` and
// never edited by hand, so rustfmt leaves them as generated. progenitor's
// types also carry what this crate does not use (builders' plumbing,
// imports), which its lints would report.
#[rustfmt::skip]
#[allow(missing_docs, dead_code, unused_imports, clippy::all, clippy::pedantic)]
mod generated;
#[rustfmt::skip]
mod generated_open_enums;
#[rustfmt::skip]
mod generated_methods;

mod api_error;
mod bulk;
mod call;
mod change;
mod client;
mod config;
pub mod credentials;
mod error;
mod governor;
mod hooks;
mod open_enum;
mod options;
mod prepared;
mod request_body;
mod response;
mod retry;
mod settings;
mod task;
mod tls;
mod token;
mod trust;

/// Request and response types, generated from the OpenAPI fragment.
///
/// Every struct has a typed builder (`DiskArguments::builder()`), and every
/// struct whose fields are all optional implements `Default`. Lookups whose
/// fields are mutually exclusive are enums, so a request cannot name two.
pub mod types {
    // Named one by one: the generated module also holds its own plumbing,
    // `ErrorEnvelope` (the wire's wrapper around an error, which `ApiError`
    // unwraps) and `error::ConversionError` (the builders' failure). A test
    // below fails when a generated type is neither listed here nor named as
    // plumbing.
    pub use crate::generated::types::{
        ArgumentDescription, AssignDiskBody, AssignDiskResponse, AttachDiskBody,
        AttachDiskResponse, Attachment, ChangeDiskIoProfileBody, ChangeDiskIoProfileResponse,
        DataCenter, DataCenterLookup, DetachDiskBody, DetachDiskResponse, Disk, DiskArguments,
        DiskBusArgument, DiskInstallation, DiskInstallationAttribute, DiskIoProfile,
        DiskIoProfileLookup, DiskLookup, DiskTemplate, DiskTemplateVersion, FileSystemEnum,
        GetDiskResponse, GetTaskResponse, InvalidApiToken, InvalidArgument, InvalidJsonBody,
        KatapultError, KeyValue, MissingRequiredArgument, ObjectInTrash, OperatingSystem,
        PermissionDenied, RateLimitReached, ResizeDiskBody, ResizeDiskResponse, ResizeMethodEnum,
        ScopeNotGrantedError, StorageSpeedArgument, Task, TaskQueueingError, TrashObject,
        UnableToAssign, UnableToUnassign, UnassignDiskBody, UnassignDiskResponse,
        UnauthorizedNetworkForApiToken, UpdateDiskBody, UpdateDiskResponse, ValidationError,
        VirtualMachine, VirtualMachineDisk, VirtualMachineDiskArguments, VirtualMachineLookup,
        builder,
    };
    pub use crate::generated_open_enums::*;

    // Not API: katapult-core-httpmock's typed mocks answer errors with the
    // envelope (`then.not_found(&fixtures::disk_not_found())`), so its
    // generated code names it.
    #[doc(hidden)]
    pub use crate::generated::types::ErrorEnvelope;
}

pub use api_error::{ApiError, ErrorBody};
pub use bulk::{BulkChanges, BulkOptions, BulkResult, BulkUpdates, Progress};
pub use change::{
    ChangeEvent, ChangeFailed, ChangeLineError, ChangeOptions, ChangePlan, ChangeProgress,
    ChangeReport, ChangeStep, DiskChange, DiskOperation, DiskProperty, PlanEntry, PlanRefusal,
    PlannedChange, PropertyMismatch, Reconciled, RefusalKind, ResizeMethod, Settled, StepAction,
    StepDone, StepReadiness, TaskDone, TaskPollSchedule, TaskReading, VirtualMachineChange,
};
pub use client::Client;
pub use config::{
    BASE_URL_ENV, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, RATE_LIMIT_POOL_ENV, TOKEN_ENV,
};
pub use error::{
    ConfigError, Error, InternalError, InvalidResponse, NetworkError, NetworkErrorKind,
    RateLimited, ResponseProblem,
};
pub use hooks::{AttemptOutcome, AttemptRequest, Hook};
pub use options::{CallOptions, DeadlineExceeded, DeadlinePhase};
pub use prepared::PreparedRequest;
pub use request_body::{NotSent, RequestBodyError, check_request_body};
pub use response::{RateLimit, Response, ResponseMeta};
pub use retry::RetryPolicy;
pub use task::{DEFAULT_TASK_DEADLINE, TaskError, TaskErrorKind, TaskWait};
pub use token::{TokenFuture, TokenProvider, TokenResult, token_provider_fn};

/// The `reqwest` this crate is built on, for [`ClientBuilder::http_client`].
/// Start a client of your own from [`ClientBuilder::http_client_builder`],
/// which configures TLS: `reqwest::Client::new()` alone has no crypto
/// provider in this build.
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

#[cfg(test)]
mod tests {
    /// Every type the generator writes is either re-exported by [`types`]
    /// or one of the two named as its plumbing: a new operation's types
    /// cannot be left unnameable by accident.
    #[test]
    fn every_generated_type_is_exported_or_plumbing() {
        let lib = include_str!("lib.rs");
        let start = lib.find("pub use crate::generated::types::{").unwrap();
        let exported = &lib[start..start + lib[start..].find("};").unwrap()];
        let generated = include_str!("generated.rs");
        let mut missing = Vec::new();
        for line in generated.lines() {
            let Some(rest) = ["    pub struct ", "    pub enum ", "    pub mod "]
                .iter()
                .find_map(|prefix| line.strip_prefix(prefix))
            else {
                continue;
            };
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let listed = exported
                .split(|c: char| !c.is_alphanumeric() && c != '_')
                .any(|word| word == name);
            if !listed && !matches!(name.as_str(), "ErrorEnvelope" | "error") {
                missing.push(name);
            }
        }
        assert!(
            missing.is_empty(),
            "not re-exported by `types`: {missing:?}"
        );
    }
}
