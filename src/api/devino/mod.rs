//! The Devino Direct WA API (`spec/devino-direct-wa-api.txt`), under its
//! base path `/whatsapp/v2`: a thin layer of DTOs, checks and error mapping
//! over the intake both dialects share ([`crate::intake`]).
//!
//! - [`send`]: `POST /messages` and `POST /messages/batch`.
//! - [`status`]: `GET /messages/{messageId}` (beyond the spec).
//! - [`request`]: a message object and its checks; [`reason`]: why a
//!   message is rejected, in the spec's keys and refs.
//! - [`auth`]: the user's API key; [`error`]: failures of a whole request.
//!
//! Status callbacks and incoming messages in Devino's shape are built by the
//! callback pipeline (see [`crate::callbacks`]). Unknown paths and methods
//! under the base path answer Devino's rejection body (404, 405).
//! [`DevinoApi`] is this dialect's part of the OpenAPI document.

pub mod auth;
pub mod error;
pub mod reason;
pub mod request;
pub mod send;
pub mod status;

use axum::Router;
use axum::routing::{get, post};

use super::{AppState, protocol};
use error::DevinoError;

/// The Devino dialect's part of the OpenAPI document (paths under
/// `/whatsapp/v2`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(send::send_one, send::send_batch, status::message_status,),
    components(schemas(request::DevinoMessage, reason::Reason, error::Rejection))
)]
pub struct DevinoApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/messages", post(send::send_one))
        .route("/messages/batch", post(send::send_batch))
        .route("/messages/{message_id}", get(status::message_status))
        .method_not_allowed_fallback(protocol::method_not_allowed::<DevinoError>)
        .fallback(protocol::no_route::<DevinoError>)
}
