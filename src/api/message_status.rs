//! The status query's answer, shared by both dialects (`GET
//! /whatsapp-message/messages/{messageId}`, `GET
//! /whatsapp/v2/messages/{messageId}`; beyond either spec): where a message
//! stands, per messageIndex, with the history of its statuses, and the
//! callbacks sent to its gates. Another tenant's message is not found, like
//! one that does not exist.

use serde::Serialize;
use wagate_domain::{MessageState, ResultCode};

use crate::clock::rfc3339;
use crate::store::{
    Account, DeliveryRecord, KeyValues, MessageRecord, PartRecord, PlatformFields, StatusRecord,
    Store, StoreResult,
};

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageStatus {
    pub(crate) message_id: String,
    pub(crate) ref_id: String,
    pub(crate) source: String,
    pub(crate) destination: String,
    #[schema(value_type = String, example = "NORMAL")]
    pub(crate) priority: &'static str,
    pub(crate) platform_id: String,
    pub(crate) platform_partner_id: String,
    #[serde(flatten)]
    pub(crate) platform: PlatformFields,
    pub(crate) custom_parameters: KeyValues,
    pub(crate) event_report_gates: Vec<String>,
    /// The message's own callback URL and data (the Devino dialect).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) callback_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) callback_data: Option<String>,
    /// The `X-Request-Id` of the call that accepted it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) request_id: Option<String>,
    pub(crate) created_at: String,
    pub(crate) expires_at: String,
    pub(crate) messages: Vec<PartStatus>,
    /// The delivery reports sent (or being sent) to the gates, oldest first.
    pub(crate) delivery_reports: Vec<DeliveryReportStatus>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeliveryReportStatus {
    pub(crate) gate_id: String,
    pub(crate) message_index: i64,
    pub(crate) result_code: u64,
    /// PENDING, DELIVERED or GAVE_UP.
    #[schema(example = "DELIVERED")]
    pub(crate) state: String,
    pub(crate) attempts: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) last_attempt_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) last_error: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PartStatus {
    pub(crate) message_index: u32,
    pub(crate) message_type: String,
    pub(crate) state: MessageState,
    pub(crate) result_code: u32,
    /// Whether the part's content is still kept (see `crate::retention`).
    pub(crate) content_kept: bool,
    /// The Cloud API request body that is (or will be) sent for this part,
    /// while its content is kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub(crate) cloud_request: Option<serde_json::Value>,
    pub(crate) history: Vec<HistoryEntry>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HistoryEntry {
    pub(crate) state: MessageState,
    pub(crate) result_code: u32,
    pub(crate) result_description: String,
    pub(crate) timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub(crate) details: Option<serde_json::Value>,
}

/// The message `message_id` of `account` as the status query shows it.
pub async fn find(
    store: &dyn Store,
    account: &Account,
    message_id: &str,
) -> StoreResult<Option<MessageStatus>> {
    Ok(find_with_deliveries(store, account, message_id)
        .await?
        .map(|(status, _)| status))
}

/// [`find`], with the message's callbacks as the store has them (every
/// try included), read once for both.
pub async fn find_with_deliveries(
    store: &dyn Store,
    account: &Account,
    message_id: &str,
) -> StoreResult<Option<(MessageStatus, Vec<DeliveryRecord>)>> {
    let Some(record) = store.message(&account.id, message_id).await? else {
        return Ok(None);
    };
    let deliveries = store.message_deliveries(&record.message_id).await?;
    let mut status = view(
        record,
        account.platform_id.clone(),
        account.platform_partner_id.clone(),
    );
    status.delivery_reports = deliveries.iter().map(report_view).collect();
    Ok(Some((status, deliveries)))
}

fn view(record: MessageRecord, platform_id: String, platform_partner_id: String) -> MessageStatus {
    let created_at = record.created_at;
    MessageStatus {
        message_id: record.message_id,
        ref_id: record.ref_id,
        source: record.source,
        destination: record.destination,
        priority: record.priority.as_str(),
        platform_id,
        platform_partner_id,
        platform: record.platform,
        custom_parameters: record.custom_parameters,
        event_report_gates: record.gate_ids,
        callback_url: record
            .callback
            .as_ref()
            .map(|callback| callback.url.clone()),
        callback_data: record.callback.and_then(|callback| callback.data),
        request_id: record.request_id,
        created_at: rfc3339(record.created_at),
        expires_at: rfc3339(record.expires_at),
        messages: record
            .parts
            .into_iter()
            .map(|part| part_view(part, created_at))
            .collect(),
        delivery_reports: Vec::new(),
    }
}

fn report_view(delivery: &DeliveryRecord) -> DeliveryReportStatus {
    let payload: serde_json::Value = delivery
        .payload
        .as_deref()
        .and_then(|payload| serde_json::from_str(payload).ok())
        .unwrap_or(serde_json::Value::Null);
    let last = delivery.attempts.last();
    DeliveryReportStatus {
        gate_id: delivery.gate_id.clone(),
        message_index: payload["messageIndex"].as_i64().unwrap_or(-1),
        result_code: payload["resultCode"].as_u64().unwrap_or_default(),
        state: delivery.state.clone(),
        attempts: delivery.attempts.len(),
        last_attempt_at: last.map(|attempt| rfc3339(attempt.at)),
        last_error: last.and_then(|attempt| attempt.error.clone()),
    }
}

/// The history starts with the acceptance itself (`112001 queued` at the
/// request's time), followed by every status the part has had.
fn part_view(part: PartRecord, accepted_at: i64) -> PartStatus {
    let queued = StatusRecord {
        state: MessageState::Queued,
        result_code: ResultCode::Queued.code(),
        description: ResultCode::Queued.description().to_owned(),
        details: None,
        at: accepted_at,
    };
    PartStatus {
        message_index: part.message_index,
        message_type: part.message_type,
        state: part.state,
        result_code: part.result_code,
        content_kept: part.cloud_body.is_some(),
        cloud_request: part
            .cloud_body
            .map(|body| serde_json::from_str(&body).unwrap_or(serde_json::Value::Null)),
        history: std::iter::once(queued)
            .chain(part.history)
            .map(|status| HistoryEntry {
                state: status.state,
                result_code: status.result_code,
                result_description: status.description,
                timestamp: rfc3339(status.at),
                details: status.details,
            })
            .collect(),
    }
}
