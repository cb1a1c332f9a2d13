//! Erasing kept message content: the [`RetentionStore`] trait, what one
//! clean-up erased, and the implementation on both backends: one write
//! transaction, the same SQL on SQLite and PostgreSQL.

use async_trait::async_trait;

use super::{Arg, Driver, SqlBackend};
use crate::store::{Millis, StoreResult};

/// Message content kept for a while (see [`crate::retention`]).
#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// Erases the content kept until `now` or earlier that is no longer
    /// needed: parts out of the outbox, routed incoming messages, callbacks
    /// delivered or given up.
    async fn erase_content(&self, now: Millis) -> StoreResult<ErasedContent>;
}

/// How much message content one clean-up erased, per kind of row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErasedContent {
    pub parts: u64,
    pub inbound: u64,
    pub callbacks: u64,
}

/// Each erases the content kept until `$1` (now) or earlier that is no
/// longer needed: parts out of the outbox, routed incoming messages,
/// callbacks that ended.
const ERASE: [&str; 3] = [
    "UPDATE message_parts SET cloud_body = '', content_until = NULL
     WHERE content_until <= $1
       AND NOT EXISTS (SELECT 1 FROM outbox o
                       WHERE o.message_id = message_parts.message_id
                         AND o.message_index = message_parts.message_index)",
    "UPDATE inbound_messages SET message = '', content_until = NULL
     WHERE content_until <= $1 AND routed",
    "UPDATE deliveries SET payload = '', content_until = NULL
     WHERE content_until <= $1 AND state <> 'PENDING'",
];

#[async_trait]
impl<B: SqlBackend> RetentionStore for B {
    async fn erase_content(&self, now: Millis) -> StoreResult<ErasedContent> {
        let turn = self.write_turn().await?;
        let mut tx = turn.begin_with(B::BEGIN_WRITE).await?;
        let mut erased = [0; ERASE.len()];
        for (count, sql) in erased.iter_mut().zip(ERASE) {
            *count = B::Db::execute(&mut tx, B::Db::statement(sql, [Arg::Int(now)])).await?;
        }
        tx.commit().await?;
        let [parts, inbound, callbacks] = erased;
        Ok(ErasedContent {
            parts,
            inbound,
            callbacks,
        })
    }
}
