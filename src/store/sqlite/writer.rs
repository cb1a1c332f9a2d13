//! The SQLite writer thread: one OS thread owns a rusqlite connection to the
//! database file and runs write jobs on it, each a closure.
//!
//! sqlx runs every statement on its connection's worker thread and answers
//! over a channel, so a transaction of n statements costs about 2n thread
//! wake-ups. Here a whole transaction is one job: the caller's task sends it,
//! the thread runs its statements synchronously (with the connection's cache
//! of prepared statements) and answers on a oneshot: two wake-ups per job,
//! however many rows it writes.
//!
//! Jobs share commits: when the thread begins a transaction
//! (`BEGIN IMMEDIATE`) it takes every job waiting in its queue (up to
//! [`QUEUE_DEPTH`]) and runs them one after another in that one
//! transaction; then it commits once, so the jobs share one fsync
//! (`synchronous=FULL`) instead of queueing for one each. Every value is
//! answered only after the `COMMIT` returns: a caller hears of success only
//! once its rows are durable.
//!
//! A job that fails (or panics) rolls the whole transaction back; it
//! answers its error (a panicking job's caller gets no answer, its channel
//! dropped), and the jobs that remain run again, in order, in a new
//! transaction: what the failed job wrote is gone, what the others write
//! stays. Jobs fail rarely, so this costs less than a `SAVEPOINT` around
//! every job, which would have SQLite copy each page a job first changes
//! into a statement journal. A job's work may therefore run more than once,
//! and only its last run counts ([`job`]). When the transaction itself
//! fails (`BEGIN`, SQLite rolling it back as it may on a full disk, or the
//! `COMMIT`), nothing of it is kept and every job taken for it answers that
//! error, those not run yet included (the job under which SQLite rolled
//! back answers its own).
//!
//! The connection has the sqlx writer's settings (WAL, `synchronous=FULL`,
//! foreign keys, a busy timeout), and the sqlx writer pool still exists for
//! the writes that run rarely (see [`super`]). They take turns with the
//! thread (below); two writers on one file stay safe without the turns too,
//! because both take SQLite's write lock when their transaction begins
//! (`BEGIN IMMEDIATE`, see [`super::BEGIN_WRITE`]): whichever comes second
//! waits in its busy handler (up to [`BUSY_TIMEOUT`]) for the other's commit
//! (after a turn that outlasted that wait, say), and neither can hold a read
//! snapshot that the other's commit would make stale, which is the one case
//! where SQLite answers `SQLITE_BUSY` without waiting. Readers never block
//! either writer in WAL mode.
//!
//! The log is copied back into the database file mostly beside the thread,
//! not in its commits: a checkpointer thread of its own copies what the log
//! holds once it is long, and the writer thread then copies only the few
//! pages committed meanwhile ([`checkpoint`]), so no caller waits on the
//! bulk of a checkpoint's reads, writes and fsync.
//!
//! The sqlx writer takes its turns through the thread's queue
//! ([`Writer::make_way`]): the thread commits the jobs queued before the
//! turn, then runs nothing until the turn ends, so a write of the admin API
//! or a lease's renewal waits behind the jobs queued before it, not for a
//! gap between back-to-back commits that SQLite's busy handler, sleeping
//! up to 100 ms between tries, would seldom find.
//!
//! After a failed transaction the thread carries on; a connection that
//! SQLite left inside a transaction is rolled back before the next one
//! begins (or reopened if even that fails). When the [`Writer`] is dropped,
//! the thread runs the jobs already queued, then ends; the drop waits for
//! it.

mod checkpoint;
mod job;
#[cfg(test)]
mod tests;

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::mpsc::{self as std_mpsc, RecvTimeoutError};
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use self::checkpoint::Checkpointer;
pub use self::checkpoint::LogBounds;
use self::job::Job;
use super::connection::{cache_statements, roll_back_or_reopen};
use super::fed_thread::FedThread;

use crate::store::{StoreError, StoreResult};

/// The thread's name.
const THREAD: &str = "sqlite-writer";

/// How long a transaction waits for the other writer's write lock.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How many pages the write-ahead log may hold before it is copied back
/// into the database file (SQLite's default is 1,000), by the writer's
/// checkpointer thread ([`checkpoint`]). A checkpoint copies each page once
/// however often the log holds it, and the hot pages (the tails of the
/// queues, the random leaves of the wamid indexes) are rewritten by commit
/// after commit: a longer log copies far fewer pages per message. The log
/// file then grows to some 40 MB of 4 KiB pages, more while readers hold a
/// checkpoint back and commits go on during a copy (41–49 MB in a bench's
/// full loop), and stays that size, the log starting again from its
/// beginning.
pub const WAL_CHECKPOINT_PAGES: u32 = 10_000;

/// How many pages the log may hold before a commit copies it back itself,
/// as SQLite does by default at 1,000: the bound on the log should the
/// checkpointer thread fall behind. The connections of the sqlx pools
/// checkpoint at this length too (they commit rarely).
pub const WAL_COPY_INLINE_PAGES: u32 = 4 * WAL_CHECKPOINT_PAGES;

impl Default for LogBounds {
    fn default() -> Self {
        Self {
            checkpoint_from: WAL_CHECKPOINT_PAGES,
            copy_inline_from: WAL_COPY_INLINE_PAGES,
        }
    }
}

/// How often the writer thread tries again for a write lock the sqlx writer
/// still holds (after its turn ran out, see [`Turn`]). SQLite's own busy timeout sleeps 1, 2, 5, 10 … 100 ms between
/// tries, which puts tens of milliseconds on a group commit that finds a
/// claim (a few milliseconds long) in its way.
const BUSY_RETRY: Duration = Duration::from_micros(100);

/// How many jobs may wait for the thread, and how many one transaction
/// takes at most. Each caller awaits its own job, and the group commits
/// send one job per batch, so a handful of waiting jobs already keeps the
/// thread busy; the bound makes a burst of callers wait in their tasks
/// rather than pile closures (and the rows they own) up in memory.
pub const QUEUE_DEPTH: usize = 64;

/// Prepared statements the connection keeps: room for every write the
/// thread runs (rusqlite's default is 16).
const STATEMENT_CACHE: usize = 64;

/// A handle on the writer thread; dropping it ends the thread once the
/// queued jobs have run.
pub struct Writer {
    thread: FedThread<mpsc::Sender<Work>>,
}

/// What the thread's queue carries.
enum Work {
    /// A job, run in a transaction with the jobs waiting with it.
    Job(Box<dyn Job>),
    /// The other writer's turn.
    Turn(Turn),
}

/// The other writer's turn as the thread sees it: the thread says on `made`
/// that it holds no transaction, then waits until `resume` is dropped (or
/// [`BUSY_TIMEOUT`] passes: the other writer's transaction is short, and a
/// turn must not stop the thread for good).
struct Turn {
    made: oneshot::Sender<()>,
    resume: std_mpsc::Receiver<()>,
}

impl Turn {
    fn wait(self) {
        // A caller that went away wants no turn.
        if self.made.send(()).is_ok()
            && let Err(RecvTimeoutError::Timeout) = self.resume.recv_timeout(BUSY_TIMEOUT)
        {
            tracing::warn!(
                "the sqlx writer kept its turn longer than the busy timeout; the writer thread goes on"
            );
        }
    }
}

/// The sqlx writer's turn ([`Writer::make_way`]): the thread runs no job
/// while it lives.
pub struct WayMade {
    _resume: std_mpsc::Sender<()>,
}

impl Writer {
    /// Opens a connection to the database file at `path` (whose schema is
    /// already migrated) and starts the thread that owns it, with its
    /// checkpointer copying the log back within `bounds`.
    pub fn start(path: &Path, bounds: LogBounds) -> StoreResult<Self> {
        let connection = open(path)?;
        let mut checkpointer = Checkpointer::start(path, bounds)?;
        let (jobs, queue) = mpsc::channel(QUEUE_DEPTH);
        let path = path.to_owned();
        let thread = FedThread::start(
            THREAD,
            jobs,
            move || {
                checkpointer.on_this_thread();
                run(&path, connection, queue, |connection| {
                    checkpointer.after_transaction(connection);
                });
            },
            StoreError::Writer("could not be started"),
        )?;
        Ok(Self { thread })
    }

    /// Runs `work` on the writer thread, in a `BEGIN IMMEDIATE … COMMIT`
    /// that the jobs waiting with it share, and returns its value once that
    /// commit is durable. An error from `work` (SQLite's, or the store's own
    /// when `work` decodes what it read) rolls back what `work` wrote; an
    /// error of the transaction (its commit, say) rolls back every job in
    /// it. `work` runs again, in a new transaction, when another job of its
    /// transaction fails (unless SQLite rolled the transaction back under
    /// that job): it must write only through `connection`.
    pub async fn transaction<T, E, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        E: From<rusqlite::Error> + Send + 'static,
        StoreError: From<E>,
        F: Fn(&Connection) -> Result<T, E> + Send + 'static,
    {
        let (job, answer) = job::job(work);
        self.send(Work::Job(job)).await?;
        let result = answer
            .await
            .map_err(|_| StoreError::Writer("dropped a job without answering"))?;
        Ok(result?)
    }

    /// Waits for the thread to commit the jobs queued before this call and
    /// to stop; it runs nothing more until the returned value is dropped,
    /// so the sqlx writer takes SQLite's write lock at once.
    pub async fn make_way(&self) -> StoreResult<WayMade> {
        let (made, made_answer) = oneshot::channel();
        let (resume, resumed) = std_mpsc::channel();
        self.send(Work::Turn(Turn {
            made,
            resume: resumed,
        }))
        .await?;
        made_answer
            .await
            .map_err(|_| StoreError::Writer("dropped a turn without making way"))?;
        Ok(WayMade { _resume: resume })
    }

    async fn send(&self, work: Work) -> StoreResult<()> {
        let queue = self
            .thread
            .sender()
            .ok_or(StoreError::Writer("has stopped"))?;
        queue
            .send(work)
            .await
            .map_err(|_| StoreError::Writer("has stopped"))
    }
}

/// A connection with the sqlx writer's settings.
fn open(path: &Path) -> StoreResult<Connection> {
    let connection = Connection::open(path)?;
    connection.busy_handler(Some(retry_soon))?;
    let journal: String =
        connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !journal.eq_ignore_ascii_case("wal") {
        tracing::warn!(%journal, "the SQLite writer thread's journal is not WAL");
    }
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    // A statement that may fail halfway through its rows (an `UPDATE` of
    // many, an `INSERT … SELECT`) has SQLite keep the pages it changes in a
    // statement journal. By default that journal moves to a temporary file
    // once it passes 64 KiB: a file created, written and deleted in a
    // transaction. In memory, it is bounded by the pages one statement
    // touches.
    connection.pragma_update(None, "temp_store", "MEMORY")?;
    // Checkpoints are the checkpointer thread's (see [`checkpoint`]).
    checkpoint::install_wal_hook(&connection);
    cache_statements(&connection, STATEMENT_CACHE)?;
    Ok(connection)
}

/// The writer thread's busy handler: tries again every [`BUSY_RETRY`], for
/// at least [`BUSY_TIMEOUT`] in all.
fn retry_soon(attempts: i32) -> bool {
    let waited = BUSY_RETRY.saturating_mul(u32::try_from(attempts).unwrap_or(u32::MAX));
    if waited >= BUSY_TIMEOUT {
        return false;
    }
    std::thread::sleep(BUSY_RETRY);
    true
}

/// The thread: runs the waiting jobs, a transaction at a time (up to the
/// next turn of the other writer, which waits for their commit), until
/// the queue is closed and empty; after each transaction (its answers
/// sent) hands the connection to `after`.
fn run(
    path: &Path,
    mut connection: Connection,
    mut queue: mpsc::Receiver<Work>,
    mut after: impl FnMut(&Connection),
) {
    let mut waiting = Vec::with_capacity(QUEUE_DEPTH);
    let mut next = None;
    while let Some(work) = next.take().or_else(|| queue.blocking_recv()) {
        match work {
            Work::Turn(turn) => turn.wait(),
            Work::Job(job) => {
                waiting.push(job);
                while waiting.len() < QUEUE_DEPTH
                    && let Ok(work) = queue.try_recv()
                {
                    match work {
                        Work::Job(job) => waiting.push(job),
                        turn @ Work::Turn(_) => {
                            next = Some(turn);
                            break;
                        }
                    }
                }
                commit_jobs(path, &mut connection, &mut waiting);
                after(&connection);
            }
        }
    }
    tracing::debug!("the SQLite writer thread ran its last job");
}

/// Why a transaction of jobs did not commit.
enum Failure {
    /// The job at this index returned its error, or panicked; with
    /// `rolled_back`, SQLite had rolled the whole transaction back already
    /// (a full disk, say), which fails the others too.
    Job {
        index: usize,
        panicked: bool,
        rolled_back: bool,
    },
    /// The transaction itself failed (`BEGIN`, `COMMIT`, or SQLite rolling
    /// it back under a job that returned a value).
    Transaction(rusqlite::Error),
}

/// Runs `jobs` in one transaction and commits, then answers each of them.
/// A job that fails or panics rolls the transaction back: it answers its
/// error (a panicking job answers nothing, its channel dropped) and the
/// others run again, in order, in a new transaction, until one commits.
/// When the transaction itself fails, or SQLite rolled it back under the
/// failing job, every job answers that error.
fn commit_jobs(path: &Path, connection: &mut Connection, jobs: &mut Vec<Box<dyn Job>>) {
    while !jobs.is_empty() {
        if !connection.is_autocommit() {
            roll_back_or_reopen(THREAD, connection, || open(path));
        }
        let failed = match in_transaction(connection, jobs) {
            Ok(()) => None,
            Err(Failure::Job {
                index,
                panicked,
                rolled_back,
            }) => {
                let job = jobs.remove(index);
                if panicked {
                    tracing::error!("a job on the SQLite writer thread panicked");
                } else {
                    job.answer(None);
                }
                if !rolled_back {
                    continue;
                }
                Some(rolled_back_error())
            }
            Err(Failure::Transaction(error)) => Some(error),
        };
        if let Some(error) = &failed {
            tracing::error!(%error, "a transaction of the SQLite writer thread failed");
        }
        for job in jobs.drain(..) {
            job.answer(failed.as_ref());
        }
    }
}

/// What the jobs of a transaction SQLite rolled back answer.
fn rolled_back_error() -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
        Some("SQLite rolled the transaction back".into()),
    )
}

/// Runs `jobs` in one transaction and commits. At the first job that fails
/// or panics it stops; the transaction is rolled back as it drops.
fn in_transaction(connection: &mut Connection, jobs: &mut [Box<dyn Job>]) -> Result<(), Failure> {
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(Failure::Transaction)?;
    for (index, job) in jobs.iter_mut().enumerate() {
        let ran = std::panic::catch_unwind(AssertUnwindSafe(|| job.run(&transaction)));
        let rolled_back = transaction.is_autocommit();
        match ran {
            Ok(true) if rolled_back => {
                return Err(Failure::Transaction(rolled_back_error()));
            }
            Ok(true) => {}
            Ok(false) | Err(_) => {
                return Err(Failure::Job {
                    index,
                    panicked: ran.is_err(),
                    rolled_back,
                });
            }
        }
    }
    transaction.commit().map_err(Failure::Transaction)
}
