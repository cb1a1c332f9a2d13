//! The writer thread's shared transactions: the jobs waiting together commit
//! once, a failing or panicking job loses only its own rows, a failed commit
//! answers every job with its error; and who copies its log back (the
//! checkpointer thread, or a commit past its own bound).
//!
//! And the turns of the other writer, between the thread's transactions.
//!
//! The tests of shared transactions hold the thread with a first job that
//! waits until the jobs under test are queued, so that they are taken by
//! one transaction.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::task::JoinHandle;

use super::{LogBounds, QUEUE_DEPTH, Writer};
use crate::store::{StoreError, StoreResult};

/// A database with a table of names, each naming a parent whose existence
/// is checked only at `COMMIT` (a deferred foreign key).
fn database(dir: &tempfile::TempDir) -> PathBuf {
    let path = dir.path().join("writer.db");
    let connection = Connection::open(&path).expect("the database");
    connection
        .execute_batch(
            "CREATE TABLE parents (id TEXT PRIMARY KEY);
             INSERT INTO parents VALUES ('p');
             CREATE TABLE names (name TEXT PRIMARY KEY,
                 parent TEXT REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED);",
        )
        .expect("the schema");
    path
}

/// The committed names, read on a connection of their own.
fn committed(path: &Path) -> Vec<String> {
    let connection = Connection::open(path).expect("a reader");
    let mut statement = connection
        .prepare("SELECT name FROM names ORDER BY name")
        .expect("the query");
    statement
        .query_map([], |row| row.get(0))
        .expect("the names")
        .collect::<Result<_, _>>()
        .expect("a name")
}

fn insert(connection: &Connection, name: &str, parent: &str) -> rusqlite::Result<()> {
    connection.execute("INSERT INTO names VALUES (?1, ?2)", [name, parent])?;
    Ok(())
}

/// Makes the thread run a job that waits (once it runs) until the returned
/// sender is dropped; returns when the job runs.
async fn hold(writer: &Arc<Writer>) -> std::sync::mpsc::Sender<()> {
    let (started, mut running) = tokio::sync::mpsc::unbounded_channel();
    let (release, held) = std::sync::mpsc::channel::<()>();
    let held = std::sync::Mutex::new(held);
    let writer = Arc::clone(writer);
    tokio::spawn(async move {
        writer
            .transaction(move |_| {
                let _ = started.send(());
                if let Ok(held) = held.lock() {
                    let _ = held.recv();
                }
                Ok::<_, rusqlite::Error>(())
            })
            .await
    });
    running.recv().await.expect("the holding job runs");
    release
}

/// A writer on a fresh database, its thread held (see [`hold`]); the
/// directory lives as long as the returned guard.
async fn held_writer() -> (
    tempfile::TempDir,
    PathBuf,
    Arc<Writer>,
    std::sync::mpsc::Sender<()>,
) {
    let dir = tempfile::tempdir().expect("a directory");
    let path = database(&dir);
    let writer = Arc::new(Writer::start(&path, LogBounds::default()).expect("the writer"));
    let release = hold(&writer).await;
    (dir, path, writer, release)
}

/// A job inserting `name` that counts its runs in `runs` and returns
/// how many it has had.
fn counted_insert(
    runs: &Arc<AtomicUsize>,
    name: &'static str,
) -> impl Fn(&Connection) -> rusqlite::Result<usize> + Send + 'static {
    let runs = Arc::clone(runs);
    move |connection| {
        insert(connection, name, "p")?;
        Ok(runs.fetch_add(1, Ordering::SeqCst) + 1)
    }
}

/// SQLite's code of the error a job answered.
fn sqlite_code<T: std::fmt::Debug>(answer: StoreResult<T>) -> rusqlite::ErrorCode {
    match answer {
        Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(error, _))) => error.code,
        other => panic!("not SQLite's error: {other:?}"),
    }
}

/// Nothing is committed, and the next transaction commits.
async fn nothing_kept_and_the_next_commits(writer: &Writer, path: &Path) {
    assert!(committed(path).is_empty(), "{:?}", committed(path));
    writer
        .transaction(|connection| insert(connection, "next", "p"))
        .await
        .expect("the next transaction commits");
    assert_eq!(committed(path), ["next"]);
}

/// Queues `work` and returns once it waits in the queue (behind `waiting`
/// others), so that jobs queued one by one run in that order.
async fn queue<T, F>(writer: &Arc<Writer>, waiting: usize, work: F) -> JoinHandle<StoreResult<T>>
where
    T: Send + 'static,
    F: Fn(&Connection) -> rusqlite::Result<T> + Send + 'static,
{
    let job = tokio::spawn({
        let writer = Arc::clone(writer);
        async move { writer.transaction(work).await }
    });
    queued(writer, waiting).await;
    job
}

/// Returns once `waiting` + 1 items wait in the thread's queue.
async fn queued(writer: &Writer, waiting: usize) {
    let jobs = writer.thread.sender().expect("the queue");
    let deadline = Instant::now() + Duration::from_secs(10);
    while jobs.capacity() > QUEUE_DEPTH - waiting - 1 {
        assert!(Instant::now() < deadline, "nothing was queued");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// The sqlx writer's turn comes in queue order: the jobs queued before it
/// commit first; while the turn lasts the thread holds no lock (another
/// connection writes at once) and runs none of the jobs queued after it,
/// which run once the turn ends.
#[tokio::test]
async fn the_thread_makes_way_for_the_other_writer_in_queue_order() {
    let (_dir, path, writer, release) = held_writer().await;
    let before = queue(&writer, 0, |connection| insert(connection, "before", "p")).await;
    let turn = tokio::spawn({
        let writer = Arc::clone(&writer);
        async move { writer.make_way().await }
    });
    queued(&writer, 1).await;
    let after = queue(&writer, 2, |connection| insert(connection, "after", "p")).await;
    drop(release);
    let way = turn.await.expect("join").expect("the thread makes way");
    before.await.expect("join").expect("the job before commits");
    assert_eq!(committed(&path), ["before"]);
    let other = Connection::open(&path).expect("another connection");
    other.busy_timeout(Duration::ZERO).expect("no busy timeout");
    other
        .execute_batch("BEGIN IMMEDIATE; INSERT INTO names VALUES ('other', 'p'); COMMIT")
        .expect("the lock is free during the turn");
    assert!(!after.is_finished(), "a job ran during the turn");
    assert_eq!(committed(&path), ["before", "other"]);
    drop(way);
    after.await.expect("join").expect("the job after commits");
    assert_eq!(committed(&path), ["after", "before", "other"]);
}

/// Every job taken together answers only after the one commit: none sees
/// another's rows committed while it runs, and each one's row is there
/// once it has its answer.
#[tokio::test]
async fn the_waiting_jobs_commit_once_and_answer_after_the_commit() {
    let (_dir, path, writer, release) = held_writer().await;
    let mut jobs = Vec::new();
    for index in 0..20 {
        let name = format!("job{index:02}");
        let reader = path.clone();
        let job = queue(&writer, index, move |connection| {
            insert(connection, &name, "p")?;
            Ok(committed(&reader).len())
        })
        .await;
        jobs.push((format!("job{index:02}"), job));
    }
    drop(release);
    for (name, job) in jobs {
        let seen = job.await.expect("join").expect("the job commits");
        assert_eq!(seen, 0, "{name} ran after other jobs had committed");
        assert!(
            committed(&path).contains(&name),
            "{name} was answered before its row was committed"
        );
    }
    assert_eq!(committed(&path).len(), 20);
}

/// A job that fails among others answers its error and leaves none of its
/// rows; the jobs before and after it commit.
#[tokio::test]
async fn a_failing_job_loses_only_its_own_rows() {
    let (_dir, path, writer, release) = held_writer().await;
    let before = queue(&writer, 0, |connection| insert(connection, "before", "p")).await;
    let failing = queue(&writer, 1, |connection| {
        insert(connection, "failing", "p")?;
        insert(connection, "failing", "p")
    })
    .await;
    let after = queue(&writer, 2, |connection| insert(connection, "after", "p")).await;
    drop(release);
    before.await.expect("join").expect("the job before commits");
    let failed = failing.await.expect("join");
    assert!(matches!(failed, Err(StoreError::Sqlite(_))), "{failed:?}");
    after.await.expect("join").expect("the job after commits");
    assert_eq!(committed(&path), ["after", "before"]);
}

/// The jobs before a failing one run again in a new transaction: their rows
/// are committed once, and each answers what its last run returned.
#[tokio::test]
async fn the_jobs_before_a_failing_one_run_again_and_commit_once() {
    let (_dir, path, writer, release) = held_writer().await;
    let runs = Arc::new(AtomicUsize::new(0));
    let before = queue(&writer, 0, counted_insert(&runs, "before")).await;
    let failing = queue(&writer, 1, |connection| insert(connection, "before", "p")).await;
    drop(release);
    assert_eq!(before.await.expect("join").expect("the job commits"), 2);
    let failed = failing.await.expect("join");
    assert!(matches!(failed, Err(StoreError::Sqlite(_))), "{failed:?}");
    assert_eq!(committed(&path), ["before"]);
}

/// A job under which SQLite rolls the whole transaction back (as it may on
/// a full disk; here the job does so itself) fails the others too, without
/// running them again: the transaction they shared is gone.
#[tokio::test]
async fn a_job_under_which_sqlite_rolled_back_fails_every_job() {
    let (_dir, path, writer, release) = held_writer().await;
    let runs = Arc::new(AtomicUsize::new(0));
    let before = queue(&writer, 0, counted_insert(&runs, "before")).await;
    let rolling_back = queue(&writer, 1, |connection| {
        insert(connection, "rolled", "p")?;
        connection.execute_batch("ROLLBACK")?;
        Err::<(), _>(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            None,
        ))
    })
    .await;
    let after = queue(&writer, 2, counted_insert(&runs, "after")).await;
    drop(release);
    // The job its own error, the others that the transaction is gone.
    assert_eq!(
        sqlite_code(rolling_back.await.expect("join")),
        rusqlite::ErrorCode::DiskFull
    );
    for job in [before, after] {
        assert_eq!(
            sqlite_code(job.await.expect("join")),
            rusqlite::ErrorCode::OperationAborted
        );
    }
    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "before ran once, after never"
    );
    nothing_kept_and_the_next_commits(&writer, &path).await;
}

/// A job that panics loses its rows and its answer, not the others'.
#[tokio::test]
async fn a_panicking_job_loses_only_its_own_rows() {
    let (_dir, path, writer, release) = held_writer().await;
    let before = queue(&writer, 0, |connection| insert(connection, "before", "p")).await;
    let panicking = queue(&writer, 1, |connection| {
        insert(connection, "panicking", "p")?;
        panic!("a job panics on purpose");
    })
    .await;
    let after = queue(&writer, 2, |connection| insert(connection, "after", "p")).await;
    drop(release);
    before.await.expect("join").expect("the job before commits");
    let panicked: StoreResult<()> = panicking.await.expect("join");
    assert!(
        matches!(panicked, Err(StoreError::Writer(_))),
        "{panicked:?}"
    );
    after.await.expect("join").expect("the job after commits");
    assert_eq!(committed(&path), ["after", "before"]);
}

/// When the commit fails (here a deferred foreign key, checked only then),
/// every job of the transaction answers its error and nothing is kept; the
/// next transaction commits.
#[tokio::test]
async fn a_failed_commit_fails_every_job_of_the_transaction() {
    let (_dir, path, writer, release) = held_writer().await;
    let fine = queue(&writer, 0, |connection| insert(connection, "fine", "p")).await;
    let orphan = queue(&writer, 1, |connection| {
        insert(connection, "orphan", "none")
    })
    .await;
    drop(release);
    for job in [fine, orphan] {
        let answer = job.await.expect("join");
        assert!(matches!(answer, Err(StoreError::Sqlite(_))), "{answer:?}");
    }
    nothing_kept_and_the_next_commits(&writer, &path).await;
}

/// A cached statement with a `LIMIT ?` runs again under a new limit without
/// being prepared again (each claim binds its own limit).
#[tokio::test]
async fn a_cached_statement_is_not_prepared_again_for_a_new_limit() {
    let dir = tempfile::tempdir().expect("a directory");
    let path = database(&dir);
    let writer = Writer::start(&path, LogBounds::default()).expect("the writer");
    let reprepared = writer
        .transaction(|connection| {
            for name in ["a", "b", "c"] {
                insert(connection, name, "p")?;
            }
            const FIRST: &str = "SELECT name FROM names ORDER BY name LIMIT ?1";
            let mut counts = Vec::new();
            for limit in [1, 2, 3, 1] {
                let mut statement = connection.prepare_cached(FIRST)?;
                let names: Vec<String> = statement
                    .query_map([limit], |row| row.get(0))?
                    .collect::<Result<_, _>>()?;
                counts.push(names.len());
                assert_eq!(
                    statement.get_status(rusqlite::StatementStatus::RePrepare),
                    0,
                    "prepared again for LIMIT {limit}"
                );
            }
            Ok::<_, rusqlite::Error>(counts)
        })
        .await
        .expect("the job");
    assert_eq!(reprepared, [1, 2, 3, 1]);
}

/// Statement journals stay in memory: a transaction makes no temporary
/// file (SQLite's `temp_store` 2 is MEMORY).
#[tokio::test]
async fn statement_journals_stay_in_memory() {
    let dir = tempfile::tempdir().expect("a directory");
    let path = database(&dir);
    let writer = Writer::start(&path, LogBounds::default()).expect("the writer");
    let temp_store = writer
        .transaction(|connection| {
            connection.query_row("PRAGMA temp_store", [], |row| row.get::<_, i64>(0))
        })
        .await
        .expect("the job");
    assert_eq!(temp_store, 2);
}

/// Commits some 40 pages of rows in one transaction of the writer thread.
async fn write_pages(writer: &Writer) {
    writer
        .transaction(|connection| {
            for index in 0..150 {
                let name = format!("{index:03}{}", "x".repeat(1000));
                insert(connection, &name, "p")?;
            }
            Ok::<_, rusqlite::Error>(())
        })
        .await
        .expect("the rows commit");
}

/// The database file's length: it grows only when the log is copied back.
fn file_length(path: &Path) -> u64 {
    std::fs::metadata(path).expect("the database file").len()
}

/// Past `checkpoint_from` pages, the checkpointer thread copies the log back
/// into the database file; the writer's commits do not (their own bound is
/// out of reach here), and with neither bound reached nothing is copied.
#[tokio::test]
async fn the_checkpointer_thread_copies_the_log_back() {
    let dir = tempfile::tempdir().expect("a directory");
    let path = database(&dir);
    let never = LogBounds {
        checkpoint_from: u32::MAX,
        copy_inline_from: u32::MAX,
    };
    let writer = Writer::start(&path, never).expect("the writer");
    let before = file_length(&path);
    write_pages(&writer).await;
    // A reader stays in the database, so that the writer's connection,
    // closing, is not the last one (which would copy the log back);
    // dropping the writer waits for its threads, so any copy they began
    // has landed.
    let reader = Connection::open(&path).expect("a reader");
    reader
        .execute_batch("BEGIN; SELECT count(*) FROM names;")
        .expect("a read transaction");
    drop(writer);
    assert_eq!(
        file_length(&path),
        before,
        "copied back with no bound reached"
    );

    let dir = tempfile::tempdir().expect("a directory");
    let path = database(&dir);
    let checkpointer = LogBounds {
        checkpoint_from: 10,
        copy_inline_from: u32::MAX,
    };
    let writer = Writer::start(&path, checkpointer).expect("the writer");
    let before = file_length(&path);
    write_pages(&writer).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while file_length(&path) <= before {
        assert!(Instant::now() < deadline, "the log was not copied back");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(committed(&path).len(), 150);
}

/// Should the checkpointer fall behind, a commit that leaves the log past
/// `copy_inline_from` pages copies it back itself before it answers.
#[tokio::test]
async fn a_commit_copies_a_long_log_back_itself() {
    let dir = tempfile::tempdir().expect("a directory");
    let path = database(&dir);
    let inline = LogBounds {
        checkpoint_from: u32::MAX,
        copy_inline_from: 10,
    };
    let writer = Writer::start(&path, inline).expect("the writer");
    let before = file_length(&path);
    write_pages(&writer).await;
    assert!(
        file_length(&path) > before,
        "the commit did not copy the log back"
    );
}
