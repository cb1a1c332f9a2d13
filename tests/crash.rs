//! A gateway killed with SIGKILL while submitting resumes after a restart:
//! every accepted message reaches the Cloud API (a standalone `wagate sim`,
//! which outlives the gateway), and none twice except submissions that were
//! in flight at the kill, which are counted and bounded.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::process::Process;
use common::{Backend, Gateway, TestDatabase, poll, request, template};
use serde_json::json;

const REQUESTS: usize = 4;
const PER_REQUEST: usize = 20;
const THROUGHPUT: usize = 20;

fn gateway(database: &TestDatabase, sim: &str) -> Process {
    Process::serve_against_sim(database, sim, &["--source-lease", "1s"])
}

async fn sends_received(sim: &Gateway) -> u64 {
    sim.standalone_sim("stats").await["received"]
        .as_u64()
        .unwrap_or(0)
}

on_backends!(a_gateway_killed_while_submitting_resumes_and_sends_everything);
async fn a_gateway_killed_while_submitting_resumes_and_sends_everything(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let sim_process = Process::sim(&[]);
    let sim = sim_process.gateway();

    let mut first = gateway(&database, &sim.base);
    let tenant = first
        .gateway()
        .tenant_with("crash", "+46700000300", json!({"throughput": THROUGHPUT}))
        .await;
    let mut message_ids = Vec::new();
    let mut destinations = Vec::new();
    for batch in 0..REQUESTS {
        let batch: Vec<String> = (0..PER_REQUEST)
            .map(|n| format!("+46705{batch:02}{n:04}"))
            .collect();
        let to: Vec<&str> = batch.iter().map(String::as_str).collect();
        let body = request(&tenant, &to, json!([template("crash_notice")]));
        let (status, answer) = first.gateway().send(&tenant, &body).await;
        assert_eq!(status, 200, "{answer}");
        message_ids.extend(
            answer["messageIds"]
                .as_array()
                .expect("ids")
                .iter()
                .filter_map(|id| id.as_str().map(str::to_owned)),
        );
        destinations.extend(batch);
    }
    let total = REQUESTS * PER_REQUEST;

    // Kill it a quarter of the way through the submissions.
    poll(Duration::from_secs(60), "the first submissions", || async {
        let received = sends_received(&sim).await;
        if received >= (total / 4) as u64 {
            Ok(())
        } else {
            Err(format!("{received} received"))
        }
    })
    .await;
    first.kill();
    let at_kill = sends_received(&sim).await;
    assert!(
        at_kill < total as u64,
        "everything was sent before the kill; nothing to resume"
    );

    let second = gateway(&database, &sim.base);
    let counts: HashMap<String, usize> = poll(
        Duration::from_secs(90),
        "every destination after the restart",
        || async {
            let mut counts: HashMap<String, usize> = HashMap::new();
            for record in sim
                .standalone_sim("received")
                .await
                .as_array()
                .into_iter()
                .flatten()
            {
                if record["status"] == 200
                    && let Some(to) = record["body"]["to"].as_str()
                {
                    *counts.entry(to.to_owned()).or_default() += 1;
                }
            }
            if counts.len() == total {
                Ok(counts)
            } else {
                Err(format!("{} of {total} destinations", counts.len()))
            }
        },
    )
    .await;
    assert!(destinations.iter().all(|to| counts.contains_key(to)));
    let duplicates: usize = counts.values().map(|count| count - 1).sum();
    println!(
        "crash test: {total} messages, {at_kill} sends before the SIGKILL, \
         {duplicates} sent twice (in flight at the kill)"
    );
    // Only submissions in flight at the kill can repeat: at most one per
    // concurrent slot of the source (throughput / 2, at least 4).
    assert!(
        duplicates <= (THROUGHPUT / 2).max(4),
        "{duplicates} duplicates"
    );
    assert!(counts.values().all(|count| *count <= 2), "{counts:?}");

    // The restarted gateway recorded every submission.
    let restarted = second.gateway();
    for id in &message_ids {
        restarted
            .status_when(&tenant, id, "the submission", |part| {
                part["state"] == "SUBMITTED"
            })
            .await;
    }
}

on_backends!(callbacks_pending_at_a_sigkill_are_delivered_after_the_restart);
async fn callbacks_pending_at_a_sigkill_are_delivered_after_the_restart(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    // Timeouts long enough that a loaded machine's normal 200 is not timed
    // out and its report delivered twice; the lease just above them.
    let args = [
        "--sandbox-status-delay",
        "1ms",
        "--dispatch-lease",
        "6s",
        "--source-lease",
        "1s",
        "--upstream-timeout",
        "5s",
        "--callback-timeout",
        "5s",
        "--callback-retry-schedule",
        "200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms",
    ];
    let gate = common::gate::Gate::start().await;
    gate.refuse_next(u32::MAX);
    let mut first = Process::serve(&database, &args);
    let gateway = first.gateway();
    let tenant = gateway.tenant("pending", "+46700000310").await;
    let (status, answer) = gateway
        .admin_post(
            "/gates",
            json!({"platformId": tenant.platform_id, "platformPartnerId": tenant.platform_partner_id,
                   "id": "pending-sink", "url": gate.url}),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    let mut body = request(&tenant, &["+46701234570"], common::hello_world());
    body["eventReportGates"] = json!(["pending-sink"]);
    let (status, answer) = gateway.send(&tenant, &body).await;
    assert_eq!(status, 200, "{answer}");
    let id = answer["messageIds"][0].as_str().expect("id").to_owned();
    // Every status is in, and the gate has refused its reports.
    gateway
        .status_when(&tenant, &id, "the read status", |part| {
            part["state"] == "READ"
        })
        .await;
    poll(Duration::from_secs(30), "refusals", || async {
        if gate.refused() >= 4 {
            Ok(())
        } else {
            Err(gate.refused().to_string())
        }
    })
    .await;
    first.kill();
    assert!(gate.accepted().is_empty());

    gate.refuse_next(0);
    let _second = Process::serve(&database, &args);
    let reports = gate.reports_for(&id, 4).await;
    let codes: Vec<u64> = reports
        .iter()
        .filter_map(|report| report.body["resultCode"].as_u64())
        .collect();
    assert_eq!(codes, [112002, 112006, 112003, 112007]);
}
