//! The Devino dialect, under its base path `/whatsapp/v2`
//! (`spec/devino-direct-wa-api.txt`). Its endpoints are not built yet: for
//! now the router only answers, in the dialect's error body ([`error`]),
//! that a path or method does not exist, so a Devino client gets JSON it
//! can read rather than an empty 404.

pub mod error;

use axum::Router;

use super::{AppState, protocol};
use error::DevinoError;

pub fn router() -> Router<AppState> {
    Router::new().fallback(protocol::no_route::<DevinoError>)
}
