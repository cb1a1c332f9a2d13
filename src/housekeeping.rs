//! Periodic clean-up of what the store would otherwise keep forever: the
//! reports of Meta's statuses are forgotten after [`STATUS_REPORT_TTL`],
//! both those applied to a message (kept only to recognise Meta's repeats)
//! and those that never found their message (sent again under another wamid
//! after a crash, or not sent by this gateway); message content kept on
//! request is erased once its retention has passed (see
//! [`crate::retention`]).
//!
//! Each runs in steps of at most `--housekeeping-batch` rows of each kind,
//! a write transaction each, so that a clean-up after days of traffic never
//! holds SQLite's writer thread (and with it every accept and webhook), or
//! PostgreSQL's rows, for longer than one step: other writes go in between.

use std::num::NonZeroU32;
use std::ops::AddAssign;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::clock::now_millis;
use crate::store::{ErasedContent, Millis, Store, StoreError, StoreResult};

/// How long status reports are kept: Meta repeats webhooks for up to seven
/// days.
pub const STATUS_REPORT_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// Runs `work` every `interval` (the first time at once, and never two at
/// a time) until `stopped` turns true or its sender is gone.
pub async fn every<F, Work>(interval: Duration, mut stopped: watch::Receiver<bool>, mut work: F)
where
    F: FnMut() -> Work,
    Work: Future<Output = ()>,
{
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stopped.changed() => return,
        }
        work().await;
    }
}

/// How a clean-up runs its steps: at most `batch` rows of each kind a
/// step, until a step finds fewer, or `stopped` turns true (the server is
/// stopping: what is left waits for the next start).
#[derive(Clone)]
pub struct Steps {
    pub batch: NonZeroU32,
    pub stopped: watch::Receiver<bool>,
}

/// What a clean-up in steps did: the sum of its steps, and the error that
/// ended it early, if one did (what the steps before it did stays done).
#[derive(Debug)]
pub struct Stepped<T> {
    pub done: T,
    pub error: Option<StoreError>,
}

/// A step's count of rows: whether it reached the step's bound (more may be
/// due), and how the steps' counts add up.
trait StepCount: Default + AddAssign {
    fn reached(&self, bound: u32) -> bool;
}

impl StepCount for u64 {
    fn reached(&self, bound: u32) -> bool {
        *self >= u64::from(bound)
    }
}

impl StepCount for ErasedContent {
    fn reached(&self, bound: u32) -> bool {
        [self.parts, self.inbound, self.callbacks]
            .iter()
            .any(|count| count.reached(bound))
    }
}

/// Runs the clean-up every `interval`, in steps of at most `batch` rows,
/// until `stopped` turns true (or its sender is gone).
pub async fn run(
    store: Arc<dyn Store>,
    interval: Duration,
    batch: NonZeroU32,
    stopped: watch::Receiver<bool>,
) {
    let steps = Steps {
        batch,
        stopped: stopped.clone(),
    };
    every(interval, stopped, || clean_up(store.as_ref(), &steps)).await;
}

/// One clean-up.
async fn clean_up(store: &dyn Store, steps: &Steps) {
    let now = now_millis();
    let erased = erase_content_in_steps(store, now, steps).await;
    if erased.done != ErasedContent::default() {
        tracing::info!(
            parts = erased.done.parts,
            inbound = erased.done.inbound,
            callbacks = erased.done.callbacks,
            "erased message content whose retention passed"
        );
    }
    if let Some(error) = erased.error {
        tracing::warn!(%error, "erasing message content failed");
    }
    let ttl = i64::try_from(STATUS_REPORT_TTL.as_millis()).unwrap_or(i64::MAX);
    let forgotten = forget_old_statuses_in_steps(store, now.saturating_sub(ttl), steps).await;
    if forgotten.done > 0 {
        tracing::info!(
            forgotten = forgotten.done,
            "forgot status reports older than seven days"
        );
    }
    if let Some(error) = forgotten.error {
        tracing::warn!(%error, "forgetting old status reports failed");
    }
}

/// Erases the content due at `now` in `steps`.
pub async fn erase_content_in_steps(
    store: &dyn Store,
    now: Millis,
    steps: &Steps,
) -> Stepped<ErasedContent> {
    in_steps(steps, |bound| store.erase_content(now, bound)).await
}

/// Forgets the status reports received before `received_before` in
/// `steps`.
pub async fn forget_old_statuses_in_steps(
    store: &dyn Store,
    received_before: Millis,
    steps: &Steps,
) -> Stepped<u64> {
    in_steps(steps, |bound| {
        store.forget_old_statuses(received_before, bound)
    })
    .await
}

/// Runs `step` (given its bound) until it finds fewer rows than that, fails,
/// or the server stops (checked before each step).
async fn in_steps<T, Step>(steps: &Steps, mut step: impl FnMut(u32) -> Step) -> Stepped<T>
where
    T: StepCount,
    Step: Future<Output = StoreResult<T>>,
{
    let bound = steps.batch.get();
    let mut done = T::default();
    loop {
        if *steps.stopped.borrow() {
            return Stepped { done, error: None };
        }
        match step(bound).await {
            Ok(count) => {
                let more = count.reached(bound);
                done += count;
                if !more {
                    return Stepped { done, error: None };
                }
            }
            Err(error) => {
                return Stepped {
                    done,
                    error: Some(error),
                };
            }
        }
    }
}
