//! Committing a batch of accepted requests in a fixed number of statements.
//!
//! Every statement sqlx runs on SQLite is a round trip to the connection's
//! worker thread, so the batch travels as JSON arrays
//! ([`batch::AcceptRows`]) and each table gets one
//! `INSERT … SELECT … FROM json_each(…)`: three statements per batch,
//! however many requests, destinations and messages it holds.

use sqlx::SqliteConnection;

use super::SqliteStore;
use crate::store::{NewRequest, StoreResult, batch};

impl SqliteStore {
    /// `MessageStore::accept`'s statements, in the caller's transaction.
    pub(super) async fn insert_batch(
        connection: &mut SqliteConnection,
        batch: &[NewRequest],
    ) -> StoreResult<()> {
        let rows = batch::AcceptRows::new(batch)?;
        sqlx::query(
            "INSERT INTO messages (message_id, account_id, username, source, destination, ref_id,
                 priority, expires_at, created_at, platform_service_id, platform_service_type,
                 platform_transaction_id, custom_parameters, gate_ids)
             SELECT value ->> 'id', value ->> 'account', value ->> 'user', value ->> 'source',
                    value ->> 'destination', value ->> 'ref', value ->> 'priority', value ->> 'expires',
                    value ->> 'created', value ->> 'serviceId', value ->> 'serviceType',
                    value ->> 'transactionId', value ->> 'custom', value ->> 'gates'
             FROM json_each($1) ORDER BY key",
        )
        .bind(&rows.messages)
        .execute(&mut *connection)
        .await?;
        sqlx::query(
            "INSERT INTO message_parts (message_id, message_index, message_type, cloud_body,
                 state, result_code, updated_at, content_until)
             SELECT value ->> 'id', value ->> 'index', value ->> 'type', value ->> 'body',
                    'QUEUED', 112001, value ->> 'created', value ->> 'contentUntil'
             FROM json_each($1) ORDER BY key",
        )
        .bind(&rows.parts)
        .execute(&mut *connection)
        .await?;
        sqlx::query(
            "INSERT INTO outbox (message_id, message_index, source, sort_key, due_at)
             SELECT value ->> 'id', value ->> 'index', value ->> 'source', value ->> 'sortKey',
                    value ->> 'created'
             FROM json_each($1) ORDER BY key",
        )
        .bind(&rows.outbox)
        .execute(&mut *connection)
        .await?;
        Ok(())
    }
}
