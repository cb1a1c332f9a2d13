//! Credentials and tenant isolation: nobody sends as, from, or reads the
//! messages of another tenant.

mod common;

use common::{Tenant, request, spawn_app, text};
use serde_json::json;

#[tokio::test]
async fn wrong_password_unknown_user_and_missing_credentials_are_401() {
    let app = spawn_app().await;
    let tenant = app.tenant("acme", "+46700000001").await;
    let body = request(&tenant, &["+46701234567"], text("hi")).to_string();

    let wrong_password = Tenant {
        password: "not-the-password".into(),
        ..tenant.clone()
    };
    let unknown_user = Tenant {
        username: "nobody".into(),
        ..tenant.clone()
    };
    for who in [&wrong_password, &unknown_user] {
        let (status, answer) = app.send_raw(who, body.clone(), None).await;
        assert_eq!(status, 401, "{answer}");
        assert_eq!(answer["resultCode"], 112400);
        assert_eq!(answer["description"], "Unauthorized");
        assert_eq!(answer["translatedDescription"], serde_json::Value::Null);
    }
    let response = app
        .client
        .post(format!("{}/whatsapp-message/messages", app.base))
        .body(body.clone())
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 401);

    // The right password still works after wrong attempts (and the cache of
    // successes does not let a wrong one in afterwards).
    let (status, _) = app.send_raw(&tenant, body.clone(), None).await;
    assert_eq!(status, 200);
    let (status, _) = app.send_raw(&wrong_password, body, None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn another_tenants_platform_ids_source_and_gates_are_refused() {
    let app = spawn_app().await;
    let acme = app.tenant("acme", "+46700000001").await;
    let globex = app.tenant("globex", "+46700000002").await;

    let mut body = request(&acme, &["+46701234567"], text("hi"));
    body["platformPartnerId"] = json!(globex.platform_partner_id);
    let (status, answer) = app.send(&acme, &body).await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["resultCode"], 112401);
    assert!(
        answer["description"]
            .as_str()
            .expect("text")
            .contains("platformPartnerId"),
        "{answer}"
    );

    let mut body = request(&acme, &["+46701234567"], text("hi"));
    body["platformId"] = json!(globex.platform_id);
    body["platformPartnerId"] = json!(globex.platform_partner_id);
    let (status, answer) = app.send(&acme, &body).await;
    assert_eq!(
        (status, answer["resultCode"].clone()),
        (403, json!(112401)),
        "{answer}"
    );

    let mut body = request(&acme, &["+46701234567"], text("hi"));
    body["source"] = json!(globex.source);
    let (status, answer) = app.send(&acme, &body).await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["resultCode"], 112401);
    assert!(
        answer["description"]
            .as_str()
            .expect("text")
            .contains("source"),
        "{answer}"
    );

    let mut body = request(&acme, &["+46701234567"], text("hi"));
    body["source"] = json!("+46799999999");
    let (status, answer) = app.send(&acme, &body).await;
    assert_eq!(
        (status, answer["resultCode"].clone()),
        (403, json!(112401)),
        "{answer}"
    );

    let mut body = request(&acme, &["+46701234567"], text("hi"));
    body["eventReportGates"] = json!([acme.gate_id, globex.gate_id]);
    let (status, answer) = app.send(&acme, &body).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["resultCode"], 112402);
    assert!(
        answer["description"]
            .as_str()
            .expect("text")
            .contains("eventReportGates[1]"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_message_is_visible_to_its_own_tenant_only() {
    let app = spawn_app().await;
    let acme = app.tenant("acme", "+46700000001").await;
    let globex = app.tenant("globex", "+46700000002").await;
    let (status, answer) = app
        .send(&acme, &request(&acme, &["+46701234567"], text("hi")))
        .await;
    assert_eq!(status, 200, "{answer}");
    let id = answer["messageIds"][0].as_str().expect("id");

    let (status, _) = app.status(&acme, id).await;
    assert_eq!(status, 200);
    let (status, answer) = app.status(&globex, id).await;
    assert_eq!(status, 404, "{answer}");
    let (status, _) = app.status(&globex, "0000000000000000000000").await;
    assert_eq!(status, 404);
    let wrong = Tenant {
        password: "nope-nope".into(),
        ..acme.clone()
    };
    let (status, _) = app.status(&wrong, id).await;
    assert_eq!(status, 401);
}
