//! The bench's own gate: an HTTP server on a loopback port that the
//! provisioned tenant's gate points to. It answers every callback `200` at
//! once and counts them by `resultCode`; a message counts as done when its
//! READ report (`112007`) arrives, once however often the gateway repeats
//! it (delivery is at least once).
//!
//! Times are kept as offsets from the start of the load, so the report can
//! say how long after the load the last READ report came.

use std::collections::{BTreeMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde::Deserialize;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// LINK's `resultCode` of a READ delivery report.
pub const READ: u32 = 112_007;

/// Time between two looks while waiting for the READ reports.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// The path the gate listens on.
const PATH: &str = "/dlr";

/// What the gate has seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GateTally {
    /// Every callback received, repeats included.
    pub callbacks: u64,
    /// Callbacks by `resultCode` (`0` for a body without one).
    pub by_code: BTreeMap<u32, u64>,
    /// Messages whose READ report arrived (each counted once).
    pub read: u64,
    /// READ reports about a message already counted.
    pub repeated_reads: u64,
    /// From the start of the load to the last callback.
    pub last_callback: Option<Duration>,
    /// From the start of the load to the READ report that completed `read`.
    pub last_read: Option<Duration>,
}

/// How waiting for the READ reports ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateWait {
    pub tally: GateTally,
    /// READ reports the load's accepted messages should bring.
    pub expected: u64,
}

impl GateWait {
    /// Accepted messages whose READ report has not arrived.
    pub fn missing(&self) -> u64 {
        self.expected.saturating_sub(self.tally.read)
    }

    pub fn completed(&self) -> bool {
        self.missing() == 0
    }
}

#[derive(Default)]
struct Counts {
    tally: GateTally,
    /// A 64-bit hash of each (messageId, messageIndex) counted as read:
    /// 8 bytes a message keeps the bench's own footprint small, and a
    /// collision among a few million messages is about one in a million.
    read: HashSet<u64>,
}

struct Shared {
    /// The start of the load, once set.
    origin: Mutex<Option<Instant>>,
    counts: Mutex<Counts>,
}

/// The gate, listening.
pub struct Gate {
    /// `http://127.0.0.1:PORT/dlr`
    pub url: String,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Report<'a> {
    #[serde(borrow)]
    message_id: Option<&'a str>,
    message_index: Option<u32>,
    result_code: Option<u32>,
}

impl Gate {
    /// Listens on a free loopback port.
    pub async fn start() -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the bench's gate")?;
        let address = listener
            .local_addr()
            .context("reading the gate's address")?;
        let shared = Arc::new(Shared {
            origin: Mutex::new(None),
            counts: Mutex::new(Counts::default()),
        });
        let app = Router::new()
            .route(PATH, post(receive))
            .with_state(shared.clone());
        let (shutdown, stop) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.await;
                })
                .await
        });
        Ok(Self {
            url: format!("http://{address}{PATH}"),
            shared,
            shutdown: Some(shutdown),
            task,
        })
    }

    /// Marks the start of the load: later times are measured from it.
    pub fn start_clock(&self, origin: Instant) {
        *lock(&self.shared.origin) = Some(origin);
    }

    /// What the gate has seen so far.
    pub fn tally(&self) -> GateTally {
        lock(&self.shared.counts).tally.clone()
    }

    /// Looks every [`POLL_INTERVAL`] until `expected` messages were read or
    /// `timeout` passes.
    pub async fn wait_for_reads(&self, expected: u64, timeout: Duration) -> GateWait {
        let deadline = Instant::now() + timeout;
        loop {
            let wait = GateWait {
                tally: self.tally(),
                expected,
            };
            let now = Instant::now();
            if wait.completed() || now >= deadline {
                return wait;
            }
            tokio::time::sleep(POLL_INTERVAL.min(deadline - now)).await;
        }
    }

    /// Stops listening; callbacks still on their way are refused.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        // Graceful shutdown waits for open connections; the gateway's
        // keep-alive ones are not worth waiting for.
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn receive(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    let at = lock(&shared.origin).map(|origin| origin.elapsed());
    let report = serde_json::from_slice::<Report>(&body).ok();
    let code = report
        .as_ref()
        .and_then(|report| report.result_code)
        .unwrap_or(0);
    let mut counts = lock(&shared.counts);
    let counts = &mut *counts;
    counts.tally.callbacks += 1;
    *counts.tally.by_code.entry(code).or_default() += 1;
    counts.tally.last_callback = at;
    if let Some(Report {
        message_id: Some(message_id),
        message_index,
        result_code: Some(READ),
    }) = report
    {
        let mut hasher = DefaultHasher::new();
        (message_id, message_index).hash(&mut hasher);
        if counts.read.insert(hasher.finish()) {
            counts.tally.read += 1;
            counts.tally.last_read = at;
        } else {
            counts.tally.repeated_reads += 1;
        }
    }
    StatusCode::OK
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    async fn post(client: &reqwest::Client, gate: &Gate, body: serde_json::Value) {
        let status = client
            .post(&gate.url)
            .json(&body)
            .send()
            .await
            .expect("post")
            .status();
        assert_eq!(status, 200);
    }

    #[tokio::test]
    async fn counts_each_message_read_once_and_every_callback() {
        let gate = Gate::start().await.expect("gate");
        gate.start_clock(Instant::now());
        let client = reqwest::Client::new();
        for (id, index, code) in [
            ("a", 0, 112_002),
            ("a", 0, 112_007),
            ("a", 0, 112_007),
            ("a", 1, 112_007),
            ("b", 0, 112_003),
        ] {
            post(
                &client,
                &gate,
                json!({"messageId": id, "messageIndex": index, "resultCode": code}),
            )
            .await;
        }
        post(&client, &gate, json!({"something": "else"})).await;

        let wait = gate.wait_for_reads(3, Duration::from_millis(200)).await;
        assert_eq!(wait.tally.callbacks, 6);
        assert_eq!(wait.tally.read, 2, "a/0 and a/1");
        assert_eq!(wait.tally.repeated_reads, 1);
        assert_eq!(
            wait.tally.by_code,
            BTreeMap::from([(0, 1), (112_002, 1), (112_003, 1), (112_007, 3)])
        );
        assert!(wait.tally.last_read.is_some());
        assert!(wait.tally.last_callback >= wait.tally.last_read);
        assert!(!wait.completed());
        assert_eq!(wait.missing(), 1);

        let done = gate.wait_for_reads(2, Duration::from_secs(5)).await;
        assert!(done.completed());
        gate.stop().await;
    }
}
