//! The SQLite callback queues: deliveries fed from the event queue under a
//! cursor, claimed with leases in per-message order, and their attempts.

use async_trait::async_trait;
use serde_json::{Value, json};
use sqlx::{Row, SqliteConnection};

use super::SqliteStore;
use crate::clock::now_millis;
use crate::store::{
    AttemptRecord, CallbackStore, ClaimedDelivery, DeliveryAttempt, DeliveryRecord, Millis,
    NewDelivery, StoreResult, TenantStore, UnroutedInbound,
};

#[async_trait]
impl CallbackStore for SqliteStore {
    async fn cursor(&self, name: &str) -> StoreResult<i64> {
        let position: Option<i64> =
            sqlx::query_scalar("SELECT position FROM cursors WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.reader)
                .await?;
        Ok(position.unwrap_or(0))
    }

    async fn enqueue_deliveries(
        &self,
        cursor: &str,
        from: i64,
        to: i64,
        deliveries: &[NewDelivery],
    ) -> StoreResult<bool> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("INSERT INTO cursors (name, position) VALUES ($1, 0) ON CONFLICT DO NOTHING")
            .bind(cursor)
            .execute(&mut *tx)
            .await?;
        let moved =
            sqlx::query("UPDATE cursors SET position = $3 WHERE name = $1 AND position = $2")
                .bind(cursor)
                .bind(from)
                .bind(to)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if moved == 0 {
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
        let mut unrouted = Vec::with_capacity(rows.len());
        for row in &rows {
            let source_id: Option<String> = row.try_get("source_id")?;
            let source = match source_id {
                Some(id) => self.source(&id).await?,
                None => None,
            };
            let message: String = row.try_get("message")?;
            let contact: Option<String> = row.try_get("contact")?;
            unrouted.push(UnroutedInbound {
                wamid: row.try_get("wamid")?,
                phone_number_id: row.try_get("phone_number_id")?,
                at: row.try_get("at")?,
                received_at: row.try_get("received_at")?,
                message: serde_json::from_str(&message)?,
                contact: contact.as_deref().map(serde_json::from_str).transpose()?,
                source,
            });
        }
        Ok(unrouted)
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
            "SELECT d.id, d.gate_id, d.payload, d.attempts, g.url, g.signing_secret
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
        .fetch_all(&mut *tx)
        .await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let attempts: i64 = row.try_get("attempts")?;
            claimed.push(ClaimedDelivery {
                id: row.try_get("id")?,
                gate_id: row.try_get("gate_id")?,
                url: row.try_get("url")?,
                signing_secret: row.try_get("signing_secret")?,
                payload: row.try_get("payload")?,
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                lease: lease.to_owned(),
            });
        }
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
        let query = sqlx::query("SELECT * FROM deliveries WHERE ordering = $1 ORDER BY id")
            .bind(message_id);
        self.deliveries_with_attempts(query).await
    }

    async fn gate_deliveries(&self, gate_id: &str, limit: u32) -> StoreResult<Vec<DeliveryRecord>> {
        let query =
            sqlx::query("SELECT * FROM deliveries WHERE gate_id = $1 ORDER BY id DESC LIMIT $2")
                .bind(gate_id)
                .bind(i64::from(limit));
        self.deliveries_with_attempts(query).await
    }

    async fn redeliver(&self, gate_id: &str, delivery_id: i64, now: Millis) -> StoreResult<bool> {
        // A copy at the end of the queue: it waits behind whatever of the
        // same message is still pending, so the order holds.
        let result = sqlx::query(
            "INSERT INTO deliveries (origin, gate_id, account_id, ordering, payload, state,
                                     next_attempt_at, created_at)
             SELECT 'redeliver:' || id || ':' || $1, gate_id, account_id, ordering, payload,
                    'PENDING', $1, $1
             FROM deliveries WHERE id = $2 AND gate_id = $3
             ON CONFLICT (origin, gate_id) DO NOTHING",
        )
        .bind(now)
        .bind(delivery_id)
        .bind(gate_id)
        .execute(&self.writer)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn record_attempt(&self, attempt: &DeliveryAttempt) -> StoreResult<bool> {
        let state = match (attempt.delivered, attempt.next_attempt_at) {
            (true, _) => "DELIVERED",
            (false, Some(_)) => "PENDING",
            (false, None) => "GAVE_UP",
        };
        let mut tx = self.writer.begin().await?;
        let updated = sqlx::query(
            "UPDATE deliveries
             SET state = $1, attempts = attempts + 1, next_attempt_at = COALESCE($2, next_attempt_at),
                 lease_owner = NULL, lease_until = 0,
                 finished_at = CASE WHEN $1 = 'PENDING' THEN NULL ELSE $3 END
             WHERE id = $4 AND lease_owner = $5 AND state = 'PENDING'",
        )
        .bind(state)
        .bind(attempt.next_attempt_at)
        .bind(attempt.at)
        .bind(attempt.delivery_id)
        .bind(&attempt.lease)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if updated {
            sqlx::query(
                "INSERT INTO delivery_attempts (delivery_id, at, http_status, error, duration_ms)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(attempt.delivery_id)
            .bind(attempt.at)
            .bind(attempt.http_status.map(i64::from))
            .bind(&attempt.error)
            .bind(attempt.duration_ms)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(updated)
    }
}

/// Queues deliveries; an (origin, gate) already queued is not queued again.
async fn insert_deliveries(
    connection: &mut SqliteConnection,
    deliveries: &[NewDelivery],
) -> StoreResult<()> {
    if deliveries.is_empty() {
        return Ok(());
    }
    let rows: Vec<Value> = deliveries
        .iter()
        .map(|delivery| {
            json!({
                "origin": delivery.origin,
                "gate": delivery.gate_id,
                "account": delivery.account_id,
                "ordering": delivery.ordering,
                "payload": delivery.payload,
            })
        })
        .collect();
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
    .bind(Value::Array(rows).to_string())
    .bind(now_millis())
    .execute(&mut *connection)
    .await?;
    Ok(())
}

impl SqliteStore {
    /// The deliveries a query selects, each with its tries, from one
    /// snapshot.
    async fn deliveries_with_attempts(
        &self,
        query: sqlx::query::Query<'_, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    ) -> StoreResult<Vec<DeliveryRecord>> {
        let mut snapshot = self.reader.begin().await?;
        let rows = query.fetch_all(&mut *snapshot).await?;
        let mut deliveries = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            let attempts =
                sqlx::query("SELECT * FROM delivery_attempts WHERE delivery_id = $1 ORDER BY id")
                    .bind(id)
                    .fetch_all(&mut *snapshot)
                    .await?
                    .iter()
                    .map(|attempt| {
                        let status: Option<i64> = attempt.try_get("http_status")?;
                        Ok(AttemptRecord {
                            at: attempt.try_get("at")?,
                            http_status: status.and_then(|status| u16::try_from(status).ok()),
                            error: attempt.try_get("error")?,
                            duration_ms: attempt.try_get("duration_ms")?,
                        })
                    })
                    .collect::<StoreResult<Vec<_>>>()?;
            deliveries.push(DeliveryRecord {
                id,
                origin: row.try_get("origin")?,
                gate_id: row.try_get("gate_id")?,
                ordering: row.try_get("ordering")?,
                state: row.try_get("state")?,
                payload: row.try_get("payload")?,
                next_attempt_at: row.try_get("next_attempt_at")?,
                created_at: row.try_get("created_at")?,
                finished_at: row.try_get("finished_at")?,
                attempts,
            });
        }
        snapshot.commit().await?;
        Ok(deliveries)
    }
}
