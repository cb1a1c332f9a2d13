//! Template messages: `template.name`, `template.language.code` and the
//! components (`header`, `body`, `button`, `carousel`, `limited_time_offer`),
//! in the modern layout (`template.components`) or LINK v1.4.6's
//! (`components` beside `template`, with `template.namespace`, which the
//! Cloud API no longer takes and is dropped). Parameters are in
//! [`parameter`].

mod parameter;

use serde::Deserialize;

use crate::violation::{Path, Rule};

use super::check::{Keyword, Unique, Violations, card_index};
use super::lenient::NumberOrText;
use super::limits::{
    BUTTON_INDEX_MAX, TEMPLATE_CARDS_MAX, TEMPLATE_CARDS_MIN, TEMPLATE_HEADER_PARAMETERS_MAX,
    TEMPLATE_NAME_MAX,
};

pub use parameter::{
    CurrencyObject, DateTimeObject, LimitedTimeOfferObject, ParameterObject, ProductObject,
    TemplateActionObject,
};
pub(crate) use parameter::{Parameter, ParameterValue, TemplateAction};

/// `template` as the client sent it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct TemplateObject {
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 512,
        example = "order_update"
    )]
    pub name: Option<String>,
    #[schema(required = true, nullable = false)]
    pub language: Option<LanguageObject>,
    /// LINK v1.4.6; accepted and dropped.
    pub namespace: Option<String>,
    pub components: Option<Vec<ComponentObject>>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct LanguageObject {
    #[schema(required = true, nullable = false, min_length = 1, example = "en")]
    pub code: Option<String>,
}

/// A template component as the client sent it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ComponentObject {
    #[serde(rename = "type")]
    #[schema(required = true, nullable = false, example = "body")]
    pub kind: Option<String>,
    #[serde(rename = "subType", alias = "sub_type")]
    pub sub_type: Option<String>,
    pub index: Option<NumberOrText>,
    pub parameters: Option<Vec<ParameterObject>>,
    pub cards: Option<Vec<TemplateCardObject>>,
}

/// A card of a template `carousel` component. LINK's Component table calls
/// its index `index`, the examples and the Cloud API `card_index`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct TemplateCardObject {
    #[serde(rename = "card_index", alias = "cardIndex", alias = "index")]
    pub card_index: Option<NumberOrText>,
    /// A card's own components (no carousels inside).
    #[schema(no_recursion)]
    pub components: Option<Vec<ComponentObject>>,
}

/// A checked template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Template {
    pub(crate) name: String,
    pub(crate) language: String,
    pub(crate) components: Vec<Component>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Component {
    Header(Vec<Parameter>),
    Body(Vec<Parameter>),
    Button {
        sub_type: SubType,
        index: i64,
        parameters: Vec<Parameter>,
    },
    Carousel(Vec<TemplateCard>),
    LimitedTimeOffer(Vec<Parameter>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TemplateCard {
    pub(crate) card_index: i64,
    pub(crate) components: Vec<Component>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ComponentType {
    Header,
    Body,
    Button,
    Carousel,
    LimitedTimeOffer,
}

impl Keyword for ComponentType {
    const NAMES: &'static [&'static str] =
        &["header", "body", "button", "carousel", "limited_time_offer"];
    const ALL: &'static [Self] = &[
        Self::Header,
        Self::Body,
        Self::Button,
        Self::Carousel,
        Self::LimitedTimeOffer,
    ];
}

/// Button sub types: LINK's Component table (`quickReply`, `url`, `flow`,
/// `catalog`, `copy_code`) and Meta's multi-product button (`mpm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubType {
    QuickReply,
    Url,
    CopyCode,
    Catalog,
    Flow,
    Mpm,
}

impl Keyword for SubType {
    const NAMES: &'static [&'static str] =
        &["quick_reply", "url", "copy_code", "catalog", "flow", "mpm"];
    const ALL: &'static [Self] = &[
        Self::QuickReply,
        Self::Url,
        Self::CopyCode,
        Self::Catalog,
        Self::Flow,
        Self::Mpm,
    ];
}

/// The component types allowed inside a carousel card.
const CARD_COMPONENTS: &[&str] = &["header", "body", "button"];

/// Where a list of components sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Template,
    Card,
}

/// Checks `template` and its components; `legacy_components` are the ones
/// beside `template` (LINK v1.4.6), `path` is the message's.
pub(crate) fn validate(
    object: TemplateObject,
    legacy_components: Option<Vec<ComponentObject>>,
    path: &Path,
    violations: &mut Violations,
) -> Option<Template> {
    let template_path = path.field("template");
    let name =
        violations.required_text(&template_path.field("name"), object.name, TEMPLATE_NAME_MAX);
    let language_path = template_path.field("language");
    let language = violations
        .required(&language_path, object.language)
        .and_then(|language| violations.required_id(&language_path.field("code"), language.code));

    let (components, components_path) = match (object.components, legacy_components) {
        (Some(inner), Some(_)) => {
            violations.push(
                &path.field("components"),
                Rule::NotAllowed("beside template when template.components is present"),
            );
            (Some(inner), template_path.field("components"))
        }
        (Some(inner), None) => (Some(inner), template_path.field("components")),
        (None, Some(legacy)) => (Some(legacy), path.field("components")),
        (None, None) => (None, template_path.field("components")),
    };
    let mut cards = Unique::default();
    let components = components_list(
        components.unwrap_or_default(),
        &components_path,
        Place::Template,
        &mut cards,
        violations,
    );

    Some(Template {
        name: name?,
        language: language?,
        components: components?,
    })
}

fn components_list(
    components: Vec<ComponentObject>,
    path: &Path,
    place: Place,
    cards: &mut Unique,
    violations: &mut Violations,
) -> Option<Vec<Component>> {
    let checked: Vec<Option<Component>> = components
        .into_iter()
        .enumerate()
        .map(|(index, component)| {
            self::component(component, &path.index(index), place, cards, violations)
        })
        .collect();
    checked.into_iter().collect()
}

fn component(
    object: ComponentObject,
    path: &Path,
    place: Place,
    cards: &mut Unique,
    violations: &mut Violations,
) -> Option<Component> {
    let type_path = path.field("type");
    let kind = match place {
        Place::Template => violations.keyword::<ComponentType>(&type_path, object.kind.as_deref()),
        Place::Card => violations.keyword_in::<ComponentType>(
            &type_path,
            object.kind.as_deref(),
            CARD_COMPONENTS,
        ),
    }?;
    let why = "for this component type";
    let button = kind == ComponentType::Button;
    let carousel = kind == ComponentType::Carousel;
    let alone = violations.forbid(
        path,
        &[
            ("subType", object.sub_type.is_some() && !button),
            ("index", object.index.is_some() && !button),
            ("cards", object.cards.is_some() && !carousel),
            ("parameters", object.parameters.is_some() && carousel),
        ],
        why,
    );

    let parameters_path = path.field("parameters");
    let component = match kind {
        ComponentType::Header => {
            let header = match place {
                Place::Template => parameter::Place::Header,
                Place::Card => parameter::Place::CardHeader,
            };
            parameters(
                object.parameters,
                &parameters_path,
                header,
                TEMPLATE_HEADER_PARAMETERS_MAX,
                violations,
            )
            .map(Component::Header)
        }
        ComponentType::Body => parameters(
            object.parameters,
            &parameters_path,
            parameter::Place::Body,
            usize::MAX,
            violations,
        )
        .map(Component::Body),
        ComponentType::LimitedTimeOffer => parameters(
            object.parameters,
            &parameters_path,
            parameter::Place::LimitedTimeOffer,
            usize::MAX,
            violations,
        )
        .map(Component::LimitedTimeOffer),
        ComponentType::Button => {
            let sub_type =
                violations.keyword::<SubType>(&path.field("subType"), object.sub_type.as_deref());
            let index_path = path.field("index");
            let index = violations
                .required(&index_path, object.index)
                .and_then(|index| violations.integer(&index_path, &index, (0, BUTTON_INDEX_MAX)));
            let parameters = sub_type.and_then(|sub_type| {
                parameters(
                    object.parameters,
                    &parameters_path,
                    parameter::Place::Button(sub_type),
                    usize::MAX,
                    violations,
                )
            });
            Some(Component::Button {
                sub_type: sub_type?,
                index: index?,
                parameters: parameters?,
            })
        }
        ComponentType::Carousel => {
            let cards_path = path.field("cards");
            violations
                .required(&cards_path, object.cards)
                .and_then(|list| {
                    template_cards(list, &cards_path, cards, violations).map(Component::Carousel)
                })
        }
    };
    component.filter(|_| alone)
}

/// A component's `parameters`: present, 1 to `max` entries, each checked.
fn parameters(
    list: Option<Vec<ParameterObject>>,
    path: &Path,
    place: parameter::Place,
    max: usize,
    violations: &mut Violations,
) -> Option<Vec<Parameter>> {
    let list = violations.required(path, list)?;
    let counted = violations.count(path, list.len(), 1, max);
    let checked: Vec<Option<Parameter>> = list
        .into_iter()
        .enumerate()
        .map(|(index, object)| parameter::validate(object, &path.index(index), place, violations))
        .collect();
    let checked: Option<Vec<Parameter>> = checked.into_iter().collect();
    checked.filter(|_| counted)
}

fn template_cards(
    list: Vec<TemplateCardObject>,
    path: &Path,
    seen: &mut Unique,
    violations: &mut Violations,
) -> Option<Vec<TemplateCard>> {
    let counted = violations.count(path, list.len(), TEMPLATE_CARDS_MIN, TEMPLATE_CARDS_MAX);
    let checked: Vec<Option<TemplateCard>> = list
        .into_iter()
        .enumerate()
        .map(|(index, card)| {
            let card_path = path.index(index);
            let card_index = card_index(
                violations,
                seen,
                &card_path.field("card_index"),
                card.card_index,
            );
            let components_path = card_path.field("components");
            let components = violations
                .required(&components_path, card.components)
                .and_then(|list| {
                    let counted = violations.count(&components_path, list.len(), 1, usize::MAX);
                    // Cards have no carousels of their own, so no card indexes.
                    let mut none = Unique::default();
                    components_list(list, &components_path, Place::Card, &mut none, violations)
                        .filter(|_| counted)
                });
            Some(TemplateCard {
                card_index: card_index?,
                components: components?,
            })
        })
        .collect();
    let checked: Option<Vec<TemplateCard>> = checked.into_iter().collect();
    checked.filter(|_| counted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_tables_are_aligned() {
        assert_eq!(ComponentType::NAMES.len(), ComponentType::ALL.len());
        assert_eq!(SubType::NAMES.len(), SubType::ALL.len());
        assert_eq!(SubType::parse("quickReply"), Some(SubType::QuickReply));
        assert_eq!(SubType::parse("CATALOG"), Some(SubType::Catalog));
        assert_eq!(SubType::parse("copyCode"), Some(SubType::CopyCode));
        assert_eq!(
            ComponentType::parse("limitedTimeOffer"),
            Some(ComponentType::LimitedTimeOffer)
        );
        for kind in SubType::ALL {
            assert_eq!(SubType::parse(kind.name()), Some(*kind));
        }
    }
}
