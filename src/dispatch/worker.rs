//! One business number's worker: claim due parts, pace them, submit them,
//! record what happened.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tracing::Instrument as _;

use super::pacing::Pacer;
use super::policy::{care_window_closed, expired, outside_care_window, unsendable};
use super::{Context, SourceSignal};
use crate::clock::now_millis;
use crate::group_commit::CommitError;
use crate::lease::LeaseKeeper;
use crate::store::{ClaimedPart, Outcome, OutcomeChange, Source, TenantStore as _};

/// A worker with no work for this long ends (the supervisor starts a new
/// one when work comes).
const IDLE_EXIT: Duration = Duration::from_secs(30);
/// Most parts one claim takes.
const MAX_CLAIM: u32 = 200;
/// Tries to record one outcome, and the wait after the first failure
/// (doubling).
const RECORD_ATTEMPTS: u32 = 5;
const RECORD_RETRY_START: Duration = Duration::from_millis(100);

/// What a claimed part is submitted with.
struct Target {
    phone_number_id: String,
    access_token: String,
}

pub(super) struct SourceWorker {
    context: Arc<Context>,
    source: String,
    signal: Arc<SourceSignal>,
    stopped: watch::Receiver<bool>,
    in_flight: JoinSet<()>,
}

impl SourceWorker {
    pub(super) fn new(
        context: Arc<Context>,
        source: String,
        signal: Arc<SourceSignal>,
        stopped: watch::Receiver<bool>,
    ) -> Self {
        Self {
            context,
            source,
            signal,
            stopped,
            in_flight: JoinSet::new(),
        }
    }

    pub(super) async fn run(mut self) {
        let Some(ownership) = self.take_ownership().await else {
            self.signal.running.store(false, Ordering::Release);
            return;
        };
        tracing::debug!(source = %self.source, "worker started");
        let mut pacer: Option<Pacer> = None;
        let mut concurrency = Arc::new(Semaphore::new(1));
        let mut idle_since = Instant::now();
        while !self.stopping() && ownership.holds() {
            while self.in_flight.try_join_next().is_some() {}
            let source = match self.context.tenants.source_by_number(&self.source).await {
                Ok(source) => source,
                Err(error) => {
                    tracing::error!(%error, source = %self.source, "reading the source failed");
                    self.pause().await;
                    continue;
                }
            };
            let per_second = source.as_ref().map_or(1, Source::per_second);
            if pacer
                .as_ref()
                .is_none_or(|pacer| pacer.per_second() != per_second)
            {
                pacer = Some(Pacer::new(per_second));
                concurrency = Arc::new(Semaphore::new((per_second / 2).clamp(4, 512) as usize));
            }
            let Some(pacer) = pacer.as_ref() else {
                continue;
            };
            let now = now_millis();
            let lease_until = now.saturating_add(
                i64::try_from(self.context.config.lease.as_millis()).unwrap_or(i64::MAX),
            );
            let limit = (per_second / 5).clamp(1, MAX_CLAIM);
            let lease = self.context.next_lease();
            let claimed = match self
                .context
                .store
                .claim(&self.source, &lease, now, lease_until, limit)
                .await
            {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::error!(%error, source = %self.source, "claiming work failed");
                    self.pause().await;
                    continue;
                }
            };
            if claimed.is_empty() {
                if self.in_flight.is_empty()
                    && idle_since.elapsed() >= IDLE_EXIT
                    && self.retire().await
                {
                    break;
                }
                self.pause().await;
                continue;
            }
            idle_since = Instant::now();
            let target = target(source.as_ref(), &self.source, &self.context);
            let check_window = source
                .as_ref()
                .is_some_and(|source| source.care_window_check);
            let mut parts = claimed.into_iter();
            while let Some(part) = parts.next() {
                if !ownership.holds() {
                    // Another instance may own the number now: leave it
                    // the rest.
                    self.release(std::iter::once(part).chain(parts).collect())
                        .await;
                    break;
                }
                let target = match &target {
                    Ok(target) => target,
                    Err(reason) => {
                        self.settle(part, false, unsendable(reason.clone()));
                        continue;
                    }
                };
                if check_window && outside_care_window(&part, now_millis()) {
                    let change = care_window_closed(&part);
                    self.settle(part, false, change);
                    continue;
                }
                // The permit first, then the slot: a send waiting for a
                // permit after its slot would leave together with the
                // slots that came meanwhile, more at once than the pace's
                // burst. A stop, once it comes, wins over both waits.
                let ready = async {
                    let permit = concurrency.clone().acquire_owned().await.ok()?;
                    pacer.ready().await;
                    Some(permit)
                };
                let permit = tokio::select! {
                    biased;
                    _ = self.stopped.changed() => None,
                    permit = ready => permit,
                };
                let Some(permit) = permit else {
                    self.release(std::iter::once(part).chain(parts).collect())
                        .await;
                    break;
                };
                if part.expires_at <= now_millis() {
                    self.settle(part.clone(), false, expired(part.expires_at));
                    continue;
                }
                let context = self.context.clone();
                let target = Target {
                    phone_number_id: target.phone_number_id.clone(),
                    access_token: target.access_token.clone(),
                };
                let signal = self.signal.clone();
                // Its lines log under the id of the request that queued it.
                let span = tracing::info_span!(
                    "submission",
                    request_id = part.request_id.as_deref().unwrap_or_default(),
                    message_id = %part.message_id,
                    index = part.message_index,
                );
                self.in_flight.spawn(
                    async move {
                        submit(&context, &target, part).await;
                        drop(permit);
                        // The next messageIndex of that message may be due now.
                        signal.notify.notify_one();
                    }
                    .instrument(span),
                );
            }
        }
        while self.in_flight.join_next().await.is_some() {}
        ownership.release().await;
        self.signal.running.store(false, Ordering::Release);
        tracing::debug!(source = %self.source, "worker ended");
    }

    /// Takes the number's lease, so that this is the only instance sending
    /// for it; `None` when another instance has it (the supervisor leaves
    /// the number alone until that lease would run out) or the store
    /// failed (the next scan tries again).
    async fn take_ownership(&self) -> Option<LeaseKeeper> {
        let taken = LeaseKeeper::take(
            self.context.store.clone(),
            &format!("source:{}", self.source),
            &self.context.config.owner,
            self.context.config.source_lease,
        )
        .await;
        match taken {
            Ok(Ok(keeper)) => Some(keeper),
            Ok(Err(elsewhere)) => {
                tracing::debug!(source = %self.source, holder = %elsewhere.holder, "the number is owned by another instance");
                self.context
                    .signals
                    .owned_elsewhere(&self.source, elsewhere.until);
                None
            }
            Err(error) => {
                tracing::error!(%error, source = %self.source, "taking the number's lease failed");
                None
            }
        }
    }

    /// Stop was asked for, or nobody can ask any more (the dispatcher's
    /// handles are gone).
    fn stopping(&self) -> bool {
        *self.stopped.borrow() || self.stopped.has_changed().is_err()
    }

    /// Marks the worker as ending, unless work was announced meanwhile
    /// (then it stays). A wake-up that comes after this point finds the
    /// worker not running and has the supervisor start a new one.
    async fn retire(&self) -> bool {
        self.signal.running.store(false, Ordering::Release);
        let announced = tokio::select! {
            biased;
            () = self.signal.notify.notified() => true,
            () = std::future::ready(()) => false,
        };
        if announced {
            self.signal.running.store(true, Ordering::Release);
        }
        !announced
    }

    /// Waits for a wake-up, the poll interval, or the stop.
    async fn pause(&mut self) {
        if self.stopping() {
            return;
        }
        tokio::select! {
            () = self.signal.notify.notified() => {}
            () = tokio::time::sleep(self.context.config.poll_interval) => {}
            _ = self.stopped.changed() => {}
        }
    }

    /// Records an outcome that needed no submission.
    fn settle(&mut self, part: ClaimedPart, attempted: bool, change: OutcomeChange) {
        let context = self.context.clone();
        self.in_flight.spawn(async move {
            record(&context, &part, attempted, change).await;
        });
    }

    async fn release(&self, parts: Vec<ClaimedPart>) {
        let keys: Vec<_> = parts
            .iter()
            .map(|part| (part.message_id.clone(), part.message_index))
            .collect();
        let Some(lease) = parts.first().map(|part| part.lease.clone()) else {
            return;
        };
        if let Err(error) = self.context.store.release(&lease, &keys).await {
            tracing::warn!(%error, parts = keys.len(), "releasing leases failed; they will expire");
        }
    }
}

/// Where the parts of `source` go, or why they cannot be sent.
fn target(source: Option<&Source>, number: &str, context: &Context) -> Result<Target, String> {
    let source = source.ok_or_else(|| format!("the source {number} no longer exists"))?;
    let phone_number_id = source
        .phone_number_id
        .clone()
        .ok_or_else(|| format!("the source {number} has no phoneNumberId"))?;
    let access_token = source
        .access_token
        .clone()
        .or_else(|| context.config.default_access_token.clone())
        .ok_or_else(|| {
            format!(
                "the source {number} has no Cloud API access token and no default is configured"
            )
        })?;
    Ok(Target {
        phone_number_id,
        access_token,
    })
}

async fn submit(context: &Context, target: &Target, part: ClaimedPart) {
    let started = Instant::now();
    let result = context
        .client
        .send_message(
            &target.phone_number_id,
            &target.access_token,
            &part.cloud_body,
        )
        .await;
    context.config.metrics.submit_took(started.elapsed());
    if let Err(error) = &result {
        tracing::info!(message_id = %part.message_id, index = part.message_index, %error, "submission failed");
    }
    let change = context
        .config
        .resend
        .after_submission(&part, result, now_millis());
    record(context, &part, true, change).await;
}

/// Records an outcome, retrying a failed commit a few times: giving up
/// means the part is claimed again when its lease runs out, and a part Meta
/// already accepted would then be sent twice.
async fn record(context: &Context, part: &ClaimedPart, attempted: bool, change: OutcomeChange) {
    let outcome = Outcome {
        message_id: part.message_id.clone(),
        message_index: part.message_index,
        account_id: part.account_id.clone(),
        lease: part.lease.clone(),
        at: now_millis(),
        attempted,
        change,
    };
    let mut backoff = RECORD_RETRY_START;
    for attempt in 1..=RECORD_ATTEMPTS {
        match context.recorder.submit(outcome.clone()).await {
            Ok(true) => {
                context.config.metrics.settled(&outcome.change);
                return;
            }
            Ok(false) => {
                tracing::warn!(
                    message_id = %part.message_id,
                    index = part.message_index,
                    "the lease ran out before the outcome was recorded; another claim settles the part"
                );
                return;
            }
            Err(CommitError::ShuttingDown) => break,
            Err(error) if attempt < RECORD_ATTEMPTS => {
                tracing::warn!(message_id = %part.message_id, %error, attempt, "recording an outcome failed; retrying");
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
            Err(_) => break,
        }
    }
    tracing::error!(
        message_id = %part.message_id,
        index = part.message_index,
        "the outcome could not be recorded; the part is claimed again when its lease runs out"
    );
}
