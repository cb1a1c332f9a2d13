//! The durable store: tenants and what they own (accounts, users, sources,
//! gates, routes) and the messages they send, behind one trait that both the
//! SQLite and the PostgreSQL backends implement.
//!
//! The contract is backend-neutral: times are Unix milliseconds (`i64`),
//! structured values travel as Rust types (the backend chooses how to keep
//! them), ids are made by the caller, and every write that the API
//! acknowledges is committed before the call returns. [`MessageStore::accept`]
//! takes a batch of requests and commits them in one transaction, which is
//! what lets the accept path group many requests per commit (see
//! [`crate::accept`]).
//!
//! Each concern (tenants, messages, outbox, webhooks, callbacks, retention,
//! leases) is one module of [`sql`], holding its store trait, its models and
//! the trait's implementation, written once for any [`sql::SqlBackend`];
//! they are re-exported here (the models also from [`models`]). The
//! backends ([`sqlite`], [`postgres`]) implement that contract: their
//! dialect's statements, how a list is bound, how transactions begin, and
//! the hot writes and claims.

mod attempts;
mod batch;
pub mod cached;
pub mod models;
pub mod ops;
pub mod postgres;
mod rows;
mod search;
pub mod source_figures;
pub mod sql;
pub mod sqlite;

use async_trait::async_trait;

pub use models::*;
pub use ops::{OpsStore, StatisticsScope, TablesTended};
pub use source_figures::SourceFiguresStore;
pub use sql::callbacks::CallbackStore;
pub use sql::leases::{LeaseHolder, LeaseStore};
pub use sql::messages::MessageStore;
pub use sql::outbox::OutboxStore;
pub use sql::retention::RetentionStore;
pub use sql::tenants::TenantStore;
pub use sql::webhooks::WebhookStore;

/// Failures of the store, whatever the backend.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key is already taken (the text names it).
    #[error("already exists: {0}")]
    Conflict(String),
    /// A referenced row does not exist (the text names it).
    #[error("not found: {0}")]
    NotFound(String),
    /// The row is still referenced by others and cannot be deleted.
    #[error("still in use: {0}")]
    InUse(String),
    /// The database URL cannot be used.
    #[error("unsupported database URL: {0}")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// An error of the SQLite writer thread's connection.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The SQLite writer thread cannot take or answer a job (the text says
    /// which).
    #[error("the SQLite writer thread {0}")]
    Writer(&'static str),
    /// The SQLite reader thread cannot take or answer a read (the text says
    /// which).
    #[error("the SQLite reader thread {0}")]
    Reader(&'static str),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored JSON is corrupt: {0}")]
    Corrupt(#[from] serde_json::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Work that another instance made, as the store tells of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wake {
    /// New work in the outbox of a business number.
    Outbox { source: String },
    /// New events in the event queue.
    Events,
    /// Tenant rows changed (or may have, unheard): cached ones are stale.
    Tenants,
}

/// Wake-ups between instances sharing the database.
#[async_trait]
pub trait WakeStore: Send + Sync {
    /// A stream of what other instances (and this one) committed, or `None`
    /// when the backend has no such channel (one instance: in-process
    /// wake-ups are all there is). Best effort: a wake-up may be lost (a
    /// dropped connection), so every consumer also polls.
    async fn listen(&self) -> StoreResult<Option<tokio::sync::mpsc::Receiver<Wake>>>;
}

/// Everything the gateway keeps.
pub trait Store:
    TenantStore
    + MessageStore
    + OutboxStore
    + WebhookStore
    + CallbackStore
    + RetentionStore
    + LeaseStore
    + WakeStore
    + OpsStore
    + SourceFiguresStore
{
}
impl<
    T: TenantStore
        + MessageStore
        + OutboxStore
        + WebhookStore
        + CallbackStore
        + RetentionStore
        + LeaseStore
        + WakeStore
        + OpsStore
        + SourceFiguresStore,
> Store for T
{
}

/// How the store connects (the PostgreSQL pool; SQLite keeps one writer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// Most connections open at once.
    pub max_connections: u32,
    /// Connections kept open while idle.
    pub min_connections: u32,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 16,
            min_connections: 2,
        }
    }
}

/// The database URL fit for logs: any password replaced by `***`.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Only URLs with a host carry a password, so this cannot fail.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Opens the store a database URL names, running its migrations.
pub async fn open(url: &str, pool: PoolSettings) -> StoreResult<std::sync::Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(std::sync::Arc::new(sqlite::SqliteStore::open(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(std::sync::Arc::new(
            postgres::PgStore::open(url, pool).await?,
        ))
    } else {
        Err(StoreError::UnsupportedUrl(format!(
            "{}: expected sqlite://PATH or postgres://…",
            redacted(url)
        )))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(
            super::redacted("postgres://wagate:s3cret@db:5432/wagate"),
            "postgres://wagate:***@db:5432/wagate"
        );
        assert_eq!(super::redacted("sqlite://wagate.db"), "sqlite://wagate.db");
    }
}
