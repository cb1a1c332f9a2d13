//! The PostgreSQL outbox: claims that several instances can run at once
//! (`FOR UPDATE SKIP LOCKED`), and recording outcomes with their status and
//! event in one transaction (`OutboxStore::record`).

use std::collections::HashSet;

use sqlx::PgConnection;

use super::{PgStore, column};
use crate::clock::now_millis;
use crate::store::batch::OutcomeRows;
use crate::store::rows::{FromStoreRow, StoreRow};
use crate::store::{ClaimedPart, Millis, Outcome, OutcomeChange, StoreResult};

impl PgStore {
    /// Takes the settled outcomes' rows (`OutcomeRows::settled`: ids `$1`,
    /// indexes `$2`, lease owners `$3`) out of the outbox where their lease
    /// still holds them; returns those rows.
    const SETTLE_OUTBOX: &str = "DELETE FROM outbox
         USING UNNEST($1::text[], $2::bigint[], $3::text[]) AS j (id, \"index\", owner)
         WHERE outbox.message_id = j.id AND outbox.message_index = j.\"index\"
           AND outbox.lease_owner = j.owner
         RETURNING outbox.message_id, outbox.message_index";

    /// Erases the content of the settled outcomes' parts (ids `$1`, indexes
    /// `$2`) that have left the outbox and are not kept beyond `$3` (now).
    const ERASE_SETTLED: &str = "UPDATE message_parts SET cloud_body = '', content_until = NULL
         FROM UNNEST($1::text[], $2::bigint[]) AS j (id, \"index\")
         WHERE message_parts.message_id = j.id AND message_parts.message_index = j.\"index\"
           AND message_parts.content_until <= $3
           AND NOT EXISTS (SELECT 1 FROM outbox o
                           WHERE o.message_id = message_parts.message_id
                             AND o.message_index = message_parts.message_index)";

    /// Makes the resent outcomes' rows (`OutcomeRows::resends`: ids `$1`,
    /// indexes `$2`, lease owners `$3`) due again at `$4` with sort keys
    /// `$5` where their lease still holds them; returns those rows.
    const RESEND_OUTBOX: &str =
        "UPDATE outbox SET due_at = j.due, sort_key = j.sort_key, lease_owner = NULL,
                           lease_until = 0
         FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[])
              AS j (id, \"index\", owner, due, sort_key)
         WHERE outbox.message_id = j.id AND outbox.message_index = j.\"index\"
           AND outbox.lease_owner = j.owner
         RETURNING outbox.message_id, outbox.message_index";

    /// `OutboxStore::record`: the outcomes in one transaction.
    pub(super) async fn record_outcomes(&self, outcomes: &[Outcome]) -> StoreResult<Vec<bool>> {
        let mut tx = self.writer.begin().await?;
        let recorded = Self::record_batch(&mut tx, outcomes).await?;
        tx.commit().await?;
        Ok(recorded)
    }

    /// `OutboxStore::record`'s statements, in the caller's transaction, a
    /// fixed number however many outcomes there are: take the locks of the
    /// submissions' wamids, settle the outbox rows still held by the
    /// outcome's lease (`SETTLE_OUTBOX`, `RESEND_OUTBOX`), then for those
    /// write the history (`record_history`).
    async fn record_batch(
        connection: &mut PgConnection,
        outcomes: &[Outcome],
    ) -> StoreResult<Vec<bool>> {
        let submitted: Vec<&str> = outcomes
            .iter()
            .filter_map(|outcome| match &outcome.change {
                OutcomeChange::Submitted { wamid, .. } => Some(wamid.as_str()),
                _ => None,
            })
            .collect();
        Self::lock_wamids(connection, &submitted).await?;
        let rows = OutcomeRows::new(outcomes)?;
        let settled = rows.settled();
        let resends = rows.resends();
        let mut still_leased: HashSet<(String, i64)> = HashSet::new();
        if !settled.is_empty() {
            let ids = column(&settled, |row| row.id);
            let indexes = column(&settled, |row| i64::from(row.index));
            for row in sqlx::query(Self::SETTLE_OUTBOX)
                .bind(&ids)
                .bind(&indexes)
                .bind(column(&settled, |row| row.owner))
                .fetch_all(&mut *connection)
                .await?
            {
                still_leased.insert((row.get("message_id")?, row.get("message_index")?));
            }
            // No further send of a settled part can happen: its content
            // goes now, unless it is kept.
            sqlx::query(Self::ERASE_SETTLED)
                .bind(&ids)
                .bind(&indexes)
                .bind(now_millis())
                .execute(&mut *connection)
                .await?;
        }
        if !resends.is_empty() {
            for row in sqlx::query(Self::RESEND_OUTBOX)
                .bind(column(&resends, |row| row.id))
                .bind(column(&resends, |row| i64::from(row.index)))
                .bind(column(&resends, |row| row.owner))
                .bind(column(&resends, |row| row.due))
                .bind(column(&resends, |row| row.sort_key))
                .fetch_all(&mut *connection)
                .await?
            {
                still_leased.insert((row.get("message_id")?, row.get("message_index")?));
            }
        }
        let recorded = rows.recorded(still_leased);
        let kept = rows.kept(&recorded);
        // Statuses Meta reported before the submission was recorded join
        // now.
        Self::record_history(connection, &kept, &rows.submitted(&recorded)).await?;
        Ok(recorded)
    }

    /// `OutboxStore::release`.
    pub(super) async fn release_parts(
        &self,
        lease: &str,
        parts: &[(String, u32)],
    ) -> StoreResult<()> {
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

    /// `OutboxStore::claim`.
    pub(super) async fn lease_due_parts(
        &self,
        source: &str,
        lease: &str,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedPart>> {
        // One statement: pick the due rows nobody else holds (a row another
        // claim has locked is skipped, not waited for), lease them, and read
        // what the dispatcher needs, in claim order.
        let rows = sqlx::query(
            "WITH picked AS (
                 SELECT o.message_id, o.message_index, o.sort_key, o.id
                 FROM outbox o
                 WHERE o.source = $1 AND o.due_at <= $2 AND o.lease_until <= $2
                   AND NOT EXISTS (SELECT 1 FROM outbox earlier
                                   WHERE earlier.message_id = o.message_id
                                     AND earlier.message_index < o.message_index)
                 ORDER BY o.sort_key, o.id
                 LIMIT $3
                 FOR UPDATE SKIP LOCKED
             ), leased AS (
                 UPDATE outbox SET lease_owner = $4, lease_until = $5
                 FROM picked
                 WHERE outbox.message_id = picked.message_id
                   AND outbox.message_index = picked.message_index
                 RETURNING outbox.message_id, outbox.message_index, outbox.source,
                           outbox.lease_owner, picked.sort_key, picked.id
             )
             SELECT l.message_id, l.message_index, m.account_id, m.destination, m.priority,
                    m.expires_at, p.message_type, p.cloud_body, p.attempts, m.request_id,
                    l.lease_owner AS lease,
                    -- The care window, under the destination or another id
                    -- the contact book knows the user by.
                    (SELECT MAX(w.last_inbound_at) FROM care_windows w
                     WHERE w.source = l.source
                       AND (w.\"user\" = m.destination
                            OR w.\"user\" IN (SELECT c.phone FROM contacts c
                                            WHERE c.account_id = m.account_id
                                              AND (c.user_id = m.destination
                                                   OR c.parent_user_id = m.destination))
                            OR w.\"user\" IN (SELECT c.user_id FROM contacts c
                                            WHERE c.account_id = m.account_id
                                              AND c.phone = m.destination))) AS last_inbound_at
             FROM leased l
             JOIN message_parts p ON p.message_id = l.message_id AND p.message_index = l.message_index
             JOIN messages m ON m.message_id = l.message_id
             ORDER BY l.sort_key, l.id",
        )
        .bind(source)
        .bind(now)
        .bind(i64::from(limit))
        .bind(lease)
        .bind(lease_until)
        .fetch_all(&self.writer)
        .await?;
        rows.iter().map(ClaimedPart::from_row).collect()
    }
}
