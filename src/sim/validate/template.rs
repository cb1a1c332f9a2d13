//! Template messages: name, language, and components with typed parameters
//! (each parameter's `type` needs the object or field of that name).

use serde_json::{Map, Value};

use super::Kind;
use super::params::{
    Checked, array, index, invalid, key, number, object, one_of, only_keys, required,
    required_array, required_str, required_text,
};

const PATH: &str = "template";

const COMPONENT_TYPES: [&str; 6] = [
    "header",
    "body",
    "footer",
    "button",
    "carousel",
    "limited_time_offer",
];

const BUTTON_SUB_TYPES: [&str; 9] = [
    "quick_reply",
    "url",
    "copy_code",
    "catalog",
    "mpm",
    "flow",
    "order_details",
    "voice_call",
    "spm",
];

const PARAMETER_TYPES: [&str; 12] = [
    "text",
    "currency",
    "date_time",
    "image",
    "video",
    "document",
    "location",
    "payload",
    "action",
    "coupon_code",
    "limited_time_offer",
    "product",
];

pub fn check(value: &Value) -> Checked<Kind> {
    let template = object(value, PATH)?;
    only_keys(
        template,
        &["name", "language", "components", "namespace"],
        PATH,
    )?;
    let name = required_text(template, PATH, "name", 512)?;
    let language_path = key(PATH, "language");
    let language = object(required(template, PATH, "language")?, &language_path)?;
    only_keys(language, &["code", "policy"], &language_path)?;
    let code = required_str(language, &language_path, "code")?;
    if let Some(policy) = super::params::optional_str(language, &language_path, "policy")? {
        one_of(policy, &["deterministic"], &key(&language_path, "policy"))?;
    }
    super::params::optional_str(template, PATH, "namespace")?;

    let mut parameters = None;
    if let Some(components) = template.get("components").filter(|value| !value.is_null()) {
        let list = key(PATH, "components");
        for (position, component) in array(components, &list)?.iter().enumerate() {
            let counted = self::component(component, &index(&list, position), true)?;
            if parameters.is_none() && counted.1 > 0 {
                parameters = Some(counted);
            }
        }
    }
    Ok(Kind::Template {
        name: name.to_owned(),
        language: code.to_owned(),
        parameters,
    })
}

/// One component; returns its type and how many parameters it has.
fn component(value: &Value, path: &str, top_level: bool) -> Checked<(String, usize)> {
    let component = object(value, path)?;
    let kind = one_of(
        required_str(component, path, "type")?,
        &COMPONENT_TYPES,
        &key(path, "type"),
    )?;
    match kind {
        "button" => {
            only_keys(
                component,
                &["type", "sub_type", "index", "parameters"],
                path,
            )?;
            sub_type(
                required_str(component, path, "sub_type")?,
                &key(path, "sub_type"),
            )?;
            button_index(required(component, path, "index")?, &key(path, "index"))?;
        }
        "carousel" if !top_level => {
            return invalid(format!("Param {path} may not nest a carousel"));
        }
        "carousel" => {
            only_keys(component, &["type", "cards"], path)?;
            carousel(component, path)?;
        }
        _ => only_keys(component, &["type", "parameters"], path)?,
    }
    let mut count = 0;
    if let Some(parameters) = component.get("parameters").filter(|value| !value.is_null()) {
        let list = key(path, "parameters");
        let parameters = array(parameters, &list)?;
        for (position, parameter) in parameters.iter().enumerate() {
            self::parameter(parameter, &index(&list, position))?;
        }
        count = parameters.len();
    }
    Ok((kind.to_owned(), count))
}

/// A button's `sub_type`, in any case: Meta's own examples write `CATALOG`
/// as well as `quick_reply`.
fn sub_type(text: &str, path: &str) -> Checked<()> {
    if BUTTON_SUB_TYPES
        .iter()
        .any(|known| known.eq_ignore_ascii_case(text))
    {
        return Ok(());
    }
    one_of(text, &BUTTON_SUB_TYPES, path).map(drop)
}

/// A button's position: `0` to `9`, as a number or a string of digits.
fn button_index(value: &Value, path: &str) -> Checked<()> {
    let position = match value {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.parse::<u64>().ok(),
        _ => None,
    };
    match position {
        Some(0..=9) => Ok(()),
        _ => invalid(format!("Param {path} must be a button index from 0 to 9")),
    }
}

fn carousel(component: &Map<String, Value>, path: &str) -> Checked<()> {
    let list = key(path, "cards");
    for (position, card) in required_array(component, path, "cards", 1, 10)?
        .iter()
        .enumerate()
    {
        let path = index(&list, position);
        let card = object(card, &path)?;
        only_keys(card, &["card_index", "components"], &path)?;
        if required(card, &path, "card_index")?.as_u64().is_none() {
            return invalid(format!(
                "Param {} must be a non-negative integer",
                key(&path, "card_index")
            ));
        }
        let components_path = key(&path, "components");
        for (at, component) in array(required(card, &path, "components")?, &components_path)?
            .iter()
            .enumerate()
        {
            self::component(component, &index(&components_path, at), false)?;
        }
    }
    Ok(())
}

/// A parameter: a `type` and the object or field named by it.
fn parameter(value: &Value, path: &str) -> Checked<()> {
    let parameter = object(value, path)?;
    let kind = one_of(
        required_str(parameter, path, "type")?,
        &PARAMETER_TYPES,
        &key(path, "type"),
    )?;
    only_keys(parameter, &["type", "parameter_name", kind], path)?;
    super::params::optional_str(parameter, path, "parameter_name")?;
    let Some(content) = parameter.get(kind).filter(|value| !value.is_null()) else {
        return invalid(format!(
            "Parameter '{kind}' is mandatory for component parameter type '{kind}'"
        ));
    };
    let content_path = key(path, kind);
    match kind {
        "text" | "payload" | "coupon_code" => {
            let text = super::params::string(content, &content_path)?;
            if text.trim().is_empty() {
                return invalid(format!("Param {content_path} must not be empty"));
            }
            if kind == "coupon_code" {
                super::params::max_chars(text, 15, &content_path)?;
            }
        }
        "currency" => {
            let currency = object(content, &content_path)?;
            only_keys(
                currency,
                &["fallback_value", "code", "amount_1000"],
                &content_path,
            )?;
            required_str(currency, &content_path, "fallback_value")?;
            let code = required_str(currency, &content_path, "code")?;
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
                return invalid(format!(
                    "Param {} must be an ISO 4217 currency code",
                    key(&content_path, "code")
                ));
            }
            let amount = required(currency, &content_path, "amount_1000")?;
            if amount.as_i64().is_none() {
                return invalid(format!(
                    "Param {} must be an integer",
                    key(&content_path, "amount_1000")
                ));
            }
        }
        "date_time" => {
            let date_time = object(content, &content_path)?;
            required_str(date_time, &content_path, "fallback_value")?;
        }
        "image" | "video" | "document" => super::media(content, kind, &content_path)?,
        "location" => super::location(content, &content_path)?,
        "limited_time_offer" => {
            let offer = object(content, &content_path)?;
            only_keys(offer, &["expiration_time_ms"], &content_path)?;
            if let Some(expiry) = offer.get("expiration_time_ms") {
                number(expiry, &key(&content_path, "expiration_time_ms"))?;
            }
        }
        "product" => {
            let product = object(content, &content_path)?;
            only_keys(
                product,
                &["product_retailer_id", "catalog_id"],
                &content_path,
            )?;
            required_str(product, &content_path, "product_retailer_id")?;
            required_str(product, &content_path, "catalog_id")?;
        }
        _ => {
            // "action": flow_token, action_data, thumbnail_product_retailer_id, sections…
            object(content, &content_path)?;
        }
    }
    Ok(())
}
