//! The translation of a checked message into the Cloud API request body
//! (`POST /{version}/{phone-number-id}/messages`), in Meta's own names:
//! snake_case, `preview_url` inside `text`, `parameter_name`, `sub_type`,
//! button `index` as a string, `amount_1000` as an integer, `date_time` with
//! only its fallback value, contacts with `formatted_name` and `wa_id`.
//! Absent optional fields are left out, never written as `null`.

use serde_json::{Map, Value};

use crate::address::Destination;

use super::check::Keyword;
use super::contacts::Contact;
use super::interactive::{
    Action, Card, CardContent, CtaUrl, Flow, Header, Interactive, ListSection, ProductSection,
    Reply,
};
use super::location::Location;
use super::media::{Media, MediaKind, MediaSource};
use super::template::{
    Component, Parameter, ParameterValue, Template, TemplateAction, TemplateCard,
};
use super::text::Text;
use super::{Content, MessageType};

/// A JSON object under construction.
#[derive(Default)]
struct Object(Map<String, Value>);

impl Object {
    fn new() -> Self {
        Self::default()
    }

    fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.insert(key.to_owned(), value.into());
        self
    }

    /// Adds `key` only when there is a value.
    fn with_opt(self, key: &str, value: Option<impl Into<Value>>) -> Self {
        match value {
            Some(value) => self.with(key, value),
            None => self,
        }
    }

    /// Adds `key` only when the list is not empty.
    fn with_list<T>(self, key: &str, items: &[T], render: impl Fn(&T) -> Value) -> Self {
        if items.is_empty() {
            self
        } else {
            self.with(key, list(items, render))
        }
    }
}

impl From<Object> for Value {
    fn from(object: Object) -> Value {
        Value::Object(object.0)
    }
}

fn list<T>(items: &[T], render: impl Fn(&T) -> Value) -> Value {
    Value::Array(items.iter().map(render).collect())
}

fn text_object(text: &str) -> Value {
    Object::new().with("text", text).into()
}

/// The whole request body for one destination.
pub(super) fn message(kind: MessageType, content: &Content, to: &Destination) -> Value {
    let mut body = envelope(kind, to);
    body.insert(kind.as_str().to_owned(), content_body(content));
    Value::Object(body)
}

/// The body's fields around the content: `messaging_product`,
/// `recipient_type`, `to` (or `recipient` for a BSUID) and `type`.
pub(super) fn envelope(kind: MessageType, to: &Destination) -> Map<String, Value> {
    let envelope = Object::new()
        .with("messaging_product", "whatsapp")
        .with("recipient_type", "individual");
    let envelope = match to {
        Destination::Msisdn(msisdn) => envelope.with("to", msisdn.as_str()),
        Destination::Bsuid(bsuid) => envelope.with("recipient", bsuid.as_str()),
    };
    envelope.with("type", kind.as_str()).0
}

/// The object under the key named after the message type.
pub(super) fn content_body(content: &Content) -> Value {
    match content {
        Content::Template(template_) => template(template_),
        Content::Text(text_) => text(text_),
        Content::Media(_, media_) => media(media_),
        Content::Location(location_) => location(location_),
        Content::Contacts(contacts_) => list(contacts_, contact),
        Content::Interactive(interactive_) => interactive(interactive_),
    }
}

fn text(text: &Text) -> Value {
    Object::new()
        .with_opt("preview_url", text.preview_url)
        .with("body", text.body.as_str())
        .into()
}

fn media(media: &Media) -> Value {
    let object = match &media.source {
        MediaSource::Id(id) => Object::new().with("id", id.as_str()),
        MediaSource::Link(link) => Object::new().with("link", link.as_str()),
    };
    object
        .with_opt("caption", media.caption.as_deref())
        .with_opt("filename", media.filename.as_deref())
        .with_opt("voice", media.voice)
        .into()
}

fn location(location: &Location) -> Value {
    Object::new()
        .with("latitude", location.latitude)
        .with("longitude", location.longitude)
        .with_opt("name", location.name.as_deref())
        .with_opt("address", location.address.as_deref())
        .into()
}

fn contact(contact: &Contact) -> Value {
    let name = &contact.name;
    let name = Object::new()
        .with_opt("formatted_name", name.formatted_name.as_deref())
        .with_opt("first_name", name.first_name.as_deref())
        .with_opt("last_name", name.last_name.as_deref())
        .with_opt("middle_name", name.middle_name.as_deref())
        .with_opt("suffix", name.suffix.as_deref())
        .with_opt("prefix", name.prefix.as_deref());
    let org = contact.org.as_ref().map(|org| {
        Object::new()
            .with_opt("company", org.company.as_deref())
            .with_opt("department", org.department.as_deref())
            .with_opt("title", org.title.as_deref())
    });
    Object::new()
        .with_list("addresses", &contact.addresses, |address| {
            Object::new()
                .with_opt("street", address.street.as_deref())
                .with_opt("city", address.city.as_deref())
                .with_opt("state", address.state.as_deref())
                .with_opt("zip", address.zip.as_deref())
                .with_opt("country", address.country.as_deref())
                .with_opt("country_code", address.country_code.as_deref())
                .with_opt("type", address.kind.as_deref())
                .into()
        })
        .with_opt("birthday", contact.birthday.as_deref())
        .with_list("emails", &contact.emails, |email| {
            Object::new()
                .with_opt("email", email.email.as_deref())
                .with_opt("type", email.kind.as_deref())
                .into()
        })
        .with("name", name)
        .with_opt("org", org)
        .with_list("phones", &contact.phones, |phone| {
            Object::new()
                .with_opt("phone", phone.phone.as_deref())
                .with_opt("type", phone.kind.as_deref())
                .with_opt("wa_id", phone.wa_id.as_deref())
                .into()
        })
        .with_list("urls", &contact.urls, |url| {
            Object::new()
                .with_opt("url", url.url.as_deref())
                .with_opt("type", url.kind.as_deref())
                .into()
        })
        .into()
}

// --- Templates --------------------------------------------------------------

fn template(template: &Template) -> Value {
    Object::new()
        .with("name", template.name.as_str())
        .with(
            "language",
            Object::new().with("code", template.language.as_str()),
        )
        .with_list("components", &template.components, component)
        .into()
}

fn component(component: &Component) -> Value {
    match component {
        Component::Header(parameters) => with_parameters("header", parameters),
        Component::Body(parameters) => with_parameters("body", parameters),
        Component::LimitedTimeOffer(parameters) => {
            with_parameters("limited_time_offer", parameters)
        }
        Component::Button {
            sub_type,
            index,
            parameters,
        } => Object::new()
            .with("type", "button")
            .with("sub_type", sub_type.name())
            .with("index", index.to_string())
            .with("parameters", list(parameters, parameter))
            .into(),
        Component::Carousel(cards) => Object::new()
            .with("type", "carousel")
            .with("cards", list(cards, template_card))
            .into(),
    }
}

fn with_parameters(kind: &str, parameters: &[Parameter]) -> Value {
    Object::new()
        .with("type", kind)
        .with("parameters", list(parameters, parameter))
        .into()
}

fn template_card(card: &TemplateCard) -> Value {
    Object::new()
        .with("card_index", card.card_index)
        .with("components", list(&card.components, component))
        .into()
}

fn parameter(parameter: &Parameter) -> Value {
    let (kind, value): (&str, Value) = match &parameter.value {
        ParameterValue::Text(text) => ("text", text.as_str().into()),
        ParameterValue::Payload(payload) => ("payload", payload.as_str().into()),
        ParameterValue::CouponCode(code) => ("coupon_code", code.as_str().into()),
        ParameterValue::Currency {
            fallback_value,
            code,
            amount_1000,
        } => (
            "currency",
            Object::new()
                .with("fallback_value", fallback_value.as_str())
                .with("code", code.as_str())
                .with("amount_1000", *amount_1000)
                .into(),
        ),
        ParameterValue::DateTime { fallback_value } => (
            "date_time",
            Object::new()
                .with("fallback_value", fallback_value.as_str())
                .into(),
        ),
        ParameterValue::Media(kind, media_) => (kind.name(), media(media_)),
        ParameterValue::Location(location_) => ("location", location(location_)),
        ParameterValue::Product {
            product_retailer_id,
            catalog_id,
        } => (
            "product",
            Object::new()
                .with("product_retailer_id", product_retailer_id.as_str())
                .with("catalog_id", catalog_id.as_str())
                .into(),
        ),
        ParameterValue::Action(action) => ("action", template_action(action)),
        ParameterValue::LimitedTimeOffer { expiration_time_ms } => (
            "limited_time_offer",
            Object::new()
                .with("expiration_time_ms", *expiration_time_ms)
                .into(),
        ),
    };
    Object::new()
        .with("type", kind)
        .with_opt("parameter_name", parameter.name.as_deref())
        .with(kind, value)
        .into()
}

fn template_action(action: &TemplateAction) -> Value {
    Object::new()
        .with_opt(
            "thumbnail_product_retailer_id",
            action.thumbnail_product_retailer_id.as_deref(),
        )
        .with_opt("flow_token", action.flow_token.as_deref())
        .with_opt("flow_action_data", action.flow_action_data.clone())
        .with_list("sections", &action.sections, product_section)
        .into()
}

// --- Interactive ------------------------------------------------------------

fn interactive(interactive: &Interactive) -> Value {
    Object::new()
        .with("type", interactive.kind.name())
        .with_opt("header", interactive.header.as_ref().map(header))
        .with_opt("body", interactive.body.as_deref().map(text_object))
        .with_opt("footer", interactive.footer.as_deref().map(text_object))
        .with("action", action(&interactive.action))
        .into()
}

fn header(header: &Header) -> Value {
    match header {
        Header::Text(text) => Object::new()
            .with("type", "text")
            .with("text", text.as_str())
            .into(),
        Header::Media(kind, media_) => media_header(*kind, media_),
    }
}

fn media_header(kind: MediaKind, media_: &Media) -> Value {
    Object::new()
        .with("type", kind.name())
        .with(kind.name(), media(media_))
        .into()
}

fn action(action: &Action) -> Value {
    match action {
        Action::Buttons(buttons) => Object::new().with("buttons", list(buttons, reply)),
        Action::List { button, sections } => Object::new()
            .with("button", button.as_str())
            .with("sections", list(sections, list_section)),
        Action::Product {
            catalog_id,
            product_retailer_id,
        } => Object::new()
            .with("catalog_id", catalog_id.as_str())
            .with("product_retailer_id", product_retailer_id.as_str()),
        Action::ProductList {
            catalog_id,
            sections,
        } => Object::new()
            .with("catalog_id", catalog_id.as_str())
            .with("sections", list(sections, product_section)),
        Action::Catalog {
            thumbnail_product_retailer_id,
        } => Object::new().with("name", "catalog_message").with_opt(
            "parameters",
            thumbnail_product_retailer_id
                .as_deref()
                .map(|thumbnail| Object::new().with("thumbnail_product_retailer_id", thumbnail)),
        ),
        Action::Carousel(cards) => Object::new().with("cards", list(cards, card)),
        Action::Flow(flow_) => Object::new()
            .with("name", "flow")
            .with("parameters", flow(flow_)),
        Action::CtaUrl(cta) => cta_url_action(cta),
        Action::LocationRequest => Object::new().with("name", "send_location"),
        Action::ContactRequest => Object::new().with("name", "request_contact_info"),
    }
    .into()
}

fn reply(reply: &Reply) -> Value {
    Object::new()
        .with("type", "reply")
        .with(
            "reply",
            Object::new()
                .with("id", reply.id.as_str())
                .with("title", reply.title.as_str()),
        )
        .into()
}

fn list_section(section: &ListSection) -> Value {
    let rows = list(&section.rows, |row| {
        Object::new()
            .with("id", row.id.as_str())
            .with("title", row.title.as_str())
            .with_opt("description", row.description.as_deref())
            .into()
    });
    Object::new()
        .with("title", section.title.as_str())
        .with("rows", rows)
        .into()
}

fn product_section(section: &ProductSection) -> Value {
    let items = list(&section.product_retailer_ids, |id| {
        Object::new()
            .with("product_retailer_id", id.as_str())
            .into()
    });
    Object::new()
        .with("title", section.title.as_str())
        .with("product_items", items)
        .into()
}

fn cta_url_action(cta: &CtaUrl) -> Object {
    Object::new().with("name", "cta_url").with(
        "parameters",
        Object::new()
            .with("display_text", cta.display_text.as_str())
            .with("url", cta.url.as_str()),
    )
}

fn flow(flow: &Flow) -> Value {
    let payload = flow.payload.as_ref().map(|payload| {
        Object::new()
            .with_opt("screen", payload.screen.as_deref())
            .with_opt("data", payload.data.clone())
    });
    Object::new()
        .with("flow_message_version", "3")
        .with_opt("flow_token", flow.flow_token.as_deref())
        .with("flow_id", flow.flow_id.as_str())
        .with("flow_cta", flow.flow_cta.as_str())
        .with_opt("mode", flow.mode.map(Keyword::name))
        .with_opt("flow_action", flow.flow_action.map(Keyword::name))
        .with_opt("flow_action_payload", payload)
        .into()
}

fn card(card: &Card) -> Value {
    let object = Object::new().with("card_index", card.card_index);
    match &card.content {
        CardContent::Product {
            product_retailer_id,
            catalog_id,
        } => object.with("type", "product").with(
            "action",
            Object::new()
                .with("product_retailer_id", product_retailer_id.as_str())
                .with("catalog_id", catalog_id.as_str()),
        ),
        CardContent::CtaUrl {
            header: card_header,
            body,
            cta,
        } => object
            .with("type", "cta_url")
            .with("header", header(card_header))
            .with_opt("body", body.as_deref().map(text_object))
            .with("action", cta_url_action(cta)),
    }
    .into()
}
