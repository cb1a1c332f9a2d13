//! Devino status callbacks to each message's own `callbackUrl`: the spec's
//! array shape with `options`, in order per message, through the same
//! durable queue, retries and address checks as gates (the URL's origin is
//! a gate of the tenant).

mod common;

use std::time::Duration;

use common::devino::ok_id;
use common::gate::{Callback, Gate};
use common::{Backend, Tenant, TestApp, poll, spawn_app_with};
use serde_json::{Value, json};

const FAST: &[&str] = &[
    "--sandbox-status-delay",
    "1ms",
    "--dispatch-poll",
    "20ms",
    "--callback-retry-schedule",
    "50ms,50ms,50ms,50ms,50ms,50ms,50ms,50ms",
];

/// Sends `content` from `tenant` to `to` with its statuses to `url`,
/// carrying `data`; returns the message id.
async fn send(
    app: &TestApp,
    tenant: &Tenant,
    to: &str,
    content: Value,
    url: &str,
    data: &str,
) -> String {
    let mut body =
        json!({"from": tenant.source, "to": to, "callbackUrl": url, "callbackData": data});
    if let (Some(body), Some(content)) = (body.as_object_mut(), content.as_object()) {
        body.extend(content.clone());
    }
    let (status, answer) = app.devino(tenant, "/messages", &body).await;
    assert_eq!(status, 200, "{answer}");
    ok_id(&answer["result"][0])
}

fn hello_world() -> Value {
    json!({"type": "template", "template": {"name": "hello_world", "language": {"code": "en_US"}}})
}

/// The statuses of message `id` the gate accepted, once `count` came.
async fn statuses(gate: &Gate, id: &str, count: usize) -> Vec<Callback> {
    let number: i64 = id.parse().expect("numeric id");
    poll(Duration::from_secs(30), "the Devino statuses", || async {
        let found: Vec<Callback> = gate
            .accepted()
            .into_iter()
            .filter(|callback| callback.body[0]["messageId"] == number)
            .collect();
        if found.len() >= count {
            Ok(found)
        } else {
            Err(format!("{found:#?}"))
        }
    })
    .await
}

fn words(callbacks: &[Callback]) -> Vec<(String, i64)> {
    callbacks
        .iter()
        .map(|callback| {
            let status = &callback.body[0];
            (
                status["status"].as_str().unwrap_or_default().to_owned(),
                status["errorCode"].as_i64().unwrap_or(-1),
            )
        })
        .collect()
}

on_backends!(statuses_reach_the_callback_url_in_order_with_the_callback_data);
async fn statuses_reach_the_callback_url_in_order_with_the_callback_data(backend: Backend) {
    let app = spawn_app_with(backend, FAST).await;
    let tenant = app.tenant("dv", "+46700000001").await;
    let gate = Gate::start().await;
    let url = format!("{}?order=7", gate.url);

    let read = send(&app, &tenant, "46701234567", hello_world(), &url, "order-7").await;
    let undelivered = send(&app, &tenant, "46701239900", hello_world(), &url, "order-8").await;
    // Outside the care window: the gateway's own check refuses it.
    let outside = send(
        &app,
        &tenant,
        "46701234568",
        json!({"text": "hi"}),
        &url,
        "order-9",
    )
    .await;

    let callbacks = statuses(&gate, &read, 3).await;
    assert_eq!(
        words(&callbacks),
        [
            ("SENT".into(), 0),
            ("DELIVERED".into(), 0),
            ("READ".into(), 0)
        ]
    );
    for callback in &callbacks {
        let status = &callback.body;
        assert_eq!(status.as_array().map(Vec::len), Some(1), "{status}");
        assert_eq!(
            status[0]["messageId"],
            json!(read.parse::<i64>().expect("id"))
        );
        assert_eq!(status[0]["options"], "order-7", "{status}");
        let ts = status[0]["ts"].as_i64().expect("ts");
        assert!(
            (1_700_000_000..4_000_000_000).contains(&ts),
            "ts in seconds: {ts}"
        );
    }
    let failed = statuses(&gate, &undelivered, 1).await;
    assert_eq!(words(&failed).last(), Some(&("UNDELIVERED".into(), 2305)));
    assert!(
        failed
            .iter()
            .all(|callback| callback.body[0]["options"] == "order-8")
    );
    let refused = statuses(&gate, &outside, 1).await;
    assert_eq!(words(&refused), [("REJECTED".into(), 2312)]);

    // The message's own URL, query and all.
    let paths: Vec<String> = gate
        .arrivals()
        .into_iter()
        .map(|arrival| arrival.path)
        .collect();
    assert!(paths.iter().all(|path| path == "/dlr?order=7"), "{paths:?}");
}

on_backends!(a_callback_url_that_is_down_for_a_while_still_gets_everything_in_order);
async fn a_callback_url_that_is_down_for_a_while_still_gets_everything_in_order(backend: Backend) {
    let app = spawn_app_with(backend, FAST).await;
    let tenant = app.tenant("dv", "+46700000001").await;
    let gate = Gate::start().await;
    // Down: every callback refused until further notice.
    gate.refuse_if(|_| true);
    let first = send(&app, &tenant, "46701234567", hello_world(), &gate.url, "a").await;
    let second = send(&app, &tenant, "46701234568", hello_world(), &gate.url, "b").await;
    poll(Duration::from_secs(30), "refused tries", || async {
        if gate.refused() >= 4 {
            Ok(())
        } else {
            Err(gate.refused().to_string())
        }
    })
    .await;
    gate.accept_all();
    for (id, data) in [(&first, "a"), (&second, "b")] {
        let callbacks = statuses(&gate, id, 3).await;
        assert_eq!(
            words(&callbacks),
            [
                ("SENT".into(), 0),
                ("DELIVERED".into(), 0),
                ("READ".into(), 0)
            ],
            "message {id}"
        );
        assert!(
            callbacks
                .iter()
                .all(|callback| callback.body[0]["options"] == data)
        );
    }
}

on_backends!(a_callback_url_is_checked_like_a_gate_and_made_a_gate_of_its_origin);
async fn a_callback_url_is_checked_like_a_gate_and_made_a_gate_of_its_origin(backend: Backend) {
    // Private addresses refused, as for gates made through the admin API.
    let app = spawn_app_with(backend, &["--callback-allow-private", "false"]).await;
    let tenant = app.tenant_without_gate("dv", "+46700000001").await;
    let body = json!({"from": tenant.source, "to": "46701234567", "text": "hi",
                      "callbackUrl": "http://127.0.0.1:9/status"});
    let (status, answer) = app.devino(&tenant, "/messages", &body).await;
    assert_eq!(status, 200, "{answer}");
    let entry = &answer["result"][0];
    assert_eq!(entry["code"], "REJECTED", "{answer}");
    assert_eq!(
        entry["reasons"][0]["ref"], "messages[0].callbackUrl",
        "{answer}"
    );
    let description = entry["description"].as_str().unwrap_or_default();
    assert!(
        description.contains("not a public address"),
        "{description}"
    );

    // With private addresses allowed, the URL's origin becomes one gate of
    // the tenant, whatever the path; the admin API shows it and its
    // deliveries carry each message's own URL.
    let app = spawn_app_with(backend, FAST).await;
    let tenant = app.tenant("dv", "+46700000001").await;
    let gate = Gate::start().await;
    for path in ["a", "b"] {
        send(
            &app,
            &tenant,
            "46701234567",
            hello_world(),
            &format!("{}/{path}", gate.url),
            path,
        )
        .await;
    }
    let (status, gates) = app.admin(reqwest::Method::GET, "/gates", None).await;
    assert_eq!(status, 200, "{gates}");
    let made: Vec<&Value> = gates
        .as_array()
        .expect("gates")
        .iter()
        .filter(|row| row["id"].as_str().is_some_and(|id| id.starts_with("cb-")))
        .collect();
    assert_eq!(made.len(), 1, "{gates}");
    let origin = gate.url.trim_end_matches("/dlr");
    assert_eq!(made[0]["url"], origin, "{gates}");
    assert_eq!(made[0]["format"], "devino", "{gates}");
    let gate_id = made[0]["id"].as_str().expect("id").to_owned();
    let deliveries = app
        .deliveries_when(&gate_id, "both messages' statuses", |list| list.len() >= 6)
        .await;
    let mut urls: Vec<&str> = deliveries
        .iter()
        .filter_map(|d| d["url"].as_str())
        .collect();
    urls.sort_unstable();
    urls.dedup();
    assert_eq!(urls, [format!("{}/a", gate.url), format!("{}/b", gate.url)]);

    // Nobody may take the prefix for a gate of their own.
    let (status, answer) = app
        .admin_post(
            "/gates",
            json!({"platformId": tenant.platform_id, "platformPartnerId": tenant.platform_partner_id,
                   "id": "cb-mine", "url": gate.url}),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
}
