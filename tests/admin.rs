//! The admin API: token, create/get/list/delete of every kind, its
//! 201/404/409 rules, and secrets never shown back.

mod common;

use common::{ADMIN_TOKEN, Backend, spawn_app, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

on_backends!(the_admin_api_needs_the_token_and_is_off_without_one);
async fn the_admin_api_needs_the_token_and_is_off_without_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let url = format!("{}/admin/v1/accounts", app.base);
    let response = app.client.get(&url).send().await.expect("get");
    assert_eq!(response.status(), 401);
    let response = app
        .client
        .get(&url)
        .bearer_auth("wrong")
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), 401);
    let response = app
        .client
        .get(&url)
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), 200);

    let app = spawn_app_with(backend, &["--admin-token", ""]).await;
    let response = app
        .client
        .get(format!("{}/admin/v1/accounts", app.base))
        .bearer_auth("")
        .send()
        .await
        .expect("get");
    // An empty token is no token: the admin API stays off.
    assert_eq!(response.status(), 403);
}

on_backends!(resources_are_created_listed_read_and_deleted);
async fn resources_are_created_listed_read_and_deleted(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = json!({"platformId": "p1", "platformPartnerId": "pp1"});
    let (status, account) = app
        .admin_post(
            "/accounts",
            json!({"platformId": "p1", "platformPartnerId": "pp1", "name": "Acme"}),
        )
        .await;
    assert_eq!(status, 201, "{account}");
    let (status, _) = app.admin_post("/accounts", owner.clone()).await;
    assert_eq!(status, 409);

    let (status, user) = app
        .admin_post("/users", json!({"username": "ann", "password": "long enough", "platformId": "p1", "platformPartnerId": "pp1"}))
        .await;
    assert_eq!(status, 201, "{user}");
    assert_eq!(user["apiKey"].as_str().map(str::len), Some(40));
    assert!(user.get("password").is_none() && user.get("passwordHash").is_none());
    let (status, again) = app
        .admin_post("/users", json!({"username": "ann", "password": "long enough", "platformId": "p1", "platformPartnerId": "pp1"}))
        .await;
    assert_eq!(status, 409, "{again}");
    let (status, short) = app
        .admin_post("/users", json!({"username": "bob", "password": "short", "platformId": "p1", "platformPartnerId": "pp1"}))
        .await;
    assert_eq!(status, 400, "{short}");
    assert!(
        short["message"]
            .as_str()
            .expect("message")
            .contains("password")
    );
    let (status, _) = app
        .admin_post("/users", json!({"username": "bob", "password": "long enough", "platformId": "nope", "platformPartnerId": "pp1"}))
        .await;
    assert_eq!(status, 404);

    let (status, source) = app
        .admin_post("/sources", json!({"number": "+46 70 000 00 01", "platformId": "p1", "platformPartnerId": "pp1", "accessToken": "secret-token", "level": "HIGH"}))
        .await;
    assert_eq!(status, 201, "{source}");
    assert_eq!(source["number"], "+46700000001");
    assert_eq!(source["throughput"], 1000);
    assert_eq!(source["hasAccessToken"], true);
    assert!(!source.to_string().contains("secret-token"));
    let (status, _) = app
        .admin_post(
            "/sources",
            json!({"number": "+46700000001", "platformId": "p1", "platformPartnerId": "pp1"}),
        )
        .await;
    assert_eq!(status, 409);

    let (status, gate) = app
        .admin_post("/gates", json!({"id": "v08kM29P", "url": "https://example.com/dlr", "customParameters": {"k": "v"}, "signingSecret": "gate-signing-secret", "platformId": "p1", "platformPartnerId": "pp1"}))
        .await;
    assert_eq!(status, 201, "{gate}");
    assert_eq!(gate["id"], "v08kM29P");
    assert_eq!(gate["format"], "link");
    assert_eq!(gate["hasSigningSecret"], true);
    let (status, bad) = app
        .admin_post(
            "/gates",
            json!({"url": "ftp://example.com", "platformId": "p1", "platformPartnerId": "pp1"}),
        )
        .await;
    assert_eq!(status, 400, "{bad}");

    let (status, route) = app
        .admin_post("/routes", json!({"number": "+46700000001", "keyword": "STOP", "gateIds": ["v08kM29P"], "platformId": "p1", "platformPartnerId": "pp1"}))
        .await;
    assert_eq!(status, 201, "{route}");
    assert_eq!(route["keyword"], "stop");
    let (status, _) = app
        .admin_post("/routes", json!({"number": "+46700000001", "keyword": "stop", "gateIds": ["v08kM29P"], "platformId": "p1", "platformPartnerId": "pp1"}))
        .await;
    assert_eq!(status, 409);
    let (status, _) = app
        .admin_post("/routes", json!({"number": "+46700000001", "gateIds": ["missing"], "platformId": "p1", "platformPartnerId": "pp1"}))
        .await;
    assert_eq!(status, 404);

    // Secrets are never shown back: not the password, its hash, the API key
    // (shown once, at creation) or its digest, a source's access token or a
    // gate's signing secret, in any list or read.
    let api_key = user["apiKey"].as_str().expect("apiKey").to_owned();
    let stored = app
        .database()
        .rows(
            "SELECT password_hash, api_key_hash FROM users WHERE username = $1",
            "ann",
        )
        .await;
    let [stored] = stored.as_slice() else {
        panic!("one user row expected: {stored:?}");
    };
    let mut secrets = vec![
        "long enough".to_owned(),
        api_key,
        "secret-token".to_owned(),
        "gate-signing-secret".to_owned(),
    ];
    secrets.extend(stored.iter().flatten().cloned());
    assert_eq!(secrets.len(), 6, "{stored:?}");
    let account_id = account["id"].as_str().expect("id").to_owned();
    let source_id = source["id"].as_str().expect("id").to_owned();
    let route_id = route["id"].as_str().expect("id").to_owned();
    let mut shown = Vec::new();
    for kind in ["accounts", "users", "sources", "gates", "routes"] {
        let (status, list) = app.admin(Method::GET, &format!("/{kind}"), None).await;
        assert_eq!(status, 200, "{kind}: {list}");
        // Beside the sandbox's demo tenant, the one made here.
        let ours = list.as_array().map(|items| {
            items
                .iter()
                .filter(|item| item["platformId"] == "p1")
                .count()
        });
        assert_eq!(ours, Some(1), "{kind}: {list}");
        shown.push(list);
    }

    // Every kind is read and deleted; the account, still owning the others,
    // only last.
    let account_path = format!("/accounts/{account_id}");
    let (status, _) = app.admin(Method::DELETE, &account_path, None).await;
    assert_eq!(status, 409);
    let read = read_and_delete(&app, &format!("/routes/{route_id}")).await;
    assert_eq!(read["gateIds"], json!(["v08kM29P"]));
    assert_eq!(read["platformId"], "p1");
    shown.push(read);
    let read = read_and_delete(&app, "/users/ann").await;
    assert_eq!(read["username"], "ann");
    shown.push(read);
    let read = read_and_delete(&app, &format!("/sources/{source_id}")).await;
    assert_eq!(read["number"], "+46700000001");
    assert_eq!(read["hasAccessToken"], true);
    shown.push(read);
    let read = read_and_delete(&app, "/gates/v08kM29P").await;
    assert_eq!(read["hasSigningSecret"], true);
    shown.push(read);
    let read = read_and_delete(&app, &account_path).await;
    assert_eq!(read["name"], "Acme");
    shown.push(read);
    for answer in &shown {
        let text = answer.to_string();
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{secret:?} shown in {text}"
            );
        }
    }
}

/// GETs `path` (200), DELETEs it (204), then finds it gone for both (404):
/// what the GET answered.
async fn read_and_delete(app: &common::TestApp, path: &str) -> serde_json::Value {
    let (status, read) = app.admin(Method::GET, path, None).await;
    assert_eq!(status, 200, "GET {path}: {read}");
    let (status, answer) = app.admin(Method::DELETE, path, None).await;
    assert_eq!(status, 204, "DELETE {path}: {answer}");
    for method in [Method::GET, Method::DELETE] {
        let (status, answer) = app.admin(method.clone(), path, None).await;
        assert_eq!(status, 404, "{method} {path} after the delete: {answer}");
    }
    read
}

on_backends!(gates_to_private_addresses_are_refused_unless_allowed);
async fn gates_to_private_addresses_are_refused_unless_allowed(backend: Backend) {
    let owner = json!({"platformId": "p1", "platformPartnerId": "pp1"});
    let with = |url: &str| {
        let mut body = owner.clone();
        body["url"] = json!(url);
        body
    };
    // Against Meta (not the sandbox), private callback targets are off by default.
    let app = spawn_app_with(backend, &["--upstream", "meta", "--meta-app-secret", "s"]).await;
    let (status, _) = app.admin_post("/accounts", owner.clone()).await;
    assert_eq!(status, 201);
    for url in [
        "http://127.0.0.1:9/dlr",
        "http://[::1]/dlr",
        "http://169.254.169.254/latest",
        "http://localhost/dlr",
        // Loopback and special blocks in the forms that carry an IPv4
        // address inside IPv6 (checked without connecting).
        "http://[::127.0.0.1]/dlr",
        "http://[::ffff:10.0.0.1]/dlr",
        "http://[64:ff9b::7f00:1]/dlr",
        "http://[64:ff9b:1::a00:1]/dlr",
        "http://[2002:7f00:1::]/dlr",
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/dlr",
        "http://192.0.0.8/dlr",
    ] {
        let (status, answer) = app.admin_post("/gates", with(url)).await;
        assert_eq!(status, 400, "{url}: {answer}");
        assert!(
            answer["message"].as_str().is_some_and(
                |text| text.starts_with("url: ") && text.contains("not a public address")
            ),
            "{url}: {answer}"
        );
    }
    // Public addresses pass, also inside 6to4 (nothing is connected to).
    for url in ["https://93.184.216.34/dlr", "https://[2002:808:808::1]/dlr"] {
        let (status, answer) = app.admin_post("/gates", with(url)).await;
        assert_eq!(status, 201, "{url}: {answer}");
    }

    let allowed = spawn_app_with(
        backend,
        &[
            "--upstream",
            "meta",
            "--meta-app-secret",
            "s",
            "--callback-allow-private",
            "true",
        ],
    )
    .await;
    let (status, _) = allowed.admin_post("/accounts", owner.clone()).await;
    assert_eq!(status, 201);
    let (status, answer) = allowed
        .admin_post("/gates", with("http://127.0.0.1:9/dlr"))
        .await;
    assert_eq!(status, 201, "{answer}");
}

on_backends!(unknown_paths_methods_big_bodies_and_bad_query_strings_answer_admin_json);
async fn unknown_paths_methods_big_bodies_and_bad_query_strings_answer_admin_json(
    backend: Backend,
) {
    let app = spawn_app_with(backend, &["--max-body-bytes", "1024"]).await;
    let (status, gate) = app
        .admin_post(
            "/accounts",
            json!({"platformId": "p1", "platformPartnerId": "pp1"}),
        )
        .await;
    assert_eq!(status, 201, "{gate}");
    let (status, gate) = app
        .admin_post(
            "/gates",
            json!({"platformId": "p1", "platformPartnerId": "pp1", "id": "g1", "url": "http://127.0.0.1:9/cb"}),
        )
        .await;
    assert_eq!(status, 201, "{gate}");
    let cases = [
        (
            Method::GET,
            "/nowhere",
            None,
            404,
            "not_found",
            "no such endpoint: GET /admin/v1/nowhere",
        ),
        (
            Method::PUT,
            "/accounts",
            None,
            405,
            "method_not_allowed",
            "/admin/v1/accounts does not take PUT",
        ),
        (
            Method::POST,
            "/accounts",
            Some(json!({"platformId": "x".repeat(2000)})),
            413,
            "too_large",
            "the body is larger than 1024 bytes",
        ),
        (
            Method::GET,
            "/gates/g1/deliveries?limit=many",
            None,
            400,
            "invalid",
            "limit",
        ),
        (
            Method::POST,
            "/gates/g1/deliveries/first/redeliver",
            None,
            400,
            "invalid",
            "first",
        ),
    ];
    for (method, path, body, status, kind, message) in cases {
        let (got, answer) = app.admin(method.clone(), path, body).await;
        assert_eq!(got, status, "{method} {path}: {answer}");
        assert_eq!(answer["error"], kind, "{method} {path}: {answer}");
        assert!(
            answer["message"]
                .as_str()
                .is_some_and(|text| text.contains(message)),
            "{method} {path}: {answer}"
        );
    }
    // Without the token an unknown path is 401, as JSON too.
    let (status, answer) = common::read(
        app.client
            .get(format!("{}/admin/v1/nowhere", app.base))
            .send()
            .await
            .expect("get"),
    )
    .await;
    assert_eq!((status, &answer["error"]), (401, &json!("unauthorized")));
}

on_backends!(a_source_given_by_its_number_alone_sends_in_the_sandbox_and_is_refused_against_meta);
async fn a_source_given_by_its_number_alone_sends_in_the_sandbox_and_is_refused_against_meta(
    backend: Backend,
) {
    let owner = json!({"platformId": "p1", "platformPartnerId": "pp1"});
    let source = |fields: Value| {
        let mut body = owner.clone();
        if let (Some(body), Some(fields)) = (body.as_object_mut(), fields.as_object()) {
            body.extend(fields.clone());
        }
        body
    };

    // The sandbox gives it ids, and its messages go out.
    let app = spawn_app_with(backend, &["--sandbox-status-delay", "1ms"]).await;
    let tenant = app.tenant("bare", "+46700000001").await;
    let (status, created) = app
        .admin_post(
            "/sources",
            json!({"platformId": tenant.platform_id, "platformPartnerId": tenant.platform_partner_id,
                   "number": "+46700000008"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["phoneNumberId"], "sandbox-46700000008", "{created}");
    assert_eq!(created["wabaId"], "sandbox-waba-46700000008", "{created}");
    let mut body = common::request(&tenant, &["+46701234567"], common::hello_world());
    body["source"] = json!("+46700000008");
    let (status, answer) = app.send(&tenant, &body).await;
    assert_eq!(status, 200, "{answer}");
    let id = answer["messageIds"][0].as_str().expect("id").to_owned();
    let message = app
        .status_when(&tenant, &id, "the message read", |part| {
            part["state"] == "READ"
        })
        .await;
    assert_eq!(message["source"], "+46700000008", "{message}");

    // Against Meta, a source that could never send is refused, naming what
    // is missing.
    let meta = spawn_app_with(backend, &["--upstream", "meta", "--meta-app-secret", "s"]).await;
    let (status, _) = meta.admin_post("/accounts", owner.clone()).await;
    assert_eq!(status, 201);
    for (fields, missing) in [
        (json!({"number": "+46700000009"}), "phoneNumberId"),
        (
            json!({"number": "+46700000009", "phoneNumberId": "123"}),
            "accessToken",
        ),
    ] {
        let (status, answer) = meta.admin_post("/sources", source(fields)).await;
        assert_eq!(status, 400, "{answer}");
        assert!(
            answer["message"]
                .as_str()
                .is_some_and(|text| text.starts_with(missing)),
            "{answer}"
        );
    }
    let (status, answer) = meta
        .admin_post(
            "/sources",
            source(json!({"number": "+46700000009", "phoneNumberId": "123", "accessToken": "t"})),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["wabaId"], Value::Null, "{answer}");
}
