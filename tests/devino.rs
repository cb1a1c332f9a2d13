//! The Devino dialect's sending API over HTTP: every example of the spec
//! accepted, every reason key of its error table produced by a request that
//! deserves it, mixed batches, API keys, and the status query.

mod common;

use common::devino::{ok_id, spec_examples};
use common::{Backend, Tenant, TestApp, hello_world, request, spawn_app};
use serde_json::{Value, json};

const USER: &str = "46701234567";

/// A message of `tenant` to [`USER`] with `fields` added.
fn message(tenant: &Tenant, fields: Value) -> Value {
    let mut body = json!({"from": tenant.source, "to": USER});
    if let (Some(body), Some(fields)) = (body.as_object_mut(), fields.as_object()) {
        body.extend(fields.clone());
    }
    body
}

fn hello(tenant: &Tenant) -> Value {
    message(
        tenant,
        json!({"type": "template", "template": {"name": "hello_world", "language": {"code": "en_US"}}}),
    )
}

/// The single entry of a one-message answer.
async fn send_one(app: &TestApp, tenant: &Tenant, body: &Value) -> Value {
    let (status, answer) = app.devino(tenant, "/messages", body).await;
    assert_eq!(status, 200, "{answer}");
    let result = answer["result"].as_array().expect("result");
    assert_eq!(result.len(), 1, "{answer}");
    result[0].clone()
}

on_backends!(every_example_of_the_spec_is_accepted_and_stored_as_the_cloud_api_takes_it);
async fn every_example_of_the_spec_is_accepted_and_stored_as_the_cloud_api_takes_it(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    // Without the gateway's own care-window check, every message reaches
    // the sandbox (which refuses the ones that are not templates, and
    // records them all).
    let tenant = app
        .tenant_with("dv", "+46700000001", json!({"careWindowCheck": false}))
        .await;
    let mut ids = Vec::new();
    // `from` without `+` (the spec's "international format"), `to` with.
    for (name, body) in spec_examples("46700000001", "+46701234567") {
        let entry = send_one(&app, &tenant, &body).await;
        assert_eq!(entry["code"], "OK", "{name}: {entry}");
        ids.push((name, ok_id(&entry)));
    }
    let distinct: std::collections::HashSet<_> = ids.iter().map(|(_, id)| id).collect();
    assert_eq!(distinct.len(), ids.len(), "ids repeat: {ids:?}");

    // The batch example: `text` as a plain string, no `type`.
    let batch = json!({"messages": [
        {"from": tenant.source, "to": USER, "text": "your_message_content"},
        {"from": tenant.source, "to": USER, "text": "your_message_content"}
    ]});
    let (status, answer) = app.devino(&tenant, "/messages/batch", &batch).await;
    assert_eq!(status, 200, "{answer}");
    let result = answer["result"].as_array().expect("result");
    assert_eq!(result.len(), 2, "{answer}");
    let batch_id = ok_id(&result[0]);
    ok_id(&result[1]);

    let (status, text) = app.devino_status(&tenant, &batch_id).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(text["destination"], "+46701234567");
    assert_eq!(text["source"], "+46700000001");

    // What the Cloud API got: the plain string as `text.body`, and the
    // template without what the Cloud API lacks (the language policy, the
    // footer, the date-time parts).
    let sent = app.sim_received_at_least(ids.len() + 2).await;
    let bodies: Vec<&Value> = sent.iter().map(|send| &send["body"]).collect();
    assert!(
        bodies
            .iter()
            .any(|body| body["text"] == json!({"body": "your_message_content"})),
        "{bodies:#?}"
    );
    let template = bodies
        .iter()
        .find(|body| {
            body["template"]["components"]
                .as_array()
                .is_some_and(|c| c.len() > 1)
        })
        .map(|body| body["template"].clone())
        .expect("the template with components was sent");
    assert_eq!(template["language"], json!({"code": "ru"}), "{template}");
    let kinds: Vec<&str> = template["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|component| component["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["header", "body", "button", "button"], "{template}");
    assert_eq!(
        template["components"][1]["parameters"][3],
        json!({"type": "date_time", "date_time": {"fallback_value": "February 25, 1977"}})
    );
    assert!(
        bodies.iter().any(|body| body["type"] == "contacts"),
        "{bodies:#?}"
    );
}

/// `(what, path, body, HTTP status, key, ref)`: one request for each reason
/// of the spec's error table that a request can deserve.
type ReasonCase = (
    &'static str,
    &'static str,
    Value,
    u16,
    &'static str,
    Option<&'static str>,
);

fn reason_cases(tenant: &Tenant, other: &Tenant) -> Vec<ReasonCase> {
    let one = |fields: Value| message(tenant, fields);
    let text = json!({"text": {"body": "hi"}});
    let without = |field: &str| {
        let mut body = one(text.clone());
        body.as_object_mut().map(|fields| fields.remove(field));
        body
    };
    let template = |code: &str| {
        one(
            json!({"type": "template", "template": {"name": "hello_world", "language": {"code": code}}}),
        )
    };
    let many: Vec<Value> = (0..1001).map(|_| hello(tenant)).collect();
    vec![
        (
            "a number that is not one",
            "/messages",
            message(tenant, json!({"to": "call-me", "text": "hi"})),
            200,
            "invalid",
            Some("messages[0].to"),
        ),
        (
            "a validity of 0 s",
            "/messages",
            one(json!({"text": "hi", "validity": 0})),
            200,
            "invalid",
            Some("messages[0].validity"),
        ),
        (
            "a callback URL that is not http",
            "/messages",
            one(json!({"text": "hi", "callbackUrl": "ftp://127.0.0.1/x"})),
            200,
            "invalid",
            Some("messages[0].callbackUrl"),
        ),
        (
            "a media link that is not a URL",
            "/messages",
            one(json!({"type": "image", "image": {"link": "not a url"}})),
            200,
            "invalid",
            Some("messages[0].contentUrl"),
        ),
        (
            "a type Devino does not have",
            "/messages",
            one(json!({"type": "sticker", "sticker": {"link": "https://m.example.com/s.webp"}})),
            200,
            "invalid",
            Some("messages[0].contentType"),
        ),
        (
            "a sender that is not a number",
            "/messages",
            json!({"from": "MySourceAddress", "to": USER, "text": "hi"}),
            200,
            "invalid",
            Some("messages[0].from"),
        ),
        (
            "a language code that is not one",
            "/messages",
            template("russian!"),
            200,
            "invalid",
            Some("messages[0].languageCode"),
        ),
        (
            "a recipient of 16 digits",
            "/messages",
            message(tenant, json!({"to": "4670123456789012", "text": "hi"})),
            200,
            "length.too.long",
            Some("messages[0].to"),
        ),
        (
            "a text of 4097 characters",
            "/messages",
            one(json!({"text": "x".repeat(4097)})),
            200,
            "length.too.long",
            Some("messages[0].text"),
        ),
        (
            "a language code of 16 characters",
            "/messages",
            template("en_USSSSSSSSSSSS"),
            200,
            "length.too.long",
            Some("messages[0].languageCode"),
        ),
        (
            "a document name of no characters",
            "/messages",
            one(
                json!({"type": "document", "document": {"link": "https://m.example.com/a.pdf", "filename": ""}}),
            ),
            200,
            "length.too.short",
            Some("messages[0].contentName"),
        ),
        (
            "a language code of one character",
            "/messages",
            template("r"),
            200,
            "length.too.short",
            Some("messages[0].languageCode"),
        ),
        (
            "no recipient",
            "/messages",
            without("to"),
            200,
            "must.be.not.null",
            Some("messages[0].to"),
        ),
        (
            "an empty batch",
            "/messages/batch",
            json!({"messages": []}),
            400,
            "must.be.not.null",
            Some("messages"),
        ),
        (
            "no sender",
            "/messages",
            without("from"),
            200,
            "must.be.not.null",
            Some("messages[0].from"),
        ),
        (
            "neither text nor content",
            "/messages",
            json!({"from": tenant.source, "to": USER}),
            200,
            "must.be.not.null",
            Some("messages[0]"),
        ),
        (
            "another tenant's number",
            "/messages",
            message(other, json!({"text": "hi"})),
            200,
            "not.available",
            Some("messages[0].from"),
        ),
        (
            "1001 messages",
            "/messages/batch",
            json!({"messages": many}),
            400,
            "too.many.messages",
            Some("messages"),
        ),
        (
            "a path that does not exist",
            "/statuses",
            json!({}),
            404,
            "unknown",
            None,
        ),
    ]
}

on_backends!(every_reason_of_the_error_table_is_given_to_a_request_that_deserves_it);
async fn every_reason_of_the_error_table_is_given_to_a_request_that_deserves_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let tenant = app.tenant("dv", "+46700000001").await;
    let other = app.tenant("other", "+46700000002").await;
    for (what, path, body, status, key, reference) in reason_cases(&tenant, &other) {
        let (got, answer) = app.devino(&tenant, path, &body).await;
        assert_eq!(got, status, "{what}: {answer}");
        let rejection = match answer["result"].as_array() {
            Some(result) => {
                assert_eq!(result.len(), 1, "{what}: {answer}");
                result[0].clone()
            }
            None => answer.clone(),
        };
        assert_eq!(rejection["code"], "REJECTED", "{what}: {answer}");
        let reason = &rejection["reasons"][0];
        assert_eq!(reason["key"], key, "{what}: {answer}");
        assert_eq!(reason["ref"].as_str(), reference, "{what}: {answer}");
        let description = rejection["description"].as_str().unwrap_or_default();
        assert!(!description.is_empty(), "{what}: {answer}");
        if let Some(reference) = reference.filter(|r| r.contains('.')) {
            // The description names the field (the spec's ref, or the
            // field under it).
            let field = reference.rsplit('.').next().unwrap_or_default();
            let named = description.contains(reference)
                || description.contains(&format!("messages[0].{}", field_of(field)));
            assert!(
                named,
                "{what}: the description does not name the field: {description}"
            );
        }
    }
    // Nothing rejected was stored: no message reached the sandbox.
    assert!(app.sim_received().await.is_empty());
}

/// The field under a ref that stands for it (`contentUrl` is the media's link).
fn field_of(reference: &str) -> &str {
    match reference {
        "contentUrl" => "image.link",
        "contentName" => "document.filename",
        "languageCode" => "template.language.code",
        "contentType" => "type",
        "text" => "text.body",
        other => other,
    }
}

on_backends!(a_batch_queues_its_good_messages_and_rejects_only_the_bad_ones);
async fn a_batch_queues_its_good_messages_and_rejects_only_the_bad_ones(backend: Backend) {
    let app = spawn_app(backend).await;
    let tenant = app.tenant("dv", "+46700000001").await;
    let mut bad = hello(&tenant);
    bad["to"] = json!("not-a-number");
    let mut second = hello(&tenant);
    second["to"] = json!("46701234568");
    let batch = json!({"messages": [hello(&tenant), bad, second]});
    let (status, answer) = app.devino(&tenant, "/messages/batch", &batch).await;
    assert_eq!(status, 200, "{answer}");
    let result = answer["result"].as_array().expect("result");
    assert_eq!(result.len(), 3, "{answer}");
    let first = ok_id(&result[0]);
    assert_eq!(result[1]["code"], "REJECTED", "{answer}");
    assert_eq!(result[1]["reasons"][0]["ref"], "messages[1].to", "{answer}");
    let third = ok_id(&result[2]);
    // Both good ones were committed before the answer, and are sent.
    for (id, to) in [(&first, "+46701234567"), (&third, "+46701234568")] {
        let (status, stored) = app.devino_status(&tenant, id).await;
        assert_eq!(status, 200, "{stored}");
        assert_eq!(stored["destination"], to);
    }
    let received = app.sim_received_at_least(2).await;
    let mut sent_to: Vec<&str> = received
        .iter()
        .filter_map(|send| send["body"]["to"].as_str())
        .collect();
    sent_to.sort_unstable();
    assert_eq!(sent_to, ["+46701234567", "+46701234568"], "{received:#?}");
}

on_backends!(only_the_user_s_own_key_sends_and_sees_its_messages);
async fn only_the_user_s_own_key_sends_and_sees_its_messages(backend: Backend) {
    let app = spawn_app(backend).await;
    let tenant = app.tenant("dv", "+46700000001").await;
    let other = app.tenant("other", "+46700000002").await;
    let body = hello(&tenant).to_string();

    // Missing, wrong, or in a scheme other than `Key`: 401, nothing sent.
    let wrong = format!("{}x", tenant.api_key);
    for (authorization, api_key) in [
        (None, None),
        (Some(format!("Key {wrong}")), None),
        (None, Some(wrong.clone())),
        (Some(format!("Basic {}", tenant.api_key)), None),
        // `Authorization` is the one checked when both come.
        (Some(format!("Key {wrong}")), Some(tenant.api_key.clone())),
    ] {
        let (status, answer) = app
            .devino_raw(
                "/messages",
                authorization.as_deref(),
                api_key.as_deref(),
                body.clone(),
            )
            .await;
        assert_eq!(status, 401, "{authorization:?} {api_key:?}: {answer}");
        assert_eq!(answer["code"], "REJECTED");
        assert_eq!(answer["reasons"][0]["key"], "forbidden");
    }
    // Either header alone, with the right key.
    let key = format!("Key {}", tenant.api_key);
    for (authorization, api_key) in [
        (Some(key.as_str()), None),
        (None, Some(tenant.api_key.as_str())),
    ] {
        let (status, answer) = app
            .devino_raw("/messages", authorization, api_key, body.clone())
            .await;
        assert_eq!(status, 200, "{answer}");
        ok_id(&answer["result"][0]);
    }
    // Another tenant's key is another tenant: this number is not theirs.
    let entry = send_one(&app, &other, &hello(&tenant)).await;
    assert_eq!(entry["reasons"][0]["key"], "not.available", "{entry}");

    // The status query: the owner sees it (through either dialect), the
    // other tenant gets a 404 like for a message that does not exist.
    let id = ok_id(&send_one(&app, &tenant, &hello(&tenant)).await);
    let (status, stored) = app.devino_status(&tenant, &id).await;
    assert_eq!(
        (status, stored["messageId"].as_str()),
        (200, Some(id.as_str()))
    );
    let (status, stored) = app.status(&tenant, &id).await;
    assert_eq!(
        (status, stored["messageId"].as_str()),
        (200, Some(id.as_str()))
    );
    let (status, answer) = app.devino_status(&other, &id).await;
    assert_eq!(status, 404, "{answer}");
    let (status, _) = app.status(&other, &id).await;
    assert_eq!(status, 404);
    let (status, _) = app.devino_status(&tenant, "999999999999").await;
    assert_eq!(status, 404);
}

on_backends!(devino_and_link_requests_of_one_tenant_share_the_source_and_its_outbox);
async fn devino_and_link_requests_of_one_tenant_share_the_source_and_its_outbox(backend: Backend) {
    let app = spawn_app(backend).await;
    let tenant = app.tenant("dv", "+46700000001").await;
    let link = request(&tenant, &["+46701234569"], hello_world());
    let (status, answer) = app.send(&tenant, &link).await;
    assert_eq!(status, 200, "{answer}");
    let devino = ok_id(&send_one(&app, &tenant, &hello(&tenant)).await);
    let received = app.sim_received_at_least(2).await;
    assert!(
        received
            .iter()
            .any(|send| send["body"]["to"] == "+46701234567"),
        "{received:#?}"
    );
    let (_, stored) = app.devino_status(&tenant, &devino).await;
    assert_eq!(stored["source"], "+46700000001");
}
