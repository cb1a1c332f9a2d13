//! Group commit for the accept path.
//!
//! Each `POST /messages` hands its [`NewRequest`] to the [`Accepter`] and
//! waits. One task takes whatever requests are waiting (up to
//! [`MAX_BATCH`]), commits them in one store transaction, and answers each
//! caller. Under load, requests arrive while a commit is running, so the next
//! transaction carries all of them: the cost of a durable commit is shared
//! instead of paid per request. With no load a request commits alone, at once.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::store::{NewRequest, Store, StoreError};

/// The most requests one transaction carries.
pub const MAX_BATCH: usize = 512;

type Reply = oneshot::Sender<Result<(), Arc<StoreError>>>;

#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    #[error("the gateway is shutting down")]
    ShuttingDown,
    #[error("the store failed to commit: {0}")]
    Store(Arc<StoreError>),
}

/// A handle for submitting requests; cheap to clone.
#[derive(Clone)]
pub struct Accepter {
    sender: mpsc::Sender<(NewRequest, Reply)>,
}

impl Accepter {
    /// Starts the committing task; it ends once every handle is dropped and
    /// the queued requests are committed.
    pub fn start(store: Arc<dyn Store>) -> (Self, JoinHandle<()>) {
        let (sender, receiver) = mpsc::channel(MAX_BATCH * 4);
        let task = tokio::spawn(commit_loop(store, receiver));
        (Self { sender }, task)
    }

    /// Returns once the request is durably committed.
    pub async fn accept(&self, request: NewRequest) -> Result<(), AcceptError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send((request, reply))
            .await
            .map_err(|_| AcceptError::ShuttingDown)?;
        answer
            .await
            .map_err(|_| AcceptError::ShuttingDown)?
            .map_err(AcceptError::Store)
    }
}

async fn commit_loop(store: Arc<dyn Store>, mut receiver: mpsc::Receiver<(NewRequest, Reply)>) {
    let mut pending = Vec::with_capacity(MAX_BATCH);
    let mut requests = Vec::with_capacity(MAX_BATCH);
    let mut replies = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut pending, MAX_BATCH).await > 0 {
        for (request, reply) in pending.drain(..) {
            requests.push(request);
            replies.push(reply);
        }
        let outcome = store.accept(&requests).await.map_err(Arc::new);
        if let Err(error) = &outcome {
            tracing::error!(%error, batch = requests.len(), "committing accepted requests failed");
        }
        for reply in replies.drain(..) {
            // A caller that went away (client disconnected) still had its
            // request committed; nothing to do for it.
            let _ = reply.send(outcome.clone());
        }
        requests.clear();
    }
}
