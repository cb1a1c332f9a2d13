//! A part's history, shared by the dispatcher's outcomes and Meta's
//! statuses: the part's current state, the status entries, and one event per
//! entry, each written by one statement over a JSON array of rows (fields
//! `id`, `index`, `state`, `code`, `description`, `details`, `at`, and for
//! parts also `attempted` and `wamid`).
//!
//! These run inside a job on the writer thread ([`super::writer`]), which
//! runs one job at a time, each seeing what the jobs before it wrote
//! (committed, or earlier in the transaction they share): a submission and
//! Meta's statuses for it never miss each other, so no wamid needs a lock
//! here.

use rusqlite::{Connection, params};

use super::owned_row::query_rows;
use crate::store::StoreResult;
use crate::store::batch::ReportPlan;

const UPDATE_PARTS: &str = "UPDATE message_parts
     SET state = j.state, result_code = j.code, updated_at = j.at,
         attempts = attempts + COALESCE(j.attempted, 0),
         wamid = COALESCE(j.wamid, message_parts.wamid)
     FROM (SELECT value ->> 'id' AS id, value ->> 'index' AS idx, value ->> 'state' AS state,
                  value ->> 'code' AS code, value ->> 'at' AS at,
                  value ->> 'attempted' AS attempted, value ->> 'wamid' AS wamid
           FROM json_each(?1)) AS j
     WHERE message_parts.message_id = j.id AND message_parts.message_index = j.idx";

const LAST_STATUS: &str = "SELECT COALESCE(MAX(id), 0) FROM message_statuses";

const APPEND_STATUSES: &str =
    "INSERT INTO message_statuses (message_id, message_index, state, result_code, description,
                                   details, at, silent)
     SELECT value ->> 'id', value ->> 'index', value ->> 'state', value ->> 'code',
            value ->> 'description', value ->> 'details', value ->> 'at',
            COALESCE(value ->> 'silent', FALSE)
     FROM json_each(?1) ORDER BY key";

const INSERT_EVENTS: &str =
    "INSERT INTO events (account_id, message_id, message_index, status_id, created_at)
     SELECT m.account_id, s.message_id, s.message_index, s.id, s.at
     FROM message_statuses s JOIN messages m ON m.message_id = s.message_id
     WHERE s.id > ?1 AND NOT s.silent ORDER BY s.id";

const WAITING_REPORTS: &str =
    "SELECT r.rowid AS report_row, r.state AS report_state, r.result_code, r.description,
            r.details, r.at, p.message_id, p.message_index, p.state AS part_state
     FROM meta_statuses r
     JOIN message_parts p ON p.wamid = r.wamid
     JOIN messages m ON m.message_id = p.message_id
     JOIN sources s ON s.number = m.source AND s.phone_number_id = r.phone_number_id
     WHERE NOT r.applied AND r.wamid IN (SELECT value FROM json_each(?1))
     ORDER BY r.at, r.rowid";

const MARK_APPLIED: &str =
    "UPDATE meta_statuses SET applied = TRUE WHERE rowid IN (SELECT value FROM json_each(?1))";

/// Updates the parts and appends the statuses of `entries` (with their
/// events), then joins the waiting Meta statuses of the wamids `joining`
/// to their parts.
pub(super) fn record_history(
    transaction: &Connection,
    entries: Option<&str>,
    joining: &[&str],
) -> StoreResult<()> {
    if let Some(entries) = entries {
        update_parts(transaction, entries)?;
        append(transaction, entries)?;
    }
    apply_reports(transaction, joining)
}

/// Sets each part's state and latest code (at most one row per part).
fn update_parts(transaction: &Connection, rows: &str) -> rusqlite::Result<()> {
    transaction.prepare_cached(UPDATE_PARTS)?.execute([rows])?;
    Ok(())
}

/// Appends the status entries, in order, and queues an event for each that
/// is not `silent` (a row field: kept in the history, no callback).
fn append(transaction: &Connection, rows: &str) -> rusqlite::Result<()> {
    let last_status: i64 = transaction
        .prepare_cached(LAST_STATUS)?
        .query_row([], |row| row.get(0))?;
    transaction
        .prepare_cached(APPEND_STATUSES)?
        .execute([rows])?;
    transaction
        .prepare_cached(INSERT_EVENTS)?
        .execute(params![last_status])?;
    Ok(())
}

/// Applies the waiting Meta statuses of these wamids to their parts (only
/// parts sent from the business number the status came for), as
/// [`ReportPlan`] says.
fn apply_reports(transaction: &Connection, wamids: &[&str]) -> StoreResult<()> {
    if wamids.is_empty() {
        return Ok(());
    }
    let reports = query_rows(
        &mut transaction.prepare_cached(WAITING_REPORTS)?,
        [serde_json::to_string(wamids)?],
    )?;
    if reports.is_empty() {
        return Ok(());
    }
    let plan = ReportPlan::new(&reports)?;
    if let Some(moved) = &plan.moved {
        update_parts(transaction, moved)?;
    }
    if let Some(entries) = &plan.entries {
        append(transaction, entries)?;
    }
    transaction
        .prepare_cached(MARK_APPLIED)?
        .execute([serde_json::to_string(&plan.applied)?])?;
    Ok(())
}
