//! The console in a real headless Chromium (WebDriver): sign in, pause a
//! gate and see its callbacks wait, resume it and see them arrive,
//! redeliver one and see the new try. Screenshots of each page are saved
//! under `target/console-screenshots/`.

mod common;

use common::browser::Browser;
use common::gate::Gate;
use common::{Backend, QUICK_REPORTS, spawn_app_with};
use serde_json::json;

on_backends!(an_operator_pauses_a_gate_resumes_it_and_redelivers_a_callback);
async fn an_operator_pauses_a_gate_resumes_it_and_redelivers_a_callback(backend: Backend) {
    let app = spawn_app_with(backend, QUICK_REPORTS).await;
    let Some(browser) = Browser::start(&app.base, "console_browser").await else {
        return;
    };
    let tenant = app.tenant("web", "+46700000960").await;
    let gate = Gate::start().await;
    app.add_gate(&tenant, "web-sink", &gate.url, json!({}))
        .await;

    browser.open("/console/gates").await;
    assert_eq!(
        browser.client.current_url().await.expect("url").path(),
        "/console/login",
        "no page without signing in"
    );
    browser
        .screenshot(&format!("login-{}", backend.name()))
        .await;
    browser.sign_in().await;
    browser
        .screenshot(&format!("overview-{}", backend.name()))
        .await;

    // Pause: the message's reports wait, none reaches the gate.
    browser.open("/console/gates/web-sink").await;
    browser.click("#pause").await;
    browser.wait_for_text("#pause-state", "paused").await;
    let id = app
        .send_reported(&tenant, "web-sink", "+46701234567", json!({}))
        .await;
    app.deliveries_when("web-sink", "four waiting", |deliveries| {
        deliveries.len() == 4
    })
    .await;
    browser.open("/console/gates/web-sink").await;
    assert_eq!(
        browser
            .client
            .find_all(fantoccini::Locator::Css("#deliveries .badge.pending"))
            .await
            .expect("rows")
            .len(),
        4
    );
    browser
        .screenshot(&format!("gate-paused-{}", backend.name()))
        .await;
    assert!(
        gate.arrivals().is_empty(),
        "nothing reached the paused gate"
    );

    // Resume: they all arrive, in order.
    browser.click("#resume").await;
    browser.wait_for_text("#pause-state", "flowing").await;
    let reports = gate.reports_for(&id, 4).await;
    assert_eq!(reports.len(), 4);

    // Redeliver the first: a fifth callback, with its own try.
    let delivered = app.all_delivered("web-sink", 4).await;
    let first = delivered
        .last()
        .and_then(|delivery| delivery["id"].as_i64())
        .expect("the first callback");
    browser.open("/console/gates/web-sink").await;
    browser
        .click(&format!("#delivery-{first} button.redeliver"))
        .await;
    app.all_delivered("web-sink", 5).await;
    browser.open("/console/gates/web-sink").await;
    let rows = browser
        .client
        .find_all(fantoccini::Locator::Css("#deliveries tbody tr"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 5);
    browser
        .screenshot(&format!("gate-{}", backend.name()))
        .await;
    browser.close().await;
}
