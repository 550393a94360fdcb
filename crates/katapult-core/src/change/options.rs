//! How a change runs ([`ChangeOptions`]): whether it waits, how long it
//! may take, and who hears of its progress.

use std::sync::Arc;
use std::time::Duration;

use super::ChangeProgress;
use super::progress::OnChangeProgress;
#[cfg(doc)]
use crate::Client;
use crate::task::DEFAULT_TASK_DEADLINE;

/// How a change runs: [`Client::change_disk`].
#[derive(Clone)]
#[non_exhaustive]
pub struct ChangeOptions {
    /// Wait for each step's task and read the disk back until the change
    /// shows (the default). Without it each write is sent once the disk is
    /// ready for it (a step that depends on an earlier one still waits for
    /// the disk to settle), and the change returns once the last is
    /// accepted, unverified.
    pub wait: bool,
    /// How long the whole change may take: reads, writes, task waits and
    /// read-backs. [`DEFAULT_TASK_DEADLINE`] unless set.
    pub deadline: Duration,
    pub(super) on_progress: Option<OnChangeProgress>,
}

impl Default for ChangeOptions {
    fn default() -> Self {
        Self {
            wait: true,
            deadline: DEFAULT_TASK_DEADLINE,
            on_progress: None,
        }
    }
}

impl std::fmt::Debug for ChangeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeOptions")
            .field("wait", &self.wait)
            .field("deadline", &self.deadline)
            .field("on_progress", &self.on_progress.as_ref().map(|_| "Fn"))
            .finish()
    }
}

impl ChangeOptions {
    /// Return once each write is accepted; see [`ChangeOptions::wait`].
    pub fn no_wait(mut self) -> Self {
        self.wait = false;
        self
    }

    /// See [`ChangeOptions::deadline`].
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Calls `on_progress` as the change runs: as each step starts, with
    /// each reading of its task (the write's answer, then each poll), and
    /// as each step is done. Enough to drive a progress bar; under
    /// [`Client::change_disks`] it is called for every disk, from the
    /// tasks that run them, so it must be quick and may not block.
    ///
    /// ```
    /// use katapult_core::{ChangeEvent, ChangeOptions};
    ///
    /// let options = ChangeOptions::default().on_progress(|moment| match moment.event {
    ///     ChangeEvent::Started => eprintln!("{}/{} {}", moment.step, moment.steps, moment.operation),
    ///     ChangeEvent::Task(task) => eprintln!("  {}%", task.progress.unwrap_or(0)),
    ///     ChangeEvent::Done => eprintln!("  done"),
    ///     _ => {}
    /// });
    /// # let _ = options;
    /// ```
    pub fn on_progress(
        mut self,
        on_progress: impl Fn(&ChangeProgress<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.on_progress = Some(Arc::new(on_progress));
        self
    }
}
