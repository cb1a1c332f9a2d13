//! A simulator of Meta's WhatsApp Cloud API on a real HTTP socket, so the
//! gateway's production path (HTTP client, webhook receiver) is exercised
//! without a Meta account.
//!
//! It accepts `POST /{version}/{phone_number_id}/messages` like the Cloud API
//! (bearer token, Meta's validation, the 24-hour care window, the sample
//! template `hello_world`), answers with `wamid`s or Meta's error bodies, and
//! POSTs signed status webhooks back; recipients behave by their last four
//! digits ([`numbers`]). Simulated users write to the business with
//! [`Sim::inbound`]. Everything it received and sent is kept for tests and
//! people to look at (`/sim/v1/received`, `/sim/v1/stats`, `/sim/v1/webhooks`).
//!
//! - [`validate`]: Meta's checks on a send body.
//! - `templates`, `template_rules`, `template_api`: message templates per
//!   WABA (the WhatsApp Business Management API), their checks and routes;
//!   a phone number's WABA is known once registered
//!   ([`Sim::register_number`], `POST /sim/v1/numbers`).
//! - `business`, `business_api`: a number's business profile, its phone
//!   number node (with the level it was registered with) and the WABA's
//!   pricing analytics of what the simulator delivered.
//! - [`numbers`]: the sandbox number table.
//! - `upload`: media uploads, normal and resumable (`media` answers what
//!   is known of a media id).
//! - `send`, `inbound`: the two things that happen; `payload`, `webhooks`,
//!   `status_queue`: the webhook bodies, their delivery, and statuses
//!   posted together; `state`: what is remembered.
//! - [`SimArgs`], [`run_standalone`]: `wagate sim`.

mod business;
mod business_api;
mod http;
mod ids;
mod inbound;
mod media;
mod meta_error;
pub mod numbers;
mod payload;
mod send;
mod standalone;
mod state;
mod status_queue;
mod template_api;
mod template_rules;
mod templates;
mod upload;
pub mod validate;
mod webhooks;

use std::fmt;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use http::SandboxControlsApi;
pub use inbound::{Inbound, SimError};
pub use standalone::{SimArgs, run_standalone};

use crate::clock::now_millis;
pub use state::RecordedBody;
use state::{State, recorded_body};
use webhooks::Delivery;

/// How the simulator behaves.
#[derive(Clone)]
pub struct SimConfig {
    /// Where status and inbound-message webhooks are POSTed; `None`: not sent
    /// (still recorded).
    pub webhook_url: Option<url::Url>,
    /// The app secret signing webhooks: `X-Hub-Signature-256:
    /// sha256=<hex HMAC-SHA256 of the raw body>`.
    pub app_secret: String,
    /// Pause before each simulated status of an accepted message (`sent`,
    /// `delivered` and `read` are spaced by it).
    pub status_delay: Duration,
    /// Most send records (and webhook records) kept in memory; older ones
    /// are dropped, the counters keep counting.
    pub record_limit: usize,
    /// Let any template name through, as if every template were approved
    /// (for load runs, and for several gateways each with its own
    /// simulator); by default only APPROVED templates of the sending
    /// number's WABA go, as at Meta.
    pub any_template: bool,
    /// Most statuses one webhook carries: statuses that wait together go
    /// together, as at Meta (1: one webhook per status).
    pub statuses_per_webhook: usize,
}

/// Statuses one webhook carries at most, by default.
pub const DEFAULT_STATUSES_PER_WEBHOOK: usize = 100;

/// Send records (and webhook records) kept by default: enough to look
/// back over a test or a demo, about two megabytes at most (ten thousand
/// held about 20 MB more of the full loop's peak RSS; the README's
/// benchmark notes).
pub const DEFAULT_RECORD_LIMIT: usize = 1_000;

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            webhook_url: None,
            app_secret: String::new(),
            status_delay: Duration::from_millis(50),
            record_limit: DEFAULT_RECORD_LIMIT,
            any_template: false,
            statuses_per_webhook: DEFAULT_STATUSES_PER_WEBHOOK,
        }
    }
}

impl fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimConfig")
            .field("webhook_url", &self.webhook_url)
            .field("app_secret", &"<redacted>")
            .field("status_delay", &self.status_delay)
            .field("record_limit", &self.record_limit)
            .field("any_template", &self.any_template)
            .field("statuses_per_webhook", &self.statuses_per_webhook)
            .finish()
    }
}

/// One send request the simulator received.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReceivedSend {
    pub seq: u64,
    /// Unix milliseconds when the request arrived.
    pub at: i64,
    pub phone_number_id: String,
    /// The JSON body (a string holding the raw text if it was not JSON).
    #[schema(value_type = Value)]
    pub body: RecordedBody,
    /// The HTTP status answered.
    pub status: u16,
    pub wamid: Option<String>,
    /// Meta's error code when rejected.
    pub error_code: Option<i64>,
}

/// Counters since start (`GET /sim/v1/stats`; the bench reads them too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimStats {
    /// Send requests that reached the simulator.
    pub received: u64,
    /// Sends it accepted (answered with a wamid).
    pub accepted: u64,
    /// Sends it refused with a Cloud API error.
    pub rejected: u64,
    /// Unix milliseconds of the first and the last send received.
    pub first_at: Option<i64>,
    pub last_at: Option<i64>,
    pub webhooks_sent: u64,
    pub webhooks_failed: u64,
    /// Graph calls about a number's business profile, phone number node or
    /// WABA analytics.
    #[serde(default)]
    pub business_calls: u64,
    /// Bytes of uploaded files received, counted as they arrive (uploads
    /// in progress included); 0 from a simulator that does not count them.
    #[serde(default)]
    pub upload_bytes_received: u64,
    /// Statuses made and waiting for a webhook to carry them now (0 from a
    /// simulator that does not count them).
    #[serde(default)]
    pub statuses_waiting: u64,
}

/// One webhook the simulator posted (or would have, without a URL).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookRecord {
    pub seq: u64,
    /// Unix milliseconds when its last attempt ended.
    pub at: i64,
    /// The webhook's JSON body.
    #[schema(value_type = Object)]
    pub body: RecordedBody,
    /// The receiver answered 2xx.
    pub delivered: bool,
    /// The last HTTP status received.
    pub http_status: Option<u16>,
}

/// The simulator; clones share one state.
#[derive(Clone)]
pub struct Sim {
    inner: Arc<Inner>,
}

struct Inner {
    config: SimConfig,
    state: Mutex<State>,
    delivery: Delivery,
    statuses: status_queue::StatusQueue,
}

impl Sim {
    pub fn new(config: SimConfig) -> Sim {
        let delivery = Delivery::new(config.webhook_url.clone(), &config.app_secret);
        Sim {
            inner: Arc::new(Inner {
                state: Mutex::new(State::new(config.record_limit)),
                config,
                delivery,
                statuses: status_queue::StatusQueue::default(),
            }),
        }
    }

    /// All the simulator's routes, state applied.
    /// What the simulator saw and did (`/received`, `/stats`, `/webhooks`),
    /// for mounting under another router.
    pub fn observe_routes<S: Clone + Send + Sync + 'static>(&self) -> axum::Router<S> {
        http::observe_routes(self.clone())
    }

    /// `POST /numbers` (a number's WABA, digits and throughput level), for
    /// mounting under another router.
    pub fn number_routes<S: Clone + Send + Sync + 'static>(&self) -> axum::Router<S> {
        http::number_routes(self.clone())
    }

    pub fn router(&self) -> axum::Router {
        http::router(self.clone())
    }

    /// Binds 127.0.0.1 on a free port and serves [`Sim::router`] until
    /// `shutdown` completes; returns the bound address.
    pub async fn spawn_local(
        &self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let address = listener.local_addr()?;
        let router = self.router();
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(%error, "the Cloud API simulator stopped serving");
            }
        });
        Ok((address, task))
    }

    /// Send records with `seq > since_seq`, in arrival order.
    pub fn received(&self, since_seq: u64) -> Vec<ReceivedSend> {
        self.state().sends_since(since_seq)
    }

    pub fn stats(&self) -> SimStats {
        let mut stats = self.state().stats();
        stats.statuses_waiting = self.inner.statuses.waiting() as u64;
        stats
    }

    /// The webhooks posted (or tried) with `seq > since_seq`, in order.
    pub fn webhooks(&self, since_seq: u64) -> Vec<WebhookRecord> {
        self.state().webhooks_since(since_seq)
    }

    fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    /// The state; a panic elsewhere while holding it leaves nothing half
    /// done that matters here, so a poisoned lock is used as is.
    fn state(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Posts one webhook and records how it went.
    async fn deliver(&self, body: serde_json::Value) {
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let outcome = self.inner.delivery.post(&bytes).await;
        self.state().record_webhook(
            now_millis(),
            recorded_body(&bytes),
            outcome.delivered,
            outcome.http_status,
            outcome.attempted,
        );
    }
}
