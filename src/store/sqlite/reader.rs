//! The SQLite reader thread: one OS thread owns a read-only rusqlite
//! connection and runs read jobs on it, each a closure inside one read
//! transaction (so its statements see one snapshot).
//!
//! sqlx's read pool hands every row of a result from its connection's
//! worker thread to the caller's task over a channel, and decodes it into a
//! row of its own first; for the reads that return many rows all the time
//! (the callback feed's events, messages and parts, a batch every few
//! milliseconds under load) those hops and copies cost more than SQLite's
//! own work. Here a whole read is one job: two wake-ups, however many
//! statements and rows it reads. The rarer reads stay on the sqlx pool.

use std::panic::AssertUnwindSafe;
use std::path::Path;

use rusqlite::{Connection, OpenFlags, Transaction};
use tokio::sync::{mpsc, oneshot};

use super::connection::{cache_statements, roll_back_or_reopen};
use super::fed_thread::FedThread;
use super::writer::BUSY_TIMEOUT;
use crate::store::{StoreError, StoreResult};

/// How many reads may wait for the thread; more wait in their tasks.
const QUEUE_DEPTH: usize = 16;

/// The thread's name.
const THREAD: &str = "sqlite-reader";

/// Prepared statements the connection keeps: room for every read the
/// thread runs.
const STATEMENT_CACHE: usize = 16;

/// A read waiting for the thread, its answer's channel inside.
type Read = Box<dyn FnOnce(&mut Connection) + Send>;

/// A handle on the reader thread; dropping it ends the thread once the
/// queued reads have run.
pub struct Reader {
    thread: FedThread<mpsc::Sender<Read>>,
}

impl Reader {
    /// Opens a read-only connection to the database file at `path` and
    /// starts the thread that owns it.
    pub fn start(path: &Path) -> StoreResult<Self> {
        let mut connection = open(path)?;
        let (reads, mut queue) = mpsc::channel::<Read>(QUEUE_DEPTH);
        let path = path.to_owned();
        let thread = FedThread::start(
            THREAD,
            reads,
            move || {
                while let Some(read) = queue.blocking_recv() {
                    // A read that panics drops its answer's channel (its
                    // caller hears so); the thread goes on with the next.
                    if std::panic::catch_unwind(AssertUnwindSafe(|| read(&mut connection))).is_err()
                    {
                        tracing::error!("a read on the SQLite reader thread panicked");
                    }
                    // A read transaction left open (its rollback failed)
                    // would pin its snapshot, and the log with it.
                    if !connection.is_autocommit() {
                        roll_back_or_reopen(THREAD, &mut connection, || open(&path));
                    }
                }
            },
            StoreError::Reader("could not be started"),
        )?;
        Ok(Self { thread })
    }

    /// Runs `read` on the reader thread inside one read transaction (one
    /// snapshot of the database) and returns what it returned.
    pub async fn snapshot<T, F>(&self, read: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> StoreResult<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Read = Box::new(move |connection| {
            let result = connection
                .transaction()
                .map_err(StoreError::from)
                .and_then(|snapshot| read(&snapshot));
            // A caller that went away needs no answer.
            let _ = reply.send(result);
        });
        let reads = self
            .thread
            .sender()
            .ok_or(StoreError::Reader("has stopped"))?;
        reads
            .send(job)
            .await
            .map_err(|_| StoreError::Reader("has stopped"))?;
        answer
            .await
            .map_err(|_| StoreError::Reader("dropped a read without answering"))?
    }
}

/// A read-only connection that waits for a lock as the writers do.
fn open(path: &Path) -> StoreResult<Connection> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    cache_statements(&connection, STATEMENT_CACHE)?;
    Ok(connection)
}

#[cfg(test)]
mod tests {
    //! The reader thread: a read sees one snapshot however long it takes,
    //! cannot write, and a read that panics leaves the thread to the next.

    use std::time::Duration;

    use rusqlite::{Connection, ffi};

    use super::Reader;
    use crate::store::StoreError;

    /// A database in WAL mode with a table of one number (in a directory
    /// that lives as long as the first value), a connection that writes
    /// to it, and a reader thread on it.
    fn started() -> (tempfile::TempDir, Connection, Reader) {
        let dir = tempfile::tempdir().expect("a directory");
        let path = dir.path().join("reader.db");
        let writer = Connection::open(&path).expect("the database");
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 CREATE TABLE numbers (n INTEGER);
                 INSERT INTO numbers VALUES (1);",
            )
            .expect("the schema");
        let reader = Reader::start(&path).expect("the reader thread");
        (dir, writer, reader)
    }

    fn count(connection: &Connection) -> rusqlite::Result<i64> {
        connection.query_row("SELECT COUNT(*) FROM numbers", [], |row| row.get(0))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_read_sees_one_snapshot_while_others_commit() {
        let (_dir, writer, reader) = started();
        let (counted, first_count) = std::sync::mpsc::channel();
        let (go_on, resume) = std::sync::mpsc::channel::<()>();
        let read = tokio::spawn(async move {
            reader
                .snapshot(move |snapshot| {
                    let before = count(snapshot)?;
                    let _ = counted.send(before);
                    // Waits until the test has committed another row.
                    let _ = resume.recv_timeout(Duration::from_secs(30));
                    Ok((before, count(snapshot)?))
                })
                .await
        });
        let before =
            tokio::task::spawn_blocking(move || first_count.recv_timeout(Duration::from_secs(30)))
                .await
                .expect("the wait")
                .expect("the read's first count");
        assert_eq!(before, 1);
        writer
            .execute("INSERT INTO numbers VALUES (2)", [])
            .expect("a commit meanwhile");
        go_on.send(()).expect("the read waits");
        let counts = read.await.expect("the read's task").expect("the read");
        assert_eq!(counts, (1, 1), "the second count saw the first's snapshot");
        assert_eq!(count(&writer).expect("count"), 2);
    }

    #[tokio::test]
    async fn the_reader_cannot_write() {
        let (_dir, writer, reader) = started();
        let written = reader
            .snapshot(|snapshot| Ok(snapshot.execute("INSERT INTO numbers VALUES (3)", [])?))
            .await;
        match written {
            Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(error, _))) => {
                assert_eq!(error.code, ffi::ErrorCode::ReadOnly);
            }
            other => panic!("a write on the reader answered {other:?}"),
        }
        assert_eq!(count(&writer).expect("count"), 1);
    }

    #[tokio::test]
    async fn a_connection_left_inside_a_transaction_is_rolled_back_before_the_next_read() {
        let (_dir, writer, reader) = started();
        // A job that leaves its own read transaction open, as a failed
        // rollback would.
        let (ran, has_run) = tokio::sync::oneshot::channel();
        let left_open: super::Read = Box::new(move |connection| {
            let began = connection.execute_batch("BEGIN; SELECT COUNT(*) FROM numbers;");
            let _ = ran.send(began.map(|()| connection.is_autocommit()));
        });
        reader
            .thread
            .sender()
            .expect("the queue")
            .send(left_open)
            .await
            .expect("the thread takes it");
        let autocommit = has_run.await.expect("the job ran").expect("BEGIN");
        assert!(!autocommit, "the job left its transaction open");
        writer
            .execute("INSERT INTO numbers VALUES (2)", [])
            .expect("a commit meanwhile");
        let counted = reader
            .snapshot(|snapshot| Ok(count(snapshot)?))
            .await
            .expect("the next read");
        assert_eq!(counted, 2, "the next read has a snapshot of its own");
    }

    #[tokio::test]
    async fn a_read_that_panics_leaves_the_thread_to_the_next() {
        let (_dir, _writer, reader) = started();
        let panicked = reader
            .snapshot(|_| -> Result<(), StoreError> { panic!("a read that panics") })
            .await;
        assert!(
            matches!(panicked, Err(StoreError::Reader(_))),
            "{panicked:?}"
        );
        let counted = reader
            .snapshot(|snapshot| Ok(count(snapshot)?))
            .await
            .expect("the next read");
        assert_eq!(counted, 1);
    }
}
