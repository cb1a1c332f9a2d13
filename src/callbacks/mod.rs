//! Reporting back to the customer's gates: delivery reports (DLRs) and
//! incoming messages (MO), durable and in order per message (and per
//! sender). One pipeline for every format: only the body differs.
//!
//! - [`format`]: the bodies, chosen by the target's format (LINK's DLR and
//!   MO, Devino's status and incoming message), in one place.
//! - [`fanout`]: from the event queue to a queue per gate.
//! - [`routing`]: incoming messages to the gates of their route.
//! - [`deliver`]: one POST, its signature, and the retry schedule.
//! - [`slots`]: how many tries run at once, in all and per gate.
//! - [`recorder`]: the tries' results, many to a transaction, which also
//!   leases each delivered try's next callback of its message to its gate:
//!   the try's task sends that one at once, in a slot of its own, so a
//!   message's reports follow each other without a claim between.
//! - [`run`]: the loop that works the queues off, with leases (like the
//!   dispatcher's) so a crashed run's callbacks are taken up again, and
//!   never two callbacks of one message to one gate at once; beside it, a
//!   task feeds the queues (woken by new events, and polling).
//!   Gates take turns, each with at most its share of the slots: a gate
//!   that hangs holds its share, each try for at most `--callback-timeout`,
//!   and the other gates' callbacks go out meanwhile.
//!
//! With several instances on one database, every instance works off the
//! queues (the claims are exclusive, and the order rule holds across
//! instances because it is a rule of the claim), while one instance at a
//! time feeds them: it holds the feeder lease ([`crate::lease`]). The feed
//! would be correct without it (the cursor only moves from where its reader
//! found it, and a report is queued once), the lease just spares the others
//! the wasted work.

pub mod deliver;
pub mod fanout;
pub mod format;
mod recorder;
pub mod routing;
mod slots;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tracing::Instrument as _;

use crate::clock::now_millis;
use crate::lease::LeaseKeeper;
use crate::media_url::MediaUrls;
use crate::metrics::CallbackOutcome;
use crate::store::cached::CachedTenants;
use crate::store::{ClaimedDelivery, Millis, RecordedAttempt, Store};
use recorder::{AttemptCommit, AttemptRecorder};
use slots::{Slot, Slots};

/// How callbacks are delivered.
#[derive(Debug, Clone)]
pub struct CallbackConfig {
    /// This instance's name: every lease it takes is this name and a count.
    pub owner: String,
    /// Delays between tries (`--callback-retry-schedule`).
    pub schedule: Vec<Duration>,
    /// Longest wait for a gate's answer.
    pub timeout: Duration,
    /// Callbacks in flight at once (`--callback-concurrency`).
    pub concurrency: u32,
    /// Callbacks in flight at once to one gate
    /// (`--callback-gate-concurrency`).
    pub gate_concurrency: u32,
    /// How long a claimed callback is held; must exceed `timeout`.
    pub lease: Duration,
    /// How often to look for new events and due callbacks.
    pub poll_interval: Duration,
    /// How long this instance feeds the queues between renewals.
    pub feeder_lease: Duration,
    /// May gates be on loopback and private addresses.
    pub allow_private: bool,
    /// How long incoming messages' content is kept when their route asks
    /// (`--inbound-content-retention`).
    pub inbound_content_retention: Duration,
    /// Counts and times callback tries.
    pub metrics: crate::metrics::Metrics,
}

/// Events read per pass.
const FAN_OUT_BATCH: u32 = 500;

/// Feeds and works off the callback queues until `stopped` turns true (or
/// its sender is gone); callbacks in flight then finish and are recorded.
/// `wake` tells the feeder that new events may be waiting.
pub async fn run(
    store: Arc<dyn Store>,
    tenants: CachedTenants,
    config: CallbackConfig,
    media_urls: MediaUrls,
    wake: Arc<Notify>,
    mut stopped: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    // No timeout of the client's own: each try is timed as a whole (see
    // `deliver::attempt`), and recorded as such.
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("wagate/", env!("CARGO_PKG_VERSION")));
    if !config.allow_private {
        // Connect only to the public addresses a name resolves to, and
        // never through a proxy that could reach elsewhere.
        builder = builder
            .dns_resolver(Arc::new(crate::egress::PublicOnly))
            .no_proxy();
    }
    let client = builder.build()?;
    let claims = AtomicU64::new(0);
    let run_prefix = format!("{}/{}", config.owner, crate::auth::random_token(8));
    let mut in_flight = JoinSet::new();
    let lease_millis = i64::try_from(config.lease.as_millis()).unwrap_or(i64::MAX);
    let (recorder, recording) = AttemptRecorder::start(AttemptCommit {
        store: store.clone(),
        lease_millis,
    });
    // Feeding runs beside the claims, so that a long pass over the event
    // queue never holds back the next callback of a message whose previous
    // one was just acknowledged.
    let queued = Arc::new(Notify::new());
    let feeding = tokio::spawn(feed(
        store.clone(),
        tenants,
        config.clone(),
        media_urls,
        wake.clone(),
        queued.clone(),
        stopped.clone(),
    ));
    let sender = Arc::new(Sender {
        client,
        recorder,
        slots: Slots::new(
            config.concurrency as usize,
            config.gate_concurrency as usize,
        ),
        schedule: config.schedule.clone(),
        allow_private: config.allow_private,
        timeout: config.timeout,
        queued: queued.clone(),
        metrics: config.metrics.clone(),
    });
    while !*stopped.borrow() && stopped.has_changed().is_ok() {
        while in_flight.try_join_next().is_some() {}
        let free = sender.slots.free();
        let now = now_millis();
        let lease = format!("{}#{}", run_prefix, claims.fetch_add(1, Ordering::Relaxed));
        let claimed = if free == 0 {
            Vec::new()
        } else {
            match store
                .claim_deliveries(
                    &lease,
                    now,
                    now.saturating_add(lease_millis),
                    u32::try_from(free).unwrap_or(u32::MAX),
                    config.gate_concurrency,
                )
                .await
            {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::error!(%error, "claiming callbacks failed");
                    Vec::new()
                }
            }
        };
        // With no slot free, or when the claim took fewer than it asked for
        // (so it took every callback it could), the next claim waits until
        // that may have changed (callbacks queued, a try ended, the poll
        // for retries come due) rather than run at once to find nothing.
        let wait = free == 0 || claimed.len() < free;
        for delivery in claimed {
            let Some(slot) = sender.slot_for(&delivery) else {
                continue;
            };
            in_flight.spawn(sender.clone().send_in_turn(delivery, slot));
        }
        if wait {
            tokio::select! {
                () = tokio::time::sleep(config.poll_interval) => {}
                () = queued.notified() => {}
                _ = stopped.changed() => {}
            }
        }
    }
    while in_flight.join_next().await.is_some() {}
    // Every try is recorded: the recorder ends with its last handle.
    drop(sender);
    if let Err(error) = recording.await {
        tracing::error!(%error, "the callback tries' recorder failed");
    }
    if let Err(error) = feeding.await {
        tracing::error!(%error, "the callback feeder failed");
    }
    Ok(())
}

/// What the tries' tasks share.
struct Sender {
    client: reqwest::Client,
    recorder: AttemptRecorder,
    slots: Slots,
    schedule: Vec<Duration>,
    allow_private: bool,
    timeout: Duration,
    /// Wakes the claims when a try ends.
    queued: Arc<Notify>,
    metrics: crate::metrics::Metrics,
}

impl Sender {
    /// Tries `delivery` in `slot`, records the try and then, while the
    /// record hands over the message's next callback to the gate (leased
    /// in the same transaction), tries that one, and so on: a message's
    /// callbacks leave one after another without a claim between.
    async fn send_in_turn(self: Arc<Self>, mut delivery: ClaimedDelivery, mut slot: Slot) {
        loop {
            // Its lines log under the id of the request whose message it
            // reports on.
            let span = tracing::info_span!(
                "callback",
                request_id = delivery.request_id.as_deref().unwrap_or_default(),
                delivery = delivery.id,
                gate = %delivery.gate_id,
            );
            let next = self.try_once(&delivery, slot).instrument(span).await;
            let Some(next) = next else { break };
            // The record gave back the gate's slot and leased the next
            // callback in one transaction, so the store's count of the
            // gate's leases did not move and a claim meanwhile could not
            // have taken the slot; should this instance's count disagree,
            // the callback waits for its lease as a claimed one would.
            let Some(next_slot) = self.slot_for(&next) else {
                break;
            };
            delivery = next;
            slot = next_slot;
        }
        // The try's end (recorded with the others of its batch) frees a
        // slot and may have made another message's callback due: look for
        // work now, not at the next poll.
        self.queued.notify_one();
    }

    /// A slot to try `delivery` in, if this instance has one free for its
    /// gate; without, the delivery waits for its lease to run out.
    fn slot_for(&self, delivery: &ClaimedDelivery) -> Option<Slot> {
        let slot = self.slots.take(&delivery.gate_id);
        if slot.is_none() {
            tracing::warn!(
                delivery = delivery.id,
                gate = %delivery.gate_id,
                "the gate's callback slots here are taken; the callback is tried when its lease runs out"
            );
        }
        slot
    }

    /// One try of `delivery`, recorded; the callback that follows it.
    async fn try_once(&self, delivery: &ClaimedDelivery, slot: Slot) -> Option<ClaimedDelivery> {
        let started = std::time::Instant::now();
        let attempt = deliver::attempt(
            &self.client,
            delivery,
            &self.schedule,
            self.allow_private,
            self.timeout,
        )
        .await;
        let took = started.elapsed();
        let answered_at = now_millis();
        let outcome = match (attempt.delivered, attempt.next_attempt_at) {
            (true, _) => CallbackOutcome::Delivered,
            (false, Some(_)) => CallbackOutcome::Retry,
            (false, None) => CallbackOutcome::GaveUp,
        };
        // The slot goes back before the try is recorded: until then the
        // store still counts the delivery as leased, so a claim meanwhile
        // never hands out more of the gate's share than this instance has
        // slots free (given back after, a claim in between would get a
        // delivery with no slot to try it in, and it would wait for its
        // lease to run out).
        drop(slot);
        match self.recorder.submit(attempt).await {
            Ok(RecordedAttempt {
                recorded: true,
                next,
            }) => {
                self.metrics.callback(&delivery.gate_id, outcome, took);
                if outcome == CallbackOutcome::Delivered
                    && delivery.origin.starts_with(fanout::REPORT_ORIGIN)
                {
                    self.metrics
                        .report_delivered(delivery.queued_at, answered_at);
                }
                next
            }
            Ok(RecordedAttempt {
                recorded: false, ..
            }) => {
                tracing::warn!(
                    delivery = delivery.id,
                    "the callback's lease ran out before its try was recorded"
                );
                None
            }
            Err(error) => {
                tracing::error!(
                    delivery = delivery.id,
                    %error,
                    "recording a callback try failed; it is tried again when its lease runs out"
                );
                None
            }
        }
    }
}

/// Feeds the gates' queues (delivery reports from the event queue,
/// incoming messages to their routes) while this instance holds the
/// feeder lease, until `stopped`; wakes the claims (`queued`) after each
/// pass that queued something. A pass that read a full batch is followed by
/// another at once; otherwise the next waits for `wake` (new events) or the
/// poll interval.
async fn feed(
    store: Arc<dyn Store>,
    tenants: CachedTenants,
    config: CallbackConfig,
    media_urls: MediaUrls,
    wake: Arc<Notify>,
    queued: Arc<Notify>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut feeder = Feeder::default();
    while !*stopped.borrow() && stopped.has_changed().is_ok() {
        let mut read = 0;
        if feeder.holds(&store, &config).await {
            match fanout::fan_out_once(store.as_ref(), &tenants, FAN_OUT_BATCH).await {
                Ok(events) => read = read.max(events),
                Err(error) => tracing::error!(%error, "queueing delivery reports failed"),
            }
            match routing::route_once(
                store.as_ref(),
                &tenants,
                &media_urls,
                config.inbound_content_retention,
                FAN_OUT_BATCH,
            )
            .await
            {
                Ok(messages) => read = read.max(messages),
                Err(error) => tracing::error!(%error, "routing incoming messages failed"),
            }
        }
        if read > 0 {
            queued.notify_one();
        }
        if read < FAN_OUT_BATCH as usize {
            tokio::select! {
                () = tokio::time::sleep(config.poll_interval) => {}
                () = wake.notified() => {}
                _ = stopped.changed() => {}
            }
        }
    }
    if let Some(keeper) = feeder.keeper {
        keeper.release().await;
    }
}

/// The feeder lease as this instance sees it.
#[derive(Default)]
struct Feeder {
    keeper: Option<LeaseKeeper>,
    /// When another instance's lease would run out: no try before then.
    elsewhere_until: Millis,
}

/// The lease that makes one instance at a time feed the queues.
const FEEDER_LEASE: &str = "callback-feeder";

impl Feeder {
    /// Whether this instance feeds the queues now (taking the lease when
    /// it is free).
    async fn holds(&mut self, store: &Arc<dyn Store>, config: &CallbackConfig) -> bool {
        if self.keeper.as_ref().is_some_and(LeaseKeeper::holds) {
            return true;
        }
        if now_millis() < self.elsewhere_until {
            return false;
        }
        self.keeper = None;
        match LeaseKeeper::take(
            store.clone(),
            FEEDER_LEASE,
            &config.owner,
            config.feeder_lease,
        )
        .await
        {
            Ok(Ok(keeper)) => {
                self.keeper = Some(keeper);
                true
            }
            Ok(Err(elsewhere)) => {
                self.elsewhere_until = elsewhere.until;
                false
            }
            Err(error) => {
                tracing::error!(%error, "taking the callback feeder's lease failed");
                false
            }
        }
    }
}
