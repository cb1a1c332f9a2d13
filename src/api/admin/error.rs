//! The admin API's errors and their HTTP answers, in one place:
//! `{"error": "<kind>", "message": "<what and why>"}`. The OpenAPI document
//! names, per call, the failures it can answer (the `…Failures` sets).

use std::collections::BTreeMap;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::IntoResponses;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

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

/// The body of every failure.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AdminErrorBody, example = json!({"error": "not_found", "message": "not found: gate g1"}))]
pub struct ErrorBody {
    /// The kind of failure.
    #[schema(value_type = String, example = "invalid", pattern = "^(disabled|unauthorized|invalid|not_found|conflict|method_not_allowed|too_large|timeout|internal)$")]
    error: &'static str,
    /// What and why, naming the field that is wrong.
    message: String,
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
        let body = ErrorBody {
            error: kind,
            message: self.to_string(),
        };
        (status, Json(body)).into_response()
    }
}

/// The documented failures with the statuses `codes` (every one answers
/// an [`ErrorBody`]); each admin call can also answer 401, 403 and 500.
fn failures(codes: &[StatusCode]) -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
    let always = [
        StatusCode::UNAUTHORIZED,
        StatusCode::FORBIDDEN,
        StatusCode::INTERNAL_SERVER_ERROR,
    ];
    codes
        .iter()
        .chain(&always)
        .map(|status| {
            let description = match status.as_u16() {
                400 => "`invalid`: the body, a path id or the query is wrong.",
                401 => "`unauthorized`: no or a wrong admin token.",
                403 => "`disabled`: the gateway runs without an admin token.",
                404 => "`not_found`: no such object, or a reference to one.",
                408 => "`timeout`: the body did not arrive in time.",
                409 => "`conflict`: a duplicate, or still in use.",
                413 => "`too_large`: the body is larger than the size limit.",
                _ => "`internal`: the gateway failed.",
            };
            let response = ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("AdminErrorBody")))
                        .build(),
                )
                .build();
            (status.as_str().to_owned(), RefOr::T(response))
        })
        .collect()
}

/// Declares marker types whose documented responses are [`failures`] with
/// the given statuses.
macro_rules! failure_sets {
    ($($(#[$doc:meta])* $name:ident: [$($status:ident),*];)*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
                failures(&[$(StatusCode::$status),*])
            }
        }
    )*};
}

failure_sets! {
    /// A call without a body or parameters.
    ListFailures: [];
    /// A call naming an object (path and query parameters).
    ReadFailures: [BAD_REQUEST, NOT_FOUND];
    /// A delete: the object may still be in use.
    DeleteFailures: [BAD_REQUEST, NOT_FOUND, CONFLICT];
    /// A create: the body, a reference, a duplicate.
    CreateFailures: [BAD_REQUEST, NOT_FOUND, REQUEST_TIMEOUT, CONFLICT, PAYLOAD_TOO_LARGE];
}
