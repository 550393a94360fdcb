//! Running a disk change: read the disk, plan, send each step to the one
//! operation that can make it, wait for its task, read the disk back until
//! the change shows, and settle a write whose answer was lost by reading
//! the disk rather than guessing.
//!
//! The answer to a write shows the disk as it was (on the running API, a
//! resize from 20 to 30 GB answers 20 with a `pending` task), so a step is
//! only done when a read after its task shows it; a size lags behind its task,
//! so that read is repeated, within the deadline, until it does.

use std::time::{Duration, Instant};

use super::{
    ChangeEvent, ChangeFailed, ChangeOptions, ChangeProgress, ChangeReport, ChangeStep, DiskChange,
    DiskOperation, PlannedChange, PropertyMismatch, Reconciled, ResizeMethod, Settled, StepAction,
    StepDone, StepReadiness, TaskDone,
};
use crate::error::NetworkErrorKind;
use crate::types::{self, DiskLookup, ResizeMethodEnum, Task};
use crate::{Client, Error};

/// How long to wait between reads of a disk that is settling or whose
/// change has not shown yet: the recorded lag of a size behind its task is
/// well under a second, and a state change is a task of seconds.
const SETTLE_POLL: Duration = Duration::from_secs(1);

impl Client {
    /// Reads the disk and plans `change` against it: each property that
    /// differs, the operation that makes it, and the steps in a safe order.
    /// Nothing is written. A change the rules refuse is
    /// [`Error::PlanRefused`].
    pub async fn plan_disk_change(&self, change: &DiskChange) -> Result<PlannedChange, Error> {
        let read = self.get_disk(&change.disk_id).await?.into_inner();
        let plan = change
            .plan(&read.disk, &read.annotations)
            .map_err(|refusal| Error::PlanRefused(Box::new(refusal)))?;
        Ok(PlannedChange {
            plan,
            disk: read.disk,
            annotations: read.annotations,
        })
    }

    /// Makes `change` on an existing disk: plans it
    /// ([`plan_disk_change`](Self::plan_disk_change)), then runs each step
    /// through the operation that can make it, waits for its task, and
    /// reads the disk back until the change shows. A plan with nothing to
    /// do sends nothing.
    ///
    /// A write whose answer was lost is settled by reading the disk: a
    /// change that is there or under way is carried on with; one that is
    /// not is sent again when the operation is safe to send twice, and
    /// otherwise the change stops with the disk read as unchanged. The
    /// report says which.
    ///
    /// ```no_run
    /// # async fn run(client: katapult_core::Client) -> Result<(), katapult_core::Error> {
    /// use std::num::NonZeroU32;
    /// use katapult_core::{ChangeOptions, DiskChange};
    ///
    /// let change = DiskChange::new("disk_Xb0t6tHBeFhcc0vZ")
    ///     .name("database")
    ///     .size_in_gb(NonZeroU32::new(50).unwrap());
    /// let report = client.change_disk(&change, ChangeOptions::default()).await?;
    /// for entry in &report.plan {
    ///     println!("{}: {} -> {} ({})", entry.property, entry.from, entry.to, entry.operation);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn change_disk(
        &self,
        change: &DiskChange,
        options: ChangeOptions,
    ) -> Result<ChangeReport, Error> {
        let started = Instant::now();
        // A view's hard deadline (`CallOptions::deadline`) bounds the whole
        // change: every read, write and task wait in it.
        let (client, left) = self.whole_call(started);
        let options = match left {
            Some(left) => {
                let deadline = options.deadline.min(left);
                options.deadline(deadline)
            }
            None => options,
        };
        let planned = client.plan_disk_change(change).await?;
        let mut run = Run {
            client: &client,
            change,
            options,
            started,
            report: ChangeReport {
                plan: planned.plan.entries.clone(),
                ..ChangeReport::default()
            },
            disk: planned.disk,
            annotations: planned.annotations,
        };
        let steps = planned.plan.steps.len();
        for (index, step) in planned.plan.steps.iter().enumerate() {
            let at = Moment {
                operation: step.operation(),
                step: index + 1,
                steps,
            };
            run.tell(at, ChangeEvent::Started);
            if let Err(failure) = run.step(step, at).await {
                return Err(run.fail(Some(step.operation()), failure));
            }
            run.tell(at, ChangeEvent::Done);
        }
        if run.options.wait && !planned.plan.is_empty() {
            let mismatches = run.change.verify(&run.disk, &run.annotations);
            if !mismatches.is_empty() {
                let failure = Failure::NotLanded(mismatches);
                return Err(run.fail(None, failure));
            }
        }
        if run.options.wait || planned.plan.is_empty() {
            run.report.disk = Some(run.disk);
            run.report.annotations = Some(run.annotations);
        }
        Ok(run.report)
    }
}

/// Why a step stopped the change.
enum Failure {
    Call(Error),
    Blocked(String),
    Deadline(&'static str),
    NotApplied,
    NotLanded(Vec<PropertyMismatch>),
}

/// Where in the plan a step is, for [`ChangeProgress`].
#[derive(Clone, Copy)]
struct Moment {
    operation: DiskOperation,
    step: usize,
    steps: usize,
}

struct Run<'a> {
    client: &'a Client,
    change: &'a DiskChange,
    options: ChangeOptions,
    started: Instant,
    report: ChangeReport,
    disk: types::Disk,
    annotations: Vec<types::KeyValue>,
}

impl Run<'_> {
    fn tell(&self, at: Moment, event: ChangeEvent<'_>) {
        if let Some(on_progress) = &self.options.on_progress {
            on_progress(&at.progress(&self.change.disk_id, event));
        }
    }

    fn left(&self) -> Duration {
        self.options.deadline.saturating_sub(self.started.elapsed())
    }

    async fn read(&mut self) -> Result<(), Failure> {
        let read = self
            .client
            .get_disk(&self.change.disk_id)
            .await
            .map_err(Failure::Call)?
            .into_inner();
        self.disk = read.disk;
        self.annotations = read.annotations;
        Ok(())
    }

    /// Reads the disk until `done` says so, once a second, within the deadline.
    async fn read_until(
        &mut self,
        what: &'static str,
        done: impl Fn(&Self) -> bool,
    ) -> Result<(), Failure> {
        loop {
            self.read().await?;
            if done(self) {
                return Ok(());
            }
            let left = self.left();
            if left.is_zero() {
                return Err(Failure::Deadline(what));
            }
            tokio::time::sleep(SETTLE_POLL.min(left)).await;
        }
    }

    async fn step(&mut self, step: &ChangeStep, at: Moment) -> Result<(), Failure> {
        if step.read_disk_first {
            // The step depends on what an earlier one left: wait for the
            // disk to settle into it.
            loop {
                self.read().await?;
                match step.readiness(&self.disk) {
                    StepReadiness::Ready => break,
                    StepReadiness::Blocked(why) => return Err(Failure::Blocked(why)),
                    StepReadiness::Settling(_) if self.left().is_zero() => {
                        return Err(Failure::Deadline("the disk to settle before the step"));
                    }
                    StepReadiness::Settling(_) => {
                        tokio::time::sleep(SETTLE_POLL.min(self.left())).await;
                    }
                }
            }
        }
        let mut sent_again = false;
        let task = loop {
            match self.send(&step.action).await {
                Ok((request_id, task)) => {
                    self.report.steps.push(StepDone {
                        operation: step.operation(),
                        request_id,
                        verified: false,
                    });
                    break task;
                }
                Err(error) if answer_lost(&error) && !sent_again => {
                    match self.reconcile(step, &error).await? {
                        Settled::SentAgain => sent_again = true,
                        Settled::Applied | Settled::UnderWay => {
                            self.report.steps.push(StepDone {
                                operation: step.operation(),
                                request_id: None,
                                verified: false,
                            });
                            break None;
                        }
                        Settled::NotApplied => return Err(Failure::NotApplied),
                    }
                }
                Err(error) => return Err(Failure::Call(error)),
            }
        };
        if let Some(task) = &task {
            self.tell(at, ChangeEvent::Task(task));
        }
        if !self.options.wait {
            if let Some(task) = task {
                self.report.tasks.push(TaskDone {
                    operation: step.operation(),
                    task,
                });
            }
            return Ok(());
        }
        if let Some(task) = task {
            let mut wait = self.client.wait_for_task(&task).deadline(self.left());
            if let Some(on_progress) = self.options.on_progress.clone() {
                let disk_id = self.change.disk_id.clone();
                wait = wait.on_progress(move |task| {
                    on_progress(&at.progress(&disk_id, ChangeEvent::Task(task)));
                });
            }
            let waited = wait.await;
            let last = match &waited {
                Ok(task) => task.clone(),
                Err(Error::Task(error)) => error.task().clone(),
                Err(_) => task,
            };
            self.report.tasks.push(TaskDone {
                operation: step.operation(),
                task: last,
            });
            waited.map_err(Failure::Call)?;
        }
        self.read_until("the change to show on the disk", |run| {
            step.landed(&run.disk, &run.annotations)
        })
        .await?;
        if let Some(done) = self.report.steps.last_mut() {
            done.verified = true;
        }
        Ok(())
    }

    /// A write whose answer was lost: what does the disk show?
    async fn reconcile(&mut self, step: &ChangeStep, error: &Error) -> Result<Settled, Failure> {
        self.read().await?;
        let found = if step.landed(&self.disk, &self.annotations) {
            Settled::Applied
        } else if step.in_progress(&self.disk) {
            Settled::UnderWay
        } else if is_idempotent(step.operation()) {
            Settled::SentAgain
        } else {
            Settled::NotApplied
        };
        self.report.reconciled.push(Reconciled {
            operation: step.operation(),
            found,
            error: error.to_string(),
        });
        Ok(found)
    }

    /// Sends one step: the request id of the answer, and the task it
    /// started, if any.
    async fn send(&self, action: &StepAction) -> Result<(Option<String>, Option<Task>), Error> {
        let client = self.client;
        let disk = || DiskLookup {
            id: self.change.disk_id.clone(),
        };
        fn id<T>(response: &crate::Response<T>) -> Option<String> {
            response.meta().request_id().map(str::to_owned)
        }
        Ok(match action {
            StepAction::UpdateDisk {
                properties,
                annotations,
            } => {
                let answer = client
                    .update_disk(types::UpdateDiskBody {
                        disk: disk(),
                        properties: properties.clone(),
                        annotations: annotations.clone(),
                    })
                    .await?;
                (id(&answer), None)
            }
            StepAction::ResizeDisk {
                size_in_gb,
                resize_method,
            } => {
                let answer = client
                    .resize_disk(types::ResizeDiskBody {
                        disk: disk(),
                        size_in_gb: i64::from(size_in_gb.get()),
                        resize_method: Some(match resize_method {
                            ResizeMethod::Offline => ResizeMethodEnum::Offline,
                            ResizeMethod::Online => ResizeMethodEnum::Online,
                        }),
                    })
                    .await?;
                (id(&answer), Some(answer.into_inner().task))
            }
            StepAction::ChangeDiskIoProfile { io_profile } => {
                let answer = client
                    .change_disk_io_profile(types::ChangeDiskIoProfileBody {
                        disk: disk(),
                        io_profile: io_profile.clone(),
                    })
                    .await?;
                (id(&answer), Some(answer.into_inner().task))
            }
            StepAction::AttachDisk => {
                let answer = client
                    .attach_disk(types::AttachDiskBody { disk: disk() })
                    .await?;
                (id(&answer), Some(answer.into_inner().task))
            }
            StepAction::DetachDisk => {
                let answer = client
                    .detach_disk(types::DetachDiskBody { disk: disk() })
                    .await?;
                (id(&answer), Some(answer.into_inner().task))
            }
            StepAction::AssignDisk { virtual_machine } => {
                let answer = client
                    .assign_disk(types::AssignDiskBody {
                        disk: disk(),
                        virtual_machine: virtual_machine.clone(),
                    })
                    .await?;
                (id(&answer), None)
            }
            StepAction::UnassignDisk => {
                let answer = client
                    .unassign_disk(types::UnassignDiskBody { disk: disk() })
                    .await?;
                (id(&answer), None)
            }
        })
    }

    fn fail(self, step: Option<DiskOperation>, failure: Failure) -> Error {
        let (reason, source) = match failure {
            Failure::Call(error) => (error.to_string(), Some(error)),
            Failure::Blocked(why) => (why, None),
            Failure::Deadline(what) => (
                format!(
                    "the deadline ({:.0?}) passed while waiting for {what}; run the change \
                     again to carry on from where the disk is",
                    self.options.deadline
                ),
                None,
            ),
            Failure::NotApplied => (
                "its answer was lost, and the disk read afterwards does not show it; it is \
                 not safe to send twice, so it was not sent again: run the change again to \
                 plan from the disk as it is"
                    .to_owned(),
                None,
            ),
            Failure::NotLanded(mismatches) => {
                let properties: Vec<String> = mismatches
                    .iter()
                    .map(|m| format!("{} reads {} (asked {})", m.property, m.found, m.wanted))
                    .collect();
                (
                    format!(
                        "every step was sent and waited for, but the disk does not read as \
                         asked: {}",
                        properties.join(", ")
                    ),
                    None,
                )
            }
        };
        let mut report = self.report;
        report.disk = Some(self.disk);
        report.annotations = Some(self.annotations);
        Error::Change(Box::new(ChangeFailed {
            report,
            step,
            reason,
            source,
        }))
    }
}

impl Moment {
    fn progress<'a>(self, disk_id: &'a str, event: ChangeEvent<'a>) -> ChangeProgress<'a> {
        ChangeProgress {
            disk_id,
            operation: self.operation,
            step: self.step,
            steps: self.steps,
            event,
        }
    }
}

/// The answer to a write was lost after it was sent: it may have been
/// applied. A failed connection sent nothing, and a refusal was an answer.
fn answer_lost(error: &Error) -> bool {
    matches!(
        error,
        Error::Network(network)
            if matches!(network.kind(), NetworkErrorKind::Timeout | NetworkErrorKind::Interrupted)
    )
}

/// Whether the fragment says the operation is safe to send twice
/// (`x-idempotent`), as the generated methods record it.
fn is_idempotent(operation: DiskOperation) -> bool {
    crate::generated_methods::OPERATIONS
        .iter()
        .any(|known| known.id == operation.as_str() && known.idempotent)
}
