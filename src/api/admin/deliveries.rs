//! `/admin/v1/gates/{id}/deliveries`: a gate's recent callbacks with every
//! try (time, HTTP status or error, duration), and
//! `POST …/deliveries/{delivery}/redeliver` to queue a copy of one (origin
//! `redeliver:<id>:<time>`).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::error::ReadFailures;
use super::{AdminError, Parsed};
use crate::api::AppState;
use crate::clock::{now_millis, rfc3339};
use crate::store::DeliveryRecord;

/// The most callbacks one listing shows.
const MAX_LIMIT: u32 = 500;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Listing {
    /// How many of the newest callbacks: 50 by default, taken as 1 to 500.
    #[param(minimum = 0, maximum = 4_294_967_295_u32, example = 50)]
    limit: Option<u32>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    pub(crate) id: i64,
    /// `event:<id>` (a delivery report) or `mo:<wamid>` (an incoming message).
    pub(crate) origin: String,
    /// The message's own callback URL, when it is not the gate's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) url: Option<String>,
    /// PENDING, DELIVERED or GAVE_UP.
    #[schema(example = "DELIVERED")]
    pub(crate) state: String,
    pub(crate) created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_attempt_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) finished_at: Option<String>,
    /// Whether the body is still kept: the body of a callback that carried
    /// an incoming message is erased once it is done (see
    /// `crate::retention`); `payload` is then null.
    pub(crate) content_kept: bool,
    /// The body as sent (any JSON), or null.
    #[schema(value_type = Value)]
    pub(crate) payload: serde_json::Value,
    pub(crate) attempts: Vec<AttemptView>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AttemptView {
    pub(crate) at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) http_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    pub(crate) duration_ms: i64,
}

pub(super) async fn existing_gate(state: &AppState, gate_id: &str) -> Result<(), AdminError> {
    crate::api::text::check("gateId", gate_id)?;
    state
        .store
        .gate(gate_id)
        .await?
        .map(drop)
        .ok_or_else(|| AdminError::NotFound(format!("gate {gate_id}")))
}

/// A gate's newest callbacks, newest first, with every try.
#[utoipa::path(
    get,
    path = "/gates/{id}/deliveries",
    tag = "admin",
    operation_id = "listGateDeliveries",
    params(("id" = String, Path, description = "The gate's id."), Listing),
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "The callbacks.", body = [DeliveryView],
            content_type = "application/json"),
        ReadFailures,
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    Parsed(Path(gate_id)): Parsed<Path<String>>,
    Parsed(Query(listing)): Parsed<Query<Listing>>,
) -> Result<Json<Vec<DeliveryView>>, AdminError> {
    let limit = listing.limit.unwrap_or(50);
    Ok(Json(recent(&state, &gate_id, limit).await?))
}

/// A gate's `limit` most recent callbacks (at most [`MAX_LIMIT`]), newest
/// first, with their tries: the listing, and the console's gate page.
pub(crate) async fn recent(
    state: &AppState,
    gate_id: &str,
    limit: u32,
) -> Result<Vec<DeliveryView>, AdminError> {
    existing_gate(state, gate_id).await?;
    let deliveries = state
        .store
        .gate_deliveries(gate_id, limit.clamp(1, MAX_LIMIT))
        .await?;
    Ok(deliveries.into_iter().map(view).collect())
}

/// Queues a copy of one of a gate's callbacks.
#[utoipa::path(
    post,
    path = "/gates/{id}/deliveries/{delivery}/redeliver",
    tag = "admin",
    operation_id = "redeliver",
    params(
        ("id" = String, Path, description = "The gate's id."),
        ("delivery" = i64, Path, description = "The callback's `id`."),
    ),
    security(("admin_token" = [])),
    responses(
        (status = 202, description = "Queued."),
        ReadFailures,
    ),
)]
pub async fn redeliver(
    State(state): State<AppState>,
    Parsed(Path((gate_id, delivery_id))): Parsed<Path<(String, i64)>>,
) -> Result<StatusCode, AdminError> {
    redeliver_one(&state, &gate_id, delivery_id).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Queues a copy of the gate's callback `delivery_id`: the admin API's
/// redeliver, and the console's.
pub(crate) async fn redeliver_one(
    state: &AppState,
    gate_id: &str,
    delivery_id: i64,
) -> Result<(), AdminError> {
    existing_gate(state, gate_id).await?;
    if state
        .store
        .redeliver(gate_id, delivery_id, now_millis())
        .await?
    {
        tracing::info!(gate = %gate_id, delivery_id, "callback queued again");
        Ok(())
    } else {
        Err(AdminError::NotFound(format!(
            "callback {delivery_id} of gate {gate_id} (or its content, which was not kept)"
        )))
    }
}

/// How a callback shows, in the admin API and the console.
pub(crate) fn view(delivery: DeliveryRecord) -> DeliveryView {
    let pending = delivery.state == "PENDING";
    DeliveryView {
        id: delivery.id,
        origin: delivery.origin,
        url: delivery.url,
        created_at: rfc3339(delivery.created_at),
        next_attempt_at: pending.then(|| rfc3339(delivery.next_attempt_at)),
        finished_at: delivery.finished_at.map(rfc3339),
        state: delivery.state,
        content_kept: delivery.payload.is_some(),
        payload: delivery
            .payload
            .as_deref()
            .and_then(|payload| serde_json::from_str(payload).ok())
            .unwrap_or(serde_json::Value::Null),
        attempts: delivery
            .attempts
            .into_iter()
            .map(|attempt| AttemptView {
                at: rfc3339(attempt.at),
                http_status: attempt.http_status,
                error: attempt.error,
                duration_ms: attempt.duration_ms,
            })
            .collect(),
    }
}
