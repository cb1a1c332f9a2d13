//! The operator console over HTTP: nothing without a session, the session
//! cookie's flags, CSRF refused, user-supplied text escaped, its actions
//! doing what the admin API does (pause, resume, redeliver), the sources
//! pages' figures, the overview's charts following the metrics, and
//! sign-ins throttled.

mod common;

use std::time::Duration;

use common::console::{Console, latest};
use common::gate::Gate;
use common::{
    Backend, QUICK_REPORTS, Tenant, TestApp, hello_world, poll, request, spawn_app, spawn_app_with,
};
use serde_json::{Value, json};

const PAGES: [&str; 9] = [
    "/console",
    "/console/gates",
    "/console/gates/g1",
    "/console/messages",
    "/console/messages/m1",
    "/console/sources",
    "/console/sources/s1",
    "/console/playground",
    "/console/playground/inbox/live",
];
const ACTIONS: [&str; 7] = [
    "/console/logout",
    "/console/playground/connect",
    "/console/playground/send",
    "/console/playground/reply",
    "/console/gates/g1/pause",
    "/console/gates/g1/resume",
    "/console/gates/g1/deliveries/1/redeliver",
];

async fn paused(app: &common::TestApp, gate_id: &str) -> bool {
    let (status, pause) = app
        .admin(
            reqwest::Method::GET,
            &format!("/gates/{gate_id}/pause"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{pause}");
    pause["paused"] == true
}

on_backends!(no_page_or_action_without_a_session);
async fn no_page_or_action_without_a_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let tenant = app.tenant("c", "+46700000950").await;
    app.add_gate(&tenant, "g1", "http://127.0.0.1:9/x", json!({}))
        .await;
    let mut console = Console::of(&app);
    for cookie in [
        None,
        // A cookie the gateway did not sign, or whose signature was changed.
        Some("wagate_console=4102444800000".to_owned()),
        Some(
            "wagate_console=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D4102444800000".to_owned(),
        ),
    ] {
        console.cookie = cookie;
        for page in PAGES {
            let answer = console.get(page).await;
            assert_eq!(answer.status(), 303, "{page}");
            assert_eq!(answer.headers()["location"], "/console/login", "{page}");
        }
        for action in ACTIONS {
            let answer = console.post(action, &[("csrf", "x")], &[]).await;
            assert_eq!(answer.status(), 303, "{action}");
        }
    }
    assert!(!paused(&app, "g1").await, "no action took effect");
    // The login page itself is open, and a wrong token gets no session.
    assert_eq!(console.get("/console/login").await.status(), 200);
    console.cookie = None;
    let answer = console.sign_in_with("not-the-token").await;
    assert_eq!(answer.status(), 401);
    assert!(console.cookie.is_none(), "no cookie for a wrong token");
}

on_backends!(the_session_cookie_is_secure_http_only_and_same_site);
async fn the_session_cookie_is_secure_http_only_and_same_site(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut console = Console::of(&app);
    let answer = console.sign_in_with(common::ADMIN_TOKEN).await;
    assert_eq!(answer.status(), 303);
    assert_eq!(answer.headers()["location"], "/console");
    let cookie = answer.headers()["set-cookie"]
        .to_str()
        .expect("a cookie")
        .to_owned();
    let attributes: Vec<String> = cookie
        .split(';')
        .skip(1)
        .map(|attribute| attribute.trim().to_ascii_lowercase())
        .collect();
    for wanted in ["httponly", "secure", "samesite=strict", "path=/console"] {
        assert!(
            attributes.iter().any(|attribute| attribute == wanted),
            "{wanted} missing: {cookie}"
        );
    }
    // The session opens the pages; signing out ends it in the browser.
    let html = console.page("/console").await;
    assert!(html.contains("Overview"), "{html}");
    let csrf = console.csrf("/console").await;
    let answer = console
        .post("/console/logout", &[("csrf", &csrf)], &[])
        .await;
    assert_eq!(answer.status(), 303);
    let cleared = answer.headers()["set-cookie"].to_str().expect("a cookie");
    assert!(
        cleared.starts_with("wagate_console=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
}

on_backends!(an_action_without_the_session_s_csrf_token_or_from_another_site_is_refused);
async fn an_action_without_the_session_s_csrf_token_or_from_another_site_is_refused(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let tenant = app.tenant("c", "+46700000951").await;
    app.add_gate(&tenant, "g1", "http://127.0.0.1:9/x", json!({}))
        .await;
    let mut console = Console::of(&app);
    console.sign_in().await;
    let csrf = console.csrf("/console/gates/g1").await;
    // Another session's token is not this one's.
    let mut other = Console::of(&app);
    other.sign_in().await;
    let mut tampered = csrf.clone();
    tampered.replace_range(0..1, if csrf.starts_with('0') { "1" } else { "0" });
    for (fields, headers) in [
        (vec![], vec![]),
        (vec![("csrf", "")], vec![]),
        (vec![("csrf", tampered.as_str())], vec![]),
        (
            vec![("csrf", csrf.as_str())],
            vec![("origin", "http://evil.example")],
        ),
    ] {
        let answer = console
            .post("/console/gates/g1/pause", &fields, &headers)
            .await;
        assert_eq!(answer.status(), 403, "{fields:?} {headers:?}");
        let html = answer.text().await.expect("HTML");
        assert!(html.contains("reload the page"), "{html}");
    }
    assert!(!paused(&app, "g1").await, "no refused action took effect");
    let answer = console
        .post("/console/gates/g1/pause", &[("csrf", &csrf)], &[])
        .await;
    assert_eq!(answer.status(), 303);
    assert!(paused(&app, "g1").await);
    let html = console.page("/console/gates/g1").await;
    assert!(html.contains(r#"id="pause-state">paused"#), "{html}");
    let answer = console
        .post("/console/gates/g1/resume", &[("csrf", &csrf)], &[])
        .await;
    assert_eq!(answer.status(), 303);
    assert!(!paused(&app, "g1").await);
}

/// Whether `html` shows `text` escaped, in named or numeric entities.
fn shows_escaped(html: &str, text: &str) -> bool {
    let entities = |table: [(&str, &str); 5]| {
        table
            .iter()
            .fold(text.replace('&', "\u{0}"), |text, (from, to)| {
                text.replace(from, to)
            })
            .replace('\u{0}', table[0].1)
    };
    [
        entities([
            ("&", "&amp;"),
            ("<", "&lt;"),
            (">", "&gt;"),
            ("\"", "&quot;"),
            ("'", "&#39;"),
        ]),
        entities([
            ("&", "&#38;"),
            ("<", "&#60;"),
            (">", "&#62;"),
            ("\"", "&#34;"),
            ("'", "&#39;"),
        ]),
    ]
    .iter()
    .any(|escaped| html.contains(escaped.as_str()))
}

on_backends!(user_supplied_text_is_escaped);
async fn user_supplied_text_is_escaped(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, answer) = app
        .admin_post(
            "/accounts",
            json!({"platformId": "p<script>", "platformPartnerId": "q",
                   "name": "<script>alert(1)</script>"}),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    let (status, answer) = app
        .admin_post(
            "/gates",
            json!({"platformId": "p<script>", "platformPartnerId": "q",
                   "id": "g1", "url": "http://127.0.0.1:9/?a=<b>&c=\"d\""}),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    let mut console = Console::of(&app);
    console.sign_in().await;
    let html = console.page("/console/gates").await;
    assert!(!html.contains("<script>"), "{html}");
    assert!(shows_escaped(&html, "<script>alert(1)</script>"), "{html}");
    assert!(!html.contains("<b>"), "{html}");
    let html = console.page("/console/gates/g1").await;
    assert!(!html.contains("<b>"), "{html}");
    assert!(shows_escaped(&html, "a=<b>&c=\"d\""), "{html}");
}

on_backends!(redeliver_in_the_console_queues_a_new_try_as_the_admin_api_does);
async fn redeliver_in_the_console_queues_a_new_try_as_the_admin_api_does(backend: Backend) {
    let app = spawn_app_with(backend, QUICK_REPORTS).await;
    let tenant = app.tenant("c", "+46700000952").await;
    let gate = Gate::start().await;
    app.add_gate(&tenant, "sink", &gate.url, json!({})).await;
    let id = app
        .send_reported(&tenant, "sink", "+46701234567", json!({}))
        .await;
    gate.reports_for(&id, 4).await;
    let delivered = app.all_delivered("sink", 4).await;
    let first = delivered
        .last()
        .and_then(|delivery| delivery["id"].as_i64())
        .expect("the oldest callback's id");

    let mut console = Console::of(&app);
    console.sign_in().await;
    let page = console.page("/console/gates/sink").await;
    assert!(
        page.contains(&format!(r#"id="delivery-{first}""#)),
        "{page}"
    );
    let csrf = console.csrf("/console/gates/sink").await;
    let answer = console
        .post(
            &format!("/console/gates/sink/deliveries/{first}/redeliver"),
            &[("csrf", &csrf)],
            &[],
        )
        .await;
    assert_eq!(answer.status(), 303);
    assert_eq!(answer.headers()["location"], "/console/gates/sink");
    // The copy is queued and delivered: five callbacks, the gate got the
    // first report twice.
    app.all_delivered("sink", 5).await;
    let page = console.page("/console/gates/sink").await;
    assert_eq!(page.matches(r#"<tr id="delivery-"#).count(), 5, "{page}");
    // A callback the gate does not have is the admin API's 404.
    let answer = console
        .post(
            "/console/gates/sink/deliveries/999999/redeliver",
            &[("csrf", &csrf)],
            &[],
        )
        .await;
    assert_eq!(answer.status(), 404);
}

on_backends!(without_an_admin_token_there_is_no_console);
async fn without_an_admin_token_there_is_no_console(backend: Backend) {
    let app = spawn_app_with(backend, &["--admin-token", ""]).await;
    let console = Console::of(&app);
    assert_eq!(console.get("/console/login").await.status(), 404);
    assert_eq!(console.get("/console").await.status(), 404);
}

on_backends!(a_message_is_found_by_ref_id_and_its_journey_shown_escaped);
async fn a_message_is_found_by_ref_id_and_its_journey_shown_escaped(backend: Backend) {
    let app = spawn_app_with(backend, QUICK_REPORTS).await;
    let tenant = app.tenant("c", "+46700000953").await;
    let gate = Gate::start().await;
    app.add_gate(&tenant, "journey", &gate.url, json!({})).await;
    let ref_id = "<script>alert('ref')</script>";
    // Its content kept, so the page shows the Cloud API body.
    let id = app
        .send_reported(
            &tenant,
            "journey",
            "+46701234567",
            json!({"refId": ref_id,
                   "customParameters": {"ott.whatsapp.logMessageContent": "true"}}),
        )
        .await;
    // Another message, which the search must leave out.
    app.send_reported(
        &tenant,
        "journey",
        "+46701234568",
        json!({"refId": "other"}),
    )
    .await;
    gate.reports_for(&id, 4).await;
    app.all_delivered("journey", 8).await;

    let mut console = Console::of(&app);
    console.sign_in().await;
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("refId", ref_id)
        .finish();
    let html = console.page(&format!("/console/messages?{query}")).await;
    assert!(!html.contains(ref_id), "{html}");
    assert!(shows_escaped(&html, ref_id), "{html}");
    assert_eq!(html.matches(r#"class="message""#).count(), 1, "{html}");
    assert!(html.contains(&format!("/console/messages/{id}")), "{html}");
    // By destination, with or without its `+`.
    for destination in ["46701234568", "%2B46701234568"] {
        let html = console
            .page(&format!("/console/messages?destination={destination}"))
            .await;
        assert_eq!(html.matches(r#"class="message""#).count(), 1, "{html}");
        assert!(!html.contains(&format!("/console/messages/{id}")), "{html}");
    }

    let html = console.page(&format!("/console/messages/{id}")).await;
    // (The page has a script of its own: the raw refId must not be there.)
    assert!(!html.contains(ref_id), "{html}");
    assert!(shows_escaped(&html, ref_id), "{html}");
    assert!(html.contains(r#"id="state-0">READ"#), "{html}");
    for state in ["QUEUED", "SENT", "DELIVERED", "READ"] {
        assert!(
            html.contains(&format!("<td>{state}</td>")),
            "{state}: {html}"
        );
    }
    assert!(html.contains("cloud-body"), "the Cloud API body: {html}");
    assert!(html.contains("hello_world"), "the Cloud API body: {html}");
    assert_eq!(
        html.matches("HTTP 200").count(),
        4,
        "each callback's try: {html}"
    );

    // A wrong field is a 400 that names it; an unknown message a 404.
    let answer = console.get("/console/messages?since=yesterday").await;
    assert_eq!(answer.status(), 400);
    assert!(answer.text().await.expect("HTML").contains("since"));
    assert_eq!(
        console
            .get("/console/messages/nothing-like-it")
            .await
            .status(),
        404
    );
}

on_backends!(sign_ins_with_a_wrong_token_are_throttled_per_address);
async fn sign_ins_with_a_wrong_token_are_throttled_per_address(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            "--login-failures-per-user",
            "3",
            "--login-failure-window",
            "1h",
        ],
    )
    .await;
    let mut console = Console::of(&app);
    for _ in 0..3 {
        assert_eq!(console.sign_in_with("wrong").await.status(), 401);
    }
    // Over the limit: even the right token is refused from this address.
    let answer = console.sign_in_with(common::ADMIN_TOKEN).await;
    assert_eq!(answer.status(), 401);
    // The admin API's bearer token is not the sign-in: it still works.
    let (status, _) = app.admin(reqwest::Method::GET, "/accounts", None).await;
    assert_eq!(status, 200);
}

/// Sends `hello_world` from `tenant` to `destination` with `extra` fields;
/// returns its messageId.
async fn send_one(app: &TestApp, tenant: &Tenant, destination: &str, extra: Value) -> String {
    let mut body = request(tenant, &[destination], hello_world());
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let (status, answer) = app.send(tenant, &body).await;
    assert_eq!(status, 200, "{answer}");
    answer["messageIds"][0]
        .as_str()
        .expect("a messageId")
        .to_owned()
}

/// The row `id` of a page.
fn row<'a>(html: &'a str, id: &str) -> &'a str {
    let (_, rest) = html
        .split_once(&format!(r#"<tr id="{id}">"#))
        .unwrap_or_else(|| panic!("no row {id}: {html}"));
    rest.split("</tr>").next().unwrap_or_default()
}

/// The text of the cell `class` in the row `id` of a page.
fn cell<'a>(html: &'a str, id: &str, class: &str) -> &'a str {
    let row = row(html, id);
    let (_, rest) = row
        .split_once(&format!(r#"class="{class}">"#))
        .unwrap_or_else(|| panic!("no {class} in {id}: {row}"));
    rest.split('<').next().unwrap_or_default()
}

on_backends!(a_sources_page_shows_what_waits_per_priority_and_the_oldest_due_message);
async fn a_sources_page_shows_what_waits_per_priority_and_the_oldest_due_message(backend: Backend) {
    let app = spawn_app_with(backend, QUICK_REPORTS).await;
    let tenant = app.tenant("srcs", "+46700000954").await;
    // Another tenant's number, with a name to escape and its own throughput.
    let name = "<script>alert('tenant')</script>";
    app.tenant_with_account(
        "other",
        "+46700000955",
        json!({"name": name}),
        json!({"throughput": 5}),
    )
    .await;
    let id = app.source_id("+46700000954").await;
    let other_id = app.source_id("+46700000955").await;

    // The number is worked off elsewhere: its work stays in the outbox.
    let held = app.database().hold_number(&tenant.source).await;
    let high_first = send_one(&app, &tenant, "+46701230001", json!({"priority": "HIGH"})).await;
    // A later due time for the next HIGH message (its acceptance time).
    let accepted_by = wagate::clock::now_millis() + 2;
    common::eventually(
        std::time::Duration::from_secs(5),
        "the clock to move on",
        || async { wagate::clock::now_millis() > accepted_by },
    )
    .await;
    let low = send_one(&app, &tenant, "+46701230002", json!({"priority": "LOW"})).await;
    let high_second = send_one(&app, &tenant, "+46701230003", json!({"priority": "HIGH"})).await;

    let mut console = Console::of(&app);
    console.sign_in().await;
    let html = console.page("/console").await;
    assert!(
        html.contains(r#"href="/console/sources""#),
        "in the nav: {html}"
    );

    let html = console.page("/console/sources").await;
    assert!(
        html.contains(&format!(r#"href="/console/sources/{id}""#)),
        "{html}"
    );
    assert!(
        html.contains(&format!(r#"href="/console/sources/{other_id}""#)),
        "another tenant's number: {html}"
    );
    assert!(!html.contains(name), "{html}");
    assert!(shows_escaped(&html, name), "{html}");
    assert!(
        html.contains("5 msg/s"),
        "the configured throughput: {html}"
    );
    assert!(html.contains("80 msg/s"), "STANDARD's default: {html}");
    assert!(shows_escaped(&html, "STANDARD's default"), "{html}");

    let html = console.page(&format!("/console/sources/{id}")).await;
    assert!(html.contains(r#"id="throughput">80 msg/s"#), "{html}");
    assert_eq!(cell(&html, "outbox-high", "parts"), "2", "{html}");
    assert_eq!(cell(&html, "outbox-normal", "parts"), "0", "{html}");
    assert_eq!(cell(&html, "outbox-low", "parts"), "1", "{html}");
    let high = row(&html, "outbox-high");
    assert!(
        high.contains(&format!(r#"href="/console/messages/{high_first}""#)),
        "the oldest due HIGH message: {high}"
    );
    assert!(!high.contains(&high_second), "{high}");
    assert!(
        row(&html, "outbox-low").contains(&format!(r#"href="/console/messages/{low}""#)),
        "{html}"
    );
    let html = console.page(&format!("/console/sources/{other_id}")).await;
    assert!(!html.contains(name), "{html}");
    assert!(shows_escaped(&html, name), "{html}");
    assert!(html.contains(r#"id="throughput">5 msg/s"#), "{html}");

    // Released, the number sends it all: nothing waits, three submitted.
    drop(held);
    common::poll(
        std::time::Duration::from_secs(30),
        "the outbox to drain",
        || async {
            let html = console.page(&format!("/console/sources/{id}")).await;
            let parts: Vec<&str> = ["outbox-high", "outbox-normal", "outbox-low"]
                .iter()
                .map(|row| cell(&html, row, "parts"))
                .collect();
            if parts == ["0", "0", "0"] {
                Ok(html)
            } else {
                Err(format!("{parts:?}"))
            }
        },
    )
    .await;
    let html = console.page(&format!("/console/sources/{id}")).await;
    assert!(
        html.contains(r#"<div class="figure achieved">3</div>"#),
        "three submitted in the last minute: {html}"
    );
    assert_eq!(
        console
            .get("/console/sources/no-such-source")
            .await
            .status(),
        404
    );
}

on_backends!(a_sources_page_lists_the_parts_meta_refused_or_failed_with_meta_s_code);
async fn a_sources_page_lists_the_parts_meta_refused_or_failed_with_meta_s_code(backend: Backend) {
    let app = spawn_app_with(backend, QUICK_REPORTS).await;
    let tenant = app.tenant("refused", "+46700000956").await;
    let id = app.source_id("+46700000956").await;
    // The sandbox refuses 9903 outright (error 100), and reports 9900
    // failed (131026) after accepting it; the third goes well.
    let failed = |part: &Value| part["state"] == "FAILED";
    let refused = send_one(&app, &tenant, "+46701239903", json!({})).await;
    app.status_when(&tenant, &refused, "the refusal", failed)
        .await;
    let undeliverable = send_one(&app, &tenant, "+46701239900", json!({})).await;
    let fine = send_one(&app, &tenant, "+46701239904", json!({})).await;
    app.status_when(&tenant, &undeliverable, "the failed status", failed)
        .await;
    app.status_when(&tenant, &fine, "the part to be delivered", |part| {
        part["state"] == "DELIVERED"
    })
    .await;

    let mut console = Console::of(&app);
    console.sign_in().await;
    let html = console.page(&format!("/console/sources/{id}")).await;
    let (_, failures) = html
        .split_once(r#"<table id="failures">"#)
        .expect("the failures table");
    let rows: Vec<&str> = failures.split("<tr>").skip(2).collect();
    assert_eq!(rows.len(), 2, "{failures}");
    // Newest first: the failed status came after the refusal.
    for (row, (message, meta_code, result_code)) in rows.iter().zip([
        (&undeliverable, "131026", "112404"),
        (&refused, "100", "112403"),
    ]) {
        assert!(
            row.contains(&format!(r#"href="/console/messages/{message}""#)),
            "{row}"
        );
        assert!(
            row.contains(&format!(r#"<td class="meta-code">{meta_code}</td>"#)),
            "{row}"
        );
        assert!(row.contains(&format!("<td>{result_code}</td>")), "{row}");
    }
    assert!(!failures.contains(&fine), "{failures}");
}

on_backends!(the_overview_charts_rates_latency_and_backlogs_from_the_metrics);
async fn the_overview_charts_rates_latency_and_backlogs_from_the_metrics(backend: Backend) {
    let mut args = QUICK_REPORTS.to_vec();
    args.extend([
        "--console-sample-interval",
        "100ms",
        "--console-chart-points",
        "30",
    ]);
    let app = spawn_app_with(backend, &args).await;
    let tenant = app.tenant("c", "+46700000954").await;
    let gate = Gate::start().await;
    app.add_gate(&tenant, "charts", &gate.url, json!({})).await;
    let mut console = Console::of(&app);
    console.sign_in().await;
    let html = console.page("/console").await;
    for chart in ["accept", "submit", "dlr", "backlogs"] {
        assert!(html.contains(&format!(r#"id="chart-{chart}""#)), "{html}");
    }
    assert!(html.contains(r#"<svg class="chart""#), "{html}");
    assert!(!html.contains("charts-off"), "{html}");
    assert!(html.contains("Last 3s, a sample every 100ms"), "{html}");

    // While messages flow, each chart's latest interval has them.
    for (key, what) in [
        ("accept", "messages accepted"),
        ("submit", "parts submitted"),
    ] {
        let rate = poll(Duration::from_secs(30), what, || {
            let (app, console, tenant) = (&app, &console, &tenant);
            async move {
                app.send_reported(tenant, "charts", "+46701234567", json!({}))
                    .await;
                let html = console.page("/console").await;
                match latest(&html, key) {
                    Some(rate) if rate > 0.0 => Ok(rate),
                    other => Err(format!("{key}: {other:?}")),
                }
            }
        })
        .await;
        // A hundred a second would be far more than this loop sends.
        assert!(rate < 1000.0, "{key}: {rate}");
    }
    // Reports reach the gate: the latency has a value, and /metrics the
    // same histogram.
    let latency = poll(Duration::from_secs(30), "a DLR latency", || {
        let console = &console;
        async move {
            let html = console.page("/console").await;
            latest(&html, "dlr").ok_or_else(|| "none yet".to_owned())
        }
    })
    .await;
    assert!((0.0..30.0).contains(&latency), "{latency}");
    let metrics = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("text");
    let count = metrics
        .lines()
        .find_map(|line| line.strip_prefix("wagate_dlr_latency_seconds_count "))
        .and_then(|count| count.trim().parse::<u64>().ok())
        .expect("the DLR latency histogram");
    assert!(count > 0, "{metrics}");
    let html = console.page("/console").await;
    for key in ["outbox", "callbacks"] {
        assert!(latest(&html, key).is_some(), "{key}: {html}");
    }
}

on_backends!(without_metrics_the_overview_says_the_charts_are_off);
async fn without_metrics_the_overview_says_the_charts_are_off(backend: Backend) {
    let app = spawn_app_with(backend, &["--metrics", "false"]).await;
    let mut console = Console::of(&app);
    console.sign_in().await;
    let html = console.page("/console").await;
    assert!(html.contains(r#"id="charts-off""#), "{html}");
    assert!(html.contains("Charts are off"), "{html}");
    assert!(!html.contains("<svg"), "{html}");
    // The backlog cards are still there.
    assert!(html.contains(r#"id="callbacks-pending""#), "{html}");
}
