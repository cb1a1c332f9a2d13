//! What one `POST /whatsapp-message/messages` may cost: at most
//! `--max-parts-per-request` parts (destinations × messages) and
//! `--max-rendered-bytes-per-request` bytes of Cloud API bodies. One past
//! each limit is refused with `400 112506` naming the rule; exactly at it is
//! accepted.

mod common;

use common::{Backend, Tenant, TestApp, request, spawn_app, spawn_app_with};
use serde_json::{Value, json};
use wagate_domain::Destination;
use wagate_domain::ids::MESSAGE_ID_LEN;
use wagate_domain::message::Message;
use wagate_domain::part_tag::PartTag;
use wagate_domain::violation::Path;

/// `count` distinct MSISDNs of the same length.
fn destinations(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("+4670{i:07}")).collect()
}

/// `count` text messages.
fn texts(count: usize, body: &str) -> Value {
    json!(vec![json!({"type": "text", "text": {"body": body}}); count])
}

async fn send(app: &TestApp, tenant: &Tenant, destinations: usize, messages: Value) -> Value {
    let to = self::destinations(destinations);
    let to: Vec<&str> = to.iter().map(String::as_str).collect();
    let (status, answer) = app.send(tenant, &request(tenant, &to, messages)).await;
    json!({"status": status, "answer": answer})
}

fn assert_queued(sent: &Value, ids: usize) {
    assert_eq!(sent["status"], 200, "{sent}");
    assert_eq!(sent["answer"]["resultCode"], 112001, "{sent}");
    assert_eq!(
        sent["answer"]["messageIds"].as_array().map(Vec::len),
        Some(ids),
        "{sent}"
    );
}

fn assert_refused(sent: &Value, description: &str) {
    assert_eq!(sent["status"], 400, "{sent}");
    assert_eq!(sent["answer"]["resultCode"], 112506, "{sent}");
    assert_eq!(sent["answer"]["description"], description, "{sent}");
}

on_backends!(parts_past_the_configured_limit_are_refused_and_at_it_accepted);
async fn parts_past_the_configured_limit_are_refused_and_at_it_accepted(backend: Backend) {
    let app = spawn_app_with(backend, &["--max-parts-per-request", "20"]).await;
    let tenant = app.tenant("acme", "+46700000001").await;
    let over = "destinations: destinations × messages must be at most 20";

    assert_refused(&send(&app, &tenant, 3, texts(7, "hi")).await, over);
    assert_refused(&send(&app, &tenant, 21, texts(1, "hi")).await, over);
    assert_queued(&send(&app, &tenant, 4, texts(5, "hi")).await, 4);
    assert_queued(&send(&app, &tenant, 2, texts(10, "hi")).await, 2);
    assert_queued(&send(&app, &tenant, 20, texts(1, "hi")).await, 20);
}

on_backends!(the_default_limit_is_a_thousand_parts);
async fn the_default_limit_is_a_thousand_parts(backend: Backend) {
    let app = spawn_app(backend).await;
    let tenant = app.tenant("acme", "+46700000001").await;

    assert_refused(
        &send(&app, &tenant, 101, texts(10, "hi")).await,
        "destinations: destinations × messages must be at most 1000",
    );
    assert_queued(&send(&app, &tenant, 100, texts(10, "hi")).await, 100);
}

/// The length of the Cloud API body of `message` for `to`, as part `index`
/// (tagged with its part's key).
fn body_bytes(message: &Value, to: &str, index: u32) -> usize {
    let message: Message = serde_json::from_value(message.clone()).expect("message");
    let valid = message
        .validate(&Path::root("messages").index(0))
        .expect("valid");
    let to = Destination::parse(to, None).expect("destination");
    let id = "0".repeat(MESSAGE_ID_LEN);
    PartTag::add_to(valid.render(&to).to_string(), &id, index).len()
}

on_backends!(rendered_bytes_past_the_configured_budget_are_refused_and_at_it_accepted);
async fn rendered_bytes_past_the_configured_budget_are_refused_and_at_it_accepted(
    backend: Backend,
) {
    let messages = json!([
        {"type": "text", "text": {"body": "\u{1F600}".repeat(100)}},
        {"type": "text", "text": {"body": "quote \" and\nbreak"}},
    ]);
    let per_destination: usize = messages
        .as_array()
        .expect("messages")
        .iter()
        .zip(0..)
        .map(|(message, index)| body_bytes(message, &destinations(1)[0], index))
        .sum();
    let budget = 4 * per_destination;
    let app = spawn_app_with(
        backend,
        &["--max-rendered-bytes-per-request", &budget.to_string()],
    )
    .await;
    let tenant = app.tenant("acme", "+46700000001").await;

    assert_refused(
        &send(&app, &tenant, 5, messages.clone()).await,
        &format!(
            "messages: the Cloud API bodies of destinations × messages must be at most {budget} bytes in all"
        ),
    );
    assert_queued(&send(&app, &tenant, 4, messages).await, 4);
}
