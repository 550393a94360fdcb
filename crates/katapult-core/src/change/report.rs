//! What a change did ([`ChangeReport`]), and how it failed part-way
//! ([`ChangeFailed`]).

use serde::Serialize;

use super::{ChangePlan, DiskOperation, PlanEntry};
#[cfg(doc)]
use crate::Client;
use crate::Error;
use crate::types::{self, Task};

/// A plan with the disk it was made from: [`Client::plan_disk_change`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PlannedChange {
    /// What differs, and the steps that make it.
    pub plan: ChangePlan,
    /// The disk as read.
    pub disk: types::Disk,
    /// Its annotations as read.
    pub annotations: Vec<types::KeyValue>,
}

/// What a change did: the plan, each step sent, the tasks and how each
/// ended, the writes whose answers were lost and how they were settled, and
/// the disk as read at the end.
///
/// As JSON (`serde`), the shape `katapult disk change` prints:
/// `{"plan": [...], "steps": [...], "tasks": [...], "reconciled": [...], "disk": {...}}`.
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct ChangeReport {
    /// Each property that differed: from, to, and the operation.
    pub plan: Vec<PlanEntry>,
    /// The steps sent, in order.
    pub steps: Vec<StepDone>,
    /// The tasks the steps started, as last read.
    pub tasks: Vec<TaskDone>,
    /// Writes whose answer was lost, and what reading the disk showed.
    pub reconciled: Vec<Reconciled>,
    /// The disk as read at the end (absent when the change stopped before
    /// a read, or did not wait).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disk: Option<types::Disk>,
    /// Its annotations as read at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Vec<types::KeyValue>>,
}

/// One step sent.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct StepDone {
    /// The operation (`resize_disk`, ...).
    pub operation: DiskOperation,
    /// `X-Request-Id` of the answer, when one arrived.
    pub request_id: Option<String>,
    /// Whether a read after it showed the change (false when the change
    /// did not wait).
    pub verified: bool,
}

/// A task a step started, as last read.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct TaskDone {
    /// The step that started it.
    pub operation: DiskOperation,
    /// The task.
    pub task: Task,
}

/// A write whose answer was lost (a timeout, or a connection broken after
/// sending), settled by reading the disk.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Reconciled {
    /// The write.
    pub operation: DiskOperation,
    /// What the disk showed.
    pub found: Settled,
    /// The network error the answer was lost to.
    pub error: String,
}

/// What reading the disk after a lost answer showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Settled {
    /// The change is there: carried on as if answered.
    Applied,
    /// The change is under way (the disk reads `resizing` or
    /// `configuring`, or the attachment `attaching` or `detaching`):
    /// carried on, waiting for the disk instead of the unknown task.
    UnderWay,
    /// Neither, and the operation is safe to send twice: sent again.
    SentAgain,
    /// Neither, and the operation is not safe to send twice: the change
    /// stopped there (the disk read as unchanged).
    NotApplied,
}

/// A change that stopped part-way, or whose result does not read as asked:
/// [`Error::Change`]. Its report says which steps were done.
#[derive(Debug)]
pub struct ChangeFailed {
    pub(super) report: ChangeReport,
    pub(super) step: Option<DiskOperation>,
    pub(super) reason: String,
    pub(super) source: Option<Error>,
}

impl ChangeFailed {
    /// Everything done before it stopped.
    pub fn report(&self) -> &ChangeReport {
        &self.report
    }

    /// The step it stopped at, if it stopped at one.
    pub fn step(&self) -> Option<DiskOperation> {
        self.step
    }

    /// The error it stopped on, when a request or a task failed.
    pub fn cause(&self) -> Option<&Error> {
        self.source.as_ref()
    }
}

impl std::fmt::Display for ChangeFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.step {
            Some(step) => write!(f, "the disk change stopped at {step}: {}", self.reason)?,
            None => write!(f, "the disk change did not finish: {}", self.reason)?,
        }
        let done: Vec<&str> = self
            .report
            .steps
            .iter()
            .map(|s| s.operation.as_str())
            .collect();
        if done.is_empty() {
            f.write_str("; no step had been sent")
        } else {
            write!(f, "; steps sent before: {}", done.join(", "))
        }
    }
}

impl std::error::Error for ChangeFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e as _)
    }
}
