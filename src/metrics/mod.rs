//! Prometheus metrics: what the gateway counts as it works, and the
//! backlogs the store holds, exported at `GET /metrics` in the Prometheus
//! text format, every name prefixed `wagate_` (see [`registry`] for the
//! list).
//!
//! - Counters and histograms are updated where things happen (the accept
//!   path, the dispatcher, the webhook, the callbacks, the HTTP layer
//!   [`http`]), through handles resolved once: an update is an atomic add
//!   (a histogram's, a short lock), never a formatted label.
//! - Gauges of the backlogs (outbox depth and oldest due part per priority,
//!   callbacks pending, leases held) are read from the store when
//!   `/metrics` is scraped, at most once per `--metrics-gauge-ttl`
//!   ([`backlog`]): a scrape costs a few aggregate queries, a request
//!   nothing.
//! - A [`Metrics`] made with [`Metrics::disabled`] (`--metrics false`)
//!   records nothing and costs a branch per event.
//! - The console's charts read the same handles, sampled into a ring of
//!   fixed size ([`history`]).

mod backlog;
pub mod history;
pub mod http;
pub mod registry;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::clock::now_millis;
use crate::store::{Millis, OutcomeChange, Store, WebhookReceipt};
use backlog::Backlog;
use history::Sample;
use registry::Registered;
use wagate_domain::MessageState;

/// The customer dialect a message came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Link = 0,
    Devino = 1,
}

/// What became of a part the dispatcher settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submission {
    /// The Cloud API took it.
    Accepted = 0,
    /// Refused for now; it is sent again later.
    Resend = 1,
    Failed = 2,
    Expired = 3,
}

impl Submission {
    /// The outcome an [`OutcomeChange`] records.
    pub fn of(change: &OutcomeChange) -> Self {
        match change {
            OutcomeChange::Submitted { .. } => Self::Accepted,
            OutcomeChange::Resend { .. } => Self::Resend,
            OutcomeChange::Finished { status } if status.state == MessageState::Expired => {
                Self::Expired
            }
            OutcomeChange::Finished { .. } => Self::Failed,
        }
    }
}

/// How a Meta webhook POST ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookResult {
    /// Stored (or nothing to store), answered 200.
    Accepted = 0,
    /// A missing or wrong signature, answered 401.
    BadSignature = 1,
    /// Signed, but not JSON: acknowledged, nothing stored.
    Unreadable = 2,
    /// The store failed, answered 500 (Meta retries).
    Failed = 3,
}

/// What one callback try came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackOutcome {
    Delivered,
    /// Not accepted; tried again later.
    Retry,
    /// Not accepted, and the retry schedule has run out.
    GaveUp,
}

impl CallbackOutcome {
    fn label(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Retry => "retry",
            Self::GaveUp => "gave_up",
        }
    }
}

/// The gateway's metrics; cheap to clone.
#[derive(Clone, Default)]
pub struct Metrics(Option<Arc<Enabled>>);

struct Enabled {
    registered: Registered,
    backlog: Backlog,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("enabled", &self.0.is_some())
            .finish()
    }
}

impl Metrics {
    /// Metrics of a gateway on `store`, whose backlog gauges are read at
    /// most once per `gauge_ttl`; `holder` is the name this instance
    /// holds its leases under.
    pub fn new(store: Arc<dyn Store>, holder: String, gauge_ttl: Duration) -> Self {
        Self(Some(Arc::new(Enabled {
            registered: Registered::new(),
            backlog: Backlog::new(store, holder, gauge_ttl),
        })))
    }

    /// Metrics that record nothing.
    pub fn disabled() -> Self {
        Self(None)
    }

    pub fn is_enabled(&self) -> bool {
        self.0.is_some()
    }

    /// `messages` accepted in `dialect` by a request whose handling began
    /// at `started`.
    pub fn accepted(&self, dialect: Dialect, messages: usize, started: Instant) {
        if let Some(enabled) = &self.0 {
            let index = dialect as usize;
            let registered = &enabled.registered;
            registered.accepted[index].inc_by(messages as u64);
            registered.accept_seconds[index].observe(started.elapsed().as_secs_f64());
        }
    }

    /// One Cloud API send request took `elapsed`.
    pub fn submit_took(&self, elapsed: Duration) {
        if let Some(enabled) = &self.0 {
            enabled
                .registered
                .submit_seconds
                .observe(elapsed.as_secs_f64());
        }
    }

    /// The dispatcher recorded an outcome.
    pub fn settled(&self, change: &OutcomeChange) {
        if let Some(enabled) = &self.0 {
            enabled.registered.submissions[Submission::of(change) as usize].inc();
        }
    }

    /// A webhook POST ended with `result`; an accepted one stored what
    /// `receipt` says.
    pub fn webhook(&self, result: WebhookResult, receipt: Option<&WebhookReceipt>) {
        if let Some(enabled) = &self.0 {
            let registered = &enabled.registered;
            registered.webhooks[result as usize].inc();
            if let Some(receipt) = receipt {
                let items = &registered.webhook_items;
                items[0].inc_by(receipt.new_statuses as u64);
                items[1].inc_by(receipt.repeated_statuses as u64);
                items[2].inc_by(receipt.new_inbound as u64);
                items[3].inc_by(receipt.repeated_inbound as u64);
            }
        }
    }

    /// A callback try to `gate` came to `outcome` in `elapsed`.
    pub fn callback(&self, gate: &str, outcome: CallbackOutcome, elapsed: Duration) {
        if let Some(enabled) = &self.0 {
            let registered = &enabled.registered;
            registered.callback_counter(gate, outcome.label()).inc();
            registered.callback_seconds.observe(elapsed.as_secs_f64());
        }
    }

    /// A delivery report's callback, queued at `queued_at`, was accepted by
    /// its gate at `now` (Unix milliseconds).
    pub fn report_delivered(&self, queued_at: Millis, now: Millis) {
        if let Some(enabled) = &self.0 {
            let millis = now.saturating_sub(queued_at).max(0);
            enabled
                .registered
                .dlr_seconds
                .observe(millis as f64 / 1000.0);
        }
    }

    /// What the charts follow, as `/metrics` would export it now (the
    /// backlog gauges read afresh when older than their TTL); `None` when
    /// disabled.
    pub async fn sample(&self) -> Option<Sample> {
        let enabled = self.0.as_ref()?;
        enabled.backlog.refresh(&enabled.registered).await;
        let registered = &enabled.registered;
        let level = |gauges: &[prometheus_client::metrics::gauge::Gauge]| {
            gauges
                .iter()
                .map(|gauge| u64::try_from(gauge.get()).unwrap_or(0))
                .sum()
        };
        Some(Sample {
            at: now_millis(),
            accepted: registered
                .accepted
                .iter()
                .map(|counter| counter.get())
                .sum(),
            submitted: registered.submissions[Submission::Accepted as usize].get(),
            reports: registered.dlr_seconds.count(),
            report_seconds: registered.dlr_seconds.sum(),
            outbox: level(&registered.outbox_depth),
            callbacks_pending: level(&registered.callback_backlog),
        })
    }

    /// The metrics in the Prometheus text format, the backlog gauges read
    /// afresh when older than their TTL; `None` when disabled.
    pub async fn render(&self) -> Option<String> {
        let enabled = self.0.as_ref()?;
        enabled.backlog.refresh(&enabled.registered).await;
        let mut text = String::new();
        if let Err(error) = prometheus_client::encoding::prometheus_text::encode(
            &mut text,
            &enabled.registered.registry,
        ) {
            tracing::error!(%error, "encoding the metrics failed");
        }
        Some(text)
    }

    fn registered(&self) -> Option<&Registered> {
        self.0.as_ref().map(|enabled| &enabled.registered)
    }
}
