//! Every metric wagate exports: its name, help, labels and buckets, in one
//! registry per gateway (never a global one: tests run several gateways in
//! one process). Label handles that never change (a dialect, an outcome)
//! are resolved here once; those that depend on data (a gate, a route and
//! status) are looked up per event, within a bound on how many there are.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, RwLock};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Every name starts with this (and `_`).
pub const PREFIX: &str = "wagate";

/// Most distinct gates the callback counters name; callbacks of gates
/// beyond are counted under [`OTHER_GATES`].
pub const MAX_GATE_LABELS: usize = 1000;
/// The gate label of callbacks past [`MAX_GATE_LABELS`].
pub const OTHER_GATES: &str = "_other";
/// The route label of requests that matched no route.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// One fixed label.
type Label = [(&'static str, &'static str); 1];
/// Two labels, the second fixed.
type Labels = [(&'static str, String); 2];
type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Accept latency: 0.5 ms to 8 s.
fn accept_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

/// Latency of calls to the Cloud API and to gates: 5 ms to 20 s.
fn remote_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.005, 2.0, 13))
}

/// Delivery report latency: 10 ms to about 1.5 h (callbacks are retried
/// for hours).
fn report_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.01, 2.0, 20))
}

/// The metrics' handles, registered in `registry`.
pub struct Registered {
    pub registry: Registry,
    /// By dialect: LINK, Devino.
    pub accepted: [Counter; 2],
    pub accept_seconds: [Histogram; 2],
    /// By [`super::Submission`], in its order.
    pub submissions: [Counter; 4],
    pub submit_seconds: Histogram,
    /// By [`super::WebhookResult`], in its order.
    pub webhooks: [Counter; 4],
    /// Statuses new, statuses repeated, messages new, messages repeated.
    pub webhook_items: [Counter; 4],
    pub callbacks: Family<Labels, Counter>,
    /// How many gates `callbacks` names so far (bounded by
    /// [`MAX_GATE_LABELS`]).
    pub callback_gates: RwLock<HashSet<String>>,
    pub callback_seconds: Histogram,
    /// Delivery reports, from queued to accepted by their gate.
    pub dlr_seconds: Histogram,
    pub http_requests: Family<Labels, Counter>,
    /// The counter of each (route, status) seen, found without building a
    /// label set per request.
    pub http_handles: RwLock<HashMap<Box<str>, Arc<RouteCounters>>>,
    /// By priority: LOW, NORMAL, HIGH ([`wagate_domain::Priority`] order).
    pub outbox_depth: [Gauge; 3],
    pub outbox_oldest_due_seconds: [Gauge<f64, AtomicU64>; 3],
    /// Due, waiting for their next try.
    pub callback_backlog: [Gauge; 2],
    pub leases_held: Gauge,
    pub backlog_refresh_failures: Counter,
}

/// The counters of one route, by status.
pub struct RouteCounters {
    pub route: Box<str>,
    pub by_status: RwLock<Vec<(u16, Counter)>>,
}

/// The values of each label, in the order of the handles' arrays.
pub const DIALECTS: [&str; 2] = ["link", "devino"];
pub const SUBMISSION_OUTCOMES: [&str; 4] = ["accepted", "resend", "failed", "expired"];
pub const WEBHOOK_RESULTS: [&str; 4] = ["accepted", "bad_signature", "unreadable", "failed"];
pub const PRIORITIES: [&str; 3] = ["low", "normal", "high"];
pub const CALLBACK_BACKLOG_STATES: [&str; 2] = ["due", "waiting"];

impl Registered {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::with_prefix(PREFIX);

        let accepted = Family::<Label, Counter>::default();
        registry.register(
            "messages_accepted",
            "Messages accepted (one per destination, answered queued/OK), by dialect",
            accepted.clone(),
        );
        let accept_seconds: HistogramFamily<Label> = Family::new_with_constructor(accept_buckets);
        registry.register(
            "accept_duration_seconds",
            "Time from a send request's body read to its answer, for requests that queued messages, by dialect",
            accept_seconds.clone(),
        );
        let submissions = Family::<Label, Counter>::default();
        registry.register(
            "submissions",
            "Parts settled by the dispatcher, by outcome: accepted by the Cloud API, resend (refused for now), failed, expired",
            submissions.clone(),
        );
        let submit_seconds = remote_buckets();
        registry.register(
            "submit_duration_seconds",
            "Time of one Cloud API send request, answered or not",
            submit_seconds.clone(),
        );
        let webhooks = Family::<Label, Counter>::default();
        registry.register(
            "webhooks_received",
            "Meta webhook POSTs, by result: accepted, bad_signature (refused, 401), unreadable (signed, not JSON), failed (not stored, 500)",
            webhooks.clone(),
        );
        let webhook_items = Family::<[(&'static str, &'static str); 2], Counter>::default();
        registry.register(
            "webhook_items",
            "Statuses and incoming messages in accepted webhooks, by kind and whether Meta repeated them",
            webhook_items.clone(),
        );
        let callbacks = Family::<Labels, Counter>::default();
        registry.register(
            "callbacks",
            "Callback tries to gates, by gate and outcome: delivered, retry (refused, tried again later), gave_up",
            callbacks.clone(),
        );
        let callback_seconds = remote_buckets();
        registry.register(
            "callback_duration_seconds",
            "Time of one callback try, answered or not",
            callback_seconds.clone(),
        );
        let dlr_seconds = report_buckets();
        registry.register(
            "dlr_latency_seconds",
            "Time from a delivery report's callback being queued for a gate (when the callback feeder reads Meta's status) to the gate accepting it, retries and pauses included; redeliveries and incoming messages are not counted",
            dlr_seconds.clone(),
        );
        let http_requests = Family::<Labels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template and status",
            http_requests.clone(),
        );
        let outbox_depth = Family::<Label, Gauge>::default();
        registry.register(
            "outbox_depth",
            "Parts waiting in the outbox (due, leased or waiting to be resent), by priority",
            outbox_depth.clone(),
        );
        let oldest_due = Family::<Label, Gauge<f64, AtomicU64>>::default();
        registry.register(
            "outbox_oldest_due_age_seconds",
            "Age of the longest-due part in the outbox (0 when none is due), by priority",
            oldest_due.clone(),
        );
        let callback_backlog = Family::<Label, Gauge>::default();
        registry.register(
            "callback_backlog",
            "Callbacks not delivered nor given up, by state: due now, waiting for their next try",
            callback_backlog.clone(),
        );
        let leases_held = Gauge::default();
        registry.register(
            "leases_held",
            "Named leases this instance holds (business numbers' outboxes, the callback feeder)",
            leases_held.clone(),
        );
        let backlog_refresh_failures = Counter::default();
        registry.register(
            "backlog_refresh_failures",
            "Scrapes whose backlog gauges could not be read from the store (the last values stay)",
            backlog_refresh_failures.clone(),
        );

        let by = |family: &Family<Label, Counter>, key: &'static str, value: &'static str| {
            family.get_or_create(&[(key, value)]).clone()
        };
        let items = |kind: &'static str, fate: &'static str| {
            webhook_items
                .get_or_create(&[("kind", kind), ("fate", fate)])
                .clone()
        };
        Self {
            accepted: DIALECTS.map(|dialect| by(&accepted, "dialect", dialect)),
            accept_seconds: DIALECTS.map(|dialect| {
                accept_seconds
                    .get_or_create(&[("dialect", dialect)])
                    .clone()
            }),
            submissions: SUBMISSION_OUTCOMES.map(|outcome| by(&submissions, "outcome", outcome)),
            submit_seconds,
            webhooks: WEBHOOK_RESULTS.map(|result| by(&webhooks, "result", result)),
            webhook_items: [
                items("status", "new"),
                items("status", "repeated"),
                items("message", "new"),
                items("message", "repeated"),
            ],
            callbacks,
            callback_gates: RwLock::new(HashSet::new()),
            callback_seconds,
            dlr_seconds,
            http_requests,
            http_handles: RwLock::new(HashMap::new()),
            outbox_depth: PRIORITIES.map(|priority| {
                outbox_depth
                    .get_or_create(&[("priority", priority)])
                    .clone()
            }),
            outbox_oldest_due_seconds: PRIORITIES
                .map(|priority| oldest_due.get_or_create(&[("priority", priority)]).clone()),
            callback_backlog: CALLBACK_BACKLOG_STATES
                .map(|state| callback_backlog.get_or_create(&[("state", state)]).clone()),
            leases_held,
            backlog_refresh_failures,
            registry,
        }
    }

    /// The counter of callbacks to `gate` with `outcome`; gates past the
    /// first [`MAX_GATE_LABELS`] share one label.
    pub fn callback_counter(&self, gate: &str, outcome: &'static str) -> Counter {
        let known = self
            .callback_gates
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .contains(gate);
        let gate = if known {
            gate
        } else {
            let mut gates = self
                .callback_gates
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if gates.len() < MAX_GATE_LABELS {
                gates.insert(gate.to_owned());
                gate
            } else if gates.contains(gate) {
                gate
            } else {
                OTHER_GATES
            }
        };
        self.callbacks
            .get_or_create(&[("gate", gate.to_owned()), ("outcome", outcome.to_owned())])
            .clone()
    }

    /// The counters of `route` (the matched route's template, or none).
    pub fn route(&self, route: Option<&str>) -> Arc<RouteCounters> {
        let route = route.unwrap_or(UNMATCHED_ROUTE);
        if let Some(found) = self
            .http_handles
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(route)
        {
            return found.clone();
        }
        self.http_handles
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(route.into())
            .or_insert_with(|| {
                Arc::new(RouteCounters {
                    route: route.into(),
                    by_status: RwLock::new(Vec::new()),
                })
            })
            .clone()
    }

    /// Counts one answer of `route` with `status`.
    pub fn count_request(&self, route: &RouteCounters, status: u16) {
        if let Some((_, counter)) = route
            .by_status
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .find(|(code, _)| *code == status)
        {
            counter.inc();
            return;
        }
        let counter = self
            .http_requests
            .get_or_create(&[
                ("route", route.route.to_string()),
                ("status", status.to_string()),
            ])
            .clone();
        counter.inc();
        let mut statuses = route
            .by_status
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !statuses.iter().any(|(code, _)| *code == status) {
            statuses.push((status, counter));
        }
    }
}
