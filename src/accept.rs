//! The accept path's commit: each `POST /messages` hands its [`NewRequest`]
//! to the [`Accepter`] and waits until it is durably stored, grouped with
//! whatever other requests arrived meanwhile (see [`crate::group_commit`]).
//! After each commit the dispatcher is told which sources have new work.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::task::JoinHandle;

use crate::group_commit::{Commit, CommitError, GroupCommit};
use crate::store::{NewRequest, Store, StoreError};

/// Told the source number of every committed request.
pub type OnCommitted = Arc<dyn Fn(&str) + Send + Sync>;

pub struct AcceptCommit {
    store: Arc<dyn Store>,
    on_committed: OnCommitted,
}

#[async_trait]
impl Commit for AcceptCommit {
    type Item = NewRequest;
    type Answer = ();

    async fn commit(&self, items: &[NewRequest]) -> Result<Vec<()>, StoreError> {
        self.store.accept(items).await?;
        for request in items {
            (self.on_committed)(&request.source);
        }
        Ok(vec![(); items.len()])
    }
}

/// A handle for submitting requests; cheap to clone.
#[derive(Clone)]
pub struct Accepter(GroupCommit<AcceptCommit>);

impl Accepter {
    /// Starts the committing task; it ends once every handle is dropped and
    /// the queued requests are committed.
    pub fn start(store: Arc<dyn Store>, on_committed: OnCommitted) -> (Self, JoinHandle<()>) {
        let (group, task) = GroupCommit::start(AcceptCommit {
            store,
            on_committed,
        });
        (Self(group), task)
    }

    /// Returns once the request is durably committed.
    pub async fn accept(&self, request: NewRequest) -> Result<(), CommitError> {
        self.0.submit(request).await
    }
}
