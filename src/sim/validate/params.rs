//! Small readers over `serde_json` values that fail with Meta's wording: the
//! offending param is named the way the Cloud API names it in
//! `error_data.details` (`text['body']`, `template['components'][0]`).

use serde_json::{Map, Value};

/// A body that breaks a rule: Meta answers `(#100) Invalid parameter` with
/// `details` saying which param and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{details}")]
pub struct Invalid {
    pub details: String,
}

pub type Checked<T> = Result<T, Invalid>;

pub fn invalid<T>(details: impl Into<String>) -> Checked<T> {
    Err(Invalid {
        details: details.into(),
    })
}

/// `text['body']` from `text` and `body`; a top-level key is just its name.
pub fn key(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}['{key}']")
    }
}

/// `template['components'][2]`.
pub fn index(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

pub fn object<'a>(value: &'a Value, path: &str) -> Checked<&'a Map<String, Value>> {
    match value.as_object() {
        Some(map) => Ok(map),
        None => invalid(format!("Param {path} must be a JSON object")),
    }
}

pub fn array<'a>(value: &'a Value, path: &str) -> Checked<&'a Vec<Value>> {
    match value.as_array() {
        Some(items) => Ok(items),
        None => invalid(format!("Param {path} must be an array")),
    }
}

pub fn string<'a>(value: &'a Value, path: &str) -> Checked<&'a str> {
    match value.as_str() {
        Some(text) => Ok(text),
        None => invalid(format!("Param {path} must be a string")),
    }
}

pub fn number(value: &Value, path: &str) -> Checked<f64> {
    match value.as_f64() {
        Some(number) => Ok(number),
        None => invalid(format!("Param {path} must be a number")),
    }
}

pub fn boolean(value: &Value, path: &str) -> Checked<bool> {
    match value.as_bool() {
        Some(flag) => Ok(flag),
        None => invalid(format!("Param {path} must be a boolean")),
    }
}

/// The value under `name`, which must be there (JSON `null` counts as absent).
pub fn required<'a>(map: &'a Map<String, Value>, parent: &str, name: &str) -> Checked<&'a Value> {
    match map.get(name) {
        Some(value) if !value.is_null() => Ok(value),
        _ => invalid(format!("Param {} is required", key(parent, name))),
    }
}

/// A required, non-empty string.
pub fn required_str<'a>(map: &'a Map<String, Value>, parent: &str, name: &str) -> Checked<&'a str> {
    let path = key(parent, name);
    let text = string(required(map, parent, name)?, &path)?;
    if text.trim().is_empty() {
        return invalid(format!("Param {path} must not be empty"));
    }
    Ok(text)
}

/// A string if present.
pub fn optional_str<'a>(
    map: &'a Map<String, Value>,
    parent: &str,
    name: &str,
) -> Checked<Option<&'a str>> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => string(value, &key(parent, name)).map(Some),
    }
}

/// An object if present.
pub fn optional_object<'a>(
    map: &'a Map<String, Value>,
    parent: &str,
    name: &str,
) -> Checked<Option<&'a Map<String, Value>>> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => object(value, &key(parent, name)).map(Some),
    }
}

/// At most `max` characters (Unicode scalar values, as Meta counts them).
pub fn max_chars(text: &str, max: usize, path: &str) -> Checked<()> {
    if text.chars().count() > max {
        return invalid(format!(
            "Param {path} must be at most {max} characters long"
        ));
    }
    Ok(())
}

/// A required string of 1 to `max` characters.
pub fn required_text<'a>(
    map: &'a Map<String, Value>,
    parent: &str,
    name: &str,
    max: usize,
) -> Checked<&'a str> {
    let text = required_str(map, parent, name)?;
    max_chars(text, max, &key(parent, name))?;
    Ok(text)
}

/// An optional string of at most `max` characters.
pub fn optional_text<'a>(
    map: &'a Map<String, Value>,
    parent: &str,
    name: &str,
    max: usize,
) -> Checked<Option<&'a str>> {
    let text = optional_str(map, parent, name)?;
    if let Some(text) = text {
        max_chars(text, max, &key(parent, name))?;
    }
    Ok(text)
}

/// Rejects keys the Cloud API does not know on this param.
pub fn only_keys(map: &Map<String, Value>, allowed: &[&str], path: &str) -> Checked<()> {
    match map.keys().find(|name| !allowed.contains(&name.as_str())) {
        Some(unexpected) => invalid(format!(
            "Unexpected key \"{unexpected}\" on param \"{path}\""
        )),
        None => Ok(()),
    }
}

/// `value` must be one of `allowed`.
pub fn one_of<'a>(value: &'a str, allowed: &[&str], path: &str) -> Checked<&'a str> {
    if allowed.contains(&value) {
        Ok(value)
    } else {
        invalid(format!(
            "Param {path} must be one of {{{}}}, got \"{value}\"",
            allowed.join(", ")
        ))
    }
}

/// A required array with `min..=max` items.
pub fn required_array<'a>(
    map: &'a Map<String, Value>,
    parent: &str,
    name: &str,
    min: usize,
    max: usize,
) -> Checked<&'a Vec<Value>> {
    let path = key(parent, name);
    let items = array(required(map, parent, name)?, &path)?;
    if items.len() < min || items.len() > max {
        return invalid(format!(
            "Param {path} must have between {min} and {max} elements, got {}",
            items.len()
        ));
    }
    Ok(items)
}

/// An absolute `http` or `https` URL with a host.
pub fn http_url(text: &str, path: &str) -> Checked<()> {
    match url::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(()),
        _ => invalid(format!("Param {path} must be a valid http or https URL")),
    }
}
