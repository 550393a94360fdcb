//! The transitions the mock allows: an update lands at once; a write with a
//! task answers the disk as it was and changes it when the task completes.

use katapult_core::types::{DiskArguments, DiskLookup, KeyValue, UpdateDiskBody};
use serde_json::json;

use crate::support::{Katapult, TASK, attached, bounded};

#[tokio::test]
async fn an_update_lands_at_once_and_is_read_back() {
    bounded(async {
        let katapult = Katapult::manual().await;
        katapult.mock.put_disk(attached("disk_u"));
        let body = json!({
            "disk": {"id": "disk_u"},
            "properties": {
                "name": "logs",
                "bus_type": "scsi",
                "storage_speed": "nvme",
                "io_profile": {"permalink": "fast"},
                "virtual_machine_disk": {"attach_on_boot": false, "boot": true},
                // Create-only: ignored.
                "size_in_gb": 99,
                "initial_file_system": "xfs",
            },
            "annotations": [{"key": "owner", "value": "ops"}],
        });
        let answer = katapult.update(body).await.ok();
        let disk = &answer["disk"];
        assert_eq!(disk["name"], "logs");
        assert_eq!(disk["bus_type"], "scsi");
        assert_eq!(disk["storage_speed"], "nvme");
        assert_eq!(disk["io_profile"]["id"], "dio_r4uN9bV2cXq8ZtLm");
        assert_eq!(disk["io_profile"]["name"], "Fast");
        assert_eq!(disk["virtual_machine_disk"]["attach_on_boot"], false);
        assert_eq!(disk["virtual_machine_disk"]["boot"], true);
        assert_eq!(disk["size_in_gb"], 20);
        assert_eq!(
            answer["annotations"],
            json!([{"key": "owner", "value": "ops"}])
        );
        assert!(answer.get("task").is_none(), "{answer}");
        assert_eq!(katapult.read("disk_u").await.ok(), answer);

        // Without annotations the disk keeps its own; an empty list clears them.
        let rename = json!({"disk": {"id": "disk_u"}, "properties": {"name": "b"}});
        let answer = katapult.update(rename).await.ok();
        assert_eq!(
            answer["annotations"],
            json!([{"key": "owner", "value": "ops"}])
        );
        let clear = json!({"disk": {"id": "disk_u"}, "properties": {}, "annotations": []});
        assert_eq!(katapult.update(clear).await.ok()["annotations"], json!([]));
    })
    .await;
}

#[tokio::test]
async fn the_typed_client_updates_a_demo_disk() {
    bounded(async {
        let katapult = Katapult::manual().await;
        let client = katapult_core::Client::builder()
            .token("t")
            .base_url(katapult.mock.base_url())
            .build()
            .unwrap();
        let body = UpdateDiskBody {
            disk: DiskLookup {
                id: "disk_c".into(),
            },
            properties: DiskArguments {
                name: Some("typed".into()),
                ..Default::default()
            },
            annotations: Some(vec![KeyValue {
                key: "k".into(),
                value: None,
            }]),
        };
        let answer = client.update_disk(body).await.unwrap();
        assert_eq!(answer.disk.name.as_deref(), Some("typed"));
        assert_eq!(answer.disk.virtual_machine_disk, None);
        assert_eq!(katapult.disk("disk_c").await["name"], "typed");
        assert_eq!(katapult.mock.hits(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_resize_answers_the_old_size_and_lands_when_its_task_completes() {
    bounded(async {
        let katapult = Katapult::manual().await;
        let answer = katapult.resize("disk_g", 30, None).await.ok();
        assert_eq!(answer["disk"]["size_in_gb"], 20);
        assert_eq!(answer["disk"]["state"], "built");
        assert_eq!(answer["task"]["status"], "pending");
        assert_eq!(answer["task"]["name"], "Grow disk");
        let task = answer["task"]["id"].as_str().unwrap();

        let during = katapult.disk("disk_g").await;
        assert_eq!(during["size_in_gb"], 20);
        assert_eq!(during["state"], "resizing");

        katapult.mock.advance(TASK / 2);
        assert_eq!(katapult.task(task).await["status"], "running");
        assert_eq!(katapult.disk("disk_g").await["size_in_gb"], 20);

        katapult.mock.advance(TASK / 2);
        assert_eq!(katapult.task(task).await["status"], "completed");
        let after = katapult.disk("disk_g").await;
        assert_eq!(after["size_in_gb"], 30);
        assert_eq!(after["state"], "built");
    })
    .await;
}

#[tokio::test]
async fn a_detached_disk_shrinks_offline() {
    bounded(async {
        let katapult = Katapult::manual().await;
        let answer = katapult.resize("disk_s", 10, Some("offline")).await.ok();
        assert_eq!(answer["task"]["name"], "Shrink disk");
        assert_eq!(answer["disk"]["size_in_gb"], 20);
        katapult.finish_tasks();
        assert_eq!(katapult.disk("disk_s").await["size_in_gb"], 10);
    })
    .await;
}

#[tokio::test]
async fn an_attached_disk_grows_online_and_stays_attached() {
    bounded(async {
        let katapult = Katapult::manual().await;
        katapult.mock.put_disk(attached("disk_o"));
        let answer = katapult.resize("disk_o", 40, Some("online")).await.ok();
        assert_eq!(answer["task"]["name"], "Grow disk");
        katapult.finish_tasks();
        let disk = katapult.disk("disk_o").await;
        assert_eq!(disk["size_in_gb"], 40);
        assert_eq!(disk["state"], "built");
        assert_eq!(disk["virtual_machine_disk"]["state"], "attached");
    })
    .await;
}

#[tokio::test]
async fn an_io_profile_change_answers_the_old_profile_and_reads_configuring() {
    bounded(async {
        let katapult = Katapult::manual().await;
        let answer = katapult
            .io_profile("disk_p", json!({"permalink": "fast"}))
            .await
            .ok();
        assert_eq!(answer["disk"]["io_profile"]["permalink"], "standard");
        assert_eq!(answer["task"]["name"], "Change disk IO profile");
        assert_eq!(answer["task"]["status"], "pending");
        assert_eq!(katapult.disk("disk_p").await["state"], "configuring");
        katapult.finish_tasks();
        let disk = katapult.disk("disk_p").await;
        assert_eq!(disk["state"], "built");
        assert_eq!(disk["io_profile"]["permalink"], "fast");
        assert_eq!(disk["io_profile"]["speed_in_mb"], 2000);

        // A profile the mock does not know: the disk shows the id it was given.
        katapult
            .io_profile("disk_p", json!({"id": "dio_other"}))
            .await
            .ok();
        katapult.finish_tasks();
        let profile = &katapult.disk("disk_p").await["io_profile"];
        assert_eq!(profile["id"], "dio_other");
        assert!(profile["permalink"].is_null(), "{profile}");
    })
    .await;
}

#[tokio::test]
async fn assign_attach_detach_unassign_round_trip() {
    bounded(async {
        let katapult = Katapult::manual().await;
        // Assign: no task, the answer shows the new attachment, detached.
        let vm = json!({"fqdn": "web-1.example.katapult.cloud"});
        let answer = katapult.assign("disk_a", vm).await.ok();
        assert!(answer.get("task").is_none(), "{answer}");
        let attachment = &answer["disk"]["virtual_machine_disk"];
        assert_eq!(attachment["virtual_machine"]["id"], "vm_EbcEXQaIiVVWMjEO");
        assert_eq!(attachment["state"], "detached");
        assert_eq!(katapult.disk("disk_a").await, answer["disk"]);

        // Attach: the answer as it was, `attaching` meanwhile, then attached.
        let answer = katapult.act("attach", "disk_a").await.ok();
        assert_eq!(answer["disk"]["virtual_machine_disk"]["state"], "detached");
        assert_eq!(answer["task"]["name"], "Attach disk");
        let state = |disk: serde_json::Value| disk["virtual_machine_disk"]["state"].clone();
        assert_eq!(state(katapult.disk("disk_a").await), "attaching");
        katapult.finish_tasks();
        assert_eq!(state(katapult.disk("disk_a").await), "attached");

        // Detach: the same the other way.
        let answer = katapult.act("detach", "disk_a").await.ok();
        assert_eq!(answer["disk"]["virtual_machine_disk"]["state"], "attached");
        assert_eq!(answer["task"]["name"], "Detach disk");
        assert_eq!(state(katapult.disk("disk_a").await), "detaching");
        katapult.finish_tasks();
        assert_eq!(state(katapult.disk("disk_a").await), "detached");

        // Unassign: no task, lands at once.
        let answer = katapult.act("unassign", "disk_a").await.ok();
        assert!(answer.get("task").is_none(), "{answer}");
        assert!(answer["disk"]["virtual_machine_disk"].is_null(), "{answer}");
        assert!(katapult.disk("disk_a").await["virtual_machine_disk"].is_null());
    })
    .await;
}

#[tokio::test]
async fn a_detached_disk_moves_to_another_virtual_machine() {
    bounded(async {
        let katapult = Katapult::manual().await;
        katapult
            .mock
            .put_disk(crate::support::attachment("disk_m", "detached"));
        let answer = katapult
            .assign("disk_m", json!({"id": "vm_other"}))
            .await
            .ok();
        let vm = &answer["disk"]["virtual_machine_disk"]["virtual_machine"];
        assert_eq!(vm["id"], "vm_other");
        assert!(
            vm["fqdn"].is_null(),
            "the mock does not know vm_other: {vm}"
        );
    })
    .await;
}

#[tokio::test]
async fn asking_for_the_state_a_disk_has_changes_nothing() {
    bounded(async {
        let katapult = Katapult::manual().await;
        katapult.mock.put_disk(attached("disk_n"));
        let before = katapult.disk("disk_n").await;
        // Assigning to its own virtual machine, by either field: no change.
        for vm in [
            json!({"id": "vm_EbcEXQaIiVVWMjEO"}),
            json!({"fqdn": "web-1.example.katapult.cloud"}),
        ] {
            assert_eq!(katapult.assign("disk_n", vm).await.ok()["disk"], before);
        }
        // Attaching an attached disk: a task that ends with the disk as it was.
        let answer = katapult.act("attach", "disk_n").await.ok();
        assert_eq!(
            katapult.disk("disk_n").await,
            before,
            "still attached meanwhile"
        );
        katapult.finish_tasks();
        let task = answer["task"]["id"].as_str().unwrap();
        assert_eq!(katapult.task(task).await["status"], "completed");
        assert_eq!(katapult.disk("disk_n").await, before);
        // Unassigning an unassigned disk: no change either.
        let answer = katapult.act("unassign", "disk_free").await.ok();
        assert!(answer["disk"]["virtual_machine_disk"].is_null());
    })
    .await;
}
