//! Keeps the database planner's statistics fresh: every
//! `--statistics-interval`, the tables that changed enough since their
//! statistics were gathered are analyzed again, and every second those
//! never analyzed yet (PostgreSQL; see
//! [`crate::store::OpsStore::refresh_statistics`]).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::store::{StatisticsScope, Store};

/// How often tables whose statistics were never gathered are looked at
/// (at most every `interval`). A new database's queues hold tens of
/// thousands of rows seconds after its first load arrives, and until their
/// first `ANALYZE` the planner guesses: in a full-loop bench, plans made on
/// those guesses read a gate's whole queue for every callback through the
/// first `interval` of the load.
const NEVER_GATHERED_INTERVAL: Duration = Duration::from_secs(1);

/// Refreshes the statistics every `interval`, and those of tables never
/// analyzed every [`NEVER_GATHERED_INTERVAL`], until `stopped` turns true
/// (or its sender is gone).
pub async fn run(store: Arc<dyn Store>, interval: Duration, stopped: watch::Receiver<bool>) {
    let mut next_full = Instant::now();
    crate::housekeeping::every(NEVER_GATHERED_INTERVAL.min(interval), stopped, || {
        let now = Instant::now();
        let scope = if now >= next_full {
            next_full = now + interval;
            StatisticsScope::All
        } else {
            StatisticsScope::NeverGathered
        };
        refresh(store.as_ref(), scope)
    })
    .await;
}

/// One refresh.
async fn refresh(store: &dyn Store, scope: StatisticsScope) {
    match store.refresh_statistics(scope).await {
        Ok(tables) if tables.is_empty() => {}
        Ok(tables) => tracing::debug!(?tables, ?scope, "gathered the planner's statistics"),
        Err(error) => tracing::warn!(%error, "gathering the planner's statistics failed"),
    }
}
