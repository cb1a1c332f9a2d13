//! Text the store cannot keep (the NUL character, which PostgreSQL refuses)
//! is refused at the edge on both backends alike, naming the field: in
//! request bodies, Basic usernames, path ids and admin fields. One tenant
//! sending such requests never fails another tenant's requests.

mod common;

use common::{Backend, Gateway, Tenant, read, request, spawn_app, text};
use serde_json::{Value, json};

/// `request` with `field` set to `value`.
fn with(mut body: Value, field: &str, value: Value) -> Value {
    body[field] = value;
    body
}

async fn expect_refused(gateway: &Gateway, tenant: &Tenant, body: &Value, path: &str) {
    let (status, answer) = gateway.send(tenant, body).await;
    assert_eq!(status, 400, "{path}: {answer}");
    assert_eq!(answer["resultCode"], 112506, "{path}: {answer}");
    let description = answer["description"].as_str().unwrap_or_default();
    assert!(
        description.starts_with(&format!("{path}: ")) && description.contains("NUL"),
        "{path}: {answer}"
    );
}

on_backends!(a_nul_anywhere_in_a_request_is_refused_by_field);
async fn a_nul_anywhere_in_a_request_is_refused_by_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let tenant = app.tenant("nul", "+46700000011").await;
    let valid = request(&tenant, &["+46701234567"], text("hello"));

    let cases = [
        (with(valid.clone(), "refId", json!("r\u{0}1")), "refId"),
        (
            request(&tenant, &["+46701234567"], text("a\u{0}b")),
            "messages[0].text.body",
        ),
        (
            with(valid.clone(), "customParameters", json!({"k": "v\u{0}"})),
            "customParameters.k",
        ),
        (
            with(valid.clone(), "platformPartnerId", json!("x\u{0}")),
            "platformPartnerId",
        ),
    ];
    for (body, path) in &cases {
        expect_refused(&app, &tenant, body, path).await;
    }

    // A Basic username with a NUL is no user: 401, not a store failure.
    let (status, answer) = read(
        app.client
            .post(format!("{}/whatsapp-message/messages", app.base))
            .basic_auth("nul\u{0}user", Some(&tenant.password))
            .json(&valid)
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, 401, "{answer}");

    // A path id with a NUL.
    let (status, answer) = app.status(&tenant, "abc%00def").await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["resultCode"], 112506, "{answer}");
    assert!(
        answer["description"]
            .as_str()
            .is_some_and(|text| text.starts_with("messageId: ")),
        "{answer}"
    );

    // Admin fields and path ids.
    let (status, answer) = app
        .admin_post(
            "/gates",
            json!({"platformId": tenant.platform_id, "platformPartnerId": tenant.platform_partner_id,
                   "id": "g\u{0}", "url": "http://127.0.0.1:9/callbacks"}),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|text| text.starts_with("id: ") && text.contains("NUL")),
        "{answer}"
    );
    for path in ["/gates/g%00", "/accounts/a%00", "/gates/g%00/deliveries"] {
        let (status, answer) = app.admin(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 400, "{path}: {answer}");
    }
    let (status, answer) = app
        .admin(reqwest::Method::DELETE, "/users/u%00", None)
        .await;
    assert_eq!(status, 400, "{answer}");

    // Nothing was stored for any of them, and a valid request still works.
    let (status, answer) = app.send(&tenant, &valid).await;
    assert_eq!(status, 200, "{answer}");
}

on_backends!(one_tenants_unstorable_requests_never_fail_another_tenants);
async fn one_tenants_unstorable_requests_never_fail_another_tenants(backend: Backend) {
    let app = spawn_app(backend).await;
    let honest = app.tenant("honest", "+46700000012").await;
    let poisoner = app.tenant("poisoner", "+46700000013").await;

    // Both send at once, so their requests share group commits.
    let rounds = 40;
    let mut honest_sends = tokio::task::JoinSet::new();
    let mut poisoned_sends = tokio::task::JoinSet::new();
    for round in 0..rounds {
        let body = with(
            request(&honest, &["+46701234567"], common::hello_world()),
            "refId",
            json!(format!("honest-{round}")),
        );
        let gateway: Gateway = (*app).clone();
        let honest = honest.clone();
        honest_sends.spawn(async move { gateway.send(&honest, &body).await });
        let body = with(
            request(&poisoner, &["+46701234567"], common::hello_world()),
            "refId",
            json!(format!("poison-{round}\u{0}")),
        );
        let gateway: Gateway = (*app).clone();
        let poisoner = poisoner.clone();
        poisoned_sends.spawn(async move { gateway.send(&poisoner, &body).await });
    }
    let (honest_answers, poisoned_answers) =
        tokio::join!(honest_sends.join_all(), poisoned_sends.join_all());

    for (status, answer) in &poisoned_answers {
        assert_eq!(*status, 400, "{answer}");
        assert_eq!(answer["resultCode"], 112506, "{answer}");
    }
    for (status, answer) in &honest_answers {
        assert_eq!(*status, 200, "{answer}");
        let id = answer["messageIds"][0].as_str().expect("id");
        let (status, stored) = app.status(&honest, id).await;
        assert_eq!(status, 200, "{stored}");
    }
}
