//! The transitions the mock refuses, each answered as Katapult answers it
//! (or, where that is not recorded, as the mock documents), and each
//! leaving the disk as it was.

use serde_json::json;

use crate::support::{Katapult, attached, attachment, bounded};

#[tokio::test]
async fn attaching_or_detaching_an_unassigned_disk_is_unassigned_disk() {
    bounded(async {
        let katapult = Katapult::manual().await;
        for action in ["detach", "attach"] {
            let answer = katapult.act(action, "disk_free").await;
            assert_eq!(answer.error(422), "unassigned_disk", "{action}");
        }
        assert!(katapult.disk("disk_free").await["virtual_machine_disk"].is_null());
    })
    .await;
}

#[tokio::test]
async fn an_update_of_the_attachment_of_an_unassigned_disk_is_unassigned_disk() {
    bounded(async {
        let katapult = Katapult::manual().await;
        let before = katapult.disk("disk_free").await;
        let body = json!({
            "disk": {"id": "disk_free"},
            "properties": {"name": "x", "virtual_machine_disk": {"attach_on_boot": false}},
        });
        assert_eq!(katapult.update(body).await.error(422), "unassigned_disk");
        assert_eq!(katapult.disk("disk_free").await, before, "nothing applied");
    })
    .await;
}

#[tokio::test]
async fn unassigning_a_disk_that_is_attached_is_unable_to_unassign() {
    bounded(async {
        let katapult = Katapult::manual().await;
        for state in ["attached", "attaching", "detaching"] {
            katapult.mock.put_disk(attachment("disk_1", state));
            let answer = katapult.act("unassign", "disk_1").await;
            assert_eq!(answer.error(422), "unable_to_unassign", "{state}");
            assert!(
                answer.detail()["errors"][0].is_string(),
                "{:?}",
                answer.body
            );
            let disk = katapult.disk("disk_1").await;
            assert_eq!(disk["virtual_machine_disk"]["state"], state);
        }
    })
    .await;
}

#[tokio::test]
async fn assigning_an_attached_disk_to_another_virtual_machine_is_unable_to_assign() {
    bounded(async {
        let katapult = Katapult::manual().await;
        katapult.mock.put_disk(attached("disk_1"));
        let answer = katapult
            .assign("disk_1", json!({"fqdn": "other.example"}))
            .await;
        assert_eq!(answer.error(422), "unable_to_assign");
        assert!(
            answer.detail()["errors"][0].is_string(),
            "{:?}",
            answer.body
        );
        let vm = &katapult.disk("disk_1").await["virtual_machine_disk"]["virtual_machine"];
        assert_eq!(vm["id"], "vm_EbcEXQaIiVVWMjEO");
    })
    .await;
}

#[tokio::test]
async fn a_write_with_a_task_while_a_task_runs_is_a_task_queueing_error() {
    bounded(async {
        let katapult = Katapult::manual().await;
        katapult.mock.put_disk(attachment("disk_1", "detached"));
        katapult.resize("disk_1", 30, None).await.ok();
        let busy = [
            katapult.resize("disk_1", 40, None).await,
            katapult
                .io_profile("disk_1", json!({"permalink": "fast"}))
                .await,
            katapult.act("attach", "disk_1").await,
            katapult.act("detach", "disk_1").await,
        ];
        for answer in &busy {
            assert_eq!(answer.error(406), "task_queueing_error");
            assert!(answer.detail()["details"].is_string(), "{:?}", answer.body);
        }
        // Assign and unassign have no 406: theirs is 422.
        let vm = json!({"id": "vm_other"});
        assert_eq!(
            katapult.assign("disk_1", vm).await.error(422),
            "unable_to_assign"
        );
        let answer = katapult.act("unassign", "disk_1").await;
        assert_eq!(answer.error(422), "unable_to_unassign");
        // An update has no task: it lands even now.
        let rename = json!({"disk": {"id": "disk_1"}, "properties": {"name": "during"}});
        assert_eq!(katapult.update(rename).await.ok()["disk"]["name"], "during");

        // Once the task is over, the same writes are accepted.
        katapult.finish_tasks();
        let disk = katapult.disk("disk_1").await;
        assert_eq!(
            (disk["size_in_gb"].clone(), disk["name"].clone()),
            (json!(30), json!("during"))
        );
        katapult.resize("disk_1", 40, None).await.ok();
    })
    .await;
}

#[tokio::test]
async fn a_resize_the_rules_refuse_is_a_validation_error() {
    bounded(async {
        let katapult = Katapult::manual().await;
        katapult.mock.put_disk(attached("disk_on"));
        katapult.read("disk_off").await.ok();
        let cases = [
            ("disk_on", 10, Some("offline"), "shrinking an attached disk"),
            (
                "disk_on",
                10,
                Some("online"),
                "shrinking an attached disk online",
            ),
            (
                "disk_on",
                30,
                None,
                "growing an attached disk offline (the default)",
            ),
            (
                "disk_off",
                30,
                Some("online"),
                "an online resize of a detached disk",
            ),
            (
                "disk_off",
                10,
                Some("online"),
                "shrinking a detached disk online",
            ),
            ("disk_off", 20, None, "the size it has"),
            ("disk_off", 0, None, "no size"),
            ("disk_off", -5, None, "a negative size"),
        ];
        for (id, size, method, case) in cases {
            let before = katapult.disk(id).await;
            let answer = katapult.resize(id, size, method).await;
            assert_eq!(answer.error(422), "validation_error", "{case}");
            assert!(
                answer.detail()["errors"][0].is_string(),
                "{case}: {:?}",
                answer.body
            );
            assert_eq!(katapult.disk(id).await, before, "{case}: nothing changed");
        }
        // A transitional or failed attachment (here with no task of the
        // mock's behind it) is refused whatever the size.
        for state in ["attaching", "detaching", "failed"] {
            katapult.mock.put_disk(attachment("disk_t", state));
            let answer = katapult.resize("disk_t", 30, Some("online")).await;
            assert_eq!(answer.error(422), "validation_error", "{state}");
        }
    })
    .await;
}
