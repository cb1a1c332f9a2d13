//! Keeps the database planner's statistics fresh: every
//! `--statistics-interval`, the tables that changed enough since their
//! statistics were gathered are analyzed again (PostgreSQL; see
//! [`crate::store::OpsStore::refresh_statistics`]).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::store::Store;

/// Refreshes the statistics every `interval` until `stopped` turns true (or
/// its sender is gone).
pub async fn run(store: Arc<dyn Store>, interval: Duration, mut stopped: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stopped.changed() => return,
        }
        match store.refresh_statistics().await {
            Ok(tables) if tables.is_empty() => {}
            Ok(tables) => tracing::debug!(?tables, "gathered the planner's statistics"),
            Err(error) => tracing::warn!(%error, "gathering the planner's statistics failed"),
        }
    }
}
