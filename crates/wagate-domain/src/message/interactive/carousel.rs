//! Carousel cards (LINK "Interactive Product/Media carousel action cards"
//! tables): 2 to 10 cards (Meta's minimum; `card_index` 0–9, unique), all of
//! one type. Product cards: `action.product_retailer_id` and
//! `action.catalog_id`. Media cards (`cta_url`): an image or video header,
//! the same type on every card; optional `body.text` (≤160 characters, ≤2
//! line breaks); `action.name` `cta_url` with `display_text` (≤20) and an
//! http(s) `url`.

use serde::Deserialize;

use crate::violation::{Path, Rule};

use super::super::check::{Keyword, Unique, Violations, card_index};
use super::super::lenient::NumberOrText;
use super::super::limits::{
    CAROUSEL_CARDS_MAX, CAROUSEL_CARDS_MIN, MEDIA_CARD_BODY_LINE_BREAKS_MAX, MEDIA_CARD_BODY_MAX,
};
use super::header::{self, Header, HeaderObject};
use super::parameters::{self, ActionParametersObject, CtaUrl};
use super::{InteractiveText, text_part};

/// One entry of `action.cards` as the client sent it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CardObject {
    #[serde(rename = "card_index", alias = "cardIndex")]
    pub card_index: Option<NumberOrText>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub header: Option<HeaderObject>,
    pub body: Option<InteractiveText>,
    pub action: Option<CardActionObject>,
}

/// A card's `action`: product cards use the ids, media cards name and
/// parameters.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CardActionObject {
    pub name: Option<String>,
    pub parameters: Option<ActionParametersObject>,
    #[serde(rename = "product_retailer_id", alias = "productRetailerId")]
    pub product_retailer_id: Option<String>,
    #[serde(rename = "catalog_id", alias = "catalogId")]
    pub catalog_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Card {
    pub(crate) card_index: i64,
    pub(crate) content: CardContent,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CardContent {
    Product {
        product_retailer_id: String,
        catalog_id: String,
    },
    CtaUrl {
        header: Header,
        body: Option<String>,
        cta: CtaUrl,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CardType {
    Product,
    CtaUrl,
}

impl Keyword for CardType {
    const NAMES: &'static [&'static str] = &["product", "cta_url"];
    const ALL: &'static [Self] = &[Self::Product, Self::CtaUrl];
}

const MEDIA_CARD_HEADER: &[&str] = &["image", "video"];
const CTA_URL: &[&str] = &["cta_url"];

/// The first card's value of something every card must share, and where.
struct First<T> {
    value: Option<(T, Path)>,
}

impl<T> Default for First<T> {
    fn default() -> Self {
        Self { value: None }
    }
}

impl<T: PartialEq> First<T> {
    /// Records the first value; later ones must equal it.
    fn same(&mut self, value: T, path: Path, violations: &mut Violations) -> bool {
        match &self.value {
            Some((first, _)) if *first == value => true,
            Some((_, first_path)) => {
                violations.push(
                    &path,
                    Rule::SameAs {
                        first: first_path.as_str().to_owned(),
                    },
                );
                false
            }
            None => {
                self.value = Some((value, path));
                true
            }
        }
    }
}

pub(crate) fn validate(
    list: Vec<CardObject>,
    path: &Path,
    violations: &mut Violations,
) -> Option<Vec<Card>> {
    let counted = violations.count(path, list.len(), CAROUSEL_CARDS_MIN, CAROUSEL_CARDS_MAX);
    let mut indexes = Unique::default();
    let mut card_type = First::default();
    let mut header_type = First::default();
    let checked: Vec<Option<Card>> = list
        .into_iter()
        .enumerate()
        .map(|(index, card)| {
            let card_path = path.index(index);
            let card_index = card_index(
                violations,
                &mut indexes,
                &card_path.field("card_index"),
                card.card_index,
            );
            let type_path = card_path.field("type");
            let kind = violations.keyword::<CardType>(&type_path, card.kind.as_deref())?;
            let same_type = card_type.same(kind, type_path, violations);
            let content = match kind {
                CardType::Product => {
                    product_card(card.header, card.body, card.action, &card_path, violations)
                }
                CardType::CtaUrl => media_card(
                    card.header,
                    card.body,
                    card.action,
                    &card_path,
                    &mut header_type,
                    violations,
                ),
            };
            Some(Card {
                card_index: card_index?,
                content: content?,
            })
            .filter(|_| same_type)
        })
        .collect();
    let checked: Option<Vec<Card>> = checked.into_iter().collect();
    checked.filter(|_| counted)
}

fn product_card(
    header: Option<HeaderObject>,
    body: Option<InteractiveText>,
    action: Option<CardActionObject>,
    path: &Path,
    violations: &mut Violations,
) -> Option<CardContent> {
    let why = "for a product card";
    let alone = violations.forbid(
        path,
        &[("header", header.is_some()), ("body", body.is_some())],
        why,
    );
    let action_path = path.field("action");
    let action = violations.required(&action_path, action)?;
    let action_alone = violations.forbid(
        &action_path,
        &[
            ("name", action.name.is_some()),
            ("parameters", action.parameters.is_some()),
        ],
        why,
    );
    let product_retailer_id = violations.required_id(
        &action_path.field("product_retailer_id"),
        action.product_retailer_id,
    );
    let catalog_id = violations.required_id(&action_path.field("catalog_id"), action.catalog_id);
    Some(CardContent::Product {
        product_retailer_id: product_retailer_id?,
        catalog_id: catalog_id?,
    })
    .filter(|_| alone && action_alone)
}

fn media_card(
    header: Option<HeaderObject>,
    body: Option<InteractiveText>,
    action: Option<CardActionObject>,
    path: &Path,
    header_type: &mut First<&'static str>,
    violations: &mut Violations,
) -> Option<CardContent> {
    let header_path = path.field("header");
    let header = violations
        .required(&header_path, header)
        .and_then(|header| header::validate(header, &header_path, MEDIA_CARD_HEADER, violations))
        .filter(|header| {
            header_type.same(header.type_name(), header_path.field("type"), violations)
        });

    let body_path = path.field("body");
    let body = text_part(body, &body_path, false, MEDIA_CARD_BODY_MAX, violations).filter(|body| {
        let breaks = body.as_deref().map_or(0, |text| text.matches('\n').count());
        let ok = breaks <= MEDIA_CARD_BODY_LINE_BREAKS_MAX;
        if !ok {
            violations.push(
                &body_path.field("text"),
                Rule::MaxLineBreaks(MEDIA_CARD_BODY_LINE_BREAKS_MAX),
            );
        }
        ok
    });

    let action_path = path.field("action");
    let action = violations.required(&action_path, action)?;
    let action_alone = violations.forbid(
        &action_path,
        &[
            ("product_retailer_id", action.product_retailer_id.is_some()),
            ("catalog_id", action.catalog_id.is_some()),
        ],
        "for a cta_url card",
    );
    let named = violations.fixed_name(
        &action_path.field("name"),
        action.name.as_deref(),
        CTA_URL,
        true,
    );
    let parameters_path = action_path.field("parameters");
    let cta = violations
        .required(&parameters_path, action.parameters)
        .and_then(|parameters| parameters::cta_url(parameters, &parameters_path, violations));
    Some(CardContent::CtaUrl {
        header: header?,
        body: body?,
        cta: cta?,
    })
    .filter(|_| action_alone && named)
}
