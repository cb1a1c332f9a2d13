//! A `200 queued` survives the process being killed: the real binary is
//! started, sent a request, killed with SIGKILL right after the answer, and
//! started again on the same database.

mod common;

use common::process::Process;
use common::{ADMIN_TOKEN, read};
use serde_json::{Value, json};

/// The gateway submits to a Cloud API that is not there (and resends only
/// after an hour), so what was accepted stays queued across the restart.
fn start(database: &str) -> Process {
    Process::serve(
        database,
        &[
            "--upstream",
            "meta",
            "--meta-base-url",
            "http://127.0.0.1:9",
            "--meta-access-token",
            "unused",
            "--resend-interval",
            "1h",
            "--callback-allow-private",
            "true",
        ],
    )
}

#[tokio::test]
async fn a_queued_message_survives_sigkill() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = format!("sqlite://{}", dir.path().join("wagate.db").display());
    let client = reqwest::Client::new();

    let mut gateway = start(&database);
    let owner = json!({"platformId": "p1", "platformPartnerId": "pp1"});
    for (path, extra) in [
        ("accounts", json!({})),
        (
            "users",
            json!({"username": "ann", "password": "ann-password"}),
        ),
        (
            "sources",
            json!({"number": "+46700000001", "phoneNumberId": "pnid-durable"}),
        ),
        (
            "gates",
            json!({"id": "g1", "url": "http://127.0.0.1:9/dlr"}),
        ),
    ] {
        let mut body = owner.clone();
        body.as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        let response = client
            .post(format!("{}/admin/v1/{path}", gateway.base))
            .bearer_auth(ADMIN_TOKEN)
            .json(&body)
            .send()
            .await
            .expect("admin");
        assert_eq!(response.status(), 201, "{path}");
    }
    let request = json!({
        "platformId": "p1", "platformPartnerId": "pp1", "priority": "LOW", "refId": "durable-1",
        "source": "+46700000001", "destinations": ["+46701234567", "SE.11815799212886844830"],
        "eventReportGates": ["g1"], "customParameters": {"k": "v"},
        "messages": [
            {"type": "text", "text": {"body": "survive this"}},
            {"type": "image", "image": {"link": "https://example.com/a.png", "caption": "and this"}}
        ]
    });
    let (status, answer) = read(
        client
            .post(format!("{}/whatsapp-message/messages", gateway.base))
            .basic_auth("ann", Some("ann-password"))
            .json(&request)
            .send()
            .await
            .expect("send"),
    )
    .await;
    gateway.kill();
    assert_eq!(status, 200, "{answer}");
    let ids: Vec<String> = answer["messageIds"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|id| id.as_str().expect("id").to_owned())
        .collect();

    let gateway = start(&database);
    for (id, destination) in ids.iter().zip(["+46701234567", "SE.11815799212886844830"]) {
        let (status, message) = read(
            client
                .get(format!("{}/whatsapp-message/messages/{id}", gateway.base))
                .basic_auth("ann", Some("ann-password"))
                .send()
                .await
                .expect("status"),
        )
        .await;
        assert_eq!(status, 200, "{message}");
        assert_eq!(message["destination"], destination);
        assert_eq!(message["refId"], "durable-1");
        assert_eq!(message["priority"], "LOW");
        assert_eq!(message["eventReportGates"], json!(["g1"]));
        assert_eq!(message["customParameters"], json!({"k": "v"}));
        let parts = message["messages"].as_array().expect("parts");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0]["messageType"], "text");
        assert_eq!(parts[1]["messageType"], "image");
        assert!(parts.iter().all(|part| part["state"] == "QUEUED"));
        let recipient_field = if destination.starts_with('+') {
            "to"
        } else {
            "recipient"
        };
        assert_eq!(parts[0]["cloudRequest"][recipient_field], destination);
        assert_eq!(parts[0]["cloudRequest"]["text"]["body"], "survive this");
        assert_eq!(
            parts[1]["cloudRequest"]["image"]["link"],
            Value::from("https://example.com/a.png")
        );
    }
}
