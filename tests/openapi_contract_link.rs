//! The OpenAPI document against the LINK dialect: every request example of
//! the LINK v1.9.4 document is valid under the documented request schema,
//! its delivery report and incoming message examples under the webhook
//! schemas; the check refuses what it must; and what a running gateway
//! really sends (callbacks) and answers (send, status, mo/status) is what
//! the document describes.

mod common;

use std::path::Path;

use common::gate::Gate;
use common::openapi::{
    assert_breaks, assert_fits, document, request_schema, response_schema, webhook_schema,
};
use common::{Backend, QUICK_REPORTS, Tenant, TestApp, hello_world, read, request, spawn_app_with};
use serde_json::{Value, json};

const SEND: &str = "/whatsapp-message/messages";
const STATUS: &str = "/whatsapp-message/messages/{message_id}";
const DLR: &str = "linkDeliveryReport";
const MO: &str = "linkIncomingMessage";

/// The full examples of the LINK document (requests, DLRs, MOs).
fn spec_examples(kind: &str) -> Vec<(String, Value)> {
    let examples: Value = serde_json::from_str(include_str!("fixtures/link-v1.9.4-examples.json"))
        .expect("the examples are JSON");
    examples[kind]
        .as_array()
        .unwrap_or_else(|| panic!("no {kind} in the examples"))
        .iter()
        .map(|entry| {
            (
                entry["title"].as_str().unwrap_or(kind).to_owned(),
                entry["example"].clone(),
            )
        })
        .collect()
}

/// The message objects of the LINK document, one per file of the domain
/// crate's examples.
fn message_examples() -> Vec<(String, Value)> {
    let directory =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/wagate-domain/tests/examples");
    let mut files: Vec<_> = std::fs::read_dir(&directory)
        .expect("the examples directory")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json")
        })
        .collect();
    files.sort();
    assert!(files.len() >= 30, "only {} examples", files.len());
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("an example");
            let example: Value = serde_json::from_str(&text).expect("an example is JSON");
            (path.display().to_string(), example["message"].clone())
        })
        .collect()
}

/// A minimal valid request carrying `message`.
fn carrying(message: Value) -> Value {
    json!({
        "platformId": "yourPlatformId",
        "platformPartnerId": "yourPlatformPartnerId",
        "priority": "NORMAL",
        "refId": "yourRefId",
        "source": "+460000000000",
        "destinations": ["+460000000001"],
        "messages": [message],
    })
}

#[test]
fn every_request_example_of_link_is_valid_under_the_send_schema() {
    let document = document();
    let schema = request_schema(&document, SEND, "post");
    for (name, message) in message_examples() {
        assert!(message.is_object(), "{name} has no message");
        assert_fits(&document, &schema, &carrying(message), &name);
    }
    let requests = spec_examples("requests");
    assert_eq!(requests.len(), 3);
    for (title, example) in requests {
        assert_fits(&document, &schema, &example, &title);
    }
    // The document's own example of the request.
    let own = &document["components"]["schemas"]["MessageRequest"]["example"];
    assert_fits(&document, &schema, own, "the MessageRequest example");
}

#[test]
fn every_dlr_and_mo_example_of_link_is_valid_under_the_webhook_schemas() {
    let document = document();
    for (webhook, kind, count) in [(DLR, "dlrs", 5), (MO, "mos", 8)] {
        let schema = webhook_schema(&document, webhook);
        let examples = spec_examples(kind);
        assert_eq!(examples.len(), count, "{kind}");
        for (title, example) in examples {
            assert_fits(&document, &schema, &example, &title);
        }
    }
}

#[test]
fn the_checks_refuse_what_breaks_the_schemas() {
    let document = document();
    let send = request_schema(&document, SEND, "post");
    let valid = carrying(json!({"type": "text", "text": {"body": "hi"}}));
    assert_fits(&document, &send, &valid, "the valid request");

    let broken = |change: &dyn Fn(&mut Value)| {
        let mut request = valid.clone();
        change(&mut request);
        request
    };
    for (what, request) in [
        (
            "no refId",
            broken(&|request| {
                request.as_object_mut().map(|fields| fields.remove("refId"));
            }),
        ),
        (
            "no messages[0].text.body",
            broken(&|request| request["messages"][0]["text"] = json!({})),
        ),
        (
            "destinations as a string",
            broken(&|request| request["destinations"] = json!("+460000000001")),
        ),
        (
            "a refId of 257 characters",
            broken(&|request| request["refId"] = json!("r".repeat(257))),
        ),
        (
            "a message of type reaction",
            broken(&|request| request["messages"][0]["type"] = json!("reaction")),
        ),
        (
            "priority URGENT",
            broken(&|request| request["priority"] = json!("URGENT")),
        ),
        (
            "eleven messages",
            broken(&|request| request["messages"] = json!(vec![valid["messages"][0].clone(); 11])),
        ),
    ] {
        assert_breaks(&document, &send, &request, what);
    }

    let dlr = webhook_schema(&document, DLR);
    let (_, example) = spec_examples("dlrs").remove(0);
    let mut no_id = example.clone();
    no_id
        .as_object_mut()
        .map(|fields| fields.remove("messageId"));
    assert_breaks(&document, &dlr, &no_id, "a DLR without messageId");
    let mut text_code = example;
    text_code["resultCode"] = json!("112003");
    assert_breaks(
        &document,
        &dlr,
        &text_code,
        "a DLR with a resultCode string",
    );

    let mo = webhook_schema(&document, MO);
    let (_, mut example) = spec_examples("mos").remove(0);
    example["route"]["gateIds"] = json!("yourGateId1");
    assert_breaks(&document, &mo, &example, "an MO with gateIds a string");
}

/// `tenant`'s gate `id` at `gate`, and its number's default route to it.
async fn gate_and_route(app: &TestApp, tenant: &Tenant, id: &str, gate: &Gate) {
    app.add_gate(
        tenant,
        id,
        &gate.url,
        json!({"customParameters": {"g": "1"}}),
    )
    .await;
    let (status, answer) = app
        .admin_post(
            "/routes",
            json!({"platformId": tenant.platform_id, "platformPartnerId": tenant.platform_partner_id,
                   "number": tenant.source, "gateIds": [id], "refId": "route-ref"}),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
}

on_backends!(real_callbacks_and_answers_are_what_the_document_describes);
async fn real_callbacks_and_answers_are_what_the_document_describes(backend: Backend) {
    let document = document();
    let app = spawn_app_with(backend, QUICK_REPORTS).await;
    let tenant = app.tenant("contract", "+46700000950").await;
    let gate = Gate::start().await;
    gate_and_route(&app, &tenant, "contract-sink", &gate).await;

    // POST /messages: 200, and DLRs up to READ.
    let mut body = request(&tenant, &["+46701234567"], hello_world());
    body["eventReportGates"] = json!(["contract-sink"]);
    body["customParameters"] = json!({"campaign": "winter", "count": 3});
    let (status, answer) = app.send(&tenant, &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_fits(
        &document,
        &response_schema(&document, SEND, "post", 200, "application/json"),
        &answer,
        "the send's answer",
    );
    let id = answer["messageIds"][0].as_str().expect("a messageId");
    let reports = gate.reports_for(id, 4).await;
    let codes: Vec<&Value> = reports
        .iter()
        .map(|report| &report.body["resultCode"])
        .collect();
    assert_eq!(codes, [112002, 112006, 112003, 112007]);
    let dlr = webhook_schema(&document, DLR);
    for report in &reports {
        assert_fits(&document, &dlr, &report.body, "a DLR");
    }

    // GET /messages/{id}: 200 and 404.
    let (status, answer) = app.status(&tenant, id).await;
    assert_eq!(status, 200, "{answer}");
    assert_fits(
        &document,
        &response_schema(&document, STATUS, "get", 200, "application/json"),
        &answer,
        "the status",
    );
    let (status, answer) = app.status(&tenant, "no-such-message").await;
    assert_eq!(status, 404, "{answer}");
    assert_fits(
        &document,
        &response_schema(&document, STATUS, "get", 404, "application/json"),
        &answer,
        "the status's 404",
    );

    // POST /messages: 400 for a schema violation and for bad JSON, 401.
    let mut broken = body.clone();
    broken.as_object_mut().map(|fields| fields.remove("refId"));
    let error_400 = response_schema(&document, SEND, "post", 400, "application/json");
    let (status, answer) = app.send(&tenant, &broken).await;
    assert_eq!(status, 400, "{answer}");
    assert_fits(&document, &error_400, &answer, "the send's 400");
    let (status, answer) = app.send_raw(&tenant, "{not json", Some("sv")).await;
    assert_eq!(status, 400, "{answer}");
    assert_fits(
        &document,
        &error_400,
        &answer,
        "the send's 400 for bad JSON",
    );
    let stranger = Tenant {
        password: "wrong".into(),
        ..tenant.clone()
    };
    let (status, answer) = app.send(&stranger, &body).await;
    assert_eq!(status, 401, "{answer}");
    assert_fits(
        &document,
        &response_schema(&document, SEND, "post", 401, "application/json"),
        &answer,
        "the send's 401",
    );

    // Incoming messages of several kinds, each to the gate as an MO.
    let user = "+46701119999";
    let messages = [
        json!({"from": user, "text": "hello"}),
        json!({"from": user, "message": {"type": "image", "image": {"id": "media-1",
            "mime_type": "image/jpeg", "sha256": "x", "caption": "look"}}}),
        json!({"from": user, "message": {"type": "button",
            "button": {"text": "Yes", "payload": "yes"}, "context": {"from": "46700000950", "id": "wamid.x"}}}),
        json!({"from": user, "message": {"type": "reaction",
            "reaction": {"message_id": "wamid.original", "emoji": "👍"}}}),
        json!({"from": user, "message": {"type": "location",
            "location": {"latitude": 59.33, "longitude": 18.06}}}),
    ];
    let mo = webhook_schema(&document, MO);
    let mut received = Vec::new();
    for message in messages {
        let wamid = app.inbound(&tenant, message.clone()).await;
        let callback = common::poll(
            std::time::Duration::from_secs(30),
            "the incoming message",
            || async {
                gate.accepted()
                    .into_iter()
                    .find(|callback| callback.body["providerMessageId"] == wamid.as_str())
                    .ok_or_else(|| format!("{:#?}", gate.accepted()))
            },
        )
        .await;
        assert_fits(
            &document,
            &mo,
            &callback.body,
            &format!("the MO of {message}"),
        );
        received.push(callback.body["messageId"].clone());
    }

    // POST /mo/status: 204 for a message received, 404 for none.
    let mark = |message_id: Value| {
        app.client
            .post(format!("{}/whatsapp-message/mo/status", app.base))
            .basic_auth(&tenant.username, Some(&tenant.password))
            .json(&json!({"platformId": tenant.platform_id,
                          "platformPartnerId": tenant.platform_partner_id,
                          "source": tenant.source, "status": "read", "message_id": message_id}))
            .send()
    };
    let (status, answer) = read(mark(received[0].clone()).await.expect("mo/status")).await;
    assert_eq!(status, 204, "{answer}");
    let documented = &document["paths"]["/whatsapp-message/mo/status"]["post"]["responses"];
    assert!(documented["204"].is_object() && documented["204"].get("content").is_none());
    let (status, answer) = read(mark(json!("no-such-message")).await.expect("mo/status")).await;
    assert_eq!(status, 404, "{answer}");
    assert_fits(
        &document,
        &response_schema(
            &document,
            "/whatsapp-message/mo/status",
            "post",
            404,
            "application/json",
        ),
        &answer,
        "mo/status's 404",
    );
    app.stop().await;
}
