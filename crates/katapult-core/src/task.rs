//! Waiting for a task to end: the writes that resize a disk, change its I/O
//! profile, attach or detach it answer at once with a `pending` task, and
//! the change lands when the task completes.
//!
//! A wait polls `GET /tasks/task` ([`Client::get_task`]) on a schedule
//! read from the task's own progress ([`TaskPollSchedule`]), so each poll
//! is a request like any other: it goes through the rate-limit governor,
//! spends the budget and is retried by the call path. Dropping the wait's
//! future stops the polling.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::{Duration, Instant};

use crate::change::{TaskPollSchedule, TaskReading};
use crate::types::{Task, TaskStatusEnum};
use crate::{Client, Error};

/// How long a wait lasts unless told otherwise
/// ([`TaskWait::deadline`]): 20 minutes, as long as Katapult's Terraform
/// provider waits for a disk by default.
pub const DEFAULT_TASK_DEADLINE: Duration = Duration::from_secs(20 * 60);

/// A wait for one task, from [`Client::wait_for_task`]: set it up, then
/// `.await` it.
///
/// It ends with the completed task, or with [`Error::Task`] when the task
/// failed or had not ended by the deadline; a status this version does not
/// know is not an ending, so the wait goes on.
///
/// ```no_run
/// # async fn run(client: katapult_core::Client, task: katapult_core::types::Task) -> Result<(), katapult_core::Error> {
/// use std::time::Duration;
///
/// let done = client
///     .wait_for_task(&task)
///     .deadline(Duration::from_secs(600))
///     .on_progress(|task| eprintln!("{:?}: {}%", task.status, task.progress.unwrap_or(0)))
///     .await?;
/// println!("{:?} finished at {:?}", done.name, done.finished_at);
/// # Ok(()) }
/// ```
#[must_use = "a wait sends nothing until it is awaited"]
pub struct TaskWait<'a> {
    client: &'a Client,
    task: Task,
    deadline: Duration,
    on_progress: Option<OnProgress<'a>>,
}

/// What [`TaskWait::on_progress`] calls with each reading.
type OnProgress<'a> = Box<dyn FnMut(&Task) + Send + 'a>;

impl Client {
    /// Waits for `task` to end: the task as a write answered it (so the
    /// first poll waits for the task to have had a chance to finish), or
    /// as read with [`Client::get_task`]. A task that has already ended is
    /// answered without a request.
    pub fn wait_for_task(&self, task: &Task) -> TaskWait<'_> {
        TaskWait {
            client: self,
            task: task.clone(),
            deadline: DEFAULT_TASK_DEADLINE,
            on_progress: None,
        }
    }
}

impl<'a> TaskWait<'a> {
    /// How long to wait in all, polls included ([`DEFAULT_TASK_DEADLINE`]
    /// unless set). Past it the wait fails with the last reading.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Called with every reading of the task, the last one included: its
    /// status and `progress` (0 to 100) are enough to drive a progress bar.
    pub fn on_progress(mut self, on_progress: impl FnMut(&Task) + Send + 'a) -> Self {
        self.on_progress = Some(Box::new(on_progress));
        self
    }

    async fn run(mut self) -> Result<Task, Error> {
        let started = Instant::now();
        // A view's hard deadline (`CallOptions::deadline`) bounds the
        // whole wait, its polls included.
        let (client, left) = self.client.whole_call(started);
        if let Some(left) = left {
            self.deadline = self.deadline.min(left);
        }
        let id = self.task.id.clone().unwrap_or_default();
        if id.is_empty() && ending(&self.task).is_none() {
            return Err(Error::InvalidRequest(
                "the task has no id, so it cannot be read; wait for a task as a write answered it"
                    .to_owned(),
            ));
        }
        let mut schedule = TaskPollSchedule::new();
        let mut delay = schedule.first_delay();
        let mut task = self.task;
        loop {
            match ending(&task) {
                Some(TaskEnding::Completed) => return Ok(task),
                Some(TaskEnding::Failed) => {
                    return Err(TaskError::error(
                        TaskErrorKind::Failed,
                        task,
                        started.elapsed(),
                    ));
                }
                None => {}
            }
            let left = self.deadline.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err(TaskError::error(
                    TaskErrorKind::DeadlineExceeded,
                    task,
                    started.elapsed(),
                ));
            }
            // The last poll comes at the deadline, so a task that ends just
            // before it is still seen.
            tokio::time::sleep(delay.min(left)).await;
            task = match client.get_task(&id).await {
                Ok(read) => read.into_inner().task,
                // The poll at the hard deadline: the last reading says more.
                Err(Error::DeadlineExceeded(_)) => {
                    let waited = started.elapsed();
                    return Err(TaskError::error(
                        TaskErrorKind::DeadlineExceeded,
                        task,
                        waited,
                    ));
                }
                Err(error) => return Err(error),
            };
            if let Some(on_progress) = &mut self.on_progress {
                on_progress(&task);
            }
            delay = schedule.next_delay(TaskReading {
                at: started.elapsed(),
                started: task.started_at.is_some() || task.status == Some(TaskStatusEnum::Running),
                progress: task.progress,
            });
        }
    }
}

impl<'a> IntoFuture for TaskWait<'a> {
    type Output = Result<Task, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

enum TaskEnding {
    Completed,
    Failed,
}

/// `None` while the task runs, is pending, or reads a status this version
/// does not know (which may yet turn into an ending).
fn ending(task: &Task) -> Option<TaskEnding> {
    match task.status.as_ref()? {
        TaskStatusEnum::Completed => Some(TaskEnding::Completed),
        TaskStatusEnum::Failed => Some(TaskEnding::Failed),
        _ => None,
    }
}

/// A task that did not complete: it failed, or had not ended by the wait's
/// deadline. It holds the last reading of the task.
#[derive(Debug, Clone)]
pub struct TaskError {
    kind: TaskErrorKind,
    task: Task,
    waited: Duration,
}

/// How a task did not complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskErrorKind {
    /// Katapult reports the task `failed`.
    Failed,
    /// The wait's deadline passed while the task was still pending or
    /// running; it may still finish.
    DeadlineExceeded,
}

impl TaskError {
    fn error(kind: TaskErrorKind, task: Task, waited: Duration) -> Error {
        Error::Task(Box::new(Self { kind, task, waited }))
    }

    /// Failed, or still running at the deadline.
    pub fn kind(&self) -> TaskErrorKind {
        self.kind
    }

    /// The last reading of the task: its id, name, status and progress.
    pub fn task(&self) -> &Task {
        &self.task
    }

    /// How long the wait lasted.
    pub fn waited(&self) -> Duration {
        self.waited
    }
}

impl std::fmt::Display for TaskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let task = &self.task;
        let id = task.id.as_deref().unwrap_or("(no id)");
        let name = task
            .name
            .as_deref()
            .map(|name| format!(" ({name})"))
            .unwrap_or_default();
        let progress = task
            .progress
            .map(|p| format!(" at {p}%"))
            .unwrap_or_default();
        match self.kind {
            TaskErrorKind::Failed => write!(
                f,
                "task {id}{name} failed{progress}; the change it was making did not complete: \
                 read the disk to see its state, then try again or contact support with the task id"
            ),
            TaskErrorKind::DeadlineExceeded => {
                let status = task
                    .status
                    .as_ref()
                    .map_or_else(|| "no status".to_owned(), ToString::to_string);
                write!(
                    f,
                    "task {id}{name} had not ended after {:.0?} (last read: {status}{progress}); \
                     it may still finish: wait longer (`katapult task wait --task-id {id}`) \
                     or read it with get_task",
                    self.waited
                )
            }
        }
    }
}

impl std::error::Error for TaskError {}
