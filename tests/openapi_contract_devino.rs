//! The OpenAPI document against the Devino dialect and the admin API: the
//! spec's request examples fit the documented request schemas (and broken
//! requests do not), the spec's callback examples fit the webhook schemas,
//! and what a running gateway really answers and calls back with fits the
//! documented responses and webhooks, status and content type included.

mod common;

use std::time::Duration;

use common::devino::{ok_id, spec_examples};
use common::gate::Gate;
use common::openapi::{
    assert_breaks, assert_fits, component, document, request_schema, webhook_schema,
};
use common::{ADMIN_TOKEN, Backend, TestApp, poll, spawn_app_with};
use serde_json::{Value, json};

const MESSAGES: &str = "/whatsapp/v2/messages";
const BATCH: &str = "/whatsapp/v2/messages/batch";
const STATUS: &str = "/whatsapp/v2/messages/{message_id}";

const FAST: &[&str] = &[
    "--sandbox-status-delay",
    "1ms",
    "--dispatch-poll",
    "20ms",
    "--callback-retry-schedule",
    "20ms,20ms,20ms,20ms,20ms",
];

#[test]
fn the_spec_s_request_examples_fit_the_request_schemas_and_broken_ones_do_not() {
    let document = document();
    let one = request_schema(&document, MESSAGES, "post");
    let batch = request_schema(&document, BATCH, "post");
    let examples = spec_examples("79001234567", "79007654321");
    assert!(examples.len() > 10, "{examples:?}");
    for (name, body) in &examples {
        assert_fits(&document, &one, body, name);
        assert_fits(&document, &batch, &json!({"messages": [body]}), name);
    }
    // The spec's batch example: `text` as a plain string, no `type`.
    let text = json!({"from": "79001234567", "to": "79007654321", "text": "your_message_content"});
    assert_fits(
        &document,
        &batch,
        &json!({"messages": [text, text]}),
        "the batch example",
    );

    let changed = |field: &str, value: Value| {
        let mut body = text.clone();
        body[field] = value;
        body
    };
    let without_to = {
        let mut body = text.clone();
        body.as_object_mut().map(|fields| fields.remove("to"));
        body
    };
    for (what, body) in [
        ("no to", without_to),
        ("an unknown type", changed("type", json!("sticker"))),
        ("text as a number", changed("text", json!(7))),
        ("a text object without body", changed("text", json!({}))),
        ("a text too long", changed("text", json!("x".repeat(4097)))),
        ("validity 0", changed("validity", json!(0))),
        (
            "callbackData too long",
            changed("callbackData", json!("x".repeat(4097))),
        ),
        (
            "recipient_type group",
            changed("recipient_type", json!("group")),
        ),
        ("a message that is a list", json!([text])),
    ] {
        assert_breaks(&document, &one, &body, what);
    }
    for (what, body) in [
        ("no messages", json!({})),
        ("an empty batch", json!({"messages": []})),
        ("messages not a list", json!({"messages": text})),
        (
            "too many messages",
            json!({"messages": vec![text.clone(); 1001]}),
        ),
    ] {
        assert_breaks(&document, &batch, &body, what);
    }
}

#[test]
fn the_spec_s_callback_examples_fit_the_webhook_schemas() {
    let document = document();
    let status = webhook_schema(&document, "devinoStatus");
    assert_eq!(status, component("DevinoStatusCallback"));
    let example = json!([{"messageId": 1, "ts": 0, "status": "DELIVERED", "errorCode": 0,
        "ip": "127.0.0.1", "browser": "string", "os": "string", "userAgent": "string",
        "options": "string"}]);
    assert_fits(&document, &status, &example, "the status example");
    let mut unknown = example.clone();
    unknown[0]["status"] = json!("LOST");
    assert_breaks(&document, &status, &unknown, "an unknown status");
    assert_breaks(&document, &status, &example[0], "a status outside an array");
    assert_breaks(
        &document,
        &status,
        &json!([example[0], example[0]]),
        "two statuses in one callback",
    );

    let incoming = webhook_schema(&document, "devinoIncoming");
    let example = json!({"incomingMessageId": 0, "to": "str", "from": "str", "text": "str",
        "contentUrl": "str", "contentType": "str", "contentName": "str", "profileName": "str",
        "ts": 0});
    assert_fits(&document, &incoming, &example, "the incoming example");
    let with_content = json!({"incomingMessageId": 1, "to": "79001234567", "from": "79007654321",
        "ts": 1, "whatsAppGeoLocation": {"latitude": 55.75, "longitude": 37.61,
            "address": "Red Square", "addressName": "Moscow", "addressurl": "https://example.com"},
        "whatsAppContacts": [{"addresses": [{"city": "Moscow", "countryCode": "RU"}],
            "birthday": "1990-01-02", "emails": [{"email": "a@example.com", "type": "WORK"}],
            "contactName": [{"firstName": "Ann", "formattedName": "Ann B"}],
            "contactCompany": [{"company": "Acme"}], "phones": [{"phone": "+7 900", "waId": "7900"}],
            "urls": [{"url": "https://acme.example"}]}]});
    assert_fits(&document, &incoming, &with_content, "location and contacts");
    let mut no_id = example.clone();
    no_id
        .as_object_mut()
        .map(|fields| fields.remove("incomingMessageId"));
    assert_breaks(&document, &incoming, &no_id, "no incomingMessageId");
    assert_breaks(
        &document,
        &incoming,
        &json!({"incomingMessageId": 1, "to": "1", "from": "2", "ts": "yesterday"}),
        "ts as text",
    );
}

/// A real answer: status, content type and JSON body (Null when empty).
struct Answer {
    status: u16,
    content_type: Option<String>,
    body: Value,
}

async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("a request");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let text = response.text().await.expect("a body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    };
    Answer {
        status,
        content_type,
        body,
    }
}

/// Checks `answer` against the documented response of `method` `path` for
/// its status: documented, with that content type, and a body that fits.
fn assert_documented(document: &Value, path: &str, method: &str, answer: &Answer) {
    let operation = &document["paths"][path][method];
    assert!(!operation.is_null(), "{method} {path} is not documented");
    let response = &operation["responses"][answer.status.to_string()];
    assert!(
        !response.is_null(),
        "{method} {path} answered an undocumented {}: {}",
        answer.status,
        answer.body
    );
    match response["content"].as_object() {
        None => assert!(
            answer.body.is_null(),
            "{method} {path} {}: a body where none is documented: {}",
            answer.status,
            answer.body
        ),
        Some(content) => {
            let content_type = answer.content_type.as_deref().unwrap_or_default();
            let documented = content.get(content_type).unwrap_or_else(|| {
                panic!(
                    "{method} {path} {}: {content_type} is not documented ({content:?})",
                    answer.status
                )
            });
            assert_fits(
                document,
                &documented["schema"],
                &answer.body,
                &format!("{method} {path} {}", answer.status),
            );
        }
    }
}

impl Answer {
    fn expect(self, status: u16) -> Self {
        assert_eq!(self.status, status, "{}", self.body);
        self
    }
}

fn devino_post(app: &TestApp, path: &str, key: &str, body: &Value) -> reqwest::RequestBuilder {
    app.client
        .post(format!("{}{path}", app.base))
        .header("authorization", format!("Key {key}"))
        .json(body)
}

on_backends!(real_devino_answers_fit_the_documented_responses);
async fn real_devino_answers_fit_the_documented_responses(backend: Backend) {
    let document = document();
    let app = spawn_app_with(backend, FAST).await;
    let tenant = app.tenant("oacd", "+46700000901").await;
    let user = "46701234567";
    let text = json!({"from": tenant.source, "to": user, "text": "hi"});

    let ok = answer(devino_post(&app, MESSAGES, &tenant.api_key, &text))
        .await
        .expect(200);
    assert_documented(&document, MESSAGES, "post", &ok);
    let id = ok_id(&ok.body["result"][0]);

    let mixed = json!({"messages": [text, {"from": "+46700000999", "to": user, "text": "x"},
                                    {"to": user, "type": "sticker"}, 7]});
    let batch = answer(devino_post(&app, BATCH, &tenant.api_key, &mixed))
        .await
        .expect(200);
    assert_eq!(
        batch.body["result"][1]["code"], "REJECTED",
        "{}",
        batch.body
    );
    assert_documented(&document, BATCH, "post", &batch);

    for (path, body, status) in [
        (MESSAGES, json!("not an object"), 200),
        (BATCH, json!({"messages": []}), 400),
        (BATCH, json!({"messages": "none"}), 400),
    ] {
        let failed = answer(devino_post(&app, path, &tenant.api_key, &body))
            .await
            .expect(status);
        assert_documented(&document, path, "post", &failed);
    }
    let not_json = answer(
        app.client
            .post(format!("{}{MESSAGES}", app.base))
            .header("x-api-key", &tenant.api_key)
            .body("{"),
    )
    .await
    .expect(400);
    assert_documented(&document, MESSAGES, "post", &not_json);
    let unauthorized = answer(devino_post(&app, MESSAGES, "wrong-key", &text))
        .await
        .expect(401);
    assert_documented(&document, MESSAGES, "post", &unauthorized);

    let status_of = |id: &str| {
        app.client
            .get(format!("{}/whatsapp/v2/messages/{id}", app.base))
            .header("x-api-key", &tenant.api_key)
    };
    let found = answer(status_of(&id)).await.expect(200);
    assert_documented(&document, STATUS, "get", &found);
    let missing = answer(status_of("123")).await.expect(404);
    assert_documented(&document, STATUS, "get", &missing);
    let unauthorized = answer(
        app.client
            .get(format!("{}/whatsapp/v2/messages/{id}", app.base))
            .header("x-api-key", "wrong-key"),
    )
    .await
    .expect(401);
    assert_documented(&document, STATUS, "get", &unauthorized);
}

/// The bodies `gate` accepted once there are at least `count`.
async fn accepted(gate: &Gate, count: usize) -> Vec<Value> {
    poll(Duration::from_secs(30), "the callbacks", || async {
        let bodies: Vec<Value> = gate.accepted().into_iter().map(|c| c.body).collect();
        if bodies.len() >= count {
            Ok(bodies)
        } else {
            Err(format!("{bodies:#?}"))
        }
    })
    .await
}

on_backends!(real_devino_callbacks_fit_the_webhook_schemas);
async fn real_devino_callbacks_fit_the_webhook_schemas(backend: Backend) {
    let document = document();
    let app = spawn_app_with(backend, FAST).await;
    let tenant = app.tenant("oacw", "+46700000902").await;

    // Statuses to the message's callbackUrl: SENT, DELIVERED, READ.
    let statuses = Gate::start().await;
    let template = json!({"from": tenant.source, "to": "46701234567", "type": "template",
        "template": {"name": "hello_world", "language": {"code": "en_US"}},
        "callbackUrl": statuses.url, "callbackData": "order-7"});
    let (status, sent) = app.devino(&tenant, "/messages", &template).await;
    assert_eq!(status, 200, "{sent}");
    ok_id(&sent["result"][0]);
    let schema = webhook_schema(&document, "devinoStatus");
    for body in accepted(&statuses, 3).await {
        assert_fits(&document, &schema, &body, "a status callback");
    }

    // Incoming messages to a gate of format devino on a route.
    let incoming = Gate::start().await;
    app.add_gate(
        &tenant,
        "oacw-in",
        &incoming.url,
        json!({"format": "devino"}),
    )
    .await;
    let (status, route) = app
        .admin_post(
            "/routes",
            json!({"platformId": tenant.platform_id, "platformPartnerId": tenant.platform_partner_id,
                   "number": tenant.source, "gateIds": ["oacw-in"]}),
        )
        .await;
    assert_eq!(status, 201, "{route}");
    let user = "+46701115555";
    let contents = [
        json!({"text": "hello"}),
        json!({"message": {"type": "document", "document": {"id": "media-8",
            "mime_type": "application/pdf", "sha256": "x", "filename": "a.pdf", "caption": "see"}}}),
        json!({"message": {"type": "location", "location": {"latitude": 59.33,
            "longitude": 18.06, "name": "Office", "address": "Main St 1"}}}),
        json!({"message": {"type": "contacts", "contacts": [{
            "name": {"formatted_name": "Bo Ek", "first_name": "Bo"},
            "org": {"company": "Acme"},
            "phones": [{"phone": "+46 70 111 22 33", "wa_id": "46701112233", "type": "CELL"}],
            "addresses": [{"city": "Stockholm", "country_code": "SE"}],
            "birthday": "1990-01-02"}]}}),
    ];
    for content in &contents {
        app.inbound_from_ann(&tenant, user, content.clone()).await;
    }
    let schema = webhook_schema(&document, "devinoIncoming");
    let bodies = accepted(&incoming, contents.len()).await;
    for body in &bodies {
        assert_fits(&document, &schema, body, "an incoming callback");
    }
    assert!(
        bodies
            .iter()
            .any(|body| body.get("whatsAppContacts").is_some())
            && bodies.iter().any(|body| body.get("contentUrl").is_some()),
        "{bodies:#?}"
    );

    // The gate's deliveries, as the admin API lists them.
    let deliveries = admin_call(
        &app,
        reqwest::Method::GET,
        "/gates/oacw-in/deliveries?limit=10",
        None,
    )
    .await
    .expect(200);
    assert_documented(
        &document,
        "/admin/v1/gates/{id}/deliveries",
        "get",
        &deliveries,
    );
    let first = deliveries.body[0]["id"].as_i64().expect("a delivery id");
    // An incoming message's body is erased once delivered: not found.
    let again = admin_call(
        &app,
        reqwest::Method::POST,
        &format!("/gates/oacw-in/deliveries/{first}/redeliver"),
        None,
    )
    .await;
    assert!([202, 404].contains(&again.status), "{}", again.body);
    assert_documented(
        &document,
        "/admin/v1/gates/{id}/deliveries/{delivery}/redeliver",
        "post",
        &again,
    );
}

async fn admin_call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let mut request = app
        .client
        .request(method, format!("{}/admin/v1{path}", app.base))
        .bearer_auth(ADMIN_TOKEN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    answer(request).await
}

on_backends!(real_admin_answers_fit_the_documented_responses);
async fn real_admin_answers_fit_the_documented_responses(backend: Backend) {
    let document = document();
    let app = spawn_app_with(backend, FAST).await;
    let owner = json!({"platformId": "oaca-platform", "platformPartnerId": "oaca-partner"});
    let with_owner = |extra: Value| {
        let mut body = owner.clone();
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        body
    };
    let creates = [
        (
            "accounts",
            with_owner(json!({"name": "Acme", "defaultCountry": "se"})),
        ),
        (
            "users",
            with_owner(json!({"username": "oaca-user", "password": "long enough"})),
        ),
        (
            "sources",
            with_owner(json!({"number": "+46700000903", "throughput": 5, "accessToken": "t"})),
        ),
        (
            "gates",
            with_owner(
                json!({"id": "oaca-gate", "url": "http://127.0.0.1:9/callbacks",
                              "customParameters": {"a": "b"}, "signingSecret": "s"}),
            ),
        ),
        (
            "routes",
            with_owner(json!({"number": "+46700000903", "keyword": "stop",
                              "gateIds": ["oaca-gate"]})),
        ),
    ];
    for (kind, body) in creates {
        let collection = format!("/admin/v1/{kind}");
        let created = admin_call(&app, reqwest::Method::POST, &format!("/{kind}"), Some(body))
            .await
            .expect(201);
        assert_documented(&document, &collection, "post", &created);
        let id = created.body["id"]
            .as_str()
            .or(created.body["username"].as_str())
            .expect("an id")
            .to_owned();
        let list = admin_call(&app, reqwest::Method::GET, &format!("/{kind}"), None)
            .await
            .expect(200);
        assert_documented(&document, &collection, "get", &list);
        let one = admin_call(&app, reqwest::Method::GET, &format!("/{kind}/{id}"), None)
            .await
            .expect(200);
        assert_documented(&document, &format!("{collection}/{{id}}"), "get", &one);
        let missing = admin_call(&app, reqwest::Method::GET, &format!("/{kind}/nope"), None)
            .await
            .expect(404);
        assert_documented(&document, &format!("{collection}/{{id}}"), "get", &missing);
        let invalid = admin_call(
            &app,
            reqwest::Method::POST,
            &format!("/{kind}"),
            Some(json!({"platformId": 7})),
        )
        .await
        .expect(400);
        assert_documented(&document, &collection, "post", &invalid);
    }
    let duplicate = admin_call(
        &app,
        reqwest::Method::POST,
        "/accounts",
        Some(owner.clone()),
    )
    .await
    .expect(409);
    assert_documented(&document, "/admin/v1/accounts", "post", &duplicate);
    let unauthorized = answer(app.client.get(format!("{}/admin/v1/gates", app.base)))
        .await
        .expect(401);
    assert_documented(&document, "/admin/v1/gates", "get", &unauthorized);
    let bad_limit = admin_call(
        &app,
        reqwest::Method::GET,
        "/gates/oaca-gate/deliveries?limit=x",
        None,
    )
    .await
    .expect(400);
    assert_documented(
        &document,
        "/admin/v1/gates/{id}/deliveries",
        "get",
        &bad_limit,
    );
    let deleted = admin_call(&app, reqwest::Method::DELETE, "/users/oaca-user", None)
        .await
        .expect(204);
    assert_documented(&document, "/admin/v1/users/{id}", "delete", &deleted);
}
