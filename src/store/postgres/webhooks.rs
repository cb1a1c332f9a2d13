//! Storing what Meta's webhooks carry on PostgreSQL: statuses (each
//! (wamid, business number, status) once) and incoming messages (each
//! wamid once), the care windows they open and the phone ↔ BSUID pairs
//! they reveal (`batch::WebhookRows`), in one transaction per group of
//! webhooks (`WebhookStore::receive`).
//!
//! PostgreSQL's `ON CONFLICT DO UPDATE` cannot touch a row twice in one
//! statement, so the care windows and contact pairs of a group are first
//! folded per key to what SQLite's row-by-row upserts end with: the latest
//! time, and the last id the group gave (or the one already known).

use std::collections::HashSet;

use super::{PgStore, column};
use crate::clock::now_millis;
use crate::store::batch::{StatusKey, WebhookRows, json_rows, receipts};
use crate::store::rows::StoreRow;
use crate::store::{StoreResult, WebhookBatch, WebhookReceipt};

impl PgStore {
    /// Stores Meta's statuses (the columns `$1` to `$8` of
    /// `batch::StatusRow`) received at `$9`; returns the new (wamid,
    /// business number, status) rows.
    const INSERT_META_STATUSES: &str =
        "INSERT INTO meta_statuses (wamid, phone_number_id, status, at, state, result_code,
                                    description, details, received_at)
         SELECT wamid, pnid, status, at, state, code, description, details, $9
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[],
                     $7::text[], $8::text[])
              WITH ORDINALITY AS j (wamid, pnid, status, at, state, code, description, details,
                                    key)
         ORDER BY key
         ON CONFLICT (wamid, phone_number_id, status) DO NOTHING
         RETURNING wamid, phone_number_id, status";

    /// Stores incoming messages (`$1`) received at `$2`; returns the new
    /// wamids.
    const INSERT_INBOUND: &str =
        "INSERT INTO inbound_messages (wamid, phone_number_id, display_phone_number, at,
                                       message, contact, received_at)
         SELECT value ->> 'wamid', value ->> 'phoneNumberId', value ->> 'display',
                (value ->> 'at')::bigint, value ->> 'message', value ->> 'contact', $2
         FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS j (value, key)
         ORDER BY key
         ON CONFLICT (wamid) DO NOTHING
         RETURNING wamid";

    /// Opens or extends the care windows `$1` (folded per key).
    const UPSERT_CARE_WINDOWS: &str = "INSERT INTO care_windows (source, \"user\", last_inbound_at)
         SELECT s.number, w.\"user\", MAX(w.at)
         FROM jsonb_to_recordset($1::jsonb) AS w (pnid text, \"user\" text, at bigint)
         JOIN sources s ON s.phone_number_id = w.pnid
         GROUP BY s.number, w.\"user\"
         ON CONFLICT (source, \"user\") DO UPDATE
         SET last_inbound_at = GREATEST(care_windows.last_inbound_at,
                                        excluded.last_inbound_at)";

    /// Records the contact pairs `$1` (folded per key).
    const UPSERT_CONTACTS: &str =
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
             updated_at = GREATEST(contacts.updated_at, excluded.updated_at)";

    /// `WebhookStore::receive`: the group in one transaction.
    pub(super) async fn receive_webhooks(
        &self,
        batches: &[WebhookBatch],
    ) -> StoreResult<Vec<WebhookReceipt>> {
        let received_at = now_millis();
        let rows = WebhookRows::new(batches)?;
        let mut tx = self.writer.begin().await?;
        let reported: Vec<&str> = batches
            .iter()
            .flat_map(|batch| &batch.statuses)
            .map(|report| report.wamid.as_str())
            .collect();
        // A submission recorded at the same time by another instance waits
        // for these statuses, or they for it.
        Self::lock_wamids(&mut tx, &reported).await?;
        let mut new_statuses: HashSet<StatusKey> = HashSet::new();
        let statuses = &rows.statuses;
        if !statuses.is_empty() {
            for row in sqlx::query(Self::INSERT_META_STATUSES)
                .bind(column(statuses, |status| status.wamid))
                .bind(column(statuses, |status| status.phone_number_id))
                .bind(column(statuses, |status| status.status))
                .bind(column(statuses, |status| status.at))
                .bind(column(statuses, |status| status.state))
                .bind(column(statuses, |status| i64::from(status.code)))
                .bind(column(statuses, |status| status.description))
                .bind(column(statuses, |status| status.details.as_str()))
                .bind(received_at)
                .fetch_all(&mut *tx)
                .await?
            {
                new_statuses.insert((
                    row.get("wamid")?,
                    row.get("phone_number_id")?,
                    row.get("status")?,
                ));
            }
        }
        let mut new_inbound: HashSet<String> = HashSet::new();
        if let Some(inbound) = json_rows(&rows.inbound)? {
            for row in sqlx::query(Self::INSERT_INBOUND)
                .bind(&inbound)
                .bind(received_at)
                .fetch_all(&mut *tx)
                .await?
            {
                new_inbound.insert(row.get("wamid")?);
            }
        }
        if let Some(windows) = json_rows(&rows.care_windows)? {
            sqlx::query(Self::UPSERT_CARE_WINDOWS)
                .bind(&windows)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(contacts) = json_rows(&rows.contacts)? {
            sqlx::query(Self::UPSERT_CONTACTS)
                .bind(&contacts)
                .execute(&mut *tx)
                .await?;
        }
        let wamids: Vec<&str> = new_statuses
            .iter()
            .map(|(wamid, _, _)| wamid.as_str())
            .collect();
        Self::record_history(&mut tx, &[], &wamids).await?;
        tx.commit().await?;
        Ok(receipts(batches, new_statuses, new_inbound))
    }
}
