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
use serde_json::{Map, Value};
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
        serde_json::to_string(&link_mo(facts))
    }
}

/// LINK's DLR body (v1.9.4, "Message Status Notifications"): one status of
/// one part of a message.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "messageId": "8aU6cwxAKE9NzMLrS6M82Y",
    "refId": "76439283",
    "messageType": "text",
    "messageIndex": 0,
    "timestamp": "2020-03-30T12:59:41+02:00",
    "resultCode": 112003,
    "resultDescription": "delivered",
    "gateCustomParameters": {"gateCustomKey1": "gateCustomValue1"},
    "customParameters": {"customKey1": "customValue1"}
}))]
pub struct LinkDlr {
    /// The `messageId` the send answered for this destination.
    pub message_id: String,
    /// The request's `refId`.
    pub ref_id: String,
    /// The part's message type; `request` when nothing could be sent.
    #[schema(example = "text")]
    pub message_type: String,
    /// The part's index in `messages` (from 0); -1 for the whole request.
    #[schema(minimum = -1)]
    pub message_index: i64,
    /// When the status happened (RFC 3339).
    pub timestamp: String,
    /// LINK's result code: `112002` sent to WA, `112006` sent, `112003`
    /// delivered, `112007` read, `112008` deleted, `112403` not delivered, …
    #[schema(example = 112003)]
    pub result_code: u32,
    pub result_description: String,
    /// The gate's custom parameters (LINK's examples sometimes omit it;
    /// wagate always sends it).
    #[schema(required = false)]
    pub gate_custom_parameters: KeyValues,
    /// The request's custom parameters, with what Meta told about the
    /// message (`waMessageId`, `pricing*`, `whatsappUserId`,
    /// `whatsappParentUserId`, `metaErrorDetails`) and the request's
    /// `platformId`, `platformPartnerId`, `commonLayerUser`, `destination`.
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

/// LINK's incoming-message body (v1.9.4, "Incoming Messages Sent from
/// Mobile Phones").
///
/// The fields of this body and of its parts are declared in the order of
/// their names: the body was a `serde_json::Value` (keys sorted) before it
/// was typed, and its bytes stay what they were.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkMo {
    pub content: LinkMoContent,
    /// The sender's BSUIDs (`whatsappUserId`, `whatsappParentUserId`) when
    /// the webhook named them; otherwise null.
    #[schema(required = true)]
    pub custom_parameters: Option<LinkMoSender>,
    /// The business number that received the message (E.164).
    #[schema(example = "+46000000000")]
    pub destination: String,
    /// The custom parameters of the gate it is posted to.
    #[schema(required = false)]
    pub gate_custom_parameters: KeyValues,
    /// wagate's id for the incoming message (what `POST /mo/status` takes).
    #[schema(example = "8aU6cwxAKE9NzMLrS6M82Y")]
    pub message_id: String,
    /// `whatsapp`.
    #[schema(example = "whatsapp")]
    pub provider: &'static str,
    /// Meta's id of the message (wamid).
    pub provider_message_id: String,
    /// When the user sent it, as Meta tells (RFC 3339).
    #[schema(example = "2020-03-21T17:41:58Z")]
    pub provider_timestamp: String,
    pub route: LinkMoRoute,
    /// The sender: its phone number (E.164), or its BSUID when Meta gives
    /// no phone number.
    #[schema(required = true, example = "+46000000001")]
    pub source: Option<String>,
    /// When the gateway received it (RFC 3339).
    #[schema(example = "2020-03-21T17:41:58Z")]
    pub timestamp: String,
}

/// `content`: always of `type` `WHATSAPP`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LinkMoContent {
    pub message: LinkMoMessage,
    #[serde(rename = "type")]
    #[schema(example = "WHATSAPP")]
    pub kind: &'static str,
}

/// `content.message`: the `contentType` and the part of Meta's message it
/// names (`text`, `media`, `button`, `interactive`, `location`, …), with
/// the reply context. Parts other than `text`, `media`, `button` and
/// `emoji` are Meta's objects as Meta wrote them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LinkMoMessage {
    /// A quick-reply button's `text` and `payload`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub button: Option<LinkMoButton>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub contacts: Option<Value>,
    /// `TEXT`, `MEDIA`, `BUTTON`, `INTERACTIVE`, `ORDER`, `LOCATION`,
    /// `CONTACTS`, `REACTION`, or Meta's type in capitals.
    #[serde(rename = "contentType")]
    #[schema(example = "TEXT")]
    pub content_type: String,
    /// The message this one replies to (or reacts to).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<LinkMoContext>,
    /// A reaction's emoji (empty when the reaction is removed).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub emoji: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub interactive: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub location: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<LinkMoMedia>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub order: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "This is an example")]
    pub text: Option<Value>,
    /// A type of Meta's this format has no part for: its object under its
    /// own name (Meta's names sort after `context`, so the order holds).
    #[serde(flatten)]
    #[schema(ignore)]
    pub other: Map<String, Value>,
}

/// `content.message.button`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LinkMoButton {
    #[schema(value_type = Option<String>, required = true)]
    pub payload: Value,
    #[schema(value_type = Option<String>, required = true)]
    pub text: Value,
}

/// `content.message.context`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LinkMoContext {
    /// Meta's id (wamid) of the message replied or reacted to.
    #[schema(value_type = Option<String>, required = true)]
    pub id: Value,
    /// The same, for clients of LINK v1.4.6 (LINK's examples omit it).
    #[serde(rename = "messageId")]
    #[schema(value_type = Option<String>, required = false)]
    pub message_id: Value,
    /// The product asked about, as Meta wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub referred_product: Option<Value>,
    /// Who sent the message replied to (E.164).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// `content.message.media`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LinkMoMedia {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub caption: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub filename: Option<Value>,
    /// Meta's media id (LINK's examples omit it).
    #[schema(value_type = Option<String>, required = false)]
    pub id: Value,
    /// Where the gate can fetch the media (a signed wagate URL).
    #[schema(required = true)]
    pub source: Option<String>,
    /// The MIME type.
    #[serde(rename = "type")]
    #[schema(value_type = Option<String>, required = true, example = "image/jpeg")]
    pub mime_type: Value,
}

/// `customParameters` of an incoming message: the sender's BSUIDs.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkMoSender {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "SE.ENT.11815799212886844830")]
    pub whatsapp_parent_user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "SE.13491208655302741918")]
    pub whatsapp_user_id: Option<String>,
}

/// `route`: the keyword route the message matched.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkMoRoute {
    /// Always true.
    pub active: bool,
    pub custom_parameters: KeyValues,
    pub gate_ids: Vec<String>,
    pub id: String,
    /// Empty for the number's default route.
    pub keyword: String,
    /// `KEYWORD`, or `DEFAULT` for the number's default route.
    #[schema(example = "DEFAULT")]
    pub keyword_type: &'static str,
    pub number: String,
    pub platform_id: String,
    pub platform_partner_id: String,
    #[schema(required = true)]
    pub ref_id: Option<String>,
    /// `KEYWORD_ROUTE`.
    #[serde(rename = "type")]
    #[schema(example = "KEYWORD_ROUTE")]
    pub kind: &'static str,
}

fn link_mo(facts: &IncomingFacts<'_>) -> LinkMo {
    let sender = sender(facts.inbound);
    let route = facts.route;
    let custom = LinkMoSender {
        whatsapp_parent_user_id: sender.parent_user_id.clone(),
        whatsapp_user_id: sender.user_id.clone(),
    };
    let has_ids = custom.whatsapp_parent_user_id.is_some() || custom.whatsapp_user_id.is_some();
    LinkMo {
        content: LinkMoContent {
            message: content(&facts.inbound.message, facts.media_url),
            kind: "WHATSAPP",
        },
        custom_parameters: has_ids.then_some(custom),
        destination: facts.business_number.to_owned(),
        gate_custom_parameters: facts.gate_parameters.clone(),
        message_id: facts.message_id.to_owned(),
        provider: "whatsapp",
        provider_message_id: facts.inbound.wamid.clone(),
        provider_timestamp: rfc3339(facts.inbound.at),
        route: LinkMoRoute {
            active: true,
            custom_parameters: route.custom_parameters.clone(),
            gate_ids: route.gate_ids.clone(),
            id: route.id.clone(),
            keyword: route.keyword.clone(),
            keyword_type: if route.keyword.is_empty() {
                "DEFAULT"
            } else {
                "KEYWORD"
            },
            number: route.number.clone(),
            platform_id: facts.account.platform_id.clone(),
            platform_partner_id: facts.account.platform_partner_id.clone(),
            ref_id: route.ref_id.clone(),
            kind: "KEYWORD_ROUTE",
        },
        source: sender.link_name().map(str::to_owned),
        timestamp: rfc3339(facts.inbound.received_at),
    }
}

/// `content.message`: the `contentType` and the part of Meta's message it
/// names, with the reply context.
fn content(message: &Value, media_url: Option<&str>) -> LinkMoMessage {
    let kind = message["type"].as_str().unwrap_or("unknown");
    let field = |name: &str| Some(message[name].clone());
    let mut content = LinkMoMessage {
        content_type: kind.to_ascii_uppercase(),
        ..LinkMoMessage::default()
    };
    match kind {
        "text" => content.text = Some(message["text"]["body"].clone()),
        "button" => {
            content.button = Some(LinkMoButton {
                payload: message["button"]["payload"].clone(),
                text: message["button"]["text"].clone(),
            });
        }
        kind if MEDIA.contains(&kind) => {
            let media = &message[kind];
            content.content_type = "MEDIA".into();
            content.media = Some(LinkMoMedia {
                caption: media.get("caption").cloned(),
                filename: media.get("filename").cloned(),
                id: media["id"].clone(),
                source: media_url.map(str::to_owned),
                mime_type: media["mime_type"].clone(),
            });
        }
        "reaction" => {
            // As LINK shows it: the emoji, and the reacted-to message as
            // the context.
            content.emoji = Some(message["reaction"]["emoji"].clone());
            let target = message["reaction"]["message_id"].clone();
            content.context = Some(LinkMoContext {
                id: target.clone(),
                message_id: target,
                referred_product: None,
                source: None,
            });
        }
        "interactive" => content.interactive = field(kind),
        "order" => content.order = field(kind),
        "location" => content.location = field(kind),
        "contacts" => content.contacts = field(kind),
        other => {
            if let Some(value) = message.get(other) {
                content.other.insert(other.into(), value.clone());
            }
        }
    }
    let context = &message["context"];
    if context.is_object() {
        content.context = Some(LinkMoContext {
            id: context["id"].clone(),
            // Clients of LINK v1.4.6 read `messageId`.
            message_id: context["id"].clone(),
            referred_product: context["referred_product"]
                .is_object()
                .then(|| context["referred_product"].clone()),
            source: context["from"].as_str().map(|from| format!("+{from}")),
        });
    }
    content
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

    /// The MO body is typed, and its bytes are those of the same body as a
    /// `serde_json::Value` (keys in order), which it was before it was typed.
    #[test]
    fn an_mo_body_keeps_the_bytes_of_its_json_value() {
        let route = crate::store::Route {
            id: "r1".into(),
            account_id: "acc".into(),
            number: "+46700000001".into(),
            keyword: String::new(),
            gate_ids: vec!["g1".into()],
            ref_id: None,
            custom_parameters: KeyValues::from([("r".into(), "2".into())]),
            created_at: 0,
        };
        let messages = [
            json!({"from": "46701234567", "type": "text", "text": {"body": "hi"},
                   "context": {"from": "46700000001", "id": "wamid.a",
                               "referred_product": {"catalog_id": "c"}}}),
            json!({"from": "46701234567", "type": "image",
                   "image": {"id": "m1", "mime_type": "image/jpeg", "caption": "look"}}),
            json!({"from": "46701234567", "type": "document",
                   "document": {"id": "m2", "mime_type": "application/pdf", "filename": "a.pdf"}}),
            json!({"from": "46701234567", "type": "button",
                   "button": {"text": "Yes", "payload": "yes"}}),
            json!({"from": "46701234567", "type": "reaction",
                   "reaction": {"message_id": "wamid.b", "emoji": "x"}}),
            json!({"from": "46701234567", "type": "order", "order": {"catalog_id": "c"}}),
            json!({"from": "46701234567", "type": "unsupported", "unsupported": {"x": 1},
                   "context": {"id": "wamid.c"}}),
            json!({"user_id": "SE.13491208655302741918", "type": "system", "system": {"body": "b"}}),
        ];
        for message in messages {
            let inbound = crate::store::UnroutedInbound {
                wamid: "wamid.in".into(),
                phone_number_id: "pnid".into(),
                at: 1_772_541_291_000,
                received_at: 1_772_541_292_000,
                message: message.clone(),
                contact: None,
                source: None,
            };
            let facts = IncomingFacts {
                inbound: &inbound,
                business_number: "+46700000001",
                route: &route,
                account: &account(),
                gate_parameters: &gate().custom_parameters,
                message_id: "8aU6cwxAKE9NzMLrS6M82Y",
                message_number: 1,
                media_url: Some("https://wagate.example/media"),
            };
            let body = Link.incoming(&facts).expect("a body");
            let value: Value = serde_json::from_str(&body).expect("JSON");
            assert_eq!(body, value.to_string(), "{message}");
        }
    }
}
