//! The sandbox playground in a real headless Chromium (WebDriver): connect
//! a number to the inbox, send to `9900` and see the message FAILED with
//! `112404`, then simulate a user's button reply and see the incoming
//! message arrive in the inbox live. Screenshots go under
//! `target/console-screenshots/`.

mod common;

use common::browser::Browser;
use common::{Backend, QUICK_REPORTS, spawn_app_with};

on_backends!(a_new_user_sends_to_9900_and_sees_a_reply_arrive);
async fn a_new_user_sends_to_9900_and_sees_a_reply_arrive(backend: Backend) {
    let app = spawn_app_with(backend, QUICK_REPORTS).await;
    let Some(browser) = Browser::start(&app.base, "console_playground_browser").await else {
        return;
    };
    let tenant = app.tenant("browser-play", "+46700000980").await;
    let source = app.source_id(&tenant.source).await;
    browser.sign_in().await;

    browser
        .open(&format!("/console/playground?source={source}"))
        .await;
    browser.wait_for_text("#wiring", "not yet").await;
    browser.click("#connect").await;
    browser.wait_for_text("#wiring", "connected").await;
    assert_eq!(browser.text("#wiring").await, "connected");

    browser.select("#destination", "+46700009900").await;
    browser.click("#send-button").await;
    browser.wait_for_text("#timeline", "FAILED").await;
    browser.wait_for_text("#timeline", "112404").await;
    browser
        .screenshot(&format!("playground-message-{}", backend.name()))
        .await;

    browser
        .open(&format!("/console/playground?source={source}"))
        .await;
    // The 9900 message's reports reached the inbox.
    browser.wait_for_text("#inbox", "112404").await;
    browser.select("#reply-kind", "button").await;
    browser.fill("#reply-text", " please").await;
    browser.click("#reply-button").await;
    browser.wait_for_text("#replied", "wamid.").await;
    // The incoming message arrives while the page is open (live).
    browser.wait_for_text("#inbox", "BUTTON Hi! please").await;
    browser
        .screenshot(&format!("playground-{}", backend.name()))
        .await;

    browser.as_a_phone().await;
    browser.client.refresh().await.expect("reloading the page");
    browser.wait_for_text("#inbox", "BUTTON Hi! please").await;
    browser
        .assert_fits_the_phone(&format!("playground-phone-{}", backend.name()))
        .await;
    browser.close().await;
}
