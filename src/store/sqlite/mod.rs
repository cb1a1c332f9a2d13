//! The SQLite store: one file, WAL journal, `synchronous=FULL`, embedded
//! migrations (`migrations/sqlite`).
//!
//! SQLite allows one writer at a time. The hot writes run on a thread of
//! their own that owns a rusqlite connection ([`writer`]), each a job run
//! synchronously with cached prepared statements, without a hop between
//! threads per statement, and the jobs waiting together sharing one
//! transaction and its commit: the accept path's group commits
//! (many requests per transaction, which is where SQLite's write throughput
//! comes from: one commit, one fsync, for the whole batch), the outbox's
//! claims, released parts and recorded outcomes, Meta's webhooks, and the
//! callback queues' writes (the feed that fills them, the claims and the
//! tries' records).
//!
//! The other writes go through a sqlx pool of exactly one connection; they
//! run rarely: the admin API's tenants and settings, the named leases
//! (once per lease period), redelivery, the retention sweeps; a hop between
//! threads per statement costs nothing that matters there. Each takes a
//! turn ([`SqlBackend::write_turn`]): it waits in the writer thread's queue
//! behind the jobs before it, and the thread, once they are committed,
//! stops until the write has committed (for at most the busy timeout), so
//! that neither writer waits for SQLite's write lock in a busy handler
//! unless a write outlasts that. Reads go through a
//! separate read-only pool, except the callback feed's, which read the most
//! rows: those run as one job on a reader thread of their own, which owns
//! a read-only rusqlite connection ([`reader`]).
//! Both writers begin with `BEGIN IMMEDIATE` ([`BEGIN_WRITE`]), which is
//! what makes two of them safe (see [`writer`]).
//!
//! A failed write must not poison the writer: when SQLite itself rolls a
//! transaction back (a full disk, say), sqlx's own count of open
//! transactions can disagree with SQLite's, and every later "transaction"
//! would then be a savepoint inside one that never commits. So before the
//! writer is handed out, [`outside_any_transaction`] checks both; a
//! connection that is not clean is closed and a fresh one opened.
//!
//! The store's traits are implemented once for both backends, in
//! [`store::sql`](super::sql); here is this backend's side of its
//! [`SqlBackend`] contract: the statements that differ, the hot writes and
//! the claims.

mod accept;
mod callbacks;
mod connection;
mod fed_thread;
mod history;
mod outbox;
mod reader;
mod rows;
mod webhooks;
mod writer;

use std::future::Future;
use std::ops::Deref;
use std::str::FromStr;

use async_trait::async_trait;
use sqlx::Connection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};

use super::ops::{self, Backlogs, SchemaVersion, StatisticsScope, TablesTended};
use super::source_figures::{
    self, PriorityBacklog, RecentSubmissions, SourceBacklog, SourceFailure, SourceFiguresStore,
};
use super::sql::SqlBackend;
use super::{
    ClaimedDelivery, ClaimedPart, DeliveryAttempt, FollowOn, Millis, NewDelivery, NewRequest,
    OpsStore, Outcome, RecordedAttempt, ReportBatch, RoutedInbound, StoreResult, Wake, WakeStore,
    WebhookBatch, WebhookReceipt,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// How every write transaction begins: with the write lock taken, so that
/// it waits (busy timeout) for the other writer, should it find the lock
/// taken despite the turns, instead of failing at once when a read inside
/// it turns into a write.
const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    writer_thread: writer::Writer,
    reader_thread: reader::Reader,
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
            .busy_timeout(writer::BUSY_TIMEOUT)
            .pragma(
                "wal_autocheckpoint",
                writer::WAL_COPY_INLINE_PAGES.to_string(),
            );
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .before_acquire(|connection, _| Box::pin(outside_any_transaction(connection)))
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.clone().read_only(true))
            .await?;
        let writer_thread =
            writer::Writer::start(options.get_filename(), writer::LogBounds::default())?;
        let reader_thread = reader::Reader::start(options.get_filename())?;
        Ok(Self {
            writer,
            reader,
            writer_thread,
            reader_thread,
        })
    }

    /// A list bound as one value: a JSON array (`json_each($n)`).
    fn list<T: serde::Serialize>(items: &[T]) -> StoreResult<String> {
        Ok(serde_json::to_string(items)?)
    }
}

/// The sqlx writer's turn: the pool, while the writer thread makes way.
pub struct WriteTurn<'a> {
    pool: &'a SqlitePool,
    _way: writer::WayMade,
}

impl Deref for WriteTurn<'_> {
    type Target = SqlitePool;

    fn deref(&self) -> &SqlitePool {
        self.pool
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

/// The shared implementation's contract ([`SqlBackend`]): the hot writes
/// and the claims are the writer thread's jobs, and the callback feed's
/// reads the reader thread's, each the inherent method of the same name in
/// its concern's file (`accept`, `outbox`, `webhooks`, `callbacks`).
impl SqlBackend for SqliteStore {
    type Db = sqlx::Sqlite;
    type List<'a> = String;
    type WriteTurn<'a> = WriteTurn<'a>;

    /// One snapshot for the reads of one answer.
    const SNAPSHOT: &'static str = "BEGIN";
    const BEGIN_WRITE: &'static str = BEGIN_WRITE;

    const MESSAGES_TO_REPORT: &'static str = callbacks::MESSAGES_TO_REPORT;
    const PARTS_TO_REPORT: &'static str = callbacks::PARTS_TO_REPORT;
    const CONTACTS_OF: &'static str = callbacks::CONTACTS_OF;
    const UNROUTED_INBOUND: &'static str = callbacks::UNROUTED_INBOUND;
    /// By rowid: the rows in the order they were stored.
    const FORGET_STATUSES: &'static str = "DELETE FROM meta_statuses
         WHERE received_at < $1
           AND rowid IN (SELECT rowid FROM meta_statuses ORDER BY rowid LIMIT $2)";

    async fn write_turn(&self) -> StoreResult<WriteTurn<'_>> {
        let way = self.writer_thread.make_way().await?;
        Ok(WriteTurn {
            pool: &self.writer,
            _way: way,
        })
    }

    fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    fn list<'a>(items: &'a [&'a str]) -> StoreResult<String> {
        SqliteStore::list(items)
    }

    fn accept_batch(&self, batch: &[NewRequest]) -> impl Future<Output = StoreResult<()>> + Send {
        SqliteStore::accept_batch(self, batch)
    }

    fn record_outcomes(
        &self,
        outcomes: &[Outcome],
    ) -> impl Future<Output = StoreResult<Vec<bool>>> + Send {
        SqliteStore::record_outcomes(self, outcomes)
    }

    fn release_parts(
        &self,
        lease: &str,
        parts: &[(String, u32)],
    ) -> impl Future<Output = StoreResult<()>> + Send {
        SqliteStore::release_parts(self, lease, parts)
    }

    fn receive_webhooks(
        &self,
        batches: &[WebhookBatch],
    ) -> impl Future<Output = StoreResult<Vec<WebhookReceipt>>> + Send {
        SqliteStore::receive_webhooks(self, batches)
    }

    fn record_delivery_attempts(
        &self,
        attempts: &[DeliveryAttempt],
        follow: Option<FollowOn>,
    ) -> impl Future<Output = StoreResult<Vec<RecordedAttempt>>> + Send {
        SqliteStore::record_delivery_attempts(self, attempts, follow)
    }

    fn queue_deliveries(
        &self,
        cursor: &str,
        from: i64,
        to: i64,
        deliveries: &[NewDelivery],
    ) -> impl Future<Output = StoreResult<bool>> + Send {
        SqliteStore::queue_deliveries(self, cursor, from, to, deliveries)
    }

    fn queue_routed(
        &self,
        routed: &[RoutedInbound],
        deliveries: &[NewDelivery],
    ) -> impl Future<Output = StoreResult<()>> + Send {
        SqliteStore::queue_routed(self, routed, deliveries)
    }

    fn lease_due_parts(
        &self,
        source: &str,
        lease: &str,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<ClaimedPart>>> + Send {
        SqliteStore::lease_due_parts(self, source, lease, now, lease_until, limit)
    }

    fn lease_due_deliveries(
        &self,
        lease: &str,
        now: Millis,
        lease_until: Millis,
        limit: u32,
        per_gate: u32,
    ) -> impl Future<Output = StoreResult<Vec<ClaimedDelivery>>> + Send {
        SqliteStore::lease_due_deliveries(self, lease, now, lease_until, limit, per_gate)
    }

    fn read_report_batch(
        &self,
        cursor: &str,
        limit: u32,
    ) -> impl Future<Output = StoreResult<ReportBatch>> + Send {
        SqliteStore::read_report_batch(self, cursor, limit)
    }
}

/// One instance owns the file: there is nobody else to be woken (and the
/// named leases, shared with PostgreSQL, always go to it).
#[async_trait]
impl OpsStore for SqliteStore {
    async fn backlogs(&self, holder: &str, now: Millis) -> StoreResult<Backlogs> {
        ops::backlogs(&self.reader, holder, now).await
    }

    async fn schema_version(&self) -> StoreResult<SchemaVersion> {
        ops::schema_version(&self.reader, &MIGRATOR).await
    }

    async fn tend_tables(&self, _scope: StatisticsScope) -> StoreResult<TablesTended> {
        Ok(TablesTended::default())
    }
}

#[async_trait]
impl SourceFiguresStore for SqliteStore {
    async fn outbox_by_source(&self, now: Millis) -> StoreResult<Vec<SourceBacklog>> {
        source_figures::outbox_by_source(&self.reader, now).await
    }

    async fn source_outbox(&self, source: &str, now: Millis) -> StoreResult<Vec<PriorityBacklog>> {
        source_figures::source_outbox(&self.reader, source, now).await
    }

    async fn recent_submissions(
        &self,
        source: &str,
        since: Millis,
        scan: u32,
    ) -> StoreResult<RecentSubmissions> {
        source_figures::recent_submissions(&self.reader, source, since, scan).await
    }

    async fn source_failures(
        &self,
        source: &str,
        limit: u32,
        scan: u32,
    ) -> StoreResult<Vec<SourceFailure>> {
        source_figures::source_failures(&self.reader, source, limit, scan).await
    }
}

#[async_trait]
impl WakeStore for SqliteStore {
    async fn listen(&self) -> StoreResult<Option<tokio::sync::mpsc::Receiver<Wake>>> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::store::StoreError;

    async fn store_in(dir: &tempfile::TempDir) -> Arc<SqliteStore> {
        let url = format!("sqlite://{}", dir.path().join("wagate.db").display());
        Arc::new(SqliteStore::open(&url).await.expect("open the store"))
    }

    async fn settings(store: &SqliteStore) -> Vec<String> {
        sqlx::query_scalar("SELECT name FROM settings ORDER BY name")
            .fetch_all(&store.reader)
            .await
            .expect("read the settings")
    }

    /// A sqlx write transaction that reads before it writes, taken on the
    /// pool without a turn (as after a turn that ran out) while the writer
    /// thread has a job: the job waits for the transaction's commit instead
    /// of making its snapshot stale, which SQLite would answer with
    /// `SQLITE_BUSY` at the first write. (The turns themselves are the
    /// writer's tests.)
    #[tokio::test]
    async fn the_two_writers_wait_for_each_other_instead_of_failing() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = store_in(&dir).await;
        let mut claim = store.writer.begin_with(BEGIN_WRITE).await.expect("begin");
        let read: i64 = sqlx::query_scalar("SELECT count(*) FROM settings")
            .fetch_one(&mut *claim)
            .await
            .expect("read");
        assert_eq!(read, 0);
        let mut job = tokio::spawn({
            let store = store.clone();
            async move {
                store
                    .writer_thread
                    .transaction(|transaction| {
                        transaction.execute("INSERT INTO settings VALUES ('thread', '1')", [])
                    })
                    .await
            }
        });
        // The job must not commit while the transaction is open; it is
        // given time to (which it only takes when the lock is not held).
        let early = tokio::time::timeout(Duration::from_millis(500), &mut job).await;
        assert!(
            early.is_err(),
            "the writer thread committed inside another writer's transaction: {early:?}"
        );
        sqlx::query("INSERT INTO settings VALUES ('claim', '1')")
            .execute(&mut *claim)
            .await
            .expect("the transaction writes after its read");
        claim.commit().await.expect("commit");
        let inserted = job
            .await
            .expect("join")
            .expect("the writer thread's job commits");
        assert_eq!(inserted, 1);
        assert_eq!(settings(&store).await, ["claim", "thread"]);
    }

    /// A job that fails writes nothing, and the next job commits.
    #[tokio::test]
    async fn a_failed_job_writes_nothing_and_the_next_one_commits() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = store_in(&dir).await;
        let failed = store
            .writer_thread
            .transaction(|transaction| {
                transaction.execute("INSERT INTO settings VALUES ('first', '1')", [])?;
                transaction.execute("INSERT INTO settings VALUES ('first', '2')", [])
            })
            .await;
        assert!(matches!(failed, Err(StoreError::Sqlite(_))), "{failed:?}");
        assert!(
            settings(&store).await.is_empty(),
            "a failed job left rows behind"
        );
        store
            .writer_thread
            .transaction(|transaction| {
                transaction.execute("INSERT INTO settings VALUES ('second', '1')", [])
            })
            .await
            .expect("the next job commits");
        assert_eq!(settings(&store).await, ["second"]);
    }

    /// The settings every connection of the store runs with, as SQLite
    /// reports them: (synchronous, journal_mode, foreign_keys,
    /// wal_autocheckpoint).
    async fn pragmas(pool: &SqlitePool) -> (i64, String, i64, i64) {
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
        let autocheckpoint: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(&mut *connection)
            .await
            .expect("wal_autocheckpoint");
        (synchronous, journal, foreign_keys, autocheckpoint)
    }

    /// What was committed survives a power cut: every write is fsynced at
    /// commit (`synchronous=FULL`, 2) in WAL mode, on the writer as `serve`
    /// opens it, on a writer that replaced a broken one, on the readers, and on
    /// the writer thread's connection; and none copies the log back in its
    /// own commits before the longer bound (a connection left at SQLite's
    /// default would, at every commit once the log passed 1,000 pages). The
    /// writer thread's connection has no automatic checkpoint at all (0):
    /// its WAL hook wakes the checkpointer thread instead.
    #[tokio::test]
    async fn every_connection_commits_with_synchronous_full_in_wal_mode() {
        let dir = tempfile::tempdir().expect("a directory");
        let url = format!("sqlite://{}", dir.path().join("wagate.db").display());
        let store = SqliteStore::open(&url).await.expect("the store");
        let full = (
            2,
            "wal".to_owned(),
            1,
            i64::from(writer::WAL_COPY_INLINE_PAGES),
        );
        assert_eq!(pragmas(&store.writer).await, full, "the writer");
        // The writer a failed transaction leaves behind is replaced by a
        // fresh connection with the same settings.
        {
            let mut connection = store.writer.acquire().await.expect("the writer");
            sqlx::query("BEGIN")
                .execute(&mut *connection)
                .await
                .expect("begin");
        }
        assert_eq!(pragmas(&store.writer).await, full, "a replaced writer");
        assert_eq!(pragmas(&store.reader).await, full, "a reader");
        let thread = store
            .writer_thread
            .transaction(|transaction| {
                let synchronous: i64 =
                    transaction.query_row("PRAGMA synchronous", [], |row| row.get(0))?;
                let journal: String =
                    transaction.query_row("PRAGMA journal_mode", [], |row| row.get(0))?;
                let foreign_keys: i64 =
                    transaction.query_row("PRAGMA foreign_keys", [], |row| row.get(0))?;
                let autocheckpoint: i64 =
                    transaction.query_row("PRAGMA wal_autocheckpoint", [], |row| row.get(0))?;
                Ok::<_, rusqlite::Error>((synchronous, journal, foreign_keys, autocheckpoint))
            })
            .await
            .expect("the writer thread's settings");
        assert_eq!(thread, (2, "wal".to_owned(), 1, 0), "the writer thread");
    }
}
