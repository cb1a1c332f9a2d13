//! A job on the writer thread ([`super`]), with its types erased: the
//! caller's work, the channel its answer goes back on, and what the work
//! returned when it last ran, kept until its transaction commits or fails.
//!
//! The work may run more than once: when another job of its transaction
//! fails, the transaction is rolled back and the jobs that remain run again
//! in a new one ([`super::commit_jobs`]). Its answer is what its last run returned.

use rusqlite::{Connection, ffi};
use tokio::sync::oneshot;

/// A job waiting for the thread.
pub(super) trait Job: Send {
    /// Runs the work on `connection`, keeping what it returned; says
    /// whether it returned a value (rather than its error). A panic goes
    /// to the caller of `run`.
    fn run(&mut self, connection: &Connection) -> bool;
    /// Answers the caller: what the work last returned if its transaction
    /// committed (`failed` is `None`), or its own error; the error that
    /// made the transaction fail when it returned a value or never ran.
    fn answer(self: Box<Self>, failed: Option<&rusqlite::Error>);
}

/// A job for `work`, and the channel its answer comes back on.
pub(super) fn job<T, E, F>(work: F) -> (Box<dyn Job>, oneshot::Receiver<Result<T, E>>)
where
    T: Send + 'static,
    E: From<rusqlite::Error> + Send + 'static,
    F: Fn(&Connection) -> Result<T, E> + Send + 'static,
{
    let (reply, answer) = oneshot::channel();
    let job = Queued {
        work,
        reply,
        result: None,
    };
    (Box::new(job), answer)
}

struct Queued<F, T, E> {
    work: F,
    reply: oneshot::Sender<Result<T, E>>,
    result: Option<Result<T, E>>,
}

impl<T, E, F> Job for Queued<F, T, E>
where
    T: Send + 'static,
    E: From<rusqlite::Error> + Send + 'static,
    F: Fn(&Connection) -> Result<T, E> + Send + 'static,
{
    fn run(&mut self, connection: &Connection) -> bool {
        let result = (self.work)(connection);
        let succeeded = result.is_ok();
        self.result = Some(result);
        succeeded
    }

    fn answer(self: Box<Self>, failed: Option<&rusqlite::Error>) {
        let result = match (self.result, failed) {
            (Some(Err(error)), _) => Err(error),
            (Some(Ok(value)), None) => Ok(value),
            (_, Some(error)) => Err(copy(error).into()),
            (None, None) => Err(rusqlite::Error::SqliteFailure(
                ffi::Error::new(ffi::SQLITE_MISUSE),
                Some("the job was answered without running".into()),
            )
            .into()),
        };
        // A caller that went away needs no answer.
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
