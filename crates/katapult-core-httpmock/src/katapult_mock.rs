//! The mock Katapult's handle: starting it, and what a test may do to the
//! world it keeps. The model is in `state.rs`, the HTTP in `routes.rs`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use httpmock::MockServer;
use serde_json::Value;

use katapult_core::DiskOperation;

use crate::lost::{self, Losses, LostAnswer};
use crate::rate_limit::{Answered, FixedWindow};
use crate::routes;
use crate::state::{Settings, Shared};

/// A mock Katapult on 127.0.0.1 (a free port) that keeps disks and tasks and
/// answers like the real API.
///
/// # Operations
///
/// | request | answer |
/// |---|---|
/// | `GET /disks/disk?disk[id]=ID` | `{disk, annotations}` |
/// | `PATCH /disks/disk` | `{disk, annotations}`, the update applied |
/// | `PUT /disks/disk/resize` `{disk, size_in_gb, resize_method?}` | `{disk, task}` |
/// | `PUT /disks/disk/io_profile` `{disk, io_profile}` | `{disk, task}` |
/// | `POST /disks/disk/attach`, `/detach` `{disk}` | `{disk, task}` |
/// | `POST /disks/disk/assign` `{disk, virtual_machine}`, `/unassign` `{disk}` | `{disk}` |
/// | `GET /tasks/task?task[id]=ID` | `{task}` |
///
/// The brackets of a query lookup may be percent-encoded (`disk%5Bid%5D`, as
/// Katapult's clients send them) or not.
///
/// # Disks and tasks
///
/// - **Demo disks.** An id the mock has never seen names a demo disk the
///   first time a request uses it: `data`, 20 GB, `state: built`, detached
///   and not assigned to a virtual machine (`virtual_machine_disk: null`),
///   no annotations. [`put_disk`](Self::put_disk) seeds a disk of your own;
///   [`KatapultMockBuilder::demo_disks`] turns demo disks off.
/// - **Writes without a task land at once.** `PATCH` (name, bus type,
///   storage speed, I/O profile, `attach_on_boot`, `boot`, annotations;
///   create-only properties and the virtual machine are ignored), assign
///   and unassign answer the disk as it now is.
/// - **Writes with a task answer the disk as it was**, with a `pending`
///   task; the change lands when the task completes, after the task
///   duration ([`KatapultMockBuilder::task_duration`], 200 ms by default).
///   A task is `pending` (progress 0, `started_at` and `finished_at` null)
///   for its first tenth, then `running` with its progress rising evenly,
///   then `completed` (100). Meanwhile the disk's `state` reads `resizing`
///   (resize) or `configuring` (I/O profile), and its attachment's `state`
///   reads `attaching` or `detaching`. Task names: "Grow disk",
///   "Shrink disk", "Change disk IO profile", "Attach disk", "Detach disk".
/// - **Tasks fail only one way:** a disk taken away by
///   [`remove_disk`](Self::remove_disk) while its task runs fails the task.
/// - **I/O profiles and virtual machines are not modelled:** any lookup is
///   accepted. Two profiles (`standard`, `fast`) and one virtual machine
///   (the fixtures' `vm_EbcEXQaIiVVWMjEO`, `web-1.example.katapult.cloud`)
///   are known and shown in full; for others the disk shows only the field
///   the lookup gave.
///
/// # Refusals
///
/// Where Katapult's answer is known the mock gives it: a missing disk is
/// 404 `disk_not_found` and detaching an unassigned disk 422
/// `unassigned_disk` (both recorded), an unknown task 404 `task_not_found`
/// (published). The rest is this mock's choice among the codes Katapult
/// publishes for each operation, not a claim about the real API:
///
/// - attaching an unassigned disk, or a `PATCH` setting `attach_on_boot` or
///   `boot` on one: 422 `unassigned_disk`;
/// - resize, I/O-profile change, attach or detach while a task still runs
///   on the disk: 406 `task_queueing_error` (detail `{"details": "…"}`);
/// - assign or unassign while a task runs: 422 `unable_to_assign` /
///   `unable_to_unassign` (detail `{"errors": […]}`); so is assigning a
///   disk whose attachment is not `detached` to another virtual machine,
///   and unassigning one that is attached, attaching or detaching.
///   Assigning to the virtual machine the disk already has changes nothing;
///   so does unassigning an unassigned disk;
/// - resize, 422 `validation_error` (detail `{"errors": […]}`): a size not
///   above 0 or equal to the current one; an attachment that is attaching,
///   detaching or failed; shrinking an attached disk; an `online` resize of
///   a disk that is not attached; an `offline` resize (the default) of an
///   attached one, as Katapult's Terraform provider refuses it;
/// - attaching an attached disk, detaching a detached one, or changing the
///   I/O profile to the one the disk has is a task that changes nothing;
/// - an update (`PATCH`) has no task and is accepted while one runs.
///
/// And as Katapult's framework answers any endpoint: without
/// `Authorization: Bearer <token>`, 400 `missing_api_token`; a body that is
/// not JSON, 400 `invalid_json_body`; JSON of the wrong shape, or a query
/// without its lookup, 400 `invalid_argument`; an unknown method and path,
/// 404 `route_not_found`. Every answer carries `X-Request-Id`,
/// `X-Ratelimit-Permitted` and a decreasing `X-Ratelimit-Remaining`;
/// errors are wrapped (`{"error": {code, description, detail}}`) and carry
/// `X-Api-Schema: json-error`.
///
/// # Lost answers
///
/// [`lose_answer`](Self::lose_answer) makes the next request of a write
/// lose its answer, applied or not, so a test can check what a client does
/// when it cannot know; [`sent`](Self::sent) counts each write's requests,
/// so it can check that a write unsafe to repeat was sent once.
/// # Rate limit
///
/// Off unless [`KatapultMockBuilder::rate_limit`] sets one: then the mock
/// counts every request in fixed windows aligned to the Unix epoch, as
/// Katapult counts a token's requests per wall-clock minute, answers each
/// with `Date`, `X-Ratelimit-Permitted` (the budget) and
/// `X-Ratelimit-Remaining` (what the window has left), and refuses a request
/// beyond the budget with 429 `rate_limit_reached` (`Remaining: 0`), before
/// it reaches the model. [`KatapultMock::answered`] lists every answer.
pub struct KatapultMock {
    server: MockServer,
    state: Shared,
    requests: Arc<AtomicU32>,
    losses: Losses,
    journal: Arc<Mutex<Vec<Answered>>>,
}

/// Sets up a [`KatapultMock`]: `KatapultMock::builder()…start().await`.
#[derive(Debug, Clone)]
pub struct KatapultMockBuilder {
    task_duration: Duration,
    demo_disks: bool,
    manual_clock: bool,
    rate_limit: Option<(u32, Duration)>,
}

impl KatapultMockBuilder {
    /// How long each task takes from its write to `completed` (200 ms by
    /// default: short, so tests are fast, long enough to be seen running).
    pub fn task_duration(mut self, duration: Duration) -> Self {
        self.task_duration = duration;
        self
    }

    /// Whether an unknown disk id names a demo disk (the default) or gets
    /// 404 `disk_not_found`.
    pub fn demo_disks(mut self, on: bool) -> Self {
        self.demo_disks = on;
        self
    }

    /// Stops the mock's clock: tasks then move only when
    /// [`KatapultMock::advance`] says so, which makes every status a test
    /// sees exact.
    pub fn manual_clock(mut self) -> Self {
        self.manual_clock = true;
        self
    }

    /// Enforces Katapult's rate limit: `budget` requests per fixed
    /// `window` (whole seconds, at least one: `Date` has a resolution of a
    /// second), 429 `rate_limit_reached` beyond it; see
    /// [Rate limit](KatapultMock#rate-limit).
    ///
    /// # Panics
    ///
    /// When `window` is not a whole number of seconds, at least one.
    pub fn rate_limit(mut self, budget: u32, window: Duration) -> Self {
        assert!(
            window.as_secs() >= 1 && window.subsec_nanos() == 0,
            "a rate-limit window is whole seconds, at least one (not {window:?})"
        );
        self.rate_limit = Some((budget, window));
        self
    }

    /// Starts the server.
    pub async fn start(self) -> KatapultMock {
        let state = Shared::new(Settings {
            task_duration: self.task_duration,
            demo_disks: self.demo_disks,
            manual_clock: self.manual_clock,
        });
        let requests = Arc::new(AtomicU32::new(0));
        let losses = Losses::default();
        let journal = Arc::new(Mutex::new(Vec::new()));
        let limit = self
            .rate_limit
            .map(|(budget, window)| FixedWindow::new(budget, window));
        let server = MockServer::start_async().await;
        // httpmock tries mocks in the order they were made, so every
        // request meets this one first: it counts the writes and takes the
        // losses a test asked for. It works in the matcher because httpmock
        // waits out a mock's delay before calling its responder, and an
        // applied write must land before the client, having given up, reads
        // the disk.
        let (shared, counter, pending) = (state.clone(), requests.clone(), losses.clone());
        server
            .mock_async(|when, then| {
                when.is_true(move |request| {
                    let Some(how) = pending.take(routes::write_operation(request)) else {
                        return false;
                    };
                    let number = counter.fetch_add(1, Ordering::Relaxed) + 1;
                    if how == LostAnswer::Applied {
                        // The answer is made, and then lost.
                        let _ = routes::answer(&shared, request, number, None);
                    }
                    true
                });
                then.delay(lost::HOLD)
                    .respond_with(|_| routes::gateway_timeout());
            })
            .await;
        // One mock for every request: routing, including 404
        // `route_not_found`, is the model's, not httpmock's.
        let (shared, counter, answers) = (state.clone(), requests.clone(), journal.clone());
        server
            .mock_async(|_, then| {
                then.respond_with(move |request| {
                    let number = counter.fetch_add(1, Ordering::Relaxed) + 1;
                    let counted = limit.as_ref().map(FixedWindow::count);
                    let response = routes::answer(&shared, request, number, counted.as_ref());
                    let (path, _) = routes::split(request.uri_str());
                    let answered = Answered {
                        method: request.method_str().to_owned(),
                        path: path.to_owned(),
                        status: response.status.unwrap_or(200),
                        at: SystemTime::now(),
                    };
                    answers
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(answered);
                    response
                });
            })
            .await;
        KatapultMock {
            server,
            state,
            requests,
            losses,
            journal,
        }
    }
}

impl KatapultMock {
    /// Starts a server with the default settings.
    pub async fn start() -> Self {
        Self::builder().start().await
    }

    /// A builder, for settings other than the defaults.
    pub fn builder() -> KatapultMockBuilder {
        KatapultMockBuilder {
            task_duration: Duration::from_millis(200),
            demo_disks: true,
            manual_clock: false,
            rate_limit: None,
        }
    }

    /// The base URL to give the client (`http://127.0.0.1:<port>`).
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The underlying server, for httpmock's view of the requests it got.
    /// The mock answers every request itself, so expectations added here
    /// are never reached: start a [`MockServer`] of your own for those.
    pub fn server(&self) -> &MockServer {
        &self.server
    }

    /// How many requests the mock has answered, on every route, errors
    /// included.
    pub fn hits(&self) -> usize {
        self.requests.load(Ordering::Relaxed) as usize
    }

    /// Every answer so far, in the order sent: method, path, status and
    /// when, on every route, errors and rate-limit refusals included.
    pub fn answered(&self) -> Vec<Answered> {
        self.journal
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Stores a disk, replacing any with its id (its annotations stay).
    /// `disk` is the disk as the API shows it: a JSON value or
    /// `katapult_core`'s disk type; keys it lacks read as `null`.
    ///
    /// # Panics
    ///
    /// When `disk` is not an object with a string `id`: a mistake in the test.
    pub fn put_disk(&self, disk: impl serde::Serialize) {
        let disk = match serde_json::to_value(disk) {
            Ok(Value::Object(disk)) => disk,
            other => panic!("put_disk takes a disk object, not {other:?}"),
        };
        let Some(id) = disk.get("id").and_then(Value::as_str).map(str::to_owned) else {
            panic!("put_disk takes a disk with a string `id`, not {disk:?}");
        };
        self.state.lock().put_disk(disk, id);
    }

    /// The disk as the mock now holds it (and a read would show it), or
    /// `None` if no request has used the id and none was put.
    pub fn disk(&self, id: &str) -> Option<Value> {
        self.state.lock().disk(id)
    }

    /// Takes a disk away, returning it: requests naming it now get 404
    /// `disk_not_found` (no demo disk comes back under its id), and a task
    /// running on it fails.
    pub fn remove_disk(&self, id: &str) -> Option<Value> {
        self.state.lock().remove_disk(id)
    }

    /// Moves the mock's clock forward: tasks due by then complete, and
    /// their changes land. Works on the real clock too (it skips ahead).
    pub fn advance(&self, by: Duration) {
        self.state.lock().advance(by);
    }

    /// Loses the answer to the next request of `operation` (a write) that
    /// reaches the mock, the write applied or not as `how` says: the mock
    /// holds the answer back for 30 s and then answers 504 Gateway
    /// Timeout, as a proxy in front of Katapult would. Give the client a
    /// shorter per-attempt timeout, and it sees what it sees when an answer
    /// is lost after sending: a timeout, with the write perhaps applied.
    ///
    /// Each call loses one answer; calls for the same operation lose the
    /// answers of its next requests in turn. An applied write that Katapult
    /// would refuse is refused, and that answer is lost.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use katapult_core::types::{DiskArguments, DiskLookup, UpdateDiskBody};
    /// use katapult_core::{Client, DiskOperation, RetryPolicy};
    /// use katapult_core_httpmock::{KatapultMock, LostAnswer};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), katapult_core::Error> {
    /// let katapult = KatapultMock::start().await;
    /// katapult.lose_answer(DiskOperation::UpdateDisk, LostAnswer::Applied);
    /// let client = Client::builder()
    ///     .token("t")
    ///     .base_url(katapult.base_url())
    ///     .timeout(Duration::from_millis(200))
    ///     .retry(RetryPolicy::none())
    ///     .build()?;
    /// let rename = UpdateDiskBody {
    ///     disk: DiskLookup { id: "disk_1".into() },
    ///     properties: DiskArguments { name: Some("logs".into()), ..Default::default() },
    ///     annotations: None,
    /// };
    /// assert!(client.update_disk(rename).await.is_err(), "the answer was lost");
    /// assert_eq!(katapult.disk("disk_1").unwrap()["name"], "logs", "but the write landed");
    /// assert_eq!(katapult.sent(DiskOperation::UpdateDisk), 1);
    /// # Ok(()) }
    /// ```
    pub fn lose_answer(&self, operation: DiskOperation, how: LostAnswer) {
        self.losses.lose(operation, how);
    }

    /// How many requests of `operation` (a write) reached the mock, lost
    /// answers and refusals included.
    pub fn sent(&self, operation: DiskOperation) -> usize {
        self.losses.sent(operation)
    }
}
