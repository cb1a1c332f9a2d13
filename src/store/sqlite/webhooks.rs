//! Storing what Meta's webhooks carry: statuses (each (wamid, status) once)
//! and incoming messages (each wamid once), the care windows they open and
//! the phone ↔ BSUID pairs they reveal, in one transaction per group of
//! webhooks.

use std::collections::HashSet;

use async_trait::async_trait;
use serde_json::{Value, json};
use sqlx::{Row, SqliteConnection};

use super::{SqliteStore, history};
use crate::clock::now_millis;
use crate::store::{Contact, Millis, StoreResult, WebhookBatch, WebhookReceipt, WebhookStore};

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn contact(&self, account_id: &str, phone: &str) -> StoreResult<Option<Contact>> {
        let row = sqlx::query("SELECT * FROM contacts WHERE account_id = $1 AND phone = $2")
            .bind(account_id)
            .bind(phone)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|row| {
            Ok(Contact {
                account_id: row.try_get("account_id")?,
                phone: row.try_get("phone")?,
                user_id: row.try_get("user_id")?,
                parent_user_id: row.try_get("parent_user_id")?,
                updated_at: row.try_get("updated_at")?,
            })
        })
        .transpose()
    }

    async fn forget_old_statuses(&self, received_before: Millis) -> StoreResult<u64> {
        let result = sqlx::query("DELETE FROM meta_statuses WHERE received_at < $1")
            .bind(received_before)
            .execute(&self.writer)
            .await?;
        Ok(result.rows_affected())
    }

    async fn receive(&self, batches: &[WebhookBatch]) -> StoreResult<Vec<WebhookReceipt>> {
        let received_at = now_millis();
        let mut statuses = Vec::new();
        let mut inbound = Vec::new();
        for batch in batches {
            for report in &batch.statuses {
                let change = report.change.as_ref();
                statuses.push(json!({
                    "wamid": report.wamid,
                    "phoneNumberId": report.phone_number_id,
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
                "INSERT INTO meta_statuses (wamid, phone_number_id, status, at, state, result_code,
                                            description, details, received_at)
                 SELECT value ->> 'wamid', value ->> 'phoneNumberId', value ->> 'status', value ->> 'at',
                        value ->> 'state',
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
        record_contacts(&mut tx, batches).await?;
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
    connection: &mut SqliteConnection,
    batches: &[WebhookBatch],
) -> StoreResult<()> {
    let mut windows = Vec::new();
    for message in batches.iter().flat_map(|batch| &batch.inbound) {
        // A `system` message (the user changed numbers) is not the user
        // writing to the business.
        if message.message["type"] == "system" {
            continue;
        }
        let sender = &message.sender;
        for user in sender.phone.iter().chain(&sender.user_id) {
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

/// Every status and incoming message that names a phone number together
/// with a BSUID records the pair in the tenant's contact book (the tenant
/// owning the business number the webhook is for).
async fn record_contacts(
    connection: &mut SqliteConnection,
    batches: &[WebhookBatch],
) -> StoreResult<()> {
    let mut pairs = Vec::new();
    for batch in batches {
        let statuses = batch
            .statuses
            .iter()
            .map(|report| (&report.phone_number_id, &report.recipient, report.at));
        let inbound = batch
            .inbound
            .iter()
            .map(|message| (&message.phone_number_id, &message.sender, message.at));
        for (phone_number_id, ids, at) in statuses.chain(inbound) {
            let has_bsuid = ids.user_id.is_some() || ids.parent_user_id.is_some();
            if let (Some(phone), true) = (&ids.phone, has_bsuid) {
                pairs.push(json!({
                    "pnid": phone_number_id,
                    "phone": phone,
                    "userId": ids.user_id,
                    "parentUserId": ids.parent_user_id,
                    "at": at,
                }));
            }
        }
    }
    if pairs.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO contacts (account_id, phone, user_id, parent_user_id, updated_at)
         SELECT s.account_id, c.value ->> 'phone', c.value ->> 'userId',
                c.value ->> 'parentUserId', c.value ->> 'at'
         FROM json_each($1) AS c JOIN sources s ON s.phone_number_id = c.value ->> 'pnid'
         WHERE true ORDER BY c.key
         ON CONFLICT (account_id, phone) DO UPDATE SET
             user_id = COALESCE(excluded.user_id, contacts.user_id),
             parent_user_id = COALESCE(excluded.parent_user_id, contacts.parent_user_id),
             updated_at = MAX(contacts.updated_at, excluded.updated_at)",
    )
    .bind(Value::Array(pairs).to_string())
    .execute(&mut *connection)
    .await?;
    Ok(())
}
