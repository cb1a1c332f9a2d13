//! Credentials and tenant isolation: nobody sends as, from, or reads the
//! messages of another tenant.

mod common;

use common::{Backend, Tenant, TestApp, request, spawn_app, text};
use serde_json::{Value, json};

/// Sends `body` as `tenant` and checks the status, the result code and that
/// the description mentions `names`.
async fn assert_refused(
    app: &TestApp,
    tenant: &Tenant,
    body: &Value,
    status: u16,
    code: u32,
    names: &str,
) {
    let (got, answer) = app.send(tenant, body).await;
    assert_eq!(got, status, "{answer}");
    assert_eq!(answer["resultCode"], code, "{answer}");
    let description = answer["description"].as_str().expect("description");
    assert!(description.contains(names), "{names} not in {answer}");
}

on_backends!(wrong_password_unknown_user_and_missing_credentials_are_401);
async fn wrong_password_unknown_user_and_missing_credentials_are_401(backend: Backend) {
    let app = spawn_app(backend).await;
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

on_backends!(another_tenants_platform_ids_source_and_gates_are_refused);
async fn another_tenants_platform_ids_source_and_gates_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = app.tenant("acme", "+46700000001").await;
    let globex = app.tenant("globex", "+46700000002").await;

    let base = request(&acme, &["+46701234567"], text("hi"));
    let with = |changes: Value| {
        let mut body = base.clone();
        if let (Some(body), Some(changes)) = (body.as_object_mut(), changes.as_object()) {
            body.extend(changes.clone());
        }
        body
    };
    let cases = [
        (
            json!({"platformPartnerId": globex.platform_partner_id}),
            403,
            112401,
            "platformPartnerId",
        ),
        (
            json!({"platformId": globex.platform_id, "platformPartnerId": globex.platform_partner_id}),
            403,
            112401,
            "platformId",
        ),
        (json!({"source": globex.source}), 403, 112401, "source"),
        (json!({"source": "+46799999999"}), 403, 112401, "source"),
        (
            json!({"eventReportGates": [acme.gate_id, globex.gate_id]}),
            400,
            112402,
            "eventReportGates[1]",
        ),
    ];
    for (changes, status, code, names) in cases {
        assert_refused(&app, &acme, &with(changes), status, code, names).await;
    }
}

on_backends!(a_message_is_visible_to_its_own_tenant_only);
async fn a_message_is_visible_to_its_own_tenant_only(backend: Backend) {
    let app = spawn_app(backend).await;
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

/// `send_raw` from another loopback address than 127.0.0.1.
async fn send_from(app: &TestApp, from: [u8; 4], tenant: &Tenant, body: &str) -> u16 {
    let client = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(from))
        .build()
        .expect("client");
    common::Gateway {
        base: app.base.clone(),
        client,
    }
    .send_raw(tenant, body.to_owned(), None)
    .await
    .0
}

on_backends!(failed_logins_are_throttled_per_username_and_per_address);
async fn failed_logins_are_throttled_per_username_and_per_address(backend: Backend) {
    let app = common::spawn_app_with(
        backend,
        &[
            "--login-failures-per-user",
            "3",
            "--login-failures-per-address",
            "6",
            "--login-failure-window",
            "10m",
        ],
    )
    .await;
    let ann = app.tenant("ann", "+46700000001").await;
    let bob = app.tenant("bob", "+46700000002").await;
    let cid = app.tenant("cid", "+46700000003").await;
    let body = request(&ann, &["+46701234567"], text("hi")).to_string();
    let wrong = |tenant: &Tenant, username: &str| Tenant {
        username: username.to_owned(),
        password: "a guess".into(),
        ..tenant.clone()
    };
    for _ in 0..3 {
        let (status, _) = app
            .send_raw(&wrong(&ann, &ann.username), body.clone(), None)
            .await;
        assert_eq!(status, 401);
    }
    // Ann's name is throttled: even her password is refused, as LINK's 401.
    let (status, answer) = app.send_raw(&ann, body.clone(), None).await;
    assert_eq!(status, 401, "{answer}");
    assert_eq!(answer["resultCode"], 112400, "{answer}");
    assert_eq!(send_from(&app, [127, 0, 0, 2], &ann, &body).await, 401);
    // Bob, from the same address, is not affected.
    let bob_body = request(&bob, &["+46701234567"], text("hi")).to_string();
    let (status, answer) = app.send_raw(&bob, bob_body.clone(), None).await;
    assert_eq!(status, 200, "{answer}");

    // Many names tried from one address: the address is throttled.
    for name in ["dan", "eve", "fay"] {
        let (status, _) = app.send_raw(&wrong(&ann, name), body.clone(), None).await;
        assert_eq!(status, 401);
    }
    let cid_body = request(&cid, &["+46701234567"], text("hi")).to_string();
    let (status, _) = app.send_raw(&cid, cid_body.clone(), None).await;
    assert_eq!(status, 401, "cid from the throttled address");
    // From another address Cid logs in.
    assert_eq!(send_from(&app, [127, 0, 0, 2], &cid, &cid_body).await, 200);
}

on_backends!(a_throttled_username_logs_in_again_once_the_window_passes);
async fn a_throttled_username_logs_in_again_once_the_window_passes(backend: Backend) {
    let app = common::spawn_app_with(
        backend,
        &[
            "--login-failures-per-user",
            "2",
            "--login-failure-window",
            "1s",
        ],
    )
    .await;
    let ann = app.tenant("ann", "+46700000001").await;
    let body = request(&ann, &["+46701234567"], text("hi")).to_string();
    let wrong = Tenant {
        password: "a guess".into(),
        ..ann.clone()
    };
    // The window opens after this instant, so an answer before it plus the
    // window's length came while it was open.
    let before = std::time::Instant::now();
    for _ in 0..2 {
        let (status, _) = app.send_raw(&wrong, body.clone(), None).await;
        assert_eq!(status, 401);
    }
    let (status, answer) = app.send_raw(&ann, body.clone(), None).await;
    if before.elapsed() < std::time::Duration::from_secs(1) {
        assert_eq!(status, 401, "within the window: {answer}");
    }
    common::eventually(
        std::time::Duration::from_secs(20),
        "ann's login once the window passed",
        || async { app.send_raw(&ann, body.clone(), None).await.0 == 200 },
    )
    .await;
}
