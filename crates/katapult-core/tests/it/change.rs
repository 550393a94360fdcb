//! Waiting for tasks and changing a disk, end to end: against the stateful
//! mock Katapult (katapult-core-httpmock), and against scripted servers for
//! what the mock does not do (an unknown task status, a lost answer).

use std::future::IntoFuture;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use katapult_core::types::{
    DataCenterLookup, ResizeDiskBody, ResizeMethodEnum, Task, TaskStatusEnum,
};
use katapult_core::{
    ChangeEvent, ChangeOptions, Client, DiskChange, DiskOperation, DiskProperty, Error,
    RetryPolicy, Settled, TaskErrorKind,
};
use katapult_core_httpmock::KatapultMock;
use katapult_test_server::{Reply, Server, katapult};
use serde_json::json;

use crate::support::{TOKEN, bounded};

/// Each test waits for simulated tasks of a fraction of a second, but the
/// first poll of a task comes a few seconds after the write.
const LIMIT: Duration = Duration::from_secs(60);

fn client(base_url: &str) -> Client {
    Client::builder()
        .token(TOKEN)
        .base_url(base_url)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

/// The stateful mock, its tasks taking `duration`, and a client of it.
async fn mock_with_tasks_of(duration: Duration) -> (KatapultMock, Client) {
    let mock = KatapultMock::builder()
        .task_duration(duration)
        .start()
        .await;
    let client = client(&mock.base_url());
    (mock, client)
}

fn resize(id: &str, size: i64) -> ResizeDiskBody {
    ResizeDiskBody {
        disk: katapult_core::types::DiskLookup { id: id.into() },
        size_in_gb: size,
        resize_method: Some(ResizeMethodEnum::Offline),
    }
}

fn size(mock: &KatapultMock, id: &str) -> Option<i64> {
    mock.disk(id)?["size_in_gb"].as_i64()
}

#[tokio::test]
async fn a_task_is_waited_for_until_it_completes_and_progress_is_seen() {
    bounded(LIMIT, async {
        let (mock, client) = mock_with_tasks_of(Duration::from_millis(300)).await;
        let answer = client.resize_disk(resize("disk_1", 30)).await.unwrap();
        // The answer shows the disk as it was, with a pending task.
        assert_eq!(answer.disk.size_in_gb, Some(20));
        assert_eq!(answer.task.status, Some(TaskStatusEnum::Pending));

        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        let done = client
            .wait_for_task(&answer.task)
            .on_progress(move |task| record.lock().unwrap().push(task.status.clone()))
            .await
            .unwrap();
        assert_eq!(done.status, Some(TaskStatusEnum::Completed));
        assert_eq!(done.progress, Some(100));
        assert_eq!(
            seen.lock().unwrap().last().cloned().flatten(),
            Some(TaskStatusEnum::Completed)
        );
        assert_eq!(size(&mock, "disk_1"), Some(30));
    })
    .await;
}

#[tokio::test]
async fn a_task_that_has_ended_is_answered_without_a_request() {
    bounded(LIMIT, async {
        let mock = KatapultMock::start().await;
        let client = client(&mock.base_url());
        let task: Task = serde_json::from_value(json!({
            "id": "task_1", "name": "Grow disk", "status": "completed", "progress": 100
        }))
        .unwrap();
        let done = client.wait_for_task(&task).await.unwrap();
        assert_eq!(done.id.as_deref(), Some("task_1"));
        assert_eq!(mock.hits(), 0);
    })
    .await;
}

#[tokio::test]
async fn a_failed_task_is_a_typed_error_naming_the_task() {
    bounded(LIMIT, async {
        let (mock, client) = mock_with_tasks_of(Duration::from_secs(30)).await;
        let answer = client.resize_disk(resize("disk_1", 30)).await.unwrap();
        // The mock fails a running task whose disk disappears.
        mock.remove_disk("disk_1");
        let error = client.wait_for_task(&answer.task).await.unwrap_err();
        let Error::Task(task) = &error else {
            panic!("expected a task error, got {error:?}");
        };
        assert_eq!(task.kind(), TaskErrorKind::Failed);
        assert_eq!(task.task().id, answer.task.id);
        let id = answer.task.id.clone().unwrap();
        assert!(error.to_string().contains(&format!("task {id}")), "{error}");
        assert!(error.to_string().contains("failed"), "{error}");
        assert!(!error.is_retryable());
    })
    .await;
}

#[tokio::test]
async fn a_task_still_running_at_the_deadline_is_a_typed_error_with_its_last_reading() {
    bounded(LIMIT, async {
        let (mock, client) = mock_with_tasks_of(Duration::from_secs(600)).await;
        let answer = client.resize_disk(resize("disk_1", 30)).await.unwrap();
        let error = client
            .wait_for_task(&answer.task)
            .deadline(Duration::from_millis(500))
            .await
            .unwrap_err();
        let Error::Task(task) = &error else {
            panic!("expected a task error, got {error:?}");
        };
        assert_eq!(task.kind(), TaskErrorKind::DeadlineExceeded);
        // The last poll came at the deadline.
        assert_eq!(mock.hits(), 2, "the write and one poll");
        assert!(matches!(
            task.task().status,
            Some(TaskStatusEnum::Pending | TaskStatusEnum::Running)
        ));
        assert!(error.to_string().contains("may still finish"), "{error}");
        assert!(error.is_retryable());
    })
    .await;
}

#[tokio::test]
async fn dropping_a_wait_stops_the_polling() {
    bounded(LIMIT, async {
        let (mock, client) = mock_with_tasks_of(Duration::from_secs(600)).await;
        let answer = client.resize_disk(resize("disk_1", 30)).await.unwrap();
        let wait = client.wait_for_task(&answer.task).into_future();
        assert!(
            tokio::time::timeout(Duration::from_secs(4), wait)
                .await
                .is_err()
        );
        let polled = mock.hits();
        tokio::time::sleep(Duration::from_secs(4)).await;
        assert_eq!(mock.hits(), polled, "no poll after the wait was dropped");
    })
    .await;
}

#[tokio::test]
async fn an_unknown_task_status_is_not_an_ending() {
    bounded(LIMIT, async {
        let server = Server::start(|_, n| {
            let status = if n < 2 {
                "paused_for_maintenance"
            } else {
                "completed"
            };
            let body = json!({"task": {"id": "task_1", "status": status, "progress": 50}});
            Reply::KeepAlive(katapult(200, body.to_string(), "req"))
        })
        .await;
        let client = client(&server.base_url());
        let task: Task =
            serde_json::from_value(json!({"id": "task_1", "status": "pending"})).unwrap();
        let done = client.wait_for_task(&task).await.unwrap();
        assert_eq!(done.status, Some(TaskStatusEnum::Completed));
        assert_eq!(server.hits(), 2, "the unknown status was polled past");
    })
    .await;
}

#[tokio::test]
async fn a_missing_task_is_the_typed_404() {
    bounded(LIMIT, async {
        let mock = KatapultMock::start().await;
        let error = client(&mock.base_url())
            .get_task("task_missing")
            .await
            .unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
        assert_eq!(
            error.code(),
            Some(&katapult_core::types::ErrorCode::TaskNotFound)
        );
    })
    .await;
}

#[tokio::test]
async fn a_rename_and_a_resize_are_planned_routed_waited_for_and_read_back() {
    bounded(LIMIT, async {
        let (mock, client) = mock_with_tasks_of(Duration::from_millis(300)).await;
        let change = DiskChange::new("disk_1")
            .name("logs")
            .size_in_gb(NonZeroU32::new(30).unwrap());
        let report = client
            .change_disk(&change, ChangeOptions::default())
            .await
            .unwrap();

        let plan: Vec<_> = report
            .plan
            .iter()
            .map(|entry| (entry.property, entry.operation))
            .collect();
        assert_eq!(
            plan,
            [
                (DiskProperty::Name, DiskOperation::UpdateDisk),
                (DiskProperty::SizeInGb, DiskOperation::ResizeDisk),
            ]
        );
        let done: Vec<_> = report
            .steps
            .iter()
            .map(|s| (s.operation, s.verified))
            .collect();
        assert_eq!(
            done,
            [
                (DiskOperation::UpdateDisk, true),
                (DiskOperation::ResizeDisk, true)
            ]
        );
        assert_eq!(report.tasks.len(), 1);
        assert_eq!(report.tasks[0].task.status, Some(TaskStatusEnum::Completed));
        assert!(report.reconciled.is_empty());
        let disk = report.disk.as_ref().unwrap();
        assert_eq!(disk.name.as_deref(), Some("logs"));
        assert_eq!(disk.size_in_gb, Some(30));
        assert_eq!(size(&mock, "disk_1"), Some(30));

        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["plan"][1]["operation"], "resize_disk");
        assert_eq!(json["plan"][1]["from"], 20);
        assert_eq!(json["plan"][1]["to"], 30);
        assert_eq!(json["disk"]["size_in_gb"], 30);
    })
    .await;
}

#[tokio::test]
async fn a_change_tells_its_progress_step_by_step_with_each_task_reading() {
    bounded(LIMIT, async {
        let (_mock, client) = mock_with_tasks_of(Duration::from_millis(300)).await;
        let heard = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&heard);
        let options = ChangeOptions::default().on_progress(move |moment| {
            let event = match moment.event {
                ChangeEvent::Started => "started".to_owned(),
                ChangeEvent::Task(task) => format!("task {:?}", task.status),
                ChangeEvent::Done => "done".to_owned(),
                _ => "other".to_owned(),
            };
            let at = (moment.disk_id.to_owned(), moment.step, moment.steps);
            log.lock().unwrap().push((at, moment.operation, event));
        });
        let change = DiskChange::new("disk_1")
            .name("logs")
            .size_in_gb(NonZeroU32::new(30).unwrap());
        client.change_disk(&change, options).await.unwrap();

        let heard = heard.lock().unwrap().clone();
        let at = |step| ("disk_1".to_owned(), step, 2);
        let (update, resize) = (DiskOperation::UpdateDisk, DiskOperation::ResizeDisk);
        assert_eq!(heard[0], (at(1), update, "started".to_owned()));
        assert_eq!(heard[1], (at(1), update, "done".to_owned()));
        assert_eq!(heard[2], (at(2), resize, "started".to_owned()));
        // The write's answer, then each poll, the last one completed.
        let pending = format!("task {:?}", Some(TaskStatusEnum::Pending));
        assert_eq!(heard[3], (at(2), resize, pending));
        let completed = format!("task {:?}", Some(TaskStatusEnum::Completed));
        let last = heard.len() - 1;
        assert_eq!(heard[last - 1], (at(2), resize, completed));
        assert_eq!(heard[last], (at(2), resize, "done".to_owned()));
        assert!(
            heard[4..last - 1]
                .iter()
                .all(|(_, operation, event)| *operation == resize && event.starts_with("task")),
            "{heard:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_change_that_asks_for_nothing_new_sends_nothing() {
    bounded(LIMIT, async {
        let mock = KatapultMock::start().await;
        let client = client(&mock.base_url());
        let change = DiskChange::new("disk_1").size_in_gb(NonZeroU32::new(20).unwrap());
        let report = client
            .change_disk(&change, ChangeOptions::default())
            .await
            .unwrap();
        assert!(report.plan.is_empty());
        assert!(report.steps.is_empty());
        assert!(report.disk.is_some());
        assert_eq!(mock.hits(), 1, "one read, no write");
        assert_eq!(serde_json::to_value(&report).unwrap()["plan"], json!([]));
    })
    .await;
}

#[tokio::test]
async fn a_change_the_rules_refuse_writes_nothing() {
    bounded(LIMIT, async {
        let mock = KatapultMock::start().await;
        let client = client(&mock.base_url());
        let mut change = DiskChange::new("disk_1").name("logs");
        change.data_center = Some(DataCenterLookup::Permalink("elsewhere".into()));
        let error = client
            .change_disk(&change, ChangeOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(error, Error::PlanRefused(_)), "{error:?}");
        assert!(error.to_string().contains("nothing was written"), "{error}");
        assert_eq!(mock.hits(), 1, "the read only");
    })
    .await;
}

#[tokio::test]
async fn a_disk_that_disappears_mid_change_says_which_steps_were_done() {
    bounded(LIMIT, async {
        let mock = Arc::new(
            KatapultMock::builder()
                .task_duration(Duration::from_secs(30))
                .start()
                .await,
        );
        let client = client(&mock.base_url());
        let change = DiskChange::new("disk_1")
            .name("logs")
            .size_in_gb(NonZeroU32::new(30).unwrap());
        let remover = Arc::clone(&mock);
        let remove = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            remover.remove_disk("disk_1");
        });
        let error = client
            .change_disk(&change, ChangeOptions::default())
            .await
            .unwrap_err();
        remove.await.unwrap();
        let Error::Change(failed) = &error else {
            panic!("expected a change failure, got {error:?}");
        };
        assert_eq!(failed.step(), Some(DiskOperation::ResizeDisk));
        let done: Vec<_> = failed.report().steps.iter().map(|s| s.operation).collect();
        assert_eq!(done, [DiskOperation::UpdateDisk, DiskOperation::ResizeDisk]);
        let text = error.to_string();
        assert!(text.contains("stopped at resize_disk"), "{text}");
        assert!(
            text.contains("steps sent before: update_disk, resize_disk"),
            "{text}"
        );
    })
    .await;
}

/// A scripted Katapult for one disk whose resize answer is lost: the first
/// resize hangs past the client's timeout; what a read shows after it is
/// the test's choice.
fn disk_json(size: i64, state: &str) -> serde_json::Value {
    json!({"disk": {
        "id": "disk_1", "name": "d", "size_in_gb": size, "state": state,
        "virtual_machine_disk": null
    }, "annotations": []})
}

#[tokio::test]
async fn a_lost_resize_answer_is_settled_by_reading_the_disk() {
    bounded(LIMIT, async {
        // Reads: before (20, built), after the lost answer (20, resizing:
        // under way), then (30, built).
        let reads = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = Arc::clone(&reads);
        let server = Server::start(move |request, _| {
            if request.method() == "PUT" {
                return Reply::Hang;
            }
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let body = match n {
                0 => disk_json(20, "built"),
                1 => disk_json(20, "resizing"),
                _ => disk_json(30, "built"),
            };
            Reply::KeepAlive(katapult(200, body.to_string(), "req"))
        })
        .await;
        let client = Client::builder()
            .token(TOKEN)
            .base_url(server.base_url())
            .timeout(Duration::from_millis(300))
            .retry(RetryPolicy::none())
            .build()
            .unwrap();
        let change = DiskChange::new("disk_1").size_in_gb(NonZeroU32::new(30).unwrap());
        let report = client
            .change_disk(&change, ChangeOptions::default())
            .await
            .unwrap();
        assert_eq!(report.reconciled.len(), 1);
        assert_eq!(report.reconciled[0].operation, DiskOperation::ResizeDisk);
        assert_eq!(report.reconciled[0].found, Settled::UnderWay);
        assert_eq!(report.disk.unwrap().size_in_gb, Some(30));
    })
    .await;
}

#[tokio::test]
async fn a_lost_answer_of_a_write_not_safe_to_send_twice_is_not_sent_again() {
    bounded(LIMIT, async {
        // An assigned, detached disk; the attach answer is lost and reads
        // after it show the disk still detached.
        let server = Server::start(|request, _| {
            if request.method() == "POST" {
                return Reply::Hang;
            }
            let body = json!({"disk": {
                "id": "disk_1", "name": "d", "size_in_gb": 20, "state": "built",
                "virtual_machine_disk": {
                    "virtual_machine": {"id": "vm_1", "fqdn": "vm.example"},
                    "attach_on_boot": true, "boot": false, "state": "detached"
                }
            }, "annotations": []});
            Reply::KeepAlive(katapult(200, body.to_string(), "req"))
        })
        .await;
        let client = Client::builder()
            .token(TOKEN)
            .base_url(server.base_url())
            .timeout(Duration::from_millis(300))
            .retry(RetryPolicy::none())
            .build()
            .unwrap();
        let mut change = DiskChange::new("disk_1");
        change.attached = Some(true);
        let error = client
            .change_disk(&change, ChangeOptions::default())
            .await
            .unwrap_err();
        let Error::Change(failed) = &error else {
            panic!("expected a change failure, got {error:?}");
        };
        assert_eq!(failed.step(), Some(DiskOperation::AttachDisk));
        assert_eq!(failed.report().reconciled[0].found, Settled::NotApplied);
        let posts = server
            .requests()
            .iter()
            .filter(|r| r.method() == "POST")
            .count();
        assert_eq!(posts, 1, "attach is not safe to send twice");
        assert!(error.to_string().contains("not sent again"), "{error}");
    })
    .await;
}

#[tokio::test]
async fn many_changes_run_with_bounded_concurrency_each_accounted_for_once() {
    bounded(LIMIT, async {
        let (mock, client) = mock_with_tasks_of(Duration::from_millis(200)).await;
        let ids: Vec<String> = (0..12).map(|n| format!("disk_{n}")).collect();
        let changes: Vec<DiskChange> = ids
            .iter()
            .map(|id| {
                DiskChange::new(id.clone())
                    .name("fleet")
                    .size_in_gb(NonZeroU32::new(25).unwrap())
            })
            .collect();
        // One change that the rules refuse, among them.
        let mut refused = DiskChange::new("disk_refused");
        refused.initial_file_system = Some(katapult_core::types::FileSystemEnum::Xfs);
        let mut inputs = changes;
        inputs.insert(5, refused);

        let mut stream = client.change_disks(
            inputs,
            katapult_core::BulkOptions::new().concurrency(4),
            ChangeOptions::default(),
        );
        let mut seen = Vec::new();
        while let Some(done) = stream.next().await {
            seen.push((done.index, done.result.is_ok()));
        }
        seen.sort_unstable();
        let expected: Vec<(usize, bool)> = (0..13).map(|index| (index, index != 5)).collect();
        assert_eq!(seen, expected, "every input once; the refused one failed");
        let progress = stream.progress();
        assert_eq!(
            (progress.done, progress.succeeded, progress.failed),
            (13, 12, 1)
        );
        for id in &ids {
            let disk = mock.disk(id).unwrap();
            assert_eq!(
                (disk["name"].as_str(), disk["size_in_gb"].as_i64()),
                (Some("fleet"), Some(25))
            );
        }
    })
    .await;
}
