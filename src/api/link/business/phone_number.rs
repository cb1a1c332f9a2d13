//! `GET …/source/{s}`: the number's information in LINK's shape, read
//! from Meta's phone number node (`verified_name`, `quality_rating`,
//! `messaging_limit_tier`, `throughput.level`, `health_status`).
//!
//! The throughput level Meta reports is the one that counts: when it
//! differs from the source's stored level, the source is updated (through
//! the tenant store and its cache, like any tenant write), so dispatch
//! paces the number at that level's rate from then on.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use serde_json::Value;

use super::admit;
use crate::api::AppState;
use crate::api::link::error::LinkError;
use crate::api::link::management::{RateLimited, SourceFailures, SourcePath};
use crate::api::link::source_path::OwnedSource;
use crate::store::{SourceLevel, TenantStore as _};

/// LINK's phone number information (`null` where Meta's node lacks it).
#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PhoneNumberInfo {
    /// The WhatsApp Business Account of the number.
    #[schema(example = "634974688087057")]
    waba_id: Option<String>,
    /// The overall messaging health: `AVAILABLE`, `LIMITED` or `BLOCKED`.
    #[schema(example = "AVAILABLE")]
    overall_health_status: Option<String>,
    /// The throughput level: `STANDARD` (80 messages per second) or `HIGH`
    /// (1000).
    #[schema(example = "STANDARD")]
    level: Option<String>,
    /// The number's own messaging health (as `overallHealthStatus`).
    #[schema(example = "AVAILABLE")]
    number_can_send_messages: Option<String>,
    /// The messaging limit tier: `TIER_250`, `TIER_2K`, `TIER_10K`,
    /// `TIER_100K`, `TIER_UNLIMITED`.
    #[schema(example = "TIER_250")]
    max_daily_conversations: Option<String>,
    /// The approved display name.
    #[schema(example = "Butterflies")]
    verified_name: Option<String>,
    /// `GREEN`, `YELLOW`, `RED` or `NA`.
    #[schema(example = "GREEN")]
    quality_rating: Option<String>,
    /// The Cloud API's id of the number.
    #[schema(example = "106540352242922")]
    phone_number_id: Option<String>,
    /// What limits the number (when LIMITED), from every entity Meta names;
    /// absent when there is nothing.
    #[serde(rename = "additional_info", skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Value>)]
    additional_info: Vec<Value>,
    /// Why the number is BLOCKED (`error_code`, `error_description`,
    /// `possible_solution`), from every entity Meta names; absent when
    /// there is nothing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    errors: Vec<Value>,
}

/// The number's information from Meta's phone number node; the source's
/// stored throughput level follows the level Meta reports.
#[utoipa::path(
    get,
    path = "/platformId/{platform_id}/platformPartnerId/{platform_partner_id}/source/{source}",
    tag = "LINK business number",
    operation_id = "phone_number_info",
    security(("link_basic" = [])),
    params(SourcePath),
    responses(
        (status = 200, description = "The number's information.", body = PhoneNumberInfo),
        SourceFailures,
        RateLimited,
    ),
)]
pub async fn info(
    State(state): State<AppState>,
    owned: OwnedSource,
) -> Result<Json<PhoneNumberInfo>, LinkError> {
    let (phone_number_id, token) = (owned.phone_number_id()?, owned.access_token(&state)?);
    admit(&state, &owned)?;
    let node = state.cloud_api.phone_number(phone_number_id, token).await?;
    let info = from_node(&node, owned.source.waba_id.as_deref(), phone_number_id);
    if let Some(level) = info.level.as_deref().and_then(SourceLevel::parse)
        && level != owned.source.level
    {
        match state
            .tenants
            .set_source_level(&owned.source.id, level)
            .await
        {
            Ok(_) => tracing::info!(
                source = %owned.source.number,
                from = owned.source.level.as_str(),
                to = level.as_str(),
                "the source's throughput level follows Meta's"
            ),
            // Meta's answer still stands; the next call tries again.
            Err(error) => {
                tracing::error!(%error, source = %owned.source.number, "storing Meta's throughput level failed")
            }
        }
    }
    Ok(Json(info))
}

/// LINK's shape from Meta's phone number node.
fn from_node(node: &Value, waba_id: Option<&str>, phone_number_id: &str) -> PhoneNumberInfo {
    let text = |value: &Value| value.as_str().map(str::to_owned);
    let health = &node["health_status"];
    let entities = health["entities"].as_array().map_or(&[][..], Vec::as_slice);
    let number = entities
        .iter()
        .find(|entity| entity["entity_type"] == "PHONE_NUMBER");
    let gathered = |field: &str| -> Vec<Value> {
        entities
            .iter()
            .filter_map(|entity| entity[field].as_array())
            .flatten()
            .cloned()
            .collect()
    };
    PhoneNumberInfo {
        waba_id: waba_id.map(str::to_owned),
        overall_health_status: text(&health["can_send_message"]),
        level: text(&node["throughput"]["level"]),
        number_can_send_messages: number
            .and_then(|entity| text(&entity["can_send_message"]))
            .or_else(|| text(&health["can_send_message"])),
        max_daily_conversations: text(&node["messaging_limit_tier"]),
        verified_name: text(&node["verified_name"]),
        quality_rating: text(&node["quality_rating"]),
        phone_number_id: text(&node["id"]).or_else(|| Some(phone_number_id.to_owned())),
        additional_info: gathered("additional_info"),
        errors: gathered("errors"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_metas_node_with_its_health_entities() {
        let node = json!({
            "id": "106540352242922",
            "verified_name": "Butterflies",
            "quality_rating": "GREEN",
            "messaging_limit_tier": "TIER_2K",
            "throughput": {"level": "HIGH"},
            "health_status": {
                "can_send_message": "BLOCKED",
                "entities": [
                    {"entity_type": "PHONE_NUMBER", "id": "106540352242922", "can_send_message": "LIMITED",
                     "additional_info": ["Your display name has not been approved yet."]},
                    {"entity_type": "WABA", "id": "waba-1", "can_send_message": "BLOCKED",
                     "errors": [{"error_code": 141002, "error_description": "d", "possible_solution": "s"}]},
                ],
            },
        });
        let info = serde_json::to_value(from_node(&node, Some("waba-1"), "106540352242922"))
            .unwrap_or_default();
        assert_eq!(
            info,
            json!({
                "wabaId": "waba-1",
                "overallHealthStatus": "BLOCKED",
                "level": "HIGH",
                "numberCanSendMessages": "LIMITED",
                "maxDailyConversations": "TIER_2K",
                "verifiedName": "Butterflies",
                "qualityRating": "GREEN",
                "phoneNumberId": "106540352242922",
                "additional_info": ["Your display name has not been approved yet."],
                "errors": [{"error_code": 141002, "error_description": "d", "possible_solution": "s"}],
            })
        );
        // Nothing to add: neither list appears.
        let bare =
            serde_json::to_value(from_node(&json!({"id": "1"}), None, "1")).unwrap_or_default();
        assert!(
            bare.get("additional_info").is_none() && bare.get("errors").is_none(),
            "{bare}"
        );
    }
}
