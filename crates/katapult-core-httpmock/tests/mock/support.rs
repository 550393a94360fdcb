//! Raw requests to a mock Katapult, each bounded in time, and the answers
//! as status, headers and JSON.

use std::future::Future;
use std::time::Duration;

use katapult_core::reqwest::{self, Method, header::HeaderMap};
use katapult_core_httpmock::KatapultMock;
use serde_json::{Value, json};

/// No test may take longer than this, whatever the mock does.
const LIMIT: Duration = Duration::from_secs(20);

/// The task duration of the manual-clock mocks: long enough that its
/// tenths and halves are whole milliseconds.
pub const TASK: Duration = Duration::from_secs(2);

/// Fails the test if `future` takes longer than [`LIMIT`].
pub async fn bounded<F: Future>(future: F) -> F::Output {
    match tokio::time::timeout(LIMIT, future).await {
        Ok(output) => output,
        Err(_) => panic!("test did not finish within {LIMIT:?}"),
    }
}

/// One answer of the mock.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The answer of a success, or a panic naming what came instead.
    pub fn ok(self) -> Value {
        assert_eq!(self.status, 200, "{:?}", self.body);
        self.body
    }

    /// The error code, after checking the answer is a wrapped error of
    /// `status` marked `X-Api-Schema: json-error`.
    pub fn error(&self, status: u16) -> &str {
        assert_eq!(self.status, status, "{:?}", self.body);
        assert_eq!(self.headers["x-api-schema"], "json-error");
        let error = &self.body["error"];
        assert!(error["description"].is_string(), "{error}");
        assert!(error["detail"].is_object(), "{error}");
        error["code"].as_str().unwrap_or_default()
    }

    pub fn detail(&self) -> &Value {
        &self.body["error"]["detail"]
    }
}

/// A mock and a plain HTTP client for it.
pub struct Katapult {
    pub mock: KatapultMock,
    http: reqwest::Client,
}

impl Katapult {
    /// A mock whose tasks move only when the test advances its clock.
    pub async fn manual() -> Self {
        Self::with(
            KatapultMock::builder()
                .manual_clock()
                .task_duration(TASK)
                .start()
                .await,
        )
    }

    pub fn with(mock: KatapultMock) -> Self {
        Self { mock, http: http() }
    }

    /// Sends `method path` with the test token and, when given, a JSON body.
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.mock.base_url()))
            .bearer_auth("test-token");
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        answer(request).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None).await
    }

    /// `GET /disks/disk`, the lookup encoded as Katapult's clients encode it.
    pub async fn read(&self, id: &str) -> Answer {
        self.get(&format!("/disks/disk?disk%5Bid%5D={id}")).await
    }

    /// The disk as a read shows it.
    pub async fn disk(&self, id: &str) -> Value {
        self.read(id).await.ok()["disk"].take()
    }

    /// The task as `GET /tasks/task` shows it.
    pub async fn task(&self, id: &str) -> Value {
        let path = format!("/tasks/task?task%5Bid%5D={id}");
        self.get(&path).await.ok()["task"].take()
    }

    pub async fn update(&self, body: Value) -> Answer {
        self.send(Method::PATCH, "/disks/disk", Some(body)).await
    }

    pub async fn resize(&self, id: &str, size_in_gb: i64, method: Option<&str>) -> Answer {
        let mut body = json!({"disk": {"id": id}, "size_in_gb": size_in_gb});
        if let Some(method) = method {
            body["resize_method"] = method.into();
        }
        self.send(Method::PUT, "/disks/disk/resize", Some(body))
            .await
    }

    pub async fn io_profile(&self, id: &str, lookup: Value) -> Answer {
        let body = json!({"disk": {"id": id}, "io_profile": lookup});
        self.send(Method::PUT, "/disks/disk/io_profile", Some(body))
            .await
    }

    pub async fn assign(&self, id: &str, virtual_machine: Value) -> Answer {
        let body = json!({"disk": {"id": id}, "virtual_machine": virtual_machine});
        self.send(Method::POST, "/disks/disk/assign", Some(body))
            .await
    }

    /// `POST /disks/disk/{action}` with `{disk}`: attach, detach, unassign.
    pub async fn act(&self, action: &str, id: &str) -> Answer {
        let body = json!({"disk": {"id": id}});
        let path = format!("/disks/disk/{action}");
        self.send(Method::POST, &path, Some(body)).await
    }

    /// Lets the mock's clock run past the end of every task started so far.
    pub fn finish_tasks(&self) {
        self.mock.advance(TASK);
    }
}

/// A plain HTTP client, each request bounded in time.
pub fn http() -> reqwest::Client {
    // Where katapult-core's `rustls` feature is on (workspace builds),
    // reqwest has TLS but no crypto provider of its own.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

pub async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&bytes)));
    Answer {
        status,
        headers,
        body,
    }
}

/// A disk assigned to the virtual machine the mock knows, attached.
pub fn attached(id: &str) -> Value {
    json!({
        "id": id,
        "name": "data",
        "size_in_gb": 20,
        "state": "built",
        "virtual_machine_disk": {
            "virtual_machine": {"id": "vm_EbcEXQaIiVVWMjEO", "fqdn": "web-1.example.katapult.cloud"},
            "attach_on_boot": true,
            "boot": false,
            "state": "attached",
        },
    })
}

/// The same disk with its attachment in `state`.
pub fn attachment(id: &str, state: &str) -> Value {
    let mut disk = attached(id);
    disk["virtual_machine_disk"]["state"] = state.into();
    disk
}
