//! The LINK incoming message (v1.9.4, "Incoming Messages Sent from Mobile
//! Phones"): what a user sent, as `content.message` with its `contentType`,
//! the route it matched, and the sender's BSUIDs in `customParameters`.

use serde_json::{Map, Value, json};

use crate::clock::rfc3339;
use crate::store::{Account, ContactIds, Gate, Route, UnroutedInbound};

/// What an incoming-message callback is made of.
pub struct MoFacts<'a> {
    pub inbound: &'a UnroutedInbound,
    /// The business number it was sent to (E.164).
    pub business_number: &'a str,
    pub route: &'a Route,
    pub account: &'a Account,
    pub gate: &'a Gate,
    /// wagate's id for the incoming message.
    pub message_id: &'a str,
    /// Where the gate can fetch the message's media (a signed wagate URL).
    pub media_url: Option<&'a str>,
}

/// The media kinds of incoming messages.
const MEDIA: [&str; 5] = ["image", "audio", "video", "document", "sticker"];

/// The Cloud API media id of a media message.
pub fn media_id(message: &Value) -> Option<&str> {
    let kind = message["type"].as_str()?;
    MEDIA
        .contains(&kind)
        .then(|| message[kind]["id"].as_str())?
}

/// The sender of an incoming message, as far as Meta told.
pub fn sender(inbound: &UnroutedInbound) -> ContactIds {
    ContactIds::of_sender(&inbound.message, inbound.contact.as_ref())
}

/// The text a keyword route is matched against (a text message's body).
pub fn text_of(message: &Value) -> Option<&str> {
    message["text"]["body"].as_str()
}

pub fn link_mo(facts: &MoFacts<'_>) -> Value {
    let message = &facts.inbound.message;
    let sender = sender(facts.inbound);
    let mut custom = Map::new();
    if let Some(user_id) = &sender.user_id {
        custom.insert("whatsappUserId".into(), json!(user_id));
    }
    if let Some(parent) = &sender.parent_user_id {
        custom.insert("whatsappParentUserId".into(), json!(parent));
    }
    let route = facts.route;
    json!({
        "destination": facts.business_number,
        "source": sender.link_name(),
        "content": {"type": "WHATSAPP", "message": content(message, facts.media_url)},
        "provider": "whatsapp",
        "timestamp": rfc3339(facts.inbound.received_at),
        "messageId": facts.message_id,
        "providerTimestamp": rfc3339(facts.inbound.at),
        "providerMessageId": facts.inbound.wamid,
        "route": {
            "id": route.id,
            "refId": route.ref_id,
            "platformId": facts.account.platform_id,
            "platformPartnerId": facts.account.platform_partner_id,
            "number": route.number,
            "gateIds": route.gate_ids,
            "customParameters": route.custom_parameters,
            "type": "KEYWORD_ROUTE",
            "keyword": route.keyword,
            "keywordType": if route.keyword.is_empty() { "DEFAULT" } else { "KEYWORD" },
            "active": true,
        },
        "gateCustomParameters": facts.gate.custom_parameters,
        "customParameters": if custom.is_empty() { Value::Null } else { Value::Object(custom) },
    })
}

/// `content.message`: the `contentType` and the part of Meta's message it
/// names, with the reply context.
fn content(message: &Value, media_url: Option<&str>) -> Value {
    let kind = message["type"].as_str().unwrap_or("unknown");
    let mut content = Map::new();
    match kind {
        "text" => {
            content.insert("contentType".into(), json!("TEXT"));
            content.insert("text".into(), message["text"]["body"].clone());
        }
        "button" => {
            content.insert("contentType".into(), json!("BUTTON"));
            content.insert(
                "button".into(),
                json!({"text": message["button"]["text"], "payload": message["button"]["payload"]}),
            );
        }
        kind if MEDIA.contains(&kind) => {
            let media = &message[kind];
            let mut fields = Map::new();
            fields.insert("type".into(), media["mime_type"].clone());
            fields.insert("source".into(), json!(media_url));
            fields.insert("id".into(), media["id"].clone());
            for key in ["caption", "filename"] {
                if let Some(value) = media.get(key) {
                    fields.insert(key.into(), value.clone());
                }
            }
            content.insert("contentType".into(), json!("MEDIA"));
            content.insert("media".into(), Value::Object(fields));
        }
        "reaction" => {
            // As LINK shows it: the emoji, and the reacted-to message as
            // the context.
            content.insert("contentType".into(), json!("REACTION"));
            content.insert("emoji".into(), message["reaction"]["emoji"].clone());
            let target = message["reaction"]["message_id"].clone();
            content.insert("context".into(), json!({"id": target, "messageId": target}));
        }
        "interactive" | "order" | "location" | "contacts" => {
            content.insert("contentType".into(), json!(kind.to_ascii_uppercase()));
            content.insert(kind.into(), message[kind].clone());
        }
        other => {
            content.insert("contentType".into(), json!(other.to_ascii_uppercase()));
            if let Some(value) = message.get(other) {
                content.insert(other.into(), value.clone());
            }
        }
    }
    let context = &message["context"];
    if context.is_object() {
        let mut fields = Map::new();
        fields.insert("id".into(), context["id"].clone());
        // Clients of LINK v1.4.6 read `messageId`.
        fields.insert("messageId".into(), context["id"].clone());
        if let Some(from) = context["from"].as_str() {
            fields.insert("source".into(), json!(format!("+{from}")));
        }
        if context["referred_product"].is_object() {
            fields.insert(
                "referred_product".into(),
                context["referred_product"].clone(),
            );
        }
        content.insert("context".into(), Value::Object(fields));
    }
    Value::Object(content)
}
