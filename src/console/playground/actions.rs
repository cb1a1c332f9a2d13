//! The playground's actions: connect a number to the inbox, send a LINK
//! message, simulate a user's reply. Each goes through the code of the API
//! that does the same, and answers with that API's checks.

use std::time::Instant;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::{inbox_gate_id, inbox_url, wiring};
use crate::api::AppState;
use crate::api::admin::{gates, routes};
use crate::api::link::request::MessageRequest;
use crate::api::link::send;
use crate::api::request_id::RequestId;
use crate::api::sandbox::{InboundRequest, simulate_inbound};
use crate::console::ConsoleForm;
use crate::console::answers::ActionAnswers;
use crate::console::error::ConsoleError;
use crate::console::session::Operator;
use crate::sim::Sim;
use crate::store::{Account, Gate, Source};

/// The source a form names, its account, and the sandbox.
async fn chosen_source(
    state: &AppState,
    source_id: &str,
) -> Result<(Source, Account, Sim), ConsoleError> {
    let sim = state.sandbox.clone().ok_or(ConsoleError::NoSandbox)?;
    let refused = |message: String| ConsoleError::Refused {
        status: axum::http::StatusCode::BAD_REQUEST,
        message,
    };
    let source = state
        .store
        .source(source_id)
        .await?
        .ok_or_else(|| refused(format!("source: no source {source_id}")))?;
    let account = state
        .store
        .account(&source.account_id)
        .await?
        .ok_or_else(|| refused(format!("source: {source_id} has no account")))?;
    Ok((source, account, sim))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ConnectForm {
    #[serde(default)]
    csrf: String,
    /// The source's id.
    #[serde(default)]
    source: String,
}

/// Points the tenant's playground gate at the inbox and, when the number
/// has no default route, routes its incoming messages there (the admin
/// API's gate and route creation).
#[utoipa::path(
    post,
    path = "/console/playground/connect",
    tag = "console",
    request_body(content = ConnectForm, content_type = "application/x-www-form-urlencoded"),
    responses(ActionAnswers),
)]
pub async fn connect(
    operator: Operator,
    State(state): State<AppState>,
    ConsoleForm(form): ConsoleForm<ConnectForm>,
) -> Result<Response, ConsoleError> {
    operator.check_csrf(&form.csrf)?;
    let (source, account, _) = chosen_source(&state, &form.source).await?;
    let gate_id = inbox_gate_id(&account);
    if state.store.gate(&gate_id).await?.is_none() {
        gates::add(
            &state,
            gates::NewGate {
                id: Some(gate_id.clone()),
                platform_id: Some(account.platform_id.clone()),
                platform_partner_id: Some(account.platform_partner_id.clone()),
                url: Some(inbox_url(&state)),
                ..gates::NewGate::default()
            },
        )
        .await?;
    }
    if wiring(&state, &account, &source)
        .await?
        .default_route
        .is_none()
    {
        routes::add(
            &state,
            routes::NewRoute {
                platform_id: Some(account.platform_id.clone()),
                platform_partner_id: Some(account.platform_partner_id.clone()),
                number: Some(source.number.clone()),
                gate_ids: Some(vec![gate_id]),
                ..routes::NewRoute::default()
            },
        )
        .await?;
    }
    Ok(back_to(&source.id, None))
}

fn back_to(source_id: &str, replied: Option<&str>) -> Response {
    let mut url = format!("/console/playground?source={}", urlencoding(source_id));
    if let Some(wamid) = replied {
        url.push_str("&replied=");
        url.push_str(&urlencoding(wamid));
    }
    Redirect::to(&url).into_response()
}

fn urlencoding(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SendForm {
    #[serde(default)]
    csrf: String,
    /// The source's id.
    #[serde(default)]
    source: String,
    /// One of the test numbers…
    #[serde(default)]
    destination: String,
    /// …or any other number, when given.
    #[serde(default)]
    other: String,
    /// `template` (Meta's `hello_world`) or `text`.
    #[serde(default)]
    kind: String,
    /// The text of a text message.
    #[serde(default)]
    text: String,
    #[serde(default)]
    ref_id: String,
}

/// Sends a LINK message from the source, as its tenant's first user,
/// through the LINK API's own acceptance; on to the message's page.
#[utoipa::path(
    post,
    path = "/console/playground/send",
    tag = "console",
    request_body(content = SendForm, content_type = "application/x-www-form-urlencoded"),
    responses(ActionAnswers),
)]
pub async fn send_message(
    operator: Operator,
    State(state): State<AppState>,
    ConsoleForm(form): ConsoleForm<SendForm>,
) -> Result<Response, ConsoleError> {
    operator.check_csrf(&form.csrf)?;
    let started = Instant::now();
    let (source, account, _) = chosen_source(&state, &form.source).await?;
    let user = state
        .store
        .users()
        .await?
        .into_iter()
        .filter(|user| user.account_id == account.id)
        .min_by(|a, b| a.username.cmp(&b.username))
        .ok_or_else(|| ConsoleError::Refused {
            status: axum::http::StatusCode::BAD_REQUEST,
            message: "source: its tenant has no user to send as".into(),
        })?;
    let gate_id = inbox_gate_id(&account);
    let gate_ids: Vec<String> = state
        .store
        .gate(&gate_id)
        .await?
        .filter(|gate: &Gate| gate.url == inbox_url(&state))
        .map(|gate| gate.id)
        .into_iter()
        .collect();
    let destination = match form.other.trim() {
        "" => form.destination.trim(),
        other => other,
    };
    let message = match form.kind.as_str() {
        "text" => json!({"type": "text", "text": {"body": form.text}}),
        _ => {
            json!({"type": "template", "template": {"name": "hello_world", "language": {"code": "en_US"}}})
        }
    };
    let mut request = json!({
        "platformId": account.platform_id,
        "platformPartnerId": account.platform_partner_id,
        "source": source.number,
        "priority": "NORMAL",
        "destinations": [destination],
        "messages": [message],
    });
    if !gate_ids.is_empty() {
        request["eventReportGates"] = json!(gate_ids);
    }
    request["refId"] = json!(match form.ref_id.trim() {
        "" => "playground",
        ref_id => ref_id,
    });
    let request: MessageRequest =
        serde_json::from_value(request).map_err(|error| ConsoleError::Refused {
            status: axum::http::StatusCode::BAD_REQUEST,
            message: error.to_string(),
        })?;
    let answer = send::accept(&state, user, account, request, RequestId(None), started)
        .await
        .map_err(|error| ConsoleError::Refused {
            status: error.status_and_code().0,
            message: format!(
                "LINK answered {}: {error}",
                error.status_and_code().1.code()
            ),
        })?;
    match answer.message_ids.first() {
        Some(id) => {
            Ok(Redirect::to(&format!("/console/messages/{}", urlencoding(id))).into_response())
        }
        None => Ok(back_to(&source.id, None)),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReplyForm {
    #[serde(default)]
    csrf: String,
    /// The source's id: the business number the user writes to.
    #[serde(default)]
    source: String,
    /// The user's number.
    #[serde(default)]
    from: String,
    /// `text`, `image` or `button`.
    #[serde(default)]
    kind: String,
    /// The text, the image's caption or the button's text.
    #[serde(default)]
    text: String,
}

/// A simulated user writes to the source (the sandbox API's own code);
/// back to the playground, where the inbox shows what the tenant's gates
/// receive.
#[utoipa::path(
    post,
    path = "/console/playground/reply",
    tag = "console",
    request_body(content = ReplyForm, content_type = "application/x-www-form-urlencoded"),
    responses(ActionAnswers),
)]
pub async fn reply(
    operator: Operator,
    State(state): State<AppState>,
    ConsoleForm(form): ConsoleForm<ReplyForm>,
) -> Result<Response, ConsoleError> {
    operator.check_csrf(&form.csrf)?;
    let (source, account, sim) = chosen_source(&state, &form.source).await?;
    let mut request = InboundRequest {
        to: source.number.clone(),
        from: Some(form.from.trim().to_owned()),
        name: Some("Playground user".into()),
        ..InboundRequest::default()
    };
    match form.kind.as_str() {
        "image" => {
            request.message = Some(json!({"type": "image", "image": {
                "id": format!("playground-{}", crate::auth::random_token(12)),
                "mime_type": "image/jpeg",
                "caption": form.text,
            }}));
        }
        "button" => {
            request.message = Some(json!({"type": "button", "button": {
                "text": form.text,
                "payload": form.text,
            }}));
        }
        _ => request.text = Some(form.text),
    }
    let wamid = simulate_inbound(&state, &sim, &account.id, request)
        .await
        .map_err(|error| {
            let message = error.to_string();
            ConsoleError::Refused {
                status: error.into_response().status(),
                message,
            }
        })?;
    Ok(back_to(&source.id, Some(&wamid)))
}
