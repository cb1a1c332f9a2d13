//! Storing what Meta's webhooks carry: statuses (each (wamid, status) once)
//! and incoming messages (each wamid once), in one transaction per group of
//! webhooks.

use std::collections::HashSet;

use async_trait::async_trait;
use serde_json::{Value, json};
use sqlx::Row;

use super::{SqliteStore, history};
use crate::clock::now_millis;
use crate::store::{StoreResult, WebhookBatch, WebhookReceipt, WebhookStore};

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn receive(&self, batches: &[WebhookBatch]) -> StoreResult<Vec<WebhookReceipt>> {
        let received_at = now_millis();
        let mut statuses = Vec::new();
        let mut inbound = Vec::new();
        for batch in batches {
            for report in &batch.statuses {
                let change = report.change.as_ref();
                statuses.push(json!({
                    "wamid": report.wamid,
                    "status": report.status,
                    "at": report.at,
                    "state": change.map(|status| status.state.as_str()),
                    "code": change.map_or(0, |status| status.result_code),
                    "description": change.map_or(report.status.as_str(), |status| status.description.as_str()),
                    "details": change
                        .and_then(|status| status.details.as_ref())
                        .map(serde_json::to_string)
                        .transpose()?
                        .unwrap_or_else(|| "{}".into()),
                }));
            }
            for message in &batch.inbound {
                inbound.push(json!({
                    "wamid": message.wamid,
                    "phoneNumberId": message.phone_number_id,
                    "display": message.display_phone_number,
                    "at": message.at,
                    "message": serde_json::to_string(&message.message)?,
                    "contact": message.contact.as_ref().map(serde_json::to_string).transpose()?,
                }));
            }
        }
        let mut tx = self.writer.begin().await?;
        let mut new_statuses: HashSet<(String, String)> = HashSet::new();
        if !statuses.is_empty() {
            for row in sqlx::query(
                "INSERT INTO meta_statuses (wamid, status, at, state, result_code, description, details, received_at)
                 SELECT value ->> 'wamid', value ->> 'status', value ->> 'at', value ->> 'state',
                        value ->> 'code', value ->> 'description', value ->> 'details', $2
                 FROM json_each($1) WHERE true ORDER BY key
                 ON CONFLICT (wamid, status) DO NOTHING
                 RETURNING wamid, status",
            )
            .bind(Value::Array(statuses).to_string())
            .bind(received_at)
            .fetch_all(&mut *tx)
            .await?
            {
                new_statuses.insert((row.try_get("wamid")?, row.try_get("status")?));
            }
        }
        let mut new_inbound: HashSet<String> = HashSet::new();
        if !inbound.is_empty() {
            for row in sqlx::query(
                "INSERT INTO inbound_messages (wamid, phone_number_id, display_phone_number, at, message, contact, received_at)
                 SELECT value ->> 'wamid', value ->> 'phoneNumberId', value ->> 'display', value ->> 'at',
                        value ->> 'message', value ->> 'contact', $2
                 FROM json_each($1) WHERE true ORDER BY key
                 ON CONFLICT (wamid) DO NOTHING
                 RETURNING wamid",
            )
            .bind(Value::Array(inbound).to_string())
            .bind(received_at)
            .fetch_all(&mut *tx)
            .await?
            {
                new_inbound.insert(row.try_get("wamid")?);
            }
        }
        open_care_windows(&mut tx, batches).await?;
        let wamids: Vec<&str> = new_statuses
            .iter()
            .map(|(wamid, _)| wamid.as_str())
            .collect();
        history::apply_reports(&mut tx, &wamids).await?;
        tx.commit().await?;

        // The first mention of each new row counts as new; every other, as
        // a repeat (Meta's, or the same webhook twice in one group).
        Ok(batches
            .iter()
            .map(|batch| {
                let mut receipt = WebhookReceipt::default();
                for report in &batch.statuses {
                    if new_statuses.remove(&(report.wamid.clone(), report.status.clone())) {
                        receipt.new_statuses += 1;
                    } else {
                        receipt.repeated_statuses += 1;
                    }
                }
                for message in &batch.inbound {
                    if new_inbound.remove(&message.wamid) {
                        receipt.new_inbound += 1;
                    } else {
                        receipt.repeated_inbound += 1;
                    }
                }
                receipt
            })
            .collect())
    }
}

/// Each incoming message opens (or extends) the 24-hour window of its
/// sender with the business number, under both the sender's number and
/// BSUID when the webhook gives both.
async fn open_care_windows(
    connection: &mut sqlx::SqliteConnection,
    batches: &[WebhookBatch],
) -> StoreResult<()> {
    let mut windows = Vec::new();
    for message in batches.iter().flat_map(|batch| &batch.inbound) {
        let phone = message.message["from"]
            .as_str()
            .map(|digits| format!("+{}", digits.trim_start_matches('+')));
        let user_id = message.message["from_user_id"].as_str().map(str::to_owned);
        for user in phone.into_iter().chain(user_id) {
            windows.push(json!({
                "pnid": message.phone_number_id,
                "user": user,
                "at": message.at,
            }));
        }
    }
    if windows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO care_windows (source, user, last_inbound_at)
         SELECT s.number, w.value ->> 'user', w.value ->> 'at'
         FROM json_each($1) AS w JOIN sources s ON s.phone_number_id = w.value ->> 'pnid'
         WHERE true
         ON CONFLICT (source, user)
         DO UPDATE SET last_inbound_at = MAX(last_inbound_at, excluded.last_inbound_at)",
    )
    .bind(Value::Array(windows).to_string())
    .execute(&mut *connection)
    .await?;
    Ok(())
}
