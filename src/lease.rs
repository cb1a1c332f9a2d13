//! Holding one of the store's named leases while this instance does a job
//! that only one instance may do at a time (work off a business number's
//! outbox, feed the callback queues).
//!
//! A [`LeaseKeeper`] takes the lease and renews it in the background every
//! third of its duration. [`LeaseKeeper::holds`] turns false as soon as a
//! renewal finds the lease taken by someone else, or when the lease's time
//! runs out without a successful renewal (the database was unreachable): the
//! job must then stop, because another instance may take the lease over at
//! that moment. A keeper dropped without [`LeaseKeeper::release`] stops
//! renewing, and the lease expires on its own; that is also what happens
//! when the process dies.
//!
//! Lease times are the instances' clocks (Unix milliseconds): keep them in
//! sync (NTP); a lease must last much longer than their skew.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::clock::now_millis;
use crate::store::{LeaseHolder, Millis, Store, StoreResult};

/// A lease this instance holds and keeps renewing.
pub struct LeaseKeeper {
    store: Arc<dyn Store>,
    name: String,
    holder: String,
    /// Until when the last take or renewal holds the lease (0: lost).
    held_until: Arc<AtomicI64>,
    renewal: JoinHandle<()>,
}

/// Someone else holds the lease, until `until` unless they renew it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldElsewhere {
    pub holder: String,
    pub until: Millis,
}

impl LeaseKeeper {
    /// Takes `name` for `holder` for `duration` and keeps renewing it.
    pub async fn take(
        store: Arc<dyn Store>,
        name: &str,
        holder: &str,
        duration: Duration,
    ) -> StoreResult<Result<Self, HeldElsewhere>> {
        let length = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
        let now = now_millis();
        match store
            .take_lease(name, holder, now, now.saturating_add(length))
            .await?
        {
            LeaseHolder::Caller => {}
            LeaseHolder::Other { holder, until } => {
                return Ok(Err(HeldElsewhere { holder, until }));
            }
        }
        let held_until = Arc::new(AtomicI64::new(now.saturating_add(length)));
        let renewal = tokio::spawn(renew(
            store.clone(),
            name.to_owned(),
            holder.to_owned(),
            duration,
            held_until.clone(),
        ));
        Ok(Ok(Self {
            store,
            name: name.to_owned(),
            holder: holder.to_owned(),
            held_until,
            renewal,
        }))
    }

    /// Whether the lease is still this instance's.
    pub fn holds(&self) -> bool {
        now_millis() < self.held_until.load(Ordering::Acquire)
    }

    /// Stops renewing and gives the lease up at once, so another instance
    /// can take the job over without waiting for it to expire.
    pub async fn release(self) {
        self.renewal.abort();
        if let Err(error) = self.store.drop_lease(&self.name, &self.holder).await {
            tracing::warn!(%error, lease = %self.name, "giving a lease up failed; it expires on its own");
        }
    }
}

impl Drop for LeaseKeeper {
    fn drop(&mut self) {
        self.renewal.abort();
    }
}

async fn renew(
    store: Arc<dyn Store>,
    name: String,
    holder: String,
    duration: Duration,
    held_until: Arc<AtomicI64>,
) {
    let length = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
    loop {
        tokio::time::sleep(duration / 3).await;
        let now = now_millis();
        match store
            .take_lease(&name, &holder, now, now.saturating_add(length))
            .await
        {
            Ok(LeaseHolder::Caller) => {
                held_until.store(now.saturating_add(length), Ordering::Release);
            }
            Ok(LeaseHolder::Other { holder: other, .. }) => {
                tracing::warn!(lease = %name, holder = %other, "lease lost to another instance");
                held_until.store(0, Ordering::Release);
                return;
            }
            // The lease holds until its time runs out; the next renewal
            // may get through.
            Err(error) => tracing::warn!(%error, lease = %name, "renewing a lease failed"),
        }
    }
}
