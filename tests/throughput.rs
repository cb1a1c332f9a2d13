//! The per-source throughput limit as the simulator sees it: no run of
//! sends faster than the pacer's spacing allows (see `common::pace`, which
//! grants each send some lateness, so a loaded machine does not fail it),
//! and no slower than the pace allows; a STANDARD source without a
//! throughput of its own is held to 80 a second. Every figure comes from the
//! times the simulator recorded, after a first send has opened the connection.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::pace::{faster_than_paced, period_millis};
use common::{Backend, hello_world, poll, request, spawn_app_with};

const LIMIT: usize = 10;
const MESSAGES: usize = 60;

on_backends!(a_number_is_never_sent_faster_than_its_limit);
async fn a_number_is_never_sent_faster_than_its_limit(backend: Backend) {
    // A lease shorter than the default, so that a send whose outcome went
    // unrecorded is claimed and sent again while the test still watches.
    let app = spawn_app_with(
        backend,
        &["--sandbox-status-delay", "1ms", "--dispatch-lease", "16s"],
    )
    .await;
    let tenant = app
        .tenant_with(
            "throttled",
            "+46700000200",
            serde_json::json!({"throughput": LIMIT}),
        )
        .await;
    // A first send opens the connection to Meta before the measured ones.
    let (status, answer) = app
        .send(&tenant, &request(&tenant, &["+46704099999"], hello_world()))
        .await;
    assert_eq!(status, 200, "{answer}");
    app.sim_received_at_least(1).await;

    let destinations: Vec<String> = (0..MESSAGES).map(|n| format!("+467040{n:05}")).collect();
    let destinations: Vec<&str> = destinations.iter().map(String::as_str).collect();
    let (status, answer) = app
        .send(&tenant, &request(&tenant, &destinations, hello_world()))
        .await;
    assert_eq!(status, 200, "{answer}");
    let ids: Vec<String> = answer["messageIds"]
        .as_array()
        .expect("messageIds")
        .iter()
        .map(|id| id.as_str().expect("a messageId").to_owned())
        .collect();
    assert_eq!(ids.len(), MESSAGES, "{answer}");

    // Every destination once: wait for all of them, and for the gateway to
    // have recorded every send (a send it did not record is sent again once
    // its lease runs out), then count the records.
    let measured = || async {
        app.sim_received()
            .await
            .into_iter()
            .filter(|record| {
                record["body"]["to"]
                    .as_str()
                    .is_some_and(|to| destinations.contains(&to))
            })
            .collect::<Vec<serde_json::Value>>()
    };
    poll(Duration::from_secs(60), "every destination", || async {
        let records = measured().await;
        let distinct: HashSet<&str> = records
            .iter()
            .filter_map(|record| record["body"]["to"].as_str())
            .collect();
        if distinct.len() == MESSAGES {
            Ok(())
        } else {
            Err(format!("{} of {MESSAGES} destinations", distinct.len()))
        }
    })
    .await;
    for id in &ids {
        app.status_when(&tenant, id, "the send recorded", |part| {
            part["state"] != "QUEUED"
        })
        .await;
    }
    let records = measured().await;
    assert_eq!(records.len(), MESSAGES, "each message exactly once");

    let arrivals = paced_arrivals(&records, LIMIT);

    // And not far slower: n sends at the limit take (n - 1) periods from
    // first to last; even at half the pace (a loaded machine's lateness,
    // which the pacer does not make up) they are done in twice that.
    let first = arrivals.iter().min().copied().unwrap_or_default();
    let last = arrivals.iter().max().copied().unwrap_or_default();
    let elapsed = last - first;
    let at_the_limit = ((MESSAGES - 1) as f64 * period_millis(LIMIT)) as i64;
    assert!(
        elapsed <= 2 * at_the_limit,
        "{MESSAGES} sends took {elapsed} ms; even at half of {LIMIT}/s they take {} ms",
        2 * at_the_limit
    );
}

/// STANDARD's default limit (README, Dispatch).
const STANDARD_LIMIT: usize = 80;

on_backends!(
    #[tokio::test(flavor = "multi_thread")]
    a_standard_source_is_held_to_80_a_second_by_default
);
async fn a_standard_source_is_held_to_80_a_second_by_default(backend: Backend) {
    let app = spawn_app_with(backend, &["--sandbox-status-delay", "1ms"]).await;
    let tenant = app
        .tenant_with(
            "standard",
            "+46700000201",
            serde_json::json!({"level": "STANDARD"}),
        )
        .await;
    // Two and a half seconds' worth at the limit, all queued by one request
    // (one commit) before the first can be sent: a faster pace, or none,
    // runs ahead of the pacer's spacing at 80 a second.
    let count = STANDARD_LIMIT * 5 / 2;
    let destinations: Vec<String> = (0..count).map(|n| format!("+467041{n:05}")).collect();
    let destinations: Vec<&str> = destinations.iter().map(String::as_str).collect();
    let (status, answer) = app
        .send(&tenant, &request(&tenant, &destinations, hello_world()))
        .await;
    assert_eq!(status, 200, "{answer}");
    let records = app.sim_received_at_least(count).await;
    assert_eq!(records.len(), count, "each message once: {records:?}");
    paced_arrivals(&records, STANDARD_LIMIT);
}

/// The simulator's arrival times of `records`, asserted to keep the
/// pacer's spacing at `limit` a second.
fn paced_arrivals(records: &[serde_json::Value], limit: usize) -> Vec<i64> {
    let arrivals: Vec<i64> = records
        .iter()
        .filter_map(|record| record["at"].as_i64())
        .collect();
    assert_eq!(
        arrivals.len(),
        records.len(),
        "an arrival time each: {records:?}"
    );
    if let Some(run) = faster_than_paced(&arrivals, limit) {
        panic!("faster than {limit}/s: {run}: {arrivals:?}");
    }
    arrivals
}
