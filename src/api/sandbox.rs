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
//! - `POST /inbox` (no auth: a gate's URL) keeps the callbacks it receives,
//!   the last `--sandbox-inbox-limit`; `GET /inbox?since=N` (admin token)
//!   lists them ([`crate::inbox`]).
//! - `POST /numbers` (admin token): registers a number with the simulator,
//!   e.g. `{"phoneNumberId","wabaId","level":"HIGH"}` to have its phone
//!   number node report another throughput level than the source's.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use wagate_domain::Msisdn;

use super::AppState;
use super::admin::require_admin_token;
use super::json::parse;
use super::link::auth::LinkUser;
use super::link::error::ErrorResponse;
use super::problem::Problem;
use crate::clock::now_millis;
use crate::inbox::{self, InboxEntry};
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
    let inbox_view =
        Router::new()
            .route("/inbox", get(inbox_since))
            .layer(middleware::from_fn_with_state(
                state.admin_token.clone(),
                require_admin_token,
            ));
    Router::new()
        .route("/inbound", post(inbound))
        .layer(Extension(sim.clone()))
        .route(
            "/inbox",
            post(inbox_record).layer(DefaultBodyLimit::max(inbox::MAX_BODY_BYTES)),
        )
        .merge(inbox_view)
        .merge(observe)
}

/// What goes wrong in the sandbox API, and its HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
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
        Problem::response(status, self.to_string())
    }
}

/// `{"from": "+4670…", "to": "<business number>", "text": "hi"}`, or
/// `"message": {…}` (a Cloud API inbound message object) instead of `text`;
/// `fromUserId` (a BSUID) and `name` are optional.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"from": "+46701234567", "to": "+46700000000", "text": "hi"}))]
pub struct InboundRequest {
    /// One of the tenant's numbers (with a phone number id).
    pub to: String,
    /// The user's number; `from` or `fromUserId` is needed.
    pub from: Option<String>,
    /// The user's business-scoped user id (BSUID).
    pub from_user_id: Option<String>,
    /// The user's profile name.
    pub name: Option<String>,
    /// A text message; or `message`.
    pub text: Option<String>,
    /// A Cloud API inbound message object, instead of `text`.
    #[schema(value_type = Option<Object>)]
    pub message: Option<Value>,
}

/// The incoming message's id.
#[derive(Serialize, utoipa::ToSchema)]
struct InboundAnswer {
    /// Its wamid.
    #[schema(example = "wamid.HBgLNDY3MDEyMzQ1NjcVAgASGCA2RTE2NzE3NUQ=")]
    id: String,
}

/// `/sandbox/v1/inbound` in the OpenAPI document (the simulator's own
/// controls are [`crate::sim::SandboxControlsApi`], under the same prefix).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(inbound, inbox_record, inbox_since),
    tags((name = "sandbox", description = "The built-in Cloud API simulator \
        (`--upstream sandbox` only).")),
)]
pub struct SandboxApi;

/// The failures of the admin token check in front of the controls
/// (the admin API's error body).
#[derive(utoipa::IntoResponses)]
pub enum AdminTokenFailures {
    /// No or a wrong admin token.
    #[response(status = 401, content_type = "application/json",
        example = json!({"error": "unauthorized", "message": "missing or wrong admin token"}))]
    Unauthorized(#[to_schema] serde_json::Value),
    /// The gateway runs without `--admin-token`: the admin API is off.
    #[response(status = 403, content_type = "application/json",
        example = json!({"error": "disabled",
            "message": "the admin API is disabled: start wagate with --admin-token"}))]
    Disabled(#[to_schema] serde_json::Value),
}

/// A simulated user writes to one of the tenant's numbers: the message
/// reaches `/webhooks/meta` like a real one.
#[utoipa::path(
    post,
    path = "/inbound",
    tag = "sandbox",
    operation_id = "sandbox_inbound",
    security(("link_basic" = [])),
    request_body(content = InboundRequest),
    responses(
        (status = 200, description = "Sent; the message's id.", body = InboundAnswer),
        (status = 400, description = "Not such a body, or the simulator refused the message.",
            body = Problem, example = json!({"error": "to: is required"})),
        (status = 401, description = "No or wrong Basic credentials (LINK's error body).",
            body = ErrorResponse),
        (status = 404, description = "`to` is not one of the tenant's numbers with a phone \
            number id.", body = Problem,
            example = json!({"error": "to: not one of your numbers with a phoneNumberId"})),
        (status = 413, description = "The body is larger than `--max-body-bytes`.",
            content_type = "text/plain", body = String),
        (status = 500, description = "The gateway failed: `{\"error\"}`, or LINK's error body \
            when checking the credentials failed.", content_type = "application/json",
            body = Object),
    ),
)]
async fn inbound(
    State(state): State<AppState>,
    Extension(sim): Extension<Sim>,
    LinkUser { account, .. }: LinkUser,
    body: Bytes,
) -> Result<Json<InboundAnswer>, SandboxError> {
    let request: InboundRequest =
        parse(&body).map_err(|error| SandboxError::Invalid(error.to_string()))?;
    let id = simulate_inbound(&state, &sim, &account.id, request).await?;
    Ok(Json(InboundAnswer { id }))
}

/// A simulated user writes `request` to one of `account_id`'s numbers;
/// returns the message's wamid. The sandbox API and the console's
/// playground both go through here.
pub async fn simulate_inbound(
    state: &AppState,
    sim: &Sim,
    account_id: &str,
    request: InboundRequest,
) -> Result<String, SandboxError> {
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
    let phone_number_id = owned_by(source, account_id)
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
    sim.inbound(inbound)
        .await
        .map_err(|error| SandboxError::Invalid(error.to_string()))
}

/// What `GET /inbox` answers.
#[derive(Serialize, utoipa::ToSchema)]
struct InboxAnswer {
    /// The callbacks after `since`, oldest first.
    callbacks: Vec<InboxEntry>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct InboxQuery {
    /// Only callbacks with a larger `seq`.
    #[serde(default)]
    since: u64,
}

/// The sandbox's inbox: a gate URL that keeps the callbacks it receives
/// (the last `--sandbox-inbox-limit`), to see them as a business's
/// endpoint would. Answers 200 to any body of at most 64 KiB.
#[utoipa::path(
    post,
    path = "/inbox",
    tag = "sandbox",
    operation_id = "sandbox_inbox_record",
    request_body(content = Object, description = "Any callback body.",
        content_type = "application/json"),
    responses(
        (status = 200, description = "Kept."),
        (status = 413, description = "Larger than 64 KiB.", content_type = "text/plain",
            body = String),
    ),
)]
async fn inbox_record(State(state): State<AppState>, body: Bytes) -> StatusCode {
    if let Some(inbox) = &state.inbox {
        inbox.record(now_millis(), &body);
    }
    StatusCode::OK
}

/// The callbacks the sandbox's inbox kept.
#[utoipa::path(
    get,
    path = "/inbox",
    tag = "sandbox",
    operation_id = "sandbox_inbox_list",
    params(InboxQuery),
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "The kept callbacks after `since`.", body = InboxAnswer),
        (status = 400, description = "`since` is not a number.", content_type = "text/plain",
            body = String),
        AdminTokenFailures,
    ),
)]
async fn inbox_since(
    State(state): State<AppState>,
    Query(query): Query<InboxQuery>,
) -> Json<InboxAnswer> {
    let callbacks = state
        .inbox
        .as_ref()
        .map(|inbox| inbox.since(query.since))
        .unwrap_or_default();
    Json(InboxAnswer { callbacks })
}
