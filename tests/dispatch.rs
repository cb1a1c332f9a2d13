//! The dispatcher against the sandbox simulator, over real HTTP: each
//! sandbox number's path, index order per destination, priority under a
//! throttle (all of it queued before any can be sent), and validity.

mod common;

use common::process::Process;
use common::{
    Backend, Gateway, Tenant, TestApp, TestDatabase, hello_world, request, spawn_app_with, template,
};
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

on_backends!(high_priority_work_overtakes_earlier_low_priority_work);
async fn high_priority_work_overtakes_earlier_low_priority_work(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    // All the work is queued before any of it can go out: the instance
    // that accepts it finds the number's lease held by an instance that
    // does not run, and never sends.
    let mut accepting = Process::serve(&database, FAST);
    let gateway = accepting.gateway();
    let tenant = gateway
        .tenant_with("priority", "+46700000103", json!({"throughput": 2}))
        .await;
    let lease = format!("source:{}", tenant.source);
    let held = database
        .rows(
            "INSERT INTO leases (name, holder, held_until)
             VALUES ($1, 'an-instance-that-does-not-run', 9000000000000) RETURNING name",
            &lease,
        )
        .await;
    assert_eq!(held.len(), 1);
    let low: Vec<String> = (0..6).map(|n| format!("+4670100000{n}")).collect();
    let high: Vec<String> = (0..2).map(|n| format!("+4670200000{n}")).collect();
    // The LOW work first, in one request, then the HIGH work.
    send_all(&gateway, &tenant, &low, json!({"priority": "LOW"})).await;
    send_all(&gateway, &tenant, &high, json!({"priority": "HIGH"})).await;
    let early = gateway.sim_received().await;
    assert!(
        early.is_empty(),
        "sent while the lease was held: {early:#?}"
    );
    accepting.kill();

    // An instance that may send finds all of it queued: both HIGH parts go
    // first, then the LOW work, which was queued earlier.
    database
        .rows("DELETE FROM leases WHERE name = $1 RETURNING name", &lease)
        .await;
    let sending = Process::serve(&database, FAST);
    let records = sending.gateway().sim_received_at_least(8).await;
    let order: Vec<&str> = records
        .iter()
        .filter_map(|record| record["body"]["to"].as_str())
        .collect();
    let expected: Vec<&str> = high.iter().chain(&low).map(String::as_str).collect();
    let is_high = |to: &&str| high.iter().any(|high| high == to);
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
