//! The bodies of Meta's `messages` webhooks: status notifications of sent
//! messages and inbound user messages, in the Cloud API's shape:
//!
//! ```json
//! {"object": "whatsapp_business_account",
//!  "entry": [{"id": "<WABA id>", "changes": [{"field": "messages", "value": {
//!      "messaging_product": "whatsapp",
//!      "metadata": {"display_phone_number": "…", "phone_number_id": "…"},
//!      "statuses": [{…}]   // or "contacts": [{…}], "messages": [{…}]
//!  }}]}]}
//! ```
//!
//! Users with a business-scoped user id (BSUID) carry it as `user_id` in
//! `contacts`, `from_user_id` in inbound messages and `recipient_user_id`
//! (`recipient_parent_user_id` for a parent BSUID) in statuses; the phone
//! number fields (`wa_id`, `from`, `recipient_id`) appear only when the phone
//! number is known.

use serde_json::{Map, Value, json};

use super::numbers::Step;

/// The WhatsApp Business Account id the simulator reports.
pub const WABA_ID: &str = "sim-waba";

/// Where Meta's documentation of error codes lives (statuses link to it).
const ERROR_CODES_URL: &str =
    "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/";

/// The business number a webhook is about.
pub struct Business<'a> {
    pub phone_number_id: &'a str,
    pub display_phone_number: &'a str,
}

/// A WhatsApp user as far as the simulator knows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct User {
    /// Phone digits (`wa_id`).
    pub phone: Option<String>,
    /// BSUID, `SE.1234…`.
    pub user_id: Option<String>,
    /// Parent BSUID, `SE.ENT.1234…`.
    pub parent_user_id: Option<String>,
}

/// Meta's pricing category of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Marketing,
    Utility,
    Authentication,
    Service,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Marketing => "marketing",
            Self::Utility => "utility",
            Self::Authentication => "authentication",
            Self::Service => "service",
        }
    }
}

/// One status of one sent message.
pub struct Status<'a> {
    pub wamid: &'a str,
    pub step: Step,
    /// Unix seconds.
    pub timestamp: i64,
    pub recipient: &'a User,
    pub conversation_id: &'a str,
    pub category: Category,
    /// Echoed from the send, as Meta does.
    pub biz_opaque_callback_data: Option<&'a str>,
}

/// A `messages` webhook with one change.
fn envelope(business: &Business<'_>, value: Map<String, Value>) -> Value {
    wrap(vec![change(business, value)])
}

/// One `changes` item of the `messages` field for one business number.
///
/// Values built here are moved into their place, never put through
/// `json!`, which copies an embedded `Value` by serializing it again.
fn change(business: &Business<'_>, mut value: Map<String, Value>) -> Value {
    let mut fields = Map::new();
    fields.insert("messaging_product".into(), json!("whatsapp"));
    fields.insert(
        "metadata".into(),
        json!({
            "display_phone_number": business.display_phone_number,
            "phone_number_id": business.phone_number_id,
        }),
    );
    fields.append(&mut value);
    object([
        ("value", Value::Object(fields)),
        ("field", json!("messages")),
    ])
}

/// The webhook object around `changes`, all of the simulator's one WABA.
fn wrap(changes: Vec<Value>) -> Value {
    let entry = object([("id", json!(WABA_ID)), ("changes", Value::Array(changes))]);
    object([
        ("object", json!("whatsapp_business_account")),
        ("entry", Value::Array(vec![entry])),
    ])
}

/// An object of these fields, their values moved in.
fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(
        fields
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect(),
    )
}

fn insert_some(map: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        map.insert(key.to_owned(), json!(value));
    }
}

/// A `contacts` entry: profile, `wa_id`, `user_id`, `parent_user_id`.
fn contact_of(user: &User, name: Option<&str>) -> Value {
    let mut contact = Map::new();
    if let Some(name) = name {
        contact.insert("profile".into(), json!({ "name": name }));
    }
    insert_some(&mut contact, "wa_id", user.phone.as_deref());
    insert_some(&mut contact, "user_id", user.user_id.as_deref());
    insert_some(
        &mut contact,
        "parent_user_id",
        user.parent_user_id.as_deref(),
    );
    Value::Object(contact)
}

/// A `message_template_status_update` webhook: the template `id` of the
/// WABA `waba_id` moved to `event` (`APPROVED`, `REJECTED`, …).
pub fn template_status(
    waba_id: &str,
    template: &super::templates::Template,
    event: &str,
    timestamp: i64,
) -> Value {
    // Meta writes the id as a number.
    let id = template
        .id
        .parse::<u64>()
        .map_or_else(|_| json!(template.id), |number| json!(number));
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": waba_id,
            "time": timestamp,
            "changes": [{
                "value": {
                    "event": event,
                    "message_template_id": id,
                    "message_template_name": template.name,
                    "message_template_language": template.language,
                    "message_template_category": template.category.as_str(),
                    "reason": "NONE",
                },
                "field": "message_template_status_update",
            }],
        }],
    })
}

/// The error a `failed` status carries.
fn failure(step: Step) -> Option<Value> {
    let (code, title, details) = match step {
        Step::Undeliverable => (
            131026,
            "Message undeliverable",
            "Message Undeliverable: the recipient is not a WhatsApp user (simulated for sandbox number ending 9900).",
        ),
        Step::MediaUnavailable => (
            131053,
            "Media upload error",
            "Unable to download the media: the media id is not one this business number uploaded.",
        ),
        Step::Sent | Step::Delivered | Step::Read => return None,
    };
    Some(json!({
        "code": code,
        "title": title,
        "message": title,
        "error_data": {"details": details},
        "href": ERROR_CODES_URL,
    }))
}

/// One status object of a `statuses` list, and the `contacts` entry that
/// names its recipient when they have a BSUID (since BSUIDs, statuses other
/// than `failed` name the user in `contacts` too).
#[derive(Debug, Clone, PartialEq)]
pub struct StatusItem {
    pub status: Value,
    pub contact: Option<Value>,
}

/// The status object of one status, and its `contacts` entry.
pub fn status_item(status: &Status<'_>) -> StatusItem {
    let recipient = status.recipient;
    let mut entry = Map::new();
    entry.insert("id".into(), json!(status.wamid));
    entry.insert("status".into(), json!(status.step.status()));
    entry.insert("timestamp".into(), json!(status.timestamp.to_string()));
    insert_some(&mut entry, "recipient_id", recipient.phone.as_deref());
    insert_some(
        &mut entry,
        "recipient_user_id",
        recipient.user_id.as_deref(),
    );
    insert_some(
        &mut entry,
        "recipient_parent_user_id",
        recipient.parent_user_id.as_deref(),
    );
    insert_some(
        &mut entry,
        "biz_opaque_callback_data",
        status.biz_opaque_callback_data,
    );
    let mut contact = None;
    if let Some(error) = failure(status.step) {
        entry.insert("errors".into(), Value::Array(vec![error]));
    } else {
        let mut conversation = Map::new();
        conversation.insert("id".into(), json!(status.conversation_id));
        if status.step == Step::Sent {
            conversation.insert(
                "expiration_timestamp".into(),
                json!((status.timestamp + 24 * 60 * 60).to_string()),
            );
        }
        conversation.insert("origin".into(), json!({ "type": status.category.as_str() }));
        entry.insert("conversation".into(), Value::Object(conversation));
        let free = status.category == Category::Service;
        entry.insert(
            "pricing".into(),
            json!({
                "billable": !free,
                "pricing_model": "PMP",
                "category": status.category.as_str(),
                "type": if free { "free_customer_service" } else { "regular" },
            }),
        );
        // Only a known BSUID makes naming the user worth it.
        if recipient.user_id.is_some() || recipient.parent_user_id.is_some() {
            contact = Some(contact_of(recipient, None));
        }
    }
    StatusItem {
        status: Value::Object(entry),
        contact,
    }
}

/// A status webhook for one message.
#[cfg(test)]
pub fn status(business: &Business<'_>, status: &Status<'_>) -> Value {
    statuses([(business, vec![status_item(status)])])
}

/// One status webhook carrying several statuses, as Meta sends them when
/// they come together: one `changes` item per business number, its
/// statuses in the order given.
pub fn statuses<'a>(
    numbers: impl IntoIterator<Item = (&'a Business<'a>, Vec<StatusItem>)>,
) -> Value {
    let changes = numbers
        .into_iter()
        .map(|(business, items)| {
            let mut value = Map::new();
            let (statuses, contacts): (Vec<Value>, Vec<Option<Value>>) = items
                .into_iter()
                .map(|item| (item.status, item.contact))
                .unzip();
            let contacts: Vec<Value> = contacts.into_iter().flatten().collect();
            if !contacts.is_empty() {
                value.insert("contacts".into(), Value::Array(contacts));
            }
            value.insert("statuses".into(), Value::Array(statuses));
            change(business, value)
        })
        .collect();
    wrap(changes)
}

/// An inbound-message webhook: `message` is the complete message object.
pub fn inbound(business: &Business<'_>, user: &User, name: Option<&str>, message: Value) -> Value {
    let mut value = Map::new();
    value.insert(
        "contacts".into(),
        Value::Array(vec![contact_of(user, name)]),
    );
    value.insert("messages".into(), Value::Array(vec![message]));
    envelope(business, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUSINESS: Business<'static> = Business {
        phone_number_id: "106540352242922",
        display_phone_number: "15550783881",
    };

    fn phone_user() -> User {
        User {
            phone: Some("46701234567".into()),
            ..User::default()
        }
    }

    fn status_of(step: Step, recipient: &User, category: Category) -> Value {
        status(
            &BUSINESS,
            &Status {
                wamid: "wamid.X",
                step,
                timestamp: 1_750_000_000,
                recipient,
                conversation_id: "c1",
                category,
                biz_opaque_callback_data: None,
            },
        )
    }

    #[test]
    fn a_sent_status_has_metas_shape() {
        let body = status_of(Step::Sent, &phone_user(), Category::Marketing);
        assert_eq!(body["object"], "whatsapp_business_account");
        let change = &body["entry"][0]["changes"][0];
        assert_eq!(change["field"], "messages");
        let value = &change["value"];
        assert_eq!(value["messaging_product"], "whatsapp");
        assert_eq!(value["metadata"]["phone_number_id"], "106540352242922");
        assert_eq!(value["metadata"]["display_phone_number"], "15550783881");
        assert!(value.get("contacts").is_none());
        let status = &value["statuses"][0];
        assert_eq!(status["id"], "wamid.X");
        assert_eq!(status["status"], "sent");
        assert_eq!(status["timestamp"], "1750000000");
        assert_eq!(status["recipient_id"], "46701234567");
        assert_eq!(status["conversation"]["origin"]["type"], "marketing");
        assert_eq!(status["conversation"]["expiration_timestamp"], "1750086400");
        assert_eq!(status["pricing"]["billable"], true);
        assert_eq!(status["pricing"]["pricing_model"], "PMP");
        assert_eq!(status["pricing"]["type"], "regular");
    }

    #[test]
    fn service_messages_are_free_and_failures_carry_errors() {
        let body = status_of(Step::Read, &phone_user(), Category::Service);
        let status = &body["entry"][0]["changes"][0]["value"]["statuses"][0];
        assert_eq!(status["pricing"]["billable"], false);
        assert_eq!(status["pricing"]["type"], "free_customer_service");
        assert!(status["conversation"].get("expiration_timestamp").is_none());

        let body = status_of(Step::Undeliverable, &phone_user(), Category::Service);
        let status = &body["entry"][0]["changes"][0]["value"]["statuses"][0];
        assert_eq!(status["status"], "failed");
        assert_eq!(status["errors"][0]["code"], 131026);
        assert_eq!(status["errors"][0]["title"], "Message undeliverable");
        assert!(status["errors"][0]["error_data"]["details"].is_string());
        assert!(status.get("conversation").is_none());
        assert!(status.get("pricing").is_none());
    }

    #[test]
    fn bsuid_recipients_are_named_by_user_id() {
        let user = User {
            phone: None,
            user_id: Some("SE.123".into()),
            parent_user_id: None,
        };
        let body = status_of(Step::Delivered, &user, Category::Utility);
        let value = &body["entry"][0]["changes"][0]["value"];
        assert!(value["statuses"][0].get("recipient_id").is_none());
        assert_eq!(value["statuses"][0]["recipient_user_id"], "SE.123");
        assert_eq!(value["contacts"][0]["user_id"], "SE.123");
        assert!(value["contacts"][0].get("wa_id").is_none());
    }

    #[test]
    fn statuses_together_keep_their_order_and_contacts_per_number() {
        let other = Business {
            phone_number_id: "222",
            display_phone_number: "15550000222",
        };
        let item = |id: &str, contact: Option<Value>| StatusItem {
            status: json!({"id": id}),
            contact,
        };
        let body = statuses([
            (
                &BUSINESS,
                vec![item("a", None), item("b", Some(json!({"user_id": "SE.1"})))],
            ),
            (&other, vec![item("c", None)]),
        ]);
        let changes = &body["entry"][0]["changes"];
        assert_eq!(
            changes[0]["value"]["statuses"],
            json!([{"id": "a"}, {"id": "b"}])
        );
        assert_eq!(
            changes[0]["value"]["contacts"],
            json!([{"user_id": "SE.1"}])
        );
        assert_eq!(changes[1]["value"]["metadata"]["phone_number_id"], "222");
        assert_eq!(changes[1]["value"]["statuses"], json!([{"id": "c"}]));
        assert!(changes[1]["value"].get("contacts").is_none());
    }

    #[test]
    fn an_inbound_message_names_its_sender() {
        let user = User {
            phone: Some("46701234567".into()),
            user_id: Some("SE.123".into()),
            parent_user_id: None,
        };
        let message = json!({"from": "46701234567", "id": "wamid.Y", "timestamp": "1", "type": "text", "text": {"body": "hi"}});
        let body = inbound(&BUSINESS, &user, Some("Ann"), message.clone());
        let value = &body["entry"][0]["changes"][0]["value"];
        assert_eq!(
            value["contacts"],
            json!([{"profile": {"name": "Ann"}, "wa_id": "46701234567", "user_id": "SE.123"}])
        );
        assert_eq!(value["messages"], json!([message]));
    }
}
