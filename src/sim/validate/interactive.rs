//! Interactive messages: reply buttons, lists, products, catalog, CTA URL,
//! flows, location and contact requests, address messages, carousels and
//! (in [`super::order`]) the payments messages `order_details` and
//! `order_status`.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::params::{
    Checked, http_url, index, invalid, key, object, one_of, only_keys, optional_object,
    optional_str, optional_text, required, required_array, required_str, required_text,
};

const PATH: &str = "interactive";

const TYPES: [&str; 14] = [
    "button",
    "list",
    "product",
    "product_list",
    "catalog_message",
    "cta_url",
    "flow",
    "location_request_message",
    "address_message",
    "carousel",
    "contact_request",
    "voice_call",
    "order_details",
    "order_status",
];

pub fn check(value: &Value) -> Checked<()> {
    let map = object(value, PATH)?;
    only_keys(map, &["type", "header", "body", "footer", "action"], PATH)?;
    let kind = one_of(
        required_str(map, PATH, "type")?,
        &TYPES,
        "interactive['type']",
    )?;

    match optional_object(map, PATH, "body")? {
        Some(body) => {
            let path = key(PATH, "body");
            only_keys(body, &["text"], &path)?;
            required_text(body, &path, "text", 1024)?;
        }
        None if kind != "product" => {
            return invalid("Param interactive['body'] is required");
        }
        None => {}
    }
    if let Some(footer) = optional_object(map, PATH, "footer")? {
        if kind == "carousel" {
            return invalid("Param interactive['footer'] is not supported on a carousel");
        }
        let path = key(PATH, "footer");
        only_keys(footer, &["text"], &path)?;
        required_text(footer, &path, "text", 60)?;
    }
    match map.get("header") {
        Some(header) if !header.is_null() => {
            if kind == "carousel" {
                return invalid("Param interactive['header'] is not supported on a carousel");
            }
            let header_type = self::header(header, &key(PATH, "header"))?;
            if matches!(kind, "list" | "product_list") && header_type != "text" {
                return invalid(format!(
                    "Param interactive['header']['type'] must be text on interactive type {kind}"
                ));
            }
        }
        _ if kind == "product_list" => {
            return invalid(
                "Param interactive['header'] is required on interactive type product_list",
            );
        }
        _ => {}
    }

    let path = key(PATH, "action");
    let action = object(required(map, PATH, "action")?, &path)?;
    match kind {
        "button" => buttons(action, &path),
        "list" => list(action, &path),
        "product" => product(action, &path),
        "product_list" => product_list(action, &path),
        "catalog_message" => {
            named(action, &path, "catalog_message", &["name", "parameters"])?;
            optional_object(action, &path, "parameters").map(drop)
        }
        "cta_url" => cta_url(action, &path),
        "flow" => flow(action, &path),
        "location_request_message" => named(action, &path, "send_location", &["name"]),
        "address_message" => {
            named(action, &path, "address_message", &["name", "parameters"])?;
            object(
                required(action, &path, "parameters")?,
                &key(&path, "parameters"),
            )
            .map(drop)
        }
        "carousel" => carousel(action, &path),
        "contact_request" => named(action, &path, "request_contact_info", &["name"]),
        "order_details" => super::order::details(action, &path),
        "order_status" => super::order::status(action, &path),
        _ => {
            named(action, &path, "voice_call", &["name", "parameters"])?;
            optional_object(action, &path, "parameters").map(drop)
        }
    }
}

/// A header: text (at most 60 characters) or an image, video or document;
/// returns its type.
fn header<'a>(value: &'a Value, path: &str) -> Checked<&'a str> {
    let header = object(value, path)?;
    only_keys(
        header,
        &["type", "text", "image", "video", "document"],
        path,
    )?;
    let kind = one_of(
        required_str(header, path, "type")?,
        &["text", "image", "video", "document"],
        &key(path, "type"),
    )?;
    if let Some(other) = ["text", "image", "video", "document"]
        .iter()
        .find(|&&other| other != kind && header.contains_key(other))
    {
        return invalid(format!(
            "Param {} is not allowed on a header of type {kind}",
            key(path, other)
        ));
    }
    if kind == "text" {
        required_text(header, path, "text", 60)?;
    } else {
        super::media(required(header, path, kind)?, kind, &key(path, kind))?;
    }
    Ok(kind)
}

/// `action.name` must be `name`; only `allowed` keys.
pub(super) fn named(
    action: &Map<String, Value>,
    path: &str,
    name: &str,
    allowed: &[&str],
) -> Checked<()> {
    only_keys(action, allowed, path)?;
    one_of(
        required_str(action, path, "name")?,
        &[name],
        &key(path, "name"),
    )?;
    Ok(())
}

fn buttons(action: &Map<String, Value>, path: &str) -> Checked<()> {
    only_keys(action, &["buttons"], path)?;
    let list = key(path, "buttons");
    let mut ids = HashSet::new();
    let mut titles = HashSet::new();
    for (position, button) in required_array(action, path, "buttons", 1, 3)?
        .iter()
        .enumerate()
    {
        let path = index(&list, position);
        let button = object(button, &path)?;
        only_keys(button, &["type", "reply"], &path)?;
        one_of(
            required_str(button, &path, "type")?,
            &["reply"],
            &key(&path, "type"),
        )?;
        let reply_path = key(&path, "reply");
        let reply = object(required(button, &path, "reply")?, &reply_path)?;
        only_keys(reply, &["id", "title"], &reply_path)?;
        let id = required_text(reply, &reply_path, "id", 256)?;
        let title = required_text(reply, &reply_path, "title", 20)?;
        if !ids.insert(id) {
            return invalid(format!("Duplicate button id \"{id}\" in {list}"));
        }
        if !titles.insert(title) {
            return invalid(format!("Duplicate button title \"{title}\" in {list}"));
        }
    }
    Ok(())
}

fn list(action: &Map<String, Value>, path: &str) -> Checked<()> {
    only_keys(action, &["button", "sections"], path)?;
    required_text(action, path, "button", 20)?;
    let list = key(path, "sections");
    let sections = required_array(action, path, "sections", 1, 10)?;
    let mut ids = HashSet::new();
    for (position, section) in sections.iter().enumerate() {
        let path = index(&list, position);
        let section = object(section, &path)?;
        only_keys(section, &["title", "rows"], &path)?;
        if sections.len() > 1 {
            required_text(section, &path, "title", 24)?;
        } else {
            optional_text(section, &path, "title", 24)?;
        }
        let rows_path = key(&path, "rows");
        for (at, row) in required_array(section, &path, "rows", 1, 10)?
            .iter()
            .enumerate()
        {
            let path = index(&rows_path, at);
            let row = object(row, &path)?;
            only_keys(row, &["id", "title", "description"], &path)?;
            let id = required_text(row, &path, "id", 200)?;
            required_text(row, &path, "title", 24)?;
            optional_text(row, &path, "description", 72)?;
            if !ids.insert(id) {
                return invalid(format!("Duplicate row id \"{id}\" in {list}"));
            }
        }
    }
    if ids.len() > 10 {
        return invalid(format!(
            "Param {list} may have at most 10 rows in total, got {}",
            ids.len()
        ));
    }
    Ok(())
}

fn product(action: &Map<String, Value>, path: &str) -> Checked<()> {
    only_keys(action, &["catalog_id", "product_retailer_id"], path)?;
    required_str(action, path, "catalog_id")?;
    required_str(action, path, "product_retailer_id")?;
    Ok(())
}

fn product_list(action: &Map<String, Value>, path: &str) -> Checked<()> {
    only_keys(action, &["catalog_id", "sections"], path)?;
    required_str(action, path, "catalog_id")?;
    let list = key(path, "sections");
    let sections = required_array(action, path, "sections", 1, 10)?;
    let mut total = 0;
    for (position, section) in sections.iter().enumerate() {
        let path = index(&list, position);
        let section = object(section, &path)?;
        only_keys(section, &["title", "product_items"], &path)?;
        required_text(section, &path, "title", 24)?;
        let items_path = key(&path, "product_items");
        let items = required_array(section, &path, "product_items", 1, 30)?;
        for (at, item) in items.iter().enumerate() {
            let path = index(&items_path, at);
            let item = object(item, &path)?;
            only_keys(item, &["product_retailer_id"], &path)?;
            required_str(item, &path, "product_retailer_id")?;
        }
        total += items.len();
    }
    if total > 30 {
        return invalid(format!(
            "Param {list} may have at most 30 products in total, got {total}"
        ));
    }
    Ok(())
}

fn cta_url(action: &Map<String, Value>, path: &str) -> Checked<()> {
    named(action, path, "cta_url", &["name", "parameters"])?;
    let parameters_path = key(path, "parameters");
    let parameters = object(required(action, path, "parameters")?, &parameters_path)?;
    only_keys(parameters, &["display_text", "url"], &parameters_path)?;
    required_text(parameters, &parameters_path, "display_text", 20)?;
    http_url(
        required_str(parameters, &parameters_path, "url")?,
        &key(&parameters_path, "url"),
    )
}

fn flow(action: &Map<String, Value>, path: &str) -> Checked<()> {
    named(action, path, "flow", &["name", "parameters"])?;
    let parameters_path = key(path, "parameters");
    let parameters = object(required(action, path, "parameters")?, &parameters_path)?;
    only_keys(
        parameters,
        &[
            "mode",
            "flow_message_version",
            "flow_token",
            "flow_id",
            "flow_name",
            "flow_cta",
            "flow_action",
            "flow_action_payload",
        ],
        &parameters_path,
    )?;
    required_str(parameters, &parameters_path, "flow_message_version")?;
    match (
        optional_str(parameters, &parameters_path, "flow_id")?,
        optional_str(parameters, &parameters_path, "flow_name")?,
    ) {
        (None, None) => {
            return invalid(format!(
                "Either one of {} or {} must be present",
                key(&parameters_path, "flow_id"),
                key(&parameters_path, "flow_name")
            ));
        }
        (Some(_), Some(_)) => {
            return invalid(format!(
                "Only one of {} or {} may be present",
                key(&parameters_path, "flow_id"),
                key(&parameters_path, "flow_name")
            ));
        }
        _ => {}
    }
    required_text(parameters, &parameters_path, "flow_cta", 30)?;
    optional_str(parameters, &parameters_path, "flow_token")?;
    if let Some(mode) = optional_str(parameters, &parameters_path, "mode")? {
        one_of(
            mode,
            &["draft", "published"],
            &key(&parameters_path, "mode"),
        )?;
    }
    if let Some(flow_action) = optional_str(parameters, &parameters_path, "flow_action")? {
        one_of(
            flow_action,
            &["navigate", "data_exchange"],
            &key(&parameters_path, "flow_action"),
        )?;
    }
    optional_object(parameters, &parameters_path, "flow_action_payload")?;
    Ok(())
}

/// A carousel of 2 to 10 cards: media cards with a CTA URL or quick-reply
/// buttons, or product cards.
fn carousel(action: &Map<String, Value>, path: &str) -> Checked<()> {
    only_keys(action, &["cards"], path)?;
    let list = key(path, "cards");
    for (position, card) in required_array(action, path, "cards", 2, 10)?
        .iter()
        .enumerate()
    {
        let path = index(&list, position);
        let card = object(card, &path)?;
        only_keys(
            card,
            &["card_index", "type", "header", "body", "action"],
            &path,
        )?;
        let card_index = required(card, &path, "card_index")?;
        if card_index.as_u64().is_none() {
            return invalid(format!(
                "Param {} must be a non-negative integer",
                key(&path, "card_index")
            ));
        }
        let kind = required_str(card, &path, "type")?;
        if let Some(body) = optional_object(card, &path, "body")? {
            let body_path = key(&path, "body");
            only_keys(body, &["text"], &body_path)?;
            required_text(body, &body_path, "text", 160)?;
        }
        let action_path = key(&path, "action");
        let card_action = object(required(card, &path, "action")?, &action_path)?;
        if kind == "product" {
            product(card_action, &action_path)?;
            continue;
        }
        let header_type = header(required(card, &path, "header")?, &key(&path, "header"))?;
        if !matches!(header_type, "image" | "video") {
            return invalid(format!(
                "Param {} must be image or video on a carousel card",
                key(&key(&path, "header"), "type")
            ));
        }
        if kind == "cta_url" {
            cta_url(card_action, &action_path)?;
        }
    }
    Ok(())
}
