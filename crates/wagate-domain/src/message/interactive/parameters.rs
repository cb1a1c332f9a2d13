//! `action.parameters` of catalog, flow and CTA URL messages (and of media
//! carousel cards): LINK's "Interactive action parameters" table. Each type
//! takes only its own fields.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::violation::{Path, Rule};

use super::super::check::{Keyword, Violations};
use super::super::lenient::NumberOrText;
use super::super::limits::{CTA_DISPLAY_TEXT_MAX, FLOW_CTA_MAX, FLOW_MESSAGE_VERSION};

/// `action.parameters` as the client sent it: the union of every type's
/// fields.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ActionParametersObject {
    #[serde(
        rename = "thumbnail_product_retailer_id",
        alias = "thumbnailProductRetailerId"
    )]
    pub thumbnail_product_retailer_id: Option<String>,
    #[serde(rename = "display_text", alias = "displayText")]
    #[schema(max_length = 20)]
    pub display_text: Option<String>,
    pub url: Option<String>,
    pub mode: Option<String>,
    #[serde(rename = "flow_message_version", alias = "flowMessageVersion")]
    pub flow_message_version: Option<NumberOrText>,
    #[serde(rename = "flow_token", alias = "flowToken")]
    pub flow_token: Option<String>,
    #[serde(rename = "flow_id", alias = "flowId")]
    pub flow_id: Option<String>,
    #[serde(rename = "flow_cta", alias = "flowCta")]
    #[schema(max_length = 20)]
    pub flow_cta: Option<String>,
    #[serde(rename = "flow_action", alias = "flowAction")]
    pub flow_action: Option<String>,
    #[serde(rename = "flow_action_payload", alias = "flowActionPayload")]
    pub flow_action_payload: Option<FlowActionPayloadObject>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct FlowActionPayloadObject {
    pub screen: Option<String>,
    pub data: Option<Value>,
}

/// A checked flow action.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Flow {
    pub(crate) flow_token: Option<String>,
    pub(crate) flow_id: String,
    pub(crate) flow_cta: String,
    pub(crate) mode: Option<FlowMode>,
    pub(crate) flow_action: Option<FlowAction>,
    pub(crate) payload: Option<FlowPayload>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FlowPayload {
    pub(crate) screen: Option<String>,
    pub(crate) data: Option<Map<String, Value>>,
}

/// A checked CTA URL button.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CtaUrl {
    pub(crate) display_text: String,
    pub(crate) url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlowMode {
    Draft,
    Published,
}

impl Keyword for FlowMode {
    const NAMES: &'static [&'static str] = &["draft", "published"];
    const ALL: &'static [Self] = &[Self::Draft, Self::Published];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlowAction {
    Navigate,
    DataExchange,
}

impl Keyword for FlowAction {
    const NAMES: &'static [&'static str] = &["navigate", "data_exchange"];
    const ALL: &'static [Self] = &[Self::Navigate, Self::DataExchange];
}

const CATALOG_FIELDS: &[&str] = &["thumbnail_product_retailer_id"];
const CTA_URL_FIELDS: &[&str] = &["display_text", "url"];
const FLOW_FIELDS: &[&str] = &[
    "mode",
    "flow_message_version",
    "flow_token",
    "flow_id",
    "flow_cta",
    "flow_action",
    "flow_action_payload",
];
const FLOW_VERSION: &[&str] = &["3"];

/// Forbids every present field not in `own`.
fn only(
    object: &ActionParametersObject,
    own: &[&str],
    path: &Path,
    why: &'static str,
    violations: &mut Violations,
) -> bool {
    let present = [
        (
            "thumbnail_product_retailer_id",
            object.thumbnail_product_retailer_id.is_some(),
        ),
        ("display_text", object.display_text.is_some()),
        ("url", object.url.is_some()),
        ("mode", object.mode.is_some()),
        (
            "flow_message_version",
            object.flow_message_version.is_some(),
        ),
        ("flow_token", object.flow_token.is_some()),
        ("flow_id", object.flow_id.is_some()),
        ("flow_cta", object.flow_cta.is_some()),
        ("flow_action", object.flow_action.is_some()),
        ("flow_action_payload", object.flow_action_payload.is_some()),
    ]
    .map(|(name, present)| (name, present && !own.contains(&name)));
    violations.forbid(path, &present, why)
}

/// Catalog message: an optional `thumbnail_product_retailer_id`.
pub(crate) fn catalog(
    object: ActionParametersObject,
    path: &Path,
    violations: &mut Violations,
) -> Option<Option<String>> {
    let alone = only(
        &object,
        CATALOG_FIELDS,
        path,
        "in a catalog message",
        violations,
    );
    alone.then_some(object.thumbnail_product_retailer_id)
}

/// CTA URL message or media carousel card: `display_text` (≤20) and an
/// http(s) `url`, both required.
pub(crate) fn cta_url(
    object: ActionParametersObject,
    path: &Path,
    violations: &mut Violations,
) -> Option<CtaUrl> {
    let alone = only(
        &object,
        CTA_URL_FIELDS,
        path,
        "for a CTA URL button",
        violations,
    );
    let display_text = violations.required_text(
        &path.field("display_text"),
        object.display_text,
        CTA_DISPLAY_TEXT_MAX,
    );
    let url = violations.required_url(&path.field("url"), object.url);
    Some(CtaUrl {
        display_text: display_text?,
        url: url?,
    })
    .filter(|_| alone)
}

/// Flow message: version "3", `flow_id` and `flow_cta` (≤20) required;
/// `mode` draft|published, `flow_action` navigate|data_exchange; a
/// `flow_action_payload` only with navigate, its `data` a non-empty object.
pub(crate) fn flow(
    object: ActionParametersObject,
    path: &Path,
    violations: &mut Violations,
) -> Option<Flow> {
    let alone = only(&object, FLOW_FIELDS, path, "in a flow message", violations);
    let version_path = path.field("flow_message_version");
    let version_ok = violations
        .required(&version_path, object.flow_message_version)
        .is_some_and(|version| {
            let ok = version.as_i64() == Some(FLOW_MESSAGE_VERSION);
            if !ok {
                violations.push(&version_path, Rule::OneOf(FLOW_VERSION));
            }
            ok
        });
    let flow_id = violations.required_id(&path.field("flow_id"), object.flow_id);
    let flow_cta = violations.required_text(&path.field("flow_cta"), object.flow_cta, FLOW_CTA_MAX);
    let mode = optional_keyword::<FlowMode>(object.mode, &path.field("mode"), violations);
    let flow_action =
        optional_keyword::<FlowAction>(object.flow_action, &path.field("flow_action"), violations);
    let payload_path = path.field("flow_action_payload");
    let payload = match object.flow_action_payload {
        None => Some(None),
        Some(_) if flow_action == Some(Some(FlowAction::DataExchange)) => {
            violations.forbid(
                path,
                &[("flow_action_payload", true)],
                "when flow_action is data_exchange",
            );
            None
        }
        Some(payload) => {
            let data = match payload.data {
                None => Some(None),
                Some(data) => violations
                    .json_object(&payload_path.field("data"), data)
                    .map(Some),
            };
            data.map(|data| {
                Some(FlowPayload {
                    screen: payload.screen,
                    data,
                })
            })
        }
    };
    let flow = Flow {
        flow_token: object.flow_token,
        flow_id: flow_id?,
        flow_cta: flow_cta?,
        mode: mode?,
        flow_action: flow_action?,
        payload: payload?,
    };
    Some(flow).filter(|_| alone && version_ok)
}

/// `Some(None)` when absent, `Some(Some(k))` when valid, `None` (with a
/// violation) otherwise.
fn optional_keyword<K: Keyword>(
    value: Option<String>,
    path: &Path,
    violations: &mut Violations,
) -> Option<Option<K>> {
    match value {
        None => Some(None),
        Some(text) => violations.keyword::<K>(path, Some(&text)).map(Some),
    }
}
