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
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;

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
    (status, Json(json!({"error": message}))).into_response()
}
