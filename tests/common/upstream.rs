//! A stand-in for Meta's Cloud API on a loopback port, for tests that need
//! the upstream to misbehave: it records every try (recipient and arrival
//! time) and either answers at once with a wamid or holds each request
//! without answering until told to answer (held for good, it is a Cloud API
//! that accepts connections and never answers).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::watch;

/// One request the upstream received.
#[derive(Debug, Clone)]
pub struct Try {
    /// The body's `to`.
    pub to: String,
    /// Arrival, Unix milliseconds.
    pub at: i64,
}

#[derive(Clone)]
struct Inner {
    tries: Arc<Mutex<Vec<Try>>>,
    /// `true`: answer; `false`: hold every request until it turns true.
    answering: watch::Sender<bool>,
    wamids: Arc<AtomicU64>,
}

pub struct Upstream {
    /// `http://127.0.0.1:PORT`, for `--meta-base-url`.
    pub base: String,
    inner: Inner,
}

impl Upstream {
    /// An upstream that holds every request until [`Self::answer`].
    pub async fn holding() -> Upstream {
        let inner = Inner {
            tries: Arc::default(),
            answering: watch::Sender::new(false),
            wamids: Arc::default(),
        };
        let app = Router::new()
            .route("/{version}/{phone_number_id}/messages", post(receive))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Upstream { base, inner }
    }

    /// Answers every held request, and every later one at once.
    pub fn answer(&self) {
        self.inner.answering.send_replace(true);
    }

    /// Answers every held request, and every later one at once, `delay`
    /// from now: a Cloud API that takes that long.
    pub fn answer_after(&self, delay: Duration) {
        let answering = self.inner.answering.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            answering.send_replace(true);
        });
    }

    /// Every request received so far, in arrival order.
    pub fn tries(&self) -> Vec<Try> {
        self.inner
            .tries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Polls until at least `count` requests have arrived.
    pub async fn tries_at_least(&self, count: usize) -> Vec<Try> {
        super::poll(Duration::from_secs(60), "the upstream's tries", || async {
            let tries = self.tries();
            if tries.len() >= count {
                Ok(tries)
            } else {
                Err(format!("{tries:?}"))
            }
        })
        .await
    }

    /// The `serve` flags that submit to this upstream as if it were Meta.
    pub fn serve_args(&self) -> Vec<String> {
        [
            "--upstream",
            "meta",
            "--meta-app-secret",
            "test-app-secret",
            "--meta-base-url",
            &self.base,
            "--meta-access-token",
            "test-access-token",
        ]
        .map(str::to_owned)
        .to_vec()
    }
}

async fn receive(State(inner): State<Inner>, Json(body): Json<Value>) -> Json<Value> {
    let to = body["to"].as_str().unwrap_or_default().to_owned();
    inner
        .tries
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(Try {
            to: to.clone(),
            at: wagate::clock::now_millis(),
        });
    let mut answering = inner.answering.subscribe();
    // Held until answering turns on; forever if it never does (the
    // caller's timeout ends the request).
    let _ = answering.wait_for(|answering| *answering).await;
    let wamid = inner.wamids.fetch_add(1, Ordering::SeqCst);
    Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": to, "wa_id": to.trim_start_matches('+')}],
        "messages": [{"id": format!("wamid.upstream-{wamid}")}],
    }))
}
