//! A thread of the SQLite store fed through a channel (the writer thread,
//! its checkpointer, the reader thread): started under its name; when its
//! handle drops, the channel closes, so the thread finishes what is queued
//! and ends, and the drop waits for it.

use std::thread::JoinHandle;

use crate::store::{StoreError, StoreResult};

/// A running thread and the sending end of the channel that feeds it.
pub struct FedThread<S> {
    /// `None` once closed.
    sender: Option<S>,
    thread: Option<JoinHandle<()>>,
    name: &'static str,
}

impl<S> FedThread<S> {
    /// Runs `body` on a thread named `name`, fed through `sender`; `failed`
    /// is the store's error should the thread not start.
    pub fn start(
        name: &'static str,
        sender: S,
        body: impl FnOnce() + Send + 'static,
        failed: StoreError,
    ) -> StoreResult<Self> {
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(body)
            .map_err(|error| {
                tracing::error!(%error, thread = name, "starting a SQLite thread failed");
                failed
            })?;
        Ok(Self {
            sender: Some(sender),
            thread: Some(thread),
            name,
        })
    }

    /// The channel's sending end, unless it is closed.
    pub fn sender(&self) -> Option<&S> {
        self.sender.as_ref()
    }

    /// Closes the channel (when the thread is found gone, say).
    pub fn close(&mut self) {
        self.sender = None;
    }
}

impl<S> Drop for FedThread<S> {
    fn drop(&mut self) {
        // Closing the channel lets the thread finish what is queued and end.
        self.close();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!(thread = self.name, "a SQLite thread panicked");
        }
    }
}
