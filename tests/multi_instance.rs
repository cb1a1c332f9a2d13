//! Three gateways on one PostgreSQL behind a load balancer, under load from
//! every side, one of them killed with SIGKILL midway: every accepted
//! message reaches the simulator (twice only if it was in flight at the
//! kill), one instance at a time sends a number's work, no number is ever
//! sent faster than its limit, and every
//! delivery report reaches the gate, in order per message.
//!
//! Runs when `WAGATE_TEST_POSTGRES_URL` is set (CI sets it).

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::balancer::Balancer;
use common::db::{Backend, TestDatabase};
use common::gate::Gate;
use common::pace::faster_than_paced;
use common::process::Process;
use common::{Gateway, Tenant, poll, request, template};
use serde_json::json;
use sqlx::{Connection, PgConnection};

const INSTANCES: [&str; 3] = ["node-a", "node-b", "node-c"];
const SOURCES: usize = 3;
const LIMIT: usize = 15;
const REQUESTS_PER_SOURCE: usize = 6;
const PER_REQUEST: usize = 10;

fn instance(name: &str, database: &TestDatabase, sim: &str) -> Process {
    Process::instance(
        name,
        database,
        sim,
        "2s",
        &[
            "--callback-retry-schedule",
            "100ms,100ms,100ms,100ms,100ms,100ms,100ms,100ms,100ms,100ms",
        ],
    )
}

/// Every send the simulators received, with the name of the instance that
/// submits to each.
async fn received_by_instance(sims: &[Gateway]) -> Vec<(&'static str, serde_json::Value)> {
    let mut received = Vec::new();
    for (name, sim) in INSTANCES.iter().zip(sims) {
        let records = sim.standalone_sim("received").await;
        received.extend(
            records
                .as_array()
                .into_iter()
                .flatten()
                .map(|record| (*name, record.clone())),
        );
    }
    received
}

/// Who holds the numbers' leases now: instance name → numbers.
async fn number_owners(database: &TestDatabase) -> HashMap<String, usize> {
    let mut connection = PgConnection::connect(database.url())
        .await
        .expect("connect");
    let holders: Vec<String> =
        sqlx::query_scalar("SELECT holder FROM leases WHERE name LIKE 'source:%'")
            .fetch_all(&mut connection)
            .await
            .expect("leases");
    let mut owners = HashMap::new();
    for holder in holders {
        *owners.entry(holder).or_default() += 1;
    }
    owners
}

on_postgres!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    three_instances_one_killed_lose_nothing_and_keep_limits_and_order
);
async fn three_instances_one_killed_lose_nothing_and_keep_limits_and_order() {
    let database = TestDatabase::create(Backend::Postgres).await;
    let gate = Gate::start().await;
    // Each instance submits to a simulator of its own, so which simulator
    // received a send tells which instance sent it. The simulators'
    // webhooks go through the balancer like the API calls.
    let balancer = Balancer::start().await;
    let webhook_url = format!("{}/webhooks/meta", balancer.base);
    let sim_processes: Vec<Process> = INSTANCES
        .iter()
        .map(|_| {
            Process::sim(&[
                "--app-secret",
                "test-app-secret",
                "--webhook-url",
                &webhook_url,
            ])
        })
        .collect();
    let sims: Vec<Gateway> = sim_processes.iter().map(Process::gateway).collect();
    let mut instances: Vec<Process> = INSTANCES
        .iter()
        .zip(&sims)
        .map(|(name, sim)| instance(name, &database, &sim.base))
        .collect();
    balancer.route_to(
        instances
            .iter()
            .map(|process| process.base.clone())
            .collect(),
    );
    let front = Gateway::at(&balancer.base);

    let mut tenants: Vec<Tenant> = Vec::new();
    for n in 0..SOURCES {
        let tenant = front
            .tenant_with(
                &format!("multi{n}"),
                &format!("+4670000090{n}"),
                json!({"throughput": LIMIT}),
            )
            .await;
        let (status, answer) = front
            .admin_post(
                "/gates",
                json!({"platformId": tenant.platform_id, "platformPartnerId": tenant.platform_partner_id,
                       "id": format!("multi{n}-sink"), "url": gate.url}),
            )
            .await;
        assert_eq!(status, 201, "{answer}");
        tenants.push(tenant);
    }

    // Load from every side: the balancer spreads the requests over the
    // three instances; half of them are sent, then one instance dies.
    let mut accepted: Vec<(String, String)> = Vec::new();
    let mut victim: Option<String> = None;
    for round in 0..REQUESTS_PER_SOURCE {
        if round == REQUESTS_PER_SOURCE / 2 {
            // Kill the instance that owns the most numbers, midway.
            let owners = poll(Duration::from_secs(30), "numbers owned", || async {
                let owners = number_owners(&database).await;
                if owners.is_empty() {
                    Err("nobody owns a number yet".to_owned())
                } else {
                    Ok(owners)
                }
            })
            .await;
            let (name, _) = owners
                .iter()
                .max_by_key(|(_, numbers)| **numbers)
                .expect("an owner");
            let index = INSTANCES
                .iter()
                .position(|candidate| candidate == name)
                .expect("a known instance");
            instances[index].kill();
            println!("multi-instance test: SIGKILL {name}, which owned {owners:?} numbers");
            victim = Some(name.clone());
        }
        for (n, tenant) in tenants.iter().enumerate() {
            let to: Vec<String> = (0..PER_REQUEST)
                .map(|k| format!("+4671{n}{round:02}{k:04}"))
                .collect();
            let to: Vec<&str> = to.iter().map(String::as_str).collect();
            let mut body = request(tenant, &to, json!([template("multi_notice")]));
            body["eventReportGates"] = json!([format!("multi{n}-sink")]);
            let (status, answer) = front.send(tenant, &body).await;
            // A request the dying instance held is not accepted; the client
            // would send it again. Everything answered 200 must go out.
            if status != 200 {
                println!("not accepted (the instance died under it): {status} {answer}");
                continue;
            }
            for (id, destination) in answer["messageIds"]
                .as_array()
                .expect("ids")
                .iter()
                .zip(&to)
            {
                accepted.push((
                    id.as_str().expect("id").to_owned(),
                    (*destination).to_owned(),
                ));
            }
        }
    }
    assert!(victim.is_some());
    let total = accepted.len();
    assert!(
        total >= SOURCES * PER_REQUEST * (REQUESTS_PER_SOURCE - 1),
        "{total} accepted"
    );

    // Every accepted message reaches a simulator.
    let records = poll(
        Duration::from_secs(120),
        "every accepted message at a simulator",
        || async {
            let records = received_by_instance(&sims).await;
            let reached: std::collections::HashSet<&str> = records
                .iter()
                .filter(|(_, record)| record["status"] == 200)
                .filter_map(|(_, record)| record["body"]["to"].as_str())
                .collect();
            let missing = accepted
                .iter()
                .filter(|(_, to)| !reached.contains(to.as_str()))
                .count();
            if missing == 0 {
                Ok(records)
            } else {
                Err(format!("{missing} of {total} not received"))
            }
        },
    )
    .await;
    let mut sends: HashMap<&str, usize> = HashMap::new();
    // Business number → (arrival, sending instance) of each send.
    let mut arrivals: HashMap<&str, Vec<(i64, &str)>> = HashMap::new();
    for (sender, record) in &records {
        if let (Some(to), Some(at), Some(number)) = (
            record["body"]["to"].as_str(),
            record["at"].as_i64(),
            record["phoneNumberId"].as_str(),
        ) {
            *sends.entry(to).or_default() += 1;
            arrivals.entry(number).or_default().push((at, sender));
        }
    }
    let duplicates: usize = sends.values().map(|count| count - 1).sum();

    for (number, sent) in &mut arrivals {
        // One instance at a time sent each number's work: in arrival
        // order, each instance's sends form one run (the victim's, then
        // its successor's).
        sent.sort_unstable();
        let mut runs: Vec<&str> = sent.iter().map(|(_, sender)| *sender).collect();
        runs.dedup();
        let mut distinct = runs.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(
            runs.len(),
            distinct.len(),
            "{number} was sent by several instances at once, in turns {runs:?}"
        );
        // No number was sent faster than its limit, across all instances
        // together (see `common::pace` for the lateness a send is granted).
        let times: Vec<i64> = sent.iter().map(|(at, _)| *at).collect();
        if let Some(run) = faster_than_paced(&times, LIMIT) {
            panic!("{number} faster than {LIMIT}/s: {run}");
        }
    }

    // Every message's reports reach the gate in order: submitted, sent,
    // delivered, read (a report in flight at the kill may come twice, one
    // right after the other).
    let reports = poll(
        Duration::from_secs(120),
        "every delivery report at the gate",
        || async {
            let mut by_message: HashMap<String, Vec<u64>> = HashMap::new();
            for callback in gate.accepted() {
                if let (Some(id), Some(code)) = (
                    callback.body["messageId"].as_str(),
                    callback.body["resultCode"].as_u64(),
                ) {
                    by_message.entry(id.to_owned()).or_default().push(code);
                }
            }
            let complete = accepted
                .iter()
                .filter(|(id, _)| {
                    by_message.get(id).is_some_and(|codes| {
                        let mut codes = codes.clone();
                        codes.dedup();
                        codes.len() >= 4
                    })
                })
                .count();
            if complete == total {
                Ok(by_message)
            } else {
                Err(format!("{complete} of {total} messages have every report"))
            }
        },
    )
    .await;
    let mut repeated_reports = 0;
    for (id, _) in &accepted {
        let codes = &reports[id];
        let mut in_order = codes.clone();
        in_order.dedup();
        repeated_reports += codes.len() - in_order.len();
        assert_eq!(
            in_order,
            [112002, 112006, 112003, 112007],
            "{id}: {codes:?}"
        );
    }
    println!(
        "multi-instance test: {total} messages accepted over {} instances, {} sends, \
         {duplicates} sent twice (in flight at the SIGKILL), {repeated_reports} reports \
         repeated, every report in order",
        INSTANCES.len(),
        records.len(),
    );
    // Only submissions in flight at the kill can repeat: at most one per
    // concurrent slot of each number the victim owned.
    assert!(
        duplicates <= SOURCES * (LIMIT / 2).max(4),
        "{duplicates} duplicates"
    );
    assert!(sends.values().all(|count| *count <= 2), "{sends:?}");
}
