//! Reads, demo disks, and the disks a test puts, reads back and removes.

use katapult_core_httpmock::{KatapultMock, fixtures};
use serde_json::json;

use crate::support::{Katapult, bounded};

#[tokio::test]
async fn any_id_names_a_demo_disk_detached_and_unassigned() {
    bounded(async {
        let katapult = Katapult::manual().await;
        assert_eq!(katapult.mock.disk("disk_new"), None, "not used yet");
        let body = katapult.read("disk_new").await.ok();
        let disk = &body["disk"];
        assert_eq!(disk["id"], "disk_new");
        assert_eq!(disk["size_in_gb"], 20);
        assert_eq!(disk["state"], "built");
        assert!(disk["virtual_machine_disk"].is_null(), "{disk}");
        assert_eq!(body["annotations"], json!([]));
        // Every one of the disk's own keys, as Katapult sends them.
        let keys = disk.as_object().unwrap();
        for key in [
            "id",
            "name",
            "size_in_gb",
            "wwn",
            "state",
            "created_at",
            "storage_speed",
            "io_profile",
            "bus_type",
            "data_center",
            "virtual_machine_disk",
            "installation",
        ] {
            assert!(keys.contains_key(key), "{key}: {disk}");
        }
        assert_eq!(katapult.mock.disk("disk_new").as_ref(), Some(disk));
    })
    .await;
}

#[tokio::test]
async fn the_lookup_may_be_encoded_or_not() {
    bounded(async {
        let katapult = Katapult::manual().await;
        let encoded = katapult.get("/disks/disk?disk%5Bid%5D=disk_q").await.ok();
        let plain = katapult.get("/disks/disk?disk[id]=disk_q").await.ok();
        assert_eq!(encoded, plain);
        assert_eq!(encoded["disk"]["id"], "disk_q");
        // Other parameters beside it are ignored.
        let more = katapult
            .get("/disks/disk?x=1&disk%5Bid%5D=disk_q")
            .await
            .ok();
        assert_eq!(more, plain);
    })
    .await;
}

#[tokio::test]
async fn a_read_without_its_lookup_is_an_invalid_argument() {
    bounded(async {
        let katapult = Katapult::manual().await;
        for path in [
            "/disks/disk",
            "/disks/disk?disk%5Bid%5D=",
            "/disks/disk?id=d",
            "/tasks/task",
        ] {
            let answer = katapult.get(path).await;
            assert_eq!(answer.error(400), "invalid_argument", "{path}");
            assert_eq!(answer.detail()["issue"], "missing_lookup_value", "{path}");
        }
    })
    .await;
}

#[tokio::test]
async fn without_demo_disks_an_unknown_id_is_not_found() {
    bounded(async {
        let katapult = Katapult::with(KatapultMock::builder().demo_disks(false).start().await);
        assert_eq!(katapult.read("disk_1").await.error(404), "disk_not_found");
        assert_eq!(katapult.mock.disk("disk_1"), None);
    })
    .await;
}

#[tokio::test]
async fn a_put_disk_is_read_back_with_every_key() {
    bounded(async {
        let katapult = Katapult::manual().await;
        // The typed disk leaves out what is `None`; the mock sends it as null.
        let mut typed = fixtures::disk("disk_t");
        typed.installation = None;
        katapult.mock.put_disk(&typed);
        let disk = katapult.disk("disk_t").await;
        assert_eq!(disk["size_in_gb"], 20);
        assert_eq!(disk["virtual_machine_disk"]["state"], "attached");
        assert!(
            disk.as_object().unwrap()["installation"].is_null(),
            "{disk}"
        );

        katapult
            .mock
            .put_disk(json!({"id": "disk_j", "size_in_gb": 75}));
        let disk = katapult.disk("disk_j").await;
        assert_eq!(disk["size_in_gb"], 75);
        assert!(disk["state"].is_null(), "{disk}");
        assert_eq!(katapult.mock.disk("disk_j"), Some(disk));
    })
    .await;
}

#[tokio::test]
async fn a_removed_disk_is_gone_for_every_operation_until_put_again() {
    bounded(async {
        let katapult = Katapult::manual().await;
        katapult.read("disk_r").await.ok();
        let removed = katapult.mock.remove_disk("disk_r").unwrap();
        assert_eq!(removed["id"], "disk_r");
        assert_eq!(katapult.mock.disk("disk_r"), None);
        // No demo disk comes back under its id.
        assert_eq!(katapult.read("disk_r").await.error(404), "disk_not_found");
        let name = json!({"disk": {"id": "disk_r"}, "properties": {"name": "x"}});
        assert_eq!(katapult.update(name).await.error(404), "disk_not_found");
        assert_eq!(
            katapult.resize("disk_r", 30, None).await.error(404),
            "disk_not_found"
        );
        let fast = json!({"permalink": "fast"});
        assert_eq!(
            katapult.io_profile("disk_r", fast).await.error(404),
            "disk_not_found"
        );
        let vm = json!({"id": "vm_1"});
        assert_eq!(
            katapult.assign("disk_r", vm).await.error(404),
            "disk_not_found"
        );
        for action in ["attach", "detach", "unassign"] {
            let answer = katapult.act(action, "disk_r").await;
            assert_eq!(answer.error(404), "disk_not_found", "{action}");
        }
        // Removing what is not there is not an error.
        assert_eq!(katapult.mock.remove_disk("disk_never"), None);

        katapult
            .mock
            .put_disk(json!({"id": "disk_r", "size_in_gb": 5}));
        assert_eq!(katapult.disk("disk_r").await["size_in_gb"], 5);
    })
    .await;
}

#[tokio::test]
async fn an_unknown_task_is_not_found() {
    bounded(async {
        let katapult = Katapult::manual().await;
        let answer = katapult.get("/tasks/task?task%5Bid%5D=task_nope").await;
        assert_eq!(answer.error(404), "task_not_found");
        let answer = katapult.get("/tasks/task?task[id]=task_nope").await;
        assert_eq!(answer.error(404), "task_not_found");
    })
    .await;
}
