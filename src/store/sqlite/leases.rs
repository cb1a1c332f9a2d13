//! Wake-ups on SQLite: one instance owns the file, so there is nobody else
//! to be woken (its named leases are [`crate::store::common`]'s, and always
//! go to it).

use async_trait::async_trait;

use super::SqliteStore;
use crate::store::{StoreResult, Wake, WakeStore};

#[async_trait]
impl WakeStore for SqliteStore {
    async fn listen(&self) -> StoreResult<Option<tokio::sync::mpsc::Receiver<Wake>>> {
        Ok(None)
    }
}
