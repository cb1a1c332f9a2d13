//! Several instances on one PostgreSQL: an instance restarted under the
//! same `--instance-name` takes its numbers back at once, instead of waiting
//! for the leases its previous run held to run out, while an instance of
//! another name leaves them alone until then.
//!
//! Each instance submits to a simulator of its own, so the simulator that
//! received a send tells which instance sent it.
//!
//! Runs when `WAGATE_TEST_POSTGRES_URL` is set (CI sets it).

mod common;

use std::time::Duration;

use common::db::{Backend, TestDatabase};
use common::process::Process;
use common::{Gateway, poll, request, template};
use serde_json::{Value, json};

const SOURCE: &str = "+46700000950";
/// Far longer than the test waits for the restarted instance to send.
const SOURCE_LEASE: &str = "60s";
const WAIT_FOR_SENDS: Duration = Duration::from_secs(30);

fn instance(name: &str, database: &TestDatabase, sim: &str) -> Process {
    Process::instance(name, database, sim, SOURCE_LEASE, &[])
}

/// The simulator's accepted sends to `destinations`.
async fn sends_to(sim: &Gateway, destinations: &[String]) -> Vec<Value> {
    sim.standalone_sim("received")
        .await
        .as_array()
        .into_iter()
        .flatten()
        .filter(|record| record["status"] == 200)
        .filter(|record| {
            record["body"]["to"]
                .as_str()
                .is_some_and(|to| destinations.iter().any(|queued| queued == to))
        })
        .cloned()
        .collect()
}

/// Who holds the number's lease, and until when (Unix milliseconds).
async fn lease_of_source(database: &TestDatabase) -> (String, i64) {
    let rows = database
        .rows(
            "SELECT holder, CAST(held_until AS TEXT) FROM leases WHERE name = $1",
            &format!("source:{SOURCE}"),
        )
        .await;
    let row = rows.first().expect("the number's lease");
    let holder = row[0].clone().expect("a holder");
    let until = row[1]
        .as_deref()
        .and_then(|until| until.parse().ok())
        .expect("held_until");
    (holder, until)
}

on_postgres!(
    #[tokio::test(flavor = "multi_thread")]
    a_restarted_instance_takes_its_numbers_back_before_the_lease_runs_out
);
async fn a_restarted_instance_takes_its_numbers_back_before_the_lease_runs_out() {
    let database = TestDatabase::create(Backend::Postgres).await;
    let sim_processes = [Process::sim(&[]), Process::sim(&[])];
    let [sim_of_x, sim_of_other] = sim_processes.each_ref().map(Process::gateway);

    // node-x owns the number: it sent a first message, and its worker
    // keeps the lease while it waits for more.
    let mut first_run = instance("node-x", &database, &sim_of_x.base);
    let tenant = first_run.gateway().tenant("restart", SOURCE).await;
    let first = vec!["+46706000000".to_owned()];
    let body = request(&tenant, &[first[0].as_str()], json!([template("first")]));
    let (status, answer) = first_run.gateway().send(&tenant, &body).await;
    assert_eq!(status, 200, "{answer}");
    poll(
        WAIT_FOR_SENDS,
        "the first message sent by node-x",
        || async {
            if sends_to(&sim_of_x, &first).await.is_empty() {
                Err("not yet".to_owned())
            } else {
                Ok(())
            }
        },
    )
    .await;
    first_run.kill();
    let (holder, dead_until) = lease_of_source(&database).await;
    assert_eq!(holder, "node-x");

    // node-other takes the next messages while node-x is dead; the number
    // is still leased to node-x, so it must not send them. It would at
    // once if it did: accepting work wakes the accepting instance.
    let other = instance("node-other", &database, &sim_of_other.base);
    let queued: Vec<String> = (1..=3).map(|n| format!("+4670600000{n}")).collect();
    let to: Vec<&str> = queued.iter().map(String::as_str).collect();
    let body = request(&tenant, &to, json!([template("queued")]));
    let (status, answer) = other.gateway().send(&tenant, &body).await;
    assert_eq!(status, 200, "{answer}");

    // node-x again: it sends them long before its old lease would end.
    let _restarted = instance("node-x", &database, &sim_of_x.base);
    let (by_x, by_other) = poll(
        WAIT_FOR_SENDS,
        &format!("the queued messages sent (node-x's old lease holds for {SOURCE_LEASE})"),
        || async {
            let by_x = sends_to(&sim_of_x, &queued).await;
            let by_other = sends_to(&sim_of_other, &queued).await;
            let sent = by_x.len() + by_other.len();
            if sent >= queued.len() {
                Ok((by_x, by_other))
            } else {
                Err(format!("{sent} of {} sent", queued.len()))
            }
        },
    )
    .await;
    assert!(
        by_other.is_empty(),
        "node-other sent while node-x's lease held: {by_other:#?}"
    );
    assert_eq!(by_x.len(), queued.len(), "each once: {by_x:#?}");
    for record in &by_x {
        let at = record["at"].as_i64().expect("at");
        assert!(
            at < dead_until,
            "sent at {at}, after the dead run's lease ran out at {dead_until}: {record}"
        );
    }
    assert_eq!(lease_of_source(&database).await.0, "node-x");
}
