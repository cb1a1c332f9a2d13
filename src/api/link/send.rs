//! `POST /whatsapp-message/messages`: check a `MessageRequest`, render each
//! (destination, message) to its Cloud API body, commit them all, answer
//! `112001 queued` with one messageId per destination.
//!
//! What one request costs is bounded: at most `--max-parts-per-request`
//! parts (checked before rendering) and `--max-rendered-bytes-per-request`
//! bytes of bodies (rendering stops at the first part past it). Each message
//! is rendered once and addressed to each destination as text.
//!
//! The order of checks decides which error a request gets: credentials
//! (401), the body's size and arrival (413, 408), JSON syntax (112505), schema (112506), the request's own semantics
//! (112402), access to the platform ids and the source (403), then gates
//! (112402).

use std::time::Instant;

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use wagate_domain::{MessageId, ResultCode, Rule, Violation};

use super::auth::LinkUser;
use super::error::{ErrorResponse, LinkError};
use super::request::{MessageRequest, ValidRequest};
use crate::api::AppState;
use crate::api::json::{self, JsonError};
use crate::api::protocol::RawBody;
use crate::api::request_id::RequestId;
use crate::clock::now_millis;
use crate::intake::{self, authorize, render};
use crate::metrics::Dialect;
use crate::retention::content_until;
use crate::store::{Account, Millis, NewRequest, User};

/// The request was accepted: one `messageId` per destination, in the
/// order of `destinations`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "resultCode": 112001,
    "description": "queued",
    "messageIds": ["9gTQwFGUD26RFjCvP7AScr"]
}))]
pub struct MessageResponse {
    /// `112001`.
    result_code: u32,
    description: &'static str,
    /// One per destination, in their order.
    pub message_ids: Vec<String>,
}

/// Send messages.
///
/// Checks the request, then queues one message per destination (each
/// message of `messages` is a part of it, by `messageIndex`); the status
/// of each part comes to `eventReportGates` as delivery reports.
#[utoipa::path(
    post,
    path = "/messages",
    tag = "link",
    operation_id = "link_send_messages",
    request_body(content = MessageRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Queued (`112001`).", body = MessageResponse),
        (status = 400, description = "Not JSON (`112505`), a field of the wrong type or \
            breaking a rule of the schema (`112506`), or a request the gateway cannot \
            honour, e.g. an unknown gate (`112402`).", body = ErrorResponse),
        (status = 401, description = "Missing or wrong credentials (`112400`).",
            body = ErrorResponse),
        (status = 403, description = "The platform ids or the source are not this \
            user's (`112401`).", body = ErrorResponse),
        (status = 408, description = "The body did not arrive in time (`112402`).",
            body = ErrorResponse),
        (status = 413, description = "The body is larger than the limit (`112402`).",
            body = ErrorResponse),
        (status = 500, description = "The gateway failed (`112500`).", body = ErrorResponse),
    ),
    security(("link_basic" = [])),
)]
pub async fn send_messages(
    State(state): State<AppState>,
    LinkUser { user, account }: LinkUser,
    request_id: RequestId,
    body: RawBody<LinkError>,
) -> Result<Json<MessageResponse>, LinkError> {
    let started = Instant::now();
    let request = read_request(&body.bytes)?;
    // Parsed: the raw body need not wait for the commit.
    drop(body);
    accept(&state, user, account, request, request_id, started)
        .await
        .map(Json)
}

/// Validates, authorizes, renders and commits a read request of `user`,
/// answering as LINK does: the send API and the console's playground both
/// go through here.
pub async fn accept(
    state: &AppState,
    user: User,
    account: Account,
    request: MessageRequest,
    request_id: RequestId,
    started: Instant,
) -> Result<MessageResponse, LinkError> {
    let now = now_millis();
    let request = request
        .validate(now, &state.link_limits, account.default_country)
        .map_err(LinkError::from_violations)?;
    authorize(state, &account, &request).await?;

    let content_until = content_until(&request.custom_parameters, state.content_retention, now);
    let new_request = render(
        request,
        &account,
        user.username,
        now,
        content_until,
        state.link_limits.max_rendered_bytes,
    )?;
    let message_ids: Vec<String> = new_request
        .messages
        .iter()
        .map(|message| message.message_id.clone())
        .collect();
    intake::commit(&state.accepter, vec![new_request], request_id).await?;
    state
        .metrics
        .accepted(Dialect::Link, message_ids.len(), started);
    Ok(MessageResponse {
        result_code: ResultCode::Queued.code(),
        description: ResultCode::Queued.description(),
        message_ids,
    })
}

/// The body as a `MessageRequest`, or the error a client gets for it (see
/// [`read_json`]).
pub fn read_request(body: &[u8]) -> Result<MessageRequest, LinkError> {
    read_json(body)
}

/// A LINK body read as `T`, or the error a client gets for it: 112505 for
/// JSON syntax, 112506 with the field's path for its shape or for text the
/// store cannot keep.
pub fn read_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, LinkError> {
    json::parse(body).map_err(|error| match error {
        JsonError::Syntax(message) => LinkError::InvalidPayload(message),
        JsonError::Shape { path, message } => {
            LinkError::Invalid(Violation::new(path, Rule::Type(message)))
        }
        JsonError::Unstorable(unstorable) => unstorable.into(),
    })
}

/// The request may only use its own tenant's platform ids, source and gates.
async fn authorize(
    state: &AppState,
    account: &Account,
    request: &ValidRequest,
) -> Result<(), LinkError> {
    if request.platform_id != account.platform_id
        || request.platform_partner_id != account.platform_partner_id
    {
        return Err(LinkError::NoAccess(format!(
            "platformId {} / platformPartnerId {} is not this user's",
            request.platform_id, request.platform_partner_id
        )));
    }
    authorize::owned_source(&state.tenants, account, request.source.as_str()).await?;
    authorize::owned_gates(&state.tenants, account, &request.gate_ids).await?;
    Ok(())
}

/// One message id per destination, one Cloud API body per (destination,
/// message); refused once the bodies take more than `max_bytes` in all.
pub fn render(
    request: ValidRequest,
    account: &Account,
    username: String,
    now: Millis,
    content_until: Millis,
    max_bytes: usize,
) -> Result<NewRequest, LinkError> {
    let envelope = NewRequest {
        account_id: account.id.clone(),
        username,
        source: request.source.to_string(),
        ref_id: request.ref_id,
        priority: request.priority,
        expires_at: request.expires_at,
        created_at: now,
        platform: request.platform,
        custom_parameters: request.custom_parameters,
        gate_ids: request.gate_ids,
        callback: None,
        content_until,
        request_id: None,
        messages: Vec::new(),
    };
    Ok(render::address(
        envelope,
        &request.destinations,
        &request.messages,
        || MessageId::generate().to_string(),
        max_bytes,
    )?)
}
