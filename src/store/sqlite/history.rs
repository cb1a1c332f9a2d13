//! A part's history, shared by the dispatcher's outcomes and Meta's
//! statuses: the part's current state, the status entries, and one event per
//! entry, each written by one statement over a JSON array of rows (fields
//! `id`, `index`, `state`, `code`, `description`, `details`, `at`, and for
//! parts also `attempted` and `wamid`).

use std::collections::HashMap;

use serde_json::{Value, json};
use sqlx::{Row, SqliteConnection};
use wagate_domain::MessageState;

use super::rows::corrupt;
use crate::store::StoreResult;

/// Sets each part's state and latest code (at most one row per part).
pub(super) async fn update_parts(connection: &mut SqliteConnection, rows: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE message_parts
         SET state = j.state, result_code = j.code, updated_at = j.at,
             attempts = attempts + COALESCE(j.attempted, 0),
             wamid = COALESCE(j.wamid, message_parts.wamid)
         FROM (SELECT value ->> 'id' AS id, value ->> 'index' AS idx, value ->> 'state' AS state,
                      value ->> 'code' AS code, value ->> 'at' AS at,
                      value ->> 'attempted' AS attempted, value ->> 'wamid' AS wamid
               FROM json_each($1)) AS j
         WHERE message_parts.message_id = j.id AND message_parts.message_index = j.idx",
    )
    .bind(rows)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Appends the status entries, in order, and queues an event for each that
/// is not `silent` (a row field: kept in the history, no callback).
pub(super) async fn append(connection: &mut SqliteConnection, rows: &str) -> StoreResult<()> {
    let last_status: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM message_statuses")
        .fetch_one(&mut *connection)
        .await?;
    sqlx::query(
        "INSERT INTO message_statuses (message_id, message_index, state, result_code, description,
                                       details, at, silent)
         SELECT value ->> 'id', value ->> 'index', value ->> 'state', value ->> 'code',
                value ->> 'description', value ->> 'details', value ->> 'at',
                COALESCE(value ->> 'silent', FALSE)
         FROM json_each($1) ORDER BY key",
    )
    .bind(rows)
    .execute(&mut *connection)
    .await?;
    sqlx::query(
        "INSERT INTO events (account_id, message_id, message_index, status_id, created_at)
         SELECT m.account_id, s.message_id, s.message_index, s.id, s.at
         FROM message_statuses s JOIN messages m ON m.message_id = s.message_id
         WHERE s.id > $1 AND NOT s.silent ORDER BY s.id",
    )
    .bind(last_status)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Applies the waiting Meta statuses of these wamids to their parts (only
/// parts sent from the business number the status came for): each known
/// status joins the history in Meta's time order (ties, common with Meta's
/// whole-second timestamps, in the order of progress); the part's state only
/// moves forward, and a status that would move it back is kept silent (no
/// callback).
pub(super) async fn apply_reports(
    connection: &mut SqliteConnection,
    wamids: &[&str],
) -> StoreResult<()> {
    if wamids.is_empty() {
        return Ok(());
    }
    let reports = sqlx::query(
        "SELECT r.rowid AS report_row, r.state AS report_state, r.result_code, r.description,
                r.details, r.at, p.message_id, p.message_index, p.state AS part_state
         FROM meta_statuses r
         JOIN message_parts p ON p.wamid = r.wamid
         JOIN messages m ON m.message_id = p.message_id
         JOIN sources s ON s.number = m.source AND s.phone_number_id = r.phone_number_id
         WHERE NOT r.applied AND r.wamid IN (SELECT value FROM json_each($1))
         ORDER BY r.at, r.rowid",
    )
    .bind(serde_json::to_string(wamids)?)
    .fetch_all(&mut *connection)
    .await?;
    if reports.is_empty() {
        return Ok(());
    }
    let mut applied = Vec::new();
    let mut known = Vec::new();
    for report in &reports {
        applied.push(report.try_get::<i64, _>("report_row")?);
        if let Some(state) = report.try_get::<Option<String>, _>("report_state")? {
            let state = MessageState::parse(&state).ok_or_else(|| corrupt("state", &state))?;
            known.push((report.try_get::<i64, _>("at")?, state, report));
        }
    }
    known.sort_by_key(|(at, state, _)| (*at, state.progress()));
    let mut entries = Vec::new();
    let mut parts: HashMap<(String, i64), (MessageState, Value)> = HashMap::new();
    for (_, state, report) in known {
        let key = (
            report.try_get::<String, _>("message_id")?,
            report.try_get::<i64, _>("message_index")?,
        );
        let current = match parts.get(&key) {
            Some((current, _)) => *current,
            None => {
                let part_state: String = report.try_get("part_state")?;
                MessageState::parse(&part_state).ok_or_else(|| corrupt("state", &part_state))?
            }
        };
        let forward = state.progress() > current.progress();
        let entry = json!({
            "id": key.0,
            "index": key.1,
            "state": state.as_str(),
            "code": report.try_get::<i64, _>("result_code")?,
            "description": report.try_get::<String, _>("description")?,
            "details": report.try_get::<String, _>("details")?,
            "at": report.try_get::<i64, _>("at")?,
            "silent": !forward,
        });
        if forward {
            parts.insert(key, (state, entry.clone()));
        } else {
            parts.entry(key).or_insert((current, Value::Null));
        }
        entries.push(entry);
    }
    let moved: Vec<&Value> = parts
        .values()
        .map(|(_, entry)| entry)
        .filter(|entry| !entry.is_null())
        .collect();
    if !moved.is_empty() {
        update_parts(connection, &serde_json::to_string(&moved)?).await?;
    }
    if !entries.is_empty() {
        append(connection, &serde_json::to_string(&entries)?).await?;
    }
    sqlx::query(
        "UPDATE meta_statuses SET applied = TRUE WHERE rowid IN (SELECT value FROM json_each($1))",
    )
    .bind(serde_json::to_string(&applied)?)
    .execute(&mut *connection)
    .await?;
    Ok(())
}
