//! Operations endpoints: `GET /readyz` (may this instance take traffic)
//! and where `GET /metrics` is served.
//!
//! `/readyz` answers `200 {"ready":true}` when the store answers a trivial
//! query within [`READY_TIMEOUT`], its schema has every migration of this
//! build, and the gateway is not shutting down; otherwise `503
//! {"ready":false,"reason":"…"}`. It reads one small row, never a backlog:
//! probes may come every second. (`/healthz` only says the process is up.)
//!
//! `/metrics` is on the main listener unless `--metrics-listen` gives it
//! an address of its own (then the main one answers it `404`); there it is
//! served with `/healthz` and `/readyz`, and stays up until the gateway has
//! stopped, so a shutdown's drain can be watched. With
//! `--metrics-require-token` it wants the admin token, like the admin API.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use secrecy::SecretString;
use serde::Serialize;

use super::AppState;
use super::admin::require_admin_token;
use crate::metrics::{self, Metrics};
use crate::store::Store;

/// Longest `/readyz` waits for the store.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// How the operations endpoints behave, and whether shutdown has begun.
#[derive(Debug, Default)]
pub struct Ops {
    /// Set once shutdown has begun.
    pub shutting_down: AtomicBool,
    /// `/metrics` wants the admin token.
    pub metrics_require_token: bool,
    /// `/metrics` has a listener of its own.
    pub metrics_elsewhere: bool,
    /// What the main router serves (`GET /admin/v1/endpoints`).
    pub routes: super::route_table::RouteTable,
}

impl Ops {
    pub fn shutdown_begun(&self) {
        self.shutting_down.store(true, Ordering::Release);
    }
}

/// What the operations endpoints reach: a part of [`AppState`], so that a
/// listener of their own holds nothing the shutdown waits for (the accept
/// path's handles).
#[derive(Clone)]
pub struct OpsState {
    pub store: Arc<dyn Store>,
    pub metrics: Metrics,
    pub ops: Arc<Ops>,
    pub admin_token: Option<Arc<SecretString>>,
}

impl FromRef<AppState> for OpsState {
    fn from_ref(state: &AppState) -> Self {
        Self {
            store: state.store.clone(),
            metrics: state.metrics.clone(),
            ops: state.ops.clone(),
            admin_token: state.admin_token.clone(),
        }
    }
}

impl FromRef<AppState> for Metrics {
    fn from_ref(state: &AppState) -> Self {
        state.metrics.clone()
    }
}

impl FromRef<OpsState> for Metrics {
    fn from_ref(state: &OpsState) -> Self {
        state.metrics.clone()
    }
}

/// The operations routes of the main listener.
pub fn router(state: &AppState) -> Router<AppState> {
    let router = Router::new().route("/readyz", get(readyz));
    if state.ops.metrics_elsewhere {
        router
    } else {
        router.merge(metrics_route(OpsState::from_ref(state)))
    }
}

/// The router of `--metrics-listen`: `/metrics`, `/readyz`, `/healthz`.
pub fn own_listener_router(state: OpsState) -> Router {
    Router::new()
        .route("/readyz", get(readyz))
        .route("/healthz", get(healthz))
        .merge(metrics_route(state.clone()))
        .with_state(state)
}

fn metrics_route<S>(state: OpsState) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Metrics: FromRef<S>,
{
    let route = Router::new().route("/metrics", get(metrics::http::serve));
    if state.ops.metrics_require_token {
        // The admin token, as the admin API wants it.
        route.route_layer(middleware::from_fn_with_state(
            state.admin_token.clone(),
            require_admin_token,
        ))
    } else {
        route
    }
}

/// Why this instance should not take traffic now, if it should not.
pub async fn not_ready(state: &OpsState) -> Option<String> {
    if state.ops.shutting_down.load(Ordering::Acquire) {
        return Some("shutting down".into());
    }
    match tokio::time::timeout(READY_TIMEOUT, state.store.schema_version()).await {
        Err(_) => Some(format!(
            "the store did not answer within {}",
            humantime::format_duration(READY_TIMEOUT)
        )),
        Ok(Err(error)) => {
            tracing::warn!(%error, "the readiness probe's store query failed");
            Some("the store failed (see the log)".into())
        }
        Ok(Ok(schema)) if !schema.is_current() => Some(format!(
            "the database schema is at migration {}, this build needs {} (run wagate migrate)",
            schema
                .applied
                .map_or_else(|| "none".to_owned(), |applied| applied.to_string()),
            schema.expected
        )),
        Ok(Ok(_)) => None,
    }
}

/// The answer of `/readyz`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// Whether this instance may take traffic.
    pub ready: bool,
    /// Why not, when it may not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Whether this instance may take traffic: the store answers, its schema
/// is current, and the gateway is not shutting down.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Ready.", body = Readiness,
            example = json!({"ready": true})),
        (status = 503, description = "Not ready, and why.", body = Readiness,
            example = json!({"ready": false, "reason": "shutting down"})),
    ),
)]
pub async fn readyz(State(state): State<OpsState>) -> Response {
    match not_ready(&state).await {
        None => Json(Readiness {
            ready: true,
            reason: None,
        })
        .into_response(),
        Some(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Readiness {
                ready: false,
                reason: Some(reason),
            }),
        )
            .into_response(),
    }
}

/// Whether the process is up (it answers once the store is open).
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "Up.", content_type = "text/plain", body = String,
        example = "ok")),
)]
pub async fn healthz() -> &'static str {
    "ok"
}
