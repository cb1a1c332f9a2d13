//! The SQLite outbox: claims with leases, outcomes with their status and
//! event in the same transaction, and the event queue.
//!
//! Every write goes through the single writer connection, so a claim (read
//! the due rows, then lease them) cannot interleave with another claim.

use async_trait::async_trait;
use sqlx::Row;
use wagate_domain::Priority;

use super::SqliteStore;
use super::rows::{FromSqliteRow, corrupt};
use crate::store::{
    ClaimedPart, EventRecord, Millis, OutboxStore, Outcome, OutcomeChange, StatusRecord,
    StoreResult,
};

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn claim(
        &self,
        source: &str,
        owner: &str,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedPart>> {
        let mut tx = self.writer.begin().await?;
        let rows = sqlx::query(
            "SELECT o.message_id, o.message_index, m.account_id, m.destination, m.priority,
                    m.expires_at, p.message_type, p.cloud_body, p.attempts
             FROM outbox o
             JOIN message_parts p ON p.message_id = o.message_id AND p.message_index = o.message_index
             JOIN messages m ON m.message_id = o.message_id
             WHERE o.source = $1 AND o.due_at <= $2 AND o.lease_until <= $2
               AND NOT EXISTS (SELECT 1 FROM outbox earlier
                               WHERE earlier.message_id = o.message_id
                                 AND earlier.message_index < o.message_index)
             ORDER BY o.sort_key
             LIMIT $3",
        )
        .bind(source)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        let claimed = rows
            .iter()
            .map(ClaimedPart::from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        for part in &claimed {
            sqlx::query(
                "UPDATE outbox SET lease_owner = $1, lease_until = $2
                 WHERE message_id = $3 AND message_index = $4",
            )
            .bind(owner)
            .bind(lease_until)
            .bind(&part.message_id)
            .bind(i64::from(part.message_index))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(claimed)
    }

    async fn record(&self, outcomes: &[Outcome]) -> StoreResult<Vec<bool>> {
        let mut tx = self.writer.begin().await?;
        let mut recorded = Vec::with_capacity(outcomes.len());
        for outcome in outcomes {
            let index = i64::from(outcome.message_index);
            let still_ours = match &outcome.change {
                OutcomeChange::Resend {
                    due_at, sort_key, ..
                } => sqlx::query(
                    "UPDATE outbox SET due_at = $1, sort_key = $2, lease_owner = NULL, lease_until = 0
                     WHERE message_id = $3 AND message_index = $4 AND lease_owner = $5",
                )
                .bind(due_at)
                .bind(sort_key),
                OutcomeChange::Submitted { .. } | OutcomeChange::Finished { .. } => sqlx::query(
                    "DELETE FROM outbox
                     WHERE message_id = $1 AND message_index = $2 AND lease_owner = $3",
                ),
            }
            .bind(&outcome.message_id)
            .bind(index)
            .bind(&outcome.lease_owner)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            recorded.push(still_ours);
            if !still_ours {
                continue;
            }
            let status = outcome.change.status();
            let wamid = match &outcome.change {
                OutcomeChange::Submitted { wamid, .. } => Some(wamid.as_str()),
                _ => None,
            };
            sqlx::query(
                "UPDATE message_parts
                 SET state = $1, result_code = $2, updated_at = $3, attempts = attempts + $4,
                     wamid = COALESCE($5, wamid)
                 WHERE message_id = $6 AND message_index = $7",
            )
            .bind(status.state.as_str())
            .bind(i64::from(status.result_code))
            .bind(outcome.at)
            .bind(i64::from(outcome.attempted))
            .bind(wamid)
            .bind(&outcome.message_id)
            .bind(index)
            .execute(&mut *tx)
            .await?;
            let details = status
                .details
                .as_ref()
                .map(serde_json::to_string)
                .transpose()?;
            let status_id: i64 = sqlx::query_scalar(
                "INSERT INTO message_statuses (message_id, message_index, state, result_code, description, details, at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(&outcome.message_id)
            .bind(index)
            .bind(status.state.as_str())
            .bind(i64::from(status.result_code))
            .bind(&status.description)
            .bind(details)
            .bind(outcome.at)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO events (account_id, message_id, message_index, status_id, created_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&outcome.account_id)
            .bind(&outcome.message_id)
            .bind(index)
            .bind(status_id)
            .bind(outcome.at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(recorded)
    }

    async fn release(&self, owner: &str, parts: &[(String, u32)]) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        for (message_id, index) in parts {
            sqlx::query(
                "UPDATE outbox SET lease_owner = NULL, lease_until = 0
                 WHERE message_id = $1 AND message_index = $2 AND lease_owner = $3",
            )
            .bind(message_id)
            .bind(i64::from(*index))
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn outbox_sources(&self) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT DISTINCT source FROM outbox")
            .fetch_all(&self.reader)
            .await?)
    }

    async fn events_after(&self, after_id: i64, limit: u32) -> StoreResult<Vec<EventRecord>> {
        let rows = sqlx::query(
            "SELECT e.id AS event_id, e.account_id, e.message_id, e.message_index,
                    s.state, s.result_code, s.description, s.details, s.at
             FROM events e JOIN message_statuses s ON s.id = e.status_id
             WHERE e.id > $1 ORDER BY e.id LIMIT $2",
        )
        .bind(after_id)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                let index: i64 = row.try_get("message_index")?;
                Ok(EventRecord {
                    id: row.try_get("event_id")?,
                    account_id: row.try_get("account_id")?,
                    message_id: row.try_get("message_id")?,
                    message_index: u32::try_from(index)
                        .map_err(|_| corrupt("message_index", &index.to_string()))?,
                    status: StatusRecord::from_row(row)?,
                })
            })
            .collect()
    }
}

impl FromSqliteRow for ClaimedPart {
    fn from_row(row: &sqlx::sqlite::SqliteRow) -> StoreResult<Self> {
        let index: i64 = row.try_get("message_index")?;
        let attempts: i64 = row.try_get("attempts")?;
        let priority: String = row.try_get("priority")?;
        Ok(Self {
            message_id: row.try_get("message_id")?,
            message_index: u32::try_from(index)
                .map_err(|_| corrupt("message_index", &index.to_string()))?,
            account_id: row.try_get("account_id")?,
            destination: row.try_get("destination")?,
            priority: Priority::parse(&priority).ok_or_else(|| corrupt("priority", &priority))?,
            message_type: row.try_get("message_type")?,
            cloud_body: row.try_get("cloud_body")?,
            expires_at: row.try_get("expires_at")?,
            attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        })
    }
}
