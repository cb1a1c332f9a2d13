//! LINK template management (`PUT/POST/GET/DELETE
//! /whatsapp-message/platformId/{p}/platformPartnerId/{pp}/source/{s}/templates…`)
//! end to end over HTTP against the sandbox: a created template is PENDING,
//! becomes APPROVED, and a LINK template message using it is read; one
//! never created fails with 112403; list (filter, paging), get, edit,
//! delete; another tenant's source or template is 403 112401; Meta's
//! refusal is 400 112501 with Meta's message and error object; no answer
//! at all is 400 112503.

mod common;

use common::templates::template_body;
use common::{Backend, Tenant, TestApp, request, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

const FAST: &[&str] = common::QUICK_REPORTS;

const SOURCE: &str = "+46700000011";
/// The same number as a client may write it in the path.
const SOURCE_ENCODED: &str = "%2B46700000011";
const USER: &str = "+46701234567";

async fn call(
    app: &TestApp,
    tenant: &Tenant,
    method: Method,
    suffix: &str,
    body: Option<Value>,
) -> (u16, Value) {
    app.templates_call(tenant, method, SOURCE, suffix, body)
        .await
}

fn template_message(name: &str, language: &str) -> Value {
    json!([{"type": "template", "template": {"name": name, "language": {"code": language}}}])
}

/// Sends one template message to [`USER`]; returns its messageId.
async fn send_template(app: &TestApp, tenant: &Tenant, name: &str, language: &str) -> String {
    let (status, answer) = app
        .send(
            tenant,
            &request(tenant, &[USER], template_message(name, language)),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    answer["messageIds"][0]
        .as_str()
        .expect("messageId")
        .to_owned()
}

on_backends!(a_created_template_is_approved_sent_listed_edited_and_deleted);
async fn a_created_template_is_approved_sent_listed_edited_and_deleted(backend: Backend) {
    let app = spawn_app_with(backend, FAST).await;
    let tenant = app.tenant("tpl", SOURCE).await;

    // Created through the spec's `PUT …/templates/{anything}`, the number
    // written with %2B: PENDING first.
    let (status, created) = app
        .templates_call(
            &tenant,
            Method::PUT,
            SOURCE_ENCODED,
            "/new",
            Some(template_body("order_ready", "en", "UTILITY")),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(
        (&created["status"], &created["category"]),
        (&json!("PENDING"), &json!("UTILITY")),
        "{created}"
    );
    let id = created["id"].as_str().expect("id").to_owned();

    // Approved after the sandbox's review; the status webhook reached the
    // gateway and was taken.
    let approved = common::poll(std::time::Duration::from_secs(30), "approval", || async {
        let (status, template) = call(&app, &tenant, Method::GET, &format!("/{id}"), None).await;
        (status == 200 && template["status"] == "APPROVED")
            .then_some(template.clone())
            .ok_or(format!("{status} {template}"))
    })
    .await;
    assert_eq!(approved["name"], "order_ready");
    assert_eq!(approved["language"], "en");
    let webhooks = sandbox_webhooks(&app).await;
    let update = webhooks
        .iter()
        .find(|hook| {
            hook["body"]["entry"][0]["changes"][0]["field"] == "message_template_status_update"
        })
        .unwrap_or_else(|| panic!("no template webhook in {webhooks:#?}"));
    assert_eq!(update["delivered"], true, "{update}");
    assert_eq!(
        update["body"]["entry"][0]["changes"][0]["value"]["event"],
        "APPROVED"
    );
    assert_eq!(update["body"]["entry"][0]["id"], "sandbox-waba-46700000011");

    // A message using it is read; one never created fails with 112403.
    let sent = send_template(&app, &tenant, "order_ready", "en").await;
    app.status_when(&tenant, &sent, "the template message read", |part| {
        part["state"] == "READ"
    })
    .await;
    let unknown = send_template(&app, &tenant, "never_created", "en").await;
    let failed = app
        .status_when(&tenant, &unknown, "the unknown template failed", |part| {
            part["state"] == "FAILED"
        })
        .await;
    assert_eq!(failed["messages"][0]["resultCode"], 112403, "{failed}");
    // The same name in a language it was not created in fails too.
    let wrong_language = send_template(&app, &tenant, "order_ready", "de").await;
    app.status_when(
        &tenant,
        &wrong_language,
        "the other language failed",
        |part| part["resultCode"] == 112403,
    )
    .await;

    // List: filtered by name and status, one a page, with cursors.
    for name in ["order_shipped", "spring_promo"] {
        let (status, answer) = call(
            &app,
            &tenant,
            Method::PUT,
            "",
            Some(template_body(name, "en", "MARKETING")),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
    }
    let (status, first) = call(&app, &tenant, Method::GET, "?name=order&limit=1", None).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(names(&first), ["order_ready"], "{first}");
    let after = first["paging"]["cursors"]["after"]
        .as_str()
        .expect("after cursor");
    let (status, second) = call(
        &app,
        &tenant,
        Method::GET,
        &format!("?name=order&limit=1&after={after}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(names(&second), ["order_shipped"], "{second}");
    let (_, approved_only) = call(&app, &tenant, Method::GET, "?status=APPROVED", None).await;
    let approved_names = names(&approved_only);
    assert!(
        approved_names.contains(&"order_ready".to_owned()),
        "{approved_only}"
    );
    assert!(
        approved_names.contains(&"hello_world".to_owned()),
        "{approved_only}"
    );
    // Meta's sample is there from the start, and can be read by its id.
    let sample_id = approved_only["data"]
        .as_array()
        .and_then(|data| data.iter().find(|t| t["name"] == "hello_world"))
        .and_then(|t| t["id"].as_str())
        .expect("hello_world's id")
        .to_owned();
    let (status, sample) = call(&app, &tenant, Method::GET, &format!("/{sample_id}"), None).await;
    assert_eq!(
        (status, &sample["status"]),
        (200, &json!("APPROVED")),
        "{sample}"
    );
    assert_eq!(
        (&sample["language"], &sample["category"]),
        (&json!("en_US"), &json!("UTILITY"))
    );

    // Edit: the new components are there, still approved.
    let edit =
        json!({"components": [{"type": "BODY", "text": "Your order is ready: come by today."}]});
    let (status, answer) = call(&app, &tenant, Method::POST, &format!("/{id}"), Some(edit)).await;
    assert_eq!((status, &answer), (200, &json!({"success": true})));
    let (_, edited) = call(&app, &tenant, Method::GET, &format!("/{id}"), None).await;
    assert_eq!(
        edited["components"][0]["text"], "Your order is ready: come by today.",
        "{edited}"
    );
    assert_eq!(edited["status"], "APPROVED");

    // Delete: gone, and its messages fail again.
    let (status, answer) = call(
        &app,
        &tenant,
        Method::DELETE,
        &format!("/{id}/order_ready"),
        None,
    )
    .await;
    assert_eq!((status, &answer), (200, &json!({"success": true})));
    let (status, gone) = call(&app, &tenant, Method::GET, &format!("/{id}"), None).await;
    assert_eq!(
        (status, &gone["resultCode"]),
        (400, &json!(112501)),
        "{gone}"
    );
    let after_delete = send_template(&app, &tenant, "order_ready", "en").await;
    app.status_when(
        &tenant,
        &after_delete,
        "the deleted template failed",
        |part| part["resultCode"] == 112403,
    )
    .await;
}

fn names(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .map(|data| {
            data.iter()
                .filter_map(|t| t["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn sandbox_webhooks(app: &TestApp) -> Vec<Value> {
    let (status, body) = common::read(
        app.client
            .get(format!("{}/sandbox/v1/webhooks", app.base))
            .bearer_auth(common::ADMIN_TOKEN)
            .send()
            .await
            .expect("webhooks"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body.as_array().cloned().unwrap_or_default()
}

on_backends!(another_tenant_s_source_or_template_is_403_112401);
async fn another_tenant_s_source_or_template_is_403_112401(backend: Backend) {
    let app = spawn_app_with(backend, FAST).await;
    let owner = app.tenant("owner", SOURCE).await;
    let other = app.tenant("other", "+46700000012").await;
    let (status, created) = call(
        &app,
        &owner,
        Method::PUT,
        "",
        Some(template_body("owner_only", "en", "UTILITY")),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().expect("id");

    // The owner's number, under the other's own platform ids.
    for (method, suffix) in [
        (Method::GET, String::new()),
        (Method::PUT, String::new()),
        (Method::GET, format!("/{id}")),
        (Method::DELETE, format!("/{id}/owner_only")),
    ] {
        let body = (method == Method::PUT).then(|| template_body("stolen", "en", "UTILITY"));
        let (status, answer) = app
            .templates_call(&other, method.clone(), SOURCE, &suffix, body)
            .await;
        assert_eq!(
            (status, &answer["resultCode"]),
            (403, &json!(112401)),
            "{method} {suffix}: {answer}"
        );
    }
    // The owner's template id through the other's own number.
    let (status, answer) = app
        .templates_call(&other, Method::GET, &other.source, &format!("/{id}"), None)
        .await;
    assert_eq!(
        (status, &answer["resultCode"]),
        (403, &json!(112401)),
        "{answer}"
    );
    let (status, answer) = app
        .templates_call(
            &other,
            Method::POST,
            &other.source,
            &format!("/{id}"),
            Some(json!({"components": [{"type": "BODY", "text": "mine now"}]})),
        )
        .await;
    assert_eq!(
        (status, &answer["resultCode"]),
        (403, &json!(112401)),
        "{answer}"
    );
    // The owner's platform ids with the other's credentials.
    let impostor = Tenant {
        username: other.username.clone(),
        password: other.password.clone(),
        ..owner.clone()
    };
    let (status, answer) = call(&app, &impostor, Method::GET, "", None).await;
    assert_eq!(
        (status, &answer["resultCode"]),
        (403, &json!(112401)),
        "{answer}"
    );
    // Nothing of the owner's changed; the other sees only its own.
    let (_, mine) = call(&app, &owner, Method::GET, "?name=owner_only", None).await;
    assert_eq!(names(&mine), ["owner_only"]);
    let (_, theirs) = app
        .templates_call(&other, Method::GET, &other.source, "", None)
        .await;
    assert_eq!(names(&theirs), ["hello_world"], "{theirs}");
}

on_backends!(meta_s_refusal_is_112501_with_its_message_and_no_answer_112503);
async fn meta_s_refusal_is_112501_with_its_message_and_no_answer_112503(backend: Backend) {
    let app = spawn_app_with(backend, FAST).await;
    let tenant = app.tenant("refused", SOURCE).await;
    let (status, answer) = call(
        &app,
        &tenant,
        Method::PUT,
        "",
        Some(template_body("Order Ready", "en", "UTILITY")),
    )
    .await;
    assert_eq!(
        (status, &answer["resultCode"]),
        (400, &json!(112501)),
        "{answer}"
    );
    let description = answer["description"].as_str().unwrap_or_default();
    assert!(
        description.contains("\"Order Ready\" is invalid") && description.contains("lowercase"),
        "{answer}"
    );
    assert_eq!(answer["details"]["code"], 100, "{answer}");
    assert_eq!(
        answer["details"]["error_user_title"], "Message template name is invalid",
        "{answer}"
    );
    // The same name and language twice.
    let body = template_body("twice", "en", "UTILITY");
    assert_eq!(
        call(&app, &tenant, Method::PUT, "", Some(body.clone()))
            .await
            .0,
        200
    );
    let (status, answer) = call(&app, &tenant, Method::PUT, "", Some(body)).await;
    assert_eq!(
        (status, &answer["resultCode"]),
        (400, &json!(112501)),
        "{answer}"
    );
    assert_eq!(answer["details"]["error_subcode"], 2_388_024, "{answer}");
    // Not a JSON object: the gateway's own 112506, Meta is not asked.
    let (status, answer) = call(&app, &tenant, Method::PUT, "", Some(json!(["x"]))).await;
    assert_eq!(
        (status, &answer["resultCode"]),
        (400, &json!(112506)),
        "{answer}"
    );

    let unreachable = spawn_app_with(backend, common::UNREACHABLE_META).await;
    let tenant = unreachable
        .tenant_without_gate("unreachable", "+46700000013")
        .await;
    let (status, answer) = unreachable
        .admin_post(
            "/sources",
            json!({"platformId": tenant.platform_id, "platformPartnerId": tenant.platform_partner_id,
                   "number": SOURCE, "phoneNumberId": "pnid-x", "wabaId": "waba-1"}),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    for (method, suffix, body) in [
        (
            Method::PUT,
            "",
            Some(template_body("order_ready", "en", "UTILITY")),
        ),
        (Method::GET, "", None),
        (Method::GET, "/123", None),
    ] {
        let (status, answer) = unreachable
            .templates_call(&tenant, method.clone(), SOURCE, suffix, body)
            .await;
        assert_eq!(
            (status, &answer["resultCode"]),
            (400, &json!(112503)),
            "{method} {suffix}: {answer}"
        );
    }
}
