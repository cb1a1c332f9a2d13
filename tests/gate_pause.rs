//! Pausing a gate (`POST /admin/v1/gates/{id}/pause`): its callbacks wait,
//! stored, while another gate's go on; resumed, they all arrive, in order.
//! The pause outlives a restart (it is in the store).

mod common;

use common::gate::Gate;
use common::{Backend, QUICK_REPORTS, TestDatabase, spawn_app_on};
use serde_json::{Value, json};

async fn pause(app: &common::TestApp, gate_id: &str, action: &str) -> Value {
    let (status, answer) = app
        .admin_post(&format!("/gates/{gate_id}/{action}"), json!({}))
        .await;
    assert_eq!(status, 200, "{action} {gate_id}: {answer}");
    answer
}

fn codes(reports: &[common::gate::Callback]) -> Vec<u64> {
    reports
        .iter()
        .filter_map(|report| report.body["resultCode"].as_u64())
        .collect()
}

on_backends!(a_paused_gate_s_callbacks_wait_and_arrive_in_order_once_it_is_resumed);
async fn a_paused_gate_s_callbacks_wait_and_arrive_in_order_once_it_is_resumed(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let app = spawn_app_on(database, QUICK_REPORTS).await;
    let tenant = app.tenant("pause", "+46700000900").await;
    let held = Gate::start().await;
    let open = Gate::start().await;
    app.add_gate(&tenant, "held", &held.url, json!({})).await;
    app.add_gate(&tenant, "open", &open.url, json!({})).await;

    let answer = pause(&app, "held", "pause").await;
    assert_eq!(answer["paused"], true, "{answer}");
    assert!(answer["pausedAt"].as_str().is_some(), "{answer}");
    let (status, shown) = app
        .admin(reqwest::Method::GET, "/gates/held/pause", None)
        .await;
    assert_eq!((status, &shown["paused"]), (200, &json!(true)), "{shown}");

    let waiting = app
        .send_reported(&tenant, "held", "+46701234567", json!({}))
        .await;
    let going = app
        .send_reported(&tenant, "open", "+46701234567", json!({}))
        .await;
    // The open gate gets all four reports of its message.
    assert_eq!(
        codes(&open.reports_for(&going, 4).await),
        [112002, 112006, 112003, 112007]
    );
    // The held gate's four are stored and waiting, none tried.
    let queued = app
        .deliveries_when("held", "four waiting reports", |deliveries| {
            deliveries.len() == 4
        })
        .await;
    assert!(
        queued.iter().all(|delivery| delivery["state"] == "PENDING"
            && delivery["attempts"].as_array().is_some_and(Vec::is_empty)),
        "{queued:#?}"
    );
    assert!(
        held.arrivals().is_empty(),
        "nothing reached the paused gate"
    );

    let answer = pause(&app, "held", "resume").await;
    assert_eq!(answer["paused"], false, "{answer}");
    assert!(answer.get("pausedAt").is_none(), "{answer}");
    assert_eq!(
        codes(&held.reports_for(&waiting, 4).await),
        [112002, 112006, 112003, 112007]
    );
}

on_backends!(a_pause_is_kept_by_the_store_and_unknown_gates_are_404);
async fn a_pause_is_kept_by_the_store_and_unknown_gates_are_404(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let app = spawn_app_on(database, QUICK_REPORTS).await;
    let tenant = app.tenant("kept", "+46700000901").await;
    let gate = Gate::start().await;
    app.add_gate(&tenant, "kept", &gate.url, json!({})).await;
    let first = pause(&app, "kept", "pause").await;
    // Pausing again keeps the first time.
    let again = pause(&app, "kept", "pause").await;
    assert_eq!(first["pausedAt"], again["pausedAt"]);

    let database = app.stop_keeping_database().await;
    let app = spawn_app_on(database, QUICK_REPORTS).await;
    let (status, shown) = app
        .admin(reqwest::Method::GET, "/gates/kept/pause", None)
        .await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["paused"], true, "{shown}");
    assert_eq!(shown["pausedAt"], first["pausedAt"]);

    for action in ["pause", "resume"] {
        let (status, answer) = app
            .admin_post(&format!("/gates/nobody/{action}"), json!({}))
            .await;
        assert_eq!(status, 404, "{action}: {answer}");
    }
    let (status, _) = app
        .admin(reqwest::Method::GET, "/gates/nobody/pause", None)
        .await;
    assert_eq!(status, 404);
    // Deleting the gate ends its pause: a new gate of that id is not paused.
    let (status, _) = app
        .admin(reqwest::Method::DELETE, "/gates/kept", None)
        .await;
    assert!(status == 204 || status == 200, "{status}");
    app.add_gate(&tenant, "kept", &gate.url, json!({})).await;
    let (_, shown) = app
        .admin(reqwest::Method::GET, "/gates/kept/pause", None)
        .await;
    assert_eq!(shown["paused"], false, "{shown}");
}
