//! The Cloud API's checks on a send request body, so that a translation bug
//! in the gateway shows up as Meta's `(#100) Invalid parameter` with a
//! precise `error_data.details`, not as a silent pass.
//!
//! [`check`] reads one `POST /{version}/{phone_number_id}/messages` body and
//! returns whom it goes to and whether it is a template (the care window and
//! the template rules need both). Media, text, location, contacts and
//! reaction rules live here; [`interactive`] (with [`order`]) and
//! [`template`] hold the larger families.

mod interactive;
mod order;
mod params;
mod template;

#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

pub use params::Invalid;
use params::{
    Checked, boolean, invalid, key, number, object, one_of, only_keys, optional_text, required,
    required_str, required_text,
};

/// The message types a send may have, each with an object of the same name.
pub const MESSAGE_TYPES: [&str; 11] = [
    "text",
    "image",
    "audio",
    "video",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "template",
    "reaction",
];

/// Top-level keys besides the message-type objects.
const ENVELOPE_KEYS: [&str; 7] = [
    "messaging_product",
    "recipient_type",
    "to",
    "recipient",
    "type",
    "context",
    "biz_opaque_callback_data",
];

/// Whom a send goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// `to`: the text as given and its digits (the `wa_id`).
    Phone { input: String, digits: String },
    /// `recipient`: a business-scoped user id, `SE.1234…` or `SE.ENT.1234…`.
    User { bsuid: String },
}

impl Recipient {
    /// The digits the sandbox number table reads (the last four of them).
    pub fn digits(&self) -> String {
        match self {
            Self::Phone { digits, .. } => digits.clone(),
            Self::User { bsuid } => bsuid.chars().filter(char::is_ascii_digit).collect(),
        }
    }
}

/// What kind of message a send carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A template: always allowed outside the care window.
    Template {
        name: String,
        language: String,
        /// The first component with parameters and how many it has.
        parameters: Option<(String, usize)>,
    },
    /// Anything else: only inside the 24-hour care window.
    Session { message_type: String },
}

/// A valid send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Send {
    pub recipient: Recipient,
    pub kind: Kind,
}

/// Checks a send body like the Cloud API does.
pub fn check(body: &Value) -> Result<Send, Invalid> {
    let Some(map) = body.as_object() else {
        return invalid("The request body must be a JSON object");
    };
    for name in map.keys() {
        if !ENVELOPE_KEYS.contains(&name.as_str()) && !MESSAGE_TYPES.contains(&name.as_str()) {
            return invalid(format!("Unexpected key \"{name}\" on param \"message\""));
        }
    }
    let product = required_str(map, "", "messaging_product")?;
    if product != "whatsapp" {
        return invalid(format!(
            "Param messaging_product must be \"whatsapp\", got \"{product}\""
        ));
    }
    if let Some(kind) = params::optional_str(map, "", "recipient_type")? {
        one_of(kind, &["individual"], "recipient_type")?;
    }
    let recipient = recipient(map)?;
    let message_type = match params::optional_str(map, "", "type")? {
        Some(name) => one_of(name, &MESSAGE_TYPES, "type")?,
        None => "text",
    };
    if let Some(other) = MESSAGE_TYPES
        .iter()
        .find(|&&other| other != message_type && map.contains_key(other))
    {
        return invalid(format!(
            "Param {other} is not allowed on a message of type {message_type}; only {message_type} may be present"
        ));
    }
    if let Some(context) = map.get("context") {
        let context = object(context, "context")?;
        only_keys(context, &["message_id"], "context")?;
        required_str(context, "context", "message_id")?;
    }
    optional_text(map, "", "biz_opaque_callback_data", 512)?;

    let content = required(map, "", message_type)?;
    match message_type {
        "text" => text(content)?,
        "location" => location(content, "location")?,
        "contacts" => contacts(content)?,
        "reaction" => reaction(content)?,
        "interactive" => interactive::check(content)?,
        "template" => {
            let kind = template::check(content)?;
            return Ok(Send { recipient, kind });
        }
        media_type => media(content, media_type, media_type)?,
    }
    Ok(Send {
        recipient,
        kind: Kind::Session {
            message_type: message_type.to_owned(),
        },
    })
}

/// Checks a mark-as-read request: `{"messaging_product": "whatsapp",
/// "status": "read", "message_id": "wamid…"}`, optionally with
/// `"typing_indicator": {"type": "text"}`.
pub fn check_mark_read(body: &Value) -> Result<(), Invalid> {
    let Some(map) = body.as_object() else {
        return invalid("The request body must be a JSON object");
    };
    only_keys(
        map,
        &[
            "messaging_product",
            "status",
            "message_id",
            "typing_indicator",
        ],
        "message",
    )?;
    let product = required_str(map, "", "messaging_product")?;
    if product != "whatsapp" {
        return invalid(format!(
            "Param messaging_product must be \"whatsapp\", got \"{product}\""
        ));
    }
    one_of(required_str(map, "", "status")?, &["read"], "status")?;
    let message_id = required_str(map, "", "message_id")?;
    // Meta's message ids all begin so; anything else names no message.
    if !message_id.starts_with("wamid.") {
        return invalid(format!(
            "Param message_id must be a WhatsApp message id, got \"{message_id}\""
        ));
    }
    if let Some(indicator) = params::optional_object(map, "", "typing_indicator")? {
        only_keys(indicator, &["type"], "typing_indicator")?;
        one_of(
            required_str(indicator, "typing_indicator", "type")?,
            &["text"],
            "typing_indicator['type']",
        )?;
    }
    Ok(())
}

/// `to` (a phone number) or `recipient` (a BSUID); with both, `to` wins, as
/// on the Cloud API.
fn recipient(map: &Map<String, Value>) -> Checked<Recipient> {
    let bsuid = match params::optional_str(map, "", "recipient")? {
        Some(text) => Some(bsuid(text)?),
        None => None,
    };
    if let Some(input) = params::optional_str(map, "", "to")? {
        let digits = input.strip_prefix('+').unwrap_or(input);
        if !(5..=20).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return invalid(format!(
                "Param to must be a phone number: 5 to 20 digits with an optional leading +, got \"{input}\""
            ));
        }
        return Ok(Recipient::Phone {
            input: input.to_owned(),
            digits: digits.to_owned(),
        });
    }
    match bsuid {
        Some(bsuid) => Ok(Recipient::User { bsuid }),
        None => invalid("Either one of the params to or recipient is required"),
    }
}

/// Whether `text` is a business-scoped user id: `SE.13491208655302741918`,
/// or the parent form `SE.ENT.11815799212886844830` (exactly, with no
/// surrounding space: Meta takes ids as given).
pub fn is_bsuid(text: &str) -> bool {
    text.trim() == text && wagate_domain::Bsuid::parse(text).is_ok()
}

fn bsuid(text: &str) -> Checked<String> {
    if is_bsuid(text) {
        Ok(text.to_owned())
    } else {
        invalid(format!(
            "Param recipient must be a business-scoped user ID (CC.id or CC.ENT.id), got \"{text}\""
        ))
    }
}

fn text(value: &Value) -> Checked<()> {
    let text = object(value, "text")?;
    only_keys(text, &["body", "preview_url"], "text")?;
    required_text(text, "text", "body", 4096)?;
    if let Some(flag) = text.get("preview_url") {
        boolean(flag, "text['preview_url']")?;
    }
    Ok(())
}

/// A media object: exactly one of `id` and `link`; `caption` only on image,
/// video and document; `filename` only on document; `voice` only on audio.
pub(super) fn media(value: &Value, kind: &str, path: &str) -> Checked<()> {
    let media = object(value, path)?;
    let mut allowed = vec!["id", "link"];
    match kind {
        "image" | "video" => allowed.push("caption"),
        "document" => allowed.extend(["caption", "filename"]),
        "audio" => allowed.push("voice"),
        _ => {}
    }
    only_keys(media, &allowed, path)?;
    let id = params::optional_str(media, path, "id")?;
    let link = params::optional_str(media, path, "link")?;
    match (id, link) {
        (None, None) => return invalid("Either one of media ID or link must be present"),
        (Some(_), Some(_)) => return invalid("Only one of media ID or link may be present"),
        (Some(id), None) if id.trim().is_empty() => {
            return invalid(format!("Param {} must not be empty", key(path, "id")));
        }
        (None, Some(link)) => params::http_url(link, &key(path, "link"))?,
        _ => {}
    }
    optional_text(media, path, "caption", 1024)?;
    optional_text(media, path, "filename", 240)?;
    if let Some(flag) = media.get("voice") {
        boolean(flag, &key(path, "voice"))?;
    }
    Ok(())
}

pub(super) fn location(value: &Value, path: &str) -> Checked<()> {
    let location = object(value, path)?;
    only_keys(
        location,
        &["latitude", "longitude", "name", "address"],
        path,
    )?;
    let latitude = number(
        required(location, path, "latitude")?,
        &key(path, "latitude"),
    )?;
    let longitude = number(
        required(location, path, "longitude")?,
        &key(path, "longitude"),
    )?;
    if !(-90.0..=90.0).contains(&latitude) {
        return invalid(format!(
            "Param {} must be between -90 and 90",
            key(path, "latitude")
        ));
    }
    if !(-180.0..=180.0).contains(&longitude) {
        return invalid(format!(
            "Param {} must be between -180 and 180",
            key(path, "longitude")
        ));
    }
    optional_text(location, path, "name", 1000)?;
    optional_text(location, path, "address", 1000)?;
    Ok(())
}

fn contacts(value: &Value) -> Checked<()> {
    let items = params::array(value, "contacts")?;
    if items.is_empty() {
        return invalid("Param contacts must have at least one element");
    }
    for (position, contact) in items.iter().enumerate() {
        let path = params::index("contacts", position);
        let contact = object(contact, &path)?;
        only_keys(
            contact,
            &[
                "addresses",
                "birthday",
                "emails",
                "name",
                "org",
                "phones",
                "urls",
            ],
            &path,
        )?;
        let name_path = key(&path, "name");
        let name = object(required(contact, &path, "name")?, &name_path)?;
        required_str(name, &name_path, "formatted_name")?;
        for list in ["addresses", "emails", "phones", "urls"] {
            if let Some(entries) = contact.get(list) {
                for (at, entry) in params::array(entries, &key(&path, list))?
                    .iter()
                    .enumerate()
                {
                    object(entry, &params::index(&key(&path, list), at))?;
                }
            }
        }
        if let Some(org) = contact.get("org") {
            object(org, &key(&path, "org"))?;
        }
    }
    Ok(())
}

fn reaction(value: &Value) -> Checked<()> {
    let reaction = object(value, "reaction")?;
    only_keys(reaction, &["message_id", "emoji"], "reaction")?;
    required_str(reaction, "reaction", "message_id")?;
    // An empty emoji removes a reaction, so only the type is checked.
    params::string(
        required(reaction, "reaction", "emoji")?,
        "reaction['emoji']",
    )?;
    Ok(())
}
