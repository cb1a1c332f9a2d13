//! Storing what Meta's webhooks carry on SQLite: statuses (each (wamid,
//! business number, status) once) and incoming messages (each wamid once),
//! the care windows they open and the phone ↔ BSUID pairs they reveal
//! (`batch::WebhookRows`), in one transaction per group of webhooks: one
//! job on the writer thread ([`super::writer`]), with cached prepared
//! statements.
//!
//! The upserts run row by row, in batch order: the latest time wins, and
//! the last id the group gave (or the one already known).

use std::collections::HashSet;

use rusqlite::{Connection, params};

use super::SqliteStore;
use super::history::record_history;
use crate::clock::now_millis;
use crate::store::batch::{StatusKey, WebhookRows, receipts};
use crate::store::{Millis, StoreResult, WebhookBatch, WebhookReceipt};

/// Stores Meta's statuses (`?1`) received at `?2`; returns the new
/// (wamid, business number, status) rows.
const INSERT_META_STATUSES: &str =
    "INSERT INTO meta_statuses (wamid, phone_number_id, status, at, state, result_code,
                                description, details, received_at)
     SELECT value ->> 'wamid', value ->> 'phoneNumberId', value ->> 'status', value ->> 'at',
            value ->> 'state',
            value ->> 'code', value ->> 'description', value ->> 'details', ?2
     FROM json_each(?1) WHERE true ORDER BY key
     ON CONFLICT (wamid, phone_number_id, status) DO NOTHING
     RETURNING wamid, phone_number_id, status";

/// Stores incoming messages (`?1`) received at `?2`; returns the new
/// wamids.
const INSERT_INBOUND: &str =
    "INSERT INTO inbound_messages (wamid, phone_number_id, display_phone_number, at, message, contact, received_at)
     SELECT value ->> 'wamid', value ->> 'phoneNumberId', value ->> 'display', value ->> 'at',
            value ->> 'message', value ->> 'contact', ?2
     FROM json_each(?1) WHERE true ORDER BY key
     ON CONFLICT (wamid) DO NOTHING
     RETURNING wamid";

/// Opens or extends the care windows `?1`.
const UPSERT_CARE_WINDOWS: &str = "INSERT INTO care_windows (source, user, last_inbound_at)
     SELECT s.number, w.value ->> 'user', w.value ->> 'at'
     FROM json_each(?1) AS w JOIN sources s ON s.phone_number_id = w.value ->> 'pnid'
     WHERE true
     ON CONFLICT (source, user)
     DO UPDATE SET last_inbound_at = MAX(last_inbound_at, excluded.last_inbound_at)";

/// Records the contact pairs `?1`.
const UPSERT_CONTACTS: &str =
    "INSERT INTO contacts (account_id, phone, user_id, parent_user_id, updated_at)
     SELECT s.account_id, c.value ->> 'phone', c.value ->> 'userId',
            c.value ->> 'parentUserId', c.value ->> 'at'
     FROM json_each(?1) AS c JOIN sources s ON s.phone_number_id = c.value ->> 'pnid'
     WHERE true ORDER BY c.key
     ON CONFLICT (account_id, phone) DO UPDATE SET
         user_id = COALESCE(excluded.user_id, contacts.user_id),
         parent_user_id = COALESCE(excluded.parent_user_id, contacts.parent_user_id),
         updated_at = MAX(contacts.updated_at, excluded.updated_at)";

/// What a group of webhooks stored as new: its statuses and its incoming
/// messages (by wamid).
type NewRows = (HashSet<StatusKey>, HashSet<String>);

impl SqliteStore {
    /// `WebhookStore::receive`.
    pub(super) async fn receive_webhooks(
        &self,
        batches: &[WebhookBatch],
    ) -> StoreResult<Vec<WebhookReceipt>> {
        let received_at = now_millis();
        let rows = WebhookRows::new(batches)?;
        let (new_statuses, new_inbound) = self
            .writer_thread
            .transaction(move |transaction| store_webhooks(transaction, &rows, received_at))
            .await?;
        Ok(receipts(batches, new_statuses, new_inbound))
    }
}

fn store_webhooks(
    transaction: &Connection,
    rows: &WebhookRows,
    received_at: Millis,
) -> StoreResult<NewRows> {
    let mut new_statuses: HashSet<StatusKey> = HashSet::new();
    if let Some(statuses) = &rows.statuses {
        let mut statement = transaction.prepare_cached(INSERT_META_STATUSES)?;
        let mut inserted = statement.query(params![statuses, received_at])?;
        while let Some(row) = inserted.next()? {
            new_statuses.insert((row.get(0)?, row.get(1)?, row.get(2)?));
        }
    }
    let mut new_inbound: HashSet<String> = HashSet::new();
    if let Some(inbound) = &rows.inbound {
        let mut statement = transaction.prepare_cached(INSERT_INBOUND)?;
        let mut inserted = statement.query(params![inbound, received_at])?;
        while let Some(row) = inserted.next()? {
            new_inbound.insert(row.get(0)?);
        }
    }
    for (sql, rows) in [
        (UPSERT_CARE_WINDOWS, &rows.care_windows),
        (UPSERT_CONTACTS, &rows.contacts),
    ] {
        if let Some(rows) = rows {
            transaction.prepare_cached(sql)?.execute([rows])?;
        }
    }
    let wamids: Vec<&str> = new_statuses
        .iter()
        .map(|(wamid, _, _)| wamid.as_str())
        .collect();
    record_history(transaction, None, &wamids)?;
    Ok((new_statuses, new_inbound))
}
