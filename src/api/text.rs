//! Text the store cannot keep, dealt with at the edge: PostgreSQL's `text`
//! and `jsonb` reject the NUL character (U+0000), so a request carrying one
//! would fail only at commit, as a 500. A customer's request is refused,
//! naming the field, before anything reaches the store, on both backends
//! alike; what Meta sends (a user's message) is kept, with each NUL
//! replaced by U+FFFD.

use std::fmt::Write;

use serde_json::Value;

/// The NUL character, as a JSON body spells it.
const ESCAPED_NUL: &[u8] = b"\\u0000";

/// A field holding text the store cannot keep.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: must not contain the NUL character (U+0000)")]
pub struct Unstorable {
    /// The field, as serde paths read: `messages[0].text.body`.
    pub path: String,
}

/// Refuses `text` in the field `field` if the store cannot keep it.
pub fn check(field: &str, text: &str) -> Result<(), Unstorable> {
    if text.contains('\0') {
        Err(Unstorable {
            path: field.to_owned(),
        })
    } else {
        Ok(())
    }
}

/// The first string or key in the JSON document `body` that holds a NUL.
/// Cheap for the usual body: only one that spells `\u0000` somewhere is
/// parsed again and searched.
pub fn first_nul_in_json(body: &[u8]) -> Option<Unstorable> {
    memchr::memmem::find(body, ESCAPED_NUL)?;
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        // Bytes that are not UTF-8 inside a string: a typed reader that
        // skips the field (an unknown one) still takes the body, so the
        // rest is searched with those bytes replaced.
        Err(_) => serde_json::from_str(&String::from_utf8_lossy(body)).ok()?,
    };
    let mut path = String::new();
    find_nul(&value, &mut path).then_some(Unstorable { path })
}

/// Replaces each NUL in the strings and keys of the JSON document `value`,
/// parsed from `body`, by U+FFFD (the replacement character).
pub fn replace_nuls(body: &[u8], value: &mut Value) {
    if memchr::memmem::find(body, ESCAPED_NUL).is_some() {
        replace_nuls_in(value);
    }
}

fn replace_nuls_in(value: &mut Value) {
    match value {
        Value::String(text) => {
            if text.contains('\0') {
                *text = text.replace('\0', "\u{fffd}");
            }
        }
        Value::Array(items) => items.iter_mut().for_each(replace_nuls_in),
        Value::Object(fields) => {
            if fields.keys().any(|key| key.contains('\0')) {
                *fields = std::mem::take(fields)
                    .into_iter()
                    .map(|(key, item)| (key.replace('\0', "\u{fffd}"), item))
                    .collect();
            }
            fields.values_mut().for_each(replace_nuls_in);
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Whether `value` holds a NUL; `path` is left naming where.
fn find_nul(value: &Value, path: &mut String) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().enumerate().any(|(index, item)| {
            let length = path.len();
            let _ = write!(path, "[{index}]");
            let found = find_nul(item, path);
            if !found {
                path.truncate(length);
            }
            found
        }),
        Value::Object(fields) => fields.iter().any(|(key, item)| {
            let length = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(key);
            let found = key.contains('\0') || find_nul(item, path);
            if !found {
                path.truncate(length);
            }
            found
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_of_the_first_nul_is_named() {
        let cases: &[(&[u8], Option<&str>)] = &[
            (br#"{"refId": "a\u0000b"}"#, Some("refId")),
            (
                br#"{"messages": [{"text": {"body": "ok"}}, {"text": {"body": "\u0000"}}]}"#,
                Some("messages[1].text.body"),
            ),
            (
                br#"{"destinations": ["+4670", "\u0000"]}"#,
                Some("destinations[1]"),
            ),
            (
                br#"{"customParameters": {"k\u0000": "v"}}"#,
                Some("customParameters.k\0"),
            ),
            (br#"["\u0000"]"#, Some("[0]")),
            // A backslash followed by "u0000" is not a NUL.
            (br#"{"refId": "\\u0000"}"#, None),
            (br#"{"refId": "plain"}"#, None),
            // Not UTF-8 in a field a typed reader skips.
            (
                b"{\"x\": \"\xff\xff\", \"text\": \"a\\u0000b\"}",
                Some("text"),
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(
                first_nul_in_json(body).map(|found| found.path),
                expected.map(str::to_owned),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn nuls_from_meta_are_replaced() {
        let body = br#"{"text": {"body": "a\u0000b"}, "k\u0000": ["\u0000", 1]}"#;
        let mut value: Value = serde_json::from_slice(body).expect("json");
        replace_nuls(body, &mut value);
        assert_eq!(
            value,
            serde_json::json!({"text": {"body": "a\u{fffd}b"}, "k\u{fffd}": ["\u{fffd}", 1]})
        );
        assert_eq!(first_nul_in_json(value.to_string().as_bytes()), None);
    }

    #[test]
    fn a_field_with_a_nul_is_refused_by_name() {
        assert_eq!(check("messageId", "abc"), Ok(()));
        assert_eq!(
            check("messageId", "a\0c").map_err(|error| error.to_string()),
            Err("messageId: must not contain the NUL character (U+0000)".to_owned())
        );
    }
}
