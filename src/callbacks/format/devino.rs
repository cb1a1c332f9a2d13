//! The Devino format (Direct WA API, "Getting statuses" and "Getting
//! incoming messages").
//!
//! - A status: `[{"messageId","ts","status","errorCode","options"?}]`, one
//!   object in an array; `ts` in Unix seconds; the status and code from
//!   [`wagate_domain::devino_code`] (states Devino has no word for send
//!   nothing). `messageId` is a JSON number when the id is a Devino id (all
//!   digits, within i64), else (a LINK message's id) a string. `options` is
//!   the message's `callbackData`, left out when it has none.
//! - An incoming message: `incomingMessageId` (a number), `to` and `from` as
//!   digits without `+` (a sender known only by BSUID: the BSUID), `ts` in
//!   milliseconds, and by type: `text`; media as `contentUrl` (the signed
//!   wagate URL), `contentType`, `contentName` (a document's filename) and
//!   the caption as `text`; a location as `whatsAppGeoLocation`; contacts as
//!   `whatsAppContacts` in Devino's camelCase names (`contactName` and
//!   `contactCompany` are one-object arrays, as the spec's table types them);
//!   a button or an interactive reply as `text`, the title the user tapped.
//!   Other types (reactions, orders, …) carry no content field.
//!   `profileName` is the sender's WhatsApp profile name.
//!
//! Both bodies are typed, and the OpenAPI document describes them as the
//! webhooks `devinoStatus` and `devinoIncoming` ([`DevinoWebhooks`]).

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::openapi::schema::{Array, ArrayBuilder, Object, ObjectBuilder, SchemaType, Type};
use utoipa::{Modify, ToSchema};
use wagate_domain::devino_code::{self, DevinoStatus};

use super::{Format, IncomingFacts, MEDIA, StatusFacts, sender};
use crate::api::openapi::{add_webhooks, webhook};

/// Devino's bodies.
pub struct Devino;

impl Format for Devino {
    fn status(&self, facts: &StatusFacts<'_>) -> serde_json::Result<Option<String>> {
        let details = facts.status.details.as_ref();
        let accepted = details
            .and_then(|details| details.get("waMessageId"))
            .is_some_and(Value::is_string);
        let meta_error = details
            .and_then(|details| details.get("metaErrorCode"))
            .and_then(Value::as_i64);
        let Some((status, error_code)) =
            devino_code::status_of(facts.status.state, accepted, meta_error)
        else {
            return Ok(None);
        };
        let body = StatusCallback([StatusBody {
            message_id: DevinoId::of(&facts.message.message_id),
            ts: facts.status.at.div_euclid(1000),
            status,
            error_code,
            options: facts
                .message
                .callback
                .as_ref()
                .and_then(|callback| callback.data.as_deref()),
        }]);
        serde_json::to_string(&body).map(Some)
    }

    fn incoming(&self, facts: &IncomingFacts<'_>) -> serde_json::Result<String> {
        let message = &facts.inbound.message;
        let sender = sender(facts.inbound);
        // The phone number, else the BSUID.
        let from = sender
            .link_name()
            .unwrap_or_default()
            .trim_start_matches('+');
        let mut body = IncomingBody {
            incoming_message_id: facts.message_number,
            to: facts.business_number.trim_start_matches('+'),
            from,
            ts: facts.inbound.at,
            text: None,
            content_url: None,
            content_type: None,
            content_name: None,
            profile_name: facts
                .inbound
                .contact
                .as_ref()
                .and_then(|contact| contact["profile"]["name"].as_str()),
            whats_app_geo_location: None,
            whats_app_contacts: None,
        };
        let kind = message["type"].as_str().unwrap_or_default();
        match kind {
            "text" => body.text = message["text"]["body"].as_str(),
            "button" => body.text = message["button"]["text"].as_str(),
            "interactive" => {
                let reply = &message["interactive"];
                body.text = reply["button_reply"]["title"]
                    .as_str()
                    .or(reply["list_reply"]["title"].as_str());
            }
            kind if MEDIA.contains(&kind) => {
                let media = &message[kind];
                body.content_url = facts.media_url;
                body.content_type = media["mime_type"].as_str();
                body.content_name = media["filename"].as_str();
                body.text = media["caption"].as_str();
            }
            "location" => {
                body.whats_app_geo_location = Some(renamed(&message[kind], &LOCATION));
            }
            "contacts" => {
                body.whats_app_contacts = message[kind]
                    .as_array()
                    .map(|contacts| contacts.iter().map(contact).collect());
            }
            _ => {}
        }
        serde_json::to_string(&body)
    }
}

/// A message id as Devino's `messageId`.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = DevinoMessageId)]
enum DevinoId<'a> {
    /// A Devino id: a positive 63-bit integer.
    Number(i64),
    /// Any other id (LINK's base62 ids).
    Text(&'a str),
}

impl<'a> DevinoId<'a> {
    fn of(id: &'a str) -> Self {
        match id.parse::<i64>() {
            Ok(number) if id.bytes().all(|b| b.is_ascii_digit()) => Self::Number(number),
            _ => Self::Text(id),
        }
    }
}

/// The body of a status callback: one status in an array.
#[derive(Serialize, ToSchema)]
#[serde(transparent)]
#[schema(as = DevinoStatusCallback, min_items = 1, max_items = 1, example = json!([{"messageId": 5_170_063_211_253_825_537_i64,
    "ts": 1_772_541_291, "status": "DELIVERED", "errorCode": 0, "options": "order-7"}]))]
struct StatusCallback<'a>([StatusBody<'a>; 1]);

/// One status of a message.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = DevinoStatusEntry)]
struct StatusBody<'a> {
    /// The message's id: a number for a Devino message, a string for a
    /// LINK one.
    message_id: DevinoId<'a>,
    /// When, in Unix seconds.
    ts: i64,
    status: DevinoStatus,
    /// 0, or Devino's code for why the message failed.
    error_code: u32,
    /// The message's `callbackData`; left out when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    options: Option<&'a str>,
}

/// The body of an incoming-message callback.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = DevinoIncomingMessage, example = json!({"incomingMessageId": 5_170_063_211_253_825_538_i64,
    "to": "79001234567", "from": "79007654321", "ts": 1_772_541_291_999_i64, "text": "hi",
    "profileName": "Ann"}))]
struct IncomingBody<'a> {
    /// The incoming message's id.
    incoming_message_id: i64,
    /// The business number, digits without `+`.
    to: &'a str,
    /// The sender's number, digits without `+` (a sender known only by its
    /// business-scoped user id: that id).
    from: &'a str,
    /// When it was sent, in Unix milliseconds.
    ts: i64,
    /// A text, a media's caption, or the title of the button or list row
    /// the user tapped.
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    /// Media: where to fetch it (a signed wagate URL).
    #[serde(skip_serializing_if = "Option::is_none")]
    content_url: Option<&'a str>,
    /// Media: its MIME type.
    #[serde(skip_serializing_if = "Option::is_none")]
    content_type: Option<&'a str>,
    /// A document's file name.
    #[serde(skip_serializing_if = "Option::is_none")]
    content_name: Option<&'a str>,
    /// The sender's WhatsApp profile name.
    #[serde(skip_serializing_if = "Option::is_none")]
    profile_name: Option<&'a str>,
    /// A shared location.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = location_schema)]
    whats_app_geo_location: Option<Renamed>,
    /// Shared contacts.
    #[serde(skip_serializing_if = "Option::is_none")]
    whats_app_contacts: Option<Vec<WhatsAppContact>>,
}

/// One shared contact, in Devino's names (fields in the order they are
/// written: by name).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = DevinoWhatsAppContact)]
struct WhatsAppContact {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = addresses_schema)]
    addresses: Option<Vec<Renamed>>,
    /// `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    birthday: Option<String>,
    /// One object.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = company_schema)]
    contact_company: Option<Vec<Renamed>>,
    /// One object.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = name_schema)]
    contact_name: Option<Vec<Renamed>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = emails_schema)]
    emails: Option<Vec<Renamed>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = phones_schema)]
    phones: Option<Vec<Renamed>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = urls_schema)]
    urls: Option<Vec<Renamed>>,
}

/// An object of Meta's whose fields are renamed by a table of [`Names`]:
/// the fields Meta gave, as Meta gave them.
type Renamed = Map<String, Value>;

/// The schema of an object renamed by `names`: its properties are
/// Devino's names (values as Meta sends them).
fn renamed_schema(names: &Names) -> Object {
    names
        .iter()
        .fold(
            ObjectBuilder::new().schema_type(Type::Object),
            |object, (_, devino)| object.property(*devino, Object::with_type(SchemaType::AnyValue)),
        )
        .build()
}

/// A list of objects renamed by `names`.
fn renamed_list(names: &Names) -> Array {
    ArrayBuilder::new().items(renamed_schema(names)).build()
}

fn location_schema() -> Object {
    renamed_schema(&LOCATION)
}
fn addresses_schema() -> Array {
    renamed_list(&ADDRESS)
}
fn company_schema() -> Array {
    renamed_list(&COMPANY)
}
fn name_schema() -> Array {
    renamed_list(&NAME)
}
fn emails_schema() -> Array {
    renamed_list(&EMAIL)
}
fn phones_schema() -> Array {
    renamed_list(&PHONE)
}
fn urls_schema() -> Array {
    renamed_list(&URL)
}

/// Devino's callbacks in the OpenAPI document, as webhooks.
pub struct DevinoWebhooks;

impl Modify for DevinoWebhooks {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        register::<StatusCallback<'_>>(openapi);
        register::<IncomingBody<'_>>(openapi);
        add_webhooks(
            openapi,
            [
                (
                    "devinoStatus",
                    webhook(
                        "A Devino status",
                        "A status of a message sent through the Devino dialect (to its \
                         `callbackUrl`, or to a gate of format `devino`). Only the statuses \
                         Devino has a word for are sent.",
                        &StatusCallback::name(),
                    ),
                ),
                (
                    "devinoIncoming",
                    webhook(
                        "A Devino incoming message",
                        "A message a user sent to a business number, to a gate of format \
                         `devino` that a route names.",
                        &IncomingBody::name(),
                    ),
                ),
            ],
        );
    }
}

/// Adds `T`'s schema and those it refers to to the components.
fn register<T: ToSchema>(openapi: &mut utoipa::openapi::OpenApi) {
    let components = openapi.components.get_or_insert_with(Default::default);
    let mut schemas = vec![(T::name().into_owned(), T::schema())];
    T::schemas(&mut schemas);
    components.schemas.extend(schemas);
}

/// Meta's names → Devino's, for each object of a location or a contact.
type Names = [(&'static str, &'static str)];

const LOCATION: [(&str, &str); 5] = [
    ("latitude", "latitude"),
    ("longitude", "longitude"),
    ("address", "address"),
    ("name", "addressName"),
    ("url", "addressurl"),
];
const NAME: [(&str, &str); 6] = [
    ("first_name", "firstName"),
    ("middle_name", "middleName"),
    ("last_name", "lastName"),
    ("formatted_name", "formattedName"),
    ("prefix", "namePrefix"),
    ("suffix", "nameSuffix"),
];
const COMPANY: [(&str, &str); 3] = [
    ("company", "company"),
    ("department", "department"),
    ("title", "title"),
];
const ADDRESS: [(&str, &str); 7] = [
    ("street", "street"),
    ("city", "city"),
    ("state", "state"),
    ("zip", "zip"),
    ("country", "country"),
    ("country_code", "countryCode"),
    ("type", "type"),
];
const PHONE: [(&str, &str); 3] = [("phone", "phone"), ("wa_id", "waId"), ("type", "type")];
const EMAIL: [(&str, &str); 2] = [("email", "email"), ("type", "type")];
const URL: [(&str, &str); 2] = [("url", "url"), ("type", "type")];

/// The fields of `object` that `names` lists and Meta gave, renamed.
fn renamed(object: &Value, names: &Names) -> Renamed {
    names
        .iter()
        .filter_map(|(meta, devino)| match object.get(*meta) {
            None | Some(Value::Null) => None,
            Some(value) => Some(((*devino).to_owned(), value.clone())),
        })
        .collect()
}

/// One of Meta's shared contacts as a `WhatsAppContact`.
fn contact(meta: &Value) -> WhatsAppContact {
    let list = |field: &str, names: &Names| {
        meta[field]
            .as_array()
            .map(|items| items.iter().map(|item| renamed(item, names)).collect())
    };
    let one = |field: &str, names: &Names| {
        meta[field]
            .is_object()
            .then(|| vec![renamed(&meta[field], names)])
    };
    WhatsAppContact {
        addresses: list("addresses", &ADDRESS),
        birthday: meta["birthday"].as_str().map(str::to_owned),
        contact_company: one("org", &COMPANY),
        contact_name: one("name", &NAME),
        emails: list("emails", &EMAIL),
        phones: list("phones", &PHONE),
        urls: list("urls", &URL),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use wagate_domain::{MessageState, Priority};

    use super::*;
    use crate::callbacks::format::{incoming_body, status_body};
    use crate::store::{
        Account, GateFormat, KeyValues, MessageCallback, MessageRecord, PlatformFields, Route,
        StatusRecord, UnroutedInbound,
    };

    fn message(id: &str) -> MessageRecord {
        MessageRecord {
            message_id: id.into(),
            account_id: "acc".into(),
            username: "user".into(),
            source: "+46700000001".into(),
            destination: "+46701234567".into(),
            ref_id: String::new(),
            priority: Priority::Normal,
            expires_at: 0,
            created_at: 0,
            platform: PlatformFields::default(),
            custom_parameters: KeyValues::new(),
            gate_ids: vec!["g1".into()],
            callback: None,
            request_id: None,
            parts: Vec::new(),
        }
    }

    fn account() -> Account {
        Account {
            id: "acc".into(),
            platform_id: "P".into(),
            platform_partner_id: "1".into(),
            name: None,
            default_country: None,
            created_at: 0,
        }
    }

    fn status(
        message_id: &str,
        state: MessageState,
        details: Value,
        options: Option<&str>,
    ) -> Option<Value> {
        let mut message = message(message_id);
        message.callback = options.map(|data| MessageCallback {
            url: "https://hooks.example.com/status".into(),
            data: Some(data.to_owned()),
        });
        let record = StatusRecord {
            state,
            result_code: 0,
            description: String::new(),
            details: Some(details),
            at: 1_772_541_291_999,
        };
        let body = status_body(
            GateFormat::Devino,
            &StatusFacts {
                message: &message,
                part: Some(("template", 0)),
                status: &record,
                account: &account(),
                gate_parameters: &KeyValues::new(),
                contact: None,
            },
        )
        .expect("serialises")?;
        Some(serde_json::from_str(&body).expect("json"))
    }

    #[test]
    fn a_status_is_one_object_in_an_array_with_the_devino_id_as_a_number() {
        let sent = status(
            "5170063211253825537",
            MessageState::Sent,
            json!({"waMessageId": "wamid.A"}),
            Some("order-7"),
        );
        assert_eq!(
            sent,
            Some(
                json!([{"messageId": 5_170_063_211_253_825_537_i64, "ts": 1_772_541_291,
                         "status": "SENT", "errorCode": 0, "options": "order-7"}])
            )
        );
    }

    #[test]
    fn a_link_id_is_a_string_and_failures_tell_undelivered_from_rejected() {
        let id = "9gTQwFGUD26RFjCvP7AScr";
        let undelivered = status(
            id,
            MessageState::Failed,
            json!({"waMessageId": "wamid.A", "metaErrorCode": 131026}),
            None,
        );
        assert_eq!(
            undelivered,
            Some(json!([{"messageId": id, "ts": 1_772_541_291,
                         "status": "UNDELIVERED", "errorCode": 2305}]))
        );
        // The care-window check: refused before any submission.
        let rejected = status(
            id,
            MessageState::Failed,
            json!({"metaErrorCode": 131047}),
            None,
        );
        assert_eq!(
            rejected.as_ref().map(|b| &b[0]["status"]),
            Some(&json!("REJECTED"))
        );
        assert_eq!(
            rejected.as_ref().map(|b| &b[0]["errorCode"]),
            Some(&json!(2312))
        );
        // Too big for i64: not a Devino id.
        let huge = status("99999999999999999999", MessageState::Read, json!({}), None);
        assert_eq!(
            huge.map(|b| b[0]["messageId"].clone()),
            Some(json!("99999999999999999999"))
        );
        assert_eq!(
            status(
                id,
                MessageState::Submitted,
                json!({"waMessageId": "wamid.A"}),
                None
            ),
            None,
            "no Devino status for SUBMITTED"
        );
    }

    fn incoming(message: Value, contact: Option<Value>, media_url: Option<&str>) -> Value {
        let inbound = UnroutedInbound {
            wamid: "wamid.in".into(),
            phone_number_id: "pnid".into(),
            at: 1_795_000_000_000,
            received_at: 1_795_000_000_500,
            message,
            contact,
            source: None,
        };
        let route = Route {
            id: "r".into(),
            account_id: "acc".into(),
            number: "+46700000001".into(),
            keyword: String::new(),
            gate_ids: vec!["g1".into()],
            ref_id: None,
            custom_parameters: KeyValues::new(),
            created_at: 0,
        };
        let body = incoming_body(
            GateFormat::Devino,
            &IncomingFacts {
                inbound: &inbound,
                business_number: "+46700000001",
                route: &route,
                account: &account(),
                gate_parameters: &KeyValues::new(),
                message_id: "9gTQwFGUD26RFjCvP7AScr",
                message_number: 42,
                media_url,
            },
        )
        .expect("serialises");
        serde_json::from_str(&body).expect("json")
    }

    #[test]
    fn incoming_text_document_and_reply() {
        let text = incoming(
            json!({"from": "46701234567", "type": "text", "text": {"body": "hi"}}),
            Some(json!({"profile": {"name": "Ann"}, "wa_id": "46701234567"})),
            None,
        );
        assert_eq!(
            text,
            json!({"incomingMessageId": 42, "to": "46700000001", "from": "46701234567",
                   "ts": 1_795_000_000_000_i64, "text": "hi", "profileName": "Ann"})
        );
        let document = incoming(
            json!({"from": "46701234567", "type": "document", "document":
                   {"id": "m1", "mime_type": "application/pdf", "filename": "a.pdf", "caption": "see"}}),
            None,
            Some("https://wagate.example/media/v1/pnid/m1?x"),
        );
        assert_eq!(
            document,
            json!({"incomingMessageId": 42, "to": "46700000001", "from": "46701234567",
                   "ts": 1_795_000_000_000_i64, "text": "see",
                   "contentUrl": "https://wagate.example/media/v1/pnid/m1?x",
                   "contentType": "application/pdf", "contentName": "a.pdf"})
        );
        let reply = incoming(
            json!({"from_user_id": "SE.1", "type": "interactive", "interactive":
                   {"type": "button_reply", "button_reply": {"id": "b1", "title": "Yes"}}}),
            None,
            None,
        );
        assert_eq!(reply["text"], "Yes");
        assert_eq!(reply["from"], "SE.1", "a sender known only by BSUID");
    }

    #[test]
    fn incoming_location_and_contacts_in_devino_names() {
        let location = incoming(
            json!({"from": "46701234567", "type": "location", "location":
                   {"latitude": 59.33, "longitude": 18.06, "name": "Office",
                    "address": "Main St 1", "url": "https://example.com"}}),
            None,
            None,
        );
        assert_eq!(
            location["whatsAppGeoLocation"],
            json!({"latitude": 59.33, "longitude": 18.06, "address": "Main St 1",
                   "addressName": "Office", "addressurl": "https://example.com"})
        );
        let contacts = incoming(
            json!({"from": "46701234567", "type": "contacts", "contacts": [{
                "name": {"formatted_name": "Ann B", "first_name": "Ann", "last_name": "B"},
                "org": {"company": "Acme", "title": "CEO"},
                "phones": [{"phone": "+46 70 123", "wa_id": "4670123", "type": "CELL"}],
                "emails": [{"email": "ann@example.com", "type": "WORK"}],
                "urls": [{"url": "https://acme.example", "type": "WORK"}],
                "addresses": [{"city": "Stockholm", "country_code": "SE", "type": "HOME"}],
                "birthday": "1990-01-02"}]}),
            None,
            None,
        );
        assert_eq!(
            contacts["whatsAppContacts"],
            json!([{
                "contactName": [{"formattedName": "Ann B", "firstName": "Ann", "lastName": "B"}],
                "contactCompany": [{"company": "Acme", "title": "CEO"}],
                "phones": [{"phone": "+46 70 123", "waId": "4670123", "type": "CELL"}],
                "emails": [{"email": "ann@example.com", "type": "WORK"}],
                "urls": [{"url": "https://acme.example", "type": "WORK"}],
                "addresses": [{"city": "Stockholm", "countryCode": "SE", "type": "HOME"}],
                "birthday": "1990-01-02"}])
        );
        assert!(contacts.get("text").is_none());
    }
}
