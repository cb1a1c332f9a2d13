//! Recording callback tries: every try's result is grouped with others into
//! one store transaction (see [`crate::group_commit`]), so the commit's cost
//! is shared by all the tries that ended meanwhile.

use std::sync::Arc;

use async_trait::async_trait;

use crate::group_commit::{Commit, GroupCommit};
use crate::store::{DeliveryAttempt, Store, StoreError};

pub struct AttemptCommit {
    pub store: Arc<dyn Store>,
}

#[async_trait]
impl Commit for AttemptCommit {
    type Item = DeliveryAttempt;
    /// Whether it was recorded (`false`: the lease had been lost).
    type Answer = bool;

    async fn commit(&self, items: &[DeliveryAttempt]) -> Result<Vec<bool>, StoreError> {
        self.store.record_attempts(items).await
    }
}

pub type AttemptRecorder = GroupCommit<AttemptCommit>;
