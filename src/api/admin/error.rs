//! The admin API's errors and their HTTP answers, in one place:
//! `{"error": "<kind>", "message": "<what and why>"}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::api::protocol::ProtocolError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("the admin API is disabled: start wagate with --admin-token")]
    Disabled,
    #[error("missing or wrong admin token")]
    Unauthorized,
    #[error("{0}")]
    Invalid(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("already exists: {0}")]
    Conflict(String),
    #[error("still in use: {0}")]
    InUse(String),
    /// No such endpoint or method, or a body too large, too slow or broken.
    #[error("{0}")]
    Protocol(#[from] ProtocolError),
    #[error("internal error")]
    Internal,
}

impl From<crate::api::text::Unstorable> for AdminError {
    fn from(unstorable: crate::api::text::Unstorable) -> Self {
        Self::Invalid(unstorable.to_string())
    }
}

impl From<StoreError> for AdminError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(what) => Self::Conflict(what),
            StoreError::NotFound(what) => Self::NotFound(what),
            StoreError::InUse(what) => Self::InUse(what),
            other => {
                tracing::error!(error = %other, "store failure in the admin API");
                Self::Internal
            }
        }
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let (status, kind) = match &self {
            Self::Disabled => (StatusCode::FORBIDDEN, "disabled"),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Conflict(_) | Self::InUse(_) => (StatusCode::CONFLICT, "conflict"),
            Self::Protocol(error) => (
                error.status(),
                match error {
                    ProtocolError::NoRoute { .. } => "not_found",
                    ProtocolError::MethodNotAllowed { .. } => "method_not_allowed",
                    ProtocolError::TooLarge { .. } => "too_large",
                    ProtocolError::BodyTimeout(_) => "timeout",
                    ProtocolError::BodyUnreadable(_) => "invalid",
                },
            ),
            Self::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        (
            status,
            Json(json!({"error": kind, "message": self.to_string()})),
        )
            .into_response()
    }
}
