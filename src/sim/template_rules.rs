//! Meta's checks on a template submitted for review (`POST
//! /{waba-id}/message_templates`) or edited (`POST /{template-id}`): the
//! name (lowercase `a-z`, `0-9`, `_`, at most 512), the language, the
//! category (MARKETING, UTILITY, AUTHENTICATION) and well-formed
//! components (one BODY, at most one HEADER, FOOTER and BUTTONS, their
//! formats, texts and buttons). A refusal is Meta's error 100 with
//! `error_user_title`/`error_user_msg` saying what is wrong.

use serde_json::{Map, Value};

use super::meta_error::MetaError;
use super::templates::{Edit, NewTemplate, TemplateCategory};

const MAX_NAME: usize = 512;
const MAX_HEADER_TEXT: usize = 60;
const MAX_BODY_TEXT: usize = 1024;
const MAX_FOOTER_TEXT: usize = 60;
const MAX_BUTTONS: usize = 10;
const MAX_BUTTON_TEXT: usize = 25;
/// The largest components kept for one template, as JSON text (Meta's own
/// text limits keep real ones far below it).
const MAX_COMPONENTS_BYTES: usize = 16 * 1024;

const COMPONENT_TYPES: [&str; 6] = [
    "HEADER",
    "BODY",
    "FOOTER",
    "BUTTONS",
    "CAROUSEL",
    "LIMITED_TIME_OFFER",
];
const HEADER_FORMATS: [&str; 6] = ["TEXT", "IMAGE", "VIDEO", "DOCUMENT", "LOCATION", "PRODUCT"];
const BUTTON_TYPES: [&str; 11] = [
    "QUICK_REPLY",
    "URL",
    "PHONE_NUMBER",
    "OTP",
    "COPY_CODE",
    "FLOW",
    "MPM",
    "CATALOG",
    "SPM",
    "VOICE_CALL",
    "APP",
];

type Checked<T> = Result<T, MetaError>;

fn refuse<T>(title: &'static str, message: impl Into<String>) -> Checked<T> {
    Err(MetaError::template_refused(None, title, message))
}

fn text_field<'a>(map: &'a Map<String, Value>, key: &str, what: &str) -> Checked<Option<&'a str>> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => refuse(
            "Invalid parameter",
            format!("{what} {key} must be a string."),
        ),
    }
}

/// A submitted template.
pub fn check_new(body: &Value) -> Checked<NewTemplate> {
    let Some(map) = body.as_object() else {
        return refuse(
            "Invalid parameter",
            "The request body must be a JSON object.",
        );
    };
    let Some(name) = text_field(map, "name", "The template")? else {
        return refuse(
            "Template name is missing",
            "The parameter name is required.",
        );
    };
    if name.is_empty()
        || name.chars().count() > MAX_NAME
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return refuse(
            "Message template name is invalid",
            format!(
                "The template name \"{name}\" is invalid: it can only have lowercase letters, numbers and underscores, and at most {MAX_NAME} characters."
            ),
        );
    }
    let Some(language) = text_field(map, "language", "The template")? else {
        return refuse(
            "Template language is missing",
            "The parameter language is required.",
        );
    };
    if !is_language(language) {
        return refuse(
            "Invalid language",
            format!(
                "The language \"{language}\" is not a language and locale code such as en or en_US."
            ),
        );
    }
    let category = category(map)?.ok_or_else(|| {
        MetaError::template_refused(
            None,
            "Template category is missing",
            "The parameter category is required.",
        )
    })?;
    let Some(components) = map.get("components").filter(|value| !value.is_null()) else {
        return refuse(
            "Template components are missing",
            "The parameter components is required.",
        );
    };
    self::components(components, category)?;
    Ok(NewTemplate {
        name: name.to_owned(),
        language: language.to_owned(),
        category,
        components: components.clone(),
    })
}

/// An edit of the template whose category is `current`.
pub fn check_edit(body: &Value, current: TemplateCategory) -> Checked<Edit> {
    let Some(map) = body.as_object() else {
        return refuse(
            "Invalid parameter",
            "The request body must be a JSON object.",
        );
    };
    let category = category(map)?;
    let components = map.get("components").filter(|value| !value.is_null());
    if category.is_none() && components.is_none() {
        return refuse(
            "Nothing to edit",
            "Only a template's category or components can be edited; the request has neither.",
        );
    }
    if let Some(components) = components {
        self::components(components, category.unwrap_or(current))?;
    }
    Ok(Edit {
        category,
        components: components.cloned(),
    })
}

fn category(map: &Map<String, Value>) -> Checked<Option<TemplateCategory>> {
    let Some(text) = text_field(map, "category", "The template")? else {
        return Ok(None);
    };
    match TemplateCategory::parse(text) {
        Some(category) => Ok(Some(category)),
        None => refuse(
            "Invalid template category",
            format!(
                "The category \"{text}\" is not one of {}.",
                TemplateCategory::NAMES.join(", ")
            ),
        ),
    }
}

/// `en`, `en_US`, `zh_CN`, `es_419`-like codes.
fn is_language(code: &str) -> bool {
    let (language, locale) = code.split_once('_').unwrap_or((code, ""));
    (2..=3).contains(&language.len())
        && language.bytes().all(|b| b.is_ascii_lowercase())
        && (locale.is_empty()
            || ((2..=4).contains(&locale.len())
                && locale.bytes().all(|b| b.is_ascii_alphanumeric())))
}

fn components(value: &Value, category: TemplateCategory) -> Checked<()> {
    let Some(list) = value.as_array().filter(|list| !list.is_empty()) else {
        return refuse(
            "Invalid parameter",
            "components must be a list with at least one component.",
        );
    };
    if value.to_string().len() > MAX_COMPONENTS_BYTES {
        return refuse(
            "Template too large",
            format!("The components take more than {MAX_COMPONENTS_BYTES} bytes."),
        );
    }
    let mut seen: Vec<String> = Vec::new();
    for (position, component) in list.iter().enumerate() {
        let what = format!("components[{position}]");
        let Some(map) = component.as_object() else {
            return refuse("Invalid parameter", format!("{what} must be an object."));
        };
        let Some(kind) = text_field(map, "type", &what)? else {
            return refuse("Invalid parameter", format!("{what} needs a type."));
        };
        let kind = kind.to_ascii_uppercase();
        if !COMPONENT_TYPES.contains(&kind.as_str()) {
            return refuse(
                "Invalid component type",
                format!(
                    "{what} type \"{kind}\" is not one of {}.",
                    COMPONENT_TYPES.join(", ")
                ),
            );
        }
        if seen.contains(&kind) {
            return refuse(
                "Invalid parameter",
                format!("A template has at most one {kind} component."),
            );
        }
        match kind.as_str() {
            "HEADER" => header(map, &what)?,
            "BODY" => body(map, &what, category)?,
            "FOOTER" => limited_text(
                map,
                &what,
                MAX_FOOTER_TEXT,
                category != TemplateCategory::Authentication,
            )?,
            "BUTTONS" => buttons(map, &what)?,
            _ => {}
        }
        seen.push(kind);
    }
    if !seen.iter().any(|kind| kind == "BODY") {
        return refuse(
            "Template body is missing",
            "A template needs a BODY component.",
        );
    }
    Ok(())
}

/// `text` of at most `max` characters, required or not.
fn limited_text(map: &Map<String, Value>, what: &str, max: usize, required: bool) -> Checked<()> {
    match text_field(map, "text", what)? {
        None if required => refuse("Invalid parameter", format!("{what} needs a text.")),
        Some(text) if text.trim().is_empty() && required => refuse(
            "Invalid parameter",
            format!("{what} text must not be empty."),
        ),
        Some(text) if text.chars().count() > max => refuse(
            "Text too long",
            format!("{what} text must be at most {max} characters."),
        ),
        _ => Ok(()),
    }
}

fn header(map: &Map<String, Value>, what: &str) -> Checked<()> {
    let Some(format) = text_field(map, "format", what)? else {
        return refuse(
            "Invalid parameter",
            format!("{what} (HEADER) needs a format."),
        );
    };
    let format = format.to_ascii_uppercase();
    if !HEADER_FORMATS.contains(&format.as_str()) {
        return refuse(
            "Invalid header format",
            format!(
                "{what} format \"{format}\" is not one of {}.",
                HEADER_FORMATS.join(", ")
            ),
        );
    }
    if format == "TEXT" {
        limited_text(map, what, MAX_HEADER_TEXT, true)?;
    }
    Ok(())
}

fn body(map: &Map<String, Value>, what: &str, category: TemplateCategory) -> Checked<()> {
    // An authentication template's body is Meta's own text.
    limited_text(
        map,
        what,
        MAX_BODY_TEXT,
        category != TemplateCategory::Authentication,
    )
}

fn buttons(map: &Map<String, Value>, what: &str) -> Checked<()> {
    let Some(buttons) = map
        .get("buttons")
        .and_then(Value::as_array)
        .filter(|list| (1..=MAX_BUTTONS).contains(&list.len()))
    else {
        return refuse(
            "Invalid parameter",
            format!("{what} (BUTTONS) needs a list of 1 to {MAX_BUTTONS} buttons."),
        );
    };
    for (position, button) in buttons.iter().enumerate() {
        let what = format!("{what}.buttons[{position}]");
        let Some(button) = button.as_object() else {
            return refuse("Invalid parameter", format!("{what} must be an object."));
        };
        let kind = text_field(button, "type", &what)?
            .unwrap_or_default()
            .to_ascii_uppercase();
        if !BUTTON_TYPES.contains(&kind.as_str()) {
            return refuse(
                "Invalid button type",
                format!(
                    "{what} type \"{kind}\" is not one of {}.",
                    BUTTON_TYPES.join(", ")
                ),
            );
        }
        limited_text(
            button,
            &what,
            MAX_BUTTON_TEXT,
            kind != "OTP" && kind != "MPM" && kind != "CATALOG" && kind != "SPM",
        )?;
        let needs = match kind.as_str() {
            "URL" => Some("url"),
            "PHONE_NUMBER" => Some("phone_number"),
            _ => None,
        };
        if let Some(field) = needs
            && text_field(button, field, &what)?.is_none_or(str::is_empty)
        {
            return refuse(
                "Invalid parameter",
                format!("{what} ({kind}) needs {field}."),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template(name: &str) -> Value {
        json!({"name": name, "language": "en_US", "category": "MARKETING",
               "components": [{"type": "BODY", "text": "Hi {{1}}", "example": {"body_text": [["Ann"]]}}]})
    }

    fn refusal(body: &Value) -> String {
        check_new(body)
            .expect_err("refused")
            .user
            .map(|user| user.message)
            .unwrap_or_default()
    }

    #[test]
    fn names_are_lowercase_digits_and_underscores_up_to_512() {
        assert!(check_new(&template("order_2_update")).is_ok());
        assert!(check_new(&template(&"a".repeat(512))).is_ok());
        for bad in ["Order", "order-update", "order update", "", "ordér"] {
            assert!(refusal(&template(bad)).contains("lowercase"), "{bad}");
        }
        assert!(refusal(&template(&"a".repeat(513))).contains("512"));
    }

    #[test]
    fn language_category_and_components_are_required_and_checked() {
        let mut body = template("t");
        body["category"] = json!("TRANSACTIONAL");
        assert!(refusal(&body).contains("MARKETING, UTILITY, AUTHENTICATION"));
        body["category"] = json!("utility");
        assert_eq!(
            check_new(&body).map(|t| t.category).ok(),
            Some(TemplateCategory::Utility)
        );
        for key in ["language", "category", "components"] {
            let mut missing = template("t");
            missing.as_object_mut().map(|map| map.remove(key));
            assert!(refusal(&missing).contains(key), "{key}");
        }
        let mut body = template("t");
        body["language"] = json!("english");
        assert!(refusal(&body).contains("english"));
        body["language"] = json!("en");
        body["components"] = json!([{"type": "FOOTER", "text": "bye"}]);
        assert!(refusal(&body).contains("BODY"));
        body["components"] = json!([{"type": "BODY", "text": "a"}, {"type": "body", "text": "b"}]);
        assert!(refusal(&body).contains("at most one BODY"));
        body["components"] =
            json!([{"type": "BODY", "text": "a"}, {"type": "HEADER", "format": "GIF"}]);
        assert!(refusal(&body).contains("GIF"));
        body["components"] = json!([{"type": "BODY", "text": "a"},
                                    {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Go"}]}]);
        assert!(refusal(&body).contains("needs url"));
    }

    #[test]
    fn metas_own_examples_pass() {
        let authentication = json!({"name": "authentication_code_copy_code_button", "language": "en_US",
            "category": "AUTHENTICATION", "components": [
                {"type": "BODY", "add_security_recommendation": true},
                {"type": "FOOTER", "code_expiration_minutes": 10},
                {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy Code"}]}]});
        assert!(check_new(&authentication).is_ok());
        let flow = json!({"name": "flow_offer", "language": "en_US", "category": "MARKETING",
            "components": [{"type": "body", "text": "Check out this new offer"},
                           {"type": "BUTTONS", "buttons": [{"type": "FLOW", "flow_action": "navigate",
                            "flow_id": "1", "navigate_screen": "S", "text": "Check out this offer!"}]}]});
        assert!(check_new(&flow).is_ok());
    }

    #[test]
    fn an_edit_changes_category_or_components() {
        assert!(check_edit(&json!({}), TemplateCategory::Marketing).is_err());
        let edit = check_edit(
            &json!({"components": [{"type": "BODY", "text": "new"}]}),
            TemplateCategory::Marketing,
        )
        .expect("edit");
        assert_eq!(edit.category, None);
        assert!(check_edit(&json!({"category": "OTHER"}), TemplateCategory::Marketing).is_err());
    }
}
