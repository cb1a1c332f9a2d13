//! Failures of the HTTP exchange itself, met before a dialect reads the
//! request: a path that does not exist, a method the path does not take, a
//! body too large, too slow or broken. Each dialect answers them in its
//! own error body (`From<ProtocolError>`); the fallbacks and the body
//! extractor here are where they arise.

use std::marker::PhantomData;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, OriginalUri, Request};
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;

use super::AppState;
use crate::http_server::body::BodyReadTimeout;

#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("no such endpoint: {method} {path}")]
    NoRoute { method: Method, path: String },
    #[error("{path} does not take {method}")]
    MethodNotAllowed { method: Method, path: String },
    #[error("the body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the body did not arrive within {}", humantime::format_duration(*.0))]
    BodyTimeout(Duration),
    #[error("the body could not be read: {0}")]
    BodyUnreadable(String),
}

impl ProtocolError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NoRoute { .. } => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::BodyUnreadable(_) => StatusCode::BAD_REQUEST,
        }
    }

    /// Why reading a body failed; `limit` is the configured size limit.
    fn from_body(rejection: BytesRejection, limit: usize) -> Self {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&rejection);
        while let Some(error) = source {
            if let Some(BodyReadTimeout(timeout)) = error.downcast_ref::<BodyReadTimeout>() {
                return Self::BodyTimeout(*timeout);
            }
            source = error.source();
        }
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::TooLarge { limit }
        } else {
            Self::BodyUnreadable(rejection.body_text())
        }
    }
}

/// The fallback of a dialect's router: no route has this path.
pub async fn no_route<E: From<ProtocolError>>(method: Method, OriginalUri(uri): OriginalUri) -> E {
    E::from(ProtocolError::NoRoute {
        method,
        path: uri.path().to_owned(),
    })
}

/// The fallback of a dialect's routes for methods they do not take.
pub async fn method_not_allowed<E: From<ProtocolError>>(
    method: Method,
    OriginalUri(uri): OriginalUri,
) -> E {
    E::from(ProtocolError::MethodNotAllowed {
        method,
        path: uri.path().to_owned(),
    })
}

/// A request body read whole (within the size limit and the body-read
/// deadline), failing in the dialect's error `E`.
pub struct RawBody<E> {
    pub bytes: Bytes,
    dialect: PhantomData<fn() -> E>,
}

impl<E> FromRequest<AppState> for RawBody<E>
where
    E: From<ProtocolError> + IntoResponse,
{
    type Rejection = E;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, E> {
        match Bytes::from_request(request, state).await {
            Ok(bytes) => Ok(Self {
                bytes,
                dialect: PhantomData,
            }),
            Err(rejection) => Err(E::from(ProtocolError::from_body(
                rejection,
                state.max_body_bytes,
            ))),
        }
    }
}
