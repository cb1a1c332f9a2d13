//! From the event queue to the gates' queues: each status a message's
//! history gains becomes a delivery report for each of the message's event
//! report gates, in the gate's format ([`super::format`]; a status the
//! format has no word for is not sent to that gate). Resend notices (QUEUED
//! statuses) stay internal; a failure of the whole request (its source is
//! gone or cannot send) is one "request" report. The cursor
//! moves in the same transaction as the deliveries are queued, and a
//! (event, gate) is never queued twice, so every report is queued once.

use std::collections::{HashMap, HashSet};

use wagate_domain::{Bsuid, MessageState};

use super::format::{StatusFacts, status_body};
use crate::dispatch::policy::REQUEST_SCOPE;
use crate::intake::callback_target::url_for_gate;
use crate::store::cached::CachedTenants;
use crate::store::{MessageRecord, NewDelivery, Store, StoreResult, TenantStore as _, owned_by};

/// The event-queue reader that feeds delivery reports.
pub const DLR_CURSOR: &str = "dlr";

/// Queues the reports of up to `limit` events; returns how many events were
/// read (0: the queue is drained).
pub async fn fan_out_once(
    store: &dyn Store,
    tenants: &CachedTenants,
    limit: u32,
) -> StoreResult<usize> {
    let cursor = store.cursor(DLR_CURSOR).await?;
    let events = store.events_after(cursor, limit).await?;
    let Some(last) = events.last().map(|event| event.id) else {
        return Ok(0);
    };
    // Most messages name no gate: find the few that do in one read.
    let mut distinct: Vec<&str> = events
        .iter()
        .map(|event| event.message_id.as_str())
        .collect();
    distinct.sort_unstable();
    distinct.dedup();
    let with_gates: HashSet<String> = store
        .messages_with_gates(&distinct)
        .await?
        .into_iter()
        .collect();
    let mut messages: HashMap<String, Option<MessageRecord>> = HashMap::new();
    let mut deliveries = Vec::new();
    for event in &events {
        if event.status.state == MessageState::Queued || !with_gates.contains(&event.message_id) {
            continue;
        }
        if !messages.contains_key(&event.message_id) {
            let message = store.message(&event.account_id, &event.message_id).await?;
            messages.insert(event.message_id.clone(), message);
        }
        let Some(Some(message)) = messages.get(&event.message_id) else {
            continue;
        };
        if message.gate_ids.is_empty() {
            continue;
        }
        let Some(account) = tenants.account(&event.account_id).await? else {
            continue;
        };
        let contact = match Bsuid::parse(&message.destination) {
            Ok(_) => None,
            Err(_) => store.contact(&account.id, &message.destination).await?,
        };
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
                contact: contact.as_ref(),
            };
            let Some(payload) = status_body(gate.format, &facts)? else {
                continue;
            };
            deliveries.push(NewDelivery {
                origin: format!("event:{}", event.id),
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
