//! A gateway killed with SIGKILL while submitting resumes after a restart:
//! every accepted message reaches the Cloud API (a standalone `wagate sim`,
//! which outlives the gateway), and none twice except submissions that were
//! in flight at the kill, which are counted and bounded.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::process::Process;
use common::{ADMIN_TOKEN, read};
use serde_json::{Value, json};

const REQUESTS: usize = 4;
const PER_REQUEST: usize = 20;
const THROUGHPUT: u32 = 20;

fn gateway(database: &str, sim: &str) -> Process {
    Process::serve(
        database,
        &[
            "--upstream",
            "meta",
            "--meta-base-url",
            sim,
            "--meta-access-token",
            "crash-test-token",
            "--dispatch-lease",
            "3s",
            "--upstream-timeout",
            "2s",
            "--resend-interval",
            "100ms",
        ],
    )
}

async fn get_json(client: &reqwest::Client, url: String) -> Value {
    let (status, body) = read(client.get(url).send().await.expect("GET")).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn a_gateway_killed_while_submitting_resumes_and_sends_everything() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = format!("sqlite://{}", dir.path().join("wagate.db").display());
    let client = reqwest::Client::new();
    let sim = Process::start(
        &["sim", "--listen", "127.0.0.1:0", "--status-delay", "1ms"],
        "wagate sim listening on ",
    );

    let mut first = gateway(&database, &sim.base);
    let owner = json!({"platformId": "crash", "platformPartnerId": "crash-p"});
    for (path, extra) in [
        ("accounts", json!({})),
        (
            "users",
            json!({"username": "crash", "password": "crash-password"}),
        ),
        (
            "sources",
            json!({"number": "+46700000300", "phoneNumberId": "pnid-crash", "throughput": THROUGHPUT}),
        ),
    ] {
        let mut body = owner.clone();
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let response = client
            .post(format!("{}/admin/v1/{path}", first.base))
            .bearer_auth(ADMIN_TOKEN)
            .json(&body)
            .send()
            .await
            .expect("admin");
        assert_eq!(response.status(), 201, "{path}");
    }
    let mut message_ids = Vec::new();
    let mut destinations = Vec::new();
    for request in 0..REQUESTS {
        let batch: Vec<String> = (0..PER_REQUEST)
            .map(|n| format!("+46705{request:02}{n:04}"))
            .collect();
        let body = json!({
            "platformId": "crash", "platformPartnerId": "crash-p", "source": "+46700000300",
            "priority": "NORMAL", "refId": format!("crash-{request}"),
            "destinations": batch,
            "messages": [{"type": "template", "template": {"name": "crash_notice", "language": {"code": "en"}}}]
        });
        let (status, answer) = read(
            client
                .post(format!("{}/whatsapp-message/messages", first.base))
                .basic_auth("crash", Some("crash-password"))
                .json(&body)
                .send()
                .await
                .expect("send"),
        )
        .await;
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

    // Kill it mid-way through the submissions.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let stats = get_json(&client, format!("{}/sim/v1/stats", sim.base)).await;
        if stats["received"].as_u64().unwrap_or(0) >= (total / 4) as u64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "submissions never started: {stats}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.kill();
    let at_kill = get_json(&client, format!("{}/sim/v1/stats", sim.base)).await["received"]
        .as_u64()
        .unwrap_or(0);
    assert!(
        at_kill < total as u64,
        "everything was sent before the kill; nothing to resume"
    );

    let second = gateway(&database, &sim.base);
    let deadline = Instant::now() + Duration::from_secs(90);
    let counts = loop {
        let received = get_json(&client, format!("{}/sim/v1/received", sim.base)).await;
        let mut counts: HashMap<String, usize> = HashMap::new();
        for record in received.as_array().into_iter().flatten() {
            if record["status"] == 200
                && let Some(to) = record["body"]["to"].as_str()
            {
                *counts.entry(to.to_owned()).or_default() += 1;
            }
        }
        if counts.len() == total {
            break counts;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {total} destinations reached the simulator after the restart",
            counts.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(destinations.iter().all(|to| counts.contains_key(to)));
    let duplicates: usize = counts.values().map(|count| count - 1).sum();
    println!(
        "crash test: {total} messages, {at_kill} sends before the SIGKILL, \
         {duplicates} sent twice (in flight at the kill)"
    );
    // Only submissions in flight at the kill can repeat: at most one per
    // concurrent slot of the source (throughput / 2, at least 4).
    assert!(
        duplicates <= (THROUGHPUT as usize / 2).max(4),
        "{duplicates} duplicates"
    );
    assert!(counts.values().all(|count| *count <= 2), "{counts:?}");

    // The restarted gateway recorded every submission.
    for id in &message_ids {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (status, message) = read(
                client
                    .get(format!("{}/whatsapp-message/messages/{id}", second.base))
                    .basic_auth("crash", Some("crash-password"))
                    .send()
                    .await
                    .expect("status"),
            )
            .await;
            assert_eq!(status, 200, "{message}");
            if message["messages"][0]["state"] == "SUBMITTED" {
                break;
            }
            assert!(Instant::now() < deadline, "{id} not submitted: {message:#}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
