//! The SQLite store: one file, WAL journal, `synchronous=FULL`, embedded
//! migrations (`migrations/sqlite`).
//!
//! SQLite allows one writer at a time, so writes go through a pool of exactly
//! one connection and reads through a separate read-only pool; the accept
//! path batches many requests per transaction, which is where SQLite's write
//! throughput comes from (one commit, one fsync, for the whole batch).
//!
//! A failed write must not poison the writer: when SQLite itself rolls a
//! transaction back (a full disk, say), sqlx's own count of open
//! transactions can disagree with SQLite's, and every later "transaction"
//! would then be a savepoint inside one that never commits. So before the
//! writer is handed out, [`outside_any_transaction`] checks both; a
//! connection that is not clean is closed and a fresh one opened.
//!
//! The store's traits are implemented once for both backends, in
//! `store::common`; here are the statements that differ, and the claims.

mod accept;
mod callbacks;
mod history;
mod outbox;
mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::Connection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};

use super::{Millis, StoreResult, Wake, WakeStore};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at a `sqlite://PATH` URL and
    /// brings its schema up to date.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .before_acquire(|connection, _| Box::pin(outside_any_transaction(connection)))
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await?;
        Ok(Self { writer, reader })
    }

    /// A list bound as one value: a JSON array (`json_each($n)`).
    fn list<T: serde::Serialize>(items: &[T]) -> StoreResult<String> {
        Ok(serde_json::to_string(items)?)
    }

    /// The second half of a claim: leases the rows it read (`lease_sql`
    /// sets `lease_owner = $1, lease_until = $2` for the row ids in `$3`)
    /// and commits.
    async fn lease_claimed(
        mut tx: sqlx::Transaction<'static, sqlx::Sqlite>,
        lease_sql: &'static str,
        lease: &str,
        lease_until: Millis,
        ids: &[i64],
    ) -> StoreResult<()> {
        if !ids.is_empty() {
            sqlx::query(lease_sql)
                .bind(lease)
                .bind(lease_until)
                .bind(Self::list(ids)?)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Whether `connection` is outside any transaction, both by sqlx's count and
/// by SQLite's own autocommit flag; `false` has the pool replace it. A
/// rollback that a dropped transaction queued has run by now: the pool pings
/// a connection as it takes it back.
async fn outside_any_transaction(connection: &mut SqliteConnection) -> Result<bool, sqlx::Error> {
    if connection.is_in_transaction() {
        tracing::error!("the SQLite writer is still inside a transaction: replacing it");
        return Ok(false);
    }
    let mut handle = connection.lock_handle().await?;
    // SAFETY: the handle is the connection's open `sqlite3*`, and holding
    // the lock keeps its worker thread off it during the call, which only
    // reads a flag.
    let autocommit =
        unsafe { libsqlite3_sys::sqlite3_get_autocommit(handle.as_raw_handle().as_ptr()) };
    if autocommit == 0 {
        tracing::error!("SQLite left the writer inside a transaction: replacing it");
    }
    Ok(autocommit != 0)
}

crate::store::common::sql_store_common!(
    SqliteStore,
    sqlx::Sqlite,
    // One snapshot for the reads of one answer.
    "BEGIN"
);

/// One instance owns the file: there is nobody else to be woken (and the
/// named leases, shared with PostgreSQL, always go to it).
#[async_trait]
impl WakeStore for SqliteStore {
    async fn listen(&self) -> StoreResult<Option<tokio::sync::mpsc::Receiver<Wake>>> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings every connection of the store runs with, as SQLite
    /// reports them: (synchronous, journal_mode, foreign_keys).
    async fn settings(pool: &SqlitePool) -> (i64, String, i64) {
        let mut connection = pool.acquire().await.expect("a connection");
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&mut *connection)
            .await
            .expect("synchronous");
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut *connection)
            .await
            .expect("journal_mode");
        let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&mut *connection)
            .await
            .expect("foreign_keys");
        (synchronous, journal, foreign_keys)
    }

    /// What was committed survives a power cut: every write is fsynced at
    /// commit (`synchronous=FULL`, 2) in WAL mode, on the writer as `serve`
    /// opens it, on a writer that replaced a broken one, and on the readers.
    #[tokio::test]
    async fn every_connection_commits_with_synchronous_full_in_wal_mode() {
        let dir = tempfile::tempdir().expect("a directory");
        let url = format!("sqlite://{}", dir.path().join("wagate.db").display());
        let store = SqliteStore::open(&url).await.expect("the store");
        let full = (2, "wal".to_owned(), 1);
        assert_eq!(settings(&store.writer).await, full, "the writer");
        // The writer a failed transaction leaves behind is replaced by a
        // fresh connection with the same settings.
        {
            let mut connection = store.writer.acquire().await.expect("the writer");
            sqlx::query("BEGIN")
                .execute(&mut *connection)
                .await
                .expect("begin");
        }
        assert_eq!(settings(&store.writer).await, full, "a replaced writer");
        assert_eq!(settings(&store.reader).await, full, "a reader");
    }
}
