//! HTTP onto the model: which method and path is which operation, how a
//! request's query and body are read, and how answers and refusals go on
//! the wire (status, headers, Katapult's wrapped errors).

use httpmock::{HttpMockRequest, HttpMockResponse};
use katapult_core::DiskOperation;
use katapult_core::types::{
    self, DiskIoProfileLookup, DiskLookup, InvalidArgumentIssue, KatapultError, UpdateDiskBody,
    VirtualMachineLookup,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::rate_limit::Counted;
use crate::state::{Refusal, ResizeMethod, Shared};

/// Requests per minute the mock reports, as recorded from the real API.
const PERMITTED: u32 = 1000;

/// An error answer: the status and the error object that goes inside
/// `{"error": …}`.
type Failure = (u16, Value);

/// The operations the mock serves, by method and path.
#[derive(Clone, Copy)]
enum Route {
    GetDisk,
    UpdateDisk,
    ResizeDisk,
    ChangeDiskIoProfile,
    AttachDisk,
    DetachDisk,
    AssignDisk,
    UnassignDisk,
    GetTask,
}

impl Route {
    fn of(method: &str, path: &str) -> Option<Self> {
        Some(match (method, path) {
            ("GET", "/disks/disk") => Self::GetDisk,
            ("PATCH", "/disks/disk") => Self::UpdateDisk,
            ("PUT", "/disks/disk/resize") => Self::ResizeDisk,
            ("PUT", "/disks/disk/io_profile") => Self::ChangeDiskIoProfile,
            ("POST", "/disks/disk/attach") => Self::AttachDisk,
            ("POST", "/disks/disk/detach") => Self::DetachDisk,
            ("POST", "/disks/disk/assign") => Self::AssignDisk,
            ("POST", "/disks/disk/unassign") => Self::UnassignDisk,
            ("GET", "/tasks/task") => Self::GetTask,
            _ => return None,
        })
    }

    /// The write this route is, for the lost answers and their counts.
    fn write(self) -> Option<DiskOperation> {
        Some(match self {
            Self::UpdateDisk => DiskOperation::UpdateDisk,
            Self::ResizeDisk => DiskOperation::ResizeDisk,
            Self::ChangeDiskIoProfile => DiskOperation::ChangeDiskIoProfile,
            Self::AttachDisk => DiskOperation::AttachDisk,
            Self::DetachDisk => DiskOperation::DetachDisk,
            Self::AssignDisk => DiskOperation::AssignDisk,
            Self::UnassignDisk => DiskOperation::UnassignDisk,
            Self::GetDisk | Self::GetTask => return None,
        })
    }
}

/// The write operation a request is (`None` for reads and unknown routes).
pub(crate) fn write_operation(request: &HttpMockRequest) -> Option<DiskOperation> {
    let (path, _) = split(request.uri_str());
    Route::of(request.method_str(), path)?.write()
}

/// Request bodies of the operations whose types the client does not have
/// (yet): just what the mock reads.
#[derive(Deserialize)]
struct DiskOnly {
    disk: DiskLookup,
}

#[derive(Deserialize)]
struct Resize {
    disk: DiskLookup,
    size_in_gb: i64,
    resize_method: Option<ResizeMethod>,
}

#[derive(Deserialize)]
struct IoProfile {
    disk: DiskLookup,
    io_profile: DiskIoProfileLookup,
}

#[derive(Deserialize)]
struct Assign {
    disk: DiskLookup,
    virtual_machine: VirtualMachineLookup,
}

/// Answers one request; `number` counts the mock's requests from 1, and
/// `limit` is what the rate limit decided, when there is one.
pub(crate) fn answer(
    state: &Shared,
    request: &HttpMockRequest,
    number: u32,
    limit: Option<&Counted>,
) -> HttpMockResponse {
    let (path, query) = split(request.uri_str());
    let method = request.method_str();
    let answer = Answer { number, limit };
    if let Some(counted) = limit.filter(|counted| !counted.accepted) {
        let error = KatapultError::RateLimitReached {
            description: "You have reached the rate limit for this type of request".to_owned(),
            detail: Some(types::RateLimitReached {
                total_permitted: Some(i64::from(counted.permitted)),
            }),
        };
        return answer.error((429, typed(error)));
    }
    let Some(route) = Route::of(method, path) else {
        let description = format!("No route matches {method} {path}");
        return answer.error((404, wire_error("route_not_found", &description, json!({}))));
    };
    if !authorized(request) {
        return answer.error(missing_api_token());
    }
    match handle(state, route, request, query) {
        Ok(body) => answer.respond(200, &body, false),
        Err(failure) => answer.error(failure),
    }
}

fn handle(
    state: &Shared,
    route: Route,
    request: &HttpMockRequest,
    query: &str,
) -> Result<Value, Failure> {
    let answer = match route {
        Route::GetDisk => {
            let id = lookup(query, "disk")?;
            state.lock().get_disk(&id)
        }
        Route::GetTask => {
            let id = lookup(query, "task")?;
            state.lock().get_task(&id)
        }
        Route::UpdateDisk => {
            let body: UpdateDiskBody = body(request)?;
            state.lock().update_disk(&body)
        }
        Route::ResizeDisk => {
            let body: Resize = body(request)?;
            let method = body.resize_method.unwrap_or(ResizeMethod::Offline);
            state.lock().resize(&body.disk.id, body.size_in_gb, method)
        }
        Route::ChangeDiskIoProfile => {
            let body: IoProfile = body(request)?;
            state
                .lock()
                .change_io_profile(&body.disk.id, &body.io_profile)
        }
        Route::AttachDisk => {
            let body: DiskOnly = body(request)?;
            state.lock().attach(&body.disk.id)
        }
        Route::DetachDisk => {
            let body: DiskOnly = body(request)?;
            state.lock().detach(&body.disk.id)
        }
        Route::AssignDisk => {
            let body: Assign = body(request)?;
            state.lock().assign(&body.disk.id, &body.virtual_machine)
        }
        Route::UnassignDisk => {
            let body: DiskOnly = body(request)?;
            state.lock().unassign(&body.disk.id)
        }
    };
    answer.map_err(refused)
}

/// The path and the query of a request target (origin or absolute form).
pub(crate) fn split(target: &str) -> (&str, &str) {
    let target = match target.find("://") {
        Some(scheme) => {
            let rest = &target[scheme + 3..];
            rest.find('/').map_or("/", |path| &rest[path..])
        }
        None => target,
    };
    target.split_once('?').unwrap_or((target, ""))
}

fn authorized(request: &HttpMockRequest) -> bool {
    request
        .headers()
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .is_some_and(|token| !token.trim().is_empty())
}

/// The id of a lookup in the query string (`disk[id]=…`, brackets
/// percent-encoded or not).
fn lookup(query: &str, object: &str) -> Result<String, Failure> {
    let key = format!("{object}[id]");
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, value)| *name == key && !value.is_empty())
        .map(|(_, value)| value.into_owned())
        .ok_or_else(|| {
            invalid_argument(types::InvalidArgument {
                path: vec![object.to_owned()],
                issue: Some(InvalidArgumentIssue::MissingLookupValue),
                issue_description: Some(format!("No lookup value was provided for {object}")),
                ..Default::default()
            })
        })
}

/// The request body as `T`: 400 `invalid_json_body` when it is not JSON,
/// 400 `invalid_argument` when it is JSON of another shape.
fn body<T: DeserializeOwned>(request: &HttpMockRequest) -> Result<T, Failure> {
    let json: Value = serde_json::from_slice(request.body_ref()).map_err(|parse| {
        let error = KatapultError::InvalidJsonBody {
            description: "The JSON body provided was not valid".to_owned(),
            detail: Some(types::InvalidJsonBody {
                details: Some(parse.to_string()),
            }),
        };
        (400, typed(error))
    })?;
    serde_json::from_value(json).map_err(|shape| {
        invalid_argument(types::InvalidArgument {
            issue_description: Some(shape.to_string()),
            ..Default::default()
        })
    })
}

fn invalid_argument(detail: types::InvalidArgument) -> Failure {
    let error = KatapultError::InvalidArgument {
        description: "An argument was not valid".to_owned(),
        detail: Some(detail),
    };
    (400, typed(error))
}

fn missing_api_token() -> Failure {
    let error = KatapultError::MissingApiToken {
        description: "No API token was provided in the Authorization header. Ensure a token is \
                      provided prefixed with Bearer"
            .to_owned(),
        detail: Default::default(),
    };
    (400, typed(error))
}

/// A refusal of the model as Katapult words it. The wording of the codes
/// the client's types know comes from there; the others' from the
/// published document.
fn refused(refusal: Refusal) -> Failure {
    match refusal {
        Refusal::DiskNotFound => (
            404,
            typed(KatapultError::DiskNotFound {
                description:
                    "No disk was found matching any of the criteria provided in the arguments"
                        .to_owned(),
                detail: Default::default(),
            }),
        ),
        Refusal::TaskNotFound => (
            404,
            wire_error(
                "task_not_found",
                "No task was found matching any of the criteria provided in the arguments",
                json!({}),
            ),
        ),
        Refusal::UnassignedDisk => (
            422,
            typed(KatapultError::UnassignedDisk {
                description: "Disk is not assigned to a virtual machine.".to_owned(),
                detail: Default::default(),
            }),
        ),
        Refusal::TaskInProgress(details) => (
            406,
            wire_error(
                "task_queueing_error",
                "This error means that a background task that was needed to complete your \
                 request could not be queued",
                json!({"details": details}),
            ),
        ),
        Refusal::Invalid(reason) => (
            422,
            typed(KatapultError::ValidationError {
                description: "A validation error occurred with the object that was being \
                              created/updated/deleted"
                    .to_owned(),
                detail: Some(types::ValidationError {
                    errors: vec![reason],
                }),
            }),
        ),
        Refusal::UnableToAssign(reason) => (
            422,
            wire_error(
                "unable_to_assign",
                "The disk can not be assigned to the virtual machine.",
                json!({"errors": [reason]}),
            ),
        ),
        Refusal::UnableToUnassign(reason) => (
            422,
            wire_error(
                "unable_to_unassign",
                "The disk can not be unassigned from the virtual machine.",
                json!({"errors": [reason]}),
            ),
        ),
    }
}

/// An error the client's types know, as its object on the wire; `detail`
/// is always there, `{}` when empty, as Katapult sends it.
fn typed(error: KatapultError) -> Value {
    let mut object = serde_json::to_value(error).unwrap_or_else(|_| json!({}));
    if let Value::Object(fields) = &mut object {
        fields.entry("detail").or_insert_with(|| json!({}));
    }
    object
}

/// An error the client's types do not know (yet), as its object on the wire.
fn wire_error(code: &str, description: &str, detail: Value) -> Value {
    json!({"code": code, "description": description, "detail": detail})
}

/// How one answer goes on the wire: its number, and the rate limit's count.
struct Answer<'a> {
    number: u32,
    limit: Option<&'a Counted>,
}

impl Answer<'_> {
    fn error(&self, (status, error): Failure) -> HttpMockResponse {
        self.respond(status, &json!({ "error": error }), true)
    }

    fn respond(&self, status: u16, body: &Value, is_error: bool) -> HttpMockResponse {
        let number = self.number;
        let (permitted, remaining) = match self.limit {
            Some(counted) => (counted.permitted, counted.remaining),
            None => (PERMITTED, PERMITTED.saturating_sub(number)),
        };
        let mut response = HttpMockResponse::builder()
            .status(status)
            .header("content-type", "application/json; charset=utf-8")
            .header(
                "x-request-id",
                format!("00000000-0000-4000-8000-{number:012x}"),
            )
            .header("x-ratelimit-permitted", permitted.to_string())
            .header("x-ratelimit-remaining", remaining.to_string());
        if let Some(counted) = self.limit {
            response = response.header("date", &counted.date);
        }
        if is_error {
            response = response.header("x-api-schema", "json-error");
        }
        response.body(body.to_string()).build()
    }
}

/// What a proxy in front of Katapult answers once it gives up waiting:
/// the late answer to a lost one (`lost.rs`), which no client that timed
/// out reads.
pub(crate) fn gateway_timeout() -> HttpMockResponse {
    HttpMockResponse::builder()
        .status(504)
        .header("content-type", "text/html")
        .body("<html><body><h1>504 Gateway Time-out</h1></body></html>")
        .build()
}
