//! Copying the write-ahead log back into the database file, mostly beside
//! the writer thread rather than inside its commits.
//!
//! SQLite's own automatic checkpoint runs in the commit that finds the log
//! past its length: that commit reads every page the log holds, writes it
//! into the database file and fsyncs the file, and the writer thread, with
//! every caller waiting on it, waits the while. Here the writer thread's
//! connection notes the log's length after each commit (a WAL hook, the
//! same place SQLite's automatic checkpoint hooks into) and, once it passes
//! [`LogBounds::checkpoint_from`], wakes a thread of its own that runs a
//! `PASSIVE` checkpoint on a connection of its own: it copies the log as it
//! stood when it began, while the writer goes on appending.
//!
//! SQLite starts the log again from its beginning only at a write
//! transaction that finds every page of it copied, which the writer's own
//! commits meanwhile never leave so. So once the thread has copied all the
//! log held when it began, the writer thread, between two transactions,
//! copies what was committed since (the commits of one copy's duration,
//! where the copy was ten thousand pages): its next transaction then starts
//! the log again (unless a reader still reads from the log, as with
//! SQLite's own checkpoints). A copy that readers held back short of the
//! end is not followed by the writer's: the next wake-up tries again.
//!
//! Bounded: should the checkpointer fall behind, the writer's commit copies
//! the log back itself once it holds [`LogBounds::copy_inline_from`] pages,
//! as SQLite would by default.

use std::cell::Cell;
use std::ffi::c_int;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use rusqlite::Connection;
use rusqlite::hooks::{CheckpointMode, Wal};

use crate::store::sqlite::fed_thread::FedThread;
use crate::store::{StoreError, StoreResult};

/// When the log is copied back, in pages of the log.
#[derive(Debug, Clone, Copy)]
pub struct LogBounds {
    /// The length past which the checkpointer thread is woken.
    pub checkpoint_from: u32,
    /// The length past which the writer's commit copies the log back
    /// itself (the checkpointer has fallen behind, or cannot start).
    pub copy_inline_from: u32,
}

/// The passive checkpoint both threads run: it copies what no reader still
/// needs from the log, and neither waits for nor blocks the writer.
const CHECKPOINT: &str = "PRAGMA wal_checkpoint(PASSIVE)";

thread_local! {
    /// The log's length after the writer thread's last commit (set by its
    /// WAL hook, which runs on this thread inside the commit).
    static LOG_PAGES: Cell<u32> = const { Cell::new(0) };
    /// [`LogBounds::copy_inline_from`] of the writer thread running here.
    static COPY_INLINE_FROM: Cell<u32> = const { Cell::new(u32::MAX) };
    /// Whether this thread's commits have said, since the log was last
    /// under that bound, that they copy it back themselves.
    static WARNED: Cell<bool> = const { Cell::new(false) };
}

/// Makes `connection` note the log's length after each of its commits
/// instead of checkpointing at SQLite's default length; it copies the log
/// back itself only past the length [`Checkpointer::on_this_thread`] set on
/// the thread that commits.
pub fn install_wal_hook(connection: &Connection) {
    connection.wal_hook(Some(note_log_length));
}

/// The WAL hook: runs inside each commit of the writer thread's connection.
fn note_log_length(wal: &Wal, pages: c_int) -> rusqlite::Result<()> {
    let pages = u32::try_from(pages).unwrap_or(0);
    LOG_PAGES.set(pages);
    if pages < COPY_INLINE_FROM.get() {
        WARNED.set(false);
        return Ok(());
    }
    if !WARNED.replace(true) {
        tracing::warn!(
            pages,
            "the SQLite log is long: the writer's commits copy it back themselves"
        );
    }
    match wal.checkpoint_v2(CheckpointMode::PASSIVE) {
        Ok(_) => {}
        // The checkpointer is copying: the log is being copied already.
        Err(rusqlite::Error::SqliteFailure(error, _))
            if error.code == rusqlite::ErrorCode::DatabaseBusy =>
        {
            tracing::debug!("the SQLite checkpointer is copying the log");
        }
        Err(error) => tracing::warn!(%error, "copying the SQLite log back failed"),
    }
    Ok(())
}

/// A handle on the checkpointer thread, kept by the writer thread; dropping
/// it ends the thread, after the checkpoint it may be running and the one
/// a wake-up still queued asks for (copies of up to the whole log: the drop
/// waits for them).
pub struct Checkpointer {
    bounds: LogBounds,
    /// The thread, woken through its channel; the channel is closed once
    /// the thread is found gone: the commits' own bound then keeps the log
    /// short.
    thread: FedThread<SyncSender<()>>,
    /// Set by the thread when it has copied all the log held when its copy
    /// began, taken by the writer.
    copied: Arc<AtomicBool>,
    /// Checkpoints the thread has finished, whatever they copied (the
    /// thread logs the count as it ends; the tests wait on it).
    #[cfg(test)]
    finished: Arc<AtomicU64>,
}

impl Checkpointer {
    /// Starts the thread, with a connection of its own to the database
    /// file at `path` (in WAL mode already).
    pub fn start(path: &Path, bounds: LogBounds) -> StoreResult<Self> {
        let connection = open(path)?;
        // One wake-up waiting is enough: a checkpoint copies all the log
        // that no reader holds back.
        let (wake, woken) = sync_channel(1);
        let copied = Arc::new(AtomicBool::new(false));
        let finished = Arc::new(AtomicU64::new(0));
        let thread = FedThread::start(
            "sqlite-checkpoint",
            wake,
            {
                let path = path.to_owned();
                let copied = copied.clone();
                let finished = finished.clone();
                move || run(&path, connection, &woken, &copied, &finished)
            },
            StoreError::Writer("could not start its checkpointer"),
        )?;
        Ok(Self {
            bounds,
            thread,
            copied,
            #[cfg(test)]
            finished,
        })
    }

    /// Sets the bound on the log for the commits of the calling thread (the
    /// writer thread's, where the WAL hook runs).
    pub fn on_this_thread(&self) {
        COPY_INLINE_FROM.set(self.bounds.copy_inline_from);
    }

    /// Runs on the writer thread after each of its transactions: copies
    /// what was committed since the checkpointer copied the log (so that
    /// the next transaction starts the log again), or wakes the
    /// checkpointer once the log is long.
    pub fn after_transaction(&mut self, connection: &Connection) {
        // Inside a transaction SQLite left open, a checkpoint cannot run:
        // the copy waits for the next transaction's end.
        if connection.is_autocommit() && self.copied.swap(false, Ordering::AcqRel) {
            match connection.query_row(CHECKPOINT, [], |row| row.get::<_, i64>(0)) {
                Ok(0) => {}
                // The checkpointer is copying again: after the next one.
                Ok(_busy) => self.copied.store(true, Ordering::Release),
                Err(error) => {
                    tracing::warn!(%error, "copying the SQLite log's last pages back failed");
                }
            }
        } else if LOG_PAGES.get() >= self.bounds.checkpoint_from {
            self.wake();
        }
    }

    /// Asks for a checkpoint soon, unless one is asked for already.
    fn wake(&mut self) {
        if let Some(wake) = self.thread.sender()
            && let Err(TrySendError::Disconnected(())) = wake.try_send(())
        {
            tracing::error!(
                "the SQLite checkpointer thread has stopped: the writer's commits copy the log back past their bound"
            );
            self.thread.close();
        }
    }
}

/// A connection that fsyncs what it copies (`synchronous=FULL`) and waits
/// for a lock rather than fail at once (reading the schema may need one).
fn open(path: &Path) -> StoreResult<Connection> {
    let connection = Connection::open(path)?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.busy_timeout(super::BUSY_TIMEOUT)?;
    Ok(connection)
}

/// The thread: a checkpoint each time it is woken, until the writer goes
/// away; says when it has copied all the log held when it began, and
/// counts the checkpoints it finished.
fn run(
    path: &Path,
    mut connection: Connection,
    woken: &Receiver<()>,
    copied: &AtomicBool,
    finished: &AtomicU64,
) {
    while woken.recv().is_ok() {
        // (busy, pages in the log when the copy began, pages of it copied
        // so far in all): busy when another checkpoint was running.
        let result = connection.query_row(CHECKPOINT, [], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, i64>(2)?,
            ))
        });
        match result {
            Ok((busy, log_pages, copied_pages)) => {
                tracing::debug!(busy, log_pages, copied_pages, "SQLite log copied back");
                if busy == 0 && log_pages > 0 && copied_pages == log_pages {
                    copied.store(true, Ordering::Release);
                    // Wake-ups sent during this copy asked for what it did.
                    while woken.try_recv().is_ok() {}
                }
            }
            Err(error) => {
                tracing::error!(%error, "copying the SQLite log back failed");
                match open(path) {
                    Ok(fresh) => connection = fresh,
                    Err(error) => {
                        tracing::error!(%error, "reopening the SQLite checkpointer's connection failed");
                    }
                }
            }
        }
        finished.fetch_add(1, Ordering::Release);
    }
    tracing::debug!(
        checkpoints = finished.load(Ordering::Acquire),
        "the SQLite checkpointer thread stopped"
    );
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    /// A database in WAL mode with a table, and the writer's connection to
    /// it with the WAL hook.
    fn database(dir: &tempfile::TempDir) -> (std::path::PathBuf, Connection) {
        let path = dir.path().join("log.db");
        let connection = Connection::open(&path).expect("the database");
        connection
            .query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .expect("WAL");
        connection
            .execute_batch("CREATE TABLE rows (body TEXT)")
            .expect("the schema");
        install_wal_hook(&connection);
        (path, connection)
    }

    /// Commits a few pages.
    fn commit(connection: &Connection) {
        connection
            .execute("INSERT INTO rows VALUES (?1)", ["x".repeat(10_000)])
            .expect("a row");
    }

    /// The log's checkpoint sequence number (bytes 12–15 of its header),
    /// which SQLite counts up each time it starts the log again from its
    /// beginning.
    fn log_restarts(path: &Path) -> u32 {
        let mut log = path.as_os_str().to_owned();
        log.push("-wal");
        let header = std::fs::read(log).expect("the log");
        header
            .get(12..16)
            .and_then(|bytes| bytes.try_into().ok())
            .map_or(0, u32::from_be_bytes)
    }

    /// Begins a read on a connection of its own, holding every checkpoint
    /// back to the log as it is now.
    fn hold_checkpoints(path: &Path) -> Connection {
        let reader = Connection::open(path).expect("a reader");
        reader
            .execute_batch("BEGIN; SELECT count(*) FROM rows;")
            .expect("a read transaction");
        reader
    }

    /// Polls `done` until it holds, for ten seconds at most.
    fn wait_until(what: &str, done: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(Instant::now() < deadline, "{what}");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// A database whose log holds two commits, the second held back from
    /// any checkpoint by a reader (returned, reading), with the writer's
    /// connection and a checkpointer within `bounds` (for this thread's
    /// commits).
    struct HeldBack {
        _dir: tempfile::TempDir,
        path: std::path::PathBuf,
        writer: Connection,
        checkpointer: Checkpointer,
        reader: Connection,
    }

    fn held_back(bounds: LogBounds) -> HeldBack {
        let dir = tempfile::tempdir().expect("a directory");
        let (path, writer) = database(&dir);
        let checkpointer = Checkpointer::start(&path, bounds).expect("the checkpointer");
        checkpointer.on_this_thread();
        commit(&writer);
        let reader = hold_checkpoints(&path);
        commit(&writer);
        HeldBack {
            _dir: dir,
            path,
            writer,
            checkpointer,
            reader,
        }
    }

    /// The checkpointer says it has copied the log only when it copied all
    /// the log held when it began: not when a reader held it back.
    #[test]
    fn the_checkpointer_says_so_only_when_it_copied_the_whole_log() {
        let mut held = held_back(LogBounds {
            checkpoint_from: 1,
            copy_inline_from: u32::MAX,
        });
        let length = std::fs::metadata(&held.path).expect("the file").len();
        // Woken once the log is past its bound (1 page here).
        held.checkpointer.after_transaction(&held.writer);
        wait_until("the checkpointer finished no checkpoint", || {
            held.checkpointer.finished.load(Ordering::Acquire) > 0
        });
        assert!(
            std::fs::metadata(&held.path).expect("the file").len() > length,
            "the checkpointer copied nothing"
        );
        assert!(
            !held.checkpointer.copied.load(Ordering::Acquire),
            "said all was copied while a reader held the copy back"
        );
        drop(held.reader);
        commit(&held.writer);
        held.checkpointer.after_transaction(&held.writer);
        wait_until("never said the log was copied", || {
            held.checkpointer.copied.load(Ordering::Acquire)
        });
    }

    /// Once told the log was copied, the writer copies the pages committed
    /// since itself (here those a reader had held back, standing for the
    /// commits made during the copy): its next transaction starts the log
    /// again, which it does not while pages are left.
    #[test]
    fn the_writer_copies_the_last_pages_so_that_the_log_starts_again() {
        let mut held = held_back(LogBounds {
            checkpoint_from: u32::MAX,
            copy_inline_from: u32::MAX,
        });
        Connection::open(&held.path)
            .expect("a connection")
            .query_row(CHECKPOINT, [], |_| Ok(()))
            .expect("a copy up to the reader's");
        drop(held.reader);
        let before = log_restarts(&held.path);
        commit(&held.writer);
        assert_eq!(
            log_restarts(&held.path),
            before,
            "started again, not all copied"
        );

        held.checkpointer.copied.store(true, Ordering::Release);
        held.checkpointer.after_transaction(&held.writer);
        commit(&held.writer);
        assert_eq!(
            log_restarts(&held.path),
            before.wrapping_add(1),
            "the log did not start again after the last pages were copied"
        );
    }

    /// Inside a transaction SQLite left open, the writer does not copy: it
    /// keeps the copy for after the next transaction.
    #[test]
    fn the_writer_keeps_its_copy_for_after_an_open_transaction() {
        let mut held = held_back(LogBounds {
            checkpoint_from: u32::MAX,
            copy_inline_from: u32::MAX,
        });
        drop(held.reader);
        held.checkpointer.copied.store(true, Ordering::Release);
        held.writer.execute_batch("BEGIN").expect("begin");
        held.checkpointer.after_transaction(&held.writer);
        assert!(
            held.checkpointer.copied.load(Ordering::Acquire),
            "the copy was dropped inside a transaction"
        );
        held.writer.execute_batch("ROLLBACK").expect("rollback");
        let before = log_restarts(&held.path);
        held.checkpointer.after_transaction(&held.writer);
        assert!(!held.checkpointer.copied.load(Ordering::Acquire));
        commit(&held.writer);
        assert_eq!(log_restarts(&held.path), before.wrapping_add(1));
    }
}
