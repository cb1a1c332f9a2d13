//! Message content is kept only as long as it is needed, unless the customer
//! asks (`ott.whatsapp.logMessageContent`): checked on the store's own rows,
//! and on what the status query and the admin API show.

mod common;

use std::time::Duration;

use common::gate::Gate;
use common::{Backend, Tenant, TestApp, poll, request, spawn_app_with};
use serde_json::{Value, json};

const FAST: &[&str] = &[
    "--sandbox-status-delay",
    "1ms",
    "--dispatch-poll",
    "20ms",
    "--callback-retry-schedule",
    "20ms,20ms,20ms",
    "--housekeeping-interval",
    "50ms",
];

const KEEP: &str = "ott.whatsapp.logMessageContent";

/// The words every test message carries, looked for in the stored rows.
const SECRET: &str = "the secret words";

async fn app(backend: Backend, extra: &[&str]) -> TestApp {
    let args: Vec<&str> = FAST.iter().chain(extra).copied().collect();
    spawn_app_with(backend, &args).await
}

/// Sends one template whose parameter is [`SECRET`] to `destination`, with
/// `custom` as customParameters.
async fn send(app: &TestApp, tenant: &Tenant, destination: &str, custom: Value) -> String {
    let template = json!({"type": "template", "template": {
        "name": "retention", "language": {"code": "en"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": SECRET}]}]}});
    let mut body = request(tenant, &[destination], json!([template]));
    body["customParameters"] = custom;
    let (status, answer) = app.send(tenant, &body).await;
    assert_eq!(status, 200, "{answer}");
    answer["messageIds"][0].as_str().expect("id").to_owned()
}

/// The stored part: (cloud_body, state, content_until).
async fn part(app: &TestApp, message_id: &str) -> (String, String, Option<String>) {
    let rows = app
        .database()
        .rows(
            "SELECT cloud_body, state, CAST(content_until AS TEXT) FROM message_parts
             WHERE message_id = $1",
            message_id,
        )
        .await;
    let [row] = rows.as_slice() else {
        panic!("one part expected: {rows:?}");
    };
    (
        row[0].clone().unwrap_or_default(),
        row[1].clone().unwrap_or_default(),
        row[2].clone(),
    )
}

/// How many history entries the part has in the store.
async fn history_len(app: &TestApp, message_id: &str) -> usize {
    app.database()
        .rows(
            "SELECT state FROM message_statuses WHERE message_id = $1",
            message_id,
        )
        .await
        .len()
}

async fn final_status(app: &TestApp, tenant: &Tenant, id: &str, state: &'static str) -> Value {
    app.status_when(tenant, id, state, |part| part["state"] == state)
        .await
}

on_backends!(content_is_erased_once_the_part_is_submitted_keeping_state_and_history);
async fn content_is_erased_once_the_part_is_submitted_keeping_state_and_history(backend: Backend) {
    let app = app(backend, &[]).await;
    let tenant = app.tenant("forget", "+46700000901").await;
    app.approved_templates(&tenant, &["retention"]).await;
    let id = send(&app, &tenant, "+46701230001", json!({"campaign": "x"})).await;
    let status = final_status(&app, &tenant, &id, "READ").await;

    let (body, state, until) = part(&app, &id).await;
    assert_eq!(body, "", "the Cloud API body is erased");
    assert_eq!(state, "READ", "the state stays");
    assert_eq!(until, None, "nothing left to erase");
    assert_eq!(
        history_len(&app, &id).await,
        4,
        "submitted, sent, delivered, read"
    );
    let shown = &status["messages"][0];
    assert_eq!(shown["contentKept"], false, "{status:#}");
    assert!(shown.get("cloudRequest").is_none(), "{status:#}");
    assert_eq!(shown["history"].as_array().map(Vec::len), Some(5));
    assert!(!status.to_string().contains(SECRET), "{status:#}");
    assert_eq!(status["customParameters"], json!({"campaign": "x"}));
}

on_backends!(a_failed_part_loses_its_content_too);
async fn a_failed_part_loses_its_content_too(backend: Backend) {
    let app = app(backend, &[]).await;
    let tenant = app.tenant("failing", "+46700000902").await;
    app.approved_templates(&tenant, &["retention"]).await;
    // The sandbox refuses a send to a number ending in 9903 for good: the
    // part settles FAILED without a submission.
    let id = send(&app, &tenant, "+46701239903", json!({})).await;
    let status = final_status(&app, &tenant, &id, "FAILED").await;

    let (body, state, _) = part(&app, &id).await;
    assert_eq!(body, "");
    assert_eq!(state, "FAILED");
    assert_eq!(history_len(&app, &id).await, 1);
    assert_eq!(status["messages"][0]["contentKept"], false, "{status:#}");
}

on_backends!(content_kept_on_request_lasts_the_retention_then_goes);
async fn content_kept_on_request_lasts_the_retention_then_goes(backend: Backend) {
    // Kept: the retention is far longer than the test.
    let app = app(backend, &["--content-retention", "1h"]).await;
    let tenant = app.tenant("keeper", "+46700000903").await;
    app.approved_templates(&tenant, &["retention"]).await;
    let id = send(&app, &tenant, "+46701230003", json!({KEEP: "true"})).await;
    let status = final_status(&app, &tenant, &id, "READ").await;

    let (body, state, until) = part(&app, &id).await;
    assert!(
        body.contains(SECRET),
        "kept after the part is final: {body}"
    );
    assert_eq!(state, "READ");
    assert!(until.is_some());
    let shown = &status["messages"][0];
    assert_eq!(shown["contentKept"], true, "{status:#}");
    assert!(
        shown["cloudRequest"].to_string().contains(SECRET),
        "{status:#}"
    );
    app.stop().await;

    // Gone once a short retention has passed, state and history kept.
    let app = self::app(backend, &["--content-retention", "1s"]).await;
    let tenant = app.tenant("keeper", "+46700000903").await;
    app.approved_templates(&tenant, &["retention"]).await;
    let id = send(&app, &tenant, "+46701230003", json!({KEEP: "true"})).await;
    final_status(&app, &tenant, &id, "READ").await;
    poll(
        Duration::from_secs(60),
        "the kept content to be erased",
        || async {
            match part(&app, &id).await {
                (body, _, None) if body.is_empty() => Ok(()),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
    assert_eq!(part(&app, &id).await.1, "READ");
    assert_eq!(history_len(&app, &id).await, 4);
    let (_, status) = app.status(&tenant, &id).await;
    assert_eq!(status["messages"][0]["contentKept"], false, "{status:#}");
}

/// A tenant whose number routes incoming messages to `gate`, with the
/// route's customParameters `custom`.
async fn routed(app: &TestApp, name: &str, number: &str, gate: &Gate, custom: Value) -> Tenant {
    let tenant = app.tenant(name, number).await;
    app.approved_templates(&tenant, &["retention"]).await;
    let owner =
        json!({"platformId": tenant.platform_id, "platformPartnerId": tenant.platform_partner_id});
    let mut gate_body = owner.clone();
    gate_body["id"] = json!(format!("{name}-mo"));
    gate_body["url"] = json!(gate.url);
    let mut route = owner;
    route["number"] = json!(number);
    route["gateIds"] = json!([format!("{name}-mo")]);
    route["customParameters"] = custom;
    for (path, body) in [("/gates", gate_body), ("/routes", route)] {
        let (status, answer) = app.admin_post(path, body).await;
        assert_eq!(status, 201, "{path}: {answer}");
    }
    tenant
}

/// A user's text to the tenant's number (through the sandbox); its wamid.
async fn incoming(app: &TestApp, tenant: &Tenant) -> String {
    let answer = app
        .client
        .post(format!("{}/sandbox/v1/inbound", app.base))
        .basic_auth(&tenant.username, Some(&tenant.password))
        .json(&json!({"from": "+46701112222", "to": tenant.source, "text": SECRET}))
        .send()
        .await
        .expect("inbound");
    assert_eq!(answer.status(), 200);
    let answer: Value = answer.json().await.expect("json");
    answer["id"].as_str().expect("wamid").to_owned()
}

/// The stored incoming message and its callback, once the callback is no
/// longer pending: (message, callback state, callback payload).
async fn incoming_rows(app: &TestApp, wamid: &str) -> (String, String, String) {
    poll(
        Duration::from_secs(30),
        "the MO callback to be done",
        || async {
            // The callback first: once it exists, the routing that erased
            // the message has committed (read the other way round, the
            // message could be read just before it was routed).
            let callbacks = app
                .database()
                .rows(
                    "SELECT state, payload FROM deliveries WHERE origin = 'mo:' || $1",
                    wamid,
                )
                .await;
            let inbound = app
                .database()
                .rows(
                    "SELECT message FROM inbound_messages WHERE wamid = $1",
                    wamid,
                )
                .await;
            match (inbound.as_slice(), callbacks.as_slice()) {
                ([message], [callback]) if callback[0].as_deref() == Some("DELIVERED") => Ok((
                    message[0].clone().unwrap_or_default(),
                    callback[0].clone().unwrap_or_default(),
                    callback[1].clone().unwrap_or_default(),
                )),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await
}

on_backends!(an_incoming_message_is_erased_once_delivered_unless_its_route_keeps_it);
async fn an_incoming_message_is_erased_once_delivered_unless_its_route_keeps_it(backend: Backend) {
    let app = app(backend, &["--inbound-content-retention", "1h"]).await;
    let forgetting_gate = Gate::start().await;
    let keeping_gate = Gate::start().await;
    let forgetting = routed(
        &app,
        "moforget",
        "+46700000904",
        &forgetting_gate,
        json!({}),
    )
    .await;
    let keeping = routed(
        &app,
        "mokeep",
        "+46700000905",
        &keeping_gate,
        json!({KEEP: "true"}),
    )
    .await;

    let forgotten = incoming(&app, &forgetting).await;
    let (message, state, payload) = incoming_rows(&app, &forgotten).await;
    assert_eq!(state, "DELIVERED");
    assert_eq!(message, "", "the incoming message is erased once routed");
    assert_eq!(payload, "", "its callback's body is erased once delivered");
    let delivered = forgetting_gate.accepted();
    assert_eq!(delivered.len(), 1);
    assert_eq!(
        delivered[0].body["content"]["message"]["text"], SECRET,
        "the gate got it all"
    );
    let (status, listed) = app
        .admin(reqwest::Method::GET, "/gates/moforget-mo/deliveries", None)
        .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed[0]["contentKept"], false, "{listed:#}");
    assert_eq!(listed[0]["state"], "DELIVERED");
    assert!(!listed.to_string().contains(SECRET), "{listed:#}");
    let erased = listed[0]["id"].as_i64().expect("id");
    let (status, answer) = app
        .admin_post(
            &format!("/gates/moforget-mo/deliveries/{erased}/redeliver"),
            json!({}),
        )
        .await;
    assert_eq!(
        status, 404,
        "what was not kept cannot be sent again: {answer}"
    );

    let kept = incoming(&app, &keeping).await;
    let (message, state, payload) = incoming_rows(&app, &kept).await;
    assert_eq!(state, "DELIVERED");
    assert!(message.contains(SECRET), "kept: {message}");
    assert!(payload.contains(SECRET), "kept: {payload}");
    let (status, listed) = app
        .admin(reqwest::Method::GET, "/gates/mokeep-mo/deliveries", None)
        .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed[0]["contentKept"], true, "{listed:#}");
    let kept_id = listed[0]["id"].as_i64().expect("id");
    let (status, answer) = app
        .admin_post(
            &format!("/gates/mokeep-mo/deliveries/{kept_id}/redeliver"),
            json!({}),
        )
        .await;
    assert_eq!(status, 202, "{answer}");
}

on_backends!(kept_incoming_content_goes_when_its_retention_passes);
async fn kept_incoming_content_goes_when_its_retention_passes(backend: Backend) {
    let app = app(backend, &["--inbound-content-retention", "1s"]).await;
    let gate = Gate::start().await;
    let tenant = routed(
        &app,
        "mobrief",
        "+46700000906",
        &gate,
        json!({KEEP: "true"}),
    )
    .await;
    let wamid = incoming(&app, &tenant).await;
    // The content was there: the gate got it (whatever the clock says).
    poll(
        Duration::from_secs(60),
        "the incoming message at the gate",
        || async {
            let delivered = gate.accepted();
            if delivered
                .iter()
                .any(|callback| callback.body.to_string().contains(SECRET))
            {
                Ok(())
            } else {
                Err(format!("{} callbacks", delivered.len()))
            }
        },
    )
    .await;
    poll(
        Duration::from_secs(60),
        "the kept incoming content to be erased",
        || async {
            match incoming_rows(&app, &wamid).await {
                (message, state, payload) if message.is_empty() && payload.is_empty() => Ok(state),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
}
