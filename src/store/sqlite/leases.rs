//! Named leases and wake-ups on SQLite: one instance owns the file, so the
//! leases always go to it and there is nobody else to be woken.

use async_trait::async_trait;

use super::SqliteStore;
use crate::store::{LeaseHolder, LeaseStore, Millis, StoreResult, Wake, WakeStore};

/// Takes or renews a lease; the same statement serves PostgreSQL.
pub(crate) const TAKE_LEASE: &str =
    "INSERT INTO leases (name, holder, held_until) VALUES ($1, $2, $4)
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, held_until = excluded.held_until
     WHERE leases.held_until <= $3 OR leases.holder = excluded.holder
     RETURNING holder";
pub(crate) const LEASE_HOLDER: &str = "SELECT holder, held_until FROM leases WHERE name = $1";
pub(crate) const DROP_LEASE: &str = "DELETE FROM leases WHERE name = $1 AND holder = $2";

#[async_trait]
impl LeaseStore for SqliteStore {
    async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: Millis,
        until: Millis,
    ) -> StoreResult<LeaseHolder> {
        let mut tx = self.writer.begin().await?;
        let taken: Option<String> = sqlx::query_scalar(TAKE_LEASE)
            .bind(name)
            .bind(holder)
            .bind(now)
            .bind(until)
            .fetch_optional(&mut *tx)
            .await?;
        let result = if taken.is_some() {
            LeaseHolder::Caller
        } else {
            let (holder, until): (String, Millis) = sqlx::query_as(LEASE_HOLDER)
                .bind(name)
                .fetch_one(&mut *tx)
                .await?;
            LeaseHolder::Other { holder, until }
        };
        tx.commit().await?;
        Ok(result)
    }

    async fn drop_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        sqlx::query(DROP_LEASE)
            .bind(name)
            .bind(holder)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl WakeStore for SqliteStore {
    async fn listen(&self) -> StoreResult<Option<tokio::sync::mpsc::Receiver<Wake>>> {
        Ok(None)
    }
}
