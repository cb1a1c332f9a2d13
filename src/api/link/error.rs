//! LINK's `ErrorResponse`: every failure of the LINK dialect becomes one of
//! these, with its HTTP status and result code decided here and nowhere else.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use wagate_domain::{ResultCode, Rule, Violation, ViolationKind};

use super::i18n;
use crate::api::protocol::ProtocolError;
use crate::intake::IntakeError;

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Missing or wrong credentials.
    #[error("Unauthorized")]
    Unauthorized,
    /// The user may not use what the request names (the text says what).
    #[error("No access: {0}")]
    NoAccess(String),
    /// The body is not JSON.
    #[error("Invalid JSON: {0}")]
    InvalidPayload(String),
    /// The body breaks a rule; the violation's kind picks 112506 or 112402.
    #[error("{0}")]
    Invalid(Violation),
    /// A part of a media upload is missing or breaks a rule (its type, its
    /// size, the order of the parts): 112502.
    #[error("{0}")]
    File(Violation),
    /// The HTTP exchange failed before the request was read: no such
    /// endpoint or method, a body too large, too slow or broken.
    #[error("{0}")]
    Protocol(#[from] ProtocolError),
    /// A query parameter breaks a rule (the text names it and the rule).
    #[error("{0}")]
    BadParameter(String),
    /// No such message for this tenant.
    #[error("messageId {0}: no such message")]
    NotFound(String),
    /// Meta refused a call made for the request (its message, and its
    /// error object when it gave one).
    #[error("Meta refused the request: {0}")]
    MetaRefused(MetaRefusal),
    /// Meta did not answer a call made for the request.
    #[error("no answer from Meta: {0}")]
    MetaUnreachable(String),
    /// The source made its allowance of management calls in the window;
    /// the next is admitted after the duration (`Retry-After`).
    #[error("Too many requests: this source's limit of management calls is reached; retry in {}s", retry_after_seconds(*.0))]
    RateLimited(std::time::Duration),
    /// Something failed inside the gateway; logged where it happened.
    #[error("Server error")]
    Internal,
}

/// Whole seconds to wait, rounded up (at least one).
pub fn retry_after_seconds(wait: std::time::Duration) -> u64 {
    wait.as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0))
        .max(1)
}

/// Meta's refusal: what it said, and its error object as it wrote it.
#[derive(Debug)]
pub struct MetaRefusal {
    pub description: String,
    pub error: Option<serde_json::Value>,
}

impl std::fmt::Display for MetaRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

/// LINK's `ErrorResponse`.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "resultCode": 112506,
    "description": "refId: is required",
    "translatedDescription": null
}))]
pub struct ErrorResponse {
    /// LINK's result code (`112400`, `112401`, `112402`, `112500`, …).
    result_code: u32,
    description: String,
    /// `description` in the request's `Accept-Language`, when the gateway
    /// has it in that language; otherwise null.
    #[schema(required = true)]
    translated_description: Option<String>,
    /// Meta's error object, when Meta refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    details: Option<serde_json::Value>,
}

impl LinkError {
    pub fn status_and_code(&self) -> (StatusCode, ResultCode) {
        match self {
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, ResultCode::Unauthorized),
            Self::NoAccess(_) => (StatusCode::FORBIDDEN, ResultCode::NoAccess),
            Self::InvalidPayload(_) => (StatusCode::BAD_REQUEST, ResultCode::InvalidPayload),
            Self::Invalid(violation) => match violation.kind() {
                ViolationKind::Schema => (StatusCode::BAD_REQUEST, ResultCode::ValidationError),
                ViolationKind::Semantic => (StatusCode::BAD_REQUEST, ResultCode::BadRequest),
            },
            Self::File(_) => (StatusCode::BAD_REQUEST, ResultCode::FileProcessingError),
            Self::Protocol(error @ ProtocolError::BodyUnreadable(_)) => {
                (error.status(), ResultCode::InvalidPayload)
            }
            Self::Protocol(error) => (error.status(), ResultCode::BadRequest),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, ResultCode::BadRequest),
            Self::BadParameter(_) => (StatusCode::BAD_REQUEST, ResultCode::BadRequest),
            Self::MetaRefused(_) => (StatusCode::BAD_REQUEST, ResultCode::ExternalRequestFailed),
            Self::MetaUnreachable(_) => {
                (StatusCode::BAD_REQUEST, ResultCode::ExternalConnectionError)
            }
            // LINK's Rate Limiting section names no code of its own: the
            // request cannot be honoured now (112402), the status says why.
            Self::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, ResultCode::BadRequest),
            Self::Internal => (StatusCode::INTERNAL_SERVER_ERROR, ResultCode::ServerError),
        }
    }

    /// The most telling of several violations: a schema violation first
    /// (the request is malformed), else the first semantic one.
    pub fn from_violations(mut violations: Vec<Violation>) -> Self {
        if violations.is_empty() {
            return Self::Internal;
        }
        let position = violations
            .iter()
            .position(|violation| violation.kind() == ViolationKind::Schema)
            .unwrap_or(0);
        Self::Invalid(violations.swap_remove(position))
    }
}

impl From<crate::api::text::Unstorable> for LinkError {
    fn from(unstorable: crate::api::text::Unstorable) -> Self {
        Self::Invalid(Violation::new(
            unstorable.path,
            Rule::Format("text without the NUL character (U+0000)"),
        ))
    }
}

impl From<crate::store::StoreError> for LinkError {
    fn from(error: crate::store::StoreError) -> Self {
        tracing::error!(%error, "store failure in the LINK API");
        Self::Internal
    }
}

impl From<IntakeError> for LinkError {
    fn from(error: IntakeError) -> Self {
        match error {
            IntakeError::ForeignSource(_) => Self::NoAccess(error.to_string()),
            IntakeError::UnknownGate { index } => Self::Invalid(Violation::new(
                format!("eventReportGates[{index}]"),
                Rule::Unknown("event report gate of this account"),
            )),
            IntakeError::RenderedTooLarge(max) => {
                Self::Invalid(Violation::new("messages", Rule::MaxRenderedBytes(max)))
            }
            // LINK requests name no callback URL of their own.
            IntakeError::CallbackUrl(reason) => {
                tracing::error!(%reason, "a LINK request met a callback URL check");
                Self::Internal
            }
            IntakeError::Store(error) => error.into(),
            // Logged where it happened (see `intake::commit`).
            IntakeError::Commit(_) => Self::Internal,
        }
    }
}

impl From<crate::upstream::meta::SendError> for LinkError {
    fn from(error: crate::upstream::meta::SendError) -> Self {
        use crate::upstream::meta::SendError;
        match error {
            SendError::Meta { error, .. } => Self::MetaRefused(MetaRefusal {
                description: error
                    .user_message()
                    .or(error.details())
                    .unwrap_or(&error.message)
                    .to_owned(),
                error: serde_json::to_value(&error).ok(),
            }),
            other @ SendError::Unexpected { .. } => Self::MetaRefused(MetaRefusal {
                description: other.to_string(),
                error: None,
            }),
            SendError::Unreachable(why) => Self::MetaUnreachable(why),
        }
    }
}

impl IntoResponse for LinkError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let retry_after = match &self {
            Self::RateLimited(wait) => Some(retry_after_seconds(*wait)),
            _ => None,
        };
        let body = ErrorResponse {
            result_code: code.code(),
            description: self.to_string(),
            translated_description: i18n::translate_current(&self),
            details: match self {
                Self::MetaRefused(MetaRefusal { error, .. }) => error,
                _ => None,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// A LINK error as the media upload endpoints answer it: the spec's
/// `{"status": code, "description", "translatedDescription"}` (`status`
/// where the other endpoints say `resultCode`); status and code as above.
#[derive(Debug)]
pub struct MediaUploadError(pub LinkError);

impl From<LinkError> for MediaUploadError {
    fn from(error: LinkError) -> Self {
        Self(error)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MediaErrorResponse {
    status: u32,
    description: String,
    translated_description: Option<String>,
}

impl IntoResponse for MediaUploadError {
    fn into_response(self) -> Response {
        let Self(error) = self;
        let (status, code) = error.status_and_code();
        let body = MediaErrorResponse {
            status: code.code(),
            description: error.to_string(),
            translated_description: i18n::translate_current(&error),
        };
        (status, Json(body)).into_response()
    }
}
