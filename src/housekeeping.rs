//! Periodic clean-up of what the store would otherwise keep forever: the
//! reports of Meta's statuses are forgotten after [`STATUS_REPORT_TTL`],
//! both those applied to a message (kept only to recognise Meta's repeats)
//! and those that never found their message (sent again under another wamid
//! after a crash, or not sent by this gateway); message content kept on
//! request is erased once its retention has passed (see
//! [`crate::retention`]).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::clock::now_millis;
use crate::store::{ErasedContent, Store};

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

/// Runs the clean-up every `interval` until `stopped` turns true (or its
/// sender is gone).
pub async fn run(store: Arc<dyn Store>, interval: Duration, stopped: watch::Receiver<bool>) {
    every(interval, stopped, || clean_up(store.as_ref())).await;
}

/// One clean-up.
async fn clean_up(store: &dyn Store) {
    let now = now_millis();
    match store.erase_content(now).await {
        Ok(erased) if erased == ErasedContent::default() => {}
        Ok(erased) => tracing::info!(
            parts = erased.parts,
            inbound = erased.inbound,
            callbacks = erased.callbacks,
            "erased message content whose retention passed"
        ),
        Err(error) => tracing::warn!(%error, "erasing message content failed"),
    }
    let ttl = i64::try_from(STATUS_REPORT_TTL.as_millis()).unwrap_or(i64::MAX);
    match store.forget_old_statuses(now.saturating_sub(ttl)).await {
        Ok(0) => {}
        Ok(forgotten) => {
            tracing::info!(forgotten, "forgot status reports older than seven days")
        }
        Err(error) => tracing::warn!(%error, "forgetting old status reports failed"),
    }
}
