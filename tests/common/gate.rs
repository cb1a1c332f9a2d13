//! A customer's gate for tests: an HTTP server on port 0 that records every
//! callback (headers and JSON body) and can refuse the first N with a
//! status of choice, stall them, or hang for good.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;

/// One callback the gate received.
#[derive(Debug, Clone)]
pub struct Callback {
    pub headers: HeaderMap,
    pub raw: String,
    pub body: Value,
}

#[derive(Clone, Default)]
struct Inner {
    accepted: Arc<Mutex<Vec<Callback>>>,
    refused: Arc<AtomicU32>,
    to_refuse: Arc<AtomicU32>,
    to_stall: Arc<AtomicU32>,
    hang: Arc<AtomicBool>,
    held: Arc<AtomicU32>,
}

pub struct Gate {
    /// `http://127.0.0.1:PORT/dlr`
    pub url: String,
    inner: Inner,
}

impl Gate {
    pub async fn start() -> Gate {
        let inner = Inner::default();
        let app = Router::new()
            .route("/dlr", post(receive))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/dlr", listener.local_addr().expect("address"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Gate { url, inner }
    }

    /// Answers the next `count` callbacks with 500 (0: accept again).
    pub fn refuse_next(&self, count: u32) {
        self.inner.to_refuse.store(count, Ordering::SeqCst);
    }

    /// Holds the next `count` callbacks for `STALL` without answering in
    /// time (the caller times out), after the refusals; they count as
    /// refused.
    pub fn stall_next(&self, count: u32) {
        self.inner.to_stall.store(count, Ordering::SeqCst);
    }

    /// Never answers a callback from now on: each is held open until the
    /// caller gives up (its timeout).
    pub fn hang(&self) {
        self.inner.hang.store(true, Ordering::SeqCst);
    }

    /// Callbacks that arrived while the gate hangs.
    pub fn held(&self) -> u32 {
        self.inner.held.load(Ordering::SeqCst)
    }

    /// Callbacks refused so far.
    pub fn refused(&self) -> u32 {
        self.inner.refused.load(Ordering::SeqCst)
    }

    /// Callbacks accepted (answered 200) so far, in arrival order.
    pub fn accepted(&self) -> Vec<Callback> {
        self.inner
            .accepted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Polls until `count` callbacks about `message_id` were accepted.
    pub async fn reports_for(&self, message_id: &str, count: usize) -> Vec<Callback> {
        super::poll(Duration::from_secs(30), "the delivery reports", || async {
            let reports: Vec<Callback> = self
                .accepted()
                .into_iter()
                .filter(|callback| callback.body["messageId"] == message_id)
                .collect();
            if reports.len() >= count {
                Ok(reports)
            } else {
                Err(format!("{reports:#?}"))
            }
        })
        .await
    }
}

/// How long a stalled callback is held: longer than the tests' callback
/// timeout.
pub const STALL: Duration = Duration::from_secs(2);

fn take_one(counter: &AtomicU32) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
            left.checked_sub(1)
        })
        .is_ok()
}

async fn receive(State(inner): State<Inner>, headers: HeaderMap, body: Bytes) -> StatusCode {
    if inner.hang.load(Ordering::SeqCst) {
        inner.held.fetch_add(1, Ordering::SeqCst);
        std::future::pending::<()>().await;
    }
    if take_one(&inner.to_refuse) {
        inner.refused.fetch_add(1, Ordering::SeqCst);
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    if take_one(&inner.to_stall) {
        inner.refused.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(STALL).await;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let raw = String::from_utf8_lossy(&body).into_owned();
    let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
    inner
        .accepted
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(Callback { headers, raw, body });
    StatusCode::OK
}
