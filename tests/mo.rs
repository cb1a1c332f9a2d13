//! Incoming messages reach the gates of their route in the LINK format:
//! every content type, keyword and default routes, a BSUID-only sender, and
//! one sender's messages in order; Meta's repeat of a webhook gives no
//! second MO, and a message without a route is kept, its content erased.

mod common;

use common::gate::{Callback, Gate};
use common::{Backend, Tenant, TestApp, inbound_text_webhook, poll, spawn_app_with};
use serde_json::{Value, json};

const FAST: &[&str] = &[
    "--sandbox-status-delay",
    "1ms",
    "--dispatch-poll",
    "20ms",
    "--callback-retry-schedule",
    "20ms,20ms,20ms,20ms,20ms",
];

async fn routed_tenant(app: &TestApp) -> (Tenant, Gate, Gate) {
    let tenant = app.tenant("mo", "+46700000800").await;
    let default_gate = Gate::start().await;
    let keyword_gate = Gate::start().await;
    let owner =
        json!({"platformId": tenant.platform_id, "platformPartnerId": tenant.platform_partner_id});
    let with = |extra: Value| {
        let mut body = owner.clone();
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        body
    };
    for (path, body) in [
        (
            "/gates",
            with(
                json!({"id": "mo-default", "url": default_gate.url, "customParameters": {"g": "1"}}),
            ),
        ),
        (
            "/gates",
            with(json!({"id": "mo-stop", "url": keyword_gate.url})),
        ),
        (
            "/routes",
            with(
                json!({"number": tenant.source, "gateIds": ["mo-default"], "refId": "route-ref",
                        "customParameters": {"r": "2"}}),
            ),
        ),
        (
            "/routes",
            with(json!({"number": tenant.source, "keyword": "stop", "gateIds": ["mo-stop"]})),
        ),
    ] {
        let (status, answer) = app.admin_post(path, body).await;
        assert_eq!(status, 201, "{path}: {answer}");
    }
    (tenant, default_gate, keyword_gate)
}

/// The MO about `wamid` once `gate` has it.
async fn mo(gate: &Gate, wamid: &str) -> Callback {
    common::poll(
        std::time::Duration::from_secs(30),
        "the incoming message",
        || async {
            gate.accepted()
                .into_iter()
                .find(|callback| callback.body["providerMessageId"] == wamid)
                .ok_or_else(|| format!("{:#?}", gate.accepted()))
        },
    )
    .await
}

on_backends!(every_content_type_reaches_the_default_route_and_keywords_their_own);
async fn every_content_type_reaches_the_default_route_and_keywords_their_own(backend: Backend) {
    let app = spawn_app_with(backend, FAST).await;
    let (tenant, default_gate, keyword_gate) = routed_tenant(&app).await;
    let user = "+46701112222";

    let text = app
        .inbound(&tenant, json!({"from": user, "text": "hello there"}))
        .await;
    let body = mo(&default_gate, &text).await.body;
    assert_eq!(body["destination"], tenant.source.as_str());
    assert_eq!(body["source"], user);
    assert_eq!(body["provider"], "whatsapp");
    assert_eq!(
        body["content"],
        json!({"type": "WHATSAPP", "message": {"contentType": "TEXT", "text": "hello there"}})
    );
    assert_eq!(body["messageId"].as_str().map(str::len), Some(22));
    assert_eq!(body["route"]["type"], "KEYWORD_ROUTE");
    assert_eq!(body["route"]["keywordType"], "DEFAULT");
    assert_eq!(body["route"]["refId"], "route-ref");
    assert_eq!(body["route"]["customParameters"], json!({"r": "2"}));
    assert_eq!(body["route"]["platformId"], tenant.platform_id.as_str());
    assert_eq!(body["gateCustomParameters"], json!({"g": "1"}));

    let stop = app
        .inbound(
            &tenant,
            json!({"from": user, "text": "STOP sending please"}),
        )
        .await;
    let body = mo(&keyword_gate, &stop).await.body;
    assert_eq!(body["route"]["keywordType"], "KEYWORD");
    assert_eq!(body["route"]["keyword"], "stop");
    assert!(
        default_gate
            .accepted()
            .iter()
            .all(|c| c.body["providerMessageId"] != stop.as_str())
    );

    let cases = [
        (
            json!({"type": "button", "button": {"text": "Yes", "payload": "yes-1"},
                   "context": {"from": "46700000800", "id": "wamid.original"}}),
            json!({"contentType": "BUTTON", "button": {"text": "Yes", "payload": "yes-1"},
                   "context": {"id": "wamid.original", "messageId": "wamid.original", "source": "+46700000800"}}),
        ),
        (
            json!({"type": "interactive", "interactive": {"type": "list_reply",
                   "list_reply": {"id": "row-1", "title": "First", "description": "the first"}}}),
            json!({"contentType": "INTERACTIVE", "interactive": {"type": "list_reply",
                   "list_reply": {"id": "row-1", "title": "First", "description": "the first"}}}),
        ),
        (
            json!({"type": "location", "location": {"latitude": 59.33, "longitude": 18.06, "name": "Stockholm"}}),
            json!({"contentType": "LOCATION", "location": {"latitude": 59.33, "longitude": 18.06, "name": "Stockholm"}}),
        ),
        (
            json!({"type": "reaction", "reaction": {"message_id": "wamid.original", "emoji": "👍"}}),
            json!({"contentType": "REACTION", "emoji": "👍",
                   "context": {"id": "wamid.original", "messageId": "wamid.original"}}),
        ),
        (
            json!({"type": "order", "order": {"catalog_id": "cat-1", "text": "please",
                   "product_items": [{"product_retailer_id": "sku-1", "quantity": 2, "item_price": 9.5, "currency": "EUR"}]}}),
            json!({"contentType": "ORDER", "order": {"catalog_id": "cat-1", "text": "please",
                   "product_items": [{"product_retailer_id": "sku-1", "quantity": 2, "item_price": 9.5, "currency": "EUR"}]}}),
        ),
        (
            json!({"type": "contacts", "contacts": [{"name": {"formatted_name": "Ann"}, "phones": [{"phone": "+46701234567"}]}]}),
            json!({"contentType": "CONTACTS", "contacts": [{"name": {"formatted_name": "Ann"}, "phones": [{"phone": "+46701234567"}]}]}),
        ),
    ];
    for (message, expected) in cases {
        let wamid = app
            .inbound(&tenant, json!({"from": user, "message": message}))
            .await;
        let body = mo(&default_gate, &wamid).await.body;
        assert_eq!(body["content"]["message"], expected, "{message}");
    }
}

on_backends!(media_reach_the_gate_as_an_expiring_signed_wagate_url);
async fn media_reach_the_gate_as_an_expiring_signed_wagate_url(backend: Backend) {
    let app = spawn_app_with(backend, FAST).await;
    let (tenant, default_gate, _) = routed_tenant(&app).await;
    let image = json!({"type": "image", "image": {"id": "media-1", "mime_type": "image/jpeg",
                                                  "sha256": "x", "caption": "look"}});
    let wamid = app
        .inbound(&tenant, json!({"from": "+46701114444", "message": image}))
        .await;
    let message = mo(&default_gate, &wamid).await.body["content"]["message"].clone();
    assert_eq!(message["contentType"], "MEDIA");
    assert_eq!(message["media"]["type"], "image/jpeg");
    assert_eq!(message["media"]["caption"], "look");
    let source = message["media"]["source"]
        .as_str()
        .expect("a media URL")
        .to_owned();
    assert!(
        source.starts_with(&format!("{}/media/v1/pnid-mo/media-1?expires=", app.base)),
        "{source}"
    );

    // Anyone with the URL gets the bytes, fetched from the Cloud API with
    // the business's token; a changed URL gets nothing.
    let fetched = app.client.get(&source).send().await.expect("GET media");
    assert_eq!(fetched.status(), 200);
    assert_eq!(
        fetched
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/jpeg")
    );
    assert_eq!(
        fetched.bytes().await.expect("bytes").as_ref(),
        b"wagate sandbox media media-1\n"
    );
    for tampered in [
        source.replace("media-1?", "media-2?"),
        source.replace("expires=", "expires=9"),
        source
            .split("&signature=")
            .next()
            .unwrap_or_default()
            .to_owned(),
    ] {
        let refused = app.client.get(&tampered).send().await.expect("GET media");
        assert_eq!(refused.status(), 403, "{tampered}");
    }
}

on_backends!(a_bsuid_only_sender_and_one_senders_order);
async fn a_bsuid_only_sender_and_one_senders_order(backend: Backend) {
    let app = spawn_app_with(backend, FAST).await;
    let (tenant, default_gate, _) = routed_tenant(&app).await;
    let bsuid = "SE.99998888777766665555";
    let wamid = app
        .inbound(&tenant, json!({"fromUserId": bsuid, "text": "no number"}))
        .await;
    let body = mo(&default_gate, &wamid).await.body;
    assert_eq!(body["source"], bsuid);
    assert_eq!(body["customParameters"]["whatsappUserId"], bsuid);

    // The gate refuses the first two of them: the rest wait their turn.
    default_gate.refuse_next(2);
    let user = "+46701113333";
    let mut sent = Vec::new();
    for n in 0..5 {
        sent.push(
            app.inbound(
                &tenant,
                json!({"from": user, "text": format!("message {n}")}),
            )
            .await,
        );
    }
    let last = sent.last().expect("sent").clone();
    mo(&default_gate, &last).await;
    let arrived: Vec<String> = default_gate
        .accepted()
        .iter()
        .filter(|callback| callback.body["source"] == user)
        .filter_map(|callback| {
            callback.body["providerMessageId"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(arrived, sent);
    assert_eq!(default_gate.refused(), 2);
}

on_backends!(the_sandbox_refuses_an_inbound_message_to_another_tenants_number);
async fn the_sandbox_refuses_an_inbound_message_to_another_tenants_number(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    let mine = app.tenant("inbound-mine", "+46700000801").await;
    let theirs = app.tenant("inbound-theirs", "+46700000802").await;
    let post = |to: &str| {
        app.client
            .post(format!("{}/sandbox/v1/inbound", app.base))
            .basic_auth(&mine.username, Some(&mine.password))
            .json(&json!({"from": "+46701234567", "to": to, "text": "hi"}))
            .send()
    };
    let refused = post(&theirs.source).await.expect("inbound");
    assert_eq!(refused.status(), 404, "another tenant's number");
    let accepted = post(&mine.source).await.expect("inbound");
    assert_eq!(accepted.status(), 200, "its own number");
}

/// The app secret Meta's webhooks are signed with in these tests.
const APP_SECRET: &str = "test-app-secret";

async fn with_app_secret(backend: Backend) -> TestApp {
    let mut args = FAST.to_vec();
    args.extend(["--meta-app-secret", APP_SECRET]);
    spawn_app_with(backend, &args).await
}

on_backends!(a_repeated_webhook_gives_one_mo);
async fn a_repeated_webhook_gives_one_mo(backend: Backend) {
    let app = with_app_secret(backend).await;
    let (tenant, default_gate, _) = routed_tenant(&app).await;
    let user = "+46701113333";
    let webhook = |wamid: &str, text: &str| {
        inbound_text_webhook(&tenant.source, "pnid-mo", user, wamid, text)
    };
    let repeated = webhook("wamid.repeated", "hello once");
    assert_eq!(app.meta_webhook(APP_SECRET, &repeated).await, 200);
    assert_eq!(app.meta_webhook(APP_SECRET, &repeated).await, 200);
    // Meta repeats it again once it has been routed and delivered.
    mo(&default_gate, "wamid.repeated").await;
    assert_eq!(app.meta_webhook(APP_SECRET, &repeated).await, 200);
    // The sender's next message: one sender's MOs reach a gate in the
    // order they came, so a second MO of the repeat would be in before it.
    let next = webhook("wamid.next", "hello again");
    assert_eq!(app.meta_webhook(APP_SECRET, &next).await, 200);
    mo(&default_gate, "wamid.next").await;
    let received: Vec<&str> = default_gate
        .accepted()
        .iter()
        .filter_map(|callback| callback.body["providerMessageId"].as_str())
        .map(|wamid| {
            if wamid == "wamid.repeated" {
                "repeated"
            } else {
                "next"
            }
        })
        .collect();
    assert_eq!(
        received,
        ["repeated", "next"],
        "one MO per incoming message"
    );
}

/// The stored incoming message `wamid` once it has been routed:
/// (message as stored, phone_number_id).
async fn routed_row(app: &TestApp, wamid: &str) -> (String, String) {
    poll(
        std::time::Duration::from_secs(30),
        "the incoming message to be routed",
        || async {
            let rows = app
                .database()
                .rows(
                    "SELECT message, phone_number_id FROM inbound_messages
                     WHERE wamid = $1 AND routed",
                    wamid,
                )
                .await;
            match rows.as_slice() {
                [row] => Ok((
                    row[0].clone().unwrap_or_default(),
                    row[1].clone().unwrap_or_default(),
                )),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await
}

on_backends!(a_message_without_a_route_keeps_its_ids_and_loses_its_content);
async fn a_message_without_a_route_keeps_its_ids_and_loses_its_content(backend: Backend) {
    let app = with_app_secret(backend).await;
    let tenant = app.tenant("unrouted", "+46700000810").await;
    let user = "+46701114444";
    let words = "words nobody is routed";
    let webhook =
        |wamid: &str| inbound_text_webhook(&tenant.source, "pnid-unrouted", user, wamid, words);
    assert_eq!(
        app.meta_webhook(APP_SECRET, &webhook("wamid.unrouted"))
            .await,
        200
    );
    let (message, phone_number_id) = routed_row(&app, "wamid.unrouted").await;
    assert_eq!(message, "", "the content is erased");
    assert_eq!(phone_number_id, "pnid-unrouted", "its ids stay");

    // A route added later gets what comes after it; the unrouted message
    // stays as it was, its content gone.
    let gate = Gate::start().await;
    let owner =
        json!({"platformId": tenant.platform_id, "platformPartnerId": tenant.platform_partner_id});
    for (path, extra) in [
        ("/gates", json!({"id": "unrouted-mo", "url": gate.url})),
        (
            "/routes",
            json!({"number": tenant.source, "gateIds": ["unrouted-mo"]}),
        ),
    ] {
        let mut body = owner.clone();
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let (status, answer) = app.admin_post(path, body).await;
        assert_eq!(status, 201, "{path}: {answer}");
    }
    assert_eq!(
        app.meta_webhook(APP_SECRET, &webhook("wamid.routed")).await,
        200
    );
    let callback = mo(&gate, "wamid.routed").await;
    assert_eq!(callback.body["content"]["message"]["text"], words);
    let delivered: Vec<Value> = gate
        .accepted()
        .iter()
        .map(|callback| callback.body["providerMessageId"].clone())
        .collect();
    assert_eq!(delivered, [json!("wamid.routed")]);
    assert_eq!(
        routed_row(&app, "wamid.unrouted").await,
        (String::new(), "pnid-unrouted".to_owned())
    );
}
