//! The simulator's counters, read over HTTP: from the gateway's sandbox
//! (`/sandbox/v1/stats`, admin bearer token) or a standalone `wagate sim`
//! (`/sim/v1/stats`). A gateway without the endpoint is not an error of the
//! bench: the end-to-end part of the report then says why it is missing.

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};

/// Time between two reads while waiting for the simulator to catch up.
const POLL_INTERVAL: Duration = Duration::from_millis(200);

pub use crate::sim::SimStats;

/// Why the counters could not be read.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StatsError {
    #[error("HTTP {0}")]
    Status(u16),
    #[error("{0}")]
    Transport(String),
    #[error("unreadable answer: {0}")]
    Body(String),
}

/// Where the counters are and how to ask for them.
pub struct StatsSource {
    url: String,
    bearer: Option<SecretString>,
}

impl StatsSource {
    /// A standalone simulator at `sim_url`.
    pub fn simulator(sim_url: &str) -> Self {
        Self {
            url: format!("{sim_url}/sim/v1/stats"),
            bearer: None,
        }
    }

    /// The sandbox inside the gateway at `gateway_url`.
    pub fn sandbox(gateway_url: &str, admin_token: SecretString) -> Self {
        Self {
            url: format!("{gateway_url}/sandbox/v1/stats"),
            bearer: Some(admin_token),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub async fn read(&self, client: &reqwest::Client) -> Result<SimStats, StatsError> {
        let mut request = client.get(&self.url);
        if let Some(token) = &self.bearer {
            request = request.bearer_auth(token.expose_secret());
        }
        let response = request
            .send()
            .await
            .map_err(|error| StatsError::Transport(error.to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(StatsError::Status(status.as_u16()));
        }
        let body = response
            .bytes()
            .await
            .map_err(|error| StatsError::Transport(error.to_string()))?;
        serde_json::from_slice(&body).map_err(|error| StatsError::Body(error.to_string()))
    }
}

/// How waiting for the simulator ended.
#[derive(Debug, Clone)]
pub struct Drain {
    /// The counters before the load.
    pub baseline: SimStats,
    /// The latest counters read.
    pub last: SimStats,
    /// Messages the simulator had to accept.
    pub expected: u64,
    /// Whether it accepted them all before the timeout.
    pub completed: bool,
    /// From the end of the load to the end of waiting.
    pub waited: Duration,
    /// The latest failed read, when the latest read failed.
    pub last_error: Option<StatsError>,
}

impl Drain {
    /// Messages the simulator accepted since the baseline.
    pub fn accepted(&self) -> u64 {
        self.last.accepted.saturating_sub(self.baseline.accepted)
    }

    /// Messages it refused since the baseline.
    pub fn rejected(&self) -> u64 {
        self.last.rejected.saturating_sub(self.baseline.rejected)
    }

    /// Expected messages it has not accepted.
    pub fn missing(&self) -> u64 {
        self.expected.saturating_sub(self.accepted())
    }
}

/// Reads the counters every [`POLL_INTERVAL`] until `accepted` has grown
/// by `expected` over `baseline`, or `timeout` passes. A failed read does
/// not end the wait: the simulator may be busy.
pub async fn wait_for(
    source: &StatsSource,
    client: &reqwest::Client,
    baseline: SimStats,
    expected: u64,
    timeout: Duration,
) -> Drain {
    let started = Instant::now();
    let mut drain = Drain {
        baseline,
        last: baseline,
        expected,
        completed: false,
        waited: Duration::ZERO,
        last_error: None,
    };
    loop {
        match source.read(client).await {
            Ok(stats) => {
                drain.last = stats;
                drain.last_error = None;
            }
            Err(error) => drain.last_error = Some(error),
        }
        drain.waited = started.elapsed();
        if drain.missing() == 0 {
            drain.completed = true;
            return drain;
        }
        if drain.waited >= timeout {
            return drain;
        }
        tokio::time::sleep(POLL_INTERVAL.min(timeout - drain.waited)).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use axum::Json;
    use axum::routing::get;

    use super::*;

    /// A simulator whose `accepted` grows by one per read, up to `ceiling`.
    async fn counting_simulator(ceiling: u64) -> String {
        let reads = Arc::new(AtomicU64::new(0));
        let app = axum::Router::new().route(
            "/sim/v1/stats",
            get(move || {
                let reads = reads.clone();
                async move {
                    let accepted = reads.fetch_add(1, Ordering::Relaxed).min(ceiling);
                    Json(serde_json::json!({
                        "received": accepted, "accepted": accepted, "rejected": 0,
                        "firstAt": null, "lastAt": 1_700_000_000_000_i64 + accepted as i64,
                        "webhooksSent": 0, "webhooksFailed": 0,
                    }))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{address}")
    }

    #[tokio::test]
    async fn waits_until_the_simulator_caught_up() {
        let source = StatsSource::simulator(&counting_simulator(100).await);
        let client = reqwest::Client::new();
        let baseline = source.read(&client).await.expect("baseline");
        assert_eq!(baseline.accepted, 0);
        let drain = wait_for(&source, &client, baseline, 3, Duration::from_secs(10)).await;
        assert!(drain.completed, "{drain:?}");
        assert_eq!(drain.accepted(), 3);
        assert_eq!(drain.missing(), 0);
        assert_eq!(drain.last.last_at, Some(1_700_000_000_003));
    }

    #[tokio::test]
    async fn gives_up_after_the_timeout() {
        let source = StatsSource::simulator(&counting_simulator(2).await);
        let client = reqwest::Client::new();
        let baseline = source.read(&client).await.expect("baseline");
        let drain = wait_for(&source, &client, baseline, 5, Duration::from_millis(700)).await;
        assert!(!drain.completed);
        assert_eq!(drain.accepted(), 2);
        assert_eq!(drain.missing(), 3);
        assert!(drain.waited >= Duration::from_millis(700));
    }

    #[tokio::test]
    async fn a_missing_endpoint_is_reported_by_status() {
        let source =
            StatsSource::sandbox(&counting_simulator(1).await, SecretString::from("token"));
        let error = source
            .read(&reqwest::Client::new())
            .await
            .expect_err("no sandbox route");
        assert_eq!(error.to_string(), "HTTP 404");
    }

    #[test]
    fn stats_parse_from_the_simulator_shape() {
        let stats: SimStats = serde_json::from_str(
            r#"{"received":12,"accepted":10,"rejected":2,"firstAt":1700000000000,"lastAt":null,"webhooksSent":30,"webhooksFailed":1}"#,
        )
        .expect("parse");
        assert_eq!(stats.received, 12);
        assert_eq!(stats.accepted, 10);
        assert_eq!(stats.rejected, 2);
        assert_eq!(stats.first_at, Some(1_700_000_000_000));
        assert_eq!(stats.last_at, None);
        assert_eq!(stats.webhooks_sent, 30);
        assert_eq!(stats.webhooks_failed, 1);
    }

    #[test]
    fn drain_counts_from_the_baseline() {
        let baseline = SimStats {
            accepted: 100,
            rejected: 3,
            ..SimStats::default()
        };
        let drain = Drain {
            baseline,
            last: SimStats {
                accepted: 140,
                rejected: 5,
                ..baseline
            },
            expected: 50,
            completed: false,
            waited: Duration::ZERO,
            last_error: None,
        };
        assert_eq!(drain.accepted(), 40);
        assert_eq!(drain.rejected(), 2);
        assert_eq!(drain.missing(), 10);
    }
}
