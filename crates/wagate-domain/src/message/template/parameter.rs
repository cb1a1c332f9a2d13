//! Template parameters (LINK "Parameter" tables): text, payload, currency,
//! dateTime, media (image, video, document: no caption), location, product,
//! action (catalog, flow and multi-product buttons), coupon_code and
//! limited_time_offer; which types a component accepts; and the Currency and
//! DateTime objects.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::violation::{Path, Rule};

use super::super::check::{Keyword, Violations};
use super::super::interactive::{ProductSection, SectionObject, product_sections};
use super::super::lenient::NumberOrText;
use super::super::limits::{
    CURRENCY_CODE_LEN, DAY_OF_MONTH, DAY_OF_WEEK, HOUR, MINUTE, MONTH, TEMPLATE_BODY_TEXT_MAX,
    TEMPLATE_HEADER_TEXT_MAX,
};
use super::super::location::{self, Location, LocationObject};
use super::super::media::{self, Media, MediaKind, MediaObject, MediaUse};
use super::SubType;

/// A template parameter as the client sent it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ParameterObject {
    #[serde(rename = "type")]
    #[schema(required = true, nullable = false, example = "text")]
    pub kind: Option<String>,
    #[serde(rename = "parameterName", alias = "parameter_name")]
    pub parameter_name: Option<String>,
    #[schema(max_length = 32768)]
    pub text: Option<String>,
    pub payload: Option<String>,
    pub currency: Option<CurrencyObject>,
    #[serde(rename = "dateTime", alias = "date_time")]
    pub date_time: Option<DateTimeObject>,
    pub image: Option<MediaObject>,
    pub video: Option<MediaObject>,
    pub document: Option<MediaObject>,
    pub location: Option<LocationObject>,
    pub product: Option<ProductObject>,
    pub action: Option<TemplateActionObject>,
    #[serde(rename = "coupon_code", alias = "couponCode")]
    pub coupon_code: Option<String>,
    #[serde(rename = "limited_time_offer", alias = "limitedTimeOffer")]
    pub limited_time_offer: Option<LimitedTimeOfferObject>,
    /// LINK's Limited Time Offer parameter table lists `expiration_time_ms`
    /// on the parameter itself; its example (and the Cloud API) nest it in
    /// `limited_time_offer`. Both are accepted.
    #[serde(rename = "expiration_time_ms", alias = "expirationTimeMs")]
    pub expiration_time_ms: Option<NumberOrText>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CurrencyObject {
    #[serde(rename = "fallbackValue", alias = "fallback_value")]
    #[schema(required = true, nullable = false, min_length = 1)]
    pub fallback_value: Option<String>,
    #[schema(
        required = true,
        nullable = false,
        min_length = 3,
        max_length = 3,
        example = "USD"
    )]
    pub code: Option<String>,
    #[serde(rename = "amount1000", alias = "amount_1000")]
    #[schema(required = true, nullable = false)]
    pub amount_1000: Option<NumberOrText>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct DateTimeObject {
    #[serde(rename = "fallbackValue", alias = "fallback_value")]
    #[schema(required = true, nullable = false, min_length = 1)]
    pub fallback_value: Option<String>,
    #[serde(rename = "dayOfWeek", alias = "day_of_week")]
    pub day_of_week: Option<NumberOrText>,
    #[serde(rename = "dayOfMonth", alias = "day_of_month")]
    pub day_of_month: Option<NumberOrText>,
    pub year: Option<NumberOrText>,
    pub month: Option<NumberOrText>,
    pub hour: Option<NumberOrText>,
    pub minute: Option<NumberOrText>,
    pub timestamp: Option<NumberOrText>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct LimitedTimeOfferObject {
    #[serde(rename = "expiration_time_ms", alias = "expirationTimeMs")]
    pub expiration_time_ms: Option<NumberOrText>,
}

/// A product of a carousel card header (Meta's product card templates).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ProductObject {
    #[serde(rename = "product_retailer_id", alias = "productRetailerId")]
    pub product_retailer_id: Option<String>,
    #[serde(rename = "catalog_id", alias = "catalogId")]
    pub catalog_id: Option<String>,
}

/// The `action` of an action parameter: catalog, flow and multi-product
/// (`mpm`) buttons.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct TemplateActionObject {
    #[serde(
        rename = "thumbnail_product_retailer_id",
        alias = "thumbnailProductRetailerId"
    )]
    pub thumbnail_product_retailer_id: Option<String>,
    /// LINK's Interactive action table calls it `flowToken`.
    #[serde(rename = "flow_token", alias = "flowToken")]
    pub flow_token: Option<String>,
    #[serde(rename = "flow_action_data", alias = "flowActionData")]
    pub flow_action_data: Option<Value>,
    pub sections: Option<Vec<SectionObject>>,
}

/// A checked parameter; `name` is the named-parameter name.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parameter {
    pub(crate) name: Option<String>,
    pub(crate) value: ParameterValue,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ParameterValue {
    Text(String),
    Payload(String),
    Currency {
        fallback_value: String,
        code: String,
        amount_1000: i64,
    },
    /// The Cloud API takes only the fallback value.
    DateTime {
        fallback_value: String,
    },
    Media(MediaKind, Media),
    Location(Location),
    Product {
        product_retailer_id: String,
        catalog_id: String,
    },
    Action(TemplateAction),
    CouponCode(String),
    LimitedTimeOffer {
        expiration_time_ms: i64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TemplateAction {
    pub(crate) thumbnail_product_retailer_id: Option<String>,
    pub(crate) flow_token: Option<String>,
    pub(crate) flow_action_data: Option<Map<String, Value>>,
    pub(crate) sections: Vec<ProductSection>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParameterType {
    Text,
    Payload,
    Currency,
    DateTime,
    Image,
    Video,
    Document,
    Location,
    Product,
    Action,
    CouponCode,
    LimitedTimeOffer,
}

impl Keyword for ParameterType {
    const NAMES: &'static [&'static str] = &[
        "text",
        "payload",
        "currency",
        "date_time",
        "image",
        "video",
        "document",
        "location",
        "product",
        "action",
        "coupon_code",
        "limited_time_offer",
    ];
    const ALL: &'static [Self] = &[
        Self::Text,
        Self::Payload,
        Self::Currency,
        Self::DateTime,
        Self::Image,
        Self::Video,
        Self::Document,
        Self::Location,
        Self::Product,
        Self::Action,
        Self::CouponCode,
        Self::LimitedTimeOffer,
    ];
}

/// Which component a parameter belongs to: it decides the allowed types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    Header,
    CardHeader,
    Body,
    Button(SubType),
    LimitedTimeOffer,
}

impl Place {
    /// LINK Component table: header has text or one media parameter (Meta
    /// adds location); body has text, currency and dateTime; a url button a
    /// text, a quick reply button a payload; copy_code a coupon_code;
    /// catalog, flow and mpm buttons an action. Carousel card headers carry
    /// media or (Meta) a product.
    fn allowed(self) -> &'static [&'static str] {
        match self {
            Self::Header => &["text", "image", "video", "document", "location"],
            Self::CardHeader => &["image", "video", "product"],
            Self::Body => &["text", "currency", "date_time"],
            Self::Button(SubType::QuickReply) => &["payload"],
            Self::Button(SubType::Url) => &["text"],
            Self::Button(SubType::CopyCode) => &["coupon_code"],
            Self::Button(SubType::Catalog | SubType::Flow | SubType::Mpm) => &["action"],
            Self::LimitedTimeOffer => &["limited_time_offer"],
        }
    }

    fn text_max(self) -> usize {
        match self {
            Self::Header => TEMPLATE_HEADER_TEXT_MAX,
            Self::Body => TEMPLATE_BODY_TEXT_MAX,
            _ => usize::MAX,
        }
    }
}

const CURRENCY_CODE: &str = "a three-letter ISO 4217 currency code";
const DATE_TIME_FORMS: &str =
    "either all of dayOfWeek, dayOfMonth, year, month, hour and minute, or timestamp alone";

pub(crate) fn validate(
    object: ParameterObject,
    path: &Path,
    place: Place,
    violations: &mut Violations,
) -> Option<Parameter> {
    let kind = violations.keyword_in::<ParameterType>(
        &path.field("type"),
        object.kind.as_deref(),
        place.allowed(),
    )?;
    let flat_expiration = object.expiration_time_ms.is_some();
    let alone = violations.forbid(
        path,
        &[
            ("text", object.text.is_some(), ParameterType::Text),
            ("payload", object.payload.is_some(), ParameterType::Payload),
            (
                "currency",
                object.currency.is_some(),
                ParameterType::Currency,
            ),
            (
                "dateTime",
                object.date_time.is_some(),
                ParameterType::DateTime,
            ),
            ("image", object.image.is_some(), ParameterType::Image),
            ("video", object.video.is_some(), ParameterType::Video),
            (
                "document",
                object.document.is_some(),
                ParameterType::Document,
            ),
            (
                "location",
                object.location.is_some(),
                ParameterType::Location,
            ),
            ("product", object.product.is_some(), ParameterType::Product),
            ("action", object.action.is_some(), ParameterType::Action),
            (
                "coupon_code",
                object.coupon_code.is_some(),
                ParameterType::CouponCode,
            ),
            (
                "limited_time_offer",
                object.limited_time_offer.is_some(),
                ParameterType::LimitedTimeOffer,
            ),
            (
                "expiration_time_ms",
                flat_expiration,
                ParameterType::LimitedTimeOffer,
            ),
        ]
        .map(|(name, present, owner)| (name, present && owner != kind)),
        "for this parameter type",
    );

    let value = match kind {
        ParameterType::Text => violations
            .required_text(&path.field("text"), object.text, place.text_max())
            .map(ParameterValue::Text),
        ParameterType::Payload => violations
            .required_id(&path.field("payload"), object.payload)
            .map(ParameterValue::Payload),
        // Meta caps coupon codes at 15 alphanumeric characters, but LINK's own
        // examples send "example-coupon-code": the length is left to Meta.
        ParameterType::CouponCode => violations
            .required_id(&path.field("coupon_code"), object.coupon_code)
            .map(ParameterValue::CouponCode),
        ParameterType::Currency => {
            let currency_path = path.field("currency");
            violations
                .required(&currency_path, object.currency)
                .and_then(|currency| self::currency(currency, &currency_path, violations))
        }
        ParameterType::DateTime => {
            let date_time_path = path.field("dateTime");
            violations
                .required(&date_time_path, object.date_time)
                .and_then(|date_time| self::date_time(date_time, &date_time_path, violations))
        }
        ParameterType::Image => media_parameter(object.image, MediaKind::Image, path, violations),
        ParameterType::Video => media_parameter(object.video, MediaKind::Video, path, violations),
        ParameterType::Document => {
            media_parameter(object.document, MediaKind::Document, path, violations)
        }
        ParameterType::Location => {
            let location_path = path.field("location");
            violations
                .required(&location_path, object.location)
                .and_then(|location| location::validate(location, &location_path, violations))
                .map(ParameterValue::Location)
        }
        ParameterType::Product => {
            let product_path = path.field("product");
            violations
                .required(&product_path, object.product)
                .and_then(|product| {
                    let retailer = violations.required_id(
                        &product_path.field("product_retailer_id"),
                        product.product_retailer_id,
                    );
                    let catalog = violations
                        .required_id(&product_path.field("catalog_id"), product.catalog_id);
                    Some(ParameterValue::Product {
                        product_retailer_id: retailer?,
                        catalog_id: catalog?,
                    })
                })
        }
        ParameterType::Action => {
            let action_path = path.field("action");
            let sub_type = match place {
                Place::Button(sub_type) => sub_type,
                _ => SubType::Catalog,
            };
            violations
                .required(&action_path, object.action)
                .and_then(|action| self::action(action, sub_type, &action_path, violations))
                .map(ParameterValue::Action)
        }
        ParameterType::LimitedTimeOffer => limited_time_offer(
            object.limited_time_offer,
            object.expiration_time_ms,
            path,
            violations,
        ),
    };
    Some(Parameter {
        name: object.parameter_name,
        value: value?,
    })
    .filter(|_| alone)
}

fn media_parameter(
    object: Option<MediaObject>,
    kind: MediaKind,
    path: &Path,
    violations: &mut Violations,
) -> Option<ParameterValue> {
    let media_path = path.field(kind.name());
    let object = violations.required(&media_path, object)?;
    media::validate(
        object,
        kind,
        MediaUse::TemplateParameter,
        &media_path,
        violations,
    )
    .map(|media| ParameterValue::Media(kind, media))
}

fn currency(
    object: CurrencyObject,
    path: &Path,
    violations: &mut Violations,
) -> Option<ParameterValue> {
    let fallback_value =
        violations.required_id(&path.field("fallbackValue"), object.fallback_value);
    let code_path = path.field("code");
    let code = violations
        .required_id(&code_path, object.code)
        .filter(|code| {
            let ok =
                code.len() == CURRENCY_CODE_LEN && code.bytes().all(|b| b.is_ascii_alphabetic());
            if !ok {
                violations.push(&code_path, Rule::Format(CURRENCY_CODE));
            }
            ok
        });
    let amount_path = path.field("amount1000");
    let amount_1000 = violations
        .required(&amount_path, object.amount_1000)
        .and_then(|amount| violations.integer(&amount_path, &amount, (i64::MIN, i64::MAX)));
    Some(ParameterValue::Currency {
        fallback_value: fallback_value?,
        code: code?,
        amount_1000: amount_1000?,
    })
}

/// LINK DateTime table: `fallbackValue`, and "dayOfWeek, dayOfMonth, year,
/// month, hour, minute together or timestamp alone". The Cloud API takes only
/// the fallback value, so the parts are checked and then dropped.
fn date_time(
    object: DateTimeObject,
    path: &Path,
    violations: &mut Violations,
) -> Option<ParameterValue> {
    let fallback_value =
        violations.required_id(&path.field("fallbackValue"), object.fallback_value);
    let parts = [
        ("dayOfWeek", object.day_of_week, DAY_OF_WEEK),
        ("dayOfMonth", object.day_of_month, DAY_OF_MONTH),
        ("year", object.year, (0, 9999)),
        ("month", object.month, MONTH),
        ("hour", object.hour, HOUR),
        ("minute", object.minute, MINUTE),
    ];
    let any_part = parts.iter().any(|(_, value, _)| value.is_some());
    let forms_ok = match object.timestamp {
        Some(timestamp) => {
            let present = parts.map(|(name, value, _)| (name, value.is_some()));
            let alone = violations.forbid(path, &present, "together with timestamp");
            let timestamp_ok = violations
                .integer(&path.field("timestamp"), &timestamp, (0, i64::MAX))
                .is_some();
            alone && timestamp_ok
        }
        None if any_part => parts.into_iter().fold(true, |ok, (name, value, range)| {
            let part_path = path.field(name);
            let part_ok = violations
                .required(&part_path, value)
                .and_then(|value| violations.integer(&part_path, &value, range))
                .is_some();
            ok && part_ok
        }),
        None => {
            violations.push(path, Rule::Format(DATE_TIME_FORMS));
            false
        }
    };
    fallback_value
        .filter(|_| forms_ok)
        .map(|fallback_value| ParameterValue::DateTime { fallback_value })
}

/// The action of a catalog (optional thumbnail), flow (optional token and
/// data) or mpm button (thumbnail and product sections required, Meta).
fn action(
    object: TemplateActionObject,
    sub_type: SubType,
    path: &Path,
    violations: &mut Violations,
) -> Option<TemplateAction> {
    let flow = sub_type == SubType::Flow;
    let mpm = sub_type == SubType::Mpm;
    let alone = violations.forbid(
        path,
        &[
            (
                "thumbnail_product_retailer_id",
                object.thumbnail_product_retailer_id.is_some() && flow,
            ),
            ("flow_token", object.flow_token.is_some() && !flow),
            (
                "flow_action_data",
                object.flow_action_data.is_some() && !flow,
            ),
            ("sections", object.sections.is_some() && !mpm),
        ],
        "for this button sub type",
    );
    let thumbnail_path = path.field("thumbnail_product_retailer_id");
    let thumbnail = if mpm {
        violations
            .required_id(&thumbnail_path, object.thumbnail_product_retailer_id)
            .map(Some)
    } else {
        Some(object.thumbnail_product_retailer_id)
    };
    let sections_path = path.field("sections");
    let sections = if mpm {
        violations
            .required(&sections_path, object.sections)
            .and_then(|sections| product_sections(sections, &sections_path, violations))
    } else {
        Some(Vec::new())
    };
    let data = match object.flow_action_data {
        None => Some(None),
        Some(data) => violations
            .json_object(&path.field("flow_action_data"), data)
            .map(Some),
    };
    Some(TemplateAction {
        thumbnail_product_retailer_id: thumbnail?,
        flow_token: object.flow_token,
        flow_action_data: data?,
        sections: sections?,
    })
    .filter(|_| alone)
}

fn limited_time_offer(
    nested: Option<LimitedTimeOfferObject>,
    flat: Option<NumberOrText>,
    path: &Path,
    violations: &mut Violations,
) -> Option<ParameterValue> {
    let (expiration, expiration_path) = match (nested, flat) {
        (Some(nested), flat) => {
            let alone = violations.forbid(
                path,
                &[("expiration_time_ms", flat.is_some())],
                "beside limited_time_offer",
            );
            let nested_path = path.field("limited_time_offer").field("expiration_time_ms");
            (nested.expiration_time_ms.filter(|_| alone), nested_path)
        }
        (None, Some(flat)) => (Some(flat), path.field("expiration_time_ms")),
        (None, None) => {
            violations.push(&path.field("limited_time_offer"), Rule::Required);
            return None;
        }
    };
    let expiration = violations.required(&expiration_path, expiration)?;
    violations
        .integer(&expiration_path, &expiration, (0, i64::MAX))
        .map(|expiration_time_ms| ParameterValue::LimitedTimeOffer { expiration_time_ms })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_types_are_aligned_and_places_name_real_types() {
        assert_eq!(ParameterType::NAMES.len(), ParameterType::ALL.len());
        assert_eq!(
            ParameterType::parse("dateTime"),
            Some(ParameterType::DateTime)
        );
        assert_eq!(
            ParameterType::parse("couponCode"),
            Some(ParameterType::CouponCode)
        );
        let places = [
            Place::Header,
            Place::CardHeader,
            Place::Body,
            Place::LimitedTimeOffer,
            Place::Button(SubType::QuickReply),
            Place::Button(SubType::Url),
            Place::Button(SubType::CopyCode),
            Place::Button(SubType::Catalog),
        ];
        for place in places {
            for name in place.allowed() {
                assert!(ParameterType::parse(name).is_some(), "{name}");
            }
        }
    }
}
