//! Keeps the database's tables in shape, as autovacuum would but more
//! often: every second, the tables with enough dead rows are vacuumed and
//! those never analyzed yet are analyzed; every `--statistics-interval`,
//! so are the tables that changed enough since their statistics were
//! gathered (PostgreSQL; see [`crate::store::OpsStore::tend_tables`]).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::store::{StatisticsScope, Store};

/// How often the tables' dead rows, and the tables whose statistics were
/// never gathered, are looked at (at most every `interval`). The callback
/// leases turn over hundreds of times a second under load, and each claim
/// steps over the dead ones until a vacuum. A new database's queues hold
/// tens of thousands of rows seconds after its first load arrives, and
/// until their first `ANALYZE` the planner guesses: in a full-loop bench,
/// plans made on those guesses read a gate's whole queue for every callback
/// through the first `interval` of the load.
const FREQUENT_INTERVAL: Duration = Duration::from_secs(1);

/// Tends the tables every [`FREQUENT_INTERVAL`] (at most every
/// `interval`), with every table's statistics in scope every `interval`,
/// until `stopped` turns true (or its sender is gone).
pub async fn run(store: Arc<dyn Store>, interval: Duration, stopped: watch::Receiver<bool>) {
    let mut next_full = Instant::now();
    crate::housekeeping::every(FREQUENT_INTERVAL.min(interval), stopped, || {
        let now = Instant::now();
        let scope = if now >= next_full {
            next_full = now + interval;
            StatisticsScope::All
        } else {
            StatisticsScope::NeverGathered
        };
        tend(store.as_ref(), scope)
    })
    .await;
}

/// One round of upkeep.
async fn tend(store: &dyn Store, scope: StatisticsScope) {
    match store.tend_tables(scope).await {
        Ok(tended) if tended.is_empty() => {}
        Ok(tended) => tracing::debug!(
            vacuumed = ?tended.vacuumed,
            analyzed = ?tended.analyzed,
            ?scope,
            "tended the tables"
        ),
        Err(error) => tracing::warn!(%error, "tending the tables failed"),
    }
}
