//! `POST /whatsapp/v2/messages` (one message object) and `POST
//! /whatsapp/v2/messages/batch` (`{"messages":[…]}`, at most
//! [`MAX_BATCH`]): each message is checked on its own ([`super::request`]),
//! its `from` must be a number of the tenant and its `callbackUrl` usable;
//! the good ones get numeric ids and are committed together, and the answer
//! (one entry per message, in order) comes only after that commit. A store
//! failure fails the whole call (500) with nothing stored.

use std::time::Instant;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use wagate_domain::{Destination, Priority, Rule};

use super::auth::DevinoUser;
use super::error::{DevinoError, Rejection, SendFailures};
use super::reason::Reason;
use super::request::{CheckContext, CheckedMessage, DevinoMessage};
use crate::api::AppState;
use crate::api::json::{self, JsonError};
use crate::api::protocol::RawBody;
use crate::api::request_id::RequestId;
use crate::clock::now_millis;
use crate::intake::{self, IntakeError, authorize, callback_target, render};
use crate::metrics::Dialect;
use crate::store::{Account, NewRequest, PlatformFields};

/// Messages in one batch.
pub const MAX_BATCH: usize = 1000;

/// The answer: one entry per message, in order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = DevinoAnswer, example = json!({"result": [
    {"code": "OK", "messageId": "5170063211253825537"},
    {"code": "REJECTED", "reasons": [{"key": "not.available", "ref": "messages[1].from"}],
     "description": "messages[1].from: +79001234567 is not a business number of this account"}]}))]
pub struct Answer {
    result: Vec<Entry>,
}

/// What became of one message.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[schema(as = DevinoResultEntry)]
enum Entry {
    /// Accepted, with its id (digits).
    Ok {
        /// Always `OK`.
        #[schema(schema_with = ok_code)]
        code: &'static str,
        #[serde(rename = "messageId")]
        #[schema(pattern = "^[0-9]+$", example = "5170063211253825537")]
        message_id: String,
    },
    /// Rejected, and why.
    Rejected(Rejection),
}

fn ok_code() -> utoipa::openapi::schema::Object {
    super::error::words(&["OK"])
}

/// `POST /messages/batch`: the messages, read one by one (a message that
/// is not even an object is rejected alone).
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = DevinoBatch)]
struct Batch {
    /// 1 to 1000 messages.
    #[schema(value_type = Vec<DevinoMessage>, required = true, min_items = 1, max_items = 1000)]
    messages: Option<Vec<Box<RawValue>>>,
}

/// Sends one message.
///
/// The answer's `result` holds one entry, `OK` with the message's id or
/// `REJECTED` with the reasons: a rejected message is still an HTTP 200.
#[utoipa::path(
    post,
    path = "/messages",
    tag = "devino",
    operation_id = "devinoSend",
    request_body(content = DevinoMessage, content_type = "application/json"),
    security(("devino_key" = []), ("devino_x_api_key" = [])),
    responses(
        (status = 200, description = "The message's fate.", body = Answer,
            content_type = "application/json"),
        SendFailures,
    ),
)]
pub async fn send_one(
    State(state): State<AppState>,
    user: DevinoUser,
    request_id: RequestId,
    body: RawBody<DevinoError>,
) -> Result<Json<Answer>, DevinoError> {
    let started = Instant::now();
    let message: Box<RawValue> = serde_json::from_slice(&body.bytes).map_err(|error| {
        DevinoError::Rejected(Reason::general(
            "invalid",
            format!("the body is not valid JSON: {error}"),
        ))
    })?;
    drop(body);
    send(&state, &user, vec![message], request_id, started)
        .await
        .map(Json)
}

/// Sends 1 to 1000 messages.
///
/// Each message is checked on its own: `result` holds one entry per
/// message, in order, `OK` or `REJECTED`; the accepted ones are stored
/// together before the answer.
#[utoipa::path(
    post,
    path = "/messages/batch",
    tag = "devino",
    operation_id = "devinoSendBatch",
    request_body(content = Batch, content_type = "application/json"),
    security(("devino_key" = []), ("devino_x_api_key" = [])),
    responses(
        (status = 200, description = "Each message's fate, in order.", body = Answer,
            content_type = "application/json"),
        SendFailures,
    ),
)]
pub async fn send_batch(
    State(state): State<AppState>,
    user: DevinoUser,
    request_id: RequestId,
    body: RawBody<DevinoError>,
) -> Result<Json<Answer>, DevinoError> {
    let started = Instant::now();
    let batch: Batch = json::parse(&body.bytes).map_err(|error| {
        let reference = match &error {
            JsonError::Syntax(_) => None,
            JsonError::Shape { .. } | JsonError::Unstorable(_) => Some("messages"),
        };
        DevinoError::Rejected(match reference {
            Some(reference) => Reason::whole("invalid", reference, error.to_string()),
            None => Reason::general("invalid", error.to_string()),
        })
    })?;
    drop(body);
    let messages = batch.messages.unwrap_or_default();
    if messages.is_empty() {
        return Err(DevinoError::Rejected(Reason::whole(
            "must.be.not.null",
            "messages",
            "messages: must have at least one message".into(),
        )));
    }
    if messages.len() > MAX_BATCH {
        return Err(DevinoError::Rejected(Reason::whole(
            "too.many.messages",
            "messages",
            format!("messages: must have at most {MAX_BATCH} messages"),
        )));
    }
    send(&state, &user, messages, request_id, started)
        .await
        .map(Json)
}

/// Checks, authorizes, renders and commits the messages; the answer says
/// what became of each. `started`: when the call's handling began.
async fn send(
    state: &AppState,
    DevinoUser { user, account }: &DevinoUser,
    messages: Vec<Box<RawValue>>,
    request_id: RequestId,
    started: Instant,
) -> Result<Answer, DevinoError> {
    let now = now_millis();
    let context = CheckContext {
        now,
        max_validity_ms: state.link_limits.max_validity_ms,
    };
    let mut outcomes = Vec::with_capacity(messages.len());
    for (index, raw) in messages.iter().enumerate() {
        outcomes.push(admit(state, account, index, raw, &context).await?);
    }
    drop(messages);
    let admitted = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    let mut numbers = state.message_numbers.take(admitted).await?.into_iter();
    let mut budget = state.link_limits.max_rendered_bytes;
    let mut requests = Vec::with_capacity(admitted);
    let mut result = Vec::with_capacity(outcomes.len());
    for (index, outcome) in outcomes.into_iter().enumerate() {
        let admitted = match outcome {
            Ok(admitted) => admitted,
            Err(reasons) => {
                result.push(Entry::Rejected(Rejection::new(reasons)));
                continue;
            }
        };
        let message_id = numbers.next().map(|number| number.to_string());
        let Some(message_id) = message_id else {
            tracing::error!("fewer message numbers than messages");
            return Err(DevinoError::Internal);
        };
        match new_request(account, &user.username, now, admitted, &message_id, budget) {
            Ok(request) => {
                let bytes: usize = request
                    .messages
                    .iter()
                    .flat_map(|m| &m.parts)
                    .map(|p| p.cloud_body.len())
                    .sum();
                budget = budget.saturating_sub(bytes);
                requests.push(request);
                result.push(Entry::Ok {
                    code: "OK",
                    message_id,
                });
            }
            Err(IntakeError::RenderedTooLarge(max)) => {
                let reference = format!("messages[{index}]");
                result.push(Entry::Rejected(Rejection::new(vec![Reason::whole(
                    "length.too.long",
                    &reference,
                    format!("{reference}: the Cloud API bodies of the request's messages must be at most {max} bytes in all"),
                )])));
            }
            Err(error) => return Err(intake_failure(error)),
        }
    }
    let accepted = requests.len();
    intake::commit(&state.accepter, requests, request_id)
        .await
        .map_err(intake_failure)?;
    if accepted > 0 {
        state.metrics.accepted(Dialect::Devino, accepted, started);
    }
    Ok(Answer { result })
}

/// A message that passed its checks, with its callback URL's gate.
pub struct Admitted {
    pub checked: CheckedMessage,
    pub gate_ids: Vec<String>,
}

/// The message at `index`, read and checked; `Err(reasons)` rejects it
/// alone, a failure of the gateway fails the call.
async fn admit(
    state: &AppState,
    account: &Account,
    index: usize,
    raw: &RawValue,
    context: &CheckContext,
) -> Result<Result<Admitted, Vec<Reason>>, DevinoError> {
    let at = format!("messages[{index}]");
    let checked = match read_message(index, raw.get().as_bytes(), context) {
        Ok(checked) => checked,
        Err(reasons) => return Ok(Err(reasons)),
    };
    match authorize::owned_source(&state.tenants, account, checked.from.as_str()).await {
        Ok(()) => {}
        Err(IntakeError::ForeignSource(number)) => {
            return Ok(Err(vec![Reason::not_available(
                &format!("{at}.from"),
                &number,
            )]));
        }
        Err(error) => return Err(intake_failure(error)),
    }
    let mut gate_ids = Vec::new();
    if let Some(callback) = &checked.callback {
        match callback_target::gate_for(
            &state.tenants,
            account,
            &callback.url,
            state.callback_allow_private,
            context.now,
        )
        .await
        {
            Ok(gate_id) => gate_ids.push(gate_id),
            Err(IntakeError::CallbackUrl(reason)) => {
                let reference = format!("{at}.callbackUrl");
                return Ok(Err(vec![Reason::whole(
                    "invalid",
                    &reference,
                    format!("{reference}: {reason}"),
                )]));
            }
            Err(error) => return Err(intake_failure(error)),
        }
    }
    Ok(Ok(Admitted { checked, gate_ids }))
}

/// The message at `index` as its JSON text `raw`, read and checked (what
/// needs no store: see [`DevinoMessage::check`]); `Err(reasons)` rejects
/// it.
pub fn read_message(
    index: usize,
    raw: &[u8],
    context: &CheckContext,
) -> Result<CheckedMessage, Vec<Reason>> {
    let at = format!("messages[{index}]");
    let message: DevinoMessage = json::parse(raw).map_err(|error| {
        let (path, rule) = match error {
            JsonError::Shape { path, message } => (path, Rule::Type(message)),
            JsonError::Unstorable(unstorable) => (
                unstorable.path,
                Rule::Format("text without the NUL character (U+0000)"),
            ),
            JsonError::Syntax(message) => (String::new(), Rule::Type(message)),
        };
        let reference = if path.is_empty() {
            at
        } else {
            format!("{at}.{path}")
        };
        vec![Reason::invalid(&reference, rule)]
    })?;
    message.check(index, context)
}

/// The store's request for one admitted message.
pub fn new_request(
    account: &Account,
    username: &str,
    now: i64,
    admitted: Admitted,
    message_id: &str,
    max_bytes: usize,
) -> Result<NewRequest, IntakeError> {
    let Admitted { checked, gate_ids } = admitted;
    let envelope = NewRequest {
        account_id: account.id.clone(),
        username: username.to_owned(),
        source: checked.from.to_string(),
        ref_id: String::new(),
        priority: Priority::Normal,
        expires_at: checked.expires_at,
        created_at: now,
        platform: PlatformFields::default(),
        custom_parameters: Default::default(),
        gate_ids,
        callback: checked.callback,
        content_until: now,
        request_id: None,
        messages: Vec::new(),
    };
    render::address(
        envelope,
        &[Destination::Msisdn(checked.to)],
        std::slice::from_ref(&checked.message),
        || message_id.to_owned(),
        max_bytes,
    )
}

fn intake_failure(error: IntakeError) -> DevinoError {
    match error {
        IntakeError::Store(error) => error.into(),
        other => {
            tracing::error!(error = %other, "a Devino request failed in the intake");
            DevinoError::Internal
        }
    }
}
