//! Recording callback tries: every try's result is grouped with others into
//! one store transaction (see [`crate::group_commit`]), so the commit's cost
//! is shared by all the tries that ended meanwhile. The same transaction
//! leases each delivered try's next callback of its message to its gate
//! (see [`FollowOn`]), which the try's task then sends at once.

use std::sync::Arc;

use async_trait::async_trait;

use crate::clock::now_millis;
use crate::group_commit::{Commit, GroupCommit};
use crate::store::{DeliveryAttempt, FollowOn, Millis, RecordedAttempt, Store, StoreError};

pub struct AttemptCommit {
    pub store: Arc<dyn Store>,
    /// How long a next callback is leased for, as a claim leases.
    pub lease_millis: Millis,
}

#[async_trait]
impl Commit for AttemptCommit {
    type Item = DeliveryAttempt;
    /// Whether it was recorded, and the callback that follows it.
    type Answer = RecordedAttempt;

    async fn commit(&self, items: &[DeliveryAttempt]) -> Result<Vec<RecordedAttempt>, StoreError> {
        let now = now_millis();
        let follow = FollowOn {
            now,
            lease_until: now.saturating_add(self.lease_millis),
        };
        self.store.record_attempts(items, Some(follow)).await
    }
}

pub type AttemptRecorder = GroupCommit<AttemptCommit>;
