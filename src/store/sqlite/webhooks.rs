//! Storing what Meta's webhooks carry on SQLite: statuses (each (wamid,
//! business number, status) once) and incoming messages (each wamid once),
//! the care windows they open and the phone ↔ BSUID pairs they reveal
//! (`batch::WebhookRows`), in one transaction per group of webhooks: one
//! job on the writer thread ([`super::writer`]), each row bound to one
//! execution of a cached prepared statement.
//!
//! The upserts run row by row, in batch order: the latest time wins, and
//! the last id the group gave (or the one already known).

use std::collections::HashSet;

use rusqlite::{Connection, params};

use super::SqliteStore;
use super::history::record_history;
use crate::clock::now_millis;
use crate::store::batch::{StatusKey, WaitingKey, WebhookRows, receipts};
use crate::store::{Millis, StoreResult, WebhookBatch, WebhookReceipt};

/// Stores a status Meta reported (`?1`–`?10`, a `batch::StatusRow`) received
/// at `?11`, unless the (wamid, business number, status) is stored already:
/// under the part its tag names (the key), or the other way, with or
/// without a tag (a tag's message is the one that got the wamid, when it is
/// known yet: a status stored both ways before it is, is kept twice).
const INSERT_META_STATUS: &str =
    "INSERT INTO meta_statuses (message_id, message_index, wamid, phone_number_id, status, at,
                                state, result_code, description, details, received_at)
     SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11
     WHERE NOT EXISTS (
         SELECT 1 FROM meta_statuses o
         WHERE o.message_id = CASE WHEN ?1 = ''
                                   THEN (SELECT p.message_id FROM message_parts p
                                         WHERE p.wamid = ?3 LIMIT 1)
                                   ELSE '' END
           AND o.wamid = ?3 AND o.phone_number_id = ?4 AND o.status = ?5)
     ON CONFLICT (message_id, wamid, phone_number_id, status) DO NOTHING";

/// Stores an incoming message (`?1`–`?6`, a `batch::InboundRow`) received at
/// `?7`, unless its wamid is stored already.
const INSERT_INBOUND: &str =
    "INSERT INTO inbound_messages (wamid, phone_number_id, display_phone_number, at, message,
                                   contact, received_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
     ON CONFLICT (wamid) DO NOTHING";

/// Opens or extends the care window of the user `?2` at `?3` with the
/// business number whose phone number id is `?1`.
const UPSERT_CARE_WINDOW: &str = "INSERT INTO care_windows (source, user, last_inbound_at)
     SELECT number, ?2, ?3 FROM sources WHERE phone_number_id = ?1
     ON CONFLICT (source, user)
     DO UPDATE SET last_inbound_at = MAX(last_inbound_at, excluded.last_inbound_at)";

/// Records the contact pair (`?2` phone, `?3` user id, `?4` parent user id,
/// seen at `?5`) in the contact book of the tenant owning the business
/// number whose phone number id is `?1`.
const UPSERT_CONTACT: &str =
    "INSERT INTO contacts (account_id, phone, user_id, parent_user_id, updated_at)
     SELECT account_id, ?2, ?3, ?4, ?5 FROM sources WHERE phone_number_id = ?1
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
        // The job outlives this borrow (a caller may go away while it is
        // queued), so it owns its copy of the webhooks.
        let owned = batches.to_vec();
        let (new_statuses, new_inbound) = self
            .writer_thread
            .transaction(move |transaction| {
                store_webhooks(transaction, &WebhookRows::new(&owned)?, received_at)
            })
            .await?;
        Ok(receipts(batches, new_statuses, new_inbound))
    }
}

fn store_webhooks(
    transaction: &Connection,
    rows: &WebhookRows<'_>,
    received_at: Millis,
) -> StoreResult<NewRows> {
    let mut new_statuses: HashSet<StatusKey> = HashSet::new();
    let mut joining = Vec::new();
    let mut insert = transaction.prepare_cached(INSERT_META_STATUS)?;
    for status in &rows.statuses {
        let inserted = insert.execute(params![
            status.message_id,
            status.message_index,
            status.wamid,
            status.phone_number_id,
            status.status,
            status.at,
            status.state,
            status.code,
            status.description,
            status.details,
            received_at,
        ])?;
        if inserted > 0 {
            joining.push(WaitingKey {
                message_id: status.message_id,
                wamid: status.wamid,
            });
            new_statuses.insert((
                status.wamid.to_owned(),
                status.phone_number_id.to_owned(),
                status.status.to_owned(),
            ));
        }
    }
    let mut new_inbound: HashSet<String> = HashSet::new();
    let mut insert = transaction.prepare_cached(INSERT_INBOUND)?;
    for message in &rows.inbound {
        let inserted = insert.execute(params![
            message.wamid,
            message.phone_number_id,
            message.display,
            message.at,
            message.message,
            message.contact,
            received_at,
        ])?;
        if inserted > 0 {
            new_inbound.insert(message.wamid.to_owned());
        }
    }
    let mut upsert = transaction.prepare_cached(UPSERT_CARE_WINDOW)?;
    for window in &rows.care_windows {
        upsert.execute(params![window.pnid, window.user, window.at])?;
    }
    let mut upsert = transaction.prepare_cached(UPSERT_CONTACT)?;
    for pair in &rows.contacts {
        upsert.execute(params![
            pair.pnid,
            pair.phone,
            pair.user_id,
            pair.parent_user_id,
            pair.at
        ])?;
    }
    record_history(transaction, &[], &joining)?;
    Ok((new_statuses, new_inbound))
}
