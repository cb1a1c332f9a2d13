//! Interactive messages: the `interactive.type` dispatch and what every type
//! shares: header (which types may or must have one, and of which kind),
//! `body.text` (required except for product and product_list, ≤1024),
//! `footer.text` (≤60) and which `action` fields each type takes. The parts
//! are in [`header`], [`buttons`], [`sections`], [`carousel`] and
//! [`parameters`].

mod buttons;
mod carousel;
mod header;
mod parameters;
mod sections;

use serde::Deserialize;

use crate::violation::{Path, Rule};

use super::check::{Keyword, Violations};
use super::limits::{INTERACTIVE_BODY_MAX, INTERACTIVE_FOOTER_MAX, LIST_BUTTON_MAX};

pub(crate) use buttons::Reply;
pub use buttons::{ReplyButtonObject, ReplyObject};
pub(crate) use carousel::{Card, CardContent};
pub use carousel::{CardActionObject, CardObject};
pub(crate) use header::Header;
pub use header::HeaderObject;
pub use parameters::{ActionParametersObject, FlowActionPayloadObject};
pub(crate) use parameters::{CtaUrl, Flow};
pub(crate) use sections::{ListSection, ProductSection, product_sections};
pub use sections::{ProductItemObject, RowObject, SectionObject};

/// `interactive` as the client sent it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct InteractiveObject {
    #[serde(rename = "type")]
    #[schema(required = true, nullable = false, example = "button")]
    pub kind: Option<String>,
    pub header: Option<HeaderObject>,
    pub body: Option<InteractiveText>,
    pub footer: Option<InteractiveText>,
    #[schema(required = true, nullable = false)]
    pub action: Option<InteractiveActionObject>,
}

/// `body` and `footer`: `{"text": …}`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct InteractiveText {
    #[schema(required = true, nullable = false, min_length = 1, max_length = 1024)]
    pub text: Option<String>,
}

/// `interactive.action` as the client sent it: the union of every type's
/// fields; [`validate`] allows each type only its own.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct InteractiveActionObject {
    pub name: Option<String>,
    #[schema(max_length = 20)]
    pub button: Option<String>,
    #[schema(min_items = 1, max_items = 3)]
    pub buttons: Option<Vec<ReplyButtonObject>>,
    #[schema(min_items = 1, max_items = 10)]
    pub sections: Option<Vec<SectionObject>>,
    #[serde(rename = "catalog_id", alias = "catalogId")]
    pub catalog_id: Option<String>,
    #[serde(rename = "product_retailer_id", alias = "productRetailerId")]
    pub product_retailer_id: Option<String>,
    pub parameters: Option<ActionParametersObject>,
    #[schema(min_items = 2, max_items = 10)]
    pub cards: Option<Vec<CardObject>>,
}

/// `interactive.type`. LINK's table also writes "product list", "catalog
/// message", "product carousel" and "media carousel"; the examples (and the
/// Cloud API) use `product_list`, `catalog_message` and `carousel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InteractiveType {
    Button,
    List,
    Product,
    ProductList,
    CatalogMessage,
    Carousel,
    Flow,
    CtaUrl,
    LocationRequestMessage,
    ContactRequest,
}

use InteractiveType as T;

impl Keyword for InteractiveType {
    const NAMES: &'static [&'static str] = &[
        "button",
        "list",
        "product",
        "product_list",
        "catalog_message",
        "carousel",
        "flow",
        "cta_url",
        "location_request_message",
        "contact_request",
    ];
    const ALL: &'static [Self] = &[
        T::Button,
        T::List,
        T::Product,
        T::ProductList,
        T::CatalogMessage,
        T::Carousel,
        T::Flow,
        T::CtaUrl,
        T::LocationRequestMessage,
        T::ContactRequest,
    ];
    const ALIASES: &'static [(&'static str, Self)] = &[
        ("product_carousel", T::Carousel),
        ("media_carousel", T::Carousel),
    ];
}

/// Whether a type has a header, and of which kinds.
enum HeaderRule {
    None,
    Optional(&'static [&'static str]),
    Required(&'static [&'static str]),
}

const ANY_HEADER: &[&str] = &["text", "image", "video", "document"];
const TEXT_HEADER: &[&str] = &["text"];

impl InteractiveType {
    /// LINK Interactive header table: list messages only text, button
    /// messages text or media; product_list requires a (text) header. Meta:
    /// flow and cta_url take text or media headers; product, catalog,
    /// carousel, location and contact requests have none.
    fn header(self) -> HeaderRule {
        match self {
            T::Button | T::Flow | T::CtaUrl => HeaderRule::Optional(ANY_HEADER),
            T::List => HeaderRule::Optional(TEXT_HEADER),
            T::ProductList => HeaderRule::Required(TEXT_HEADER),
            T::Product
            | T::CatalogMessage
            | T::Carousel
            | T::LocationRequestMessage
            | T::ContactRequest => HeaderRule::None,
        }
    }

    /// LINK: `body.text` is required; Meta: optional for product and
    /// product_list messages.
    fn body_required(self) -> bool {
        !matches!(self, T::Product | T::ProductList)
    }

    /// Meta: carousels carry no top-level footer (the cards speak).
    fn footer_allowed(self) -> bool {
        self != T::Carousel
    }

    fn when(self) -> &'static str {
        match self {
            T::Button => "when interactive.type is button",
            T::List => "when interactive.type is list",
            T::Product => "when interactive.type is product",
            T::ProductList => "when interactive.type is product_list",
            T::CatalogMessage => "when interactive.type is catalog_message",
            T::Carousel => "when interactive.type is carousel",
            T::Flow => "when interactive.type is flow",
            T::CtaUrl => "when interactive.type is cta_url",
            T::LocationRequestMessage => "when interactive.type is location_request_message",
            T::ContactRequest => "when interactive.type is contact_request",
        }
    }
}

/// A checked interactive message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Interactive {
    pub(crate) kind: InteractiveType,
    pub(crate) header: Option<Header>,
    pub(crate) body: Option<String>,
    pub(crate) footer: Option<String>,
    pub(crate) action: Action,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    Buttons(Vec<Reply>),
    List {
        button: String,
        sections: Vec<ListSection>,
    },
    Product {
        catalog_id: String,
        product_retailer_id: String,
    },
    ProductList {
        catalog_id: String,
        sections: Vec<ProductSection>,
    },
    Catalog {
        thumbnail_product_retailer_id: Option<String>,
    },
    Carousel(Vec<Card>),
    Flow(Flow),
    CtaUrl(CtaUrl),
    LocationRequest,
    ContactRequest,
}

/// `action.name` values, as `OneOf` lists.
const FLOW: &[&str] = &["flow"];
const CTA_URL: &[&str] = &["cta_url"];
const SEND_LOCATION: &[&str] = &["send_location"];
const REQUEST_CONTACT_INFO: &[&str] = &["request_contact_info"];
const CATALOG_MESSAGE: &[&str] = &["catalog_message"];

pub(crate) fn validate(
    object: InteractiveObject,
    path: &Path,
    violations: &mut Violations,
) -> Option<Interactive> {
    let kind =
        violations.keyword::<InteractiveType>(&path.field("type"), object.kind.as_deref())?;

    let header_path = path.field("header");
    let header = match (kind.header(), object.header) {
        (HeaderRule::None, None) => Some(None),
        (HeaderRule::None, Some(_)) => {
            violations.forbid(path, &[("header", true)], kind.when());
            None
        }
        (HeaderRule::Optional(_), None) => Some(None),
        (HeaderRule::Required(_), None) => {
            violations.push(&header_path, Rule::Required);
            None
        }
        (HeaderRule::Optional(allowed) | HeaderRule::Required(allowed), Some(header)) => {
            header::validate(header, &header_path, allowed, violations).map(Some)
        }
    };

    let body = text_part(
        object.body,
        &path.field("body"),
        kind.body_required(),
        INTERACTIVE_BODY_MAX,
        violations,
    );
    let footer = if kind.footer_allowed() {
        text_part(
            object.footer,
            &path.field("footer"),
            false,
            INTERACTIVE_FOOTER_MAX,
            violations,
        )
    } else {
        let alone = violations.forbid(path, &[("footer", object.footer.is_some())], kind.when());
        alone.then_some(None)
    };

    let action_path = path.field("action");
    let action = violations
        .required(&action_path, object.action)
        .and_then(|action| self::action(kind, action, &action_path, violations));

    Some(Interactive {
        kind,
        header: header?,
        body: body?,
        footer: footer?,
        action: action?,
    })
}

/// `body` or `footer`: when present (or `required`), `text` is required,
/// non-blank and at most `max` characters. `Some(None)` when absent.
pub(crate) fn text_part(
    object: Option<InteractiveText>,
    path: &Path,
    required: bool,
    max: usize,
    violations: &mut Violations,
) -> Option<Option<String>> {
    match object {
        None if required => {
            violations.push(path, Rule::Required);
            None
        }
        None => Some(None),
        Some(part) => violations
            .required_text(&path.field("text"), part.text, max)
            .map(Some),
    }
}

fn action(
    kind: InteractiveType,
    object: InteractiveActionObject,
    path: &Path,
    violations: &mut Violations,
) -> Option<Action> {
    let fields: [(&str, bool, &[InteractiveType]); 8] = [
        (
            "name",
            object.name.is_some(),
            &[
                T::Flow,
                T::CtaUrl,
                T::LocationRequestMessage,
                T::ContactRequest,
                T::CatalogMessage,
            ],
        ),
        ("button", object.button.is_some(), &[T::List]),
        ("buttons", object.buttons.is_some(), &[T::Button]),
        (
            "sections",
            object.sections.is_some(),
            &[T::List, T::ProductList],
        ),
        (
            "catalog_id",
            object.catalog_id.is_some(),
            &[T::Product, T::ProductList],
        ),
        (
            "product_retailer_id",
            object.product_retailer_id.is_some(),
            &[T::Product],
        ),
        (
            "parameters",
            object.parameters.is_some(),
            &[T::Flow, T::CtaUrl, T::CatalogMessage],
        ),
        ("cards", object.cards.is_some(), &[T::Carousel]),
    ];
    let foreign = fields.map(|(name, present, owners)| (name, present && !owners.contains(&kind)));
    let alone = violations.forbid(path, &foreign, kind.when());

    let name_path = path.field("name");
    let parameters_path = path.field("parameters");
    let action = match kind {
        T::Button => {
            let buttons_path = path.field("buttons");
            violations
                .required(&buttons_path, object.buttons)
                .and_then(|list| buttons::validate(list, &buttons_path, violations))
                .map(Action::Buttons)
        }
        T::List => {
            let button =
                violations.required_text(&path.field("button"), object.button, LIST_BUTTON_MAX);
            let sections_path = path.field("sections");
            let sections = violations
                .required(&sections_path, object.sections)
                .and_then(|list| sections::list_sections(list, &sections_path, violations));
            Some(Action::List {
                button: button?,
                sections: sections?,
            })
        }
        T::Product => {
            let catalog_id = violations.required_id(&path.field("catalog_id"), object.catalog_id);
            let product_retailer_id = violations.required_id(
                &path.field("product_retailer_id"),
                object.product_retailer_id,
            );
            Some(Action::Product {
                catalog_id: catalog_id?,
                product_retailer_id: product_retailer_id?,
            })
        }
        T::ProductList => {
            let catalog_id = violations.required_id(&path.field("catalog_id"), object.catalog_id);
            let sections_path = path.field("sections");
            let sections = violations
                .required(&sections_path, object.sections)
                .and_then(|list| product_sections(list, &sections_path, violations));
            Some(Action::ProductList {
                catalog_id: catalog_id?,
                sections: sections?,
            })
        }
        T::CatalogMessage => {
            // Meta requires name "catalog_message"; LINK's table does not list
            // it, so it may be left out and is rendered anyway.
            let named =
                violations.fixed_name(&name_path, object.name.as_deref(), CATALOG_MESSAGE, false);
            let thumbnail = match object.parameters {
                None => Some(None),
                Some(parameters) => parameters::catalog(parameters, &parameters_path, violations),
            };
            named.then_some(())?;
            Some(Action::Catalog {
                thumbnail_product_retailer_id: thumbnail?,
            })
        }
        T::Carousel => {
            let cards_path = path.field("cards");
            violations
                .required(&cards_path, object.cards)
                .and_then(|list| carousel::validate(list, &cards_path, violations))
                .map(Action::Carousel)
        }
        T::Flow => {
            let named = violations.fixed_name(&name_path, object.name.as_deref(), FLOW, true);
            let flow = violations
                .required(&parameters_path, object.parameters)
                .and_then(|parameters| parameters::flow(parameters, &parameters_path, violations));
            named.then_some(())?;
            flow.map(Action::Flow)
        }
        T::CtaUrl => {
            let named = violations.fixed_name(&name_path, object.name.as_deref(), CTA_URL, true);
            let cta = violations
                .required(&parameters_path, object.parameters)
                .and_then(|parameters| {
                    parameters::cta_url(parameters, &parameters_path, violations)
                });
            named.then_some(())?;
            cta.map(Action::CtaUrl)
        }
        T::LocationRequestMessage => violations
            .fixed_name(&name_path, object.name.as_deref(), SEND_LOCATION, true)
            .then_some(Action::LocationRequest),
        T::ContactRequest => violations
            .fixed_name(
                &name_path,
                object.name.as_deref(),
                REQUEST_CONTACT_INFO,
                true,
            )
            .then_some(Action::ContactRequest),
    };
    action.filter(|_| alone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interactive_types_are_aligned_and_accept_the_tables_spellings() {
        assert_eq!(InteractiveType::NAMES.len(), InteractiveType::ALL.len());
        for kind in InteractiveType::ALL {
            assert_eq!(InteractiveType::parse(kind.name()), Some(*kind));
            assert!(kind.when().ends_with(kind.name()));
        }
        for (spelling, kind) in [
            ("product list", T::ProductList),
            ("catalog message", T::CatalogMessage),
            ("product carousel", T::Carousel),
            ("media carousel", T::Carousel),
            ("ctaUrl", T::CtaUrl),
        ] {
            assert_eq!(InteractiveType::parse(spelling), Some(kind), "{spelling}");
        }
    }

    #[test]
    fn the_other_interactive_keywords_are_aligned() {
        fn aligned<K: Keyword + std::fmt::Debug>() {
            assert_eq!(K::NAMES.len(), K::ALL.len());
            for value in K::ALL {
                assert_eq!(K::parse(value.name()), Some(*value), "{value:?}");
            }
        }
        aligned::<header::HeaderType>();
        aligned::<carousel::CardType>();
        aligned::<parameters::FlowMode>();
        aligned::<parameters::FlowAction>();
        assert_eq!(
            parameters::FlowAction::parse("dataExchange"),
            Some(parameters::FlowAction::DataExchange)
        );
    }
}
