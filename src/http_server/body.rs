//! The request body's deadline: the whole body must arrive within the
//! body-read timeout of its request's head. A body that does not fails
//! with [`BodyReadTimeout`] (the dialects answer `408`), and the response
//! closes the connection.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// The error a body that was too slow ends with.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within {}", humantime::format_duration(*.0))]
pub struct BodyReadTimeout(pub Duration);

/// A request body with a deadline.
pub struct DeadlineBody<B> {
    inner: B,
    timeout: Duration,
    deadline: Instant,
    /// Made on the first wait, so that bodies read at once need no timer.
    sleep: Option<Pin<Box<Sleep>>>,
    /// Set when the deadline passed, for the response to close the connection.
    timed_out: Arc<AtomicBool>,
}

impl<B> DeadlineBody<B> {
    /// `inner` with `timeout` from now; `timed_out` is set if it passes.
    pub fn new(inner: B, timeout: Duration, timed_out: Arc<AtomicBool>) -> Self {
        Self {
            inner,
            timeout,
            deadline: Instant::now() + timeout,
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
        let deadline = self.deadline;
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        ready!(sleep.as_mut().poll(cx));
        self.timed_out.store(true, Ordering::Relaxed);
        Poll::Ready(Some(Err(BodyReadTimeout(self.timeout).into())))
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
        let prompt = DeadlineBody::new(axum::body::Body::from("hello"), timeout, flag.clone());
        let bytes = axum::body::to_bytes(axum::body::Body::new(prompt), 1024)
            .await
            .expect("a prompt body is read");
        assert_eq!(&bytes[..], b"hello");
        assert!(!flag.load(Ordering::Relaxed));

        let started = Instant::now();
        let stalled = DeadlineBody::new(Stalled, timeout, flag.clone());
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
}
