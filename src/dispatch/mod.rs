//! The outbound workers: take due work from the store's outbox and submit it
//! to the Cloud API.
//!
//! - One worker per business number with work ([`worker`]): it claims due
//!   parts with a lease (a crashed instance's leases expire and its work is
//!   claimed again; a leased part is never claimed twice), paces submissions
//!   at the number's throughput ([`pacing`]), takes HIGH before NORMAL before
//!   LOW without starving LOW (the claim order, see
//!   [`wagate_domain::Priority::lead_millis`]), and keeps each destination's
//!   messages in messageIndex order (the claim never hands out a part while
//!   an earlier index of the same message is unsettled).
//! - Expired work is settled as EXPIRED without a submission; Meta's answers
//!   go through the resend policy ([`policy`]).
//! - Every outcome is recorded with its status and event in one transaction
//!   ([`recorder`]), only while the worker still holds the lease.
//! - A supervisor starts workers when the accept path (or, through the
//!   store's wake-ups, another instance) reports new work and when a
//!   periodic scan of the outbox finds work (resends due, work left by a
//!   previous run); idle workers end.
//!
//! Several instances share one database. Each business number is worked
//! off by one instance at a time: its worker holds the number's lease
//! ([`crate::lease`]) and stops claiming the moment it no longer does; when
//! an instance dies, its leases run out (`--source-lease`) and another
//! instance's supervisor takes the number over, while the parts the dead
//! instance had claimed come back when their own leases run out
//! (`--dispatch-lease`). Owning the number, rather than sharing a limiter
//! between instances, keeps the pacing local and exact (Meta's limit is per
//! number, and one instance paces it with no coordination per message)
//! at the price of one instance's share of the load per number; numbers
//! spread over the instances that see their work first. The claims
//! themselves stay exclusive per part whatever happens (the outbox's own
//! leases), so even a stalled instance that lost its number can never have
//! a part submitted twice by design, only in the window of a crash.

pub mod pacing;
pub mod policy;
pub mod recorder;
mod worker;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;

use crate::clock::now_millis;
use crate::store::cached::CachedTenants;
use crate::store::{Millis, Store};
use crate::upstream::meta::CloudApiClient;
pub use policy::ResendPolicy;
use recorder::{RecordCommit, Recorder};

/// How the dispatcher behaves.
#[derive(Debug, Clone)]
pub struct DispatchConfig {
    /// This instance's name: it holds numbers' leases under it, and every
    /// claim's lease is named after it.
    pub owner: String,
    /// How long a claim is held; must exceed the Cloud API timeout.
    pub lease: Duration,
    /// How long this instance owns a number's outbox between renewals.
    pub source_lease: Duration,
    /// How often idle workers look for due work (resends) without being told.
    pub poll_interval: Duration,
    /// How often the outbox is scanned for numbers with work.
    pub scan_interval: Duration,
    pub resend: ResendPolicy,
    /// The Cloud API token for sources that have none of their own.
    pub default_access_token: Option<String>,
    /// Counts submissions and times Cloud API calls.
    pub metrics: crate::metrics::Metrics,
}

/// Tells the dispatcher about new work; cheap to clone.
#[derive(Clone)]
pub struct DispatchHandle {
    signals: Arc<Signals>,
    stop: Arc<watch::Sender<bool>>,
}

impl DispatchHandle {
    /// New work for `source`: wakes its worker, or has one started.
    pub fn wake(&self, source: &str) {
        self.signals.wake(source);
    }

    /// Stops claiming; in-flight submissions finish and are recorded, parts
    /// claimed but not yet tried are released.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

/// Per-number wake-ups, and the supervisor's inbox for numbers without a
/// running worker.
struct Signals {
    by_source: Mutex<HashMap<String, Arc<SourceSignal>>>,
    start: mpsc::UnboundedSender<String>,
    /// Numbers another instance owns, and until when its lease runs
    /// unless renewed: no worker is started for them before then.
    elsewhere: Mutex<HashMap<String, Millis>>,
}

#[derive(Default)]
struct SourceSignal {
    notify: Notify,
    running: AtomicBool,
}

impl Signals {
    fn signal(&self, source: &str) -> Arc<SourceSignal> {
        let mut map = self
            .by_source
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        map.entry(source.to_owned()).or_default().clone()
    }

    fn owned_elsewhere(&self, source: &str, until: Millis) {
        self.elsewhere
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(source.to_owned(), until);
    }

    fn is_owned_elsewhere(&self, source: &str) -> bool {
        let mut elsewhere = self
            .elsewhere
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match elsewhere.get(source) {
            Some(until) if *until > now_millis() => true,
            Some(_) => {
                elsewhere.remove(source);
                false
            }
            None => false,
        }
    }

    fn wake(&self, source: &str) {
        let signal = self.signal(source);
        signal.notify.notify_one();
        if !signal.running.load(Ordering::Acquire) {
            let _ = self.start.send(source.to_owned());
        }
    }
}

/// What every worker shares.
struct Context {
    /// Claims made so far, for naming each claim's lease.
    claims: AtomicU64,
    /// The instance's name and a token of this run: claim leases never
    /// repeat, even when a restarted instance keeps its name.
    claim_prefix: String,
    store: Arc<dyn Store>,
    /// The sources' rows, cached.
    tenants: CachedTenants,
    client: CloudApiClient,
    config: DispatchConfig,
    recorder: Recorder,
    signals: Arc<Signals>,
}

impl Context {
    /// A lease name no other claim has: this instance's name and a count.
    fn next_lease(&self) -> String {
        let claim = self.claims.fetch_add(1, Ordering::Relaxed);
        format!("{}#{claim}", self.claim_prefix)
    }
}

/// Starts the dispatcher; the task ends after [`DispatchHandle::stop`] once
/// every worker has finished and the last outcomes are recorded.
pub fn start(
    store: Arc<dyn Store>,
    tenants: CachedTenants,
    client: CloudApiClient,
    config: DispatchConfig,
) -> (DispatchHandle, JoinHandle<()>) {
    let (start_sender, start_receiver) = mpsc::unbounded_channel();
    let signals = Arc::new(Signals {
        by_source: Mutex::new(HashMap::new()),
        start: start_sender,
        elsewhere: Mutex::new(HashMap::new()),
    });
    let (stop, stopped) = watch::channel(false);
    let (recorder, recorder_task) = Recorder::start(RecordCommit {
        store: store.clone(),
    });
    let context = Arc::new(Context {
        claims: AtomicU64::new(0),
        claim_prefix: format!("{}/{}", config.owner, crate::auth::random_token(8)),
        store,
        tenants,
        client,
        config,
        recorder,
        signals: signals.clone(),
    });
    let task = tokio::spawn(async move {
        supervise(context, start_receiver, stopped).await;
        // Every worker (and with it every recorder handle) is gone now.
        let _ = recorder_task.await;
    });
    (
        DispatchHandle {
            signals,
            stop: Arc::new(stop),
        },
        task,
    )
}

async fn supervise(
    context: Arc<Context>,
    mut start: mpsc::UnboundedReceiver<String>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut workers: HashMap<String, JoinHandle<()>> = HashMap::new();
    let mut scan = tokio::time::interval(context.config.scan_interval);
    scan.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = scan.tick() => match context.store.outbox_sources().await {
                Ok(sources) => {
                    for source in sources {
                        ensure_worker(&context, &mut workers, source, &stopped);
                    }
                }
                Err(error) => tracing::error!(%error, "scanning the outbox failed"),
            },
            Some(source) = start.recv() => ensure_worker(&context, &mut workers, source, &stopped),
            _ = stopped.changed() => break,
        }
        workers.retain(|_, worker| !worker.is_finished());
    }
    // Keep the context (and its recorder) only as long as the workers.
    drop(context);
    for (_, worker) in workers {
        let _ = worker.await;
    }
}

fn ensure_worker(
    context: &Arc<Context>,
    workers: &mut HashMap<String, JoinHandle<()>>,
    source: String,
    stopped: &watch::Receiver<bool>,
) {
    if workers
        .get(&source)
        .is_some_and(|worker| !worker.is_finished())
        || context.signals.is_owned_elsewhere(&source)
    {
        return;
    }
    let signal = context.signals.signal(&source);
    signal.running.store(true, Ordering::Release);
    let worker =
        worker::SourceWorker::new(context.clone(), source.clone(), signal, stopped.clone());
    workers.insert(source, tokio::spawn(worker.run()));
}
