//! Fields the LINK document shows sometimes as a JSON string and sometimes as
//! a number (button `index` `"0"` or `0`, `amount1000` `"100990"` or
//! `100990`, DateTime parts, `card_index`, coordinates): they are read as
//! [`NumberOrText`] without buffering (so `serde_path_to_error` keeps the
//! path), and converted, with a violation naming the field, in `validate`.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// A JSON number or string, as the client sent it.
#[derive(Debug, Clone, PartialEq)]
pub enum NumberOrText {
    Integer(i64),
    Float(f64),
    Text(String),
}

impl NumberOrText {
    /// The value as an integer: an integer, an integral float (`3.0`) or a
    /// string holding an integer (`" 42 "`); `None` for anything else.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Integer(value) => Some(*value),
            Self::Float(value) => {
                let integral = value.fract() == 0.0 && value.abs() < 9.0e15;
                integral.then_some(*value as i64)
            }
            Self::Text(text) => text.trim().parse().ok(),
        }
    }

    /// The value as a finite float: a number or a string holding one.
    pub fn as_f64(&self) -> Option<f64> {
        let value = match self {
            Self::Integer(value) => *value as f64,
            Self::Float(value) => *value,
            Self::Text(text) => text.trim().parse().ok()?,
        };
        value.is_finite().then_some(value)
    }
}

/// In the OpenAPI document: a number, or a string holding one.
impl utoipa::PartialSchema for NumberOrText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::Number, Type::String]))
            .description(Some("A number, or a string holding a number."))
            .into()
    }
}

impl utoipa::ToSchema for NumberOrText {}

impl<'de> Deserialize<'de> for NumberOrText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NumberOrTextVisitor)
    }
}

struct NumberOrTextVisitor;

impl Visitor<'_> for NumberOrTextVisitor {
    type Value = NumberOrText;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or a string holding a number")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<NumberOrText, E> {
        Ok(NumberOrText::Integer(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<NumberOrText, E> {
        Ok(i64::try_from(value)
            .map(NumberOrText::Integer)
            .unwrap_or_else(|_| NumberOrText::Text(value.to_string())))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<NumberOrText, E> {
        Ok(NumberOrText::Float(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<NumberOrText, E> {
        Ok(NumberOrText::Text(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<NumberOrText, E> {
        Ok(NumberOrText::Text(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Result<NumberOrText, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn numbers_and_strings_both_read_as_integers() {
        for (json, expected) in [
            ("0", 0),
            ("\"0\"", 0),
            ("100990", 100990),
            ("\"100990\"", 100990),
            ("3.0", 3),
            ("\" 7 \"", 7),
            ("-5", -5),
        ] {
            assert_eq!(
                read(json).ok().and_then(|v| v.as_i64()),
                Some(expected),
                "{json}"
            );
        }
    }

    #[test]
    fn non_integers_are_not_integers() {
        for json in [
            "\"100.99\"",
            "100.99",
            "\"abc\"",
            "\"\"",
            "18446744073709551615",
        ] {
            assert_eq!(read(json).ok().and_then(|v| v.as_i64()), None, "{json}");
        }
    }

    #[test]
    fn floats_read_from_numbers_and_strings() {
        assert_eq!(
            read("59.3120499").ok().and_then(|v| v.as_f64()),
            Some(59.3120499)
        );
        assert_eq!(read("\"-18.5\"").ok().and_then(|v| v.as_f64()), Some(-18.5));
        assert_eq!(read("\"NaN\"").ok().and_then(|v| v.as_f64()), None);
    }

    #[test]
    fn other_json_types_are_refused() {
        for json in ["true", "null", "[]", "{}"] {
            assert!(read(json).is_err(), "{json}");
        }
    }
}
