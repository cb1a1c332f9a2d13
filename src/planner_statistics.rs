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
pub async fn run(store: Arc<dyn Store>, interval: Duration, stopped: watch::Receiver<bool>) {
    crate::housekeeping::every(interval, stopped, || refresh(store.as_ref())).await;
}

/// One refresh.
async fn refresh(store: &dyn Store) {
    match store.refresh_statistics().await {
        Ok(tables) if tables.is_empty() => {}
        Ok(tables) => tracing::debug!(?tables, "gathered the planner's statistics"),
        Err(error) => tracing::warn!(%error, "gathering the planner's statistics failed"),
    }
}
