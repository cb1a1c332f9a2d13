//! The load: `connections` workers sharing one HTTP client (so one
//! keep-alive connection each), every worker sending one LINK request at a
//! time until the count or the duration is used up, recording each
//! request's latency and outcome.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use reqwest::header::CONTENT_TYPE;
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use super::args::{Limit, MessageKind};
use super::numbers;
use super::percentile::LatencySummary;
use super::provision::Tenant;
use crate::clock::now_millis;

/// LINK's `resultCode` for a queued request.
const QUEUED: u32 = 112_001;

/// Characters of an error body kept for the report.
const ERROR_BODY_LIMIT: usize = 500;

/// What to send and how much.
pub struct LoadPlan {
    /// The gateway's base URL.
    pub gateway_url: String,
    pub tenant: Tenant,
    pub connections: usize,
    pub limit: Limit,
    pub destinations: usize,
    pub message: MessageKind,
}

/// What the load achieved.
#[derive(Debug, Clone)]
pub struct LoadOutcome {
    /// Requests that got an answer or failed trying.
    pub sent: u64,
    /// Requests answered `200` with `resultCode` 112001.
    pub accepted: u64,
    /// Messages in the accepted requests (one per destination).
    pub messages_accepted: u64,
    /// Failed requests by kind (`HTTP 500`, `HTTP 200 resultCode 112500`,
    /// `timeout`, `transport`).
    pub errors_by_kind: BTreeMap<String, u64>,
    /// The first failure seen, with the gateway's answer.
    pub first_error: Option<String>,
    /// From the first request to the last answer.
    pub elapsed: Duration,
    /// Latencies of the accepted requests.
    pub latency: Option<LatencySummary>,
    /// Wall-clock Unix milliseconds when the load started.
    pub started_at_millis: i64,
}

impl LoadOutcome {
    /// Failed requests of every kind.
    pub fn errors(&self) -> u64 {
        self.errors_by_kind.values().sum()
    }

    /// Accepted requests per second of the load phase.
    pub fn requests_per_second(&self) -> f64 {
        per_second(self.accepted, self.elapsed)
    }

    /// Accepted messages per second of the load phase.
    pub fn messages_per_second(&self) -> f64 {
        per_second(self.messages_accepted, self.elapsed)
    }
}

/// `count` over `elapsed`, 0 for an empty interval.
pub fn per_second(count: u64, elapsed: Duration) -> f64 {
    let seconds = elapsed.as_secs_f64();
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}

/// What the workers share.
struct Shared {
    url: String,
    tenant: Tenant,
    limit: Limit,
    destinations: usize,
    message: MessageKind,
    /// Number of the next request; also its `refId`.
    next: AtomicU64,
    started: Instant,
    first_error: OnceLock<String>,
}

/// One worker's counts.
#[derive(Default)]
struct Tally {
    sent: u64,
    accepted: u64,
    latencies: Vec<Duration>,
    errors: BTreeMap<String, u64>,
}

/// Runs the load to its end.
pub async fn run(client: &reqwest::Client, plan: LoadPlan) -> anyhow::Result<LoadOutcome> {
    let started_at_millis = now_millis();
    let shared = Arc::new(Shared {
        url: format!("{}/whatsapp-message/messages", plan.gateway_url),
        tenant: plan.tenant,
        limit: plan.limit,
        destinations: plan.destinations,
        message: plan.message,
        next: AtomicU64::new(0),
        started: Instant::now(),
        first_error: OnceLock::new(),
    });
    tracing::info!(connections = plan.connections, limit = %plan.limit, "load started");
    let mut workers = JoinSet::new();
    for _ in 0..plan.connections {
        workers.spawn(work(client.clone(), shared.clone()));
    }
    let mut total = Tally::default();
    while let Some(tally) = workers.join_next().await {
        let tally = tally.context("a load worker panicked")?;
        total.sent += tally.sent;
        total.accepted += tally.accepted;
        total.latencies.extend(tally.latencies);
        for (kind, count) in tally.errors {
            *total.errors.entry(kind).or_default() += count;
        }
    }
    let elapsed = shared.started.elapsed();
    tracing::info!(
        sent = total.sent,
        accepted = total.accepted,
        ?elapsed,
        "load finished"
    );
    Ok(LoadOutcome {
        sent: total.sent,
        accepted: total.accepted,
        messages_accepted: total.accepted * shared.destinations as u64,
        errors_by_kind: total.errors,
        first_error: shared.first_error.get().cloned(),
        elapsed,
        latency: LatencySummary::of(&mut total.latencies),
        started_at_millis,
    })
}

/// One worker: take the next request number until the limit is reached.
async fn work(client: reqwest::Client, shared: Arc<Shared>) -> Tally {
    let mut tally = Tally::default();
    let deadline = match shared.limit {
        Limit::Duration(duration) => Some(shared.started + duration),
        Limit::Count(_) => None,
    };
    loop {
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            break;
        }
        let number = shared.next.fetch_add(1, Ordering::Relaxed);
        if matches!(shared.limit, Limit::Count(count) if number >= count) {
            break;
        }
        let body = request_body(&shared, number);
        let started = Instant::now();
        let outcome = send(&client, &shared, body).await;
        let latency = started.elapsed();
        tally.sent += 1;
        match outcome {
            Ok(()) => {
                tally.accepted += 1;
                tally.latencies.push(latency);
            }
            Err(failure) => {
                *tally.errors.entry(failure.kind).or_default() += 1;
                // Only the first failure is kept; later ones are counted.
                let _ = shared.first_error.set(failure.detail);
            }
        }
    }
    tally
}

/// A request that was not queued.
struct Failure {
    kind: String,
    detail: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    result_code: Option<u32>,
}

async fn send(client: &reqwest::Client, shared: &Shared, body: Vec<u8>) -> Result<(), Failure> {
    let response = client
        .post(&shared.url)
        .basic_auth(
            &shared.tenant.username,
            Some(shared.tenant.password.expose_secret()),
        )
        .header(CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .map_err(transport_failure)?;
    let status = response.status().as_u16();
    let text = response.bytes().await.map_err(transport_failure)?;
    let result_code = serde_json::from_slice::<Answer>(&text)
        .ok()
        .and_then(|answer| answer.result_code);
    if status == 200 && result_code == Some(QUEUED) {
        return Ok(());
    }
    let kind = match (status, result_code) {
        (200, Some(code)) => format!("HTTP 200 resultCode {code}"),
        (200, None) => "HTTP 200 without resultCode".to_owned(),
        (status, _) => format!("HTTP {status}"),
    };
    let text = String::from_utf8_lossy(&text);
    let detail = match text.char_indices().nth(ERROR_BODY_LIMIT) {
        Some((cut, _)) => format!("HTTP {status}: {}…", &text[..cut]),
        None => format!("HTTP {status}: {text}"),
    };
    Err(Failure { kind, detail })
}

fn transport_failure(error: reqwest::Error) -> Failure {
    let kind = if error.is_timeout() {
        "timeout"
    } else {
        "transport"
    };
    Failure {
        kind: kind.to_owned(),
        detail: format!("{:#}", anyhow::Error::from(error)),
    }
}

/// Request number `number` in the LINK format: round-robin over the
/// sources, fresh random destinations.
fn request_body(shared: &Shared, number: u64) -> Vec<u8> {
    let sources = &shared.tenant.sources;
    let source = usize::try_from(number)
        .ok()
        .and_then(|number| sources.get(number % sources.len().max(1)));
    let message = match shared.message {
        MessageKind::Template => json!({
            "type": "template",
            "template": {"name": "hello_world", "language": {"code": "en_US"}},
        }),
        MessageKind::Text => json!({
            "type": "text",
            "text": {"body": format!("wagate bench {number}")},
        }),
    };
    let body: Value = json!({
        "platformId": shared.tenant.platform_id,
        "platformPartnerId": shared.tenant.platform_partner_id,
        "priority": "NORMAL",
        "refId": format!("bench-{number}"),
        "source": source,
        "destinations": numbers::destinations(shared.destinations),
        "messages": [message],
        "eventReportGates": [shared.tenant.gate_id],
    });
    body.to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;

    fn sample(message: MessageKind) -> Shared {
        Shared {
            url: String::new(),
            tenant: Tenant {
                platform_id: "p".into(),
                platform_partner_id: "pp".into(),
                username: "u".into(),
                password: SecretString::from("secret"),
                sources: vec!["+15550000001".into(), "+15550000002".into()],
                gate_id: "g".into(),
            },
            limit: Limit::Count(10),
            destinations: 3,
            message,
            next: AtomicU64::new(0),
            started: Instant::now(),
            first_error: OnceLock::new(),
        }
    }

    #[test]
    fn requests_go_round_robin_in_the_link_format() {
        let shared = sample(MessageKind::Template);
        let first: Value = serde_json::from_slice(&request_body(&shared, 0)).expect("json");
        let second: Value = serde_json::from_slice(&request_body(&shared, 1)).expect("json");
        let third: Value = serde_json::from_slice(&request_body(&shared, 2)).expect("json");
        assert_eq!(first["source"], "+15550000001");
        assert_eq!(second["source"], "+15550000002");
        assert_eq!(third["source"], "+15550000001");
        assert_eq!(third["refId"], "bench-2");
        assert_eq!(first["platformId"], "p");
        assert_eq!(first["platformPartnerId"], "pp");
        assert_eq!(first["priority"], "NORMAL");
        assert_eq!(first["eventReportGates"], json!(["g"]));
        assert_eq!(first["destinations"].as_array().map(Vec::len), Some(3));
        assert_eq!(
            first["messages"],
            json!([{"type": "template", "template": {"name": "hello_world", "language": {"code": "en_US"}}}])
        );
        let text: Value =
            serde_json::from_slice(&request_body(&sample(MessageKind::Text), 7)).expect("json");
        assert_eq!(
            text["messages"],
            json!([{"type": "text", "text": {"body": "wagate bench 7"}}])
        );
    }

    #[test]
    fn rates_survive_an_empty_interval() {
        assert_eq!(per_second(10, Duration::ZERO), 0.0);
        assert_eq!(per_second(10, Duration::from_millis(500)), 20.0);
    }
}
