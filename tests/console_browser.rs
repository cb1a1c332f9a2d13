//! The console in a real headless Chromium (WebDriver): sign in, pause a
//! gate and see its callbacks wait, resume it and see them arrive,
//! redeliver one and see the new try; follow a source from the list to its
//! page and see Meta's refusal there, on a desktop and a phone's screen;
//! the overview's charts on a laptop and a phone. Screenshots of each page are saved under `target/console-screenshots/`.

mod common;

use std::time::Duration;

use common::browser::Browser;
use common::console::{Console, latest};
use common::gate::Gate;
use common::{Backend, QUICK_REPORTS, hello_world, request, spawn_app_with};
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
    // A gate whose id is as long as ids go (64) and wide: its page must
    // still fit a phone (the id wraps in the heading).
    let long_gate = format!("phone-{}", "W".repeat(58));
    app.add_gate(&tenant, &long_gate, &gate.url, json!({}))
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
        .send_reported(
            &tenant,
            "web-sink",
            "+46701234567",
            json!({"refId": "web-order-7"}),
        )
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

    // Find the message by its refId and follow its journey; the page is
    // live: a callback queued after it opened shows up without a reload.
    browser.open("/console/messages").await;
    browser
        .fill("#search input[name=refId]", "web-order-7")
        .await;
    browser.click("#find").await;
    browser.wait_for_text("#messages", "web-order-7").await;
    browser
        .screenshot(&format!("messages-{}", backend.name()))
        .await;
    browser.click("#messages a.message").await;
    browser.wait_for_text("#state-0", "READ").await;
    browser.wait_for_text("#ref-id", "web-order-7").await;
    let callbacks = "#callbacks tbody tr";
    assert_eq!(count(&browser, callbacks).await, 5);
    let (status, answer) = app
        .admin_post(
            &format!("/gates/web-sink/deliveries/{first}/redeliver"),
            json!({}),
        )
        .await;
    assert_eq!(status, 202, "{answer}");
    common::poll(
        std::time::Duration::from_secs(60),
        "the live page to show the sixth callback",
        || async {
            match count(&browser, callbacks).await {
                6 => Ok(()),
                other => Err(format!("{other} rows")),
            }
        },
    )
    .await;
    browser
        .screenshot(&format!("message-{}", backend.name()))
        .await;

    // The same pages on a phone's screen fit its width (tables and the
    // Cloud API bodies scroll inside their own boxes, long ids wrap). A
    // message id is random and some are wider than others: the message
    // page is checked with its id made of the widest letter, so that a
    // heading that cannot wrap fails every run, not one in many.
    browser.as_a_phone().await;
    let unknown = "W".repeat(48);
    let pages = [
        (
            "messages",
            "/console/messages?refId=web-order-7".to_owned(),
            "#messages",
            "web-order-7".to_owned(),
            None,
        ),
        (
            "message",
            format!("/console/messages/{id}"),
            "#state-0",
            "READ".to_owned(),
            Some("#message-id"),
        ),
        (
            "gates",
            "/console/gates".to_owned(),
            "main",
            "web-sink".to_owned(),
            None,
        ),
        (
            "gate",
            "/console/gates/web-sink".to_owned(),
            "#pause-state",
            "flowing".to_owned(),
            None,
        ),
        (
            "gate-long-id",
            format!("/console/gates/{long_gate}"),
            "#gate-id",
            long_gate.clone(),
            None,
        ),
        (
            "message-unknown",
            format!("/console/messages/{unknown}"),
            "#error",
            unknown.clone(),
            None,
        ),
    ];
    for (name, path, ready, text, widest) in pages {
        browser.open(&path).await;
        browser.wait_for_text(ready, &text).await;
        if let Some(css) = widest {
            browser.widest_text(css).await;
        }
        browser
            .assert_fits_the_phone(&format!("{name}-phone-{}", backend.name()))
            .await;
    }
    browser.close().await;
}

async fn count(browser: &Browser, css: &str) -> usize {
    browser
        .client
        .find_all(fantoccini::Locator::Css(css))
        .await
        .expect("elements")
        .len()
}

on_backends!(an_operator_follows_a_source_to_its_outbox_and_meta_s_refusals);
async fn an_operator_follows_a_source_to_its_outbox_and_meta_s_refusals(backend: Backend) {
    let app = spawn_app_with(backend, QUICK_REPORTS).await;
    let Some(browser) = Browser::start(&app.base, "console_browser_sources").await else {
        return;
    };
    let tenant = app.tenant("websrc", "+46700000961").await;
    // The sandbox refuses a destination ending 9903 (Meta's error 100).
    let (status, answer) = app
        .send(&tenant, &request(&tenant, &["+46701239903"], hello_world()))
        .await;
    assert_eq!(status, 200, "{answer}");
    let refused = answer["messageIds"][0].as_str().expect("id").to_owned();
    app.status_when(&tenant, &refused, "the refusal", |part| {
        part["state"] == "FAILED"
    })
    .await;

    browser.sign_in().await;
    browser.click("nav a[href='/console/sources']").await;
    browser.wait_for_text("#sources", "+46700000961").await;
    browser
        .screenshot(&format!("sources-{}", backend.name()))
        .await;
    // (The sandbox's demo number is listed too.)
    browser
        .client
        .find(fantoccini::Locator::LinkText("+46700000961"))
        .await
        .expect("the source's link")
        .click()
        .await
        .expect("following it");
    browser
        .wait_for_text("#source-number", "+46700000961")
        .await;
    browser.wait_for_text("#failures", &refused).await;
    assert_eq!(browser.text("#failures td.meta-code").await, "100");
    assert_eq!(browser.text("#outbox-high td.parts").await, "0");
    browser
        .screenshot(&format!("source-{}", backend.name()))
        .await;

    // On a phone's screen the page fits its width (tables scroll inside).
    browser.as_a_phone().await;
    browser.client.refresh().await.expect("reloading the page");
    browser
        .wait_for_text("#source-number", "+46700000961")
        .await;
    browser
        .assert_fits_the_phone(&format!("source-phone-{}", backend.name()))
        .await;
    browser.close().await;
}

on_backends!(the_overview_draws_its_charts_on_a_laptop_and_a_phone);
async fn the_overview_draws_its_charts_on_a_laptop_and_a_phone(backend: Backend) {
    let mut args = QUICK_REPORTS.to_vec();
    args.extend([
        "--console-sample-interval",
        "200ms",
        "--console-chart-points",
        "60",
        // The backlogs move in the screenshot too.
        "--metrics-gauge-ttl",
        "200ms",
    ]);
    let app = spawn_app_with(backend, &args).await;
    let Some(browser) = Browser::start(&app.base, "console_browser_charts").await else {
        return;
    };
    let tenant = app.tenant("web", "+46700000961").await;
    let gate = Gate::start().await;
    app.add_gate(&tenant, "charts", &gate.url, json!({})).await;
    browser.sign_in().await;

    // Bursts of one to four messages, until the charts have seen a while
    // of traffic and its delivery reports.
    let mut console = Console::of(&app);
    console.sign_in().await;
    let mut round = 0;
    common::poll(
        Duration::from_secs(60),
        "the charts to show traffic",
        || {
            round += 1;
            let (app, console, tenant) = (&app, &console, &tenant);
            let burst = round % 4 + 1;
            async move {
                for _ in 0..burst {
                    app.send_reported(tenant, "charts", "+46701234567", json!({}))
                        .await;
                }
                let html = console.page("/console").await;
                if latest(&html, "dlr").is_some() && round >= 15 {
                    Ok(())
                } else {
                    Err(format!("round {round}"))
                }
            }
        },
    )
    .await;

    browser.open("/console").await;
    assert_eq!(count(&browser, "svg.chart").await, 4);
    // A line each for the rates and the latency, two for the backlogs.
    assert_eq!(count(&browser, "svg.chart path.line").await, 5);
    browser
        .wait_for_text("#chart-accept figcaption", "/s")
        .await;
    browser
        .screenshot(&format!("overview-charts-{}", backend.name()))
        .await;

    // On a phone the charts fit the width: nothing scrolls sideways.
    browser.as_a_phone().await;
    browser.open("/console").await;
    browser
        .assert_fits_the_phone(&format!("overview-phone-{}", backend.name()))
        .await;
    browser.close().await;
}
