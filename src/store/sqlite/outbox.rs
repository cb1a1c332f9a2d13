//! The SQLite outbox: claims with leases, giving parts back, and recording
//! outcomes with their status and event, each one job on the writer thread
//! ([`super::writer`]) with cached prepared statements.
//!
//! The writer thread runs one job at a time, so a claim (read the
//! due rows, then lease them) cannot interleave with another claim, nor
//! with the outcomes that settle what a claim leased.

use rusqlite::{Connection, params};

use super::SqliteStore;
use super::history::record_history;
use super::rows::query_rows;
use crate::clock::now_millis;
use crate::store::batch::OutcomeRows;
use crate::store::rows::{FromStoreRow, StoreRow};
use crate::store::{ClaimedPart, Millis, Outcome, StoreError, StoreResult};

/// Takes a settled outcome's part (`?1`, `?2`) out of the outbox if its
/// lease `?3` still holds it.
const SETTLE_PART: &str =
    "DELETE FROM outbox WHERE message_id = ?1 AND message_index = ?2 AND lease_owner = ?3";

/// Erases the content of a settled outcome's part (`?1`, `?2`) once it has
/// left the outbox, unless it is kept beyond `?3` (now).
const ERASE_SETTLED: &str = "UPDATE message_parts SET cloud_body = '', content_until = NULL
     WHERE message_id = ?1 AND message_index = ?2 AND content_until <= ?3
       AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.message_id = ?1 AND o.message_index = ?2)";

/// Makes a resent outcome's part (`?1`, `?2`) due again at `?4` (sort key
/// `?5`) if its lease `?3` still holds it.
const RESEND_PART: &str =
    "UPDATE outbox SET due_at = ?4, sort_key = ?5, lease_owner = NULL, lease_until = 0
     WHERE message_id = ?1 AND message_index = ?2 AND lease_owner = ?3";

/// The due parts of a business number (`?1`) at `?2`, at most `?3`, in
/// claim order, each with what the dispatcher needs and the lease `?4`.
const DUE_PARTS: &str = "SELECT o.rowid AS outbox_row, o.message_id, o.message_index, m.account_id,
            m.destination, m.priority, m.expires_at, p.message_type, p.cloud_body, p.attempts,
            m.request_id, ?4 AS lease,
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
     WHERE o.source = ?1 AND o.due_at <= ?2 AND o.lease_until <= ?2
       AND NOT EXISTS (SELECT 1 FROM outbox earlier
                       WHERE earlier.message_id = o.message_id
                         AND earlier.message_index < o.message_index)
     ORDER BY o.sort_key
     LIMIT ?3";

/// Leases the outbox row `?3` to `?1` until `?2`.
const LEASE_PART: &str = "UPDATE outbox SET lease_owner = ?1, lease_until = ?2 WHERE rowid = ?3";

/// Gives the part (`?1`, `?2`) back, if the lease `?3` still holds it.
const RELEASE_PART: &str = "UPDATE outbox SET lease_owner = NULL, lease_until = 0
     WHERE message_id = ?1 AND message_index = ?2 AND lease_owner = ?3";

impl SqliteStore {
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
        let source = source.to_owned();
        let lease = lease.to_owned();
        self.writer_thread
            .transaction(move |transaction| {
                let rows = query_rows(
                    &mut transaction.prepare_cached(DUE_PARTS)?,
                    params![source, now, i64::from(limit), lease],
                )?;
                let mut leasing = transaction.prepare_cached(LEASE_PART)?;
                let mut claimed = Vec::with_capacity(rows.len());
                for row in &rows {
                    leasing.execute(params![lease, lease_until, row.get::<i64>("outbox_row")?])?;
                    claimed.push(ClaimedPart::from_row(row)?);
                }
                Ok::<_, StoreError>(claimed)
            })
            .await
    }

    /// `OutboxStore::release`.
    pub(super) async fn release_parts(
        &self,
        lease: &str,
        parts: &[(String, u32)],
    ) -> StoreResult<()> {
        let lease = lease.to_owned();
        let parts = parts.to_vec();
        self.writer_thread
            .transaction(move |transaction| {
                let mut release = transaction.prepare_cached(RELEASE_PART)?;
                for (message_id, index) in &parts {
                    release.execute(params![message_id, index, lease])?;
                }
                Ok::<_, rusqlite::Error>(())
            })
            .await
    }

    /// `OutboxStore::record`: settles the outbox rows still held by the
    /// outcomes' leases (`SETTLE_PART`, `RESEND_PART`), erases what no
    /// send needs any more, and writes the history of the outcomes that
    /// count, in one job on the writer thread.
    pub(super) async fn record_outcomes(&self, outcomes: &[Outcome]) -> StoreResult<Vec<bool>> {
        let outcomes = outcomes.to_vec();
        self.writer_thread
            .transaction(move |transaction| record_batch(transaction, &outcomes))
            .await
    }
}

fn record_batch(transaction: &Connection, outcomes: &[Outcome]) -> StoreResult<Vec<bool>> {
    let rows = OutcomeRows::new(outcomes)?;
    let now = now_millis();
    let mut settle = transaction.prepare_cached(SETTLE_PART)?;
    let mut erase = transaction.prepare_cached(ERASE_SETTLED)?;
    let mut resend = transaction.prepare_cached(RESEND_PART)?;
    // In batch order, each outcome counts when its statement found the part
    // still held by its lease: a part's row is held for its first outcome
    // only, as `OutcomeRows::recorded` rules for PostgreSQL.
    let recorded = rows
        .in_order()
        .iter()
        .map(|row| {
            let held = if row.is_resend() {
                resend.execute(params![row.id, row.index, row.owner, row.due, row.sort_key])?
            } else {
                let held = settle.execute(params![row.id, row.index, row.owner])?;
                // No further send of a settled part can happen: its content
                // goes now, unless it is kept.
                erase.execute(params![row.id, row.index, now])?;
                held
            };
            Ok(held > 0)
        })
        .collect::<rusqlite::Result<Vec<bool>>>()?;
    // Statuses Meta reported before the submission was recorded join now.
    record_history(
        transaction,
        &rows.kept(&recorded),
        &rows.submitted(&recorded),
    )?;
    Ok(recorded)
}
