//! Storing what Meta's webhooks carry on PostgreSQL: statuses (each
//! (wamid, status) once) and incoming messages (each wamid once), the care
//! windows they open and the phone ↔ BSUID pairs they reveal
//! ([`WebhookRows`]), in one transaction per group of webhooks.
//!
//! PostgreSQL's `ON CONFLICT DO UPDATE` cannot touch a row twice in one
//! statement, so the care windows and contact pairs of a group are first
//! folded per key to what SQLite's row-by-row upserts end with: the latest
//! time, and the last id the group gave (or the one already known).

use std::collections::HashSet;

use async_trait::async_trait;
use sqlx::Row;

use super::{PgStore, history};
use crate::clock::now_millis;
use crate::store::batch::{WebhookRows, receipts};
use crate::store::{Contact, Millis, StoreResult, WebhookBatch, WebhookReceipt, WebhookStore};

#[async_trait]
impl WebhookStore for PgStore {
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
        let reported: Vec<&str> = batches
            .iter()
            .flat_map(|batch| &batch.statuses)
            .map(|report| report.wamid.as_str())
            .collect();
        history::lock_wamids(&mut tx, &reported).await?;
        let mut new_statuses: HashSet<(String, String)> = HashSet::new();
        if let Some(statuses) = &rows.statuses {
            for row in sqlx::query(
                "INSERT INTO meta_statuses (wamid, phone_number_id, status, at, state, result_code,
                                            description, details, received_at)
                 SELECT value ->> 'wamid', value ->> 'phoneNumberId', value ->> 'status',
                        (value ->> 'at')::bigint, value ->> 'state', (value ->> 'code')::bigint,
                        value ->> 'description', value ->> 'details', $2
                 FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS j (value, key)
                 ORDER BY key
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
                "INSERT INTO inbound_messages (wamid, phone_number_id, display_phone_number, at,
                                               message, contact, received_at)
                 SELECT value ->> 'wamid', value ->> 'phoneNumberId', value ->> 'display',
                        (value ->> 'at')::bigint, value ->> 'message', value ->> 'contact', $2
                 FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS j (value, key)
                 ORDER BY key
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
                "INSERT INTO care_windows (source, \"user\", last_inbound_at)
                 SELECT s.number, w.\"user\", MAX(w.at)
                 FROM jsonb_to_recordset($1::jsonb) AS w (pnid text, \"user\" text, at bigint)
                 JOIN sources s ON s.phone_number_id = w.pnid
                 GROUP BY s.number, w.\"user\"
                 ON CONFLICT (source, \"user\") DO UPDATE
                 SET last_inbound_at = GREATEST(care_windows.last_inbound_at,
                                                excluded.last_inbound_at)",
            )
            .bind(windows)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(contacts) = &rows.contacts {
            sqlx::query(
                "INSERT INTO contacts (account_id, phone, user_id, parent_user_id, updated_at)
                 SELECT s.account_id, c.phone,
                        (array_agg(c.user_id ORDER BY c.key DESC)
                             FILTER (WHERE c.user_id IS NOT NULL))[1],
                        (array_agg(c.parent_user_id ORDER BY c.key DESC)
                             FILTER (WHERE c.parent_user_id IS NOT NULL))[1],
                        MAX(c.at)
                 FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e (value, key)
                 CROSS JOIN LATERAL (SELECT e.key, e.value ->> 'pnid' AS pnid,
                                            e.value ->> 'phone' AS phone,
                                            e.value ->> 'userId' AS user_id,
                                            e.value ->> 'parentUserId' AS parent_user_id,
                                            (e.value ->> 'at')::bigint AS at) AS c
                 JOIN sources s ON s.phone_number_id = c.pnid
                 GROUP BY s.account_id, c.phone
                 ON CONFLICT (account_id, phone) DO UPDATE SET
                     user_id = COALESCE(excluded.user_id, contacts.user_id),
                     parent_user_id = COALESCE(excluded.parent_user_id, contacts.parent_user_id),
                     updated_at = GREATEST(contacts.updated_at, excluded.updated_at)",
            )
            .bind(contacts)
            .execute(&mut *tx)
            .await?;
        }
        let wamids: Vec<&str> = new_statuses
            .iter()
            .map(|(wamid, _)| wamid.as_str())
            .collect();
        let status_ids = history::apply_reports(&mut tx, &wamids).await?;
        history::insert_events(&mut tx, &status_ids).await?;
        tx.commit().await?;
        Ok(receipts(batches, new_statuses, new_inbound))
    }
}
