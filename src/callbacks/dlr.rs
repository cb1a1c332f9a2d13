//! The LINK delivery report (v1.9.4, "Callbacks / Webhooks"): one status of
//! one (messageId, messageIndex), with the request's custom parameters and
//! what Meta told about the message (wamid, pricing, BSUIDs, error details).

use serde::Serialize;
use wagate_domain::Bsuid;

use crate::clock::rfc3339;
use crate::store::{Account, Contact, Gate, KeyValues, MessageRecord, StatusRecord};

/// What a delivery report is made of.
pub struct DlrFacts<'a> {
    pub message: &'a MessageRecord,
    /// The part (`messageType`, `messageIndex`); `None` for a report on the
    /// whole request (type "request", index -1: nothing could be sent).
    pub part: Option<(&'a str, u32)>,
    pub status: &'a StatusRecord,
    pub account: &'a Account,
    pub gate: &'a Gate,
    /// What the tenant's contact book knows of the destination.
    pub contact: Option<&'a Contact>,
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

pub fn link_dlr(facts: &DlrFacts<'_>) -> LinkDlr {
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
        gate_custom_parameters: facts.gate.custom_parameters.clone(),
        custom_parameters: custom,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use wagate_domain::{MessageState, Priority};

    use super::*;
    use crate::store::{GateFormat, PlatformFields};

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
        let dlr = link_dlr(&DlrFacts {
            message: &message,
            part: Some(("MediaTemplateMessage", 0)),
            status: &sent(),
            account: &account(),
            gate: &gate(),
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
        let dlr = link_dlr(&DlrFacts {
            message: &message,
            part: None,
            status: &failed,
            account: &account(),
            gate: &gate(),
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
