//! The console's sandbox playground over HTTP: connecting a number to the
//! sandbox's inbox (through the admin API's gate and route code), a send
//! through the LINK API's acceptance whose reports reach the inbox, the
//! simulated user's text, image and button replies arriving there as
//! LINK incoming messages, the form checks, and the inbox's bound.

mod common;

use common::console::Console;
use common::{ADMIN_TOKEN, Backend, QUICK_REPORTS, UNREACHABLE_META, spawn_app_with};
use serde_json::Value;

/// Where an action's answer sends the browser.
fn location(answer: &reqwest::Response) -> String {
    answer
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

on_backends!(a_send_and_replies_from_the_playground_reach_the_inbox);
async fn a_send_and_replies_from_the_playground_reach_the_inbox(backend: Backend) {
    let app = spawn_app_with(backend, QUICK_REPORTS).await;
    let tenant = app.tenant("play", "+46700000970").await;
    let source = app.source_id(&tenant.source).await;
    let mut console = Console::of(&app);
    console.sign_in().await;
    let overview = console.page("/console").await;
    assert!(
        overview.contains(r#"id="try-the-playground""#),
        "{overview}"
    );
    let page_path = format!("/console/playground?source={source}");
    let page = console.page(&page_path).await;
    assert!(page.contains(">not yet<"), "{page}");
    let csrf = console.csrf(&page_path).await;

    // Connecting creates the gate (at the inbox) and the default route,
    // as the admin API would.
    let answer = console
        .post(
            "/console/playground/connect",
            &[("csrf", &csrf), ("source", &source)],
            &[],
        )
        .await;
    assert_eq!(answer.status(), 303);
    let (account_id, gate) = {
        let (_, gates) = app.admin(reqwest::Method::GET, "/gates", None).await;
        let gate = gates
            .as_array()
            .and_then(|gates| {
                gates.iter().find(|gate| {
                    gate["id"]
                        .as_str()
                        .is_some_and(|id| id.starts_with("playground-"))
                        && gate["platformId"] == tenant.platform_id.as_str()
                })
            })
            .cloned()
            .unwrap_or_else(|| panic!("a playground gate in {gates}"));
        (gate["id"].as_str().unwrap_or_default().to_owned(), gate)
    };
    assert_eq!(gate["url"], format!("{}/sandbox/v1/inbox", app.base));
    let (_, routes) = app.admin(reqwest::Method::GET, "/routes", None).await;
    assert!(
        routes
            .as_array()
            .is_some_and(|routes| routes.iter().any(|route| {
                route["number"] == tenant.source.as_str()
                    && route["gateIds"][0] == account_id.as_str()
            })),
        "a default route to the playground gate: {routes}"
    );
    assert!(console.page(&page_path).await.contains(">connected<"));

    // A send to 9900: LINK's acceptance, then FAILED 112404 in the inbox.
    let answer = console
        .post(
            "/console/playground/send",
            &[
                ("csrf", &csrf),
                ("source", &source),
                ("destination", "+46700009900"),
                ("kind", "template"),
                ("ref_id", "play-9900"),
            ],
            &[],
        )
        .await;
    assert_eq!(answer.status(), 303);
    let message_page = location(&answer);
    let message_id = message_page
        .strip_prefix("/console/messages/")
        .unwrap_or_else(|| panic!("to the message's page, not {message_page}"))
        .to_owned();
    let report = app
        .inbox_when("the 9900 message's failure report", |body| {
            body["messageId"] == message_id.as_str() && body["resultCode"] == 112404
        })
        .await;
    assert_eq!(report["refId"], "play-9900");
    let journey = console.page(&message_page).await;
    assert!(journey.contains("FAILED"), "{journey}");

    // Replies of each kind arrive as LINK incoming messages.
    for (kind, content_type, text) in [
        ("text", "TEXT", "hi there"),
        ("button", "BUTTON", "Yes"),
        ("image", "MEDIA", "a cat"),
    ] {
        let answer = console
            .post(
                "/console/playground/reply",
                &[
                    ("csrf", &csrf),
                    ("source", &source),
                    ("from", "+46701234567"),
                    ("kind", kind),
                    ("text", text),
                ],
                &[],
            )
            .await;
        assert_eq!(answer.status(), 303, "{kind}");
        assert!(
            location(&answer).contains("replied=wamid."),
            "{}",
            location(&answer)
        );
        let incoming = app
            .inbox_when(&format!("the {kind} reply"), |body| {
                body["content"]["message"]["contentType"] == content_type
            })
            .await;
        assert_eq!(incoming["source"], "+46701234567", "{incoming}");
        assert_eq!(
            incoming["destination"],
            tenant.source.as_str(),
            "{incoming}"
        );
        assert!(incoming.to_string().contains(text), "{kind}: {incoming}");
    }
    let page = console.page(&page_path).await;
    assert!(page.contains("incoming message"), "the inbox is shown");
}

on_backends!(playground_actions_check_the_session_s_token_and_their_input);
async fn playground_actions_check_the_session_s_token_and_their_input(backend: Backend) {
    let app = spawn_app_with(backend, QUICK_REPORTS).await;
    let tenant = app.tenant("form", "+46700000971").await;
    let source = app.source_id(&tenant.source).await;
    let mut console = Console::of(&app);
    assert_eq!(
        console.get("/console/playground").await.status(),
        303,
        "no page without the session"
    );
    let root = console.get("/").await;
    assert_eq!(
        (root.status().as_u16(), location(&root).as_str()),
        (303, "/console")
    );
    console.sign_in().await;
    let csrf = console.csrf("/console/playground").await;

    let answer = console
        .post(
            "/console/playground/send",
            &[("source", &source), ("destination", "+46700009900")],
            &[],
        )
        .await;
    assert_eq!(answer.status(), 403, "no CSRF token");

    // LINK's own checks: a destination that is no number is 112506.
    let answer = console
        .post(
            "/console/playground/send",
            &[
                ("csrf", &csrf),
                ("source", &source),
                ("other", "<b>nope</b>"),
                ("kind", "text"),
                ("text", "x"),
            ],
            &[],
        )
        .await;
    assert_eq!(answer.status(), 400);
    let page = answer.text().await.expect("HTML");
    assert!(page.contains("112506"), "{page}");
    assert!(page.contains("destinations"), "names the field: {page}");
    assert!(!page.contains("<b>nope"), "escaped: {page}");

    // The sandbox's own checks: a sender that is no phone number.
    let answer = console
        .post(
            "/console/playground/reply",
            &[
                ("csrf", &csrf),
                ("source", &source),
                ("from", "someone"),
                ("kind", "text"),
                ("text", "hi"),
            ],
            &[],
        )
        .await;
    assert_eq!(answer.status(), 400);
    assert!(answer.text().await.expect("HTML").contains("from"));

    let answer = console
        .post(
            "/console/playground/send",
            &[("csrf", &csrf), ("source", "no-such-source")],
            &[],
        )
        .await;
    assert_eq!(answer.status(), 400);
}

on_backends!(the_inbox_keeps_the_last_callbacks_and_shows_them_to_the_admin_only);
async fn the_inbox_keeps_the_last_callbacks_and_shows_them_to_the_admin_only(backend: Backend) {
    let app = spawn_app_with(backend, &["--sandbox-inbox-limit", "2"]).await;
    for n in 1..=3 {
        let answer = app
            .client
            .post(format!("{}/sandbox/v1/inbox", app.base))
            .json(&serde_json::json!({"n": n}))
            .send()
            .await
            .expect("POST /sandbox/v1/inbox");
        assert_eq!(answer.status(), 200);
    }
    let (status, answer) = app.inbox_since(0, Some(ADMIN_TOKEN)).await;
    assert_eq!(status, 200);
    let kept: Vec<(u64, Value)> = answer["callbacks"]
        .as_array()
        .map(|callbacks| {
            callbacks
                .iter()
                .map(|c| (c["seq"].as_u64().unwrap_or(0), c["body"]["n"].clone()))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(kept, [(2, 2.into()), (3, 3.into())]);
    let (status, answer) = app.inbox_since(2, Some(ADMIN_TOKEN)).await;
    assert_eq!(
        (status, answer["callbacks"].as_array().map(Vec::len)),
        (200, Some(1))
    );
    assert_eq!(app.inbox_since(0, None).await.0, 401);
    assert_eq!(app.inbox_since(0, Some("wrong")).await.0, 401);

    let too_big = app
        .client
        .post(format!("{}/sandbox/v1/inbox", app.base))
        .body(vec![b'x'; 64 * 1024 + 1])
        .send()
        .await
        .expect("POST /sandbox/v1/inbox");
    assert_eq!(too_big.status(), 413);

    // Any JSON is kept as it came, and the answer fits its documented schema.
    for body in ["[null, 1]", "not json"] {
        let answer = app
            .client
            .post(format!("{}/sandbox/v1/inbox", app.base))
            .body(body)
            .send()
            .await
            .expect("POST /sandbox/v1/inbox");
        assert_eq!(answer.status(), 200);
    }
    let (_, all) = app.inbox_since(0, Some(ADMIN_TOKEN)).await;
    let document = common::openapi::document();
    let schema = common::openapi::response_schema(
        &document,
        "/sandbox/v1/inbox",
        "get",
        200,
        "application/json",
    );
    common::openapi::assert_fits(&document, &schema, &all, "GET /sandbox/v1/inbox");
    assert_eq!(
        all["callbacks"][0]["body"],
        serde_json::json!([null, 1]),
        "{all}"
    );
    assert_eq!(all["callbacks"][1]["body"], "not json", "{all}");
}

on_backends!(without_the_sandbox_there_is_no_playground);
async fn without_the_sandbox_there_is_no_playground(backend: Backend) {
    let app = spawn_app_with(backend, UNREACHABLE_META).await;
    let mut console = Console::of(&app);
    console.sign_in().await;
    let page = console.page("/console/playground").await;
    assert!(page.contains("id=\"no-sandbox\""), "{page}");
    assert!(
        !console
            .page("/console")
            .await
            .contains("try-the-playground")
    );
    let csrf = console.csrf("/console").await;
    let answer = console
        .post(
            "/console/playground/send",
            &[("csrf", &csrf), ("source", "x")],
            &[],
        )
        .await;
    assert_eq!(answer.status(), 404);
    let answer = app
        .client
        .post(format!("{}/sandbox/v1/inbox", app.base))
        .body("{}")
        .send()
        .await
        .expect("POST /sandbox/v1/inbox");
    assert_eq!(answer.status(), 404);
}
