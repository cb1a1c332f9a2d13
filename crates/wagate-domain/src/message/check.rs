//! The validation toolkit every message part uses: a collector of
//! [`Violation`]s with one helper per kind of rule (presence, length, count,
//! range, URL, keyword values, fields not allowed), uniqueness tracking, and
//! the normalisation of keyword spellings (`quickReply` → `quick_reply`,
//! `CATALOG` → `catalog`, `product list` → `product_list`).
//!
//! Helpers push a violation and return `None` (or `false`) when a rule is
//! broken, so callers can check every field first and assemble the valid
//! value last: all violations are reported, not just the first.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::violation::{Path, Rule, Violation};

use super::lenient::NumberOrText;
use super::limits::CARD_INDEX_MAX;

/// A closed set of keyword values (`type`, `sub_type`, …): canonical names
/// (the Cloud API's spelling) aligned with the values, plus extra spellings.
pub(crate) trait Keyword: Copy + PartialEq + 'static {
    /// Canonical names, index-aligned with [`Keyword::ALL`].
    const NAMES: &'static [&'static str];
    const ALL: &'static [Self];
    /// Other accepted spellings, after normalisation.
    const ALIASES: &'static [(&'static str, Self)] = &[];

    /// The canonical name (never panics: `NAMES` and `ALL` are aligned, and a
    /// misalignment is caught by the tests, which check every keyword type).
    fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .position(|value| *value == self)
            .and_then(|index| Self::NAMES.get(index))
            .copied()
            .unwrap_or("")
    }

    /// Reads any accepted spelling.
    fn parse(text: &str) -> Option<Self> {
        let normalised = normalise(text);
        Self::NAMES
            .iter()
            .position(|name| *name == normalised)
            .and_then(|index| Self::ALL.get(index).copied())
            .or_else(|| {
                Self::ALIASES
                    .iter()
                    .find(|(alias, _)| *alias == normalised)
                    .map(|(_, value)| *value)
            })
    }
}

/// `quickReply` → `quick_reply`, `CATALOG` → `catalog`, `dateTime` →
/// `date_time`, `product list` → `product_list`: trimmed, camelCase split
/// into snake_case, lower case, spaces and hyphens as underscores.
pub(crate) fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    let mut previous_lower = false;
    for character in text.trim().chars() {
        if character.is_uppercase() {
            if previous_lower {
                out.push('_');
            }
            out.extend(character.to_lowercase());
            previous_lower = false;
        } else if character == ' ' || character == '-' {
            out.push('_');
            previous_lower = false;
        } else {
            out.push(character);
            previous_lower = character.is_lowercase() || character.is_ascii_digit();
        }
    }
    out
}

/// Does `link` look like an http(s) URL? The Cloud API fetches only those.
pub(crate) fn is_http_url(link: &str) -> bool {
    let lower = link.trim().to_ascii_lowercase();
    ["http://", "https://"].iter().any(|scheme| {
        lower
            .strip_prefix(scheme)
            .is_some_and(|rest| !rest.is_empty())
    })
}

pub(crate) const HTTP_URL: &str = "an http:// or https:// URL";
pub(crate) const INTEGER: &str = "an integer";
pub(crate) const NUMBER: &str = "a number";
const JSON_OBJECT: &str = "a non-empty JSON object";

/// Collects violations while a message is walked.
#[derive(Debug, Default)]
pub(crate) struct Violations(Vec<Violation>);

impl Violations {
    pub(crate) fn into_vec(self) -> Vec<Violation> {
        self.0
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn push(&mut self, path: &Path, rule: Rule) {
        self.0.push(path.violation(rule));
    }

    /// The value, or a `Required` violation.
    pub(crate) fn required<T>(&mut self, path: &Path, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.push(path, Rule::Required);
        }
        value
    }

    /// A required string: present, not blank, at most `max` characters.
    pub(crate) fn required_text(
        &mut self,
        path: &Path,
        value: Option<String>,
        max: usize,
    ) -> Option<String> {
        let value = self.required(path, value)?;
        if value.trim().is_empty() {
            self.push(path, Rule::NotEmpty);
            return None;
        }
        self.check_len(path, &value, max).then_some(value)
    }

    /// A required string without a length limit of its own (ids, names).
    pub(crate) fn required_id(&mut self, path: &Path, value: Option<String>) -> Option<String> {
        self.required_text(path, value, usize::MAX)
    }

    /// An optional string of at most `max` characters: `Some(None)` when
    /// absent, `Some(Some(text))` when fine, `None` (with a violation) when
    /// too long.
    pub(crate) fn optional_text(
        &mut self,
        path: &Path,
        value: Option<String>,
        max: usize,
    ) -> Option<Option<String>> {
        match value {
            Some(text) if !self.check_len(path, &text, max) => None,
            other => Some(other),
        }
    }

    /// The one length check: at most `max` characters.
    pub(crate) fn check_len(&mut self, path: &Path, value: &str, max: usize) -> bool {
        let ok = max == usize::MAX || value.chars().count() <= max;
        if !ok {
            self.push(path, Rule::MaxLength(max));
        }
        ok
    }

    /// A list has `min..=max` entries.
    pub(crate) fn count(&mut self, path: &Path, len: usize, min: usize, max: usize) -> bool {
        if len < min {
            self.push(
                path,
                if min == 1 {
                    Rule::NotEmpty
                } else {
                    Rule::MinItems(min)
                },
            );
            false
        } else if len > max {
            self.push(path, Rule::MaxItems(max));
            false
        } else {
            true
        }
    }

    /// An integer (number or numeric string) in `min..=max`.
    pub(crate) fn integer(
        &mut self,
        path: &Path,
        value: &NumberOrText,
        (min, max): (i64, i64),
    ) -> Option<i64> {
        let Some(number) = value.as_i64() else {
            self.push(path, Rule::Format(INTEGER));
            return None;
        };
        if !(min..=max).contains(&number) {
            self.push(path, Rule::Range { min, max });
            return None;
        }
        Some(number)
    }

    /// A required http(s) URL.
    pub(crate) fn required_url(&mut self, path: &Path, value: Option<String>) -> Option<String> {
        let value = self.required_id(path, value)?;
        if !is_http_url(&value) {
            self.push(path, Rule::Format(HTTP_URL));
            return None;
        }
        Some(value)
    }

    /// A required keyword, in any accepted spelling.
    pub(crate) fn keyword<K: Keyword>(&mut self, path: &Path, value: Option<&str>) -> Option<K> {
        let text = self.required(path, value)?;
        let parsed = K::parse(text);
        if parsed.is_none() {
            self.push(path, Rule::OneOf(K::NAMES));
        }
        parsed
    }

    /// A required keyword restricted to `allowed` (canonical names).
    pub(crate) fn keyword_in<K: Keyword>(
        &mut self,
        path: &Path,
        value: Option<&str>,
        allowed: &'static [&'static str],
    ) -> Option<K> {
        let text = self.required(path, value)?;
        let parsed = K::parse(text).filter(|kind| allowed.contains(&kind.name()));
        if parsed.is_none() {
            self.push(path, Rule::OneOf(allowed));
        }
        parsed
    }

    /// A fixed keyword such as `action.name` = `flow`: required or optional,
    /// and when present equal (after normalisation) to `expected[0]`.
    pub(crate) fn fixed_name(
        &mut self,
        path: &Path,
        value: Option<&str>,
        expected: &'static [&'static str],
        required: bool,
    ) -> bool {
        match value {
            None if required => {
                self.push(path, Rule::Required);
                false
            }
            None => true,
            Some(text) => {
                let ok = expected
                    .first()
                    .is_some_and(|name| normalise(text) == *name);
                if !ok {
                    self.push(path, Rule::OneOf(expected));
                }
                ok
            }
        }
    }

    /// A non-empty JSON object (flow data), or a violation.
    pub(crate) fn json_object(&mut self, path: &Path, value: Value) -> Option<Map<String, Value>> {
        match value {
            Value::Object(map) if map.is_empty() => {
                self.push(path, Rule::NotEmpty);
                None
            }
            Value::Object(map) => Some(map),
            _ => {
                self.push(path, Rule::Format(JSON_OBJECT));
                None
            }
        }
    }

    /// Fields that must not be present here: each `(name, present)` that is
    /// present gets `NotAllowed(why)` at `parent.name`.
    pub(crate) fn forbid(
        &mut self,
        parent: &Path,
        fields: &[(&str, bool)],
        why: &'static str,
    ) -> bool {
        let mut ok = true;
        for (name, present) in fields {
            if *present {
                self.push(&parent.field(name), Rule::NotAllowed(why));
                ok = false;
            }
        }
        ok
    }
}

/// Remembers values seen within one message; a repeat is a semantic
/// `Duplicate` violation naming the first occurrence.
#[derive(Debug, Default)]
pub(crate) struct Unique(HashMap<String, String>);

impl Unique {
    pub(crate) fn check(&mut self, violations: &mut Violations, path: &Path, value: &str) -> bool {
        match self.0.get(value) {
            Some(first) => {
                violations.push(
                    path,
                    Rule::Duplicate {
                        first: first.clone(),
                    },
                );
                false
            }
            None => {
                self.0.insert(value.to_owned(), path.as_str().to_owned());
                true
            }
        }
    }
}

/// Checks the `card_index` of carousel cards (interactive and template): an
/// integer 0–9, unique within the message.
pub(crate) fn card_index(
    violations: &mut Violations,
    seen: &mut Unique,
    path: &Path,
    value: Option<NumberOrText>,
) -> Option<i64> {
    let value = violations.required(path, value)?;
    let index = violations.integer(path, &value, (0, CARD_INDEX_MAX))?;
    seen.check(violations, path, &index.to_string())
        .then_some(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_spellings_normalise_to_snake_case() {
        for (input, expected) in [
            ("quickReply", "quick_reply"),
            ("quick_reply", "quick_reply"),
            ("CATALOG", "catalog"),
            ("dateTime", "date_time"),
            ("product list", "product_list"),
            ("catalog message", "catalog_message"),
            ("copy_code", "copy_code"),
            (" url ", "url"),
            ("limitedTimeOffer", "limited_time_offer"),
            ("amount1000", "amount1000"),
        ] {
            assert_eq!(normalise(input), expected, "{input}");
        }
    }

    #[test]
    fn only_http_urls_are_urls() {
        assert!(is_http_url("https://example.com/a.png"));
        assert!(is_http_url("HTTP://example.com"));
        for link in [
            "ftp://example.com",
            "example.com",
            "https://",
            "http(s)://the-url",
            "",
        ] {
            assert!(!is_http_url(link), "{link}");
        }
    }

    #[test]
    fn duplicates_name_the_first_occurrence() {
        let mut violations = Violations::default();
        let mut seen = Unique::default();
        let root = Path::root("buttons");
        assert!(seen.check(&mut violations, &root.index(0), "a"));
        assert!(seen.check(&mut violations, &root.index(1), "b"));
        assert!(!seen.check(&mut violations, &root.index(2), "a"));
        assert_eq!(
            violations.into_vec(),
            vec![Violation::new(
                "buttons[2]",
                Rule::Duplicate {
                    first: "buttons[0]".into()
                }
            )]
        );
    }
}
