//! Numbers in local form (LINK's MSISDN is "local or international"): read
//! in the account's `defaultCountry`, refused with `112506` without one
//! instead of being taken for international.

mod common;

use common::{Backend, TestApp, hello_world, request, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

/// Sends `destinations` as `tenant` and answers each accepted destination's
/// stored form, as the status query shows it.
async fn stored_destinations(app: &TestApp, tenant: &common::Tenant, body: &Value) -> Vec<String> {
    let (status, answer) = app.send(tenant, body).await;
    assert_eq!(status, 200, "{answer}");
    let mut stored = Vec::new();
    for id in answer["messageIds"].as_array().expect("messageIds") {
        let (status, message) = app.status(tenant, id.as_str().expect("id")).await;
        assert_eq!(status, 200, "{message}");
        stored.push(
            message["destination"]
                .as_str()
                .expect("destination")
                .to_owned(),
        );
    }
    stored
}

/// Sends `body` as `tenant`, asserts it is refused with `400` and
/// `result_code`, and answers the refusal.
async fn refused(app: &TestApp, tenant: &common::Tenant, body: &Value, result_code: u64) -> Value {
    let (status, answer) = app.send(tenant, body).await;
    assert_eq!(
        (status, &answer["resultCode"]),
        (400, &json!(result_code)),
        "{answer}"
    );
    answer
}

on_backends!(a_local_number_is_refused_without_a_default_country);
async fn a_local_number_is_refused_without_a_default_country(backend: Backend) {
    let app = spawn_app(backend).await;
    let tenant = app.tenant("acme", "+46700000001").await;

    for (destinations, path) in [
        (vec!["92555555"], "destinations[0]"),
        (vec!["+4792555555", "0701234567"], "destinations[1]"),
    ] {
        let body = request(&tenant, &destinations, hello_world());
        let (status, answer) = app.send(&tenant, &body).await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["resultCode"], 112506, "{answer}");
        let description = answer["description"].as_str().expect("description");
        assert!(
            description.starts_with(&format!("{path}: must be in international form")),
            "{description}"
        );
        assert!(
            description.contains("+ or 00") && description.contains("defaultCountry"),
            "{description}"
        );
    }
    // The source follows the same rule.
    let mut body = request(&tenant, &["+4792555555"], hello_world());
    body["source"] = json!("0700000001");
    let answer = refused(&app, &tenant, &body, 112506).await;
    assert!(
        answer["description"]
            .as_str()
            .is_some_and(|text| text.starts_with("source: must be in international form")),
        "{answer}"
    );
}

on_backends!(norwegian_local_numbers_are_read_in_the_accounts_default_country);
async fn norwegian_local_numbers_are_read_in_the_accounts_default_country(backend: Backend) {
    let app = spawn_app(backend).await;
    let tenant = app
        .tenant_with_account(
            "nordic",
            "+4790000001",
            json!({"defaultCountry": "NO"}),
            json!({}),
        )
        .await;
    let body = request(
        &tenant,
        &["92555555", "925 55 556", "+46701234567", "004792555557"],
        hello_world(),
    );
    assert_eq!(
        stored_destinations(&app, &tenant, &body).await,
        ["+4792555555", "+4792555556", "+46701234567", "+4792555557"]
    );
    // Normalised before the duplicate check.
    let body = request(&tenant, &["+4792555555", "92555555"], hello_world());
    let answer = refused(&app, &tenant, &body, 112402).await;
    assert_eq!(
        answer["description"],
        "destinations[1]: duplicates destinations[0] (+4792555555)"
    );
}

on_backends!(a_swedish_trunk_zero_is_dropped);
async fn a_swedish_trunk_zero_is_dropped(backend: Backend) {
    let app = spawn_app(backend).await;
    let tenant = app
        .tenant_with_account(
            "svensk",
            "+46700000001",
            json!({"defaultCountry": "se"}),
            json!({}),
        )
        .await;
    let mut body = request(&tenant, &["0701234567", "070-123 45 68"], hello_world());
    body["source"] = json!("070 000 00 01");
    assert_eq!(
        stored_destinations(&app, &tenant, &body).await,
        ["+46701234567", "+46701234568"]
    );
    let (status, answer) = app.send(&tenant, &body).await;
    assert_eq!(status, 200, "{answer}");
    let id = answer["messageIds"][0].as_str().expect("id");
    let (_, message) = app.status(&tenant, id).await;
    assert_eq!(message["source"], "+46700000001");

    // Too short for a Swedish number: the rule says national numbers count.
    let body = request(&tenant, &["070"], hello_world());
    let answer = refused(&app, &tenant, &body, 112506).await;
    assert!(
        answer["description"].as_str().is_some_and(|text| text
            .starts_with("destinations[0]: must be a phone number, international")
            && text.contains("national to the default country")),
        "{answer}"
    );
}

on_backends!(the_admin_api_checks_and_shows_the_default_country);
async fn the_admin_api_checks_and_shows_the_default_country(backend: Backend) {
    let app = spawn_app(backend).await;
    for (index, refused) in [json!("ZZ"), json!("NOR"), json!(""), json!("47"), json!(47)]
        .into_iter()
        .enumerate()
    {
        let (status, answer) = app
            .admin_post(
                "/accounts",
                json!({"platformId": "p", "platformPartnerId": format!("pp{index}"), "defaultCountry": refused}),
            )
            .await;
        assert_eq!(status, 400, "{refused}: {answer}");
        assert_eq!(answer["error"], "invalid", "{answer}");
        assert!(
            answer["message"]
                .as_str()
                .is_some_and(|text| text.starts_with("defaultCountry: ")),
            "{refused}: {answer}"
        );
    }
    let (status, accounts) = app.admin(Method::GET, "/accounts", None).await;
    assert_eq!(status, 200, "{accounts}");
    assert!(
        accounts
            .as_array()
            .is_some_and(|accounts| accounts.iter().all(|account| account["platformId"] != "p")),
        "{accounts}"
    );

    let (status, norway) = app
        .admin_post(
            "/accounts",
            json!({"platformId": "p", "platformPartnerId": "no", "defaultCountry": "no"}),
        )
        .await;
    assert_eq!(status, 201, "{norway}");
    assert_eq!(norway["defaultCountry"], "NO");
    let (status, plain) = app
        .admin_post(
            "/accounts",
            json!({"platformId": "p", "platformPartnerId": "plain"}),
        )
        .await;
    assert_eq!(status, 201, "{plain}");
    assert_eq!(plain["defaultCountry"], Value::Null);
    let path = format!("/accounts/{}", norway["id"].as_str().expect("id"));
    let (status, read) = app.admin(Method::GET, &path, None).await;
    assert_eq!(
        (status, &read["defaultCountry"]),
        (200, &json!("NO")),
        "{read}"
    );
}
