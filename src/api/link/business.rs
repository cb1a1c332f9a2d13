//! LINK's calls about a business number itself, under a source's path
//! prefix ([`source_path`]), each limited per source ([`rate_limit`]):
//!
//! | call | path | Cloud API |
//! | --- | --- | --- |
//! | business profile | `GET …/profile`, `POST …/profile` | `GET`/`POST /{phone-number-id}/whatsapp_business_profile` |
//! | phone number information | `GET …` (the prefix itself) | `GET /{phone-number-id}?fields=…` |
//! | analytics | `GET …/analytics?startDate=&endDate=` | `GET /{waba-id}?fields=pricing_analytics…` |
//!
//! The limit is checked after the request itself (so a malformed one costs
//! nothing) and before Meta is called.
//!
//! [`source_path`]: super::source_path
//! [`rate_limit`]: super::rate_limit

pub mod analytics;
pub mod phone_number;
pub mod profile;

use std::time::Instant;

use axum::Router;
use axum::routing::get;

use super::error::LinkError;
use super::source_path::{OwnedSource, PREFIX};
use crate::api::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PREFIX, get(phone_number::info))
        .route(
            &format!("{PREFIX}/profile"),
            get(profile::get).post(profile::update),
        )
        .route(&format!("{PREFIX}/analytics"), get(analytics::daily))
}

/// Counts a call of the source against its limit; `429` when over.
fn admit(state: &AppState, owned: &OwnedSource) -> Result<(), LinkError> {
    state
        .management_limiter
        .admit(&owned.source.id, Instant::now())
        .map_err(|wait| {
            tracing::info!(source = %owned.source.number, ?wait, "management call over the source's limit");
            LinkError::RateLimited(wait)
        })
}
