//! Reading JSON request bodies with the path of whatever is wrong in them,
//! text the store cannot keep included ([`super::text`]).

use serde::de::DeserializeOwned;

use super::text::{Unstorable, first_nul_in_json};

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    /// Not JSON at all (syntax error, truncated, empty).
    #[error("the body is not valid JSON: {0}")]
    Syntax(String),
    /// JSON of the wrong shape: the path of the field and serde's words.
    #[error("{path}: {message}")]
    Shape { path: String, message: String },
    /// Well-formed, but a string holds text the store cannot keep.
    #[error(transparent)]
    Unstorable(#[from] Unstorable),
}

pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, JsonError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(classify)?;
    deserializer
        .end()
        .map_err(|error| JsonError::Syntax(error.to_string()))?;
    if let Some(unstorable) = first_nul_in_json(body) {
        return Err(unstorable.into());
    }
    Ok(value)
}

fn classify(error: serde_path_to_error::Error<serde_json::Error>) -> JsonError {
    let path = error.path().to_string();
    let inner = error.into_inner();
    if inner.is_data() {
        JsonError::Shape {
            path: if path == "." { String::new() } else { path },
            message: strip_position(&inner.to_string()),
        }
    } else {
        JsonError::Syntax(inner.to_string())
    }
}

/// serde_json appends " at line 1 column 42" to data errors; the path says
/// more than that.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Outer {
        #[allow(dead_code)]
        inner: Vec<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    struct Inner {
        #[allow(dead_code)]
        count: u32,
    }

    #[test]
    fn syntax_and_shape_errors_are_told_apart() {
        assert!(matches!(
            parse::<Outer>(b"{\"inner\": ["),
            Err(JsonError::Syntax(_))
        ));
        assert!(matches!(
            parse::<Outer>(b"not json"),
            Err(JsonError::Syntax(_))
        ));
        assert!(matches!(
            parse::<Outer>(br#"{"inner": []} trailing"#),
            Err(JsonError::Syntax(_))
        ));
        match parse::<Outer>(br#"{"inner": [{"count": 1}, {"count": "x"}]}"#) {
            Err(JsonError::Shape { path, message }) => {
                assert_eq!(path, "inner[1].count");
                assert!(message.starts_with("invalid type: string"), "{message}");
                assert!(!message.contains("line"), "{message}");
            }
            other => panic!("expected a shape error, got {other:?}"),
        }
    }
}
