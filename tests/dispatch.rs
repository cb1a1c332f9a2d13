//! The dispatcher against the sandbox simulator, over real HTTP: each
//! sandbox number's path, index order per destination, priority under a
//! throttle (all of it queued before any can be sent: HIGH overtaking LOW,
//! NORMAL before LOW without starving LOW), and validity.

mod common;

use common::{Backend, Gateway, Tenant, TestApp, hello_world, request, spawn_app_with, template};
use serde_json::{Value, json};

const FAST: &[&str] = &["--resend-interval", "20ms", "--sandbox-status-delay", "1ms"];

/// Sends `messages` to one destination and returns its messageId.
async fn send_one(app: &TestApp, tenant: &Tenant, destination: &str, messages: Value) -> String {
    send_with(app, tenant, destination, messages, json!({})).await
}

async fn send_with(
    app: &TestApp,
    tenant: &Tenant,
    destination: &str,
    messages: Value,
    extra: Value,
) -> String {
    let mut body = request(tenant, &[destination], messages);
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

/// The sends the simulator received for `destination`, in arrival order.
async fn received_for(app: &TestApp, destination: &str) -> Vec<Value> {
    app.sim_received()
        .await
        .into_iter()
        .filter(|record| record["body"]["to"] == destination)
        .collect()
}

fn settled(part: &Value) -> bool {
    part["state"] != "QUEUED"
}

/// (resultCode, state) of each history entry after the initial `queued`.
fn history(part: &Value) -> Vec<(u64, String)> {
    part["history"]
        .as_array()
        .expect("history")
        .iter()
        .skip(1)
        .map(|entry| {
            (
                entry["resultCode"].as_u64().expect("code"),
                entry["state"].as_str().expect("state").to_owned(),
            )
        })
        .collect()
}

on_backends!(each_sandbox_number_ends_in_its_state_with_its_history);
async fn each_sandbox_number_ends_in_its_state_with_its_history(backend: Backend) {
    let app = spawn_app_with(backend, FAST).await;
    let tenant = app.tenant("numbers", "+46700000100").await;
    let steps = |entries: &[(u64, &str)]| -> Vec<(u64, String)> {
        entries
            .iter()
            .map(|(code, state)| (*code, (*state).to_owned()))
            .collect()
    };
    let resend = (112406, "QUEUED");
    let submitted = (112002, "SUBMITTED");
    let sent = (112006, "SENT");
    let delivered = (112003, "DELIVERED");
    let read = (112007, "READ");
    let cases = [
        (
            "+46700009900",
            "FAILED",
            steps(&[submitted, (112404, "FAILED")]),
            1,
        ),
        (
            "+46700009901",
            "READ",
            steps(&[resend, resend, submitted, sent, delivered, read]),
            3,
        ),
        (
            "+46700009902",
            "READ",
            steps(&[resend, submitted, sent, delivered, read]),
            2,
        ),
        ("+46700009903", "FAILED", steps(&[(112403, "FAILED")]), 1),
        (
            "+46700009904",
            "DELIVERED",
            steps(&[submitted, sent, delivered]),
            1,
        ),
        (
            "+46700001234",
            "READ",
            steps(&[submitted, sent, delivered, read]),
            1,
        ),
    ];
    let mut ids = Vec::new();
    // The content is kept on request, to compare with what was sent.
    let keep = json!({"customParameters": {"ott.whatsapp.logMessageContent": "true"}});
    for (destination, ..) in &cases {
        ids.push(send_with(&app, &tenant, destination, hello_world(), keep.clone()).await);
    }
    for ((destination, state, steps, sends), id) in cases.iter().zip(&ids) {
        let status = app
            .status_when(&tenant, id, destination, |part| part["state"] == *state)
            .await;
        let part = &status["messages"][0];
        assert_eq!(&history(part), steps, "{destination}: {part:#}");
        let received = received_for(&app, destination).await;
        assert_eq!(received.len(), *sends, "{destination}: {received:#?}");
        assert_eq!(
            received.last().map(|record| record["body"].clone()),
            Some(part["cloudRequest"].clone()),
            "the simulator received exactly the stored body"
        );
        // The part's tag, which Meta hands back in the statuses that moved
        // it to its state.
        assert_eq!(
            received
                .last()
                .map(|record| record["body"]["biz_opaque_callback_data"].clone()),
            Some(json!(format!("{id}/0"))),
            "{destination}"
        );
        let wamid = received.last().and_then(|record| record["wamid"].as_str());
        let submission = part["history"]
            .as_array()
            .and_then(|history| history.iter().find(|entry| entry["resultCode"] == 112002))
            .cloned();
        assert_eq!(
            submission
                .as_ref()
                .and_then(|entry| entry["details"]["waMessageId"].as_str()),
            wamid,
            "{destination}: the submitted status carries the wamid"
        );
    }
    // 9904 is never read, even now that the others have been.
    let unread = app.status(&tenant, &ids[4]).await.1;
    assert_eq!(unread["messages"][0]["state"], "DELIVERED");
    let refused = app.status(&tenant, &ids[3]).await.1;
    let last = &refused["messages"][0]["history"][1];
    assert!(
        last["resultDescription"]
            .as_str()
            .is_some_and(|text| text.contains("Invalid parameter")),
        "{last}"
    );
    // Meta's error code is a JSON number whichever path recorded it: the
    // dispatcher's refused send here, a webhook's failed status below.
    assert_eq!(last["details"]["metaErrorCode"], json!(100), "{last}");
    assert!(last["details"]["metaErrorDetails"].is_string(), "{last}");
    let undeliverable = app.status(&tenant, &ids[0]).await.1;
    let failed = &undeliverable["messages"][0]["history"][2];
    assert_eq!(
        failed["details"]["metaErrorCode"],
        json!(131026),
        "{failed}"
    );
}

on_backends!(resends_stop_at_the_maximum_and_fail_with_a_meta_error);
async fn resends_stop_at_the_maximum_and_fail_with_a_meta_error(backend: Backend) {
    let mut args = FAST.to_vec();
    args.extend(["--resend-max", "1"]);
    let app = spawn_app_with(backend, &args).await;
    let tenant = app.tenant("maxed", "+46700000101").await;
    // 9901 is refused twice with 131000; one resend is not enough.
    let id = send_one(&app, &tenant, "+46700009901", hello_world()).await;
    let status = app.status_when(&tenant, &id, "the failure", settled).await;
    let part = &status["messages"][0];
    assert_eq!(part["state"], "FAILED");
    assert_eq!(
        history(part),
        [(112406, "QUEUED".into()), (112406, "FAILED".into())]
    );
    assert_eq!(received_for(&app, "+46700009901").await.len(), 2);
}

on_backends!(one_destinations_messages_reach_meta_in_index_order_despite_a_transient_error);
async fn one_destinations_messages_reach_meta_in_index_order_despite_a_transient_error(
    backend: Backend,
) {
    let app = spawn_app_with(backend, FAST).await;
    let tenant = app.tenant("ordered", "+46700000102").await;
    app.approved_templates(&tenant, &["first", "second", "third"])
        .await;
    // 9902 refuses every new body once with 130429, so each index is resent.
    let messages = json!([template("first"), template("second"), template("third")]);
    let id = send_one(&app, &tenant, "+46700009902", messages).await;
    let status = app
        .status_when(&tenant, &id, "all three read", |part| {
            part["state"] == "READ"
        })
        .await;
    assert_eq!(status["messages"].as_array().map(Vec::len), Some(3));
    let names: Vec<(String, u64)> = received_for(&app, "+46700009902")
        .await
        .iter()
        .map(|record| {
            (
                record["body"]["template"]["name"]
                    .as_str()
                    .unwrap_or("?")
                    .to_owned(),
                record["status"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let expected: Vec<(String, u64)> = ["first", "second", "third"]
        .iter()
        .flat_map(|name| [(name.to_string(), 429), (name.to_string(), 200)])
        .collect();
    assert_eq!(names, expected);
}

/// The destinations of the first `count` sends the simulator received, in
/// the order they arrived.
async fn sent_to_in_order(app: &TestApp, count: usize) -> Vec<String> {
    app.sim_received_at_least(count)
        .await
        .iter()
        .filter_map(|record| record["body"]["to"].as_str().map(str::to_owned))
        .collect()
}

/// A tenant whose number sends two a second: one part per claim, half a
/// second apart, so the simulator sees them in the order they were claimed.
async fn sending_in_claim_order(app: &TestApp, name: &str, number: &str) -> Tenant {
    app.tenant_with(name, number, json!({"throughput": 2}))
        .await
}

on_backends!(high_priority_work_overtakes_earlier_low_priority_work);
async fn high_priority_work_overtakes_earlier_low_priority_work(backend: Backend) {
    let app = spawn_app_with(backend, FAST).await;
    let tenant = sending_in_claim_order(&app, "priority", "+46700000103").await;
    let low: Vec<String> = (0..6).map(|n| format!("+4670100000{n}")).collect();
    let high: Vec<String> = (0..2).map(|n| format!("+4670200000{n}")).collect();
    // All the work is queued while another instance holds the number: the
    // LOW work first, in one request, then the HIGH work.
    let held = app.database().hold_number(&tenant.source).await;
    send_all(&app, &tenant, &low, json!({"priority": "LOW"})).await;
    send_all(&app, &tenant, &high, json!({"priority": "HIGH"})).await;
    let early = app.sim_received().await;
    assert!(
        early.is_empty(),
        "sent while the number was held: {early:#?}"
    );
    drop(held);

    // Once the number is free, both HIGH parts go first, then the LOW work,
    // which was queued earlier.
    let order = sent_to_in_order(&app, 8).await;
    let expected: Vec<String> = high.iter().chain(&low).cloned().collect();
    let is_high = |to: &String| high.contains(to);
    assert_eq!(
        order.iter().map(is_high).collect::<Vec<bool>>(),
        expected.iter().map(is_high).collect::<Vec<bool>>(),
        "HIGH is true: {order:?}"
    );
    // Within each priority, in the order queued.
    assert_eq!(order, expected);
}

/// Sends one request to all `destinations` with `extra` fields; returns its
/// messageIds.
async fn send_all(
    app: &Gateway,
    tenant: &Tenant,
    destinations: &[String],
    extra: Value,
) -> Vec<String> {
    let destinations: Vec<&str> = destinations.iter().map(String::as_str).collect();
    let mut body = request(tenant, &destinations, hello_world());
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let (status, answer) = app.send(tenant, &body).await;
    assert_eq!(status, 200, "{answer}");
    answer["messageIds"]
        .as_array()
        .expect("messageIds")
        .iter()
        .map(|id| id.as_str().expect("a messageId").to_owned())
        .collect()
}

/// A status answer's `field` (an RFC 3339 time) in Unix milliseconds.
fn millis(status: &Value, field: &str) -> i64 {
    status[field]
        .as_str()
        .and_then(wagate::clock::parse_rfc3339)
        .unwrap_or_else(|| panic!("{field}: {status:#}"))
}

on_backends!(work_whose_validity_passes_while_queued_is_never_sent);
async fn work_whose_validity_passes_while_queued_is_never_sent(backend: Backend) {
    let app = spawn_app_with(backend, FAST).await;
    let tenant = app
        .tenant_with("expiry", "+46700000104", json!({"throughput": 1}))
        .await;
    let destinations: Vec<String> = (0..5).map(|n| format!("+4670300000{n}")).collect();
    // One request: every part is queued at once with the same expiry, before
    // the first can be sent. At one a second (1.03 s apart with the margin)
    // at most three slots fall within 2.5 s of validity.
    let ids = send_all(
        &app,
        &tenant,
        &destinations,
        json!({"relativeValidityTime": 2500}),
    )
    .await;
    let mut sent = Vec::new();
    for (destination, id) in destinations.iter().zip(&ids) {
        let status = app.status_when(&tenant, id, destination, settled).await;
        let expires = millis(&status, "expiresAt");
        let part = &status["messages"][0];
        let received = received_for(&app, destination).await;
        match part["state"].as_str() {
            Some("EXPIRED") => {
                assert!(received.is_empty(), "{destination} expired but was sent");
                assert_eq!(history(part), [(112403, "EXPIRED".into())]);
                assert!(
                    part["history"][1]["resultDescription"]
                        .as_str()
                        .is_some_and(|text| text.contains("validity expired")),
                    "{part:#}"
                );
                // Expired only once its validity had passed.
                let at = part["history"][1]["timestamp"]
                    .as_str()
                    .and_then(wagate::clock::parse_rfc3339)
                    .expect("timestamp");
                assert!(
                    at >= expires,
                    "{destination} expired at {at}, valid until {expires}"
                );
            }
            Some("SUBMITTED" | "SENT" | "DELIVERED" | "READ") => {
                assert_eq!(received.len(), 1, "{destination}");
                sent.push(destination.as_str());
            }
            other => panic!("{destination}: unexpected state {other:?}"),
        }
    }
    // Sent in the order queued, so the sent ones are the first, and no more
    // than three slots fit in the validity however fast the machine is. How
    // many do fit depends on its speed (on a slow one, none): a part that
    // expired is only checked to have expired no earlier than its validity.
    let first: Vec<&str> = destinations
        .iter()
        .take(sent.len())
        .map(String::as_str)
        .collect();
    assert_eq!(sent, first, "the earliest slots go to the earliest parts");
    assert!(
        sent.len() <= 3,
        "{} sent of {}: {sent:?}",
        sent.len(),
        destinations.len()
    );
}

on_backends!(normal_work_goes_before_low_work_queued_earlier_but_low_is_not_starved);
async fn normal_work_goes_before_low_work_queued_earlier_but_low_is_not_starved(backend: Backend) {
    let app = spawn_app_with(backend, FAST).await;
    let tenant = sending_in_claim_order(&app, "lowly", "+46700000105").await;
    let waited: Vec<String> = (0..2).map(|n| format!("+4670400000{n}")).collect();
    let low: Vec<String> = (0..3).map(|n| format!("+4670500000{n}")).collect();
    let normal: Vec<String> = (0..3).map(|n| format!("+4670600000{n}")).collect();

    // While another instance holds the number, everything is queued: LOW
    // work that has waited longer than NORMAL's lead over LOW (30 s), fresh
    // LOW work, then NORMAL work.
    let held = app.database().hold_number(&tenant.source).await;
    let waited_ids = send_all(&app, &tenant, &waited, json!({"priority": "LOW"})).await;
    let waited_for = 35_000;
    for id in &waited_ids {
        app.database()
            .rows(
                &format!(
                    "UPDATE outbox SET due_at = due_at - {waited_for}, sort_key = sort_key - {waited_for}
                     WHERE message_id = $1"
                ),
                id,
            )
            .await;
    }
    send_all(&app, &tenant, &low, json!({"priority": "LOW"})).await;
    send_all(&app, &tenant, &normal, json!({"priority": "NORMAL"})).await;
    let claimed = app
        .database()
        .rows(
            "SELECT message_id FROM outbox WHERE source = $1 AND lease_owner IS NOT NULL",
            &tenant.source,
        )
        .await;
    assert!(
        claimed.is_empty() && app.sim_received().await.is_empty(),
        "work was claimed while the number was held elsewhere: {claimed:?}"
    );
    drop(held);

    let order = sent_to_in_order(&app, 8).await;
    let kind = |to: &str| {
        if waited.iter().any(|number| number == to) {
            "LOW queued 35 s earlier"
        } else if normal.iter().any(|number| number == to) {
            "NORMAL"
        } else {
            "LOW"
        }
    };
    let kinds: Vec<&str> = order.iter().map(|to| kind(to)).collect();
    let mut expected = vec!["LOW queued 35 s earlier"; 2];
    expected.extend(["NORMAL"; 3]);
    expected.extend(["LOW"; 3]);
    assert_eq!(kinds, expected, "{order:?}");
}

/// The sandbox keeps at most `--sandbox-record-limit` send records, the
/// newest, each with its body as it was sent; older ones are dropped.
#[tokio::test]
async fn the_sandbox_keeps_only_its_newest_records() {
    let app = spawn_app_with(
        Backend::Sqlite,
        &[FAST, &["--sandbox-record-limit", "2"][..]].concat(),
    )
    .await;
    let tenant = app.tenant("records", "+46700000150").await;
    let destinations = ["+46701000101", "+46701000102", "+46701000103"];
    for destination in destinations {
        send_one(&app, &tenant, destination, hello_world()).await;
        // One at a time, so the records' order is the sends' order.
        common::poll(
            std::time::Duration::from_secs(30),
            "the send to reach the sandbox",
            || async {
                let received = app.sim_received().await;
                if received
                    .iter()
                    .any(|record| record["body"]["to"] == destination)
                {
                    Ok(())
                } else {
                    Err(format!("{} records", received.len()))
                }
            },
        )
        .await;
    }
    let kept: Vec<(u64, Value)> = app
        .sim_received()
        .await
        .iter()
        .map(|record| {
            (
                record["seq"].as_u64().unwrap_or(0),
                record["body"]["to"].clone(),
            )
        })
        .collect();
    assert_eq!(
        kept,
        [(2, json!("+46701000102")), (3, json!("+46701000103"))]
    );
}
