//! The mock's wire: headers on every answer, the framework's errors,
//! unknown routes, and the client's view of its answers.

use katapult_core::reqwest::Method;
use katapult_core::types::{DiskArguments, DiskLookup, UpdateDiskBody};
use katapult_core_httpmock::KatapultMock;
use serde_json::json;

use crate::support::{Katapult, answer, bounded, http};

#[tokio::test]
async fn every_answer_carries_a_request_id_and_a_falling_rate_limit() {
    bounded(async {
        let katapult = Katapult::manual().await;
        let answers = [
            katapult.read("disk_1").await,
            katapult.act("detach", "disk_1").await,
            katapult.get("/nowhere").await,
            katapult.resize("disk_1", 30, None).await,
        ];
        let mut remaining = Vec::new();
        for (n, answer) in answers.iter().enumerate() {
            let id = format!("00000000-0000-4000-8000-{:012x}", n + 1);
            assert_eq!(answer.headers["x-request-id"], id.as_str());
            assert_eq!(answer.headers["x-ratelimit-permitted"], "1000");
            let left: u32 = answer.headers["x-ratelimit-remaining"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            remaining.push(left);
            // Only errors say their body is a wrapped error.
            assert_eq!(
                answer.headers.contains_key("x-api-schema"),
                answer.status != 200
            );
        }
        assert_eq!(remaining, [999, 998, 997, 996]);
        assert_eq!(katapult.mock.hits(), 4);
    })
    .await;
}

#[tokio::test]
async fn a_rate_limit_refuses_past_the_budget_with_429_and_dates_every_answer() {
    bounded(async {
        // A day-long window: the test does not straddle two.
        let day = std::time::Duration::from_secs(86_400);
        let katapult = Katapult::with(KatapultMock::builder().rate_limit(2, day).start().await);
        let answers = [
            katapult.read("disk_1").await,
            katapult.get("/nowhere").await,
            katapult.read("disk_1").await,
        ];
        let seen: Vec<(u16, &str, &str)> = answers
            .iter()
            .map(|a| {
                let header = |name| a.headers[name].to_str().unwrap();
                (
                    a.status,
                    header("x-ratelimit-permitted"),
                    header("x-ratelimit-remaining"),
                )
            })
            .collect();
        // Every request counts, an unknown route's too.
        assert_eq!(seen, [(200, "2", "1"), (404, "2", "0"), (429, "2", "0")]);
        assert_eq!(answers[2].body["error"]["code"], "rate_limit_reached");
        assert_eq!(answers[2].body["error"]["detail"]["total_permitted"], 2);
        for answer in &answers {
            let date = answer.headers["date"].to_str().unwrap();
            assert!(httpdate::parse_http_date(date).is_ok(), "{date}");
            assert_eq!(answer.headers.get_all("date").iter().count(), 1);
        }
        let answered = katapult.mock.answered();
        let routes: Vec<(&str, &str, u16)> = answered
            .iter()
            .map(|a| (a.method.as_str(), a.path.as_str(), a.status))
            .collect();
        assert_eq!(
            routes,
            [
                ("GET", "/disks/disk", 200),
                ("GET", "/nowhere", 404),
                ("GET", "/disks/disk", 429)
            ]
        );
        assert_eq!(answered[0].window(day), answered[2].window(day));
    })
    .await;
}

#[tokio::test]
async fn without_a_bearer_token_every_operation_is_missing_api_token() {
    bounded(async {
        let katapult = Katapult::manual().await;
        let http = http();
        let base = katapult.mock.base_url();
        let routes = [
            (Method::GET, "/disks/disk?disk%5Bid%5D=d"),
            (Method::PATCH, "/disks/disk"),
            (Method::PUT, "/disks/disk/resize"),
            (Method::PUT, "/disks/disk/io_profile"),
            (Method::POST, "/disks/disk/attach"),
            (Method::POST, "/disks/disk/detach"),
            (Method::POST, "/disks/disk/assign"),
            (Method::POST, "/disks/disk/unassign"),
            (Method::GET, "/tasks/task?task%5Bid%5D=t"),
        ];
        for (method, path) in routes {
            let request = http.request(method.clone(), format!("{base}{path}"));
            let request = request.body(json!({"disk": {"id": "d"}}).to_string());
            let no_token = answer(request).await;
            assert_eq!(no_token.error(400), "missing_api_token", "{method} {path}");
            let request = http.request(method.clone(), format!("{base}{path}"));
            let blank = answer(request.header("authorization", "Bearer  ")).await;
            assert_eq!(blank.error(400), "missing_api_token", "{method} {path}");
        }
        assert_eq!(katapult.mock.disk("d"), None, "nothing was read or written");
    })
    .await;
}

#[tokio::test]
async fn a_body_that_is_not_json_or_not_the_shape_is_a_framework_error() {
    bounded(async {
        let katapult = Katapult::manual().await;
        let http = http();
        let url = format!("{}/disks/disk/resize", katapult.mock.base_url());
        let not_json = http.put(&url).bearer_auth("t").body("{size");
        let answer = answer(not_json).await;
        assert_eq!(answer.error(400), "invalid_json_body");
        assert!(answer.detail()["details"].is_string(), "{:?}", answer.body);

        let shapes = [
            (
                Method::PUT,
                "/disks/disk/resize",
                json!({"disk": {"id": "d"}}),
            ),
            (
                Method::PUT,
                "/disks/disk/resize",
                json!({"disk": {"id": "d"}, "size_in_gb": "30"}),
            ),
            (
                Method::PUT,
                "/disks/disk/resize",
                json!({"disk": {"id": "d"}, "size_in_gb": 30, "resize_method": "sideways"}),
            ),
            (
                Method::PUT,
                "/disks/disk/io_profile",
                json!({"disk": {"id": "d"}, "io_profile": {}}),
            ),
            (
                Method::POST,
                "/disks/disk/assign",
                json!({"disk": {"id": "d"}, "virtual_machine": {"id": "a", "fqdn": "b"}}),
            ),
            (Method::POST, "/disks/disk/attach", json!({"disk": {}})),
            (Method::PATCH, "/disks/disk", json!({"disk": {"id": "d"}})),
        ];
        for (method, path, body) in shapes {
            let answer = katapult
                .send(method.clone(), path, Some(body.clone()))
                .await;
            assert_eq!(
                answer.error(400),
                "invalid_argument",
                "{method} {path} {body}"
            );
        }
        assert_eq!(katapult.mock.disk("d"), None, "nothing was written");
    })
    .await;
}

#[tokio::test]
async fn an_unknown_route_is_route_not_found() {
    bounded(async {
        let katapult = Katapult::manual().await;
        let unknown = [
            (Method::GET, "/disks"),
            (Method::DELETE, "/disks/disk"),
            (Method::GET, "/disks/disk/resize"),
            (Method::POST, "/tasks/task"),
            (Method::GET, "/core/v1/disks/disk?disk%5Bid%5D=d"),
        ];
        for (method, path) in unknown {
            let answer = katapult.send(method.clone(), path, None).await;
            assert_eq!(answer.error(404), "route_not_found", "{method} {path}");
        }
    })
    .await;
}

#[tokio::test]
async fn the_client_reads_the_mock_s_errors_as_katapult_s() {
    bounded(async {
        let katapult = Katapult::manual().await;
        let client = katapult_core::Client::builder()
            .token("t")
            .base_url(katapult.mock.base_url())
            .build()
            .unwrap();
        katapult.mock.put_disk(json!({"id": "disk_1"}));
        katapult.mock.remove_disk("disk_1");
        let body = UpdateDiskBody {
            disk: DiskLookup {
                id: "disk_1".into(),
            },
            properties: DiskArguments::default(),
            annotations: None,
        };
        let error = client.update_disk(body.clone()).await.unwrap_err();
        assert_eq!(
            error.code().map(|code| code.as_str()),
            Some("disk_not_found"),
            "{error}"
        );
        assert!(error.request_id().is_some(), "{error}");

        let mut attach = body;
        attach.disk.id = "disk_2".into();
        attach.properties.virtual_machine_disk =
            Some(katapult_core::types::VirtualMachineDiskArguments {
                attach_on_boot: Some(true),
                ..Default::default()
            });
        let error = client.update_disk(attach).await.unwrap_err();
        assert_eq!(
            error.code().map(|code| code.as_str()),
            Some("unassigned_disk"),
            "{error}"
        );
    })
    .await;
}
