//! Committing a batch of accepted requests: one job on the writer thread
//! ([`super::writer`]), all or none (a failure rolls back the thread's
//! transaction, the other jobs in it running again), one execution of a cached prepared statement per row,
//! values bound with their types.

use rusqlite::{Connection, params};

use super::SqliteStore;
use crate::store::{NewRequest, StoreResult};

const INSERT_MESSAGE: &str = "INSERT INTO messages (message_id, account_id, username, source,
        destination, ref_id, priority, expires_at, created_at, platform_service_id,
        platform_service_type, platform_transaction_id, custom_parameters, gate_ids, callback_url, callback_data,
        request_id)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";

const INSERT_PART: &str = "INSERT INTO message_parts (message_id, message_index, message_type,
        cloud_body, state, result_code, updated_at, content_until)
    VALUES (?1, ?2, ?3, ?4, 'QUEUED', 112001, ?5, ?6)";

const INSERT_OUTBOX: &str = "INSERT INTO outbox (message_id, message_index, source, sort_key,
        due_at)
    VALUES (?1, ?2, ?3, ?4, ?5)";

impl SqliteStore {
    /// `MessageStore::accept`: the batch in one transaction on the writer
    /// thread.
    pub(super) async fn accept_batch(&self, batch: &[NewRequest]) -> StoreResult<()> {
        // The job outlives this borrow (a caller may go away while it is
        // queued), so it owns its copy of the rows.
        let batch = batch.to_vec();
        self.writer_thread
            .transaction(move |transaction| insert_requests(transaction, &batch))
            .await
    }
}

fn insert_requests(transaction: &Connection, batch: &[NewRequest]) -> rusqlite::Result<()> {
    let mut messages = transaction.prepare_cached(INSERT_MESSAGE)?;
    let mut parts = transaction.prepare_cached(INSERT_PART)?;
    let mut outbox = transaction.prepare_cached(INSERT_OUTBOX)?;
    for request in batch {
        let custom = to_json(&request.custom_parameters)?;
        let gates = to_json(&request.gate_ids)?;
        let platform = &request.platform;
        let sort_key = request.created_at - request.priority.lead_millis();
        let callback_url = request.callback.as_ref().map(|callback| &callback.url);
        let callback_data = request
            .callback
            .as_ref()
            .and_then(|callback| callback.data.as_ref());
        for message in &request.messages {
            messages.execute(params![
                message.message_id,
                request.account_id,
                request.username,
                request.source,
                message.destination,
                request.ref_id,
                request.priority.as_str(),
                request.expires_at,
                request.created_at,
                platform.platform_service_id,
                platform.platform_service_type,
                platform.platform_transaction_id,
                custom,
                gates,
                callback_url,
                callback_data,
                request.request_id,
            ])?;
            for part in &message.parts {
                parts.execute(params![
                    message.message_id,
                    part.message_index,
                    part.message_type,
                    part.cloud_body,
                    request.created_at,
                    request.content_until,
                ])?;
                outbox.execute(params![
                    message.message_id,
                    part.message_index,
                    request.source,
                    sort_key,
                    request.created_at,
                ])?;
            }
        }
    }
    Ok(())
}

/// A column that holds JSON text.
fn to_json(value: &impl serde::Serialize) -> rusqlite::Result<String> {
    serde_json::to_string(value)
        .map_err(|error| rusqlite::Error::ToSqlConversionFailure(Box::new(error)))
}
