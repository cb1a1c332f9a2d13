//! How a callback is delivered, as the README promises it: one
//! `X-Wagate-Delivery` id for every try of a callback and another for each
//! callback, redirects not followed, a gate's `Retry-After` honoured up to the
//! schedule's longest delay, a redelivered copy queued behind what of its
//! message is pending, and a gate whose name leads to loopback refused at
//! delivery when private addresses are not allowed.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use common::gate::{Arrival, Gate, Reply};
use common::{Backend, TestDatabase, poll, spawn_app_on, spawn_app_with};
use serde_json::{Value, json};

/// Statuses at once, callbacks due at once.
const QUICK: &[&str] = &["--sandbox-status-delay", "1ms", "--dispatch-poll", "20ms"];

/// [`QUICK`] with `--callback-retry-schedule` `schedule`.
fn quick_with_schedule(schedule: &str) -> Vec<&str> {
    let mut args = QUICK.to_vec();
    args.extend(["--callback-retry-schedule", schedule]);
    args
}

fn delivered(delivery: &Value) -> bool {
    delivery["state"] == "DELIVERED"
}

fn result_code(delivery: &Value) -> u64 {
    delivery["payload"]["resultCode"].as_u64().unwrap_or(0)
}

fn tries(delivery: &Value) -> Vec<Value> {
    delivery["attempts"].as_array().cloned().unwrap_or_default()
}

fn arrival_delivery(arrival: &Arrival) -> String {
    arrival.callback.delivery().unwrap_or_default().to_owned()
}

/// The arrivals in short, for failure messages: `delivery id: result code
/// -> status`.
fn summary(arrivals: &[Arrival]) -> Vec<String> {
    arrivals
        .iter()
        .map(|arrival| {
            format!(
                "{:?}: {} -> {:?}",
                arrival.callback.delivery(),
                arrival.callback.body["resultCode"],
                arrival.status
            )
        })
        .collect()
}

on_backends!(every_try_of_a_callback_carries_its_delivery_id_and_each_callback_its_own);
async fn every_try_of_a_callback_carries_its_delivery_id_and_each_callback_its_own(
    backend: Backend,
) {
    let schedule = quick_with_schedule("20ms,20ms,20ms,20ms,20ms");
    let app = spawn_app_with(backend, &schedule).await;
    let tenant = app.tenant("ids", "+46700000730").await;
    let gate = Gate::start().await;
    app.add_gate(&tenant, "ids-sink", &gate.url, json!({}))
        .await;
    // The first report is refused twice, then accepted: three tries.
    gate.refuse_next(2);
    let id = app
        .send_reported(&tenant, "ids-sink", "+46701234580", json!({}))
        .await;
    let deliveries = app
        .deliveries_when("ids-sink", "four reports delivered", |all| {
            all.len() == 4 && all.iter().all(delivered)
        })
        .await;

    let arrivals = gate.arrivals();
    assert!(
        arrivals
            .iter()
            .all(|arrival| !arrival_delivery(arrival).is_empty()),
        "every try names its delivery: {:#?}",
        summary(&arrivals)
    );
    let mut by_id: HashMap<String, Vec<&Arrival>> = HashMap::new();
    for arrival in &arrivals {
        by_id
            .entry(arrival_delivery(arrival))
            .or_default()
            .push(arrival);
    }
    let listed: HashSet<String> = deliveries
        .iter()
        .map(|delivery| delivery["id"].as_i64().expect("an id").to_string())
        .collect();
    assert_eq!(
        by_id.keys().cloned().collect::<HashSet<_>>(),
        listed,
        "one id per callback, the one the admin API lists: {:#?}",
        summary(&arrivals)
    );
    for delivery in &deliveries {
        let tries_seen = &by_id[&delivery["id"].as_i64().expect("an id").to_string()];
        assert_eq!(
            tries_seen.len(),
            tries(delivery).len(),
            "every try of {delivery:#} carried its id"
        );
        assert!(
            tries_seen
                .iter()
                .all(|arrival| arrival.callback.body == delivery["payload"]
                    && arrival.callback.body["messageId"] == id.as_str()),
            "the tries under one id are tries of that callback: {delivery:#}"
        );
    }
    let first = deliveries
        .iter()
        .find(|delivery| result_code(delivery) == 112002)
        .expect("the first report");
    let first_id = first["id"].as_i64().expect("an id").to_string();
    assert_eq!(
        by_id[&first_id]
            .iter()
            .map(|arrival| arrival.status)
            .collect::<Vec<_>>(),
        [Some(500), Some(500), Some(200)],
        "the refused report was tried three times under one id"
    );
}

on_backends!(a_redirect_is_a_failed_try_and_is_not_followed);
async fn a_redirect_is_a_failed_try_and_is_not_followed(backend: Backend) {
    // Three tries, then the report is given up.
    let schedule = quick_with_schedule("20ms,20ms");
    let app = spawn_app_with(backend, &schedule).await;
    let tenant = app.tenant("redirect", "+46700000731").await;
    let elsewhere = Gate::start().await;
    let redirecting = Gate::start().await;
    redirecting.then(1, Reply::status(302).header("location", &elsewhere.url));
    redirecting.then(
        u32::MAX,
        Reply::status(307).header("location", &elsewhere.url),
    );
    app.add_gate(&tenant, "redirect-sink", &redirecting.url, json!({}))
        .await;
    let id = app
        .send_reported(&tenant, "redirect-sink", "+46701234581", json!({}))
        .await;

    let deliveries = app
        .deliveries_when("redirect-sink", "the four reports settled", |all| {
            all.len() == 4 && all.iter().all(|delivery| delivery["state"] != "PENDING")
        })
        .await;
    assert!(
        deliveries
            .iter()
            .all(|delivery| delivery["payload"]["messageId"] == id.as_str())
    );
    // Oldest first: each report's state and the statuses of its tries.
    let outcomes: Vec<(Value, Vec<Value>)> = deliveries
        .iter()
        .rev()
        .map(|delivery| {
            let statuses = tries(delivery)
                .iter()
                .map(|attempt| attempt["httpStatus"].clone())
                .collect();
            (delivery["state"].clone(), statuses)
        })
        .collect();
    let given_up = |statuses: [u16; 3]| (json!("GAVE_UP"), statuses.map(|s| json!(s)).to_vec());
    assert_eq!(
        outcomes,
        [
            given_up([302, 307, 307]),
            given_up([307, 307, 307]),
            given_up([307, 307, 307]),
            given_up([307, 307, 307]),
        ],
        "a redirect is a failed try"
    );
    assert_eq!(redirecting.arrivals().len(), 12);
    let followed: Vec<String> = elsewhere
        .arrivals()
        .iter()
        .map(|arrival| format!("{} {}", arrival.method, arrival.path))
        .collect();
    assert!(
        followed.is_empty(),
        "the redirect was followed: {followed:?}"
    );
}

on_backends!(retry_after_is_honoured_up_to_the_longest_delay_of_the_schedule);
async fn retry_after_is_honoured_up_to_the_longest_delay_of_the_schedule(backend: Backend) {
    // The schedule waits 100 ms after the first two tries; its longest
    // delay is 3 s.
    let schedule = quick_with_schedule("100ms,100ms,3s");
    let app = spawn_app_with(backend, &schedule).await;
    let tenant = app.tenant("later", "+46700000732").await;
    let gate = Gate::start().await;
    gate.then(1, Reply::status(429).header("retry-after", "2"));
    gate.then(1, Reply::status(503).header("retry-after", "3600"));
    app.add_gate(&tenant, "later-sink", &gate.url, json!({}))
        .await;
    let id = app
        .send_reported(&tenant, "later-sink", "+46701234582", json!({}))
        .await;

    // An hour's Retry-After is cut to the 3 s: the third try comes.
    let tries = poll(
        Duration::from_secs(60),
        "the first report's third try",
        || async {
            let tries: Vec<Arrival> = gate
                .arrivals()
                .into_iter()
                .filter(|arrival| {
                    arrival.callback.body["messageId"] == id.as_str()
                        && arrival.callback.body["resultCode"] == 112002
                })
                .collect();
            if tries.len() >= 3 {
                Ok(tries)
            } else {
                Err(format!("{:?}", summary(&tries)))
            }
        },
    )
    .await;
    assert_eq!(
        tries
            .iter()
            .map(|arrival| arrival.status)
            .collect::<Vec<_>>(),
        [Some(429), Some(503), Some(200)],
        "{:#?}",
        summary(&tries)
    );
    // The store's clock counts whole milliseconds: a wait may end up to one
    // early on the gate's clock.
    let grain = Duration::from_millis(10);
    let after_429 = tries[1].at - tries[0].at;
    assert!(
        after_429 >= Duration::from_secs(2) - grain,
        "the next try came {after_429:?} after a Retry-After of 2 s (the schedule said 100 ms)"
    );
    let after_503 = tries[2].at - tries[1].at;
    assert!(
        after_503 >= Duration::from_secs(3) - grain,
        "the next try came {after_503:?} after a Retry-After of an hour, cut to the longest delay, 3 s"
    );
}

on_backends!(a_redelivered_report_waits_behind_the_pending_reports_of_its_message);
async fn a_redelivered_report_waits_behind_the_pending_reports_of_its_message(backend: Backend) {
    // Tries every 20 ms for a thousand tries: the pending report stays
    // pending for as long as the test refuses it.
    let schedule = vec!["20ms"; 1000].join(",");
    let app = spawn_app_with(backend, &quick_with_schedule(&schedule)).await;
    let tenant = app.tenant("again", "+46700000733").await;
    let gate = Gate::start().await;
    gate.refuse_if(|body| body["resultCode"] == 112007);
    app.add_gate(&tenant, "again-sink", &gate.url, json!({}))
        .await;
    let id = app
        .send_reported(&tenant, "again-sink", "+46701234583", json!({}))
        .await;
    let deliveries = app
        .deliveries_when(
            "again-sink",
            "three reports delivered and the last one tried",
            |all| {
                all.len() == 4
                    && all
                        .iter()
                        .all(|d| delivered(d) != (result_code(d) == 112007))
                    && all
                        .iter()
                        .any(|d| result_code(d) == 112007 && !tries(d).is_empty())
            },
        )
        .await;
    let first = deliveries
        .iter()
        .find(|delivery| result_code(delivery) == 112002)
        .expect("the first report");
    let first_id = first["id"].as_i64().expect("an id");
    let (status, answer) = app
        .admin_post(
            &format!("/gates/again-sink/deliveries/{first_id}/redeliver"),
            json!({}),
        )
        .await;
    assert_eq!(status, 202, "{answer}");
    // Two more tries of the pending report: the dispatcher has looked for
    // due callbacks since the copy was queued, and held it back.
    let refused = gate.refused();
    poll(
        Duration::from_secs(30),
        "two more tries of the pending report",
        || async {
            if gate.refused() >= refused + 2 {
                Ok(())
            } else {
                Err(gate.refused().to_string())
            }
        },
    )
    .await;
    gate.accept_all();

    let reports = gate.reports_for(&id, 5).await;
    let codes: Vec<u64> = reports
        .iter()
        .filter_map(|report| report.body["resultCode"].as_u64())
        .collect();
    assert_eq!(
        codes,
        [112002, 112006, 112003, 112007, 112002],
        "the copy came after the pending report"
    );
    assert_eq!(reports[4].raw, reports[0].raw, "the same report again");
    let copy = app
        .deliveries("again-sink")
        .await
        .into_iter()
        .find(|delivery| {
            delivery["origin"]
                .as_str()
                .is_some_and(|origin| origin.starts_with(&format!("redeliver:{first_id}:")))
        })
        .expect("the copy is listed");
    let copy_id = copy["id"].as_i64().expect("an id").to_string();
    assert_ne!(
        copy_id,
        first_id.to_string(),
        "a copy is a callback of its own"
    );
    assert_eq!(reports[4].delivery(), Some(copy_id.as_str()));
    let arrivals = gate.arrivals();
    let copy_first_seen = arrivals
        .iter()
        .position(|arrival| arrival_delivery(arrival) == copy_id)
        .expect("the copy arrived");
    let pending_accepted = arrivals
        .iter()
        .position(|arrival| {
            arrival.callback.body["resultCode"] == 112007 && arrival.status == Some(200)
        })
        .expect("the pending report arrived");
    assert!(
        pending_accepted < copy_first_seen,
        "the copy was sent while the report before it was pending: {:#?}",
        summary(&arrivals)
    );
}

on_backends!(a_gate_whose_name_leads_to_loopback_gets_nothing_when_private_addresses_are_refused);
async fn a_gate_whose_name_leads_to_loopback_gets_nothing_when_private_addresses_are_refused(
    backend: Backend,
) {
    // The gate is set up while private addresses are allowed (as with the
    // sandbox, or as if its name had led to a public address then).
    let allowing = spawn_app_on(
        TestDatabase::create(backend).await,
        &["--callback-allow-private", "true"],
    )
    .await;
    let tenant = allowing.tenant("egress", "+46700000734").await;
    let gate = Gate::start().await;
    let by_name = gate.url.replace("127.0.0.1", "localhost");
    allowing
        .add_gate(&tenant, "egress-sink", &by_name, json!({}))
        .await;
    let database = allowing.stop_keeping_database().await;

    // Then the gateway runs with private addresses refused.
    let mut args = quick_with_schedule("20ms,20ms");
    args.extend(["--callback-allow-private", "false"]);
    let app = spawn_app_on(database, &args).await;
    let owner =
        json!({"platformId": tenant.platform_id, "platformPartnerId": tenant.platform_partner_id});
    let mut body = owner.clone();
    body["id"] = json!("egress-other");
    body["url"] = json!(by_name);
    let (status, answer) = app.admin_post("/gates", body).await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer.to_string().contains("which is not a public address"),
        "{answer}"
    );

    let id = app
        .send_reported(&tenant, "egress-sink", "+46701234584", json!({}))
        .await;
    let deliveries = app
        .deliveries_when("egress-sink", "the four reports settled", |all| {
            all.len() == 4 && all.iter().all(|delivery| delivery["state"] != "PENDING")
        })
        .await;
    assert!(
        gate.arrivals().is_empty(),
        "the loopback gate was called: {:#?}",
        summary(&gate.arrivals())
    );
    assert!(
        deliveries
            .iter()
            .all(|delivery| delivery["state"] == "GAVE_UP"
                && delivery["payload"]["messageId"] == id.as_str()),
        "{deliveries:#?}"
    );
    let attempts: Vec<Value> = deliveries.iter().flat_map(tries).collect();
    assert_eq!(attempts.len(), 12, "{deliveries:#?}");
    for attempt in &attempts {
        let error = attempt["error"].as_str().unwrap_or_default();
        assert!(
            attempt["httpStatus"].is_null()
                && error.contains("localhost resolves to ")
                && error.contains("which is not a public address"),
            "{attempt:#}"
        );
    }
}
