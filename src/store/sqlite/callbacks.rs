//! The SQLite callback queues: deliveries fed from the event queue under a
//! cursor, claimed with leases in per-message order, and their attempts.

use async_trait::async_trait;
use sqlx::SqliteConnection;

use super::SqliteStore;
use crate::clock::now_millis;
use crate::store::batch::delivery_rows;
use crate::store::rows::{FromStoreRow, with_sources};
use crate::store::{
    CallbackStore, ClaimedDelivery, DeliveryAttempt, DeliveryRecord, Millis, NewDelivery,
    StoreResult, UnroutedInbound,
};

#[async_trait]
impl CallbackStore for SqliteStore {
    async fn cursor(&self, name: &str) -> StoreResult<i64> {
        self.common_cursor(name).await
    }

    async fn enqueue_deliveries(
        &self,
        cursor: &str,
        from: i64,
        to: i64,
        deliveries: &[NewDelivery],
    ) -> StoreResult<bool> {
        let mut tx = self.writer.begin().await?;
        if !Self::move_cursor(&mut tx, cursor, from, to).await? {
            return Ok(false);
        }
        insert_deliveries(&mut tx, deliveries).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn messages_with_gates(&self, message_ids: &[&str]) -> StoreResult<Vec<String>> {
        if message_ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(sqlx::query_scalar(
            "SELECT message_id FROM messages
             WHERE message_id IN (SELECT value FROM json_each($1)) AND gate_ids <> '[]'",
        )
        .bind(serde_json::to_string(message_ids)?)
        .fetch_all(&self.reader)
        .await?)
    }

    async fn unrouted_inbound(&self, limit: u32) -> StoreResult<Vec<UnroutedInbound>> {
        let rows = sqlx::query(
            "SELECT i.wamid, i.phone_number_id, i.at, i.received_at, i.message, i.contact, s.id AS source_id
             FROM inbound_messages i LEFT JOIN sources s ON s.phone_number_id = i.phone_number_id
             WHERE NOT i.routed ORDER BY i.received_at, i.rowid LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        with_sources(self, &rows).await
    }

    async fn enqueue_routed(
        &self,
        routed: &[String],
        deliveries: &[NewDelivery],
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        insert_deliveries(&mut tx, deliveries).await?;
        sqlx::query(
            "UPDATE inbound_messages SET routed = TRUE WHERE wamid IN (SELECT value FROM json_each($1))",
        )
        .bind(serde_json::to_string(routed)?)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn claim_deliveries(
        &self,
        lease: &str,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        let mut tx = self.writer.begin().await?;
        let rows = sqlx::query(
            "SELECT d.id, d.gate_id, d.payload, d.attempts, g.url, g.signing_secret, $3 AS lease
             FROM deliveries d JOIN gates g ON g.id = d.gate_id AND g.account_id = d.account_id
             WHERE d.state = 'PENDING' AND d.next_attempt_at <= $1 AND d.lease_until <= $1
               AND NOT EXISTS (SELECT 1 FROM deliveries earlier
                               WHERE earlier.ordering = d.ordering
                                 AND earlier.gate_id = d.gate_id
                                 AND earlier.state = 'PENDING'
                                 AND earlier.id < d.id)
             ORDER BY d.next_attempt_at, d.id
             LIMIT $2",
        )
        .bind(now)
        .bind(i64::from(limit))
        .bind(lease)
        .fetch_all(&mut *tx)
        .await?;
        let claimed = rows
            .iter()
            .map(ClaimedDelivery::from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        if !claimed.is_empty() {
            let ids: Vec<i64> = claimed.iter().map(|delivery| delivery.id).collect();
            sqlx::query(
                "UPDATE deliveries SET lease_owner = $1, lease_until = $2
                 WHERE id IN (SELECT value FROM json_each($3))",
            )
            .bind(lease)
            .bind(lease_until)
            .bind(serde_json::to_string(&ids)?)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(claimed)
    }

    async fn message_deliveries(&self, message_id: &str) -> StoreResult<Vec<DeliveryRecord>> {
        self.common_message_deliveries(message_id).await
    }

    async fn gate_deliveries(&self, gate_id: &str, limit: u32) -> StoreResult<Vec<DeliveryRecord>> {
        self.common_gate_deliveries(gate_id, limit).await
    }

    async fn redeliver(&self, gate_id: &str, delivery_id: i64, now: Millis) -> StoreResult<bool> {
        self.common_redeliver(gate_id, delivery_id, now).await
    }

    async fn record_attempt(&self, attempt: &DeliveryAttempt) -> StoreResult<bool> {
        self.common_record_attempt(attempt).await
    }
}

/// Queues deliveries; an (origin, gate) already queued is not queued again.
async fn insert_deliveries(
    connection: &mut SqliteConnection,
    deliveries: &[NewDelivery],
) -> StoreResult<()> {
    let Some(rows) = delivery_rows(deliveries) else {
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO deliveries (origin, gate_id, account_id, ordering, payload, state, next_attempt_at, created_at)
         SELECT value ->> 'origin', value ->> 'gate', value ->> 'account', value ->> 'ordering', value ->> 'payload',
                -- A gate deleted since the reader looked it up gets nothing.
                CASE WHEN EXISTS (SELECT 1 FROM gates g
                                  WHERE g.id = value ->> 'gate' AND g.account_id = value ->> 'account')
                     THEN 'PENDING' ELSE 'GAVE_UP' END,
                $2, $2
         FROM json_each($1) WHERE true ORDER BY key
         ON CONFLICT (origin, gate_id) DO NOTHING",
    )
    .bind(rows)
    .bind(now_millis())
    .execute(&mut *connection)
    .await?;
    Ok(())
}
