//! What the accept loop does after `accept()` fails: an error about one
//! connection (it was reset or aborted before it was taken) is skipped at
//! once; any other error (out of file descriptors, out of buffers) stays
//! until something is freed, so the loop waits, 10 ms at first and doubling
//! up to 1 s, instead of retrying in a tight loop.

use std::io;
use std::time::Duration;

/// The first wait after a resource error.
const FIRST_DELAY: Duration = Duration::from_millis(10);
/// The longest wait between tries.
const MAX_DELAY: Duration = Duration::from_secs(1);

/// The state of a run of accept errors.
#[derive(Debug, Default)]
pub struct AcceptBackoff {
    /// The last wait, while errors keep coming.
    delay: Option<Duration>,
    /// Resource errors since the last successful accept.
    failures: u64,
}

/// What to do about one accept error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterError {
    /// The error concerned one connection only: accept the next at once.
    Retry,
    /// Wait this long; `log` is set for the errors worth a log line (the
    /// first of a run, and then about one a second).
    Wait { delay: Duration, log: bool },
}

impl AcceptBackoff {
    pub fn failed(&mut self, error: &io::Error) -> AfterError {
        if is_connection_error(error) {
            return AfterError::Retry;
        }
        let delay = self
            .delay
            .map_or(FIRST_DELAY, |delay| delay.saturating_mul(2).min(MAX_DELAY));
        self.delay = Some(delay);
        self.failures += 1;
        AfterError::Wait {
            delay,
            log: self.failures == 1 || delay == MAX_DELAY,
        }
    }

    /// A connection was accepted; returns how many resource errors the run
    /// that ended had (0 when there was none).
    pub fn succeeded(&mut self) -> u64 {
        self.delay = None;
        std::mem::take(&mut self.failures)
    }
}

/// Errors about the connection being accepted, not about the listener or
/// the process.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waits(backoff: &mut AcceptBackoff, error: &io::Error, count: usize) -> Vec<(u64, bool)> {
        (0..count)
            .map(|_| match backoff.failed(error) {
                AfterError::Wait { delay, log } => {
                    (u64::try_from(delay.as_millis()).unwrap_or(u64::MAX), log)
                }
                AfterError::Retry => (0, false),
            })
            .collect()
    }

    #[test]
    fn resource_errors_wait_doubling_up_to_a_second_and_log_sparingly() {
        // EMFILE: "Too many open files".
        let emfile = io::Error::from_raw_os_error(24);
        let mut backoff = AcceptBackoff::default();
        assert_eq!(
            waits(&mut backoff, &emfile, 10),
            [
                (10, true),
                (20, false),
                (40, false),
                (80, false),
                (160, false),
                (320, false),
                (640, false),
                (1000, true),
                (1000, true),
                (1000, true),
            ]
        );
        // A connection error in between neither waits nor resets the run.
        let aborted = io::Error::from(io::ErrorKind::ConnectionAborted);
        assert_eq!(backoff.failed(&aborted), AfterError::Retry);
        assert_eq!(waits(&mut backoff, &emfile, 1), [(1000, true)]);
        assert_eq!(backoff.succeeded(), 11);
        // A new run starts from the first delay again.
        assert_eq!(waits(&mut backoff, &emfile, 2), [(10, true), (20, false)]);
        assert_eq!(backoff.succeeded(), 2);
        assert_eq!(backoff.succeeded(), 0);
    }
}
