//! `/webhooks/meta`: the verification handshake, the signature check (a
//! refused webhook stores nothing), repeats that change nothing, and
//! statuses that name another business number, which change nothing either.

mod common;

use common::gate::Gate;
use common::{Backend, Tenant, TestApp, hello_world, request, spawn_app_with};
use serde_json::{Value, json};
use wagate::signature;

const SECRET: &str = "test-app-secret";

async fn post_webhook(app: &TestApp, body: &[u8], signature: Option<String>) -> u16 {
    let mut request = app
        .client
        .post(format!("{}/webhooks/meta", app.base))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(signature) = signature {
        request = request.header("x-hub-signature-256", signature);
    }
    request.send().await.expect("webhook").status().as_u16()
}

fn status_webhook(wamid: &str, status: &str) -> Vec<u8> {
    status_webhook_from("46700000500", "pnid-hooks", wamid, status)
}

/// A status webhook for the business number `display` (`phone_number_id`).
fn status_webhook_from(display: &str, phone_number_id: &str, wamid: &str, status: &str) -> Vec<u8> {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "waba", "changes": [{
        "field": "messages",
        "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": display, "phone_number_id": phone_number_id},
            "statuses": [{"id": wamid, "status": status, "timestamp": "1795000000",
                          "recipient_id": "46701234567"}]
        }
    }]}]})
    .to_string()
    .into_bytes()
}

fn history_codes(status: &Value) -> Vec<u64> {
    status["messages"][0]["history"]
        .as_array()
        .map(|history| {
            history
                .iter()
                .filter_map(|entry| entry["resultCode"].as_u64())
                .collect()
        })
        .unwrap_or_default()
}

/// A `hello_world` from `tenant` whose reports go to a new gate, once it is
/// submitted: the gate, the message id and its wamid.
async fn submitted_with_reports(app: &TestApp, tenant: &Tenant) -> (Gate, String, String) {
    let gate = Gate::start().await;
    let (status, answer) = app
        .admin_post(
            "/gates",
            json!({"platformId": tenant.platform_id, "platformPartnerId": tenant.platform_partner_id,
                   "id": "hooks-sink", "url": gate.url}),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    let mut body = request(tenant, &["+46701234567"], hello_world());
    body["eventReportGates"] = json!(["hooks-sink"]);
    let (status, answer) = app.send(tenant, &body).await;
    assert_eq!(status, 200, "{answer}");
    let id = answer["messageIds"][0].as_str().expect("id").to_owned();
    let submitted = app
        .status_when(tenant, &id, "the submission", |part| {
            part["state"] == "SUBMITTED"
        })
        .await;
    let wamid = submitted["messages"][0]["history"][1]["details"]["waMessageId"]
        .as_str()
        .expect("wamid")
        .to_owned();
    (gate, id, wamid)
}

on_backends!(the_handshake_echoes_the_challenge_only_for_the_verify_token);
async fn the_handshake_echoes_the_challenge_only_for_the_verify_token(backend: Backend) {
    let app = spawn_app_with(backend, &["--meta-verify-token", "the-verify-token"]).await;
    let handshake = |mode: &str, token: &str| {
        app.client
            .get(format!(
                "{}/webhooks/meta?hub.mode={mode}&hub.verify_token={token}&hub.challenge=1158201444",
                app.base
            ))
            .send()
    };
    let answer = handshake("subscribe", "the-verify-token")
        .await
        .expect("GET");
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.text().await.expect("body"), "1158201444");
    for (mode, token) in [
        ("subscribe", "wrong"),
        ("unsubscribe", "the-verify-token"),
        ("subscribe", ""),
    ] {
        let answer = handshake(mode, token).await.expect("GET");
        assert_eq!(answer.status(), 403, "{mode} {token}");
    }
}

on_backends!(only_signed_webhooks_are_stored_and_repeats_change_nothing);
async fn only_signed_webhooks_are_stored_and_repeats_change_nothing(backend: Backend) {
    // The simulator's own statuses come an hour later: only ours count here.
    let app = spawn_app_with(
        backend,
        &["--meta-app-secret", SECRET, "--sandbox-status-delay", "1h"],
    )
    .await;
    let tenant = app.tenant("hooks", "+46700000500").await;
    let (gate, id, wamid) = submitted_with_reports(&app, &tenant).await;

    let database = app.database();
    let stored_history = || {
        database.rows(
            "SELECT state FROM message_statuses WHERE message_id = $1",
            &id,
        )
    };
    let history_before = stored_history().await;
    let body = status_webhook(&wamid, "delivered");
    assert_eq!(post_webhook(&app, &body, None).await, 401);
    let wrong = signature::sign(b"another-secret", &body);
    assert_eq!(post_webhook(&app, &body, Some(wrong)).await, 401);
    let tampered = signature::sign(SECRET.as_bytes(), &status_webhook(&wamid, "read"));
    assert_eq!(post_webhook(&app, &body, Some(tampered)).await, 401);
    // Refused webhooks stored nothing: not even a status waiting to be
    // applied, nor an entry in the stored history.
    let kept = database
        .rows("SELECT status FROM meta_statuses WHERE wamid = $1", &wamid)
        .await;
    assert!(kept.is_empty(), "refused webhooks kept: {kept:?}");
    assert_eq!(stored_history().await, history_before);
    let unchanged = app.status(&tenant, &id).await.1;
    assert_eq!(
        history_codes(&unchanged),
        [112001, 112002],
        "refused webhooks stored nothing"
    );

    // Meta repeats webhooks: three at once, and one more later.
    let signed = signature::sign(SECRET.as_bytes(), &body);
    let (first, second, third) = tokio::join!(
        post_webhook(&app, &body, Some(signed.clone())),
        post_webhook(&app, &body, Some(signed.clone())),
        post_webhook(&app, &body, Some(signed.clone())),
    );
    assert_eq!((first, second, third), (200, 200, 200));
    assert_eq!(post_webhook(&app, &body, Some(signed)).await, 200);
    let after = app.status(&tenant, &id).await.1;
    assert_eq!(history_codes(&after), [112001, 112002, 112003]);
    assert_eq!(after["messages"][0]["state"], "DELIVERED");
    let delivered = &after["messages"][0]["history"][2];
    assert_eq!(delivered["details"]["waMessageId"], wamid.as_str());
    assert_eq!(delivered["details"]["recipientId"], "46701234567");

    // A later `sent` (Meta's order is not guaranteed) joins the history but
    // does not move the state back.
    let sent = status_webhook(&wamid, "sent");
    let signed_sent = signature::sign(SECRET.as_bytes(), &sent);
    assert_eq!(post_webhook(&app, &sent, Some(signed_sent)).await, 200);
    let last = app.status(&tenant, &id).await.1;
    assert_eq!(history_codes(&last), [112001, 112002, 112003, 112006]);
    assert_eq!(last["messages"][0]["state"], "DELIVERED");

    // The gate heard each status once, and not the late `sent`: once the
    // `read` that follows has arrived, everything before it has.
    let read = status_webhook(&wamid, "read");
    let signed_read = signature::sign(SECRET.as_bytes(), &read);
    assert_eq!(post_webhook(&app, &read, Some(signed_read)).await, 200);
    let reports: Vec<u64> = gate
        .reports_for(&id, 3)
        .await
        .iter()
        .filter_map(|report| report.body["resultCode"].as_u64())
        .collect();
    assert_eq!(reports, [112002, 112003, 112007]);
    assert_eq!(gate.accepted().len(), 3);
}

on_backends!(a_status_naming_another_number_does_not_shadow_the_genuine_one);
async fn a_status_naming_another_number_does_not_shadow_the_genuine_one(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &["--meta-app-secret", SECRET, "--sandbox-status-delay", "1h"],
    )
    .await;
    let tenant = app.tenant("hooks", "+46700000500").await;
    app.tenant("elsewhere", "+46700000501").await;
    let (gate, id, wamid) = submitted_with_reports(&app, &tenant).await;

    // Signed, but for another tenant's business number (another number of
    // the same WhatsApp account, say): it must not touch this message.
    let misrouted = status_webhook_from("46700000501", "pnid-elsewhere", &wamid, "delivered");
    let signed = signature::sign(SECRET.as_bytes(), &misrouted);
    assert_eq!(post_webhook(&app, &misrouted, Some(signed)).await, 200);
    let unchanged = app.status(&tenant, &id).await.1;
    assert_eq!(history_codes(&unchanged), [112001, 112002]);
    assert_eq!(unchanged["messages"][0]["state"], "SUBMITTED");

    // The genuine `delivered` that follows is applied (the answer comes
    // once it is committed) and reported.
    let genuine = status_webhook(&wamid, "delivered");
    let signed = signature::sign(SECRET.as_bytes(), &genuine);
    assert_eq!(post_webhook(&app, &genuine, Some(signed)).await, 200);
    let applied = app.status(&tenant, &id).await.1;
    assert_eq!(history_codes(&applied), [112001, 112002, 112003]);
    assert_eq!(applied["messages"][0]["state"], "DELIVERED");
    let reports: Vec<u64> = gate
        .reports_for(&id, 2)
        .await
        .iter()
        .filter_map(|report| report.body["resultCode"].as_u64())
        .collect();
    assert_eq!(reports, [112002, 112003]);
}

on_backends!(what_wagate_does_not_use_is_acknowledged);
async fn what_wagate_does_not_use_is_acknowledged(backend: Backend) {
    let app = spawn_app_with(backend, &["--meta-app-secret", SECRET]).await;
    let other_field =
        json!({"object": "whatsapp_business_account", "entry": [{"id": "waba", "changes": [
            {"field": "account_update", "value": {"event": "VERIFIED_ACCOUNT"}}
        ]}]})
        .to_string();
    let unknown_wamid = status_webhook("wamid.unknown", "delivered");
    for body in [
        other_field.as_bytes(),
        b"not json".as_slice(),
        &unknown_wamid,
    ] {
        let signed = signature::sign(SECRET.as_bytes(), body);
        assert_eq!(post_webhook(&app, body, Some(signed)).await, 200);
    }
}
