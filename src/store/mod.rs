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
pub use ops::OpsStore;
pub use source_figures::SourceFiguresStore;

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
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored JSON is corrupt: {0}")]
    Corrupt(#[from] serde_json::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Accounts, users, sources, gates and routes.
#[async_trait]
pub trait TenantStore: Send + Sync {
    async fn insert_account(&self, account: &Account) -> StoreResult<()>;
    async fn account(&self, id: &str) -> StoreResult<Option<Account>>;
    async fn account_by_platform(
        &self,
        platform_id: &str,
        platform_partner_id: &str,
    ) -> StoreResult<Option<Account>>;
    async fn accounts(&self) -> StoreResult<Vec<Account>>;

    async fn insert_user(&self, user: &User) -> StoreResult<()>;
    async fn user(&self, username: &str) -> StoreResult<Option<User>>;
    /// A user together with its account, in one read (the login path).
    async fn user_with_account(&self, username: &str) -> StoreResult<Option<(User, Account)>>;
    /// The user whose API key has this digest (see
    /// [`crate::auth::api_key_digest`]), with its account.
    async fn user_by_api_key(&self, api_key_digest: &str) -> StoreResult<Option<(User, Account)>>;
    async fn users(&self) -> StoreResult<Vec<User>>;

    async fn insert_source(&self, source: &Source) -> StoreResult<()>;
    async fn source(&self, id: &str) -> StoreResult<Option<Source>>;
    async fn source_by_number(&self, number: &str) -> StoreResult<Option<Source>>;
    async fn source_by_phone_number_id(&self, phone_number_id: &str)
    -> StoreResult<Option<Source>>;
    async fn sources(&self) -> StoreResult<Vec<Source>>;
    /// Sets a source's throughput level (as Meta reports it); `false` when
    /// there is no such source.
    async fn set_source_level(&self, id: &str, level: SourceLevel) -> StoreResult<bool>;

    async fn insert_gate(&self, gate: &Gate) -> StoreResult<()>;
    async fn gate(&self, id: &str) -> StoreResult<Option<Gate>>;
    async fn gates(&self) -> StoreResult<Vec<Gate>>;
    /// The gate with `gate.id`: the stored one, or `gate` (stored now) when
    /// there is none yet.
    async fn ensure_gate(&self, gate: &Gate) -> StoreResult<Gate>;

    async fn insert_route(&self, route: &Route) -> StoreResult<()>;
    async fn route(&self, id: &str) -> StoreResult<Option<Route>>;
    async fn routes(&self) -> StoreResult<Vec<Route>>;

    /// A value the gateway generates once and keeps: the stored one, or
    /// `generated` (stored now) when there is none yet.
    async fn setting(&self, name: &str, generated: &str) -> StoreResult<String>;
    /// Takes the next `count` numbers of the sequence `name` (which starts
    /// at 1) for the caller alone, across every instance: returns the
    /// first; the caller owns it and the `count - 1` after it.
    async fn reserve_numbers(&self, name: &str, count: u32) -> StoreResult<i64>;

    /// Deletes one row of `kind`; `false` when there was none.
    async fn delete(&self, kind: TenantKind, id: &str) -> StoreResult<bool>;
}

/// Accepted messages, their outbox rows and their status history.
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Commits every request of the batch in one transaction: all or none.
    async fn accept(&self, batch: &[NewRequest]) -> StoreResult<()>;
    /// One message with its parts and their history, if it belongs to
    /// `account_id`.
    async fn message(
        &self,
        account_id: &str,
        message_id: &str,
    ) -> StoreResult<Option<MessageRecord>>;
    /// The messages that match `search` (every tenant's: the operator's
    /// view), newest first by acceptance time then id, at most `limit`.
    async fn search_messages(
        &self,
        search: &MessageSearch,
        limit: u32,
    ) -> StoreResult<Vec<MessageSummary>>;
}

/// The dispatcher's side of the outbox: leased claims and their outcomes.
///
/// A claim hands out due parts of one source, best `sort_key` first, and
/// never a part while a lower messageIndex of the same message is still in
/// the outbox (so one destination's messages go out in index order). A
/// claimed part is leased until `lease_until` under `lease`, a name unique
/// to the claim (so that even the same instance claiming the part again
/// after its lease ran out holds a different lease); nobody can claim it
/// before then, and an outcome is only recorded while its lease still holds
/// the part.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    async fn claim(
        &self,
        source: &str,
        lease: &str,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedPart>>;
    /// Records the outcomes in one transaction; for each, whether it was
    /// recorded (`false`: the lease was lost to another owner).
    async fn record(&self, outcomes: &[Outcome]) -> StoreResult<Vec<bool>>;
    /// Gives back the parts of `lease` that were not tried.
    async fn release(&self, lease: &str, parts: &[(String, u32)]) -> StoreResult<()>;
    /// The sources that have any work in the outbox.
    async fn outbox_sources(&self) -> StoreResult<Vec<String>>;
    /// Events after `after_id`, oldest first, at most `limit`.
    async fn events_after(&self, after_id: i64, limit: u32) -> StoreResult<Vec<EventRecord>>;
}

/// What Meta's webhooks carry: statuses and incoming messages.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Stores the webhooks' contents in one transaction, each status at
    /// most once by wamid, business number and status, each incoming
    /// message at most once by wamid. A status of a known wamid sent from
    /// the business number it names joins that part's history (with an
    /// event) at once; one whose wamid is not known yet waits, and joins it
    /// when the submission that got the wamid is recorded. A status naming
    /// another number is kept but never applied, and does not stand in the
    /// way of the genuine one.
    async fn receive(&self, batches: &[WebhookBatch]) -> StoreResult<Vec<WebhookReceipt>>;
    /// The contact book: what a tenant's webhooks said a phone number's
    /// BSUIDs are (recorded whenever a webhook carries both).
    async fn contact(&self, account_id: &str, phone: &str) -> StoreResult<Option<Contact>>;
    /// The wamid of the incoming message to the business number
    /// `phone_number_id` named `id`: the id wagate gave it when routing it,
    /// or its wamid itself.
    async fn received_wamid(&self, phone_number_id: &str, id: &str) -> StoreResult<Option<String>>;
    /// Forgets the reports of statuses received before `received_before`:
    /// those applied (kept only so that Meta's repeats are recognised, which
    /// stop after seven days) and those still waiting for a wamid that will
    /// not come (the message was sent again under another wamid, or never by
    /// this gateway). The history keeps every applied status. Returns how
    /// many were forgotten.
    async fn forget_old_statuses(&self, received_before: Millis) -> StoreResult<u64>;
}

/// Callbacks to gates: the per-gate queues fed from the event queue.
///
/// A delivery is claimed with a lease, like the outbox, and never while an
/// earlier delivery of the same message to the same gate is still pending:
/// each gate hears one message's reports in the order they happened.
#[async_trait]
pub trait CallbackStore: Send + Sync {
    /// Where the reader `name` of the event queue has got (0 at first).
    async fn cursor(&self, name: &str) -> StoreResult<i64>;
    /// Queues the deliveries and moves the cursor from `from` (where the
    /// reader found it) to `to`, in one transaction; a (event, gate) already
    /// queued is not queued twice. `false`, with nothing queued, when the
    /// cursor is no longer at `from` (another instance got there first).
    async fn enqueue_deliveries(
        &self,
        cursor: &str,
        from: i64,
        to: i64,
        deliveries: &[NewDelivery],
    ) -> StoreResult<bool>;
    /// Those of these messages that name event report gates (the others
    /// need no delivery reports), with their parts' types and states but
    /// neither the parts' histories nor their content: what a delivery
    /// report tells, read for a whole batch of events at once.
    async fn messages_to_report(&self, message_ids: &[&str]) -> StoreResult<Vec<MessageRecord>>;
    /// What the contact book knows of these phone numbers, in every account
    /// (the caller picks the account's).
    async fn contacts_of(&self, phones: &[&str]) -> StoreResult<Vec<Contact>>;
    /// Incoming messages not routed yet, oldest first.
    async fn unrouted_inbound(&self, limit: u32) -> StoreResult<Vec<UnroutedInbound>>;
    /// Queues the deliveries of routed incoming messages and marks them
    /// routed, in one transaction (a message without a route is marked
    /// routed with no delivery).
    /// Each routed message's content is erased then, unless it is kept
    /// (see [`RoutedInbound`]).
    async fn enqueue_routed(
        &self,
        routed: &[RoutedInbound],
        deliveries: &[NewDelivery],
    ) -> StoreResult<()>;
    /// Claims up to `limit` due deliveries, leased to `lease` until
    /// `lease_until`. Each gate gets at most `per_gate` less its deliveries
    /// leased now (by any claim), and the gates take turns: every gate's
    /// first due delivery comes before any gate's second. A gate whose tries
    /// hang thus holds at most `per_gate` of them, and its backlog never
    /// stands before other gates' work.
    async fn claim_deliveries(
        &self,
        lease: &str,
        now: Millis,
        lease_until: Millis,
        limit: u32,
        per_gate: u32,
    ) -> StoreResult<Vec<ClaimedDelivery>>;
    /// Records the tries in one transaction, each only while its lease
    /// holds; for each, whether it was recorded (`false`: the lease was
    /// lost). A delivery that ends (delivered or given up) erases the
    /// message content its body carries, unless that is kept.
    ///
    /// With `follow`, in the same transaction, each recorded try that
    /// delivered has its message's next callback to the same gate leased
    /// under the try's lease and returned, when that one is due, not
    /// leased, and its gate not paused: the next callback of a message
    /// leaves as its previous one is recorded, without a claim between.
    async fn record_attempts(
        &self,
        attempts: &[DeliveryAttempt],
        follow: Option<FollowOn>,
    ) -> StoreResult<Vec<RecordedAttempt>>;
    /// The delivery reports of one message, to every gate, oldest first.
    async fn message_deliveries(&self, message_id: &str) -> StoreResult<Vec<DeliveryRecord>>;
    /// A gate's most recent callbacks (newest first) with their tries.
    async fn gate_deliveries(&self, gate_id: &str, limit: u32) -> StoreResult<Vec<DeliveryRecord>>;
    /// Queues a copy of a callback of the gate, due now (behind whatever of
    /// the same message is still pending); `false` if the gate has no such
    /// callback, or its content is no longer kept.
    async fn redeliver(&self, gate_id: &str, delivery_id: i64, now: Millis) -> StoreResult<bool>;
    /// Pauses callbacks to a gate (`Some(since)`; a paused gate stays
    /// paused since its first pause) or resumes them (`None`): no claim
    /// takes a paused gate's callbacks, which wait durably. `false` when
    /// there is no such gate.
    async fn set_gate_paused(&self, gate_id: &str, paused_at: Option<Millis>) -> StoreResult<bool>;
    /// The paused gates, with when each was paused.
    async fn paused_gates(&self) -> StoreResult<Vec<(String, Millis)>>;
}

/// Message content kept for a while (see [`crate::retention`]).
#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// Erases the content kept until `now` or earlier that is no longer
    /// needed: parts out of the outbox, routed incoming messages, callbacks
    /// delivered or given up.
    async fn erase_content(&self, now: Millis) -> StoreResult<ErasedContent>;
}

/// Who holds a named lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseHolder {
    /// The caller holds it now.
    Caller,
    /// Another holder does, until `until` (unless it renews).
    Other { holder: String, until: Millis },
}

/// Named leases that let one instance at a time do a job: work off one
/// business number's outbox (so its throughput is paced in one place), feed
/// the callback queues. A holder renews its lease well before it runs out;
/// a lease that ran out (its holder died) is anybody's.
#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Takes `name` for `holder` until `until`, or renews it if `holder`
    /// already has it; succeeds when nobody holds it or its lease ran out
    /// by `now`.
    async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: Millis,
        until: Millis,
    ) -> StoreResult<LeaseHolder>;
    /// Gives `name` up, if `holder` still holds it.
    async fn drop_lease(&self, name: &str, holder: &str) -> StoreResult<()>;
}

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
