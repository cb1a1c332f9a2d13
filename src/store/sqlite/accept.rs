//! Committing a batch of accepted requests in a fixed number of statements.
//!
//! Every statement sqlx runs on SQLite is a round trip to the connection's
//! worker thread, so the batch travels as JSON arrays and each table gets
//! one `INSERT … SELECT … FROM json_each(…)`: three statements per batch,
//! however many requests, destinations and messages it holds.

use serde_json::{Value, json};
use sqlx::SqliteConnection;

use crate::store::{NewRequest, StoreResult};

pub(super) async fn insert_batch(
    connection: &mut SqliteConnection,
    batch: &[NewRequest],
) -> StoreResult<()> {
    let mut messages = Vec::new();
    let mut parts = Vec::new();
    for request in batch {
        let custom_parameters = serde_json::to_string(&request.custom_parameters)?;
        let gate_ids = serde_json::to_string(&request.gate_ids)?;
        for message in &request.messages {
            messages.push(json!({
                "id": message.message_id,
                "account": request.account_id,
                "user": request.username,
                "source": request.source,
                "destination": message.destination,
                "ref": request.ref_id,
                "priority": request.priority.as_str(),
                "expires": request.expires_at,
                "created": request.created_at,
                "serviceId": request.platform.platform_service_id,
                "serviceType": request.platform.platform_service_type,
                "transactionId": request.platform.platform_transaction_id,
                "custom": custom_parameters,
                "gates": gate_ids,
            }));
            for part in &message.parts {
                parts.push(json!({
                    "id": message.message_id,
                    "index": part.message_index,
                    "type": part.message_type,
                    "body": part.cloud_body,
                    "created": request.created_at,
                    "source": request.source,
                    "sortKey": request.created_at - request.priority.lead_millis(),
                }));
            }
        }
    }
    let messages = Value::Array(messages).to_string();
    let parts = Value::Array(parts).to_string();
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
    .bind(&messages)
    .execute(&mut *connection)
    .await?;
    sqlx::query(
        "INSERT INTO message_parts (message_id, message_index, message_type, cloud_body,
             state, result_code, updated_at)
         SELECT value ->> 'id', value ->> 'index', value ->> 'type', value ->> 'body',
                'QUEUED', 112001, value ->> 'created'
         FROM json_each($1) ORDER BY key",
    )
    .bind(&parts)
    .execute(&mut *connection)
    .await?;
    sqlx::query(
        "INSERT INTO outbox (message_id, message_index, source, sort_key, due_at)
         SELECT value ->> 'id', value ->> 'index', value ->> 'source', value ->> 'sortKey',
                value ->> 'created'
         FROM json_each($1) ORDER BY key",
    )
    .bind(&parts)
    .execute(&mut *connection)
    .await?;
    Ok(())
}
