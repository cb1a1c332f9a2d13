//! The SQLite outbox: claims with leases, and the statements that settle
//! outcomes (recorded with their status and event in one transaction by
//! `OutboxStore::record`, in `store::common`).
//!
//! Every write goes through the single writer connection, so a claim (read
//! the due rows, then lease them) cannot interleave with another claim.

use sqlx::Row;

use super::{BEGIN_WRITE, SqliteStore};
use crate::store::rows::FromStoreRow;
use crate::store::{ClaimedPart, Millis, StoreResult};

impl SqliteStore {
    /// Takes the settled outcomes' rows (`$1`, `OutcomeRows::settled`) out
    /// of the outbox where their lease still holds them; returns those rows.
    pub(super) const SETTLE_OUTBOX: &str = "DELETE FROM outbox
         WHERE (message_id, message_index, lease_owner) IN
               (SELECT value ->> 'id', value ->> 'index', value ->> 'owner' FROM json_each($1))
         RETURNING message_id, message_index";

    /// Erases the content of the settled outcomes' parts (`$1`, as for
    /// `SETTLE_OUTBOX`) that have left the outbox and are not kept beyond
    /// `$2` (now).
    pub(super) const ERASE_SETTLED: &str =
        "UPDATE message_parts SET cloud_body = '', content_until = NULL
         WHERE content_until <= $2
           AND (message_id, message_index) IN
               (SELECT value ->> 'id', value ->> 'index' FROM json_each($1))
           AND NOT EXISTS (SELECT 1 FROM outbox o
                           WHERE o.message_id = message_parts.message_id
                             AND o.message_index = message_parts.message_index)";

    /// Makes the resent outcomes' rows (`$1`, `OutcomeRows::resends`) due
    /// again where their lease still holds them; returns those rows.
    pub(super) const RESEND_OUTBOX: &str =
        "UPDATE outbox SET due_at = j.due, sort_key = j.sort_key, lease_owner = NULL, lease_until = 0
         FROM (SELECT value ->> 'id' AS id, value ->> 'index' AS idx, value ->> 'owner' AS owner,
                      value ->> 'due' AS due, value ->> 'sortKey' AS sort_key
               FROM json_each($1)) AS j
         WHERE outbox.message_id = j.id AND outbox.message_index = j.idx
           AND outbox.lease_owner = j.owner
         RETURNING outbox.message_id, outbox.message_index";

    /// `OutboxStore::claim`: reads the due parts, then leases them, in one
    /// transaction.
    pub(super) async fn lease_due_parts(
        &self,
        source: &str,
        lease: &str,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedPart>> {
        let mut tx = self.writer.begin_with(BEGIN_WRITE).await?;
        let rows = sqlx::query(
            "SELECT o.rowid AS outbox_row, o.message_id, o.message_index, m.account_id, m.destination, m.priority,
                    m.expires_at, p.message_type, p.cloud_body, p.attempts, $4 AS lease,
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
        .bind(lease)
        .fetch_all(&mut *tx)
        .await?;
        let claimed = rows
            .iter()
            .map(ClaimedPart::from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        let ids = rows
            .iter()
            .map(|row| row.try_get::<i64, _>("outbox_row"))
            .collect::<Result<Vec<_>, _>>()?;
        Self::lease_claimed(
            tx,
            "UPDATE outbox SET lease_owner = $1, lease_until = $2
             WHERE rowid IN (SELECT value FROM json_each($3))",
            lease,
            lease_until,
            &ids,
        )
        .await?;
        Ok(claimed)
    }
}
