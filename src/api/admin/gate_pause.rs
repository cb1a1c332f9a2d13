//! `POST /admin/v1/gates/{id}/pause` and `POST …/resume`: a paused gate's
//! callbacks (delivery reports, incoming messages) wait, stored and
//! PENDING, until it is resumed; then they go in their order. Tries in
//! flight when it is paused finish. `GET …/pause` tells whether it is.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;

use super::error::{AdminError, ReadFailures};
use super::{Parsed, deliveries};
use crate::api::AppState;
use crate::clock::{now_millis, rfc3339};

/// Whether a gate's callbacks are paused.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatePause {
    pub gate_id: String,
    pub paused: bool,
    /// Since when (RFC 3339), while paused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused_at: Option<String>,
}

/// Pauses callbacks to the gate (pausing a paused gate keeps its time).
#[utoipa::path(
    post,
    path = "/gates/{id}/pause",
    tag = "admin",
    security(("admin_token" = [])),
    params(("id" = String, Path, description = "The gate's id.")),
    responses(
        (status = 200, description = "Paused.", body = GatePause),
        ReadFailures,
    ),
)]
pub async fn pause(
    State(state): State<AppState>,
    Parsed(Path(gate_id)): Parsed<Path<String>>,
) -> Result<Json<GatePause>, AdminError> {
    Ok(Json(set(&state, gate_id, Some(now_millis())).await?))
}

/// Resumes callbacks to the gate: what waited goes now, in order.
#[utoipa::path(
    post,
    path = "/gates/{id}/resume",
    tag = "admin",
    security(("admin_token" = [])),
    params(("id" = String, Path, description = "The gate's id.")),
    responses(
        (status = 200, description = "Resumed (or was not paused).", body = GatePause),
        ReadFailures,
    ),
)]
pub async fn resume(
    State(state): State<AppState>,
    Parsed(Path(gate_id)): Parsed<Path<String>>,
) -> Result<Json<GatePause>, AdminError> {
    Ok(Json(set(&state, gate_id, None).await?))
}

/// Whether the gate's callbacks are paused.
#[utoipa::path(
    get,
    path = "/gates/{id}/pause",
    tag = "admin",
    security(("admin_token" = [])),
    params(("id" = String, Path, description = "The gate's id.")),
    responses(
        (status = 200, description = "The gate's pause.", body = GatePause),
        ReadFailures,
    ),
)]
pub async fn show(
    State(state): State<AppState>,
    Parsed(Path(gate_id)): Parsed<Path<String>>,
) -> Result<Json<GatePause>, AdminError> {
    deliveries::existing_gate(&state, &gate_id).await?;
    Ok(Json(current(&state, gate_id).await?))
}

/// Pauses (`Some(now)`) or resumes (`None`) a gate: the admin API's, and
/// the console's.
pub(crate) async fn set(
    state: &AppState,
    gate_id: String,
    paused_at: Option<i64>,
) -> Result<GatePause, AdminError> {
    crate::api::text::check("gateId", &gate_id)?;
    if !state.store.set_gate_paused(&gate_id, paused_at).await? {
        return Err(AdminError::NotFound(format!("gate {gate_id}")));
    }
    tracing::info!(gate = %gate_id, paused = paused_at.is_some(), "gate pause changed");
    current(state, gate_id).await
}

/// The gate's pause as the store has it.
pub async fn current(state: &AppState, gate_id: String) -> Result<GatePause, AdminError> {
    let paused_at = state
        .store
        .paused_gates()
        .await?
        .into_iter()
        .find_map(|(gate, at)| (gate == gate_id).then_some(at));
    Ok(GatePause {
        gate_id,
        paused: paused_at.is_some(),
        paused_at: paused_at.map(rfc3339),
    })
}
