//! The intake both customer dialects share: what happens to a request once
//! its dialect ([`crate::api::link`], [`crate::api::devino`]) has read and
//! checked it into domain types.
//!
//! - [`authorize`]: the request may only use its own tenant's source number
//!   and gates; a message's own callback URL becomes a gate of its tenant
//!   ([`callback_target`]).
//! - [`render`]: each (destination, message) becomes its Cloud API body,
//!   under the request's cap on rendered bytes.
//! - [`commit`]: the requests of one API call are committed together (one
//!   item of the group commit: all or none), and the call is answered only
//!   after that.
//! - [`numbers`]: numeric message ids, unique across instances.
//!
//! A dialect maps [`IntakeError`] to its own error body; nothing here knows
//! either dialect's wire format.

pub mod authorize;
pub mod callback_target;
pub mod numbers;
pub mod render;

use crate::accept::Accepter;
use crate::api::request_id::RequestId;
use crate::group_commit::CommitError;
use crate::store::{NewRequest, StoreError};

/// Why the intake refused or failed a request.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The source number is not one of the tenant's.
    #[error("source {0} is not a number of this account")]
    ForeignSource(String),
    /// A named gate does not exist for the tenant (index in the request's
    /// list of gates).
    #[error("event report gate {index} is not a gate of this account")]
    UnknownGate { index: usize },
    /// A message's callback URL cannot be used (the text says why).
    #[error("{0}")]
    CallbackUrl(String),
    /// The Cloud API bodies of the request take more than the cap.
    #[error("the Cloud API bodies take more than {0} bytes in all")]
    RenderedTooLarge(usize),
    /// The store failed; nothing of the request is stored.
    #[error("the store failed: {0}")]
    Store(#[from] StoreError),
    /// The commit failed or the gateway is shutting down; nothing of the
    /// request is stored.
    #[error("{0}")]
    Commit(#[from] CommitError),
}

/// Commits the requests of one API call as one item of the group commit:
/// all of them or none, under the call's id; returns once they are durable.
pub async fn commit(
    accepter: &Accepter,
    mut requests: Vec<NewRequest>,
    RequestId(request_id): RequestId,
) -> Result<(), IntakeError> {
    if requests.is_empty() {
        return Ok(());
    }
    for request in &mut requests {
        request.request_id.clone_from(&request_id);
    }
    accepter.accept(requests).await.map_err(|error| {
        if let CommitError::Store(error) = &error {
            tracing::error!(%error, "accepting a request failed");
        }
        IntakeError::Commit(error)
    })
}
