//! The deadlines of one connection between its requests:
//!
//! - from the moment it opens, and from the first byte of each later
//!   request, the client has `header_read_timeout` to finish the request
//!   head (a client that connects and sends nothing, or sends a head a byte
//!   at a time, is closed);
//! - after a response, the connection may sit idle for `idle_timeout`
//!   waiting for the next request.
//!
//! While a request is being handled (until its response body is dropped)
//! no deadline runs here: its body has its own (see [`super::body`]).
//! [`Watched`] notes the bytes read, [`Activity::request`] the requests,
//! and [`Activity::expired`] completes once the deadline in force passes.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

/// The two timeouts that apply between requests.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub header_read: Duration,
    pub idle: Duration,
}

/// What one connection is doing, shared by its reader, its requests and
/// its watcher.
pub struct Activity {
    state: Mutex<State>,
    changed: Notify,
}

struct State {
    /// Requests whose responses are not finished.
    busy: usize,
    /// When the connection went idle (opened or last response finished).
    idle_since: Instant,
    /// When the head of the request now being read began.
    head_since: Option<Instant>,
}

impl State {
    fn deadline(&self, timeouts: Timeouts) -> Option<Instant> {
        if self.busy > 0 {
            return None;
        }
        Some(match self.head_since {
            Some(since) => since + timeouts.header_read,
            None => self.idle_since + timeouts.idle,
        })
    }
}

/// Marks a request in flight until dropped.
pub struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.busy = state.busy.saturating_sub(1);
        if state.busy == 0 {
            state.idle_since = Instant::now();
            state.head_since = None;
        }
        drop(state);
        self.0.changed.notify_one();
    }
}

impl Activity {
    /// A connection that just opened: its first head is due within the
    /// header-read timeout.
    pub fn opened() -> Arc<Self> {
        let now = Instant::now();
        Arc::new(Self {
            state: Mutex::new(State {
                busy: 0,
                idle_since: now,
                head_since: Some(now),
            }),
            changed: Notify::new(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A request's head was read; the connection is busy until the guard
    /// is dropped.
    pub fn request(self: &Arc<Self>) -> Busy {
        self.lock().busy += 1;
        self.changed.notify_one();
        Busy(Arc::clone(self))
    }

    /// Bytes arrived: on an idle connection they begin the next head.
    fn read_some(&self) {
        let mut state = self.lock();
        if state.busy == 0 && state.head_since.is_none() {
            state.head_since = Some(Instant::now());
            drop(state);
            self.changed.notify_one();
        }
    }

    /// Completes once the deadline in force has passed.
    pub async fn expired(&self, timeouts: Timeouts) {
        loop {
            let deadline = self.lock().deadline(timeouts);
            match deadline {
                None => self.changed.notified().await,
                Some(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {
                            let now_due = self.lock().deadline(timeouts);
                            if now_due.is_some_and(|due| due <= Instant::now()) {
                                return;
                            }
                        }
                        () = self.changed.notified() => {}
                    }
                }
            }
        }
    }
}

/// A connection's stream that tells its [`Activity`] when bytes arrive.
pub struct Watched<T> {
    inner: T,
    activity: Arc<Activity>,
}

impl<T> Watched<T> {
    pub fn new(inner: T, activity: Arc<Activity>) -> Self {
        Self { inner, activity }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read_some();
        }
        result
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUTS: Timeouts = Timeouts {
        header_read: Duration::from_secs(10),
        idle: Duration::from_secs(60),
    };

    #[tokio::test(start_paused = true)]
    async fn the_deadline_follows_the_phase_of_the_connection() {
        let activity = Activity::opened();
        let opened = Instant::now();
        let deadline = || activity.lock().deadline(TIMEOUTS);
        // A new connection owes its first head within the header timeout,
        // whether or not bytes arrive.
        assert_eq!(deadline(), Some(opened + TIMEOUTS.header_read));
        activity.read_some();
        assert_eq!(deadline(), Some(opened + TIMEOUTS.header_read));
        // No deadline while a request is in flight.
        let busy = activity.request();
        assert_eq!(deadline(), None);
        tokio::time::advance(Duration::from_secs(100)).await;
        activity.read_some();
        assert_eq!(deadline(), None);
        // Idle after the response: the idle timeout, until the next head
        // begins, which then has the header timeout from its first byte.
        drop(busy);
        let idle = Instant::now();
        assert_eq!(deadline(), Some(idle + TIMEOUTS.idle));
        tokio::time::advance(Duration::from_secs(5)).await;
        activity.read_some();
        assert_eq!(
            deadline(),
            Some(idle + Duration::from_secs(5) + TIMEOUTS.header_read)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn expired_completes_when_the_deadline_in_force_passes() {
        let activity = Activity::opened();
        let busy = activity.request();
        let watcher = {
            let activity = Arc::clone(&activity);
            tokio::spawn(async move { activity.expired(TIMEOUTS).await })
        };
        tokio::time::advance(Duration::from_secs(600)).await;
        tokio::task::yield_now().await;
        assert!(!watcher.is_finished(), "no deadline while busy");
        drop(busy);
        let idle = Instant::now();
        tokio::time::timeout(Duration::from_secs(61), watcher)
            .await
            .expect("the idle timeout closes the connection")
            .expect("join");
        assert!(Instant::now() >= idle + TIMEOUTS.idle);
    }
}
