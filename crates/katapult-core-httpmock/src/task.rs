//! Tasks and the clock they run on: when a task is pending, running or
//! over, how far along it is, and what it does to its disk when it ends.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

/// The mock's own time: real time since the mock started, plus whatever
/// [`Clock::advance`] skipped. A manual clock moves only by `advance`.
pub(crate) struct Clock {
    started: Instant,
    /// The Unix time at `started`, for the timestamps tasks show.
    epoch: Duration,
    skipped: Duration,
    manual: bool,
}

impl Clock {
    pub(crate) fn new(manual: bool) -> Self {
        Self {
            started: Instant::now(),
            epoch: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default(),
            skipped: Duration::ZERO,
            manual,
        }
    }

    /// How long the mock has been running, by its own clock.
    pub(crate) fn now(&self) -> Duration {
        if self.manual {
            self.skipped
        } else {
            self.started.elapsed() + self.skipped
        }
    }

    pub(crate) fn advance(&mut self, by: Duration) {
        self.skipped += by;
    }

    /// `at` (mock time) in seconds since the Unix epoch, as the API writes times.
    pub(crate) fn unix(&self, at: Duration) -> u64 {
        (self.epoch + at).as_secs()
    }
}

/// What a task does to its disk when it completes.
pub(crate) enum Change {
    /// The size becomes this; the disk's `state` goes back to `then`.
    Size { size_in_gb: i64, then: Value },
    /// The I/O profile becomes this; the disk's `state` goes back to `then`.
    IoProfile { io_profile: Value, then: Value },
    /// The attachment's `state` becomes this (`attached`, `detached`).
    Attachment { then: &'static str },
}

impl Change {
    /// Applies the change to the stored disk.
    pub(crate) fn land(&self, disk: &mut Map<String, Value>) {
        match self {
            Change::Size { size_in_gb, then } => {
                disk.insert("size_in_gb".into(), (*size_in_gb).into());
                disk.insert("state".into(), then.clone());
            }
            Change::IoProfile { io_profile, then } => {
                disk.insert("io_profile".into(), io_profile.clone());
                disk.insert("state".into(), then.clone());
            }
            Change::Attachment { then } => {
                if let Some(Value::Object(attachment)) = disk.get_mut("virtual_machine_disk") {
                    attachment.insert("state".into(), (*then).into());
                }
            }
        }
    }
}

/// How a task ended.
#[derive(Clone, Copy)]
pub(crate) enum Ending {
    Completed,
    /// Its disk disappeared while it ran, at this mock time.
    Failed {
        at: Duration,
    },
}

/// A task on one disk: pending for the first tenth of its duration, then
/// running with its progress rising evenly, then completed (its change
/// landing on the disk at that instant).
pub(crate) struct Task {
    pub(crate) id: String,
    pub(crate) name: &'static str,
    pub(crate) disk_id: String,
    pub(crate) created: Duration,
    pub(crate) duration: Duration,
    pub(crate) change: Change,
    pub(crate) ended: Option<Ending>,
}

impl Task {
    /// When it completes, if nothing stops it first.
    pub(crate) fn due(&self) -> Duration {
        self.created + self.duration
    }

    fn starts(&self) -> Duration {
        self.created + self.duration / 10
    }

    /// Percent done at `at`, for a task not yet completed: 0 before it
    /// starts, then up to 99 (100 only once completed).
    fn progress(&self, at: Duration) -> u64 {
        let run = self.due().saturating_sub(self.starts());
        let done = at.saturating_sub(self.starts());
        if run.is_zero() {
            return 0;
        }
        ((done.as_nanos() * 100 / run.as_nanos()) as u64).min(99)
    }

    /// The task as `GET /tasks/task` shows it at `now`. A task answered
    /// at the instant it was created is always `pending`, as Katapult's are.
    pub(crate) fn view(&self, clock: &Clock, now: Duration) -> Value {
        let unix = |at: Duration| Value::from(clock.unix(at));
        let (status, progress, started_at, finished_at) = match self.ended {
            Some(Ending::Completed) => ("completed", 100, unix(self.starts()), unix(self.due())),
            Some(Ending::Failed { at }) => {
                let started = if at >= self.starts() {
                    unix(self.starts())
                } else {
                    Value::Null
                };
                ("failed", self.progress(at), started, unix(at))
            }
            None if now == self.created || now < self.starts() => {
                ("pending", 0, Value::Null, Value::Null)
            }
            None => (
                "running",
                self.progress(now),
                unix(self.starts()),
                Value::Null,
            ),
        };
        json!({
            "id": self.id,
            "name": self.name,
            "status": status,
            "created_at": clock.unix(self.created),
            "started_at": started_at,
            "finished_at": finished_at,
            "progress": progress,
        })
    }
}
