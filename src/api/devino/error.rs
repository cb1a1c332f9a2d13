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
//! status saying what happened. [`SendFailures`] and [`QueryFailures`] are
//! these answers as the OpenAPI document describes them.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::IntoResponses;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

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
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = DevinoRejection, example = json!({"code": "REJECTED",
    "reasons": [{"key": "must.be.not.null", "ref": "messages[0].to"}],
    "description": "messages[0].to: is required"}))]
pub struct Rejection {
    /// Always `REJECTED`.
    #[schema(schema_with = rejected_code)]
    pub code: &'static str,
    /// Why, one entry per broken rule (at least one).
    #[schema(min_items = 1)]
    pub reasons: Vec<Reason>,
    /// The reasons in words, joined by `; `.
    pub description: String,
}

/// A string schema allowing only `values`.
pub(super) fn words(values: &[&str]) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
        .build()
}

fn rejected_code() -> Object {
    words(&["REJECTED"])
}

/// The failures of a whole request, documented with the statuses `codes`
/// (the body is always a [`Rejection`]).
fn failures(codes: &[StatusCode]) -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
    codes
        .iter()
        .map(|status| {
            let description = match status.as_u16() {
                400 => "The body is not JSON or not the right shape (a batch: no messages, or too many); nothing was sent.",
                401 => "No API key, or one no user has (`forbidden`).",
                404 => "No such message of this account.",
                408 => "The body did not arrive in time.",
                413 => "The body is larger than the size limit (`length.too.long`).",
                _ => "The gateway failed; nothing of the request was stored (`unknown`).",
            };
            let response = ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("DevinoRejection")))
                        .build(),
                )
                .build();
            (status.as_str().to_owned(), RefOr::T(response))
        })
        .collect()
}

/// Failures of a call with a body (the sends).
pub struct SendFailures;

impl IntoResponses for SendFailures {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        failures(&[
            StatusCode::BAD_REQUEST,
            StatusCode::UNAUTHORIZED,
            StatusCode::REQUEST_TIMEOUT,
            StatusCode::PAYLOAD_TOO_LARGE,
            StatusCode::INTERNAL_SERVER_ERROR,
        ])
    }
}

/// Failures of the status query.
pub struct QueryFailures;

impl IntoResponses for QueryFailures {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        failures(&[
            StatusCode::UNAUTHORIZED,
            StatusCode::NOT_FOUND,
            StatusCode::INTERNAL_SERVER_ERROR,
        ])
    }
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
