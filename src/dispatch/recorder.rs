//! Recording outcomes: every submission's result is grouped with others into
//! one store transaction (see [`crate::group_commit`]).

use std::sync::Arc;

use async_trait::async_trait;

use crate::group_commit::{Commit, GroupCommit};
use crate::store::{Outcome, Store, StoreError};

pub struct RecordCommit {
    pub store: Arc<dyn Store>,
}

#[async_trait]
impl Commit for RecordCommit {
    type Item = Outcome;
    /// Whether it was recorded (`false`: the lease had been lost).
    type Answer = bool;

    async fn commit(&self, items: &[Outcome]) -> Result<Vec<bool>, StoreError> {
        self.store.record(items).await
    }
}

pub type Recorder = GroupCommit<RecordCommit>;
