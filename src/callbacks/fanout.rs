//! From the event queue to the gates' queues: each status a message's
//! history gains becomes a delivery report for each of the message's event
//! report gates, in the gate's format ([`super::format`]; a status the
//! format has no word for is not sent to that gate). Resend notices (QUEUED
//! statuses) stay internal; a failure of the whole request (its source is
//! gone or cannot send) is one "request" report. The cursor
//! moves in the same transaction as the deliveries are queued, and a
//! (event, gate) is never queued twice, so every report is queued once.

use wagate_domain::MessageState;

use super::format::{StatusFacts, status_body};
use crate::dispatch::policy::REQUEST_SCOPE;
use crate::intake::callback_target::url_for_gate;
use crate::store::cached::CachedTenants;
use crate::store::{NewDelivery, ReportBatch, Store, StoreResult, TenantStore as _, owned_by};

/// The event-queue reader that feeds delivery reports.
pub const DLR_CURSOR: &str = "dlr";

/// How the origin of a delivery report (`event:<id>`) begins.
pub const REPORT_ORIGIN: &str = "event:";

/// Queues the reports of up to `limit` events; returns how many events were
/// read (0: the queue is drained).
pub async fn fan_out_once(
    store: &dyn Store,
    tenants: &CachedTenants,
    limit: u32,
) -> StoreResult<usize> {
    let ReportBatch {
        cursor,
        events,
        messages,
        contacts,
    } = store.report_batch(DLR_CURSOR, limit).await?;
    let Some(last) = events.last().map(|event| event.id) else {
        return Ok(0);
    };
    let mut deliveries = Vec::new();
    for event in &events {
        if event.status.state == MessageState::Queued {
            continue;
        }
        let Some(message) = messages.get(&event.message_id) else {
            continue;
        };
        // Another tenant's message id never reaches this tenant's gates.
        if message.account_id != event.account_id {
            continue;
        }
        let Some(account) = tenants.account(&event.account_id).await? else {
            continue;
        };
        let contact = contacts.get(&message.destination).and_then(|known| {
            known
                .iter()
                .find(|contact| contact.account_id == account.id)
        });
        // A failure of the whole request is one "request" report (type
        // "request", index -1), told once: with the first part.
        let whole_request = event
            .status
            .details
            .as_ref()
            .is_some_and(|details| details["scope"] == REQUEST_SCOPE);
        if whole_request && event.message_index != 0 {
            continue;
        }
        let part = message
            .parts
            .iter()
            .find(|part| part.message_index == event.message_index && !whole_request)
            .map(|part| (part.message_type.as_str(), part.message_index));
        for gate_id in &message.gate_ids {
            let Some(gate) = owned_by(tenants.gate(gate_id).await?, &account.id) else {
                tracing::warn!(%gate_id, message_id = %message.message_id, "the message's gate is gone; its report is not sent");
                continue;
            };
            let facts = StatusFacts {
                message,
                part,
                status: &event.status,
                account: &account,
                gate_parameters: &gate.custom_parameters,
                contact,
            };
            let Some(payload) = status_body(gate.format, &facts)? else {
                continue;
            };
            deliveries.push(NewDelivery {
                origin: format!("{REPORT_ORIGIN}{}", event.id),
                gate_id: gate_id.clone(),
                url: url_for_gate(&account.id, gate_id, message.callback.as_ref()),
                account_id: account.id.clone(),
                ordering: message.message_id.clone(),
                payload,
                // A delivery report carries no message content.
                content_until: None,
                request_id: message.request_id.clone(),
            });
        }
    }
    if !store
        .enqueue_deliveries(DLR_CURSOR, cursor, last, &deliveries)
        .await?
    {
        // Another instance queued these reports first.
        return Ok(0);
    }
    Ok(events.len())
}
