//! Tasks: their status and progress over time, their timestamps, and how a
//! task on a disk that disappears ends.

use std::time::Duration;

use katapult_core_httpmock::KatapultMock;
use serde_json::Value;

use crate::support::{Katapult, TASK, bounded};

/// Starts a resize of a demo disk; returns the task's id.
async fn grow(katapult: &Katapult, id: &str) -> String {
    let answer = katapult.resize(id, 30, None).await.ok();
    answer["task"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_task_is_pending_then_running_with_rising_progress_then_completed() {
    bounded(async {
        let katapult = Katapult::manual().await;
        let answer = katapult.resize("disk_1", 30, None).await.ok();
        let created = &answer["task"];
        let keys: Vec<&str> = created
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = vec![
            "created_at",
            "finished_at",
            "id",
            "name",
            "progress",
            "started_at",
            "status",
        ];
        expected.sort_unstable();
        assert_eq!(keys, expected, "{created}");
        assert_eq!(created["status"], "pending");
        assert_eq!(created["progress"], 0);
        assert!(created["started_at"].is_null() && created["finished_at"].is_null());
        let id = created["id"].as_str().unwrap();
        // Read again at the same instant: the same.
        assert_eq!(&katapult.task(id).await, created);

        // Through its first tenth it has not started.
        katapult.mock.advance(TASK / 20);
        assert_eq!(katapult.task(id).await["status"], "pending");

        let mut seen = Vec::new();
        for _ in 0..9 {
            katapult.mock.advance(TASK / 10);
            let task = katapult.task(id).await;
            assert_eq!(task["status"], "running", "{task}");
            assert!(
                task["started_at"].is_u64() && task["finished_at"].is_null(),
                "{task}"
            );
            seen.push(task["progress"].as_u64().unwrap());
        }
        assert!(seen.windows(2).all(|pair| pair[0] < pair[1]), "{seen:?}");
        assert!(seen[0] > 0 && seen[8] < 100, "{seen:?}");

        katapult.mock.advance(TASK / 10);
        let done = katapult.task(id).await;
        assert_eq!(done["status"], "completed");
        assert_eq!(done["progress"], 100);
        let at = |key: &str| done[key].as_u64().unwrap();
        assert!(at("created_at") <= at("started_at") && at("started_at") <= at("finished_at"));
        assert_eq!(done["created_at"], created["created_at"]);

        // A completed task stays so.
        katapult.mock.advance(TASK * 10);
        assert_eq!(katapult.task(id).await, done);
    })
    .await;
}

#[tokio::test]
async fn on_the_real_clock_a_task_completes_by_itself() {
    bounded(async {
        let mock = KatapultMock::builder()
            .task_duration(Duration::from_millis(50))
            .start()
            .await;
        let katapult = Katapult::with(mock);
        let id = grow(&katapult, "disk_rt").await;
        let order = ["pending", "running", "completed"];
        let (mut rank, mut progress) = (0, 0);
        loop {
            let task = katapult.task(&id).await;
            let now = order
                .iter()
                .position(|status| task["status"] == *status)
                .unwrap();
            let percent = task["progress"].as_u64().unwrap();
            assert!(now >= rank && percent >= progress, "went back: {task}");
            (rank, progress) = (now, percent);
            if task["status"] == "completed" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(katapult.disk("disk_rt").await["size_in_gb"], 30);
    })
    .await;
}

#[tokio::test]
async fn each_write_gets_a_task_of_its_own() {
    bounded(async {
        let katapult = Katapult::manual().await;
        let first = grow(&katapult, "disk_a").await;
        let second = grow(&katapult, "disk_b").await;
        assert_ne!(first, second);
        katapult.finish_tasks();
        for id in [&first, &second] {
            assert_eq!(katapult.task(id).await["status"], "completed");
        }
    })
    .await;
}

#[tokio::test]
async fn a_disk_that_disappears_mid_task_fails_the_task() {
    bounded(async {
        let katapult = Katapult::manual().await;
        let id = grow(&katapult, "disk_gone").await;
        katapult.mock.advance(TASK / 2);
        let running = katapult.task(&id).await;
        assert_eq!(running["status"], "running");

        katapult.mock.remove_disk("disk_gone");
        let failed = katapult.task(&id).await;
        assert_eq!(failed["status"], "failed");
        assert_eq!(failed["progress"], running["progress"]);
        assert!(failed["finished_at"].is_u64(), "{failed}");
        // It stays failed; the disk stays gone.
        katapult.finish_tasks();
        assert_eq!(katapult.task(&id).await, failed);
        assert_eq!(
            katapult.read("disk_gone").await.error(404),
            "disk_not_found"
        );
    })
    .await;
}

#[tokio::test]
async fn a_task_seen_only_once_completed_has_its_change_landed() {
    bounded(async {
        let katapult = Katapult::manual().await;
        let id = grow(&katapult, "disk_late").await;
        // The clock passes the end with nobody looking.
        katapult.finish_tasks();
        let disk: Value = katapult.mock.disk("disk_late").unwrap();
        assert_eq!(disk["size_in_gb"], 30);
        assert_eq!(katapult.task(&id).await["status"], "completed");
    })
    .await;
}
