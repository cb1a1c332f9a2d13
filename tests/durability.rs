//! A `200 queued` survives the process being killed: the real binary is
//! started, sent a request, killed with SIGKILL right after the answer, and
//! started again on the same database (on each backend).

mod common;

use common::process::Process;
use common::{Backend, TestDatabase};
use serde_json::{Value, json};

/// The gateway submits to a Cloud API that is not there (and resends only
/// after an hour), so what was accepted stays queued across the restart.
fn start(database: &TestDatabase) -> Process {
    Process::serve(
        database,
        &[
            "--upstream",
            "meta",
            "--meta-app-secret",
            "test-app-secret",
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

on_backends!(a_queued_message_survives_sigkill);
async fn a_queued_message_survives_sigkill(backend: Backend) {
    let database = TestDatabase::create(backend).await;

    let mut gateway = start(&database);
    // No care-window check: the text stays queued for the absent Cloud API.
    let tenant = gateway
        .gateway()
        .tenant_with("durable", "+46700000001", json!({"careWindowCheck": false}))
        .await;
    let mut body = common::request(
        &tenant,
        &["+46701234567", "SE.11815799212886844830"],
        json!([
            {"type": "text", "text": {"body": "survive this"}},
            {"type": "image", "image": {"link": "https://example.com/a.png", "caption": "and this"}}
        ]),
    );
    if let Some(fields) = body.as_object_mut() {
        fields.extend(
            json!({
                "priority": "LOW", "refId": "durable-1",
                "eventReportGates": [tenant.gate_id], "customParameters": {"k": "v"}
            })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        );
    }
    let (status, answer) = gateway.gateway().send(&tenant, &body).await;
    gateway.kill();
    assert_eq!(status, 200, "{answer}");
    let ids: Vec<String> = answer["messageIds"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|id| id.as_str().expect("id").to_owned())
        .collect();

    let restarted = start(&database);
    let gateway = restarted.gateway();
    for (id, destination) in ids.iter().zip(["+46701234567", "SE.11815799212886844830"]) {
        let (status, message) = gateway.status(&tenant, id).await;
        assert_eq!(status, 200, "{message}");
        assert_eq!(message["destination"], destination);
        assert_eq!(message["refId"], "durable-1");
        assert_eq!(message["priority"], "LOW");
        assert_eq!(message["eventReportGates"], json!([tenant.gate_id]));
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
