//! `POST /whatsapp-message/mo/status`: an incoming message marked read
//! (with a typing indicator) through the Cloud API, named by the LINK
//! `messageId` its callback carried or by its `providerMessageId`; another
//! tenant's message, or one that does not exist, is a 404.

mod common;

use std::time::Duration;

use common::gate::Gate;
use common::{Backend, Tenant, TestApp, inbound_text_webhook, poll, read, spawn_app_with};
use serde_json::{Value, json};

const FAST: &[&str] = common::QUICK_REPORTS;

/// A tenant whose number routes everything to a gate of its own.
async fn routed(app: &TestApp, name: &str, number: &str) -> (Tenant, Gate) {
    let tenant = app.tenant(name, number).await;
    let gate = Gate::start().await;
    let owner =
        json!({"platformId": tenant.platform_id, "platformPartnerId": tenant.platform_partner_id});
    let mut gate_body = owner.clone();
    gate_body["id"] = json!(format!("{name}-mo"));
    gate_body["url"] = json!(gate.url);
    let mut route = owner;
    route["number"] = json!(number);
    route["gateIds"] = json!([format!("{name}-mo")]);
    for (path, body) in [("/gates", gate_body), ("/routes", route)] {
        let (status, answer) = app.admin_post(path, body).await;
        assert_eq!(status, 201, "{path}: {answer}");
    }
    (tenant, gate)
}

/// The user writes `text` to the tenant's number; returns the MO callback.
async fn incoming(app: &TestApp, tenant: &Tenant, gate: &Gate, text: &str) -> Value {
    let answer = app
        .client
        .post(format!("{}/sandbox/v1/inbound", app.base))
        .basic_auth(&tenant.username, Some(&tenant.password))
        .json(&json!({"to": tenant.source, "from": "+46701234567", "text": text}))
        .send()
        .await
        .expect("inbound");
    assert_eq!(answer.status(), 200);
    poll(Duration::from_secs(30), "the MO callback", || async {
        gate.accepted()
            .into_iter()
            .map(|callback| callback.body)
            .find(|body| body["content"]["message"]["text"] == text)
            .ok_or_else(|| format!("{:#?}", gate.accepted()))
    })
    .await
}

async fn mark(app: &TestApp, tenant: &Tenant, body: Value) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/whatsapp-message/mo/status", app.base))
        .basic_auth(&tenant.username, Some(&tenant.password))
        .json(&body)
        .send()
        .await
        .expect("mo status");
    if response.status() == 204 {
        return (204, Value::Null);
    }
    read(response).await
}

fn request(tenant: &Tenant, source: &str, message_id: &str) -> Value {
    json!({"platformId": tenant.platform_id, "platformPartnerId": tenant.platform_partner_id,
           "source": source, "status": "read", "message_id": message_id})
}

on_backends!(an_incoming_message_is_marked_read_by_either_id_and_only_by_its_tenant);
async fn an_incoming_message_is_marked_read_by_either_id_and_only_by_its_tenant(backend: Backend) {
    let app = spawn_app_with(backend, FAST).await;
    let (tenant, gate) = routed(&app, "mark", "+46700000001").await;
    let (other, other_gate) = routed(&app, "other", "+46700000002").await;
    let first = incoming(&app, &tenant, &gate, "first").await;
    let second = incoming(&app, &tenant, &gate, "second").await;
    let theirs = incoming(&app, &other, &other_gate, "theirs").await;
    let id = |mo: &Value, field: &str| mo[field].as_str().expect(field).to_owned();

    // By the LINK messageId; by the providerMessageId, with typing.
    let (status, answer) = mark(
        &app,
        &tenant,
        request(&tenant, "+46700000001", &id(&first, "messageId")),
    )
    .await;
    assert_eq!(status, 204, "{answer}");
    let mut typing = request(&tenant, "+46700000001", &id(&second, "providerMessageId"));
    typing["typing_indicator"] = json!({"type": "text"});
    let (status, answer) = mark(&app, &tenant, typing).await;
    assert_eq!(status, 204, "{answer}");

    // What the Cloud API got: the wamids, the second with the indicator.
    let reads: Vec<Value> = app
        .sim_received()
        .await
        .into_iter()
        .map(|send| send["body"].clone())
        .filter(|body| body["status"] == "read")
        .collect();
    assert_eq!(
        reads,
        [
            json!({"messaging_product": "whatsapp", "status": "read",
                   "message_id": id(&first, "providerMessageId")}),
            json!({"messaging_product": "whatsapp", "status": "read",
                   "message_id": id(&second, "providerMessageId"),
                   "typing_indicator": {"type": "text"}}),
        ]
    );

    // Another tenant's MO, on the caller's own number or on theirs; an id
    // nobody has; a bad status: nothing reaches the Cloud API.
    for (source, message_id, status, code) in [
        ("+46700000001", id(&theirs, "messageId"), 404, 112402),
        (
            "+46700000001",
            id(&theirs, "providerMessageId"),
            404,
            112402,
        ),
        ("+46700000002", id(&theirs, "messageId"), 403, 112401),
        ("+46700000001", "no-such-id".to_owned(), 404, 112402),
    ] {
        let (got, answer) = mark(&app, &tenant, request(&tenant, source, &message_id)).await;
        assert_eq!(
            (got, &answer["resultCode"]),
            (status, &json!(code)),
            "{source} {message_id}: {answer}"
        );
    }
    let mut unread = request(&tenant, "+46700000001", &id(&first, "messageId"));
    unread["status"] = json!("delivered");
    let (status, answer) = mark(&app, &tenant, unread).await;
    assert_eq!(
        (status, &answer["resultCode"]),
        (400, &json!(112506)),
        "{answer}"
    );
    assert!(
        answer["description"]
            .as_str()
            .is_some_and(|text| text.starts_with("status")),
        "{answer}"
    );
    let reads = app
        .sim_received()
        .await
        .into_iter()
        .filter(|send| send["body"]["status"] == "read")
        .count();
    assert_eq!(reads, 2);
}

on_backends!(meta_s_refusal_is_112501_and_no_answer_112503);
async fn meta_s_refusal_is_112501_and_no_answer_112503(backend: Backend) {
    // The sandbox refuses a message id that is not Meta's (the webhook
    // below came straight to the gateway, not from it); nothing listens on
    // port 9 of loopback, so there is no answer at all.
    for (upstream, code) in [(None, 112501), (Some("http://127.0.0.1:9"), 112503)] {
        let mut args = FAST.to_vec();
        args.extend(["--meta-app-secret", "s"]);
        if let Some(base) = upstream {
            args.extend([
                "--upstream",
                "meta",
                "--meta-base-url",
                base,
                "--meta-access-token",
                "token",
            ]);
        }
        let app = spawn_app_with(backend, &args).await;
        let tenant = app.tenant_without_gate("mark", "+46700000001").await;
        let (status, answer) = app
            .admin_post(
                "/sources",
                json!({"platformId": tenant.platform_id, "platformPartnerId": tenant.platform_partner_id,
                       "number": "+46700000003", "phoneNumberId": "pnid-x", "accessToken": "token"}),
            )
            .await;
        assert_eq!(status, 201, "{answer}");
        let webhook =
            inbound_text_webhook("+46700000003", "pnid-x", "+46701234567", "not-meta-s", "hi");
        assert_eq!(app.meta_webhook("s", &webhook).await, 200);
        let (status, answer) = mark(
            &app,
            &tenant,
            request(&tenant, "+46700000003", "not-meta-s"),
        )
        .await;
        assert_eq!(
            (status, &answer["resultCode"]),
            (400, &json!(code)),
            "{upstream:?}: {answer}"
        );
        assert!(
            answer["description"]
                .as_str()
                .is_some_and(|text| !text.is_empty()),
            "{answer}"
        );
    }
}
