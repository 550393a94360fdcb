//! What a running change tells its caller as it goes, for a progress bar:
//! each step as it starts, each reading of its task, and each step as it
//! ends ([`ChangeOptions::on_progress`](super::ChangeOptions::on_progress)).

use std::sync::Arc;

use super::DiskOperation;
use crate::types::Task;

/// One moment of a running change, given to the callback set with
/// [`ChangeOptions::on_progress`](super::ChangeOptions::on_progress).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ChangeProgress<'a> {
    /// The disk being changed (several run at once under
    /// [`Client::change_disks`](crate::Client::change_disks)).
    pub disk_id: &'a str,
    /// The step's operation.
    pub operation: DiskOperation,
    /// Which step, from 1.
    pub step: usize,
    /// How many steps the plan has.
    pub steps: usize,
    /// What happened.
    pub event: ChangeEvent<'a>,
}

/// What happened in a step: [`ChangeProgress::event`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum ChangeEvent<'a> {
    /// The step starts: the disk is read first where the step depends on
    /// an earlier one, then the write is sent.
    Started,
    /// A reading of the task the step's write started (status and
    /// progress), each poll, the first being the write's answer.
    Task(&'a Task),
    /// The step is done: sent and, when the change waits, its task ended
    /// and the change read back from the disk.
    Done,
}

/// The callback, shared by the clones of the options (a bulk change
/// clones them for each disk).
pub(crate) type OnChangeProgress = Arc<dyn Fn(&ChangeProgress<'_>) + Send + Sync>;
