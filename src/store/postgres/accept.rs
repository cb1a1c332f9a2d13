//! Committing a batch of accepted requests in a fixed number of statements
//! (each table's rows as typed arrays, one a column, read with `UNNEST` in
//! batch order), and telling the other instances which business numbers
//! have new work.

use sqlx::PgConnection;

use super::{OUTBOX_CHANNEL, PgStore, column};
use crate::store::{NewMessage, NewPart, NewRequest, StoreResult};

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
        // Each request's JSON columns, written once for all its messages.
        let encoded = batch
            .iter()
            .map(|request| {
                Ok(EncodedRequest {
                    fields: request,
                    custom: serde_json::to_string(&request.custom_parameters)?,
                    gates: serde_json::to_string(&request.gate_ids)?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let messages: Vec<(&EncodedRequest, &NewMessage)> = encoded
            .iter()
            .flat_map(|request| {
                let messages = request.fields.messages.iter();
                messages.map(move |message| (request, message))
            })
            .collect();
        let parts: Vec<(&NewRequest, &NewMessage, &NewPart)> = messages
            .iter()
            .flat_map(|&(request, message)| {
                message
                    .parts
                    .iter()
                    .map(move |part| (request.fields, message, part))
            })
            .collect();
        sqlx::query(
            "INSERT INTO messages (message_id, account_id, username, source, destination, ref_id,
                 priority, expires_at, created_at, platform_service_id, platform_service_type,
                 platform_transaction_id, custom_parameters, gate_ids, callback_url, callback_data,
                 request_id)
             SELECT id, account, username, source, destination, ref, priority, expires, created,
                    service_id, service_type, transaction_id, custom, gates, callback_url,
                    callback_data, request_id
             FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::text[], $8::bigint[], $9::bigint[], $10::text[], $11::text[],
                         $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
                         $17::text[])
                  WITH ORDINALITY AS j (id, account, username, source, destination, ref,
                                        priority, expires, created, service_id, service_type,
                                        transaction_id, custom, gates, callback_url,
                                        callback_data, request_id, key)
             ORDER BY key",
        )
        .bind(column(&messages, |(_, message)| {
            message.message_id.as_str()
        }))
        .bind(column(&messages, |(request, _)| {
            request.fields.account_id.as_str()
        }))
        .bind(column(&messages, |(request, _)| {
            request.fields.username.as_str()
        }))
        .bind(column(&messages, |(request, _)| {
            request.fields.source.as_str()
        }))
        .bind(column(&messages, |(_, message)| {
            message.destination.as_str()
        }))
        .bind(column(&messages, |(request, _)| {
            request.fields.ref_id.as_str()
        }))
        .bind(column(&messages, |(request, _)| {
            request.fields.priority.as_str()
        }))
        .bind(column(&messages, |(request, _)| request.fields.expires_at))
        .bind(column(&messages, |(request, _)| request.fields.created_at))
        .bind(column(&messages, |(request, _)| {
            request.fields.platform.platform_service_id.as_deref()
        }))
        .bind(column(&messages, |(request, _)| {
            request.fields.platform.platform_service_type.as_deref()
        }))
        .bind(column(&messages, |(request, _)| {
            request.fields.platform.platform_transaction_id.as_deref()
        }))
        .bind(column(&messages, |(request, _)| request.custom.as_str()))
        .bind(column(&messages, |(request, _)| request.gates.as_str()))
        .bind(column(&messages, |(request, _)| {
            request.fields.callback.as_ref().map(|c| c.url.as_str())
        }))
        .bind(column(&messages, |(request, _)| {
            request
                .fields
                .callback
                .as_ref()
                .and_then(|c| c.data.as_deref())
        }))
        .bind(column(&messages, |(request, _)| {
            request.fields.request_id.as_deref()
        }))
        .execute(&mut *connection)
        .await?;
        let part_ids = column(&parts, |(_, message, _)| message.message_id.as_str());
        let part_indexes = column(&parts, |(_, _, part)| i64::from(part.message_index));
        // The parts' time of change, and their outbox rows' due time.
        let part_created = column(&parts, |(request, _, _)| request.created_at);
        sqlx::query(
            "INSERT INTO message_parts (message_id, message_index, message_type, cloud_body,
                 state, result_code, updated_at, content_until)
             SELECT id, \"index\", kind, body, 'QUEUED', 112001, created, content_until
             FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[],
                         $6::bigint[])
                  WITH ORDINALITY AS j (id, \"index\", kind, body, created, content_until, key)
             ORDER BY key",
        )
        .bind(&part_ids)
        .bind(&part_indexes)
        .bind(column(&parts, |(_, _, part)| part.message_type.as_str()))
        .bind(column(&parts, |(_, _, part)| part.cloud_body.as_str()))
        .bind(&part_created)
        .bind(column(&parts, |(request, _, _)| request.content_until))
        .execute(&mut *connection)
        .await?;
        sqlx::query(
            "INSERT INTO outbox (message_id, message_index, source, sort_key, due_at)
             SELECT id, \"index\", source, sort_key, due
             FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[])
                  WITH ORDINALITY AS j (id, \"index\", source, sort_key, due, key)
             ORDER BY key",
        )
        .bind(&part_ids)
        .bind(&part_indexes)
        .bind(column(&parts, |(request, _, _)| request.source.as_str()))
        .bind(column(&parts, |(request, _, _)| {
            request.created_at - request.priority.lead_millis()
        }))
        .bind(&part_created)
        .execute(&mut *connection)
        .await?;
        // Delivered at commit, once per distinct source.
        sqlx::query(
            "SELECT pg_notify($2, source)
             FROM (SELECT DISTINCT source FROM UNNEST($1::text[]) AS j (source)) AS sources",
        )
        .bind(column(batch, |request| request.source.as_str()))
        .bind(OUTBOX_CHANNEL)
        .execute(&mut *connection)
        .await?;
        Ok(())
    }
}

/// A request with its JSON columns.
struct EncodedRequest<'a> {
    fields: &'a NewRequest,
    custom: String,
    gates: String,
}
