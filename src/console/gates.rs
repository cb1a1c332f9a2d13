//! The gates pages: every gate with whether it is paused, and one gate's
//! recent callbacks with every try, its failure rate and oldest pending
//! callback, and buttons to pause, resume and redeliver (the admin API's
//! own code: [`crate::api::admin::gate_pause`],
//! [`crate::api::admin::deliveries`]).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Redirect, Response};

use super::answers::{ActionAnswers, PageAnswers};
use super::error::ConsoleError;
use super::session::Operator;
use super::{ConsoleForm, CsrfForm, render};
use crate::api::AppState;
use crate::api::admin::AdminError;
use crate::api::admin::deliveries::{self, DeliveryView};
use crate::api::admin::gate_pause;
use crate::clock::now_millis;

/// How many callbacks the gate page shows.
const RECENT: u32 = 100;

struct GateRow {
    id: String,
    account: String,
    url: String,
    format: String,
    paused: bool,
}

#[derive(Template)]
#[template(path = "console/gates.html")]
struct GatesPage {
    gates: Vec<GateRow>,
}

/// Every gate, and whether its callbacks are paused.
#[utoipa::path(get, path = "/console/gates", tag = "console", responses(PageAnswers))]
pub async fn list(
    _operator: Operator,
    State(state): State<AppState>,
) -> Result<Response, ConsoleError> {
    let paused: HashMap<String, i64> = state.store.paused_gates().await?.into_iter().collect();
    let accounts: HashMap<String, String> = state
        .store
        .accounts()
        .await?
        .into_iter()
        .map(|account| {
            let name = account.name.clone().unwrap_or_else(|| account.id.clone());
            (account.id, name)
        })
        .collect();
    let gates = state
        .store
        .gates()
        .await?
        .into_iter()
        .map(|gate| GateRow {
            paused: paused.contains_key(&gate.id),
            account: accounts
                .get(&gate.account_id)
                .cloned()
                .unwrap_or(gate.account_id),
            id: gate.id,
            url: gate.url,
            format: gate.format.as_str().to_owned(),
        })
        .collect();
    render(&GatesPage { gates })
}

#[derive(Template)]
#[template(path = "console/gate.html")]
struct GatePage {
    csrf: String,
    gate_id: String,
    url: String,
    paused: bool,
    paused_at: Option<String>,
    tries: usize,
    failed_tries: usize,
    failure_rate: String,
    oldest_pending: String,
    deliveries: Vec<DeliveryView>,
}

/// One gate: its recent callbacks with every try, pause and redeliver.
#[utoipa::path(
    get,
    path = "/console/gates/{id}",
    tag = "console",
    params(("id" = String, Path, description = "The gate's id.")),
    responses(PageAnswers),
)]
pub async fn page(
    operator: Operator,
    State(state): State<AppState>,
    Path(gate_id): Path<String>,
) -> Result<Response, ConsoleError> {
    let gate = state
        .store
        .gate(&gate_id)
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("gate {gate_id}")))?;
    let deliveries = deliveries::recent(&state, &gate_id, RECENT).await?;
    let pause = gate_pause::current(&state, gate_id.clone()).await?;
    let tries = deliveries
        .iter()
        .map(|delivery| delivery.attempts.len())
        .sum();
    let failed_tries = deliveries
        .iter()
        .flat_map(|delivery| &delivery.attempts)
        .filter(|attempt| {
            !attempt
                .http_status
                .is_some_and(|status| (200..300).contains(&status))
        })
        .count();
    let failure_rate = if tries == 0 {
        "–".to_owned()
    } else {
        format!("{:.0} %", 100.0 * failed_tries as f64 / tries as f64)
    };
    let oldest_pending = deliveries
        .iter()
        .filter(|delivery| delivery.state == "PENDING")
        .map(|delivery| delivery.created_at.clone())
        .min()
        .unwrap_or_else(|| "none".to_owned());
    render(&GatePage {
        csrf: operator.csrf,
        url: gate.url,
        gate_id,
        paused: pause.paused,
        paused_at: pause.paused_at,
        tries,
        failed_tries,
        failure_rate,
        oldest_pending,
        deliveries,
    })
}

fn back_to(gate_id: &str) -> Redirect {
    Redirect::to(&format!("/console/gates/{}", urlencoding(gate_id)))
}

/// A path segment, percent-encoded.
fn urlencoding(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}

/// Pauses the gate's callbacks (the admin API's pause).
#[utoipa::path(
    post,
    path = "/console/gates/{id}/pause",
    tag = "console",
    params(("id" = String, Path, description = "The gate's id.")),
    request_body(content = super::CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses(ActionAnswers),
)]
pub async fn pause(
    operator: Operator,
    State(state): State<AppState>,
    Path(gate_id): Path<String>,
    ConsoleForm(form): ConsoleForm<CsrfForm>,
) -> Result<Redirect, ConsoleError> {
    set_pause(&operator, &state, gate_id, &form, Some(now_millis())).await
}

/// Resumes the gate's callbacks (the admin API's resume).
#[utoipa::path(
    post,
    path = "/console/gates/{id}/resume",
    tag = "console",
    params(("id" = String, Path, description = "The gate's id.")),
    request_body(content = super::CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses(ActionAnswers),
)]
pub async fn resume(
    operator: Operator,
    State(state): State<AppState>,
    Path(gate_id): Path<String>,
    ConsoleForm(form): ConsoleForm<CsrfForm>,
) -> Result<Redirect, ConsoleError> {
    set_pause(&operator, &state, gate_id, &form, None).await
}

/// Pauses (`Some(now)`) or resumes (`None`) the gate, as the admin API does.
async fn set_pause(
    operator: &Operator,
    state: &AppState,
    gate_id: String,
    form: &CsrfForm,
    paused_at: Option<i64>,
) -> Result<Redirect, ConsoleError> {
    operator.check_csrf(&form.csrf)?;
    let pause = gate_pause::set(state, gate_id, paused_at).await?;
    Ok(back_to(&pause.gate_id))
}

/// Queues a copy of one of the gate's callbacks (the admin API's redeliver).
#[utoipa::path(
    post,
    path = "/console/gates/{id}/deliveries/{delivery}/redeliver",
    tag = "console",
    params(
        ("id" = String, Path, description = "The gate's id."),
        ("delivery" = i64, Path, description = "The callback's id."),
    ),
    request_body(content = super::CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses(ActionAnswers),
)]
pub async fn redeliver(
    operator: Operator,
    State(state): State<AppState>,
    Path((gate_id, delivery_id)): Path<(String, i64)>,
    ConsoleForm(form): ConsoleForm<CsrfForm>,
) -> Result<Redirect, ConsoleError> {
    operator.check_csrf(&form.csrf)?;
    deliveries::redeliver_one(&state, &gate_id, delivery_id).await?;
    Ok(back_to(&gate_id))
}
