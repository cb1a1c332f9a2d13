//! The HTTP surface: one router holding the customer dialects, the admin API
//! and operations endpoints, over one shared [`AppState`]. Failures of the
//! exchange itself (unknown path or method, body too large or too slow)
//! come from [`protocol`] and answer in each API's own error body.

pub mod admin;
pub mod devino;
pub mod json;
pub mod link;
pub mod media;
pub mod message_status;
pub mod meta_webhook;
pub mod openapi;
pub mod ops;
pub mod problem;
pub mod protocol;
pub mod request_id;
pub mod route_table;
pub mod sandbox;
pub mod text;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use secrecy::SecretString;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::accept::Accepter;
use crate::auth::PasswordChecker;
use crate::sim::Sim;
use crate::store::Store;
use crate::store::cached::CachedTenants;

/// What every handler can reach: one allocation that every request shares,
/// so handing it to a handler costs one reference count, not one per part.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct Shared {
    pub store: Arc<dyn Store>,
    /// The tenant rows requests read, cached; tenant writes go through it
    /// so that they drop what it holds.
    pub tenants: CachedTenants,
    pub accepter: Accepter,
    /// Numeric message ids (the Devino dialect's).
    pub message_numbers: crate::intake::numbers::MessageNumbers,
    pub passwords: PasswordChecker,
    pub admin_token: Option<Arc<SecretString>>,
    /// The callbacks the sandbox's inbox received, with `--upstream sandbox`.
    pub inbox: Option<Arc<crate::inbox::Inbox>>,
    /// The in-process Cloud API simulator, with `--upstream sandbox`.
    pub sandbox: Option<Sim>,
    /// Stores what Meta's webhooks carry.
    pub webhooks: meta_webhook::WebhookIntake,
    /// Checks `X-Hub-Signature-256`; without it every webhook is refused.
    pub meta_app_secret: Option<Arc<SecretString>>,
    /// Answers Meta's verification handshake.
    pub meta_verify_token: Option<Arc<SecretString>>,
    /// May gates point at loopback and private addresses.
    pub callback_allow_private: bool,
    /// How long content is kept when a request asks (`--content-retention`).
    pub content_retention: std::time::Duration,
    /// What one LINK request may ask for: validity, parts, rendered bytes.
    pub link_limits: link::request::RequestLimits,
    /// The Cloud API (or the sandbox), for fetching media.
    pub cloud_api: crate::upstream::meta::CloudApiClient,
    /// The Cloud API token for sources without their own.
    pub default_access_token: Option<Arc<str>>,
    /// Signs and checks the media URLs of incoming messages.
    pub media_urls: crate::media_url::MediaUrls,
    /// The largest request body read, in bytes.
    pub max_body_bytes: usize,
    /// The per-source limit on LINK's profile, phone number and analytics calls.
    pub management_limiter: Arc<link::rate_limit::ManagementLimiter>,
    /// How media uploads are bounded (their own body limit and timeout).
    pub media_uploads: link::media::UploadSettings,
    /// What the gateway counts (see [`crate::metrics`]).
    pub metrics: crate::metrics::Metrics,
    /// Readiness and where `/metrics` is served.
    pub ops: Arc<ops::Ops>,
    /// Console pages updated live now, at most `--console-live-views`.
    pub console_live: Arc<tokio::sync::Semaphore>,
    /// The overview charts' samples; `None` with `--metrics false`.
    pub chart_history: Option<crate::metrics::history::History>,
}

pub fn router(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/healthz", get(ops::healthz))
        .nest("/whatsapp-message", link::router())
        .nest("/whatsapp/v2", devino::router())
        .nest("/admin/v1", admin::router(state.clone()))
        .nest("/webhooks/meta", meta_webhook::router())
        .route("/media/v1/{phone_number_id}/{media_id}", get(media::media));
    if let Some(sim) = &state.sandbox {
        router = router.nest("/sandbox/v1", sandbox::router(state.clone(), sim));
    }
    router = router
        .merge(ops::router(&state))
        .merge(openapi::router())
        .merge(crate::console::router());
    state.ops.routes.record(route_table::served(&router));
    if state.metrics.is_enabled() {
        // After every route: each is counted under its template.
        router = router.layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            crate::metrics::http::count_requests,
        ));
    }
    router
        .layer(DefaultBodyLimit::max(state.max_body_bytes))
        .layer(TraceLayer::new_for_http().make_span_with(request_id::span))
        // Outermost: the id is set (kept when the client sent a usable one)
        // before the span is made, and echoed in the response.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::from_fn(request_id::drop_unusable))
        .with_state(state)
}
