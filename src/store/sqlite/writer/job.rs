//! A job on the writer thread ([`super`]), with its types erased: the
//! caller's work and the channel its answer goes back on, and, once the work
//! has run, what it returned, kept until its transaction commits or fails.

use rusqlite::{Connection, ffi};
use tokio::sync::oneshot;

/// A job waiting for the thread.
pub(super) trait Job: Send {
    /// Runs the work on `connection` (inside the job's savepoint). A panic
    /// drops the job's channel: its caller learns that no answer came.
    fn run(self: Box<Self>, connection: &Connection) -> Box<dyn Answer>;
    /// Answers `error` without running the work.
    fn refuse(self: Box<Self>, error: &rusqlite::Error);
}

/// What a job's work returned, held until its transaction ends.
pub(super) trait Answer: Send {
    /// Whether the work returned a value (rather than its error).
    fn succeeded(&self) -> bool;
    /// Answers the caller: the work's error if it failed; otherwise its
    /// value if the transaction committed (`failed` is `None`), or the
    /// error that made the transaction fail.
    fn send(self: Box<Self>, failed: Option<&rusqlite::Error>);
}

/// A job for `work`, and the channel its answer comes back on.
pub(super) fn job<T, E, F>(work: F) -> (Box<dyn Job>, oneshot::Receiver<Result<T, E>>)
where
    T: Send + 'static,
    E: From<rusqlite::Error> + Send + 'static,
    F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
{
    let (reply, answer) = oneshot::channel();
    (Box::new(Queued { work, reply }), answer)
}

struct Queued<F, T, E> {
    work: F,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> Job for Queued<F, T, E>
where
    T: Send + 'static,
    E: From<rusqlite::Error> + Send + 'static,
    F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
{
    fn run(self: Box<Self>, connection: &Connection) -> Box<dyn Answer> {
        let Self { work, reply } = *self;
        Box::new(Ran {
            result: work(connection),
            reply,
        })
    }

    fn refuse(self: Box<Self>, error: &rusqlite::Error) {
        // A caller that went away needs no answer.
        let _ = self.reply.send(Err(copy(error).into()));
    }
}

struct Ran<T, E> {
    result: Result<T, E>,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<T, E> Answer for Ran<T, E>
where
    T: Send + 'static,
    E: From<rusqlite::Error> + Send + 'static,
{
    fn succeeded(&self) -> bool {
        self.result.is_ok()
    }

    fn send(self: Box<Self>, failed: Option<&rusqlite::Error>) {
        let result = match (self.result, failed) {
            (Ok(_), Some(error)) => Err(copy(error).into()),
            (result, _) => result,
        };
        // A caller that went away still had its job run.
        let _ = self.reply.send(result);
    }
}

/// The same error again, for each job that answers it (rusqlite's errors
/// cannot be cloned): SQLite's code and message, or the text of another.
fn copy(error: &rusqlite::Error) -> rusqlite::Error {
    match error {
        rusqlite::Error::SqliteFailure(code, message) => {
            rusqlite::Error::SqliteFailure(*code, message.clone())
        }
        other => rusqlite::Error::SqliteFailure(
            ffi::Error::new(ffi::SQLITE_ERROR),
            Some(other.to_string()),
        ),
    }
}
