//! The LINK format (v1.9.4, "Callbacks / Webhooks" and "Incoming Messages
//! Sent from Mobile Phones").
//!
//! - The delivery report: one status of one (messageId, messageIndex), with
//!   the request's custom parameters and what Meta told about the message
//!   (wamid, pricing, BSUIDs, error details).
//! - The incoming message: what a user sent, as `content.message` with its
//!   `contentType`, the route it matched, and the sender's BSUIDs in
//!   `customParameters`.

use serde::Serialize;
use serde_json::{Map, Value, json};
use wagate_domain::Bsuid;

use super::{Format, IncomingFacts, MEDIA, StatusFacts, sender};
use crate::clock::rfc3339;
use crate::store::KeyValues;

/// LINK's bodies.
pub struct Link;

impl Format for Link {
    fn status(&self, facts: &StatusFacts<'_>) -> serde_json::Result<Option<String>> {
        // LINK reports every status the fan-out passes on.
        serde_json::to_string(&link_dlr(facts)).map(Some)
    }

    fn incoming(&self, facts: &IncomingFacts<'_>) -> serde_json::Result<String> {
        Ok(link_mo(facts).to_string())
    }
}

/// LINK's DLR body.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkDlr {
    pub message_id: String,
    pub ref_id: String,
    pub message_type: String,
    pub message_index: i64,
    pub timestamp: String,
    pub result_code: u32,
    pub result_description: String,
    pub gate_custom_parameters: KeyValues,
    pub custom_parameters: KeyValues,
}

/// The status details (as the dispatcher and the webhook receiver record
/// them) that a DLR passes on in `customParameters`.
const PASSED_ON: [&str; 8] = [
    "waMessageId",
    "pricingBillable",
    "pricingModel",
    "pricingCategory",
    "pricingType",
    "whatsappUserId",
    "whatsappParentUserId",
    "metaErrorDetails",
];

fn link_dlr(facts: &StatusFacts<'_>) -> LinkDlr {
    let message = facts.message;
    let mut custom = message.custom_parameters.clone();
    if let Some(details) = facts.status.details.as_ref().and_then(|d| d.as_object()) {
        for key in PASSED_ON {
            let value = match details.get(key) {
                Some(serde_json::Value::String(text)) => text.clone(),
                Some(serde_json::Value::Null) | None => continue,
                Some(other) => other.to_string(),
            };
            custom.insert(key.to_owned(), value);
        }
    }
    custom.insert("platformId".into(), facts.account.platform_id.clone());
    custom.insert(
        "platformPartnerId".into(),
        facts.account.platform_partner_id.clone(),
    );
    custom.insert("commonLayerUser".into(), message.username.clone());
    match Bsuid::parse(&message.destination) {
        Ok(user) => {
            let key = if user.is_parent() {
                "whatsappParentUserId"
            } else {
                "whatsappUserId"
            };
            custom
                .entry(key.into())
                .or_insert_with(|| message.destination.clone());
            if let Some(phone) = facts.contact.map(|contact| &contact.phone) {
                custom.insert("destination".into(), phone.clone());
            }
        }
        Err(_) => {
            custom.insert("destination".into(), message.destination.clone());
            if let Some(contact) = facts.contact {
                for (key, value) in [
                    ("whatsappUserId", &contact.user_id),
                    ("whatsappParentUserId", &contact.parent_user_id),
                ] {
                    if let Some(value) = value {
                        custom.entry(key.into()).or_insert_with(|| value.clone());
                    }
                }
            }
        }
    }
    let (message_type, message_index) = match facts.part {
        Some((kind, index)) => (kind.to_owned(), i64::from(index)),
        None => ("request".to_owned(), -1),
    };
    LinkDlr {
        message_id: message.message_id.clone(),
        ref_id: message.ref_id.clone(),
        message_type,
        message_index,
        timestamp: rfc3339(facts.status.at),
        result_code: facts.status.result_code,
        result_description: facts.status.description.clone(),
        gate_custom_parameters: facts.gate_parameters.clone(),
        custom_parameters: custom,
    }
}

/// LINK's incoming-message body.
fn link_mo(facts: &IncomingFacts<'_>) -> Value {
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
        "gateCustomParameters": facts.gate_parameters,
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

#[cfg(test)]
mod tests {
    use serde_json::json;
    use wagate_domain::{MessageState, Priority};

    use super::*;
    use crate::store::{
        Account, Contact, Gate, GateFormat, MessageRecord, PlatformFields, StatusRecord,
    };

    fn message(destination: &str) -> MessageRecord {
        MessageRecord {
            message_id: "9gTQwFGUD26RFjCvP7AScr".into(),
            account_id: "acc".into(),
            username: "AbPAsUcL".into(),
            source: "+46700000001".into(),
            destination: destination.into(),
            ref_id: "testlink1var".into(),
            priority: Priority::Normal,
            expires_at: 0,
            created_at: 0,
            platform: PlatformFields::default(),
            custom_parameters: KeyValues::from([("customKey1".into(), "customValue1".into())]),
            gate_ids: vec!["g1".into()],
            callback: None,
            request_id: None,
            parts: Vec::new(),
        }
    }

    fn account() -> Account {
        Account {
            id: "acc".into(),
            platform_id: "TEST_XA".into(),
            platform_partner_id: "1".into(),
            name: None,
            default_country: None,
            created_at: 0,
        }
    }

    fn gate() -> Gate {
        Gate {
            id: "g1".into(),
            account_id: "acc".into(),
            url: "https://example.com/dlr".into(),
            format: GateFormat::Link,
            custom_parameters: KeyValues::from([(
                "gateCustomKey1".into(),
                "gateCustomValue1".into(),
            )]),
            signing_secret: None,
            created_at: 0,
        }
    }

    fn sent() -> StatusRecord {
        StatusRecord {
            state: MessageState::Sent,
            result_code: 112006,
            description: "sent".into(),
            details: Some(json!({
                "waMessageId": "wamid.HBgMMzU5ODgzNDk1NTgzFQIAERgSRDFEQzIyRDU0NUE4MzVCQzkyAA==",
                "pricingBillable": "true", "pricingModel": "PMP",
                "pricingCategory": "marketing_lite", "pricingType": "regular",
                "conversationId": "internal, not passed on"
            })),
            at: 1_772_541_291_000,
        }
    }

    #[test]
    fn a_sent_report_has_every_field_of_the_spec_example() {
        let message = message("+4600000002");
        let contact = Contact {
            account_id: "acc".into(),
            phone: "+4600000002".into(),
            user_id: Some("SE.13491208655302741918".into()),
            parent_user_id: Some("SE.ENT.11815799212886844830".into()),
            updated_at: 0,
        };
        let dlr = link_dlr(&StatusFacts {
            message: &message,
            part: Some(("MediaTemplateMessage", 0)),
            status: &sent(),
            account: &account(),
            gate_parameters: &gate().custom_parameters,
            contact: Some(&contact),
        });
        // Example #2 of the spec (MSISDN + BSUID), with the request's and the
        // gate's custom parameters.
        assert_eq!(
            serde_json::to_value(&dlr).expect("json"),
            json!({
                "messageId": "9gTQwFGUD26RFjCvP7AScr",
                "refId": "testlink1var",
                "messageType": "MediaTemplateMessage",
                "messageIndex": 0,
                "timestamp": "2026-03-03T12:34:51Z",
                "resultCode": 112006,
                "resultDescription": "sent",
                "gateCustomParameters": {"gateCustomKey1": "gateCustomValue1"},
                "customParameters": {
                    "customKey1": "customValue1",
                    "pricingModel": "PMP",
                    "pricingCategory": "marketing_lite",
                    "platformPartnerId": "1",
                    "commonLayerUser": "AbPAsUcL",
                    "waMessageId": "wamid.HBgMMzU5ODgzNDk1NTgzFQIAERgSRDFEQzIyRDU0NUE4MzVCQzkyAA==",
                    "pricingBillable": "true",
                    "platformId": "TEST_XA",
                    "pricingType": "regular",
                    "destination": "+4600000002",
                    "whatsappUserId": "SE.13491208655302741918",
                    "whatsappParentUserId": "SE.ENT.11815799212886844830"
                }
            })
        );
    }

    #[test]
    fn a_bsuid_destination_and_a_failure_and_a_request_report() {
        let message = message("SE.13491208655302741918");
        let failed = StatusRecord {
            state: MessageState::Failed,
            result_code: 112403,
            description: "(#100) Invalid parameter".into(),
            details: Some(
                json!({"metaErrorCode": 100, "metaErrorDetails": "Either one of media ID or link must be present"}),
            ),
            at: 0,
        };
        let dlr = link_dlr(&StatusFacts {
            message: &message,
            part: None,
            status: &failed,
            account: &account(),
            gate_parameters: &gate().custom_parameters,
            contact: None,
        });
        assert_eq!(
            (dlr.message_type.as_str(), dlr.message_index),
            ("request", -1)
        );
        assert_eq!(dlr.result_description, "(#100) Invalid parameter");
        let custom = &dlr.custom_parameters;
        assert_eq!(custom["whatsappUserId"], "SE.13491208655302741918");
        assert_eq!(
            custom["metaErrorDetails"],
            "Either one of media ID or link must be present"
        );
        assert!(!custom.contains_key("destination"), "no phone is known");
        assert!(
            !custom.contains_key("metaErrorCode"),
            "only the spec's keys"
        );
    }
}
