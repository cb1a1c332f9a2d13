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
use crate::store::batch::{StatusKey, WaitingKey, WebhookRows, receipts};
use crate::store::rows::StoreRow;
use crate::store::{StoreResult, WebhookBatch, WebhookReceipt};

impl PgStore {
    /// Stores Meta's statuses (the columns `$1` to `$10` of
    /// `batch::StatusRow`) received at `$11`, each under the part its tag
    /// names, unless the (wamid, business number, status) is stored
    /// already, under that key or the other way, with or without a tag (a
    /// tag's message is the one that got the wamid, when it is known yet;
    /// a status stored both ways before it is, or both in one statement,
    /// is kept twice);
    /// returns the new (tag's message id, wamid, business number, status)
    /// rows.
    const INSERT_META_STATUSES: &str =
        "INSERT INTO meta_statuses (message_id, message_index, wamid, phone_number_id, status, at,
                                    state, result_code, description, details, received_at)
         SELECT message_id, message_index, wamid, pnid, status, at, state, code, description,
                details, $11
         FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[],
                     $7::text[], $8::bigint[], $9::text[], $10::text[])
              WITH ORDINALITY AS j (message_id, message_index, wamid, pnid, status, at, state,
                                    code, description, details, key)
         WHERE NOT EXISTS (
             SELECT 1 FROM meta_statuses o
             WHERE o.message_id = CASE WHEN j.message_id = ''
                                       THEN (SELECT p.message_id FROM message_parts p
                                             WHERE p.wamid = j.wamid LIMIT 1)
                                       ELSE '' END
               AND o.wamid = j.wamid AND o.phone_number_id = j.pnid AND o.status = j.status)
         ORDER BY key
         ON CONFLICT (message_id, wamid, phone_number_id, status) DO NOTHING
         RETURNING message_id, wamid, phone_number_id, status";

    /// Stores incoming messages (the columns `$1` to `$6` of
    /// `batch::InboundRow`) received at `$7`; returns the new wamids.
    const INSERT_INBOUND: &str =
        "INSERT INTO inbound_messages (wamid, phone_number_id, display_phone_number, at,
                                       message, contact, received_at)
         SELECT wamid, pnid, display, at, message, contact, $7
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[])
              WITH ORDINALITY AS j (wamid, pnid, display, at, message, contact, key)
         ORDER BY key
         ON CONFLICT (wamid) DO NOTHING
         RETURNING wamid";

    /// Opens or extends the care windows (business numbers' ids `$1`,
    /// users `$2`, times `$3`), folded per key.
    const UPSERT_CARE_WINDOWS: &str = "INSERT INTO care_windows (source, \"user\", last_inbound_at)
         SELECT s.number, w.\"user\", MAX(w.at)
         FROM UNNEST($1::text[], $2::text[], $3::bigint[]) AS w (pnid, \"user\", at)
         JOIN sources s ON s.phone_number_id = w.pnid
         GROUP BY s.number, w.\"user\"
         ON CONFLICT (source, \"user\") DO UPDATE
         SET last_inbound_at = GREATEST(care_windows.last_inbound_at,
                                        excluded.last_inbound_at)";

    /// Records the contact pairs (business numbers' ids `$1`, phones `$2`,
    /// user ids `$3`, parent user ids `$4`, times `$5`), folded per key,
    /// the last id given winning.
    const UPSERT_CONTACTS: &str =
        "INSERT INTO contacts (account_id, phone, user_id, parent_user_id, updated_at)
         SELECT s.account_id, c.phone,
                (array_agg(c.user_id ORDER BY c.key DESC)
                     FILTER (WHERE c.user_id IS NOT NULL))[1],
                (array_agg(c.parent_user_id ORDER BY c.key DESC)
                     FILTER (WHERE c.parent_user_id IS NOT NULL))[1],
                MAX(c.at)
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])
              WITH ORDINALITY AS c (pnid, phone, user_id, parent_user_id, at, key)
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
        let mut joining: Vec<(String, String)> = Vec::new();
        let statuses = &rows.statuses;
        if !statuses.is_empty() {
            for row in sqlx::query(Self::INSERT_META_STATUSES)
                .bind(column(statuses, |status| status.message_id))
                .bind(column(statuses, |status| status.message_index))
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
                joining.push((row.get("message_id")?, row.get("wamid")?));
                new_statuses.insert((
                    row.get("wamid")?,
                    row.get("phone_number_id")?,
                    row.get("status")?,
                ));
            }
        }
        let mut new_inbound: HashSet<String> = HashSet::new();
        let inbound = &rows.inbound;
        if !inbound.is_empty() {
            for row in sqlx::query(Self::INSERT_INBOUND)
                .bind(column(inbound, |message| message.wamid))
                .bind(column(inbound, |message| message.phone_number_id))
                .bind(column(inbound, |message| message.display))
                .bind(column(inbound, |message| message.at))
                .bind(column(inbound, |message| message.message.as_str()))
                .bind(column(inbound, |message| message.contact.as_deref()))
                .bind(received_at)
                .fetch_all(&mut *tx)
                .await?
            {
                new_inbound.insert(row.get("wamid")?);
            }
        }
        let windows = &rows.care_windows;
        if !windows.is_empty() {
            sqlx::query(Self::UPSERT_CARE_WINDOWS)
                .bind(column(windows, |window| window.pnid))
                .bind(column(windows, |window| window.user))
                .bind(column(windows, |window| window.at))
                .execute(&mut *tx)
                .await?;
        }
        let contacts = &rows.contacts;
        if !contacts.is_empty() {
            sqlx::query(Self::UPSERT_CONTACTS)
                .bind(column(contacts, |pair| pair.pnid))
                .bind(column(contacts, |pair| pair.phone))
                .bind(column(contacts, |pair| pair.user_id))
                .bind(column(contacts, |pair| pair.parent_user_id))
                .bind(column(contacts, |pair| pair.at))
                .execute(&mut *tx)
                .await?;
        }
        let joining: Vec<WaitingKey<'_>> = joining
            .iter()
            .map(|(message_id, wamid)| WaitingKey { message_id, wamid })
            .collect();
        Self::record_history(&mut tx, &[], &joining).await?;
        tx.commit().await?;
        Ok(receipts(batches, new_statuses, new_inbound))
    }
}
