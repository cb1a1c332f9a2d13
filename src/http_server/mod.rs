//! Serving HTTP/1.1 on the listener: the accept loop, with a cap on open
//! connections (beyond it, connections wait in the kernel's backlog) and
//! a backoff on accept errors ([`backoff`]); per connection, the header-read
//! and idle deadlines ([`deadlines`]) and the request body's deadline
//! ([`body`]); the client's address for the handlers (`ConnectInfo`); and
//! graceful shutdown: on the signal, stop accepting, let every connection
//! finish the request it is serving, and return once all are closed.

pub mod backoff;
pub mod body;
pub mod deadlines;
pub mod fd_limit;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, header};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower::ServiceExt;

use backoff::{AcceptBackoff, AfterError};
use body::{BodyDeadline, DeadlineBody};
use deadlines::{Activity, Timeouts, Watched};

/// How long connections may take and how many may be open.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// To send a request's head: from the connection's start, or from the
    /// first byte of a later request.
    pub header_read_timeout: Duration,
    /// To send a request's body, from its head.
    pub body_read_timeout: Duration,
    /// Between a response and the next request.
    pub idle_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
}

/// Serves `app` on `listener` until `shutdown` completes and every open
/// connection has closed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let max_connections = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let slots = Arc::new(Semaphore::new(max_connections));
    // Connections watch this; it changes when they should finish up.
    let (stop, stopping) = watch::channel(());
    let mut backoff = AcceptBackoff::default();
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        match accepted {
            Ok((stream, remote)) => {
                let failures = backoff.succeeded();
                if failures > 0 {
                    tracing::info!(failures, "accepting connections again");
                }
                tokio::spawn(serve_connection(
                    stream,
                    remote,
                    app.clone(),
                    limits,
                    stopping.clone(),
                    slot,
                ));
            }
            Err(error) => match backoff.failed(&error) {
                AfterError::Retry => {}
                AfterError::Wait { delay, log } => {
                    if log {
                        tracing::warn!(%error, ?delay, "accepting a connection failed; waiting");
                    }
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = &mut shutdown => break,
                    }
                }
            },
        }
    }
    drop(listener);
    drop(stopping);
    let _ = stop.send(());
    // Every connection holds a slot until it closes.
    let all = u32::try_from(max_connections).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
}

async fn serve_connection(
    stream: TcpStream,
    remote: SocketAddr,
    app: Router,
    limits: ConnectionLimits,
    mut stopping: watch::Receiver<()>,
    _slot: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let activity = Activity::opened();
    let io = TokioIo::new(Watched::new(stream, Arc::clone(&activity)));
    let requests = Arc::clone(&activity);
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let busy = requests.request();
        let timed_out = Arc::new(AtomicBool::new(false));
        let deadline = BodyDeadline::new(limits.body_read_timeout);
        let mut request = request.map(|body| {
            axum::body::Body::new(DeadlineBody::new(
                body,
                deadline.clone(),
                Arc::clone(&timed_out),
            ))
        });
        request.extensions_mut().insert(ConnectInfo(remote));
        request.extensions_mut().insert(deadline);
        let app = app.clone();
        async move {
            let Ok(mut response) = app.oneshot(request).await;
            if timed_out.load(Ordering::Relaxed) {
                // The rest of the body may still be on its way: do not read
                // it as the next request.
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            // The connection counts as busy until the response is sent.
            Ok::<_, Infallible>(
                response.map(|body| axum::body::Body::new(Sending { body, _busy: busy })),
            )
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The deadlines are kept here, not by hyper's timer.
    builder.header_read_timeout(None);
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    let timeouts = Timeouts {
        header_read: limits.header_read_timeout,
        idle: limits.idle_timeout,
    };
    let mut finishing = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, %remote, "connection ended with an error");
                }
                return;
            }
            () = activity.expired(timeouts) => {
                tracing::debug!(%remote, "closing a connection that sent no request in time");
                return;
            }
            changed = stopping.changed(), if !finishing => {
                let _ = changed;
                finishing = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

/// A response body on its way to the client, holding its connection busy.
struct Sending {
    body: axum::body::Body,
    _busy: deadlines::Busy,
}

impl http_body::Body for Sending {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::pin::Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
