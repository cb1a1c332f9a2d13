//! The Devino dialect's error body, in one place.
//!
//! The spec answers each message with `{"code":"REJECTED","reasons":[{"key",
//! "ref"?}],"description"}` inside `{"result":[…]}`; it has no body for a
//! request that fails before any message is read. Such a failure answers
//! that same rejection object on its own (no `result` array, since no
//! message was processed), with the spec's keys: `length.too.long` for a
//! body over the size limit, `invalid` for a body that could not be read
//! and `unknown` for the rest, and the HTTP status saying what happened
//! (404, 405, 408, 413, 400).

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::api::protocol::ProtocolError;

#[derive(Debug, thiserror::Error)]
pub enum DevinoError {
    #[error("{0}")]
    Protocol(#[from] ProtocolError),
}

#[derive(Serialize)]
struct Rejected {
    code: &'static str,
    reasons: Vec<Reason>,
    description: String,
}

#[derive(Serialize)]
struct Reason {
    key: &'static str,
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    reference: Option<&'static str>,
}

impl IntoResponse for DevinoError {
    fn into_response(self) -> Response {
        let Self::Protocol(error) = &self;
        let key = match error {
            ProtocolError::TooLarge { .. } => "length.too.long",
            ProtocolError::BodyUnreadable(_) => "invalid",
            ProtocolError::NoRoute { .. }
            | ProtocolError::MethodNotAllowed { .. }
            | ProtocolError::BodyTimeout(_) => "unknown",
        };
        let body = Rejected {
            code: "REJECTED",
            reasons: vec![Reason {
                key,
                reference: None,
            }],
            description: self.to_string(),
        };
        (error.status(), Json(body)).into_response()
    }
}
