//! Meta's status reports are kept seven days, then forgotten by the
//! housekeeping pass; the message history keeps every status that joined
//! it. The reports are back-dated in the store to look old.

mod common;

use std::time::Duration;

use common::{Backend, Tenant, TestApp, hello_world, poll, request, spawn_app_with};
use serde_json::Value;

const HOUR: i64 = 3600 * 1000;
const SEVEN_DAYS: i64 = 7 * 24 * HOUR;

/// A message to `destination`, once read: its status and its wamid.
async fn read_message(app: &TestApp, tenant: &Tenant, destination: &str) -> (String, String) {
    let (status, answer) = app
        .send(tenant, &request(tenant, &[destination], hello_world()))
        .await;
    assert_eq!(status, 200, "{answer}");
    let id = answer["messageIds"][0].as_str().expect("id").to_owned();
    let status = app
        .status_when(tenant, &id, "the read status", |part| {
            part["state"] == "READ"
        })
        .await;
    let wamid = status["messages"][0]["history"]
        .as_array()
        .and_then(|history| history.iter().find(|entry| entry["resultCode"] == 112002))
        .and_then(|entry| entry["details"]["waMessageId"].as_str())
        .unwrap_or_else(|| panic!("no wamid: {status:#}"))
        .to_owned();
    (id, wamid)
}

/// The status reports the store keeps for `wamid`.
async fn reports(app: &TestApp, wamid: &str) -> Vec<String> {
    let mut statuses: Vec<String> = app
        .database()
        .rows("SELECT status FROM meta_statuses WHERE wamid = $1", wamid)
        .await
        .into_iter()
        .filter_map(|row| row[0].clone())
        .collect();
    statuses.sort();
    statuses
}

/// Moves `wamid`'s reports `millis` into the past.
async fn back_date(app: &TestApp, wamid: &str, millis: i64) {
    app.database()
        .rows(
            &format!(
                "UPDATE meta_statuses SET received_at = received_at - {millis} WHERE wamid = $1"
            ),
            wamid,
        )
        .await;
}

fn history_codes(status: &Value) -> Vec<u64> {
    status["messages"][0]["history"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry["resultCode"].as_u64())
        .collect()
}

on_backends!(status_reports_older_than_seven_days_are_forgotten_and_newer_ones_kept);
async fn status_reports_older_than_seven_days_are_forgotten_and_newer_ones_kept(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            "--sandbox-status-delay",
            "1ms",
            "--housekeeping-interval",
            "50ms",
        ],
    )
    .await;
    let tenant = app.tenant("cleanup", "+46700000600").await;
    let (old_id, old) = read_message(&app, &tenant, "+46701234600").await;
    let (_, recent) = read_message(&app, &tenant, "+46701234601").await;
    let all = ["delivered", "read", "sent"].map(str::to_owned).to_vec();
    assert_eq!(reports(&app, &old).await, all);
    assert_eq!(reports(&app, &recent).await, all);

    // The recent ones first: the pass that forgets the old ones has seen
    // both.
    back_date(&app, &recent, SEVEN_DAYS - HOUR).await;
    back_date(&app, &old, SEVEN_DAYS + HOUR).await;
    poll(
        Duration::from_secs(30),
        "the old reports to be forgotten",
        || async {
            let left = reports(&app, &old).await;
            if left.is_empty() {
                Ok(())
            } else {
                Err(format!("{left:?}"))
            }
        },
    )
    .await;
    assert_eq!(
        reports(&app, &recent).await,
        all,
        "reports under seven days old are kept"
    );
    // The history keeps every status that joined it.
    let (status, body) = app.status(&tenant, &old_id).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        history_codes(&body),
        [112001, 112002, 112006, 112003, 112007],
        "{body:#}"
    );
}
