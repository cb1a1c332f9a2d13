//! A part's history on PostgreSQL, shared by the dispatcher's outcomes and
//! Meta's statuses: the part's current state, the status entries, and one
//! event per entry that is not silent. The [`HistoryEntry`]s are bound as
//! typed arrays, one a column ([`column`]).
//!
//! Statuses are appended as they come; their events are written last, by
//! [`insert_events`], under the events lock (see the module doc of
//! [`super`]), so the functions that append return the ids of the statuses
//! that need an event.

use std::borrow::Borrow;

use sqlx::{PgConnection, Row};

use super::{EVENTS_CHANNEL, EVENTS_LOCK, PgStore, WAMID_LOCK_CLASS, column};
use crate::store::StoreResult;
use crate::store::batch::{HistoryEntry, ReportPlan, WaitingKey};

impl PgStore {
    /// Takes the wamid locks of these wamids (see the module doc of
    /// [`super`]), in ascending order of their hashes so that two
    /// transactions never wait for each other's.
    pub(super) async fn lock_wamids(
        connection: &mut PgConnection,
        wamids: &[&str],
    ) -> StoreResult<()> {
        if wamids.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "SELECT pg_advisory_xact_lock($1, key)
             FROM (SELECT DISTINCT hashtext(wamid) AS key FROM unnest($2::text[]) AS w (wamid)
                   ORDER BY key) AS keys",
        )
        .bind(WAMID_LOCK_CLASS)
        .bind(wamids)
        .execute(&mut *connection)
        .await?;
        Ok(())
    }

    /// Updates the parts and appends the statuses of `entries`, joins the
    /// waiting Meta statuses that `joining` names (whose wamids' locks the
    /// caller holds) to their parts, and last queues the events of both.
    pub(super) async fn record_history(
        connection: &mut PgConnection,
        entries: &[&HistoryEntry<'_>],
        joining: &[WaitingKey<'_>],
    ) -> StoreResult<()> {
        update_parts(connection, entries).await?;
        let mut status_ids = append(connection, entries).await?;
        status_ids.extend(apply_reports(connection, joining).await?);
        insert_events(connection, &status_ids).await
    }
}

/// Sets each part's state and latest code (at most one entry per part).
async fn update_parts<'h>(
    connection: &mut PgConnection,
    entries: &[impl Borrow<HistoryEntry<'h>>],
) -> StoreResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE message_parts
         SET state = j.state, result_code = j.code, updated_at = j.at,
             attempts = attempts + j.attempted,
             wamid = COALESCE(j.wamid, message_parts.wamid)
         FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[],
                     $6::bigint[], $7::text[])
              AS j (id, \"index\", state, code, at, attempted, wamid)
         WHERE message_parts.message_id = j.id AND message_parts.message_index = j.\"index\"",
    )
    .bind(column(entries, |entry| entry.borrow().id))
    .bind(column(entries, |entry| entry.borrow().index))
    .bind(column(entries, |entry| entry.borrow().state.as_str()))
    .bind(column(entries, |entry| entry.borrow().code))
    .bind(column(entries, |entry| entry.borrow().at))
    .bind(column(entries, |entry| entry.borrow().attempted))
    .bind(column(entries, |entry| entry.borrow().wamid))
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Appends the status entries, in order; the ids of those that are not
/// `silent` (kept in the history, no callback), which need events.
async fn append<'h>(
    connection: &mut PgConnection,
    entries: &[impl Borrow<HistoryEntry<'h>>],
) -> StoreResult<Vec<i64>> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let appended = sqlx::query(
        "INSERT INTO message_statuses (message_id, message_index, state, result_code, description,
                                       details, at, silent)
         SELECT id, \"index\", state, code, description, details, at, silent
         FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[],
                     $7::bigint[], $8::boolean[])
              WITH ORDINALITY AS j (id, \"index\", state, code, description, details, at, silent,
                                    key)
         ORDER BY key
         RETURNING id, silent",
    )
    .bind(column(entries, |entry| entry.borrow().id))
    .bind(column(entries, |entry| entry.borrow().index))
    .bind(column(entries, |entry| entry.borrow().state.as_str()))
    .bind(column(entries, |entry| entry.borrow().code))
    .bind(column(entries, |entry| entry.borrow().description.as_ref()))
    .bind(column(entries, |entry| entry.borrow().details.as_deref()))
    .bind(column(entries, |entry| entry.borrow().at))
    .bind(column(entries, |entry| entry.borrow().silent))
    .fetch_all(&mut *connection)
    .await?;
    let mut ids = Vec::with_capacity(appended.len());
    for row in &appended {
        if !row.try_get::<bool, _>("silent")? {
            ids.push(row.try_get::<i64, _>("id")?);
        }
    }
    ids.sort_unstable();
    Ok(ids)
}

/// Queues one event per status, in status order, and tells the other
/// instances. The last write of its transaction: it takes the events lock,
/// which the commit releases.
pub(super) async fn insert_events(
    connection: &mut PgConnection,
    status_ids: &[i64],
) -> StoreResult<()> {
    if status_ids.is_empty() {
        return Ok(());
    }
    sqlx::query("SELECT pg_advisory_xact_lock($1), pg_notify($2, '')")
        .bind(EVENTS_LOCK)
        .bind(EVENTS_CHANNEL)
        .execute(&mut *connection)
        .await?;
    sqlx::query(
        "INSERT INTO events (account_id, message_id, message_index, status_id, created_at)
         SELECT m.account_id, s.message_id, s.message_index, s.id, s.at
         FROM message_statuses s JOIN messages m ON m.message_id = s.message_id
         WHERE s.id = ANY($1) ORDER BY s.id",
    )
    .bind(status_ids)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Applies the waiting Meta statuses that `keys` name to their parts (only
/// parts sent from the business number the status came for), as
/// [`ReportPlan`] says; the ids of the statuses that need events. The
/// caller holds the wamids' locks.
pub(super) async fn apply_reports(
    connection: &mut PgConnection,
    keys: &[WaitingKey<'_>],
) -> StoreResult<Vec<i64>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let reports = sqlx::query(
        "SELECT r.id AS report_row, r.state AS report_state, r.result_code, r.description,
                r.details, r.at, part.message_id, part.message_index, part.state AS part_state
         FROM meta_statuses r CROSS JOIN LATERAL (
             -- The part each status is for: the one its tag names, by its
             -- key, or for a status without a tag the one with its wamid;
             -- either way, only the part that got the status's wamid. Each
             -- lookup is a query of its own, on one table by its key
             -- (`OFFSET 0` keeps the planner from merging the part's into
             -- one join), since joined, on figures gathered while the
             -- tables were small, the planner joined every message to its
             -- source before it looked at the statuses.
             SELECT p.message_id, p.message_index, p.state
             FROM message_parts p
             WHERE r.message_id <> '' AND p.message_id = r.message_id
               AND p.message_index = r.message_index AND p.wamid = r.wamid
             UNION ALL
             SELECT p.message_id, p.message_index, p.state
             FROM message_parts p
             WHERE r.message_id = '' AND p.wamid = r.wamid
             OFFSET 0
         ) part
         WHERE NOT r.applied
           AND (r.message_id, r.wamid) IN (SELECT * FROM unnest($1::text[], $2::text[]))
           -- Sent from the number the status came for.
           AND (SELECT s.phone_number_id
                FROM messages m JOIN sources s ON s.number = m.source
                WHERE m.message_id = part.message_id) = r.phone_number_id
         ORDER BY r.at, r.id",
    )
    .bind(column(keys, |key| key.message_id))
    .bind(column(keys, |key| key.wamid))
    .fetch_all(&mut *connection)
    .await?;
    if reports.is_empty() {
        return Ok(Vec::new());
    }
    let plan = ReportPlan::new(&reports)?;
    update_parts(connection, &plan.moved()).await?;
    let status_ids = append(connection, &plan.entries()).await?;
    sqlx::query("UPDATE meta_statuses SET applied = TRUE WHERE id = ANY($1)")
        .bind(&plan.applied)
        .execute(&mut *connection)
        .await?;
    Ok(status_ids)
}
