//! Why a Devino message is rejected, in the spec's words: a `key` from its
//! error table, the `ref` of the field (`messages[0].to`), and a
//! description naming the field and the rule.
//!
//! The domain's checks name fields by their full path
//! (`messages[0].text.body`); [`for_violation`] folds the ones the spec's
//! table names into its refs (`messages[0].text`, `…contentUrl`,
//! `…contentName`, `…languageCode`, `…contentType`) and keeps the full path
//! for the rest, with the key `invalid`.

use serde::Serialize;
use wagate_domain::violation::Path;
use wagate_domain::{Rule, Violation};

/// Every key of the spec's error table.
pub const KEYS: [&str; 9] = [
    "billing.error",
    "forbidden",
    "unknown",
    "invalid",
    "length.too.long",
    "length.too.short",
    "must.be.not.null",
    "not.available",
    "too.many.messages",
];

/// One entry of a rejection's `reasons`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = DevinoReason)]
pub struct Reason {
    /// What is wrong, a key of the spec's error table.
    #[schema(schema_with = key_schema)]
    pub key: &'static str,
    /// The field (`messages[0].to`); left out for a reason about no field.
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    #[schema(example = "messages[0].to")]
    pub reference: Option<String>,
    /// Not part of the reason on the wire: the rejection's description is
    /// made of these.
    #[serde(skip)]
    pub description: String,
}

/// `key`: one of [`KEYS`].
fn key_schema() -> utoipa::openapi::schema::Object {
    super::error::words(&KEYS)
}

impl Reason {
    fn new(key: &'static str, reference: &str, description: String) -> Self {
        Self {
            key,
            reference: Some(reference.to_owned()),
            description,
        }
    }

    /// `key` at the spec's `reference`, for `field` breaking `rule`.
    pub fn at(key: &'static str, reference: &str, field: &str, rule: &Rule) -> Self {
        Self::new(key, reference, format!("{field}: {rule}"))
    }

    /// `invalid`: the field breaks `rule`.
    pub fn invalid(reference: &str, rule: Rule) -> Self {
        Self::at("invalid", reference, reference, &rule)
    }

    /// `must.be.not.null`: a required field is missing.
    pub fn not_null(reference: &str) -> Self {
        Self::at("must.be.not.null", reference, reference, &Rule::Required)
    }

    /// `length.too.long`.
    pub fn too_long(reference: &str, rule: Rule) -> Self {
        Self::at("length.too.long", reference, reference, &rule)
    }

    /// `must.be.not.null` on the message itself: no text and no content.
    pub fn no_content(message: &str) -> Self {
        Self::new(
            "must.be.not.null",
            message,
            format!(
                "{message}: has neither text nor content (image, audio, video, document, contacts, location, template or interactive)"
            ),
        )
    }

    /// `invalid` `messages[i].contentType`: a type Devino does not have.
    pub fn content_type(message: &Path, rule: Rule) -> Self {
        let field = message.field("type");
        Self::at(
            "invalid",
            message.field("contentType").as_str(),
            field.as_str(),
            &rule,
        )
    }

    /// `not.available` `messages[i].from`: not a number of the tenant.
    pub fn not_available(reference: &str, number: &str) -> Self {
        Self::new(
            "not.available",
            reference,
            format!("{reference}: {number} is not a business number of this account"),
        )
    }

    /// A reason about the request as a whole (`messages`).
    pub fn whole(key: &'static str, reference: &str, description: String) -> Self {
        Self::new(key, reference, description)
    }

    /// A reason without a field (`unknown`, `forbidden`).
    pub fn general(key: &'static str, description: String) -> Self {
        Self {
            key,
            reference: None,
            description,
        }
    }
}

/// The reason for a violation the domain found in the message at
/// `message` (`messages[i]`).
pub fn for_violation(message: &Path, violation: &Violation) -> Reason {
    let field = violation.path.as_str();
    let rest = field.strip_prefix(message.as_str()).unwrap_or(field);
    let under = |name: &str| message.field(name);
    let rule = &violation.rule;
    match (rest, rule) {
        (".text" | ".text.body", Rule::MaxLength(_)) => {
            Reason::at("length.too.long", under("text").as_str(), field, rule)
        }
        (".text" | ".text.body", Rule::Required | Rule::NotEmpty) => {
            Reason::at("must.be.not.null", message.as_str(), field, rule)
        }
        (".type", _) => Reason::at("invalid", under("contentType").as_str(), field, rule),
        (".template.language" | ".template.language.code", Rule::MaxLength(_)) => Reason::at(
            "length.too.long",
            under("languageCode").as_str(),
            field,
            rule,
        ),
        (".template.language.code", Rule::NotEmpty) => Reason::at(
            "length.too.short",
            under("languageCode").as_str(),
            field,
            rule,
        ),
        (".template.language" | ".template.language.code", _) => {
            Reason::at("invalid", under("languageCode").as_str(), field, rule)
        }
        (".document.filename", Rule::NotEmpty) => Reason::at(
            "length.too.short",
            under("contentName").as_str(),
            field,
            rule,
        ),
        (media, _)
            if [".image", ".audio", ".video", ".document"]
                .iter()
                .any(|kind| media == format!("{kind}.link") || media == *kind) =>
        {
            Reason::at("invalid", under("contentUrl").as_str(), field, rule)
        }
        _ => Reason::at("invalid", field, field, rule),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(path: &str, rule: Rule) -> Reason {
        for_violation(
            &Path::root("messages").index(2),
            &Violation::new(path, rule),
        )
    }

    #[test]
    fn the_spec_s_refs_stand_for_the_fields_they_name() {
        let cases = [
            (
                "messages[2].text.body",
                Rule::MaxLength(4096),
                "length.too.long",
                "messages[2].text",
            ),
            (
                "messages[2].text.body",
                Rule::Required,
                "must.be.not.null",
                "messages[2]",
            ),
            (
                "messages[2].type",
                Rule::OneOf(&["text"]),
                "invalid",
                "messages[2].contentType",
            ),
            (
                "messages[2].image.link",
                Rule::Format("an http(s) URL"),
                "invalid",
                "messages[2].contentUrl",
            ),
            (
                "messages[2].document.filename",
                Rule::NotEmpty,
                "length.too.short",
                "messages[2].contentName",
            ),
            (
                "messages[2].template.language.code",
                Rule::Required,
                "invalid",
                "messages[2].languageCode",
            ),
            (
                "messages[2].template.language.code",
                Rule::NotEmpty,
                "length.too.short",
                "messages[2].languageCode",
            ),
            (
                "messages[2].interactive.action.buttons[0].reply.title",
                Rule::MaxLength(20),
                "invalid",
                "messages[2].interactive.action.buttons[0].reply.title",
            ),
        ];
        for (path, rule, key, reference) in cases {
            let found = reason(path, rule);
            assert_eq!(
                (found.key, found.reference.as_deref()),
                (key, Some(reference)),
                "{path}"
            );
            assert!(found.description.starts_with(path), "{}", found.description);
        }
    }
}
