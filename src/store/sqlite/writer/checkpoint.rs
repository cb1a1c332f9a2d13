//! Copying the write-ahead log back into the database file, beside the
//! writer thread rather than inside its commits.
//!
//! SQLite's own automatic checkpoint runs in the commit that finds the log
//! past its length: that commit reads every page the log holds, writes it
//! into the database file and fsyncs the file, and the writer thread, with
//! every caller waiting on it, waits the while. Here the writer thread's
//! connection notes the log's length after each commit (a WAL hook, the
//! same place SQLite's automatic checkpoint hooks into) and, once it passes
//! [`LogBounds::checkpoint_from`], wakes a thread of its own that runs a
//! `PASSIVE` checkpoint on a connection of its own: it copies what every
//! reader has moved past while the writer goes on appending, and the writer
//! starts the log again from its beginning at a later transaction once all
//! of it is copied (as it does after its own checkpoints).
//!
//! Bounded: should the checkpointer fall behind, the writer's commit copies
//! the log back itself once it holds [`LogBounds::copy_inline_from`] pages,
//! as SQLite would by default.

use std::cell::Cell;
use std::ffi::c_int;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use rusqlite::Connection;
use rusqlite::hooks::{CheckpointMode, Wal};

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

thread_local! {
    /// The log's length after the writer thread's last commit (set by its
    /// WAL hook, which runs on this thread inside the commit).
    static LOG_PAGES: Cell<u32> = const { Cell::new(0) };
    /// [`LogBounds::copy_inline_from`] of the writer thread running here.
    static COPY_INLINE_FROM: Cell<u32> = const { Cell::new(u32::MAX) };
}

/// Makes `connection` note the log's length after each of its commits
/// instead of checkpointing at SQLite's default length; it copies the log
/// back itself only past the length [`copy_inline_from`] set on the thread
/// that commits.
pub fn hook(connection: &Connection) {
    connection.wal_hook(Some(note_log_length));
}

/// Sets, for the commits this thread runs, the log's length past which a
/// commit copies the log back itself.
pub fn copy_inline_from(pages: u32) {
    COPY_INLINE_FROM.set(pages);
}

/// The WAL hook: runs inside each commit of the writer thread's connection.
fn note_log_length(wal: &Wal, pages: c_int) -> rusqlite::Result<()> {
    let pages = u32::try_from(pages).unwrap_or(0);
    LOG_PAGES.set(pages);
    if pages >= COPY_INLINE_FROM.get() {
        tracing::warn!(
            pages,
            "the SQLite log is long: this commit copies it back itself"
        );
        // Busy (the checkpointer is copying) is no error: the log is being
        // copied already.
        if let Err(error) = wal.checkpoint_v2(CheckpointMode::PASSIVE) {
            tracing::warn!(%error, "copying the SQLite log back failed");
        }
    }
    Ok(())
}

/// The log's length after this thread's last commit, per its WAL hook.
pub fn log_pages() -> u32 {
    LOG_PAGES.get()
}

/// A handle on the checkpointer thread; dropping it ends the thread (after
/// the checkpoint it may be running).
pub struct Checkpointer {
    wake: Option<SyncSender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread, with a connection of its own to the database
    /// file at `path` (in WAL mode already).
    pub fn start(path: &Path) -> StoreResult<Self> {
        let connection = open(path)?;
        // One wake-up waiting is enough: a checkpoint copies the whole log.
        let (wake, woken) = sync_channel(1);
        let path = path.to_owned();
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(&path, connection, &woken))
            .map_err(|error| {
                tracing::error!(%error, "starting the SQLite checkpointer thread failed");
                StoreError::Writer("could not start its checkpointer")
            })?;
        Ok(Self {
            wake: Some(wake),
            thread: Some(thread),
        })
    }

    /// Asks for a checkpoint soon, unless one is asked for already.
    pub fn wake(&self) {
        if let Some(wake) = &self.wake
            && let Err(TrySendError::Disconnected(())) = wake.try_send(())
        {
            tracing::error!("the SQLite checkpointer thread has stopped");
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.wake.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the SQLite checkpointer thread panicked");
        }
    }
}

/// A connection that fsyncs what it copies (`synchronous=FULL`).
fn open(path: &Path) -> StoreResult<Connection> {
    let connection = Connection::open(path)?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    Ok(connection)
}

/// The thread: a `PASSIVE` checkpoint each time it is woken, until the
/// writer goes away.
fn run(path: &Path, mut connection: Connection, woken: &Receiver<()>) {
    while woken.recv().is_ok() {
        let copied = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
            Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
        });
        match copied {
            Ok((log, copied)) => tracing::debug!(log, copied, "SQLite log copied back"),
            Err(error) => {
                tracing::error!(%error, "copying the SQLite log back failed");
                if let Ok(fresh) = open(path) {
                    connection = fresh;
                }
            }
        }
    }
}
