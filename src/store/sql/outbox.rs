//! The outbox on both backends ([`OutboxStore`]): the claims, outcomes and
//! released parts are the backend's own ([`SqlBackend::lease_due_parts`],
//! [`SqlBackend::record_outcomes`], [`SqlBackend::release_parts`]); which
//! sources have work and the event queue are read here.

use async_trait::async_trait;

use super::{Arg, Driver, SqlBackend, read_all};
use crate::store::rows::StoreRow;
use crate::store::{ClaimedPart, EventRecord, Millis, OutboxStore, Outcome, StoreResult};

#[async_trait]
impl<B: SqlBackend> OutboxStore for B {
    async fn claim(
        &self,
        source: &str,
        lease: &str,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedPart>> {
        self.lease_due_parts(source, lease, now, lease_until, limit)
            .await
    }

    async fn record(&self, outcomes: &[Outcome]) -> StoreResult<Vec<bool>> {
        self.record_outcomes(outcomes).await
    }

    async fn release(&self, lease: &str, parts: &[(String, u32)]) -> StoreResult<()> {
        self.release_parts(lease, parts).await
    }

    async fn outbox_sources(&self) -> StoreResult<Vec<String>> {
        let statement = B::Db::statement("SELECT DISTINCT source FROM outbox", []);
        let rows = B::Db::fetch_all(self.reader(), statement).await?;
        rows.iter().map(|row| row.get("source")).collect()
    }

    async fn events_after(&self, after_id: i64, limit: u32) -> StoreResult<Vec<EventRecord>> {
        read_all(
            self,
            "SELECT e.id AS event_id, e.account_id, e.message_id, e.message_index,
                    s.state, s.result_code, s.description, s.details, s.at
             FROM events e JOIN message_statuses s ON s.id = e.status_id
             WHERE e.id > $1 ORDER BY e.id LIMIT $2",
            &[Arg::Int(after_id), Arg::Int(i64::from(limit))],
        )
        .await
    }
}
