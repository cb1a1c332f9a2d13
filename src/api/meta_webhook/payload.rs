//! Reading Meta's webhook payloads: `entry[].changes[].value` with
//! `statuses[]` and `messages[]` (plus `contacts[]` and `metadata`). Reading
//! is lenient: what the gateway does not use is ignored, what it does not
//! know is logged, and nothing here fails on an unexpected shape.

use serde_json::{Map, Value, json};
use wagate_domain::meta_status;
use wagate_domain::part_tag::{self, PartTag};

use crate::store::{ContactIds, InboundReport, NewStatus, StatusReport, WebhookBatch, e164};

/// The statuses and incoming messages of one webhook body.
pub fn read(body: &Value) -> WebhookBatch {
    let mut batch = WebhookBatch::default();
    if body["object"] != "whatsapp_business_account" {
        tracing::warn!(object = %body["object"], "a webhook for an unknown object; ignored");
        return batch;
    }
    for change in list(&body["entry"])
        .iter()
        .flat_map(|entry| list(&entry["changes"]))
    {
        if change["field"] == "message_template_status_update" {
            let value = &change["value"];
            tracing::info!(
                event = %value["event"],
                template_id = %value["message_template_id"],
                name = %value["message_template_name"],
                language = %value["message_template_language"],
                reason = %value["reason"],
                "a message template's status changed at Meta"
            );
            continue;
        }
        if change["field"] != "messages" {
            tracing::info!(field = %change["field"], "a webhook field wagate does not use; acknowledged");
            continue;
        }
        let value = &change["value"];
        let phone_number_id = text(&value["metadata"]["phone_number_id"]).unwrap_or_default();
        let display = text(&value["metadata"]["display_phone_number"]).unwrap_or_default();
        for status in list(&value["statuses"]) {
            match status_report(status, value) {
                Some(report) => batch.statuses.push(report),
                None => tracing::warn!(
                    wamid = %status["id"],
                    "a status without an id or a status word; ignored"
                ),
            }
        }
        for message in list(&value["messages"]) {
            match inbound_report(message, value, &phone_number_id, &display) {
                Some(report) => batch.inbound.push(report),
                None => tracing::warn!(
                    kind = %message["type"],
                    "an incoming message without an id; ignored"
                ),
            }
        }
        for error in list(&value["errors"]) {
            tracing::warn!(%error, %phone_number_id, "Meta reported an error for the number");
        }
    }
    batch
}

fn list(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

/// A string, or a number written as one (Meta writes timestamps as strings).
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// Meta's Unix-seconds timestamp in milliseconds.
fn millis(value: &Value) -> i64 {
    text(value)
        .and_then(|seconds| seconds.parse::<i64>().ok())
        .map_or_else(crate::clock::now_millis, |seconds| {
            seconds.saturating_mul(1000)
        })
}

fn status_report(status: &Value, value: &Value) -> Option<StatusReport> {
    let wamid = text(&status["id"])?;
    let word = text(&status["status"])?;
    let error = list(&status["errors"]).first();
    let error_code = error.and_then(|error| error["code"].as_i64());
    let change = meta_status::from_meta(&word, error_code).map(|(state, code)| {
        let description = match error {
            Some(error) => text(&error["message"])
                .or_else(|| text(&error["title"]))
                .unwrap_or_else(|| code.description().to_owned()),
            None => code.description().to_owned(),
        };
        NewStatus {
            state,
            result_code: code.code(),
            description,
            details: Some(status_details(&wamid, status, error, value)),
        }
    });
    let contact = recipient_contact(status, value);
    let recipient = ContactIds {
        phone: text(&status["recipient_id"]).map(|digits| e164(&digits)),
        user_id: text(&status["recipient_user_id"])
            .or_else(|| contact.and_then(|c| text(&c["user_id"]))),
        parent_user_id: text(&status["recipient_parent_user_id"])
            .or_else(|| contact.and_then(|c| text(&c["parent_user_id"]))),
    };
    Some(StatusReport {
        wamid,
        phone_number_id: text(&value["metadata"]["phone_number_id"]).unwrap_or_default(),
        recipient,
        part: text(&status[part_tag::FIELD]).and_then(|tag| PartTag::read(&tag)),
        status: word,
        at: millis(&status["timestamp"]),
        change,
    })
}

/// The fields a delivery report carries, named as LINK's `customParameters`
/// name them.
fn status_details(wamid: &str, status: &Value, error: Option<&Value>, value: &Value) -> Value {
    let mut details = Map::new();
    details.insert("waMessageId".into(), json!(wamid));
    let mut put = |key: &str, found: Option<String>| {
        if let Some(found) = found {
            details.insert(key.into(), json!(found));
        }
    };
    let pricing = &status["pricing"];
    put(
        "pricingBillable",
        text(&pricing["billable"]).or_else(|| pricing["billable"].as_bool().map(|b| b.to_string())),
    );
    put("pricingModel", text(&pricing["pricing_model"]));
    put("pricingCategory", text(&pricing["category"]));
    put("pricingType", text(&pricing["type"]));
    put("conversationId", text(&status["conversation"]["id"]));
    put(
        "conversationOrigin",
        text(&status["conversation"]["origin"]["type"]),
    );
    put("recipientId", text(&status["recipient_id"]));
    let contact = recipient_contact(status, value);
    put(
        "whatsappUserId",
        text(&status["recipient_user_id"]).or_else(|| contact.and_then(|c| text(&c["user_id"]))),
    );
    put(
        "whatsappParentUserId",
        text(&status["recipient_parent_user_id"])
            .or_else(|| contact.and_then(|c| text(&c["parent_user_id"]))),
    );
    if let Some(error) = error {
        put("metaErrorTitle", text(&error["title"]));
        put("metaErrorDetails", text(&error["error_data"]["details"]));
    }
    // A JSON number, as Meta sends it and as the dispatcher records it.
    if let Some(code) = error.and_then(|error| error["code"].as_i64()) {
        details.insert("metaErrorCode".into(), json!(code));
    }
    Value::Object(details)
}

/// The `contacts[]` entry of a status's recipient (by phone, else by
/// BSUID): never another recipient's.
fn recipient_contact<'a>(status: &Value, value: &'a Value) -> Option<&'a Value> {
    let phone = text(&status["recipient_id"]);
    let user = text(&status["recipient_user_id"]);
    list(&value["contacts"]).iter().find(|contact| {
        (phone.is_some() && text(&contact["wa_id"]) == phone)
            || (user.is_some() && text(&contact["user_id"]) == user)
    })
}

fn inbound_report(
    message: &Value,
    value: &Value,
    phone_number_id: &str,
    display: &str,
) -> Option<InboundReport> {
    let wamid = text(&message["id"])?;
    let from = text(&message["from"]);
    let from_user = text(&message["from_user_id"]);
    let contact = list(&value["contacts"])
        .iter()
        .find(|contact| {
            (from.is_some() && text(&contact["wa_id"]) == from)
                || (from_user.is_some() && text(&contact["user_id"]) == from_user)
        })
        .cloned();
    Some(InboundReport {
        wamid,
        sender: ContactIds::of_sender(message, contact.as_ref()),
        phone_number_id: phone_number_id.to_owned(),
        display_phone_number: display.to_owned(),
        at: millis(&message["timestamp"]),
        message: message.clone(),
        contact,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wagate_domain::MessageState;

    fn webhook(value: Value) -> Value {
        json!({"object": "whatsapp_business_account", "entry": [{"id": "waba", "changes": [
            {"field": "messages", "value": value}
        ]}]})
    }

    #[test]
    fn reads_statuses_with_pricing_errors_and_bsuids() {
        let body = webhook(json!({
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550100001", "phone_number_id": "pnid"},
            "statuses": [
                {"id": "wamid.A", "status": "delivered", "timestamp": "1700000000", "recipient_id": "46701234567",
                 "recipient_user_id": "SE.123", "conversation": {"id": "c1", "origin": {"type": "utility"}},
                 "biz_opaque_callback_data": "1aU6cwxAKE9NzMLrS6M82C/2",
                 "pricing": {"billable": true, "pricing_model": "PMP", "category": "utility", "type": "regular"}},
                {"id": "wamid.B", "status": "failed", "timestamp": "1700000001", "recipient_id": "46700009900",
                 "errors": [{"code": 131026, "title": "Message undeliverable", "message": "Message undeliverable",
                             "error_data": {"details": "not a WhatsApp user"}}]},
                {"id": "wamid.C", "status": "warning", "timestamp": "1700000002",
                 "biz_opaque_callback_data": "another application's"},
                {"status": "sent"}
            ]
        }));
        let batch = read(&body);
        assert_eq!(batch.statuses.len(), 3, "the one without an id is skipped");
        let delivered = &batch.statuses[0];
        assert_eq!(delivered.at, 1_700_000_000_000);
        assert_eq!(
            delivered.part,
            Some(PartTag {
                message_id: "1aU6cwxAKE9NzMLrS6M82C".into(),
                index: 2
            }),
            "the part its tag names"
        );
        assert_eq!(batch.statuses[1].part, None, "no tag");
        assert_eq!(batch.statuses[2].part, None, "not a tag");
        let change = delivered.change.as_ref().expect("known");
        assert_eq!(
            (change.state, change.result_code),
            (MessageState::Delivered, 112003)
        );
        let details = change.details.as_ref().expect("details");
        assert_eq!(details["waMessageId"], "wamid.A");
        assert_eq!(details["pricingBillable"], "true");
        assert_eq!(details["pricingCategory"], "utility");
        assert_eq!(details["whatsappUserId"], "SE.123");
        let failed = batch.statuses[1].change.as_ref().expect("known");
        assert_eq!(
            (failed.state, failed.result_code),
            (MessageState::Failed, 112404)
        );
        assert_eq!(failed.description, "Message undeliverable");
        let failed_details = failed.details.as_ref().expect("details");
        assert_eq!(failed_details["metaErrorCode"], 131026);
        assert_eq!(failed_details["metaErrorDetails"], "not a WhatsApp user");
        assert!(
            batch.statuses[2].change.is_none(),
            "an unknown status changes nothing"
        );
    }

    #[test]
    fn reads_incoming_messages_with_their_contact_and_ignores_other_fields() {
        let body = webhook(json!({
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550100001", "phone_number_id": "pnid"},
            "contacts": [{"profile": {"name": "Ann"}, "wa_id": "46701234567", "user_id": "SE.1"}],
            "messages": [{"from": "46701234567", "id": "wamid.IN", "timestamp": "1700000000",
                          "type": "text", "text": {"body": "hi"}}]
        }));
        let batch = read(&body);
        assert_eq!(batch.inbound.len(), 1);
        let inbound = &batch.inbound[0];
        assert_eq!(inbound.wamid, "wamid.IN");
        assert_eq!(inbound.phone_number_id, "pnid");
        assert_eq!(inbound.display_phone_number, "15550100001");
        assert_eq!(
            inbound.contact.as_ref().map(|c| &c["profile"]["name"]),
            Some(&json!("Ann"))
        );
        let other = json!({"object": "whatsapp_business_account", "entry": [{"changes": [
            {"field": "account_update", "value": {"event": "VERIFIED_ACCOUNT"}}]}]});
        assert_eq!(read(&other), WebhookBatch::default());
        assert_eq!(read(&json!({"object": "page"})), WebhookBatch::default());
        assert_eq!(read(&json!([1, 2])), WebhookBatch::default());
    }
}
