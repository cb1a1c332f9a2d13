//! The Devino dialect's failures of a whole request, in one place.
//!
//! The spec answers each message with `{"code":"REJECTED","reasons":[{"key",
//! "ref"?}],"description"}` inside `{"result":[…]}` (see [`super::send`]);
//! it has no body for a request that fails before any message is read. Such
//! a failure answers that same rejection object on its own (no `result`
//! array, since no message was processed), with the spec's keys:
//! `forbidden` for a missing or wrong API key (401), `length.too.long` for
//! a body over the size limit, `invalid` for a body that is not JSON or not
//! the right shape, `must.be.not.null`/`too.many.messages` for a batch
//! without messages or with too many, `unknown` for the rest, and the HTTP
//! status saying what happened.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::reason::Reason;
use crate::api::protocol::ProtocolError;

#[derive(Debug, thiserror::Error)]
pub enum DevinoError {
    #[error("{0}")]
    Protocol(#[from] ProtocolError),
    /// No API key, or one no user has.
    #[error("a valid API key is required (Authorization: Key <apiKey>, or X-Api-Key)")]
    Unauthorized,
    /// The request as a whole is wrong (not JSON, no messages, too many).
    #[error("{}", .0.description)]
    Rejected(Reason),
    /// No such message for this tenant.
    #[error("messageId {0}: no such message")]
    NotFound(String),
    /// Something failed inside the gateway; logged where it happened.
    #[error("server error; nothing of the request was stored")]
    Internal,
}

/// The spec's rejection object.
#[derive(Debug, Serialize)]
pub struct Rejection {
    pub code: &'static str,
    pub reasons: Vec<Reason>,
    pub description: String,
}

impl Rejection {
    pub fn new(reasons: Vec<Reason>) -> Self {
        let description = reasons
            .iter()
            .map(|reason| reason.description.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            code: "REJECTED",
            reasons,
            description,
        }
    }
}

impl From<crate::store::StoreError> for DevinoError {
    fn from(error: crate::store::StoreError) -> Self {
        tracing::error!(%error, "store failure in the Devino API");
        Self::Internal
    }
}

impl IntoResponse for DevinoError {
    fn into_response(self) -> Response {
        let description = self.to_string();
        let (status, reason) = match self {
            Self::Protocol(error) => {
                let key = match error {
                    ProtocolError::TooLarge { .. } => "length.too.long",
                    ProtocolError::BodyUnreadable(_) => "invalid",
                    ProtocolError::NoRoute { .. }
                    | ProtocolError::MethodNotAllowed { .. }
                    | ProtocolError::BodyTimeout(_) => "unknown",
                };
                (error.status(), Reason::general(key, description))
            }
            Self::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                Reason::general("forbidden", description),
            ),
            Self::Rejected(reason) => (StatusCode::BAD_REQUEST, reason),
            Self::NotFound(_) => (
                StatusCode::NOT_FOUND,
                Reason::general("invalid", description),
            ),
            Self::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                Reason::general("unknown", description),
            ),
        };
        (status, Json(Rejection::new(vec![reason]))).into_response()
    }
}
