//! A mock server that answers `PATCH /disks/disk` the way Katapult does.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use httpmock::{HttpMockRequest, HttpMockResponse, Mock, MockServer};
use katapult_core::types::{
    self, DiskBusEnum, DiskIoProfileLookup, KatapultError, StorageSpeedEnum, UpdateDiskBody,
};

use crate::fixtures;

/// Requests per minute the mock reports, as recorded from the real API.
const PERMITTED: u32 = 1000;

/// A mock Katapult on 127.0.0.1 (a free port), answering like the real API:
///
/// - without `Authorization: Bearer <token>`: 400 `missing_api_token`;
/// - a body that is not JSON: 400 `invalid_json_body`; JSON of the wrong
///   shape: 400 `invalid_argument`;
/// - otherwise 200 with the disk named in the request, the requested
///   `name`, `bus_type`, `storage_speed`, `io_profile` and
///   `virtual_machine_disk` settings applied, and the request's annotations
///   (create-only properties such as `size_in_gb` are ignored);
/// - every answer carries `X-Request-Id`, `X-Ratelimit-Permitted` and a
///   decreasing `X-Ratelimit-Remaining`, and errors `X-Api-Schema: json-error`.
pub struct KatapultMock {
    server: MockServer,
    mock_id: usize,
}

impl KatapultMock {
    /// Starts the server.
    pub async fn start() -> Self {
        let server = MockServer::start_async().await;
        let requests = Arc::new(AtomicU32::new(0));
        let mock = server
            .mock_async(|when, then| {
                when.method(httpmock::Method::PATCH).path("/disks/disk");
                then.respond_with(move |request| {
                    let number = requests.fetch_add(1, Ordering::Relaxed) + 1;
                    answer(request, number)
                });
            })
            .await;
        let mock_id = mock.id();
        Self { server, mock_id }
    }

    /// The base URL to give the client (`http://127.0.0.1:<port>`).
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The underlying server, for adding expectations of your own.
    pub fn server(&self) -> &MockServer {
        &self.server
    }

    /// How many requests the disk endpoint has answered.
    pub fn hits(&self) -> usize {
        Mock::new(self.mock_id, &self.server).calls()
    }
}

fn answer(request: &HttpMockRequest, number: u32) -> HttpMockResponse {
    let authorized = request
        .headers()
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .is_some_and(|token| !token.trim().is_empty());
    if !authorized {
        return error(
            400,
            number,
            KatapultError::MissingApiToken {
                description:
                    "No API token was provided in the Authorization header. Ensure a token is \
                              provided prefixed with Bearer"
                        .to_owned(),
                detail: Default::default(),
            },
        );
    }

    let json: serde_json::Value = match serde_json::from_slice(request.body_ref()) {
        Ok(json) => json,
        Err(parse) => {
            return error(
                400,
                number,
                KatapultError::InvalidJsonBody {
                    description: "The JSON body provided was not valid".to_owned(),
                    detail: Some(types::InvalidJsonBody {
                        details: Some(parse.to_string()),
                    }),
                },
            );
        }
    };
    let body: UpdateDiskBody = match serde_json::from_value(json) {
        Ok(body) => body,
        Err(shape) => {
            return error(
                400,
                number,
                KatapultError::InvalidArgument {
                    description: "An argument was not valid".to_owned(),
                    detail: Some(types::InvalidArgument {
                        issue_description: Some(shape.to_string()),
                        ..Default::default()
                    }),
                },
            );
        }
    };

    let mut response = fixtures::update_disk_response(&body.disk.id);
    apply(&mut response.disk, &body.properties);
    // Absent: the disk keeps its annotations. A list, even empty: the
    // disk's annotations become that list.
    if let Some(annotations) = body.annotations {
        response.annotations = annotations;
    }
    respond(200, number, &response)
}

/// Applies the properties an update can change to the stored disk.
fn apply(disk: &mut types::Disk, properties: &types::DiskArguments) {
    if let Some(name) = &properties.name {
        disk.name = Some(name.clone());
    }
    if let Some(bus) = &properties.bus_type {
        disk.bus_type = Some(DiskBusEnum::from(bus.to_string()));
    }
    if let Some(speed) = &properties.storage_speed {
        disk.storage_speed = Some(StorageSpeedEnum::from(speed.to_string()));
    }
    if let Some(lookup) = &properties.io_profile {
        let profile = disk.io_profile.get_or_insert_with(Default::default);
        match lookup {
            DiskIoProfileLookup::Id(id) => profile.id = Some(id.clone()),
            DiskIoProfileLookup::Permalink(permalink) => {
                profile.permalink = Some(permalink.clone())
            }
        }
    }
    if let (Some(settings), Some(attachment)) = (
        &properties.virtual_machine_disk,
        &mut disk.virtual_machine_disk,
    ) {
        if let Some(attach_on_boot) = settings.attach_on_boot {
            attachment.attach_on_boot = Some(attach_on_boot);
        }
        if let Some(boot) = settings.boot {
            attachment.boot = Some(boot);
        }
    }
}

fn error(status: u16, number: u32, error: KatapultError) -> HttpMockResponse {
    let mut response = respond(status, number, &fixtures::error(error));
    if let Some(headers) = response.headers.as_mut() {
        headers.push(("x-api-schema".to_owned(), "json-error".to_owned()));
    }
    response
}

fn respond(status: u16, number: u32, body: &impl serde::Serialize) -> HttpMockResponse {
    let body = serde_json::to_vec(body).unwrap_or_default();
    HttpMockResponse::builder()
        .status(status)
        .header("content-type", "application/json; charset=utf-8")
        .header(
            "x-request-id",
            format!("00000000-0000-4000-8000-{number:012x}"),
        )
        .header("x-ratelimit-permitted", PERMITTED.to_string())
        .header(
            "x-ratelimit-remaining",
            PERMITTED.saturating_sub(number).to_string(),
        )
        .body(body)
        .build()
}
