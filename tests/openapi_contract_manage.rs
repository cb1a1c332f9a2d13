//! The OpenAPI document against LINK's management calls (templates, the
//! business number's calls, media uploads): the LINK document's request
//! examples validate against the documented request schemas (and broken
//! ones do not), and what a running gateway answers, success and failure,
//! validates against the schema documented for its status and content
//! type.

mod common;

use common::openapi::{assert_breaks, assert_fits, document, request_schema, response_schema};
use common::{Backend, Tenant, TestApp, hello_world, request, spawn_app_with};
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const SOURCE: &str = "+46700000031";
const OTHER_SOURCE: &str = "+46700000032";

/// The per-source prefix as the document names it.
const PREFIX: &str = "/whatsapp-message/platformId/{platform_id}/platformPartnerId/{platform_partner_id}/source/{source}";

fn documented_path(suffix: &str) -> String {
    format!("{PREFIX}{suffix}")
}

#[test]
fn the_link_documents_request_examples_validate_and_broken_ones_do_not() {
    let document = document();
    // "Update Business Profile", the example as the LINK document gives it.
    let profile = request_schema(&document, &documented_path("/profile"), "post");
    let example = json!({
        "messaging_product": "whatsapp",
        "profile": {
            "about": "Helping businesses grow with digital solutions.",
            "address": "Karl Johans gate 1, 0154 Oslo, Norway",
            "description": "SomeDescription",
            "vertical": "TECHNOLOGY",
            "email": "contact@yourcompany.com",
            "websites": ["https://yourcompany.com", "https://support.yourcompany.com"],
            "profile_picture_handle": "abc123_profile_pic_handle"
        }
    });
    assert_fits(&document, &profile, &example, "the profile update example");
    for broken in [
        json!({"messaging_product": "whatsapp"}),
        json!({"messaging_product": "sms", "profile": {"about": "x"}}),
        json!({"profile": {}}),
        json!({"profile": "about"}),
    ] {
        assert_breaks(&document, &profile, &broken, "a broken profile update");
    }

    // The template calls take Meta's template object (the LINK document
    // refers to Meta's), a JSON object: the document's own examples.
    for (path, method) in [
        ("/templates", "put"),
        ("/templates/{template_id}", "put"),
        ("/templates/{template_id}", "post"),
    ] {
        let path = documented_path(path);
        let schema = request_schema(&document, &path, method);
        let example = &document["paths"][&path][method]["requestBody"]["content"]["application/json"]
            ["example"];
        assert!(example.is_object(), "{method} {path}: no example");
        assert_fits(&document, &schema, example, "a template example");
        assert_breaks(
            &document,
            &schema,
            &json!([example]),
            "a template body that is not an object",
        );
    }
}

/// Checks one answer against the document; `path` as the document names it.
struct Contract {
    document: Value,
}

impl Contract {
    fn check(&self, method: &str, path: &str, status: u16, content_type: &str, body: &Value) {
        let media_type = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        let schema = response_schema(&self.document, path, method, status, &media_type);
        assert_fits(
            &self.document,
            &schema,
            body,
            &format!("{method} {path} {status}"),
        );
    }
}

/// `METHOD …/source/{source}{suffix}` as `tenant`: status, content type,
/// body (a text body as a JSON string).
async fn call(
    app: &TestApp,
    tenant: &Tenant,
    method: Method,
    source: &str,
    suffix: &str,
    body: Option<Value>,
) -> (u16, String, Value) {
    let url = format!(
        "{}/whatsapp-message/platformId/{}/platformPartnerId/{}/source/{}{suffix}",
        app.base,
        tenant.platform_id,
        tenant.platform_partner_id,
        source.replace('+', "%2B")
    );
    let mut request = app
        .client
        .request(method, url)
        .basic_auth(&tenant.username, Some(&tenant.password));
    if let Some(body) = body {
        request = request.json(&body);
    }
    answer(request.send().await.expect("a per-source call")).await
}

async fn answer(response: reqwest::Response) -> (u16, String, Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.expect("a body");
    let body = if content_type.starts_with("application/json") {
        serde_json::from_str(&text).expect("JSON")
    } else {
        Value::String(text)
    };
    (status, content_type, body)
}

fn utc(date: OffsetDateTime) -> String {
    date.format(&Rfc3339).expect("a date")
}

on_backends!(the_gateways_management_answers_match_the_document);
async fn the_gateways_management_answers_match_the_document(backend: Backend) {
    let app = spawn_app_with(backend, common::QUICK_REPORTS).await;
    let tenant = app.tenant("contract", SOURCE).await;
    app.tenant("other", OTHER_SOURCE).await;
    let contract = Contract {
        document: document(),
    };
    let templates = documented_path("/templates");

    // Templates: create and list; a body that is not an object, Meta's
    // refusal (a name against its rules, with its error object), another
    // tenant's source.
    let body = |name: &str| {
        json!({"name": name, "language": "en", "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Your order is ready."}]})
    };
    let cases = [
        (Method::PUT, "/templates", Some(body("contract_check")), 200),
        (Method::PUT, "/templates", Some(json!([1])), 400),
        (Method::PUT, "/templates", Some(body("Not Lowercase")), 400),
        (Method::GET, "/templates?limit=10", None, 200),
    ];
    let mut refusals = 0;
    for (method, suffix, body, status) in cases {
        let name = method.as_str().to_lowercase();
        let (got, content_type, answer) = call(&app, &tenant, method, SOURCE, suffix, body).await;
        assert_eq!(got, status, "{name} {suffix}: {answer}");
        contract.check(&name, &templates, got, &content_type, &answer);
        if answer["resultCode"] == 112501 {
            refusals += 1;
            assert!(answer["details"].is_object(), "Meta's error: {answer}");
        }
    }
    assert_eq!(
        refusals, 1,
        "Meta refused the template named against its rules"
    );
    let (got, content_type, answer) =
        call(&app, &tenant, Method::GET, OTHER_SOURCE, "/templates", None).await;
    assert_eq!(got, 403, "{answer}");
    contract.check("get", &templates, got, &content_type, &answer);

    // The business number: profile, phone number information, analytics
    // (of a message delivered today), each with a failure.
    let (status, accepted) = app
        .send(&tenant, &request(&tenant, &["+46701234567"], hello_world()))
        .await;
    assert_eq!(status, 200, "{accepted}");
    let id = accepted["messageIds"][0].as_str().expect("messageId");
    app.status_when(&tenant, id, "delivered", |part| {
        part["state"] == "DELIVERED" || part["state"] == "READ"
    })
    .await;
    let midnight = OffsetDateTime::now_utc().replace_time(time::Time::MIDNIGHT);
    let analytics = format!(
        "/analytics?startDate={}&endDate={}",
        utc(midnight),
        utc(midnight + time::Duration::days(1))
    );
    let profile_update = json!({"messaging_product": "whatsapp", "profile": {"about": "Hi"}});
    let cases = [
        (Method::GET, "/profile", None, SOURCE, 200, "/profile"),
        (Method::GET, "/profile", None, OTHER_SOURCE, 403, "/profile"),
        (
            Method::POST,
            "/profile",
            Some(json!({"profile": {}})),
            SOURCE,
            400,
            "/profile",
        ),
        (
            Method::POST,
            "/profile",
            Some(profile_update),
            SOURCE,
            204,
            "/profile",
        ),
        (Method::GET, "", None, SOURCE, 200, ""),
        (Method::GET, "", None, OTHER_SOURCE, 403, ""),
        (
            Method::GET,
            analytics.as_str(),
            None,
            SOURCE,
            200,
            "/analytics",
        ),
        (
            Method::GET,
            "/analytics?startDate=yesterday",
            None,
            SOURCE,
            400,
            "/analytics",
        ),
    ];
    for (method, suffix, body, source, status, path) in cases {
        let name = method.as_str().to_lowercase();
        let (got, content_type, answer) = call(&app, &tenant, method, source, suffix, body).await;
        assert_eq!(got, status, "{name} {suffix}: {answer}");
        if status == 204 {
            assert_eq!(answer, json!(""), "no body");
            continue;
        }
        contract.check(&name, &documented_path(path), got, &content_type, &answer);
        if suffix == analytics {
            assert!(
                answer.as_array().is_some_and(|days| !days.is_empty()),
                "today's delivery is counted: {answer}"
            );
        }
    }

    // Media uploads: normal and resumable, each with a failure.
    let png = vec![0x89, b'P', b'N', b'G', 1, 2, 3, 4];
    let parts = |content_type: Option<&str>, file: Vec<u8>| {
        let mut form = Form::new()
            .text("source", tenant.source.clone())
            .text("platformId", tenant.platform_id.clone())
            .text("platformPartnerId", tenant.platform_partner_id.clone());
        if let Some(content_type) = content_type {
            form = form.text("mediaContentType", content_type.to_owned());
        }
        form.part(
            "media",
            Part::bytes(file)
                .file_name("a.png")
                .mime_str("image/png")
                .expect("a type"),
        )
    };
    let cases = [
        ("/media", parts(Some("image/png"), png.clone()), 200),
        ("/media", parts(Some("image/gif"), png.clone()), 400),
        ("/media/resumable", parts(None, png.clone()), 200),
        ("/media/resumable", parts(None, Vec::new()), 400),
    ];
    for (path, form, status) in cases {
        let response = app
            .client
            .post(format!("{}/whatsapp-message{path}", app.base))
            .basic_auth(&tenant.username, Some(&tenant.password))
            .multipart(form)
            .send()
            .await
            .expect("an upload");
        let (got, content_type, answer) = self::answer(response).await;
        assert_eq!(got, status, "{path}: {answer}");
        contract.check(
            "post",
            &format!("/whatsapp-message{path}"),
            got,
            &content_type,
            &answer,
        );
    }
    let response = app
        .client
        .post(format!("{}/whatsapp-message/media", app.base))
        .basic_auth(&tenant.username, Some("wrong"))
        .multipart(parts(Some("image/png"), png))
        .send()
        .await
        .expect("an upload");
    let (got, content_type, answer) = self::answer(response).await;
    assert_eq!(got, 401, "{answer}");
    contract.check(
        "post",
        "/whatsapp-message/media",
        got,
        &content_type,
        &answer,
    );
}

on_backends!(the_media_url_metas_webhook_and_the_sandbox_answer_as_documented);
async fn the_media_url_metas_webhook_and_the_sandbox_answer_as_documented(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    let tenant = app.tenant("contract-extra", SOURCE).await;
    let contract = Contract {
        document: document(),
    };
    let get = |path: &str, token: Option<&str>| {
        let mut request = app.client.get(format!("{}{path}", app.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };

    // The signed media URL, unsigned; Meta's handshake with a wrong token.
    let (status, content_type, body) = answer(
        get("/media/v1/106540352242922/123?expires=1", None)
            .await
            .expect("media"),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    contract.check(
        "get",
        "/media/v1/{phone_number_id}/{media_id}",
        status,
        &content_type,
        &body,
    );
    let (status, content_type, _) = answer(
        get(
            "/webhooks/meta?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1",
            None,
        )
        .await
        .expect("handshake"),
    )
    .await;
    assert_eq!((status, content_type.as_str()), (403, ""));
    let responses = &contract.document["paths"]["/webhooks/meta"]["get"]["responses"];
    assert!(responses["403"]["content"].is_null(), "{responses}");

    // Meta's webhook without a valid signature.
    let response = app
        .client
        .post(format!("{}/webhooks/meta", app.base))
        .header("x-hub-signature-256", "sha256=00")
        .json(&json!({"object": "whatsapp_business_account", "entry": []}))
        .send()
        .await
        .expect("webhook");
    let (status, content_type, body) = answer(response).await;
    assert_eq!(status, 401, "{body}");
    contract.check("post", "/webhooks/meta", status, &content_type, &body);

    // The sandbox: an inbound message, the controls with and without the
    // admin token, an unknown media id.
    let response = app
        .client
        .post(format!("{}/sandbox/v1/inbound", app.base))
        .basic_auth(&tenant.username, Some(&tenant.password))
        .json(&json!({"from": "+46701234567", "to": tenant.source, "text": "hi"}))
        .send()
        .await
        .expect("inbound");
    let (status, content_type, body) = answer(response).await;
    assert_eq!(status, 200, "{body}");
    contract.check("post", "/sandbox/v1/inbound", status, &content_type, &body);
    let response = app
        .client
        .post(format!("{}/sandbox/v1/inbound", app.base))
        .basic_auth(&tenant.username, Some(&tenant.password))
        .json(&json!({"from": "+46701234567", "to": OTHER_SOURCE, "text": "hi"}))
        .send()
        .await
        .expect("inbound");
    let (status, content_type, body) = answer(response).await;
    assert_eq!(status, 404, "{body}");
    contract.check("post", "/sandbox/v1/inbound", status, &content_type, &body);
    for (path, documented, token, expected) in [
        (
            "/sandbox/v1/stats",
            "/sandbox/v1/stats",
            Some(common::ADMIN_TOKEN),
            200,
        ),
        ("/sandbox/v1/stats", "/sandbox/v1/stats", None, 401),
        (
            "/sandbox/v1/received",
            "/sandbox/v1/received",
            Some(common::ADMIN_TOKEN),
            200,
        ),
        (
            "/sandbox/v1/webhooks",
            "/sandbox/v1/webhooks",
            Some(common::ADMIN_TOKEN),
            200,
        ),
        (
            "/sandbox/v1/webhooks?since=x",
            "/sandbox/v1/webhooks",
            Some(common::ADMIN_TOKEN),
            400,
        ),
        (
            "/sandbox/v1/media/none",
            "/sandbox/v1/media/{media_id}",
            Some(common::ADMIN_TOKEN),
            404,
        ),
    ] {
        let (status, content_type, body) = answer(get(path, token).await.expect(path)).await;
        assert_eq!(status, expected, "{path}: {body}");
        contract.check("get", documented, status, &content_type, &body);
        if path == "/sandbox/v1/webhooks" {
            assert!(
                body.as_array().is_some_and(|webhooks| !webhooks.is_empty()),
                "the inbound message's webhook: {body}"
            );
        }
    }
}
