//! The WhatsApp message model: one entry of a request's `messages` array.
//!
//! - [`Message`] is the entry as the client sent it. It is plain serde
//!   structs with `Option` fields, no tagged, untagged or flattened enums, so
//!   `serde_path_to_error` reports a wrong JSON type at its full path
//!   (`messages[0].interactive.action.buttons[1].reply.title`). Unknown fields
//!   are ignored; LINK's camelCase and the Cloud API's snake_case spellings are
//!   both accepted, as is LINK v1.4.6's template layout (`components` beside
//!   `template`, `template.namespace`).
//! - [`Message::validate`] checks every rule of the LINK v1.9.4 tables (and
//!   Meta's limits where LINK is silent, see [`limits`]) and returns all
//!   violations, each naming the field path and the rule.
//! - [`ValidMessage`] can only come out of `validate`; [`ValidMessage::render`]
//!   turns it into the Cloud API request body; [`ValidMessage::render_once`]
//!   serializes it once for many destinations ([`RenderedMessage`]).
//!
//! Violation paths use the LINK document's field names (`fallbackValue`,
//! `subType`), whichever spelling the client used.

mod check;
mod contacts;
mod interactive;
mod lenient;
pub mod limits;
mod location;
mod media;
mod render;
mod rendered;
mod template;
mod text;

use serde::Deserialize;

use crate::address::Destination;
use crate::violation::{Path, Rule, Violation};

use check::{Keyword, Violations};

pub use contacts::{
    ContactAddress, ContactEmail, ContactName, ContactObject, ContactOrg, ContactPhone, ContactUrl,
};
pub use interactive::{
    ActionParametersObject, CardActionObject, CardObject, FlowActionPayloadObject, HeaderObject,
    InteractiveActionObject, InteractiveObject, InteractiveText, ProductItemObject,
    ReplyButtonObject, ReplyObject, RowObject, SectionObject,
};
pub use lenient::NumberOrText;
pub use location::LocationObject;
pub use media::MediaObject;
pub use rendered::RenderedMessage;
pub use template::{
    ComponentObject, CurrencyObject, DateTimeObject, LanguageObject, LimitedTimeOfferObject,
    ParameterObject, ProductObject, TemplateActionObject, TemplateCardObject, TemplateObject,
};
pub use text::TextObject;

/// One entry of the request's `messages` array, as the client sent it: `type`
/// and the object named after it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct Message {
    #[serde(rename = "type")]
    #[schema(required = true, nullable = false, schema_with = message_type_schema)]
    pub kind: Option<String>,
    /// LINK's link preview switch beside `text` (the Cloud API has it inside).
    /// Ignored for other message types.
    #[serde(rename = "previewUrl", alias = "preview_url")]
    pub preview_url: Option<bool>,
    pub template: Option<TemplateObject>,
    /// LINK v1.4.6 layout: the template's components beside `template`.
    pub components: Option<Vec<ComponentObject>>,
    pub text: Option<TextObject>,
    pub image: Option<MediaObject>,
    pub audio: Option<MediaObject>,
    pub video: Option<MediaObject>,
    pub document: Option<MediaObject>,
    pub sticker: Option<MediaObject>,
    pub location: Option<LocationObject>,
    #[schema(min_items = 1)]
    pub contacts: Option<Vec<ContactObject>>,
    pub interactive: Option<InteractiveObject>,
}

/// `type` in the OpenAPI document: one of the ten names (any case is
/// read; these are LINK's spellings).
fn message_type_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(MessageType::NAMES.iter().copied()))
        .examples(["text"])
        .build()
}

/// The ten message types of LINK v1.9.4 (and the Cloud API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    Template,
    Text,
    Image,
    Audio,
    Video,
    Document,
    Sticker,
    Location,
    Contacts,
    Interactive,
}

impl Keyword for MessageType {
    const NAMES: &'static [&'static str] = &[
        "template",
        "text",
        "image",
        "audio",
        "video",
        "document",
        "sticker",
        "location",
        "contacts",
        "interactive",
    ];
    const ALL: &'static [Self] = &[
        Self::Template,
        Self::Text,
        Self::Image,
        Self::Audio,
        Self::Video,
        Self::Document,
        Self::Sticker,
        Self::Location,
        Self::Contacts,
        Self::Interactive,
    ];
}

impl MessageType {
    /// `"template"`, `"text"`, …: LINK's and the Cloud API's name, which is
    /// also the name of the object carrying the content.
    pub fn as_str(self) -> &'static str {
        self.name()
    }

    /// Reads a name as [`MessageType::as_str`] writes it (case and
    /// camelCase/snake_case insensitive).
    pub fn parse(text: &str) -> Option<Self> {
        <Self as Keyword>::parse(text)
    }

    /// Templates are the only messages allowed outside the 24-hour customer
    /// care window.
    pub fn is_template(self) -> bool {
        self == Self::Template
    }

    fn when(self) -> &'static str {
        match self {
            Self::Template => "when type is template",
            Self::Text => "when type is text",
            Self::Image => "when type is image",
            Self::Audio => "when type is audio",
            Self::Video => "when type is video",
            Self::Document => "when type is document",
            Self::Sticker => "when type is sticker",
            Self::Location => "when type is location",
            Self::Contacts => "when type is contacts",
            Self::Interactive => "when type is interactive",
        }
    }
}

/// A message that passed [`Message::validate`].
#[derive(Debug, Clone)]
pub struct ValidMessage {
    kind: MessageType,
    content: Content,
}

/// The checked content, one variant per family of message types.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Content {
    Template(template::Template),
    Text(text::Text),
    Media(media::MediaKind, media::Media),
    Location(location::Location),
    Contacts(Vec<contacts::Contact>),
    Interactive(interactive::Interactive),
}

impl Message {
    /// Checks every rule; `path` is where this message sits, e.g.
    /// `Path::root("messages").index(0)`. Returns all violations found (the
    /// first is the one the API reports); never panics.
    pub fn validate(self, path: &Path) -> Result<ValidMessage, Vec<Violation>> {
        let mut violations = Violations::default();
        let kind = violations.keyword::<MessageType>(&path.field("type"), self.kind.as_deref());
        let content = kind.and_then(|kind| self.content(kind, path, &mut violations));
        match (kind, content) {
            (Some(kind), Some(content)) if violations.is_empty() => {
                Ok(ValidMessage { kind, content })
            }
            _ if !violations.is_empty() => Err(violations.into_vec()),
            // Every helper that gives up pushes a violation first; this arm
            // only keeps `validate` total should one ever forget.
            _ => Err(vec![path.violation(Rule::Format("a valid message"))]),
        }
    }

    fn content(
        self,
        kind: MessageType,
        path: &Path,
        violations: &mut Violations,
    ) -> Option<Content> {
        let others = [
            ("template", self.template.is_some(), MessageType::Template),
            (
                "components",
                self.components.is_some(),
                MessageType::Template,
            ),
            ("text", self.text.is_some(), MessageType::Text),
            ("image", self.image.is_some(), MessageType::Image),
            ("audio", self.audio.is_some(), MessageType::Audio),
            ("video", self.video.is_some(), MessageType::Video),
            ("document", self.document.is_some(), MessageType::Document),
            ("sticker", self.sticker.is_some(), MessageType::Sticker),
            ("location", self.location.is_some(), MessageType::Location),
            ("contacts", self.contacts.is_some(), MessageType::Contacts),
            (
                "interactive",
                self.interactive.is_some(),
                MessageType::Interactive,
            ),
        ]
        .map(|(name, present, owner)| (name, present && owner != kind));

        let own = path.field(kind.as_str());
        let content = match kind {
            MessageType::Template => violations
                .required(&own, self.template)
                .and_then(|object| template::validate(object, self.components, path, violations))
                .map(Content::Template),
            MessageType::Text => violations
                .required(&own, self.text)
                .and_then(|object| text::validate(object, self.preview_url, &own, violations))
                .map(Content::Text),
            MessageType::Image => {
                media_content(self.image, media::MediaKind::Image, &own, violations)
            }
            MessageType::Audio => {
                media_content(self.audio, media::MediaKind::Audio, &own, violations)
            }
            MessageType::Video => {
                media_content(self.video, media::MediaKind::Video, &own, violations)
            }
            MessageType::Document => {
                media_content(self.document, media::MediaKind::Document, &own, violations)
            }
            MessageType::Sticker => {
                media_content(self.sticker, media::MediaKind::Sticker, &own, violations)
            }
            MessageType::Location => violations
                .required(&own, self.location)
                .and_then(|object| location::validate(object, &own, violations))
                .map(Content::Location),
            MessageType::Contacts => violations
                .required(&own, self.contacts)
                .and_then(|list| contacts::validate(list, &own, violations))
                .map(Content::Contacts),
            MessageType::Interactive => violations
                .required(&own, self.interactive)
                .and_then(|object| interactive::validate(object, &own, violations))
                .map(Content::Interactive),
        };
        let alone = violations.forbid(path, &others, kind.when());
        content.filter(|_| alone)
    }
}

fn media_content(
    object: Option<MediaObject>,
    kind: media::MediaKind,
    path: &Path,
    violations: &mut Violations,
) -> Option<Content> {
    let object = violations.required(path, object)?;
    media::validate(object, kind, media::MediaUse::Message, path, violations)
        .map(|media| Content::Media(kind, media))
}

impl ValidMessage {
    pub fn message_type(&self) -> MessageType {
        self.kind
    }

    /// The Cloud API request body (`POST /{version}/{phone-number-id}/messages`)
    /// for this destination: `{"messaging_product":"whatsapp",
    /// "recipient_type":"individual","to":"+46701234567","type":…, <type>:{…}}`.
    /// A BSUID destination goes in `"recipient"` instead of `"to"`.
    pub fn render(&self, to: &Destination) -> serde_json::Value {
        render::message(self.kind, &self.content, to)
    }

    /// The content serialized once, to be addressed to each destination with
    /// [`RenderedMessage::body_for`].
    pub fn render_once(&self) -> RenderedMessage {
        RenderedMessage::new(self.kind, &self.content)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_type_names_round_trip() {
        assert_eq!(MessageType::NAMES.len(), MessageType::ALL.len());
        for kind in MessageType::ALL {
            assert_eq!(MessageType::parse(kind.as_str()), Some(*kind));
            assert!(kind.when().ends_with(kind.as_str()));
        }
        assert_eq!(MessageType::parse("Template"), Some(MessageType::Template));
        assert_eq!(MessageType::parse("reaction"), None);
        assert!(MessageType::Template.is_template());
        assert!(!MessageType::Interactive.is_template());
    }
}
