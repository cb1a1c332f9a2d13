//! Storing what Meta's webhooks carry: statuses (each (wamid, status) once)
//! and incoming messages (each wamid once), the care windows they open and
//! the phone ↔ BSUID pairs they reveal ([`WebhookRows`]), in one
//! transaction per group of webhooks.

use std::collections::HashSet;

use async_trait::async_trait;
use sqlx::Row;

use super::{SqliteStore, history};
use crate::clock::now_millis;
use crate::store::batch::{WebhookRows, receipts};
use crate::store::{Contact, Millis, StoreResult, WebhookBatch, WebhookReceipt, WebhookStore};

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn contact(&self, account_id: &str, phone: &str) -> StoreResult<Option<Contact>> {
        self.common_contact(account_id, phone).await
    }

    async fn forget_old_statuses(&self, received_before: Millis) -> StoreResult<u64> {
        self.common_forget_old_statuses(received_before).await
    }

    async fn receive(&self, batches: &[WebhookBatch]) -> StoreResult<Vec<WebhookReceipt>> {
        let received_at = now_millis();
        let rows = WebhookRows::new(batches)?;
        let mut tx = self.writer.begin().await?;
        let mut new_statuses: HashSet<(String, String)> = HashSet::new();
        if let Some(statuses) = &rows.statuses {
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
            .bind(statuses)
            .bind(received_at)
            .fetch_all(&mut *tx)
            .await?
            {
                new_statuses.insert((row.try_get("wamid")?, row.try_get("status")?));
            }
        }
        let mut new_inbound: HashSet<String> = HashSet::new();
        if let Some(inbound) = &rows.inbound {
            for row in sqlx::query(
                "INSERT INTO inbound_messages (wamid, phone_number_id, display_phone_number, at, message, contact, received_at)
                 SELECT value ->> 'wamid', value ->> 'phoneNumberId', value ->> 'display', value ->> 'at',
                        value ->> 'message', value ->> 'contact', $2
                 FROM json_each($1) WHERE true ORDER BY key
                 ON CONFLICT (wamid) DO NOTHING
                 RETURNING wamid",
            )
            .bind(inbound)
            .bind(received_at)
            .fetch_all(&mut *tx)
            .await?
            {
                new_inbound.insert(row.try_get("wamid")?);
            }
        }
        if let Some(windows) = &rows.care_windows {
            sqlx::query(
                "INSERT INTO care_windows (source, user, last_inbound_at)
                 SELECT s.number, w.value ->> 'user', w.value ->> 'at'
                 FROM json_each($1) AS w JOIN sources s ON s.phone_number_id = w.value ->> 'pnid'
                 WHERE true
                 ON CONFLICT (source, user)
                 DO UPDATE SET last_inbound_at = MAX(last_inbound_at, excluded.last_inbound_at)",
            )
            .bind(windows)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(contacts) = &rows.contacts {
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
            .bind(contacts)
            .execute(&mut *tx)
            .await?;
        }
        let wamids: Vec<&str> = new_statuses
            .iter()
            .map(|(wamid, _)| wamid.as_str())
            .collect();
        history::apply_reports(&mut tx, &wamids).await?;
        tx.commit().await?;
        Ok(receipts(batches, new_statuses, new_inbound))
    }
}
