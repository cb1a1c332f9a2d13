//! Numeric message ids (the Devino dialect's `messageId`): positive 63-bit
//! integers, unique across every instance sharing the database. Each
//! instance reserves a block of numbers in the store (one short write per
//! block) and hands them out from memory; numbers of a block not used
//! before a restart are skipped, never reused.

use std::sync::Arc;

use tokio::sync::Mutex;

use crate::store::{Store, StoreResult};

/// The store's sequence the numbers come from.
const SEQUENCE: &str = "message-number";

/// The fewest numbers reserved at once.
const BLOCK: u32 = 1000;

/// Hands out message numbers; cheap to clone.
#[derive(Clone)]
pub struct MessageNumbers {
    store: Arc<dyn Store>,
    /// The reserved numbers not handed out yet: `next..end`.
    block: Arc<Mutex<(i64, i64)>>,
}

impl MessageNumbers {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            block: Arc::new(Mutex::new((0, 0))),
        }
    }

    /// `count` numbers no one else gets, ascending.
    pub async fn take(&self, count: usize) -> StoreResult<Vec<i64>> {
        let mut block = self.block.lock().await;
        let mut taken = Vec::with_capacity(count);
        while taken.len() < count {
            let (next, end) = *block;
            if next >= end {
                let wanted = u32::try_from(count - taken.len())
                    .unwrap_or(u32::MAX)
                    .max(BLOCK);
                let first = self.store.reserve_numbers(SEQUENCE, wanted).await?;
                *block = (first, first.saturating_add(i64::from(wanted)));
                continue;
            }
            let room = usize::try_from(end - next).unwrap_or(usize::MAX);
            let used = room.min(count - taken.len());
            let used_i64 = i64::try_from(used).unwrap_or(i64::MAX);
            taken.extend(next..next + used_i64);
            block.0 = next + used_i64;
        }
        Ok(taken)
    }
}
