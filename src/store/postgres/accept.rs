//! Committing a batch of accepted requests in a fixed number of statements
//! (the rows of [`batch::AcceptRows`], read with `jsonb_array_elements` in
//! batch order), and telling the other instances which business numbers
//! have new work.

use sqlx::PgConnection;

use super::{OUTBOX_CHANNEL, PgStore};
use crate::store::{NewRequest, StoreResult, batch};

impl PgStore {
    /// `MessageStore::accept`: the batch in one transaction.
    pub(super) async fn accept_batch(&self, batch: &[NewRequest]) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        Self::insert_batch(&mut tx, batch).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The batch's statements, in the caller's transaction.
    async fn insert_batch(connection: &mut PgConnection, batch: &[NewRequest]) -> StoreResult<()> {
        let rows = batch::AcceptRows::new(batch)?;
        sqlx::query(
            "INSERT INTO messages (message_id, account_id, username, source, destination, ref_id,
                 priority, expires_at, created_at, platform_service_id, platform_service_type,
                 platform_transaction_id, custom_parameters, gate_ids, callback_url, callback_data,
                 request_id)
             SELECT value ->> 'id', value ->> 'account', value ->> 'user', value ->> 'source',
                    value ->> 'destination', value ->> 'ref', value ->> 'priority',
                    (value ->> 'expires')::bigint, (value ->> 'created')::bigint,
                    value ->> 'serviceId', value ->> 'serviceType', value ->> 'transactionId',
                    value ->> 'custom', value ->> 'gates', value ->> 'callbackUrl',
                    value ->> 'callbackData', value ->> 'requestId'
             FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS j (value, key) ORDER BY key",
        )
        .bind(&rows.messages)
        .execute(&mut *connection)
        .await?;
        sqlx::query(
            "INSERT INTO message_parts (message_id, message_index, message_type, cloud_body,
                 state, result_code, updated_at, content_until)
             SELECT value ->> 'id', (value ->> 'index')::bigint, value ->> 'type', value ->> 'body',
                    'QUEUED', 112001, (value ->> 'created')::bigint,
                    (value ->> 'contentUntil')::bigint
             FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS j (value, key) ORDER BY key",
        )
        .bind(&rows.parts)
        .execute(&mut *connection)
        .await?;
        sqlx::query(
            "INSERT INTO outbox (message_id, message_index, source, sort_key, due_at)
             SELECT value ->> 'id', (value ->> 'index')::bigint, value ->> 'source',
                    (value ->> 'sortKey')::bigint, (value ->> 'created')::bigint
             FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS j (value, key) ORDER BY key",
        )
        .bind(&rows.outbox)
        .execute(&mut *connection)
        .await?;
        // Delivered at commit, once per distinct source.
        sqlx::query(
            "SELECT pg_notify($2, source)
             FROM (SELECT DISTINCT value ->> 'source' AS source
                   FROM jsonb_array_elements($1::jsonb) AS j (value)) AS sources",
        )
        .bind(&rows.messages)
        .bind(OUTBOX_CHANNEL)
        .execute(&mut *connection)
        .await?;
        Ok(())
    }
}
