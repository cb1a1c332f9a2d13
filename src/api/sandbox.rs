//! `/sandbox/v1`: controls of the built-in Cloud API simulator, mounted only
//! with `--upstream sandbox`.
//!
//! - `POST /inbound` (the tenant's Basic auth): a simulated user writes to one
//!   of the tenant's numbers; it reaches `/webhooks/meta` like a real message.
//! - `GET /received?since=N`, `GET /stats`, `GET /webhooks?since=N` (admin
//!   token): the simulator's own observation routes (see
//!   [`Sim::observe_routes`]): what it received from the dispatcher and the
//!   webhooks it sent, so tests and people can see exactly what went out and
//!   when.
//! - `POST /numbers` (admin token): registers a number with the simulator,
//!   e.g. `{"phoneNumberId","wabaId","level":"HIGH"}` to have its phone
//!   number node report another throughput level than the source's.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use wagate_domain::Msisdn;

use super::AppState;
use super::admin::require_admin_token;
use super::json::parse;
use super::link::auth::LinkUser;
use crate::sim::{Inbound, Sim};
use crate::store::owned_by;

pub fn router(state: AppState, sim: &Sim) -> Router<AppState> {
    let observe =
        sim.observe_routes()
            .merge(sim.number_routes())
            .layer(middleware::from_fn_with_state(
                state.admin_token.clone(),
                require_admin_token,
            ));
    Router::new()
        .route("/inbound", post(inbound))
        .layer(Extension(sim.clone()))
        .merge(observe)
}

/// What goes wrong in the sandbox API, and its HTTP answer.
#[derive(Debug, thiserror::Error)]
enum SandboxError {
    #[error("{0}")]
    Invalid(String),
    #[error("to: not one of your numbers with a phoneNumberId")]
    UnknownNumber,
    #[error("internal error")]
    Internal,
}

impl IntoResponse for SandboxError {
    fn into_response(self) -> Response {
        let status = match self {
            Self::UnknownNumber => StatusCode::NOT_FOUND,
            Self::Invalid(_) => StatusCode::BAD_REQUEST,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, Json(json!({"error": self.to_string()}))).into_response()
    }
}

/// `{"from": "+4670…", "to": "<business number>", "text": "hi"}`, or
/// `"message": {…}` (a Cloud API inbound message object) instead of `text`;
/// `fromUserId` (a BSUID) and `name` are optional.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InboundRequest {
    to: String,
    from: Option<String>,
    from_user_id: Option<String>,
    name: Option<String>,
    text: Option<String>,
    message: Option<Value>,
}

async fn inbound(
    State(state): State<AppState>,
    Extension(sim): Extension<Sim>,
    LinkUser { account, .. }: LinkUser,
    body: Bytes,
) -> Result<Json<Value>, SandboxError> {
    let request: InboundRequest =
        parse(&body).map_err(|error| SandboxError::Invalid(error.to_string()))?;
    let to =
        Msisdn::parse(&request.to).map_err(|rule| SandboxError::Invalid(format!("to: {rule}")))?;
    let source = state
        .store
        .source_by_number(to.as_str())
        .await
        .map_err(|error| {
            tracing::error!(%error, "reading a source failed");
            SandboxError::Internal
        })?;
    let phone_number_id = owned_by(source, &account.id)
        .and_then(|source| source.phone_number_id)
        .ok_or(SandboxError::UnknownNumber)?;
    let inbound = Inbound {
        phone_number_id,
        display_phone_number: to.digits().to_owned(),
        from: request.from,
        from_user_id: request.from_user_id,
        name: request.name,
        text: request.text,
        message: request.message,
    };
    let id = sim
        .inbound(inbound)
        .await
        .map_err(|error| SandboxError::Invalid(error.to_string()))?;
    Ok(Json(json!({"id": id})))
}
