//! One Devino message object (`POST /whatsapp/v2/messages`, or an entry of
//! `/batch`), as clients send it, and its checks.
//!
//! The content fields are the Cloud API's own (`text`, `image`, `template`,
//! `interactive` …), so a message becomes the domain's [`Message`] and is
//! checked by the same rules as LINK's (see [`wagate_domain::message`]).
//! What Devino adds or spells differently is settled here first:
//! - `text` may be a plain string (the batch example), and `type` defaults
//!   to `text` (or to the one content object present); `contact` is
//!   `contacts`;
//! - `template.language.policy` is accepted and dropped (the Cloud API has
//!   none); `footer` components are checked (text, at most 60 characters)
//!   and dropped, since Cloud API templates carry their footer fixed;
//!   `date_time` parts are checked and dropped, keeping `fallback_value`;
//! - `from` is the business number and `to` the user's, international, with
//!   or without `+`; `validity` is in seconds; `callbackUrl` and
//!   `callbackData` say where statuses go and what they carry back.
//!
//! Every broken rule becomes a [`Reason`] with the spec's key and `ref`.

use serde::Deserialize;
use serde_json::Value;
use wagate_domain::message::{
    ComponentObject, ContactObject, InteractiveObject, LocationObject, MediaObject, Message,
    TemplateObject, TextObject, ValidMessage,
};
use wagate_domain::violation::Path;
use wagate_domain::{Msisdn, Rule};

use super::reason::{Reason, for_violation};
use crate::store::{MessageCallback, Millis};

/// The longest `callbackData`, in characters.
pub const MAX_CALLBACK_DATA: usize = 4096;
/// The most digits of an international number (E.164).
const MAX_NUMBER_DIGITS: usize = 15;
/// The message types Devino names (`contact` is read as `contacts`).
const TYPES: &[&str] = &[
    "text",
    "image",
    "audio",
    "video",
    "document",
    "contacts",
    "contact",
    "location",
    "template",
    "interactive",
];
/// The longest template language code (`en_US` is 5).
const MAX_LANGUAGE_CODE: usize = 15;
/// The longest document file name (the spec: 1 to 100).
const MAX_CONTENT_NAME: usize = 100;
/// The longest template footer text.
const FOOTER_TEXT_MAX: usize = 60;

/// One message as a client sends it. `from` and `to` are required; the
/// content is `text` or one content object, as the Cloud API spells it
/// (`type` says which when several are present). A message that breaks a
/// rule is answered `REJECTED` in its entry of the result (HTTP 200).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"from": "79001234567", "to": "79007654321", "type": "text",
    "text": {"body": "your_message_content"}, "callbackUrl": "https://hooks.example.com/status",
    "callbackData": "order-7", "validity": 3600}))]
pub struct DevinoMessage {
    /// The business number sending (one of the account's sources),
    /// international, `+` optional.
    #[schema(value_type = String, required = true, example = "79001234567")]
    from: Option<String>,
    /// The user's number, international (at most 15 digits), `+` optional.
    #[schema(value_type = String, required = true, example = "79007654321")]
    to: Option<String>,
    /// Only `individual`.
    #[serde(rename = "recipient_type", alias = "recipientType")]
    #[schema(value_type = Option<String>, pattern = "^individual$")]
    recipient_type: Option<String>,
    /// Where the message's statuses are sent (an http(s) URL the gateway may
    /// call): Devino status callbacks (see the webhook `devinoStatus`).
    #[schema(example = "https://hooks.example.com/status")]
    callback_url: Option<String>,
    /// Passed back as `options` in each status callback.
    #[schema(max_length = 4096)]
    callback_data: Option<String>,
    /// Seconds the message may wait to be sent (at most `--max-validity`).
    #[schema(minimum = 1)]
    validity: Option<i64>,
    /// The content type; by default `text`, or the one content object
    /// present. `contact` is read as `contacts`.
    #[serde(rename = "type")]
    #[schema(schema_with = message_type_schema)]
    kind: Option<String>,
    /// Text messages: whether URLs get a preview.
    #[serde(rename = "preview_url", alias = "previewUrl")]
    preview_url: Option<bool>,
    /// `{"body": …}` or a plain string: at most 4096 characters.
    #[schema(schema_with = text_schema)]
    text: Option<Value>,
    /// The Cloud API's media object: `link` (http(s)), `caption`.
    #[schema(value_type = Option<Object>)]
    image: Option<MediaObject>,
    /// The Cloud API's media object: `link` (http(s)).
    #[schema(value_type = Option<Object>)]
    audio: Option<MediaObject>,
    /// The Cloud API's media object: `link` (http(s)), `caption`.
    #[schema(value_type = Option<Object>)]
    video: Option<MediaObject>,
    /// The Cloud API's media object: `link` (http(s)), `filename` (1 to 100
    /// characters).
    #[schema(value_type = Option<Object>)]
    document: Option<MediaObject>,
    /// The Cloud API's contact objects (`name`, `phones`, `emails`, `org`,
    /// `addresses`, `urls`, `birthday`); also read as `contact`.
    #[serde(alias = "contact")]
    #[schema(value_type = Option<Vec<Object>>)]
    contacts: Option<Vec<ContactObject>>,
    /// The Cloud API's template object (`name`, `language.code` such as `en`
    /// or `en_US`, `components`); `language.policy` is accepted, `footer`
    /// components are checked (text, at most 60 characters) and dropped.
    #[schema(value_type = Option<Object>)]
    template: Option<TemplateObject>,
    /// The Cloud API's location object (`latitude`, `longitude`, `name`,
    /// `address`).
    #[schema(value_type = Option<Object>)]
    location: Option<LocationObject>,
    /// The Cloud API's interactive object (buttons, lists).
    #[schema(value_type = Option<Object>)]
    interactive: Option<InteractiveObject>,
}

/// `type`: one of [`TYPES`], or null.
fn message_type_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(TYPES.iter().copied().map(Some).chain([None])))
        .default(Some("text".into()))
        .build()
}

/// `text`: a string or `{"body", "preview_url"}`, or null.
fn text_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    let body = || {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(wagate_domain::message::limits::TEXT_BODY_MAX))
    };
    OneOfBuilder::new()
        .item(body().description(Some("The text itself.")))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property("body", body())
                .property(
                    "preview_url",
                    ObjectBuilder::new().schema_type(Type::Boolean),
                )
                .required("body"),
        )
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .build()
        .into()
}

/// A message whose every field has been checked.
#[derive(Debug)]
pub struct CheckedMessage {
    pub from: Msisdn,
    pub to: Msisdn,
    pub message: ValidMessage,
    pub callback: Option<MessageCallback>,
    pub expires_at: Millis,
}

/// What the checks need to know beyond the message.
pub struct CheckContext {
    pub now: Millis,
    /// The longest validity allowed (`--max-validity`), in milliseconds.
    pub max_validity_ms: Millis,
}

impl DevinoMessage {
    /// Checks the message at `messages[index]`; every broken rule, in field
    /// order.
    pub fn check(
        mut self,
        index: usize,
        context: &CheckContext,
    ) -> Result<CheckedMessage, Vec<Reason>> {
        let at = Path::root("messages").index(index);
        let mut reasons = Vec::new();
        let from = number(&at, "from", self.from.as_deref(), &mut reasons);
        let to = number(&at, "to", self.to.as_deref(), &mut reasons);
        if let Some(kind) = self.recipient_type.as_deref()
            && kind != "individual"
        {
            reasons.push(Reason::invalid(
                at.field("recipient_type").as_str(),
                Rule::OneOf(&["individual"]),
            ));
        }
        let callback = callback(
            &at,
            self.callback_url.take(),
            self.callback_data.take(),
            &mut reasons,
        );
        let expires_at = expiry(&at, self.validity, context, &mut reasons);
        let message = self.content(&at, &mut reasons);
        match (from, to, message, expires_at) {
            (Some(from), Some(to), Some(message), Some(expires_at)) if reasons.is_empty() => {
                Ok(CheckedMessage {
                    from,
                    to,
                    message,
                    callback,
                    expires_at,
                })
            }
            _ => Err(reasons),
        }
    }

    /// The content as the domain's message, checked by its rules.
    fn content(self, at: &Path, reasons: &mut Vec<Reason>) -> Option<ValidMessage> {
        let text = match self.text {
            None => None,
            Some(Value::String(body)) => Some(TextObject {
                body: Some(body),
                preview_url: None,
            }),
            Some(object @ Value::Object(_)) => match serde_json::from_value::<TextObject>(object) {
                Ok(text) => Some(text),
                Err(error) => {
                    reasons.push(Reason::invalid(
                        at.field("text").as_str(),
                        Rule::Type(error.to_string()),
                    ));
                    return None;
                }
            },
            Some(_) => {
                reasons.push(Reason::invalid(
                    at.field("text").as_str(),
                    Rule::Format("a string, or an object with body"),
                ));
                return None;
            }
        };
        let present = [
            ("text", text.is_some()),
            ("image", self.image.is_some()),
            ("audio", self.audio.is_some()),
            ("video", self.video.is_some()),
            ("document", self.document.is_some()),
            ("contacts", self.contacts.is_some()),
            ("template", self.template.is_some()),
            ("location", self.location.is_some()),
            ("interactive", self.interactive.is_some()),
        ];
        let kind = match self.kind.as_deref() {
            Some("contact") => "contacts".to_owned(),
            Some(kind) if TYPES.contains(&kind) => kind.to_owned(),
            Some(_) => {
                reasons.push(Reason::content_type(at, Rule::OneOf(TYPES)));
                return None;
            }
            None => match present.iter().filter(|(_, here)| *here).collect::<Vec<_>>()[..] {
                [(only, _)] => (*only).to_owned(),
                [] => {
                    reasons.push(Reason::no_content(at.as_str()));
                    return None;
                }
                _ => "text".to_owned(),
            },
        };
        if kind == "text" && text.is_none() && present.iter().all(|(_, here)| !here) {
            reasons.push(Reason::no_content(at.as_str()));
            return None;
        }
        if let Some(code) = self
            .template
            .as_ref()
            .and_then(|template| template.language.as_ref())
            .and_then(|language| language.code.as_deref())
        {
            language_code(at, code, reasons);
        }
        if let Some(filename) = self
            .document
            .as_ref()
            .and_then(|document| document.filename.as_deref())
        {
            content_name(at, filename, reasons);
        }
        let template = self
            .template
            .map(|template| without_footer(template, &at.field("template"), reasons));
        let message = Message {
            kind: Some(kind),
            preview_url: self.preview_url,
            template,
            components: None,
            text,
            image: self.image,
            audio: self.audio,
            video: self.video,
            document: self.document,
            sticker: None,
            location: self.location,
            contacts: self.contacts,
            interactive: self.interactive,
        };
        match message.validate(at) {
            Ok(valid) => Some(valid),
            Err(violations) => {
                reasons.extend(
                    violations
                        .iter()
                        .map(|violation| for_violation(at, violation)),
                );
                None
            }
        }
    }
}

/// A template's `language.code`: a language (`en`, `fil`) or a locale
/// (`en_US`); the domain's checks refuse an empty one.
fn language_code(at: &Path, code: &str, reasons: &mut Vec<Reason>) {
    let reference = at.field("languageCode");
    let field = at.field("template").field("language").field("code");
    let length = code.chars().count();
    let (language, region) = code.split_once('_').unwrap_or((code, ""));
    let well_formed = (2..=3).contains(&language.len())
        && language.bytes().all(|b| b.is_ascii_lowercase())
        && (region.is_empty()
            || (region.len() == 2 && region.bytes().all(|b| b.is_ascii_uppercase())));
    if length == 1 {
        reasons.push(Reason::at(
            "length.too.short",
            reference.as_str(),
            field.as_str(),
            &Rule::Format("at least 2 characters"),
        ));
    } else if length > MAX_LANGUAGE_CODE {
        reasons.push(Reason::at(
            "length.too.long",
            reference.as_str(),
            field.as_str(),
            &Rule::MaxLength(MAX_LANGUAGE_CODE),
        ));
    } else if length > 0 && !well_formed {
        reasons.push(Reason::at(
            "invalid",
            reference.as_str(),
            field.as_str(),
            &Rule::Format("a language code such as en or en_US"),
        ));
    }
}

/// A document's `filename`: 1 to 100 characters.
fn content_name(at: &Path, filename: &str, reasons: &mut Vec<Reason>) {
    let reference = at.field("contentName");
    let field = at.field("document").field("filename");
    let length = filename.chars().count();
    if length == 0 {
        reasons.push(Reason::at(
            "length.too.short",
            reference.as_str(),
            field.as_str(),
            &Rule::NotEmpty,
        ));
    } else if length > MAX_CONTENT_NAME {
        reasons.push(Reason::at(
            "length.too.long",
            reference.as_str(),
            field.as_str(),
            &Rule::MaxLength(MAX_CONTENT_NAME),
        ));
    }
}

/// `from` or `to`: international digits, `+` optional.
fn number(at: &Path, field: &str, text: Option<&str>, reasons: &mut Vec<Reason>) -> Option<Msisdn> {
    let path = at.field(field);
    let Some(text) = text.map(str::trim).filter(|text| !text.is_empty()) else {
        reasons.push(Reason::not_null(path.as_str()));
        return None;
    };
    let digits = text.bytes().filter(u8::is_ascii_digit).count();
    if digits > MAX_NUMBER_DIGITS {
        reasons.push(Reason::too_long(
            path.as_str(),
            Rule::MaxLength(MAX_NUMBER_DIGITS),
        ));
        return None;
    }
    let international = if text.starts_with('+') {
        text.to_owned()
    } else {
        format!("+{text}")
    };
    Msisdn::parse(&international)
        .map_err(|rule| reasons.push(Reason::invalid(path.as_str(), rule)))
        .ok()
}

fn callback(
    at: &Path,
    url: Option<String>,
    data: Option<String>,
    reasons: &mut Vec<Reason>,
) -> Option<MessageCallback> {
    if let Some(data) = &data
        && data.chars().count() > MAX_CALLBACK_DATA
    {
        reasons.push(Reason::too_long(
            at.field("callbackData").as_str(),
            Rule::MaxLength(MAX_CALLBACK_DATA),
        ));
    }
    // The URL itself is checked when its gate is looked up (see
    // `crate::intake::callback_target`); callbackData without a URL goes
    // nowhere and is kept only for the status query.
    url.map(|url| MessageCallback { url, data })
}

fn expiry(
    at: &Path,
    validity: Option<i64>,
    context: &CheckContext,
    reasons: &mut Vec<Reason>,
) -> Option<Millis> {
    let max_seconds = (context.max_validity_ms / 1000).max(1);
    let millis = match validity {
        None => wagate_domain::validity::DEFAULT_MS.min(context.max_validity_ms),
        Some(seconds) if (1..=max_seconds).contains(&seconds) => seconds * 1000,
        Some(_) => {
            reasons.push(Reason::invalid(
                at.field("validity").as_str(),
                Rule::Range {
                    min: 1,
                    max: max_seconds,
                },
            ));
            return None;
        }
    };
    context.now.checked_add(millis)
}

/// The template without its `footer` components, whose texts are checked
/// first: Cloud API templates carry their footer fixed, so it has no
/// parameters to pass on.
fn without_footer(
    mut template: TemplateObject,
    at: &Path,
    reasons: &mut Vec<Reason>,
) -> TemplateObject {
    let Some(components) = template.components.take() else {
        return template;
    };
    let mut kept: Vec<ComponentObject> = Vec::with_capacity(components.len());
    for (index, component) in components.into_iter().enumerate() {
        if component.kind.as_deref() != Some("footer") {
            kept.push(component);
            continue;
        }
        let parameters = at.field("components").index(index).field("parameters");
        for (position, parameter) in component.parameters.iter().flatten().enumerate() {
            let path = parameters.index(position).field("text");
            match parameter.text.as_deref() {
                Some(text) if text.chars().count() > FOOTER_TEXT_MAX => {
                    reasons.push(Reason::invalid(
                        path.as_str(),
                        Rule::MaxLength(FOOTER_TEXT_MAX),
                    ));
                }
                Some(_) => {}
                None => reasons.push(Reason::invalid(path.as_str(), Rule::Required)),
            }
        }
    }
    template.components = Some(kept);
    template
}
