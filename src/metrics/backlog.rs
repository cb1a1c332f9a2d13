//! The backlog gauges, read from the store at scrape time: at most once per
//! TTL (scrapes in between, and scrapes that arrive together, share one
//! read), each read bounded by [`READ_TIMEOUT`]. A failed or slow read
//! leaves the last values and counts a failure.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::registry::Registered;
use crate::clock::now_millis;
use crate::store::Store;
use crate::store::ops::Backlogs;

/// Longest a scrape waits for the store's backlogs.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Backlog {
    store: Arc<dyn Store>,
    holder: String,
    ttl: Duration,
    /// When the gauges were last read (`None`: never).
    read_at: Mutex<Option<Instant>>,
}

impl Backlog {
    pub fn new(store: Arc<dyn Store>, holder: String, ttl: Duration) -> Self {
        Self {
            store,
            holder,
            ttl,
            read_at: Mutex::new(None),
        }
    }

    /// Reads the backlogs into the gauges unless they are fresher than the
    /// TTL.
    pub async fn refresh(&self, registered: &Registered) {
        let mut read_at = self.read_at.lock().await;
        if read_at.is_some_and(|at| at.elapsed() < self.ttl) {
            return;
        }
        let now = now_millis();
        match tokio::time::timeout(READ_TIMEOUT, self.store.backlogs(&self.holder, now)).await {
            Ok(Ok(backlogs)) => {
                set(registered, &backlogs, now);
                *read_at = Some(Instant::now());
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, "reading the backlogs for the metrics failed");
                registered.backlog_refresh_failures.inc();
            }
            Err(_) => {
                tracing::warn!(timeout = ?READ_TIMEOUT, "reading the backlogs for the metrics took too long");
                registered.backlog_refresh_failures.inc();
            }
        }
    }
}

/// Sets every backlog gauge (a priority with no parts reads 0).
fn set(registered: &Registered, backlogs: &Backlogs, now: i64) {
    for (index, (depth, oldest)) in registered
        .outbox_depth
        .iter()
        .zip(&registered.outbox_oldest_due_seconds)
        .enumerate()
    {
        let found = backlogs
            .outbox
            .iter()
            .find(|entry| entry.priority as usize == index);
        depth.set(gauge_value(found.map_or(0, |entry| entry.parts)));
        let age_millis = found
            .and_then(|entry| entry.oldest_due_at)
            .map_or(0, |due_at| now.saturating_sub(due_at).max(0));
        oldest.set(age_millis as f64 / 1000.0);
    }
    registered.callback_backlog[0].set(gauge_value(backlogs.callbacks_due));
    registered.callback_backlog[1].set(gauge_value(
        backlogs
            .callbacks_pending
            .saturating_sub(backlogs.callbacks_due),
    ));
    registered
        .leases_held
        .set(gauge_value(backlogs.leases_held));
}

fn gauge_value(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}
