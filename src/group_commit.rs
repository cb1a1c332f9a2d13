//! Group commit: many callers, one store transaction.
//!
//! Each caller hands an item to a [`GroupCommit`] and waits. One task takes
//! whatever items are waiting (up to [`MAX_BATCH`]), commits them in one
//! transaction through a [`Commit`], and answers each caller. Under load,
//! items arrive while a commit runs, so the next transaction carries all of
//! them: the cost of a durable commit (one fsync) is shared instead of paid
//! per item. With no load an item commits alone, at once.
//!
//! The accept path ([`crate::accept`]), the dispatcher's outcome recorder
//! ([`crate::dispatch`]), the callback tries' recorder ([`crate::callbacks`])
//! and Meta's webhooks ([`crate::api::meta_webhook`]) all run on it.

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
    type Item: Send + Sync + 'static;
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
            Err(error) if items.len() > 1 => {
                // One bad item must not fail the others: each goes alone.
                tracing::warn!(%error, batch = items.len(), "a group commit failed; committing its items one by one");
                for (item, reply) in items.iter().zip(replies.drain(..)) {
                    let result = committer.commit(std::slice::from_ref(item)).await;
                    answer(result, vec![reply]);
                }
            }
            result => answer(result, std::mem::take(&mut replies)),
        }
        items.clear();
    }
}

/// Tells each caller how its item fared: the answer in its place, or the
/// commit's error.
fn answer<A: Clone>(result: Result<Vec<A>, StoreError>, replies: Vec<Reply<A>>) {
    match result {
        Ok(answers) if answers.len() == replies.len() => {
            for (reply, answer) in replies.into_iter().zip(answers) {
                // A caller that went away still had its item committed.
                let _ = reply.send(Ok(answer));
            }
        }
        Ok(answers) => {
            tracing::error!(
                items = replies.len(),
                answers = answers.len(),
                "a commit answered for the wrong number of items"
            );
            let error = Arc::new(StoreError::NotFound("an answer for this item".into()));
            for reply in replies {
                let _ = reply.send(Err(CommitError::Store(error.clone())));
            }
        }
        Err(error) => {
            tracing::error!(%error, items = replies.len(), "a group commit failed");
            let error = Arc::new(error);
            for reply in replies {
                let _ = reply.send(Err(CommitError::Store(error.clone())));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Fails any batch holding a negative item; the first commit says it
    /// has begun, then waits until it is let go, so that the next items
    /// queue up behind it.
    struct Picky {
        hold_first: Mutex<Option<(oneshot::Sender<()>, oneshot::Receiver<()>)>>,
        batch_sizes: Arc<Mutex<Vec<usize>>>,
    }

    #[async_trait]
    impl Commit for Picky {
        type Item = i32;
        type Answer = i32;

        async fn commit(&self, items: &[i32]) -> Result<Vec<i32>, StoreError> {
            let hold = self.hold_first.lock().ok().and_then(|mut hold| hold.take());
            if let Some((begun, let_go)) = hold {
                let _ = begun.send(());
                let _ = let_go.await;
            }
            if let Ok(mut sizes) = self.batch_sizes.lock() {
                sizes.push(items.len());
            }
            if items.iter().any(|item| *item < 0) {
                Err(StoreError::Conflict("a negative item".into()))
            } else {
                Ok(items.iter().map(|item| item * 10).collect())
            }
        }
    }

    #[tokio::test]
    async fn a_failed_batch_fails_only_the_items_that_cannot_be_committed() {
        let (let_go, held) = oneshot::channel();
        let (begun, has_begun) = oneshot::channel();
        let batch_sizes = Arc::new(Mutex::new(Vec::new()));
        let (group, task) = GroupCommit::start(Picky {
            hold_first: Mutex::new(Some((begun, held))),
            batch_sizes: batch_sizes.clone(),
        });
        let first = tokio::spawn({
            let group = group.clone();
            async move { group.submit(0).await }
        });
        has_begun.await.expect("the first commit begins");
        let items = [1, 2, -3, 4, 5, -6, 7, 8];
        let waiting: Vec<_> = items
            .iter()
            .map(|&item| {
                let group = group.clone();
                (item, tokio::spawn(async move { group.submit(item).await }))
            })
            .collect();
        while group.sender.max_capacity() - group.sender.capacity() < items.len() {
            tokio::task::yield_now().await;
        }
        let _ = let_go.send(());

        assert!(matches!(first.await, Ok(Ok(0))));
        for (item, answer) in waiting {
            match answer.await.expect("join") {
                Ok(answer) => assert!(item > 0 && answer == item * 10, "{item} → {answer}"),
                Err(error) => assert!(item < 0, "{item} failed: {error}"),
            }
        }
        let sizes = batch_sizes
            .lock()
            .map(|sizes| sizes.clone())
            .unwrap_or_default();
        // The first item alone, the eight together (failing), then each alone.
        assert_eq!(sizes, [1, 8, 1, 1, 1, 1, 1, 1, 1, 1]);
        drop(group);
        task.await.expect("the loop ends");
    }
}
