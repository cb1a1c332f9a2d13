//! Gates with `"format": "devino"` get Devino's bodies: incoming messages on
//! a route (text, media as wagate's signed URL, location, contacts), and
//! the statuses of a LINK request that names them (SENT, DELIVERED, READ;
//! UNDELIVERED and REJECTED with Devino's error codes), while a LINK gate
//! on the same request still gets LINK's reports.

mod common;

use std::time::Duration;

use common::gate::Gate;
use common::{Backend, Tenant, TestApp, hello_world, request, spawn_app_with, text};
use serde_json::{Value, json};

const FAST: &[&str] = &[
    "--sandbox-status-delay",
    "1ms",
    "--dispatch-poll",
    "20ms",
    "--callback-retry-schedule",
    "20ms,20ms,20ms,20ms,20ms",
];

async fn add_route(app: &TestApp, tenant: &Tenant, gate_ids: &[&str]) {
    let (status, answer) = app
        .admin_post(
            "/routes",
            json!({"platformId": tenant.platform_id, "platformPartnerId": tenant.platform_partner_id,
                   "number": tenant.source, "gateIds": gate_ids}),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
}

/// The `count`-th callback the gate accepted (they come in order: one
/// sender's messages reach a gate in the order they were received).
async fn nth(gate: &Gate, count: usize) -> Value {
    common::poll(Duration::from_secs(30), "the incoming message", || async {
        let accepted = gate.accepted();
        match accepted.get(count - 1) {
            Some(callback) => Ok(callback.body.clone()),
            None => Err(format!("{accepted:#?}")),
        }
    })
    .await
}

/// The body without its id and time, after checking them: the id a
/// positive number, the time Meta's, in milliseconds.
fn without_id_and_time(body: &Value) -> Value {
    assert!(
        body["incomingMessageId"].as_i64().is_some_and(|id| id > 0),
        "{body}"
    );
    assert!(
        body["ts"].as_i64().is_some_and(|ts| ts > 1_000_000_000_000),
        "{body}"
    );
    let mut rest = body.clone();
    if let Some(fields) = rest.as_object_mut() {
        fields.remove("incomingMessageId");
        fields.remove("ts");
    }
    rest
}

on_backends!(a_devino_gate_on_a_route_gets_incoming_messages_in_devinos_shape);
async fn a_devino_gate_on_a_route_gets_incoming_messages_in_devinos_shape(backend: Backend) {
    let app = spawn_app_with(backend, FAST).await;
    let tenant = app.tenant("dvin", "+46700000820").await;
    let first = Gate::start().await;
    let second = Gate::start().await;
    for (id, gate) in [("dv-a", &first), ("dv-b", &second)] {
        app.add_gate(&tenant, id, &gate.url, json!({"format": "devino"}))
            .await;
    }
    add_route(&app, &tenant, &["dv-a", "dv-b"]).await;
    let user = "+46701115555";

    app.inbound_from_ann(&tenant, user, json!({"text": "hello devino"}))
        .await;
    let body = nth(&first, 1).await;
    assert_eq!(
        without_id_and_time(&body),
        json!({"to": "46700000820", "from": "46701115555", "text": "hello devino",
               "profileName": "Ann"})
    );
    let other = nth(&second, 1).await;
    assert_eq!(
        other["incomingMessageId"], body["incomingMessageId"],
        "one id for every gate of a message"
    );

    let image = json!({"type": "image", "image": {"id": "media-7", "mime_type": "image/jpeg",
                                                  "sha256": "x", "caption": "look"}});
    app.inbound_from_ann(&tenant, user, json!({"message": image}))
        .await;
    let body = nth(&first, 2).await;
    assert_ne!(body["incomingMessageId"], other["incomingMessageId"]);
    let url = body["contentUrl"].as_str().expect("a media URL").to_owned();
    assert!(
        url.starts_with(&format!("{}/media/v1/", app.base)) && url.contains("/media-7?expires="),
        "{url}"
    );
    assert_eq!(
        without_id_and_time(&body),
        json!({"to": "46700000820", "from": "46701115555", "text": "look",
               "contentUrl": url, "contentType": "image/jpeg", "profileName": "Ann"})
    );
    let fetched = app.client.get(&url).send().await.expect("GET media");
    assert_eq!(fetched.status(), 200);
    assert_eq!(
        fetched.bytes().await.expect("bytes").as_ref(),
        b"wagate sandbox media media-7\n"
    );

    let location = json!({"type": "location", "location": {"latitude": 59.33, "longitude": 18.06,
        "name": "Office", "address": "Main St 1", "url": "https://example.com/office"}});
    app.inbound_from_ann(&tenant, user, json!({"message": location}))
        .await;
    let body = nth(&first, 3).await;
    assert_eq!(
        without_id_and_time(&body),
        json!({"to": "46700000820", "from": "46701115555", "profileName": "Ann",
               "whatsAppGeoLocation": {"latitude": 59.33, "longitude": 18.06,
                   "address": "Main St 1", "addressName": "Office",
                   "addressurl": "https://example.com/office"}})
    );

    let contacts = json!({"type": "contacts", "contacts": [{
        "name": {"formatted_name": "Bo Ek", "first_name": "Bo", "last_name": "Ek"},
        "org": {"company": "Acme", "department": "Sales"},
        "phones": [{"phone": "+46 70 111 22 33", "wa_id": "46701112233", "type": "CELL"}],
        "emails": [{"email": "bo@example.com", "type": "WORK"}],
        "urls": [{"url": "https://acme.example", "type": "WORK"}],
        "addresses": [{"street": "Main St 1", "city": "Stockholm", "country_code": "SE", "type": "WORK"}],
        "birthday": "1990-01-02"}]});
    app.inbound_from_ann(&tenant, user, json!({"message": contacts}))
        .await;
    let body = nth(&first, 4).await;
    assert_eq!(
        without_id_and_time(&body),
        json!({"to": "46700000820", "from": "46701115555", "profileName": "Ann",
               "whatsAppContacts": [{
                   "contactName": [{"formattedName": "Bo Ek", "firstName": "Bo", "lastName": "Ek"}],
                   "contactCompany": [{"company": "Acme", "department": "Sales"}],
                   "phones": [{"phone": "+46 70 111 22 33", "waId": "46701112233", "type": "CELL"}],
                   "emails": [{"email": "bo@example.com", "type": "WORK"}],
                   "urls": [{"url": "https://acme.example", "type": "WORK"}],
                   "addresses": [{"street": "Main St 1", "city": "Stockholm",
                                  "countryCode": "SE", "type": "WORK"}],
                   "birthday": "1990-01-02"}]})
    );
}

/// Sends `messages` from `tenant` to `destination`, reported to both gates;
/// returns the message id.
async fn send(app: &TestApp, tenant: &Tenant, destination: &str, messages: Value) -> String {
    let mut body = request(tenant, &[destination], messages);
    body["eventReportGates"] = json!(["dv-status", "link-status"]);
    let (status, answer) = app.send(tenant, &body).await;
    assert_eq!(status, 200, "{answer}");
    answer["messageIds"][0].as_str().expect("id").to_owned()
}

on_backends!(a_devino_gate_named_in_a_link_request_gets_devinos_statuses);
async fn a_devino_gate_named_in_a_link_request_gets_devinos_statuses(backend: Backend) {
    let app = spawn_app_with(backend, FAST).await;
    let tenant = app.tenant("dvst", "+46700000821").await;
    let devino = Gate::start().await;
    let link = Gate::start().await;
    app.add_gate(
        &tenant,
        "dv-status",
        &devino.url,
        json!({"format": "devino"}),
    )
    .await;
    app.add_gate(&tenant, "link-status", &link.url, json!({}))
        .await;
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();

    let read = send(&app, &tenant, "+46701234567", hello_world()).await;
    let undelivered = send(&app, &tenant, "+46700009900", hello_world()).await;
    let refused = send(&app, &tenant, "+46700009903", hello_world()).await;
    // No care window is open for this user: the gateway's own check (on by
    // default) refuses the text before Meta, as Meta's 131047.
    let outside_window = send(&app, &tenant, "+46701239999", text("hi")).await;

    // Every report is queued once the LINK gate has all of its (both
    // gates' reports of an event are queued together).
    let link_total = 4 + 2 + 1 + 1;
    app.deliveries_when("link-status", "the LINK reports", |all| {
        all.len() == link_total && all.iter().all(|d| d["state"] == "DELIVERED")
    })
    .await;
    let devino_total = 3 + 1 + 1 + 1;
    app.deliveries_when("dv-status", "the Devino statuses", |all| {
        all.len() == devino_total && all.iter().all(|d| d["state"] == "DELIVERED")
    })
    .await;

    let statuses_of = |id: &str| -> Vec<Value> {
        devino
            .accepted()
            .into_iter()
            .filter(|callback| callback.body[0]["messageId"] == id)
            .map(|callback| callback.body)
            .collect()
    };
    let sent = statuses_of(&read);
    for body in &sent {
        assert_eq!(body.as_array().map(Vec::len), Some(1), "{body}");
        let ts = body[0]["ts"].as_u64().unwrap_or_default();
        assert!(ts >= started && ts < started + 600, "Unix seconds: {body}");
    }
    let without_ts = |bodies: Vec<Value>| -> Vec<Value> {
        bodies
            .into_iter()
            .map(|mut body| {
                if let Some(entry) = body[0].as_object_mut() {
                    entry.remove("ts");
                }
                body
            })
            .collect()
    };
    assert_eq!(
        without_ts(sent),
        [
            json!([{"messageId": read.as_str(), "status": "SENT", "errorCode": 0}]),
            json!([{"messageId": read.as_str(), "status": "DELIVERED", "errorCode": 0}]),
            json!([{"messageId": read.as_str(), "status": "READ", "errorCode": 0}]),
        ]
    );
    assert_eq!(
        without_ts(statuses_of(&undelivered)),
        [json!([{"messageId": undelivered.as_str(), "status": "UNDELIVERED", "errorCode": 2305}])]
    );
    assert_eq!(
        without_ts(statuses_of(&refused)),
        [json!([{"messageId": refused.as_str(), "status": "REJECTED", "errorCode": 2313}])]
    );
    assert_eq!(
        without_ts(statuses_of(&outside_window)),
        [json!([{"messageId": outside_window.as_str(), "status": "REJECTED", "errorCode": 2312}])]
    );

    // The LINK gate of the same requests: LINK's reports, as always.
    let codes = |id: &str| -> Vec<u64> {
        link.accepted()
            .iter()
            .filter(|callback| callback.body["messageId"] == id)
            .filter_map(|callback| callback.body["resultCode"].as_u64())
            .collect()
    };
    assert_eq!(codes(&read), [112002, 112006, 112003, 112007]);
    assert_eq!(codes(&undelivered), [112002, 112404]);
    assert_eq!(codes(&refused), [112403]);
    assert_eq!(codes(&outside_window), [112403]);
    let report = link
        .accepted()
        .into_iter()
        .find(|callback| callback.body["messageId"] == read.as_str())
        .map(|callback| callback.body)
        .unwrap_or_default();
    assert_eq!(report["messageType"], "template");
    assert_eq!(
        report["customParameters"]["platformId"],
        tenant.platform_id.as_str()
    );
}
