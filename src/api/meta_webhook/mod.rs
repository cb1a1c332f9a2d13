//! `/webhooks/meta`: Meta's webhook.
//!
//! - `GET`: the verification handshake: `hub.mode=subscribe` with the
//!   configured verify token echoes `hub.challenge`; anything else is 403.
//! - `POST`: `X-Hub-Signature-256` must be the HMAC-SHA256 of the raw body
//!   under the app secret (checked in constant time); a missing or wrong one
//!   is 401 and nothing is stored. The statuses and incoming messages it
//!   carries are committed (grouped with other webhooks, see
//!   [`crate::group_commit`]) before the 200; a repeated webhook changes
//!   nothing. Fields and event kinds wagate does not use are logged and
//!   acknowledged, so Meta never retries them forever.

mod payload;

use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use secrecy::ExposeSecret;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::problem::Problem;
use super::{AppState, text};
use crate::group_commit::{Commit, GroupCommit};
use crate::metrics::WebhookResult;
use crate::signature;
use crate::store::{Store, StoreError, WebhookBatch, WebhookReceipt};

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(verify).post(receive))
}

/// Groups webhooks into store transactions.
pub struct WebhookCommit {
    pub store: Arc<dyn Store>,
    /// Told when a commit may have queued events (statuses, incoming
    /// messages) for the callback feeder.
    pub events: Arc<tokio::sync::Notify>,
}

#[async_trait]
impl Commit for WebhookCommit {
    type Item = WebhookBatch;
    type Answer = WebhookReceipt;

    async fn commit(&self, items: &[WebhookBatch]) -> Result<Vec<WebhookReceipt>, StoreError> {
        let receipts = self.store.receive(items).await?;
        self.events.notify_one();
        Ok(receipts)
    }
}

pub type WebhookIntake = GroupCommit<WebhookCommit>;

#[derive(Deserialize)]
struct Handshake {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// Meta's verification handshake: with `hub.mode=subscribe` and the
/// configured verify token, the challenge is echoed.
#[utoipa::path(
    get,
    path = "",
    tag = "Meta webhook",
    params(HandshakeQuery),
    responses(
        (status = 200, description = "`hub.challenge`, echoed.", content_type = "text/plain",
            body = String, example = "1158201444"),
        (status = 400, description = "A query that cannot be read (e.g. a parameter twice).",
            content_type = "text/plain", body = String),
        (status = 403, description = "Not `subscribe`, no challenge, or a wrong or missing \
            verify token (or none configured). No body."),
    ),
)]
async fn verify(State(state): State<AppState>, Query(handshake): Query<Handshake>) -> Response {
    let token_matches = match (&state.meta_verify_token, &handshake.verify_token) {
        (Some(expected), Some(given)) => {
            bool::from(expected.expose_secret().as_bytes().ct_eq(given.as_bytes()))
        }
        _ => false,
    };
    match handshake.challenge {
        Some(challenge) if token_matches && handshake.mode.as_deref() == Some("subscribe") => {
            challenge.into_response()
        }
        _ => {
            tracing::warn!("a webhook verification with a wrong or missing token");
            StatusCode::FORBIDDEN.into_response()
        }
    }
}

/// Meta's webhook: statuses of sent messages and incoming messages (other
/// fields are acknowledged and ignored). It must be signed; what it
/// carries is stored before the 200, and a repeated webhook changes
/// nothing.
#[utoipa::path(
    post,
    path = "",
    tag = "Meta webhook",
    params(("X-Hub-Signature-256" = String, Header,
        description = "`sha256=` and the hex HMAC-SHA256 of the raw body under the Meta \
            app secret (`--meta-app-secret`).",
        example = "sha256=5f1c0a0c3f0c1c9a7e3c6a0f1d9c3e8b2a7d4e6f8a9b0c1d2e3f4a5b6c7d8e9f")),
    request_body(content = Object, description = "Meta's webhook object (a body that is \
        not JSON, once signed, is acknowledged and dropped).",
        example = json!({"object": "whatsapp_business_account", "entry": [{
            "id": "102290129340398",
            "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550783881",
                    "phone_number_id": "106540352242922"},
                "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": "16505551234"}],
                "messages": [{"from": "16505551234",
                    "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
                    "timestamp": "1749416383", "type": "text",
                    "text": {"body": "Does it come in another color?"}}]}}]}]})),
    responses(
        (status = 200, description = "Taken (stored, or nothing to store). No body."),
        (status = 400, description = "The body could not be read.", content_type = "text/plain",
            body = String),
        (status = 401, description = "A missing or wrong signature, or no app secret \
            configured; nothing is stored.", body = Problem),
        (status = 413, description = "The body is larger than `--max-body-bytes`.",
            content_type = "text/plain", body = String),
        (status = 500, description = "Not stored; Meta retries.", body = Problem,
            example = json!({"error": "not stored; retry"})),
    ),
)]
async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(secret) = &state.meta_app_secret else {
        state.metrics.webhook(WebhookResult::BadSignature, None);
        tracing::error!("a Meta webhook arrived, but no --meta-app-secret is set to check it");
        return refuse(StatusCode::UNAUTHORIZED, "no app secret is configured");
    };
    let signed = headers
        .get(signature::HEADER)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|header| signature::verify(secret.expose_secret().as_bytes(), &body, header));
    if !signed {
        state.metrics.webhook(WebhookResult::BadSignature, None);
        tracing::warn!("a Meta webhook with a missing or wrong X-Hub-Signature-256; refused");
        return refuse(
            StatusCode::UNAUTHORIZED,
            "missing or wrong X-Hub-Signature-256",
        );
    }
    let batch = match read_body(&body) {
        Ok(batch) => batch,
        Err(error) => {
            state.metrics.webhook(WebhookResult::Unreadable, None);
            tracing::error!(%error, "a signed Meta webhook that is not JSON; acknowledged, nothing stored");
            return StatusCode::OK.into_response();
        }
    };
    if batch.statuses.is_empty() && batch.inbound.is_empty() {
        state.metrics.webhook(WebhookResult::Accepted, None);
        return StatusCode::OK.into_response();
    }
    match state.webhooks.submit(batch).await {
        Ok(receipt) => {
            state
                .metrics
                .webhook(WebhookResult::Accepted, Some(&receipt));
            tracing::debug!(?receipt, "webhook stored");
            StatusCode::OK.into_response()
        }
        Err(error) => {
            // Meta retries: nothing is lost by answering 500 here.
            state.metrics.webhook(WebhookResult::Failed, None);
            tracing::error!(%error, "storing a webhook failed");
            refuse(StatusCode::INTERNAL_SERVER_ERROR, "not stored; retry")
        }
    }
}

/// The statuses and incoming messages of a (signed) webhook body, each NUL
/// in its text replaced; an error only when the body is not JSON.
pub fn read_body(body: &[u8]) -> Result<WebhookBatch, serde_json::Error> {
    let mut parsed = serde_json::from_slice(body)?;
    text::replace_nuls(body, &mut parsed);
    Ok(payload::read(&parsed))
}

fn refuse(status: StatusCode, message: &str) -> Response {
    Problem::response(status, message)
}

/// The query of Meta's verification handshake.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HandshakeQuery {
    /// `subscribe`.
    #[param(rename = "hub.mode", example = "subscribe")]
    pub mode: Option<String>,
    /// The verify token configured at Meta and in wagate
    /// (`--meta-verify-token`).
    #[param(rename = "hub.verify_token")]
    pub verify_token: Option<String>,
    /// What to answer when the token matches.
    #[param(rename = "hub.challenge", example = "1158201444")]
    pub challenge: Option<String>,
}

/// `/webhooks/meta` in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(verify, receive),
    tags((name = "Meta webhook", description = "What Meta's WhatsApp Cloud API sends wagate.")),
)]
pub struct MetaWebhookApi;
