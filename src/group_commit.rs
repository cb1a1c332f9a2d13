//! Group commit: many callers, one store transaction.
//!
//! Each caller hands an item to a [`GroupCommit`] and waits. One task takes
//! whatever items are waiting (up to [`MAX_BATCH`]), commits them in one
//! transaction through a [`Commit`], and answers each caller. Under load,
//! items arrive while a commit runs, so the next transaction carries all of
//! them: the cost of a durable commit (one fsync) is shared instead of paid
//! per item. With no load an item commits alone, at once.
//!
//! The accept path ([`crate::accept`]) and the dispatcher's outcome recorder
//! ([`crate::dispatch`]) both run on it.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::store::StoreError;

/// The most items one transaction carries.
pub const MAX_BATCH: usize = 512;

/// How a batch is committed.
#[async_trait]
pub trait Commit: Send + Sync + 'static {
    type Item: Send + 'static;
    /// What each caller learns about its own item.
    type Answer: Clone + Send + 'static;
    /// Commits the batch in one transaction: all or none. On success there
    /// is one answer per item, in order.
    async fn commit(&self, items: &[Self::Item]) -> Result<Vec<Self::Answer>, StoreError>;
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum CommitError {
    #[error("the gateway is shutting down")]
    ShuttingDown,
    #[error("the store failed to commit: {0}")]
    Store(Arc<StoreError>),
}

type Reply<A> = oneshot::Sender<Result<A, CommitError>>;

/// A handle for submitting items; cheap to clone.
pub struct GroupCommit<C: Commit> {
    sender: mpsc::Sender<(C::Item, Reply<C::Answer>)>,
}

impl<C: Commit> Clone for GroupCommit<C> {
    fn clone(&self) -> Self {
        Self {
            sender: self.sender.clone(),
        }
    }
}

impl<C: Commit> GroupCommit<C> {
    /// Starts the committing task; it ends once every handle is dropped and
    /// the queued items are committed.
    pub fn start(committer: C) -> (Self, JoinHandle<()>) {
        let (sender, receiver) = mpsc::channel(MAX_BATCH * 4);
        let task = tokio::spawn(commit_loop(committer, receiver));
        (Self { sender }, task)
    }

    /// Returns once the item is durably committed.
    pub async fn submit(&self, item: C::Item) -> Result<C::Answer, CommitError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send((item, reply))
            .await
            .map_err(|_| CommitError::ShuttingDown)?;
        answer.await.map_err(|_| CommitError::ShuttingDown)?
    }
}

async fn commit_loop<C: Commit>(
    committer: C,
    mut receiver: mpsc::Receiver<(C::Item, Reply<C::Answer>)>,
) {
    let mut pending = Vec::with_capacity(MAX_BATCH);
    let mut items = Vec::with_capacity(MAX_BATCH);
    let mut replies = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut pending, MAX_BATCH).await > 0 {
        for (item, reply) in pending.drain(..) {
            items.push(item);
            replies.push(reply);
        }
        match committer.commit(&items).await {
            Ok(answers) if answers.len() == replies.len() => {
                for (reply, answer) in replies.drain(..).zip(answers) {
                    // A caller that went away still had its item committed.
                    let _ = reply.send(Ok(answer));
                }
            }
            Ok(answers) => {
                tracing::error!(
                    items = items.len(),
                    answers = answers.len(),
                    "a commit answered for the wrong number of items"
                );
                for reply in replies.drain(..) {
                    let _ = reply.send(Err(CommitError::Store(Arc::new(StoreError::NotFound(
                        "an answer for this item".into(),
                    )))));
                }
            }
            Err(error) => {
                tracing::error!(%error, batch = items.len(), "a group commit failed");
                let error = Arc::new(error);
                for reply in replies.drain(..) {
                    let _ = reply.send(Err(CommitError::Store(error.clone())));
                }
            }
        }
        items.clear();
    }
}
