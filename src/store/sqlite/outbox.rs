//! The SQLite outbox: claims with leases, outcomes with their status and
//! event in the same transaction, and the event queue.
//!
//! Every write goes through the single writer connection, so a claim (read
//! the due rows, then lease them) cannot interleave with another claim.

use std::collections::HashSet;

use async_trait::async_trait;
use serde_json::{Value, json};
use sqlx::{Row, SqliteConnection};
use wagate_domain::Priority;

use super::rows::{FromSqliteRow, corrupt};
use super::{SqliteStore, history};
use crate::store::{
    ClaimedPart, EventRecord, Millis, OutboxStore, Outcome, OutcomeChange, StatusRecord,
    StoreResult,
};

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn claim(
        &self,
        source: &str,
        lease: &str,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedPart>> {
        let mut tx = self.writer.begin().await?;
        let rows = sqlx::query(
            "SELECT o.rowid AS outbox_row, o.message_id, o.message_index, m.account_id, m.destination, m.priority,
                    m.expires_at, p.message_type, p.cloud_body, p.attempts,
                    -- The care window, under the destination or another id
                    -- the contact book knows the user by.
                    (SELECT MAX(w.last_inbound_at) FROM care_windows w
                     WHERE w.source = o.source
                       AND (w.user = m.destination
                            OR w.user IN (SELECT c.phone FROM contacts c
                                          WHERE c.account_id = m.account_id
                                            AND (c.user_id = m.destination
                                                 OR c.parent_user_id = m.destination))
                            OR w.user IN (SELECT c.user_id FROM contacts c
                                          WHERE c.account_id = m.account_id
                                            AND c.phone = m.destination))) AS last_inbound_at
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
            .map(|row| {
                ClaimedPart::from_row(row).map(|part| ClaimedPart {
                    lease: lease.to_owned(),
                    ..part
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        if !claimed.is_empty() {
            let rows = rows
                .iter()
                .map(|row| row.try_get::<i64, _>("outbox_row"))
                .collect::<Result<Vec<_>, _>>()?;
            sqlx::query(
                "UPDATE outbox SET lease_owner = $1, lease_until = $2
                 WHERE rowid IN (SELECT value FROM json_each($3))",
            )
            .bind(lease)
            .bind(lease_until)
            .bind(serde_json::to_string(&rows)?)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(claimed)
    }

    async fn record(&self, outcomes: &[Outcome]) -> StoreResult<Vec<bool>> {
        let mut tx = self.writer.begin().await?;
        let recorded = record_batch(&mut tx, outcomes).await?;
        tx.commit().await?;
        Ok(recorded)
    }

    async fn release(&self, lease: &str, parts: &[(String, u32)]) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        for (message_id, index) in parts {
            sqlx::query(
                "UPDATE outbox SET lease_owner = NULL, lease_until = 0
                 WHERE message_id = $1 AND message_index = $2 AND lease_owner = $3",
            )
            .bind(message_id)
            .bind(i64::from(*index))
            .bind(lease)
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
            lease: String::new(),
            last_inbound_at: row.try_get("last_inbound_at")?,
        })
    }
}

/// Records outcomes in a fixed number of statements, however many there are
/// (see [`super::accept`] for why statements are counted): settle the outbox
/// rows still held by the outcome's lease, then for those update the parts
/// and append the statuses with their events ([`history`]).
async fn record_batch(
    connection: &mut SqliteConnection,
    outcomes: &[Outcome],
) -> StoreResult<Vec<bool>> {
    let rows = outcomes
        .iter()
        .map(outcome_row)
        .collect::<StoreResult<Vec<_>>>()?;
    let (resends, settled): (Vec<&Value>, Vec<&Value>) = rows
        .iter()
        .partition(|row| row.get("due").is_some_and(|due| !due.is_null()));
    let mut still_leased: HashSet<(String, i64)> = HashSet::new();
    for row in sqlx::query(
        "DELETE FROM outbox
         WHERE (message_id, message_index, lease_owner) IN
               (SELECT value ->> 'id', value ->> 'index', value ->> 'owner' FROM json_each($1))
         RETURNING message_id, message_index",
    )
    .bind(serde_json::to_string(&settled)?)
    .fetch_all(&mut *connection)
    .await?
    .into_iter()
    .chain(
        sqlx::query(
            "UPDATE outbox SET due_at = j.due, sort_key = j.sort_key, lease_owner = NULL, lease_until = 0
             FROM (SELECT value ->> 'id' AS id, value ->> 'index' AS idx, value ->> 'owner' AS owner,
                          value ->> 'due' AS due, value ->> 'sortKey' AS sort_key
                   FROM json_each($1)) AS j
             WHERE outbox.message_id = j.id AND outbox.message_index = j.idx
               AND outbox.lease_owner = j.owner
             RETURNING outbox.message_id, outbox.message_index",
        )
        .bind(serde_json::to_string(&resends)?)
        .fetch_all(&mut *connection)
        .await?,
    ) {
        still_leased.insert((row.try_get("message_id")?, row.try_get("message_index")?));
    }
    // Each settled row counts for one outcome only (the first of the batch).
    let recorded: Vec<bool> = outcomes
        .iter()
        .map(|outcome| {
            still_leased.remove(&(outcome.message_id.clone(), i64::from(outcome.message_index)))
        })
        .collect();
    let kept: Vec<&Value> = rows
        .iter()
        .zip(&recorded)
        .filter_map(|(row, recorded)| recorded.then_some(row))
        .collect();
    if kept.is_empty() {
        return Ok(recorded);
    }
    let kept = serde_json::to_string(&kept)?;
    history::update_parts(connection, &kept).await?;
    history::append(connection, &kept).await?;
    // Statuses Meta reported before the submission was recorded join now.
    let wamids: Vec<&str> = outcomes
        .iter()
        .zip(&recorded)
        .filter_map(|(outcome, recorded)| match &outcome.change {
            OutcomeChange::Submitted { wamid, .. } if *recorded => Some(wamid.as_str()),
            _ => None,
        })
        .collect();
    history::apply_reports(connection, &wamids).await?;
    Ok(recorded)
}

/// One outcome as the JSON the batch statements read.
fn outcome_row(outcome: &Outcome) -> StoreResult<Value> {
    let status = outcome.change.status();
    let (due, sort_key, wamid) = match &outcome.change {
        OutcomeChange::Resend {
            due_at, sort_key, ..
        } => (Some(*due_at), Some(*sort_key), None),
        OutcomeChange::Submitted { wamid, .. } => (None, None, Some(wamid.as_str())),
        OutcomeChange::Finished { .. } => (None, None, None),
    };
    Ok(json!({
        "id": outcome.message_id,
        "index": outcome.message_index,
        "owner": outcome.lease,
        "due": due,
        "sortKey": sort_key,
        "wamid": wamid,
        "state": status.state.as_str(),
        "code": status.result_code,
        "description": status.description,
        "details": status.details.as_ref().map(serde_json::to_string).transpose()?,
        "at": outcome.at,
        "attempted": i64::from(outcome.attempted),
    }))
}
