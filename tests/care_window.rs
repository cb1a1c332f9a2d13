//! The 24-hour customer care window: a non-template message to a user who
//! has not written in fails before reaching the Cloud API; once the user
//! writes (an incoming message through the webhook), it goes through.

mod common;

use common::{Backend, Tenant, TestApp, request, spawn_app_with, text};
use serde_json::json;

async fn send_text(app: &TestApp, tenant: &Tenant, destination: &str) -> String {
    let (status, answer) = app
        .send(
            tenant,
            &request(tenant, &[destination], text("hello again")),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    answer["messageIds"][0].as_str().expect("id").to_owned()
}

async fn sends_to(app: &TestApp, destination: &str) -> usize {
    app.sim_received()
        .await
        .iter()
        .filter(|record| record["body"]["to"] == destination)
        .count()
}

on_backends!(a_text_outside_the_window_fails_before_meta_and_goes_through_after_the_user_writes);
async fn a_text_outside_the_window_fails_before_meta_and_goes_through_after_the_user_writes(
    backend: Backend,
) {
    let app = spawn_app_with(backend, &["--sandbox-status-delay", "1ms"]).await;
    let tenant = app.tenant("window", "+46700000600").await;
    let user = "+46701230001";

    let closed = send_text(&app, &tenant, user).await;
    let status = app
        .status_when(&tenant, &closed, "the refusal", |part| {
            part["state"] != "QUEUED"
        })
        .await;
    let part = &status["messages"][0];
    assert_eq!(part["state"], "FAILED", "{part:#}");
    assert_eq!(part["resultCode"], 112403);
    assert!(
        part["history"][1]["resultDescription"]
            .as_str()
            .is_some_and(|text| text.contains("24 hours")),
        "{part:#}"
    );
    assert_eq!(part["history"][1]["details"]["metaErrorCode"], 131047);
    assert_eq!(
        sends_to(&app, user).await,
        0,
        "the Cloud API was not called"
    );

    // The user writes in: the webhook opens the window.
    let inbound = app
        .client
        .post(format!("{}/sandbox/v1/inbound", app.base))
        .basic_auth(&tenant.username, Some(&tenant.password))
        .json(&json!({"from": user, "to": tenant.source, "text": "hi"}))
        .send()
        .await
        .expect("inbound");
    assert_eq!(inbound.status(), 200);

    let open = send_text(&app, &tenant, user).await;
    let status = app
        .status_when(&tenant, &open, "the delivery", |part| {
            part["state"] == "READ"
        })
        .await;
    assert_eq!(status["messages"][0]["history"][1]["resultCode"], 112002);
    assert_eq!(sends_to(&app, user).await, 1);
}

on_backends!(with_the_check_off_the_cloud_api_decides);
async fn with_the_check_off_the_cloud_api_decides(backend: Backend) {
    let app = spawn_app_with(backend, &["--sandbox-status-delay", "1ms"]).await;
    let tenant = app
        .tenant_with(
            "unchecked",
            "+46700000601",
            json!({"careWindowCheck": false}),
        )
        .await;
    let user = "+46701230002";
    let id = send_text(&app, &tenant, user).await;
    let status = app
        .status_when(&tenant, &id, "the refusal", |part| {
            part["state"] != "QUEUED"
        })
        .await;
    let part = &status["messages"][0];
    assert_eq!(part["state"], "FAILED");
    // Refused by the (simulated) Cloud API itself this time.
    assert_eq!(part["history"][1]["details"]["metaErrorCode"], 131047);
    assert!(
        part["history"][1]["details"]["httpStatus"].is_u64(),
        "{part:#}"
    );
    assert_eq!(sends_to(&app, user).await, 1);
}

on_backends!(the_window_is_per_business_number_and_follows_the_contact_book);
async fn the_window_is_per_business_number_and_follows_the_contact_book(backend: Backend) {
    let app = spawn_app_with(backend, &["--sandbox-status-delay", "1ms"]).await;
    let tenant = app.tenant("book", "+46700000602").await;
    let (status, answer) = app
        .admin_post(
            "/sources",
            json!({"platformId": tenant.platform_id, "platformPartnerId": tenant.platform_partner_id,
                   "number": "+46700000603", "phoneNumberId": "pnid-book-2"}),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    let user = "+46701230003";
    let bsuid = "SE.11112222333344445555";
    // The user writes to the first number, naming both their ids.
    let inbound = app
        .client
        .post(format!("{}/sandbox/v1/inbound", app.base))
        .basic_auth(&tenant.username, Some(&tenant.password))
        .json(&json!({"from": user, "fromUserId": bsuid, "to": tenant.source, "text": "hi"}))
        .send()
        .await
        .expect("inbound");
    assert_eq!(inbound.status(), 200);

    // Addressed by BSUID, the user is the same user: the window is open.
    let by_bsuid = send_text(&app, &tenant, bsuid).await;
    app.status_when(&tenant, &by_bsuid, "the send", |part| {
        part["state"] == "READ"
    })
    .await;

    // From the other number, the window is closed.
    let mut other = request(&tenant, &[user], text("from elsewhere"));
    other["source"] = json!("+46700000603");
    let (status, answer) = app.send(&tenant, &other).await;
    assert_eq!(status, 200, "{answer}");
    let id = answer["messageIds"][0].as_str().expect("id");
    let refused = app
        .status_when(&tenant, id, "the refusal", |part| part["state"] != "QUEUED")
        .await;
    assert_eq!(refused["messages"][0]["state"], "FAILED");
    assert_eq!(refused["messages"][0]["resultCode"], 112403);
}
