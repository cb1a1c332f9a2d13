//! The request body's deadline: the whole body must arrive within the
//! body-read timeout of its request's head. A body that does not fails
//! with [`BodyReadTimeout`] (the dialects answer `408`), and the response
//! closes the connection. A handler that takes large bodies (a media
//! upload) gives its request a longer timeout through the [`BodyDeadline`]
//! in the request's extensions, before it reads the body.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// The error a body that was too slow ends with.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within {}", humantime::format_duration(*.0))]
pub struct BodyReadTimeout(pub Duration);

/// The body-read timeout of one request, in milliseconds from its head;
/// the request's extensions hold a clone.
#[derive(Debug, Clone)]
pub struct BodyDeadline(Arc<AtomicU64>);

impl BodyDeadline {
    pub fn new(timeout: Duration) -> Self {
        Self(Arc::new(AtomicU64::new(millis(timeout))))
    }

    /// Lets the body take `timeout` from the request's head, if that is
    /// longer than what it has.
    pub fn extend(&self, timeout: Duration) {
        self.0.fetch_max(millis(timeout), Ordering::Relaxed);
    }

    fn timeout(&self) -> Duration {
        Duration::from_millis(self.0.load(Ordering::Relaxed))
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A request body with a deadline.
pub struct DeadlineBody<B> {
    inner: B,
    started: Instant,
    timeout: BodyDeadline,
    /// Made on the first wait, so that bodies read at once need no timer.
    sleep: Option<Pin<Box<Sleep>>>,
    /// Set when the deadline passed, for the response to close the connection.
    timed_out: Arc<AtomicBool>,
}

impl<B> DeadlineBody<B> {
    /// `inner` with `timeout` from now; `timed_out` is set if it passes.
    pub fn new(inner: B, timeout: BodyDeadline, timed_out: Arc<AtomicBool>) -> Self {
        Self {
            inner,
            started: Instant::now(),
            timeout,
            sleep: None,
            timed_out,
        }
    }
}

impl<B> Body for DeadlineBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        let timeout = self.timeout.timeout();
        let deadline = self.started + timeout;
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.deadline() != deadline {
            sleep.as_mut().reset(deadline);
        }
        ready!(sleep.as_mut().poll(cx));
        self.timed_out.store(true, Ordering::Relaxed);
        Poll::Ready(Some(Err(BodyReadTimeout(timeout).into())))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body whose client sends nothing more.
    struct Stalled;

    impl Body for Stalled {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            Poll::Pending
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_body_fails_at_the_deadline_and_a_prompt_one_passes() {
        let timeout = Duration::from_secs(30);
        let flag = Arc::new(AtomicBool::new(false));
        let prompt = DeadlineBody::new(
            axum::body::Body::from("hello"),
            BodyDeadline::new(timeout),
            flag.clone(),
        );
        let bytes = axum::body::to_bytes(axum::body::Body::new(prompt), 1024)
            .await
            .expect("a prompt body is read");
        assert_eq!(&bytes[..], b"hello");
        assert!(!flag.load(Ordering::Relaxed));

        let started = Instant::now();
        let stalled = DeadlineBody::new(Stalled, BodyDeadline::new(timeout), flag.clone());
        let error = axum::body::to_bytes(axum::body::Body::new(stalled), 1024)
            .await
            .expect_err("a stalled body fails");
        assert_eq!(Instant::now() - started, timeout);
        assert!(flag.load(Ordering::Relaxed));
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
        let mut found = false;
        while let Some(error) = source {
            found |= error.is::<BodyReadTimeout>();
            source = error.source();
        }
        assert!(found, "{error}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_extended_deadline_is_the_longer_one() {
        let deadline = BodyDeadline::new(Duration::from_secs(30));
        deadline.extend(Duration::from_secs(600));
        deadline.extend(Duration::from_secs(60));
        let started = Instant::now();
        let flag = Arc::new(AtomicBool::new(false));
        let stalled = DeadlineBody::new(Stalled, deadline, flag);
        axum::body::to_bytes(axum::body::Body::new(stalled), 1024)
            .await
            .expect_err("a stalled body fails");
        assert_eq!(Instant::now() - started, Duration::from_secs(600));
    }
}
