//! The small JSON error body `{"error": "<what went wrong>"}` of the routes
//! outside the two dialects and the admin API: Meta's webhook, the sandbox
//! and the Cloud API simulator's controls.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// What went wrong, in words.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"error": "missing or wrong X-Hub-Signature-256"}))]
pub struct Problem {
    pub error: String,
}

impl Problem {
    /// The answer `status` with this body.
    pub fn response(status: StatusCode, error: impl Into<String>) -> Response {
        (
            status,
            Json(Self {
                error: error.into(),
            }),
        )
            .into_response()
    }
}
