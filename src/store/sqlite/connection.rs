//! What the SQLite store's own threads' rusqlite connections (the writer's
//! and the reader's) share: their prepared statements cached with plans
//! that hold, and a connection SQLite left inside a transaction brought
//! back out of it.

use rusqlite::Connection;
use rusqlite::config::DbConfig;

use crate::store::StoreResult;

/// Keeps up to `capacity` prepared statements on `connection`, each with
/// its plan. Without the planner's stability guarantee, a statement whose
/// plan may depend on a bound value (a `LIMIT ?`, as every claim and the
/// feed's reads have) is parsed and planned again each time that value is
/// bound: a cached statement would be prepared anew on every run.
pub fn cache_statements(connection: &Connection, capacity: usize) -> rusqlite::Result<()> {
    connection.set_prepared_statement_cache_capacity(capacity);
    connection.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}

/// A connection SQLite left inside a transaction, rolled back, or a fresh
/// one from `reopen` if it cannot be (the old one is then kept only if
/// reopening fails, so that the next transaction fails loudly instead of
/// the thread ending). `thread` names the connection's thread in the logs.
pub fn roll_back_or_reopen(
    thread: &str,
    connection: &mut Connection,
    reopen: impl FnOnce() -> StoreResult<Connection>,
) {
    tracing::error!(
        thread,
        "SQLite left a connection inside a transaction: rolling it back"
    );
    if connection.execute_batch("ROLLBACK").is_ok() && connection.is_autocommit() {
        return;
    }
    match reopen() {
        Ok(fresh) => *connection = fresh,
        Err(error) => {
            tracing::error!(%error, thread, "reopening a SQLite connection failed");
        }
    }
}
