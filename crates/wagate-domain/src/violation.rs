//! What is wrong with a request: the path of the offending field
//! (`messages[0].interactive.action.buttons[1].reply.title`) and the rule it
//! breaks.
//!
//! Two kinds, because LINK answers them with two result codes:
//! - [`ViolationKind::Schema`] (`112506`): one field, on its own, breaks a rule
//!   a JSON schema could state: type, presence, length, count, range, allowed
//!   values, format, "exactly one of".
//! - [`ViolationKind::Semantic`] (`112402`): the request is well-formed but
//!   cannot be honoured: duplicates across entries, a validity that has
//!   already passed, a gate that does not exist.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationKind {
    Schema,
    Semantic,
}

/// The rule a field breaks; `Display` renders it in English.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// The field must be present.
    Required,
    /// The field must not be present here; the text says why.
    NotAllowed(&'static str),
    /// A string or list must not be empty.
    NotEmpty,
    /// A string is longer than the limit (counted in characters).
    MaxLength(usize),
    /// A list has more entries than the limit.
    MaxItems(usize),
    /// A list has fewer entries than the limit.
    MinItems(usize),
    /// An entry goes past a limit counted across several lists (e.g. at most
    /// 10 rows across all sections of a list message); `items` names what is
    /// counted and where.
    MaxTotal { max: usize, items: &'static str },
    /// A string has more line breaks than the limit.
    MaxLineBreaks(usize),
    /// A request makes more parts (destinations × messages, one Cloud API
    /// message each) than the limit.
    MaxParts(usize),
    /// The Cloud API bodies of a request's parts take more bytes in all than
    /// the limit.
    MaxRenderedBytes(usize),
    /// A number is outside `min..=max`.
    Range { min: i64, max: i64 },
    /// A value is not one of the allowed ones.
    OneOf(&'static [&'static str]),
    /// The value must equal the one at `first` (e.g. every carousel card has
    /// the same header type).
    SameAs { first: String },
    /// Exactly one of these sibling fields must be present.
    ExactlyOneOf(&'static [&'static str]),
    /// At least one of these sibling fields must be present.
    AtLeastOneOf(&'static [&'static str]),
    /// The value does not have the expected format; the text names it.
    Format(&'static str),
    /// The JSON value has the wrong type or shape (serde's words).
    Type(String),
    /// The value repeats an earlier entry (semantic).
    Duplicate { first: String },
    /// A point in time that has already passed (semantic).
    InThePast,
    /// A point in time further ahead than the limit (in milliseconds from
    /// the request).
    MaxAhead { millis: i64 },
    /// A referenced object does not exist for this tenant (semantic).
    Unknown(&'static str),
    /// A file is larger than the limit for its type (`of`, a MIME type).
    MaxBytes { max: u64, of: &'static str },
}

impl Rule {
    pub fn kind(&self) -> ViolationKind {
        match self {
            Self::Duplicate { .. } | Self::InThePast | Self::Unknown(_) => ViolationKind::Semantic,
            _ => ViolationKind::Schema,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Required => f.write_str("is required"),
            Self::NotAllowed(why) => write!(f, "is not allowed {why}"),
            Self::NotEmpty => f.write_str("must not be empty"),
            Self::MaxLength(max) => write!(f, "must be at most {max} characters long"),
            Self::MaxItems(max) => write!(f, "must have at most {max} entries"),
            Self::MinItems(min) => write!(f, "must have at least {min} entries"),
            Self::MaxTotal { max, items } => write!(f, "goes past the limit of {max} {items}"),
            Self::MaxLineBreaks(max) => write!(f, "must have at most {max} line breaks"),
            Self::MaxParts(max) => write!(f, "destinations × messages must be at most {max}"),
            Self::MaxRenderedBytes(max) => write!(
                f,
                "the Cloud API bodies of destinations × messages must be at most {max} bytes in all"
            ),
            Self::SameAs { first } => write!(f, "must be the same as {first}"),
            Self::Range { min, max } => write!(f, "must be between {min} and {max}"),
            Self::OneOf(allowed) => write!(f, "must be one of: {}", allowed.join(", ")),
            Self::ExactlyOneOf(fields) => {
                write!(f, "must have exactly one of: {}", fields.join(", "))
            }
            Self::AtLeastOneOf(fields) => {
                write!(f, "must have at least one of: {}", fields.join(", "))
            }
            Self::Format(expected) => write!(f, "must be {expected}"),
            Self::Type(message) => f.write_str(message),
            Self::Duplicate { first } => write!(f, "duplicates {first}"),
            Self::InThePast => f.write_str("has already passed"),
            Self::MaxAhead { millis } => {
                write!(f, "must be at most {millis} milliseconds from now")
            }
            Self::Unknown(what) => write!(f, "does not name a known {what}"),
            Self::MaxBytes { max, of } => write!(f, "must be at most {max} bytes for {of}"),
        }
    }
}

/// One broken rule at one field.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Dotted path with indexes, e.g. `messages[0].text.body`.
    pub path: String,
    pub rule: Rule,
}

impl Violation {
    pub fn new(path: impl Into<String>, rule: Rule) -> Self {
        Self {
            path: path.into(),
            rule,
        }
    }

    pub fn kind(&self) -> ViolationKind {
        self.rule.kind()
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.rule)
        } else {
            write!(f, "{}: {}", self.path, self.rule)
        }
    }
}

impl std::error::Error for Violation {}

/// Builds field paths while walking a structure: `path.field("text")`,
/// `path.index(2)`.
#[derive(Debug, Clone, Default)]
pub struct Path(String);

impl Path {
    pub fn root(name: &str) -> Self {
        Self(name.to_owned())
    }

    pub fn field(&self, name: &str) -> Self {
        if self.0.is_empty() {
            Self(name.to_owned())
        } else {
            Self(format!("{}.{name}", self.0))
        }
    }

    pub fn index(&self, index: usize) -> Self {
        Self(format!("{}[{index}]", self.0))
    }

    pub fn violation(&self, rule: Rule) -> Violation {
        Violation::new(self.0.clone(), rule)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_messages_name_the_field_and_the_rule() {
        let path = Path::root("messages").index(0).field("text").field("body");
        let violation = path.violation(Rule::MaxLength(4096));
        assert_eq!(
            violation.to_string(),
            "messages[0].text.body: must be at most 4096 characters long"
        );
        assert_eq!(violation.kind(), ViolationKind::Schema);
        assert_eq!(
            Path::root("destinations")
                .index(1)
                .violation(Rule::Duplicate {
                    first: "destinations[0]".into()
                })
                .kind(),
            ViolationKind::Semantic
        );
    }

    #[test]
    fn request_wide_limits_say_what_is_counted() {
        let parts = Violation::new("destinations", Rule::MaxParts(1000));
        assert_eq!(
            parts.to_string(),
            "destinations: destinations × messages must be at most 1000"
        );
        assert_eq!(parts.kind(), ViolationKind::Schema);
        let bytes = Violation::new("messages", Rule::MaxRenderedBytes(4096));
        assert_eq!(
            bytes.to_string(),
            "messages: the Cloud API bodies of destinations × messages must be at most 4096 bytes in all"
        );
        assert_eq!(bytes.kind(), ViolationKind::Schema);
    }
}
