//! Erasing kept message content: the [`RetentionStore`] trait, what one
//! clean-up erased, and the implementation on both backends: one write
//! transaction of a bounded number of rows, the same SQL on SQLite and
//! PostgreSQL.

use async_trait::async_trait;

use super::{Arg, Driver, SqlBackend};
use crate::store::{Millis, StoreResult};

/// Message content kept for a while (see [`crate::retention`]).
#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// Erases the content kept until `now` or earlier that is no longer
    /// needed: parts out of the outbox, routed incoming messages, callbacks
    /// delivered or given up; at most `at_most` rows of each kind, so that
    /// one call holds the write lock (on SQLite, the writer thread's turn)
    /// for a bounded time. A kind whose count is `at_most` may have more.
    async fn erase_content(&self, now: Millis, at_most: u32) -> StoreResult<ErasedContent>;
}

/// How much message content a call erased (or a clean-up's steps
/// together), per kind of row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErasedContent {
    pub parts: u64,
    pub inbound: u64,
    pub callbacks: u64,
}

impl std::ops::AddAssign for ErasedContent {
    fn add_assign(&mut self, more: Self) {
        self.parts += more.parts;
        self.inbound += more.inbound;
        self.callbacks += more.callbacks;
    }
}

/// Each erases the content kept until `$1` (now) or earlier that is no
/// longer needed, of at most `$2` rows: parts out of the outbox, routed
/// incoming messages, callbacks that ended. The outer conditions repeat the
/// inner ones (but the outbox's: a part never goes back into it), so that on
/// PostgreSQL a row another instance changed meanwhile is checked again,
/// and skipped.
const ERASE: [&str; 3] = [
    "UPDATE message_parts SET cloud_body = '', content_until = NULL
     WHERE content_until <= $1
       AND (message_id, message_index) IN (
           SELECT p.message_id, p.message_index FROM message_parts p
           WHERE p.content_until <= $1
             AND NOT EXISTS (SELECT 1 FROM outbox o
                             WHERE o.message_id = p.message_id
                               AND o.message_index = p.message_index)
           LIMIT $2)",
    "UPDATE inbound_messages SET message = '', content_until = NULL
     WHERE content_until <= $1 AND routed
       AND wamid IN (SELECT wamid FROM inbound_messages
                     WHERE content_until <= $1 AND routed LIMIT $2)",
    "UPDATE deliveries SET payload = '', content_until = NULL
     WHERE content_until <= $1 AND state <> 'PENDING'
       AND id IN (SELECT id FROM deliveries
                  WHERE content_until <= $1 AND state <> 'PENDING' LIMIT $2)",
];

#[async_trait]
impl<B: SqlBackend> RetentionStore for B {
    async fn erase_content(&self, now: Millis, at_most: u32) -> StoreResult<ErasedContent> {
        let turn = self.write_turn().await?;
        let mut tx = turn.begin_with(B::BEGIN_WRITE).await?;
        let mut erased = [0; ERASE.len()];
        for (count, sql) in erased.iter_mut().zip(ERASE) {
            *count = B::Db::execute(
                &mut tx,
                B::Db::statement(sql, [Arg::Int(now), Arg::Int(at_most.into())]),
            )
            .await?;
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
