//! Reconciling a write whose answer was lost, for every kind of write,
//! applied and not applied: against the stateful mock Katapult, which
//! applies the write or not and then holds its answer back past the
//! client's timeout (`KatapultMock::lose_answer`).
//!
//! What the report must say, from the disk read after the loss:
//!
//! | the write | applied | not applied |
//! |---|---|---|
//! | without a task (update, assign, unassign) | applied | sent again if safe, otherwise not applied |
//! | with a task (resize, I/O profile, attach, detach) | under way while its task runs, applied once it has | the same |
//!
//! `update_disk`, `resize_disk` and `change_disk_io_profile` are safe to
//! send twice (`x-idempotent`); attach, detach, assign and unassign are not,
//! and each test counts that such a write reached the mock exactly once.

use std::num::NonZeroU32;
use std::time::Duration;

use katapult_core::types::{DiskIoProfileLookup, VirtualMachineLookup};
use katapult_core::{
    ChangeOptions, ChangeReport, Client, DiskChange, DiskOperation, Error, RetryPolicy, Settled,
};
use katapult_core_httpmock::{KatapultMock, LostAnswer};
use serde_json::{Value, json};

use crate::support::{TOKEN, bounded};

/// A lost answer costs the client's timeout, a task a fraction of a second,
/// a read-back up to a second more; a failing test stops well before this.
const LIMIT: Duration = Duration::from_secs(60);

/// The client's per-attempt timeout: how long it waits for an answer the
/// mock holds back before it counts it lost.
const TIMEOUT: Duration = Duration::from_millis(300);

/// A task that ends before the client gives up on the answer: the disk
/// read after the loss shows the change made.
const QUICK_TASK: Duration = Duration::from_millis(50);

/// A task still running when the client reads the disk after the loss.
const SLOW_TASK: Duration = Duration::from_millis(1500);

/// The virtual machine the mock knows.
const VM: &str = "vm_EbcEXQaIiVVWMjEO";

/// Where the disk starts.
enum Start {
    /// The mock's demo disk: 20 GB, detached, no virtual machine.
    Demo,
    /// Assigned to [`VM`], its attachment in this state.
    Assigned(&'static str),
}

struct Case {
    operation: DiskOperation,
    how: LostAnswer,
    start: Start,
    change: fn(DiskChange) -> DiskChange,
    task: Duration,
}

/// What a case did: the change's report (from its error, when it failed),
/// whether it failed, the disk as the mock holds it at the end, and how
/// many times the write reached the mock.
struct Outcome {
    report: ChangeReport,
    failed: Option<Error>,
    disk: Value,
    sent: usize,
}

impl Outcome {
    /// How the one lost answer was settled.
    fn settled(&self) -> Settled {
        assert_eq!(
            self.report.reconciled.len(),
            1,
            "one answer was lost: {:?}",
            self.report.reconciled
        );
        self.report.reconciled[0].found
    }
}

async fn run(case: Case) -> Outcome {
    let mock = KatapultMock::builder()
        .task_duration(case.task)
        .start()
        .await;
    if let Start::Assigned(state) = case.start {
        mock.put_disk(json!({
            "id": "disk_1",
            "name": "data",
            "size_in_gb": 20,
            "state": "built",
            "virtual_machine_disk": {
                "virtual_machine": {"id": VM, "fqdn": "web-1.example.katapult.cloud"},
                "attach_on_boot": true,
                "boot": false,
                "state": state,
            },
        }));
    }
    mock.lose_answer(case.operation, case.how);
    // No retries in the call path: the change's reconcile step alone
    // decides whether a write goes again.
    let client = Client::builder()
        .token(TOKEN)
        .base_url(mock.base_url())
        .timeout(TIMEOUT)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let change = (case.change)(DiskChange::new("disk_1"));
    let (report, failed) = match client.change_disk(&change, ChangeOptions::default()).await {
        Ok(report) => (report, None),
        Err(Error::Change(failed)) => (failed.report().clone(), Some(Error::Change(failed))),
        Err(other) => panic!("expected a report, got {other:?}"),
    };
    let reconciled = report.reconciled.first().map(|r| r.operation);
    assert_eq!(reconciled, Some(case.operation), "the lost write is named");
    Outcome {
        report,
        failed,
        disk: mock.disk("disk_1").unwrap(),
        sent: mock.sent(case.operation),
    }
}

/// Asserts the change finished, and the disk (in the mock and in the
/// report) reads `value` at `pointer`.
fn finished(outcome: &Outcome, pointer: &str, value: Value) {
    if let Some(error) = &outcome.failed {
        panic!("the change should have finished: {error}");
    }
    assert_eq!(outcome.disk.pointer(pointer), Some(&value), "{pointer}");
    // The typed disk leaves out what is `null`.
    let read = serde_json::to_value(outcome.report.disk.as_ref().unwrap()).unwrap();
    let read = read.pointer(pointer).unwrap_or(&Value::Null);
    assert_eq!(read, &value, "the report's disk");
}

/// Asserts the change stopped at the lost write, which was not sent again
/// and says so, and the disk still reads `value` at `pointer`.
fn stopped(outcome: &Outcome, operation: DiskOperation, pointer: &str, value: Value) {
    let Some(Error::Change(failed)) = &outcome.failed else {
        panic!("the change should have stopped at {operation}");
    };
    assert_eq!(failed.step(), Some(operation));
    let message = failed.to_string();
    assert!(message.contains("not sent again"), "{message}");
    assert_eq!(outcome.sent, 1, "{operation} is not safe to send twice");
    assert_eq!(outcome.disk.pointer(pointer), Some(&value), "{pointer}");
}

fn rename(change: DiskChange) -> DiskChange {
    change.name("logs")
}

fn grow(change: DiskChange) -> DiskChange {
    change.size_in_gb(NonZeroU32::new(30).unwrap())
}

fn fast_profile(change: DiskChange) -> DiskChange {
    change.io_profile(DiskIoProfileLookup::Permalink("fast".into()))
}

fn attach(change: DiskChange) -> DiskChange {
    change.attached(true)
}

fn detach(change: DiskChange) -> DiskChange {
    change.attached(false)
}

fn assign(change: DiskChange) -> DiskChange {
    change.assign_to(VirtualMachineLookup::Id(VM.into()))
}

fn unassign(change: DiskChange) -> DiskChange {
    change.unassign()
}

fn case(operation: DiskOperation, how: LostAnswer, change: fn(DiskChange) -> DiskChange) -> Case {
    Case {
        operation,
        how,
        start: Start::Demo,
        change,
        task: QUICK_TASK,
    }
}

// ---- update_disk: no task, safe to send twice -------------------------------

#[tokio::test]
async fn a_lost_update_that_was_applied_is_carried_on_with() {
    bounded(LIMIT, async {
        let outcome = run(case(DiskOperation::UpdateDisk, LostAnswer::Applied, rename)).await;
        assert_eq!(outcome.settled(), Settled::Applied);
        assert_eq!(outcome.sent, 1);
        finished(&outcome, "/name", json!("logs"));
    })
    .await;
}

#[tokio::test]
async fn a_lost_update_that_was_not_applied_is_sent_again() {
    bounded(LIMIT, async {
        let outcome = run(case(
            DiskOperation::UpdateDisk,
            LostAnswer::NotApplied,
            rename,
        ))
        .await;
        assert_eq!(outcome.settled(), Settled::SentAgain);
        assert_eq!(outcome.sent, 2);
        finished(&outcome, "/name", json!("logs"));
    })
    .await;
}

// ---- resize_disk: a task, safe to send twice --------------------------------

#[tokio::test]
async fn a_lost_resize_that_was_applied_and_is_done_is_carried_on_with() {
    bounded(LIMIT, async {
        let outcome = run(case(DiskOperation::ResizeDisk, LostAnswer::Applied, grow)).await;
        assert_eq!(outcome.settled(), Settled::Applied);
        assert_eq!(outcome.sent, 1);
        finished(&outcome, "/size_in_gb", json!(30));
    })
    .await;
}

#[tokio::test]
async fn a_lost_resize_still_running_is_under_way_and_waited_for() {
    bounded(LIMIT, async {
        let mut slow = case(DiskOperation::ResizeDisk, LostAnswer::Applied, grow);
        slow.task = SLOW_TASK;
        let outcome = run(slow).await;
        assert_eq!(outcome.settled(), Settled::UnderWay);
        assert_eq!(outcome.sent, 1);
        finished(&outcome, "/size_in_gb", json!(30));
    })
    .await;
}

#[tokio::test]
async fn a_lost_resize_that_was_not_applied_is_sent_again() {
    bounded(LIMIT, async {
        let outcome = run(case(
            DiskOperation::ResizeDisk,
            LostAnswer::NotApplied,
            grow,
        ))
        .await;
        assert_eq!(outcome.settled(), Settled::SentAgain);
        assert_eq!(outcome.sent, 2);
        assert_eq!(outcome.report.tasks.len(), 1, "the second send's task");
        finished(&outcome, "/size_in_gb", json!(30));
    })
    .await;
}

// ---- change_disk_io_profile: a task, safe to send twice ---------------------

#[tokio::test]
async fn a_lost_io_profile_change_that_was_applied_is_carried_on_with() {
    bounded(LIMIT, async {
        let outcome = run(case(
            DiskOperation::ChangeDiskIoProfile,
            LostAnswer::Applied,
            fast_profile,
        ))
        .await;
        assert_eq!(outcome.settled(), Settled::Applied);
        assert_eq!(outcome.sent, 1);
        finished(&outcome, "/io_profile/permalink", json!("fast"));
    })
    .await;
}

#[tokio::test]
async fn a_lost_io_profile_change_still_running_is_under_way() {
    bounded(LIMIT, async {
        let mut slow = case(
            DiskOperation::ChangeDiskIoProfile,
            LostAnswer::Applied,
            fast_profile,
        );
        slow.task = SLOW_TASK;
        let outcome = run(slow).await;
        assert_eq!(outcome.settled(), Settled::UnderWay);
        assert_eq!(outcome.sent, 1);
        finished(&outcome, "/io_profile/permalink", json!("fast"));
    })
    .await;
}

#[tokio::test]
async fn a_lost_io_profile_change_that_was_not_applied_is_sent_again() {
    bounded(LIMIT, async {
        let outcome = run(case(
            DiskOperation::ChangeDiskIoProfile,
            LostAnswer::NotApplied,
            fast_profile,
        ))
        .await;
        assert_eq!(outcome.settled(), Settled::SentAgain);
        assert_eq!(outcome.sent, 2);
        finished(&outcome, "/io_profile/permalink", json!("fast"));
    })
    .await;
}

// ---- attach_disk: a task, not safe to send twice ----------------------------

fn assigned(operation: DiskOperation, how: LostAnswer, state: &'static str) -> Case {
    let change = match operation {
        DiskOperation::AttachDisk => attach,
        DiskOperation::DetachDisk => detach,
        _ => unassign,
    };
    Case {
        start: Start::Assigned(state),
        ..case(operation, how, change)
    }
}

#[tokio::test]
async fn a_lost_attach_that_was_applied_is_carried_on_with() {
    bounded(LIMIT, async {
        let outcome = run(assigned(
            DiskOperation::AttachDisk,
            LostAnswer::Applied,
            "detached",
        ))
        .await;
        assert_eq!(outcome.settled(), Settled::Applied);
        assert_eq!(outcome.sent, 1);
        finished(&outcome, "/virtual_machine_disk/state", json!("attached"));
    })
    .await;
}

#[tokio::test]
async fn a_lost_attach_still_running_is_under_way() {
    bounded(LIMIT, async {
        let mut slow = assigned(DiskOperation::AttachDisk, LostAnswer::Applied, "detached");
        slow.task = SLOW_TASK;
        let outcome = run(slow).await;
        assert_eq!(outcome.settled(), Settled::UnderWay);
        assert_eq!(outcome.sent, 1);
        finished(&outcome, "/virtual_machine_disk/state", json!("attached"));
    })
    .await;
}

#[tokio::test]
async fn a_lost_attach_that_was_not_applied_is_not_sent_again() {
    bounded(LIMIT, async {
        let outcome = run(assigned(
            DiskOperation::AttachDisk,
            LostAnswer::NotApplied,
            "detached",
        ))
        .await;
        assert_eq!(outcome.settled(), Settled::NotApplied);
        stopped(
            &outcome,
            DiskOperation::AttachDisk,
            "/virtual_machine_disk/state",
            json!("detached"),
        );
    })
    .await;
}

// ---- detach_disk: a task, not safe to send twice ----------------------------

#[tokio::test]
async fn a_lost_detach_that_was_applied_is_carried_on_with() {
    bounded(LIMIT, async {
        let outcome = run(assigned(
            DiskOperation::DetachDisk,
            LostAnswer::Applied,
            "attached",
        ))
        .await;
        assert_eq!(outcome.settled(), Settled::Applied);
        assert_eq!(outcome.sent, 1);
        finished(&outcome, "/virtual_machine_disk/state", json!("detached"));
    })
    .await;
}

#[tokio::test]
async fn a_lost_detach_still_running_is_under_way() {
    bounded(LIMIT, async {
        let mut slow = assigned(DiskOperation::DetachDisk, LostAnswer::Applied, "attached");
        slow.task = SLOW_TASK;
        let outcome = run(slow).await;
        assert_eq!(outcome.settled(), Settled::UnderWay);
        assert_eq!(outcome.sent, 1);
        finished(&outcome, "/virtual_machine_disk/state", json!("detached"));
    })
    .await;
}

#[tokio::test]
async fn a_lost_detach_that_was_not_applied_is_not_sent_again() {
    bounded(LIMIT, async {
        let outcome = run(assigned(
            DiskOperation::DetachDisk,
            LostAnswer::NotApplied,
            "attached",
        ))
        .await;
        assert_eq!(outcome.settled(), Settled::NotApplied);
        stopped(
            &outcome,
            DiskOperation::DetachDisk,
            "/virtual_machine_disk/state",
            json!("attached"),
        );
    })
    .await;
}

// ---- assign_disk: no task, not safe to send twice ---------------------------

#[tokio::test]
async fn a_lost_assign_that_was_applied_is_carried_on_with() {
    bounded(LIMIT, async {
        let outcome = run(case(DiskOperation::AssignDisk, LostAnswer::Applied, assign)).await;
        assert_eq!(outcome.settled(), Settled::Applied);
        assert_eq!(outcome.sent, 1);
        finished(
            &outcome,
            "/virtual_machine_disk/virtual_machine/id",
            json!(VM),
        );
    })
    .await;
}

#[tokio::test]
async fn a_lost_assign_that_was_not_applied_is_not_sent_again() {
    bounded(LIMIT, async {
        let outcome = run(case(
            DiskOperation::AssignDisk,
            LostAnswer::NotApplied,
            assign,
        ))
        .await;
        assert_eq!(outcome.settled(), Settled::NotApplied);
        stopped(
            &outcome,
            DiskOperation::AssignDisk,
            "/virtual_machine_disk",
            Value::Null,
        );
    })
    .await;
}

// ---- unassign_disk: no task, not safe to send twice -------------------------

#[tokio::test]
async fn a_lost_unassign_that_was_applied_is_carried_on_with() {
    bounded(LIMIT, async {
        let outcome = run(assigned(
            DiskOperation::UnassignDisk,
            LostAnswer::Applied,
            "detached",
        ))
        .await;
        assert_eq!(outcome.settled(), Settled::Applied);
        assert_eq!(outcome.sent, 1);
        finished(&outcome, "/virtual_machine_disk", Value::Null);
    })
    .await;
}

#[tokio::test]
async fn a_lost_unassign_that_was_not_applied_is_not_sent_again() {
    bounded(LIMIT, async {
        let outcome = run(assigned(
            DiskOperation::UnassignDisk,
            LostAnswer::NotApplied,
            "detached",
        ))
        .await;
        assert_eq!(outcome.settled(), Settled::NotApplied);
        stopped(
            &outcome,
            DiskOperation::UnassignDisk,
            "/virtual_machine_disk/virtual_machine/id",
            json!(VM),
        );
    })
    .await;
}

// ---- with the call path's own retries ---------------------------------------

/// With the default retry policy, the call path itself sends a safe write
/// again after a timeout, and the change never sees the loss; an unsafe
/// write still goes once, and the change's reconcile step settles it.
#[tokio::test]
async fn with_default_retries_a_safe_write_is_retried_and_an_unsafe_one_is_not() {
    bounded(LIMIT, async {
        let mock = KatapultMock::builder()
            .task_duration(QUICK_TASK)
            .start()
            .await;
        mock.lose_answer(DiskOperation::UpdateDisk, LostAnswer::NotApplied);
        mock.lose_answer(DiskOperation::AssignDisk, LostAnswer::NotApplied);
        let client = Client::builder()
            .token(TOKEN)
            .base_url(mock.base_url())
            .timeout(TIMEOUT)
            .build()
            .unwrap();
        let rename = DiskChange::new("disk_1").name("logs");
        let report = client
            .change_disk(&rename, ChangeOptions::default())
            .await
            .unwrap();
        assert!(report.reconciled.is_empty(), "the call path retried it");
        assert_eq!(mock.sent(DiskOperation::UpdateDisk), 2);

        let error = client
            .change_disk(&assign(DiskChange::new("disk_1")), ChangeOptions::default())
            .await
            .unwrap_err();
        let Error::Change(failed) = &error else {
            panic!("expected a change failure, got {error:?}");
        };
        assert_eq!(failed.report().reconciled[0].found, Settled::NotApplied);
        assert_eq!(mock.sent(DiskOperation::AssignDisk), 1);
    })
    .await;
}
