//! A part's history, shared by the dispatcher's outcomes and Meta's
//! statuses: the part's current state and the status entries (each
//! [`HistoryEntry`] bound to one execution of a cached statement), and one
//! event per entry that is not silent.
//!
//! These run inside a job on the writer thread ([`super::writer`]), which
//! runs one job at a time, each seeing what the jobs before it wrote
//! (committed, or earlier in the transaction they share): a submission and
//! Meta's statuses for it never miss each other, so no wamid needs a lock
//! here.

use std::collections::BTreeSet;

use rusqlite::{Connection, ToSql, params};

use super::rows::{OwnedRow, query_rows};
use crate::store::StoreResult;
use crate::store::batch::{HistoryEntry, ReportPlan, WaitingKey};
use crate::store::rows::StoreRow;

/// Sets the part (`?1`, `?2`) to an entry's state `?3`, code `?4` at `?5`,
/// adding `?6` tries, and to the wamid `?7` where the statement names it.
macro_rules! update_part {
    ($wamid:literal) => {
        concat!(
            "UPDATE message_parts
             SET state = ?3, result_code = ?4, updated_at = ?5, attempts = attempts + ?6",
            $wamid,
            " WHERE message_id = ?1 AND message_index = ?2"
        )
    };
}

/// A part's update for an entry without a wamid (a status, a retry).
/// SQLite rewrites the index entries of every column a `SET` names, changed
/// or not: `wamid = COALESCE(NULL, wamid)` deleted and inserted again each
/// status's part's entry in the wamid index, a leaf at a random place (one
/// page of the log each).
const UPDATE_PART: &str = update_part!("");

/// A part's update for an entry that brings its wamid (a submission).
const UPDATE_PART_AND_WAMID: &str = update_part!(", wamid = ?7");

const LAST_STATUS: &str = "SELECT COALESCE(MAX(id), 0) FROM message_statuses";

const APPEND_STATUS: &str =
    "INSERT INTO message_statuses (message_id, message_index, state, result_code, description,
                                   details, at, silent)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

const INSERT_EVENTS: &str =
    "INSERT INTO events (account_id, message_id, message_index, status_id, created_at)
     SELECT m.account_id, s.message_id, s.message_index, s.id, s.at
     FROM message_statuses s JOIN messages m ON m.message_id = s.message_id
     WHERE s.id > ?1 AND NOT s.silent ORDER BY s.id";

/// The columns [`ReportPlan`] reads of a waiting status (`r`) and its part
/// (`p`), for a part sent from the business number the status came for.
macro_rules! waiting_reports {
    ($part_join:literal, $status_key:literal) => {
        concat!(
            "SELECT r.rowid AS report_row, r.state AS report_state, r.result_code, r.description,
                    r.details, r.at, p.message_id, p.message_index, p.state AS part_state
             FROM meta_statuses r
             JOIN message_parts p ON ",
            $part_join,
            "
             JOIN messages m ON m.message_id = p.message_id
             JOIN sources s ON s.number = m.source AND s.phone_number_id = r.phone_number_id
             WHERE NOT r.applied AND ",
            $status_key
        )
    };
}

/// The waiting statuses whose tag names message `?1` with wamid `?2`: the
/// tagged part, found by its key, if it got that wamid.
const TAGGED_REPORTS: &str = waiting_reports!(
    "p.message_id = r.message_id AND p.message_index = r.message_index AND p.wamid = r.wamid",
    "r.message_id = ?1 AND r.wamid = ?2"
);

/// The waiting statuses of wamid `?1` without a tag: the part that got the
/// wamid.
const UNTAGGED_REPORTS: &str =
    waiting_reports!("p.wamid = r.wamid", "r.message_id = '' AND r.wamid = ?1");

/// Marks the waiting status `?1` (its rowid) applied.
const MARK_APPLIED: &str = "UPDATE meta_statuses SET applied = TRUE WHERE rowid = ?1";

/// Updates the parts and appends the statuses of `entries` (with their
/// events), then joins the waiting Meta statuses that `joining` names to
/// their parts.
pub(super) fn record_history(
    transaction: &Connection,
    entries: &[&HistoryEntry<'_>],
    joining: &[WaitingKey<'_>],
) -> StoreResult<()> {
    update_parts(transaction, entries.iter().copied())?;
    append(transaction, entries.iter().copied())?;
    apply_reports(transaction, joining)
}

/// Sets each part's state and latest code (at most one entry per part).
fn update_parts<'e, 'h: 'e>(
    transaction: &Connection,
    entries: impl IntoIterator<Item = &'e HistoryEntry<'h>>,
) -> rusqlite::Result<()> {
    for entry in entries {
        let values: &[&dyn ToSql] = params![
            entry.id,
            entry.index,
            entry.state.as_str(),
            entry.code,
            entry.at,
            entry.attempted,
            entry.wamid,
        ];
        let (statement, values) = match entry.wamid {
            None => (UPDATE_PART, &values[..6]),
            Some(_) => (UPDATE_PART_AND_WAMID, values),
        };
        transaction.prepare_cached(statement)?.execute(values)?;
    }
    Ok(())
}

/// Appends the status entries, in order, and queues an event for each that
/// is not `silent` (kept in the history, no callback).
fn append<'e, 'h: 'e>(
    transaction: &Connection,
    entries: impl IntoIterator<Item = &'e HistoryEntry<'h>>,
) -> rusqlite::Result<()> {
    let mut entries = entries.into_iter().peekable();
    if entries.peek().is_none() {
        return Ok(());
    }
    let last_status: i64 = transaction
        .prepare_cached(LAST_STATUS)?
        .query_row([], |row| row.get(0))?;
    let mut insert = transaction.prepare_cached(APPEND_STATUS)?;
    for entry in entries {
        insert.execute(params![
            entry.id,
            entry.index,
            entry.state.as_str(),
            entry.code,
            entry.description,
            entry.details,
            entry.at,
            entry.silent,
        ])?;
    }
    transaction
        .prepare_cached(INSERT_EVENTS)?
        .execute(params![last_status])?;
    Ok(())
}

/// Applies the waiting Meta statuses that `keys` name to their parts (only
/// parts sent from the business number the status came for), in Meta's
/// time order and then arrival, as [`ReportPlan`] says.
fn apply_reports(transaction: &Connection, keys: &[WaitingKey<'_>]) -> StoreResult<()> {
    let keys: BTreeSet<&WaitingKey<'_>> = keys.iter().collect();
    let mut reports = Vec::new();
    for key in keys {
        reports.extend(if key.message_id.is_empty() {
            query_rows(
                &mut transaction.prepare_cached(UNTAGGED_REPORTS)?,
                [key.wamid],
            )?
        } else {
            query_rows(
                &mut transaction.prepare_cached(TAGGED_REPORTS)?,
                [key.message_id, key.wamid],
            )?
        });
    }
    if reports.is_empty() {
        return Ok(());
    }
    let mut ordered = reports
        .into_iter()
        .map(|row| Ok(((row.get::<i64>("at")?, row.get::<i64>("report_row")?), row)))
        .collect::<StoreResult<Vec<_>>>()?;
    ordered.sort_by_key(|(order, _)| *order);
    let reports: Vec<OwnedRow> = ordered.into_iter().map(|(_, row)| row).collect();
    let plan = ReportPlan::new(&reports)?;
    update_parts(transaction, &plan.moved())?;
    append(transaction, &plan.entries())?;
    let mut mark = transaction.prepare_cached(MARK_APPLIED)?;
    for row in &plan.applied {
        mark.execute([row])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use rusqlite::Connection;

    use super::{UPDATE_PART, UPDATE_PART_AND_WAMID};
    use crate::store::sqlite::SqliteStore;

    /// The tables and indexes a statement opens for writing, by name (the
    /// root pages its `OpenWrite` instructions name).
    fn written_by(connection: &Connection, statement: &str) -> BTreeSet<String> {
        let mut roots = connection
            .prepare(&format!("EXPLAIN {statement}"))
            .expect("explain");
        let unbound = std::iter::repeat_n(rusqlite::types::Null, roots.parameter_count());
        let pages: Vec<i64> = roots
            .query_map(rusqlite::params_from_iter(unbound), |row| {
                Ok((row.get::<_, String>("opcode")?, row.get::<_, i64>("p2")?))
            })
            .expect("the program")
            .collect::<rusqlite::Result<Vec<_>>>()
            .expect("the program's instructions")
            .into_iter()
            .filter(|(opcode, _)| opcode == "OpenWrite")
            .map(|(_, page)| page)
            .collect();
        pages
            .into_iter()
            .map(|page| {
                connection
                    .query_row(
                        "SELECT name FROM sqlite_schema WHERE rootpage = ?1",
                        [page],
                        |row| row.get(0),
                    )
                    .expect("a table or index at that root page")
            })
            .collect()
    }

    /// A status moves its part without touching the wamid index (SQLite
    /// would rewrite the part's entry in it, a random leaf, for every status
    /// if the statement named the wamid); a submission's update does write
    /// it.
    #[tokio::test]
    async fn only_a_submission_writes_the_parts_wamid_index() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("wagate.db");
        let url = format!("sqlite://{}", path.display());
        drop(SqliteStore::open(&url).await.expect("open the store"));
        let connection = Connection::open(&path).expect("open the file");

        let status = written_by(&connection, UPDATE_PART);
        assert!(status.contains("message_parts"), "{status:?}");
        assert!(!status.contains("message_parts_by_wamid"), "{status:?}");

        let submission = written_by(&connection, UPDATE_PART_AND_WAMID);
        assert!(
            submission.contains("message_parts_by_wamid"),
            "{submission:?}"
        );
    }
}
