//! Incoming messages to the gates of their route: a keyword route matches
//! the first word of a text, case-insensitively; otherwise the number's
//! default route (no keyword). Each gate gets the message in its format
//! ([`super::format`]). A message with no route (or for a number no
//! tenant has) stays stored and is logged as unrouted. Messages from one
//! sender to one number reach a gate in the order they were received.
//!
//! Once routed, a message's content is erased (its callbacks carry it on
//! until they are done), unless its route's `customParameters` say
//! `"ott.whatsapp.logMessageContent": "true"`: then the message and its
//! callbacks keep it for the inbound retention (see [`crate::retention`]).

use std::time::Duration;

use wagate_domain::MessageId;

use super::format::{IncomingFacts, incoming_body, media_id, sender, text_of};
use crate::clock::now_millis;
use crate::media_url::MediaUrls;
use crate::retention::content_until;
use crate::store::cached::CachedTenants;
use crate::store::{
    NewDelivery, Route, RoutedInbound, Store, StoreResult, TenantStore as _, owned_by,
};

/// Routes up to `limit` incoming messages, keeping the content of those
/// whose route asks for `retention`; returns how many were read.
pub async fn route_once(
    store: &dyn Store,
    tenants: &CachedTenants,
    media_urls: &MediaUrls,
    retention: Duration,
    limit: u32,
) -> StoreResult<usize> {
    let inbound = store.unrouted_inbound(limit).await?;
    if inbound.is_empty() {
        return Ok(0);
    }
    let routes = store.routes().await?;
    let mut routed = Vec::with_capacity(inbound.len());
    let mut deliveries = Vec::new();
    let now = now_millis();
    for message in &inbound {
        // One id for every gate of the message, kept with it: LINK's, and
        // its number for Devino.
        let (message_id, message_number) = MessageId::generate_numbered();
        // Nobody to deliver it to, nobody who asked to keep it.
        routed.push(RoutedInbound {
            wamid: message.wamid.clone(),
            content_until: now,
            message_id: message_id.to_string(),
        });
        let Some(source) = &message.source else {
            tracing::warn!(wamid = %message.wamid, phone_number_id = %message.phone_number_id,
                "an incoming message for a number no tenant has; unrouted");
            continue;
        };
        let Some(route) = route_for(
            &routes,
            &source.account_id,
            &source.number,
            &message.message,
        ) else {
            tracing::warn!(wamid = %message.wamid, number = %source.number,
                "an incoming message matches no route; unrouted");
            continue;
        };
        let Some(account) = tenants.account(&source.account_id).await? else {
            continue;
        };
        let keep_until = content_until(&route.custom_parameters, retention, now);
        if let Some(routed) = routed.last_mut() {
            routed.content_until = keep_until;
        }
        let sender = sender(message);
        let ordering = format!(
            "mo:{}:{}",
            source.number,
            sender.link_name().unwrap_or(&message.wamid)
        );
        let media_url = media_id(&message.message)
            .map(|media_id| media_urls.url(&message.phone_number_id, media_id, now));
        for gate_id in &route.gate_ids {
            let Some(gate) = owned_by(tenants.gate(gate_id).await?, &account.id) else {
                tracing::warn!(%gate_id, route = %route.id, "the route's gate is gone");
                continue;
            };
            let payload = incoming_body(
                gate.format,
                &IncomingFacts {
                    inbound: message,
                    business_number: &source.number,
                    route,
                    account: &account,
                    gate_parameters: &gate.custom_parameters,
                    message_id: message_id.as_str(),
                    message_number,
                    media_url: media_url.as_deref(),
                },
            )?;
            deliveries.push(NewDelivery {
                origin: format!("mo:{}", message.wamid),
                gate_id: gate_id.clone(),
                url: None,
                account_id: account.id.clone(),
                ordering: ordering.clone(),
                payload,
                content_until: Some(keep_until),
                // Meta's webhook is the request behind it; its id is not
                // kept with the incoming message.
                request_id: None,
            });
        }
    }
    store.enqueue_routed(&routed, &deliveries).await?;
    Ok(inbound.len())
}

/// The keyword route whose keyword is the text's first word, else the
/// number's default route.
fn route_for<'a>(
    routes: &'a [Route],
    account_id: &str,
    number: &str,
    message: &serde_json::Value,
) -> Option<&'a Route> {
    let of_number = || {
        routes
            .iter()
            .filter(move |route| route.account_id == account_id && route.number == number)
    };
    let first_word = text_of(message).and_then(|text| text.split_whitespace().next());
    first_word
        .and_then(|word| {
            of_number()
                .find(|route| !route.keyword.is_empty() && route.keyword.eq_ignore_ascii_case(word))
        })
        .or_else(|| of_number().find(|route| route.keyword.is_empty()))
}
