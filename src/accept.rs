//! The accept path's commit: each API call hands its [`NewRequest`]s (one
//! for a LINK request, one per message of a Devino batch) to the
//! [`Accepter`] as one item, and waits until they are durably stored, all or
//! none, grouped with whatever other calls arrived meanwhile (see
//! [`crate::group_commit`]). After each commit the dispatcher is told which
//! sources have new work.

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
    type Item = Vec<NewRequest>;
    type Answer = ();

    async fn commit(&self, items: &[Vec<NewRequest>]) -> Result<Vec<()>, StoreError> {
        match items {
            [one] => self.store.accept(one).await?,
            _ => {
                let all: Vec<NewRequest> = items.iter().flatten().cloned().collect();
                self.store.accept(&all).await?;
            }
        }
        for request in items.iter().flatten() {
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

    /// Returns once the requests of one API call are durably committed,
    /// all of them or none.
    pub async fn accept(&self, requests: Vec<NewRequest>) -> Result<(), CommitError> {
        self.0.submit(requests).await
    }
}
