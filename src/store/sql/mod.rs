//! What the SQLite and PostgreSQL stores share: one module per concern
//! ([`tenants`], [`messages`], [`outbox`], [`webhooks`], [`callbacks`],
//! [`retention`], [`leases`]), each with its store trait, its models and
//! the trait's implementation, written once for any [`SqlBackend`] with the
//! SQL that is the same on both backends. What differs is the
//! [`SqlBackend`] contract, which each backend implements and the compiler
//! checks: the dialect's statements, how a list is bound, how a read
//! snapshot and a write transaction begin, the hot writes and claims,
//! whole (SQLite's writer thread jobs, PostgreSQL's transactions), and the
//! callback feed's reads (on SQLite a reader thread's job).
//!
//! sqlx's executors, argument buffers and results are per-driver types;
//! their generic bounds are written once, on the blanket impl of
//! [`Driver`], which binds [`Arg`]s and runs a statement on a pool or a
//! transaction ([`On`]). The shared code needs no other bound.

pub mod callbacks;
pub mod leases;
pub mod messages;
pub mod outbox;
pub mod retention;
pub mod tenants;
pub mod webhooks;

use std::future::Future;
use std::ops::Deref;

use sqlx::query::Query;
use sqlx::{Database, Executor, IntoArguments, Pool, SqlSafeStr, Transaction};

use self::callbacks::ReportBatch;
use super::rows::{FromStoreRow, StoreRow};
use super::{
    ClaimedDelivery, ClaimedPart, DeliveryAttempt, FollowOn, Millis, NewDelivery, NewRequest,
    Outcome, RecordedAttempt, RoutedInbound, StoreResult, WebhookBatch, WebhookReceipt,
};

/// A statement of the database `DB`, with its values bound.
pub type Statement<DB> = Query<'static, DB, <DB as Database>::Arguments>;

/// What a backend gives the shared implementation of the store's traits
/// (implemented by [`SqliteStore`](super::sqlite::SqliteStore) and
/// [`PgStore`](super::postgres::PgStore)).
pub trait SqlBackend: Send + Sync + 'static {
    /// The sqlx database of the backend's pools.
    type Db: Driver;
    /// A list of texts as one bound value: a JSON array on SQLite (read
    /// with `json_each($n)`), an array on PostgreSQL (`= ANY($n)`).
    type List<'a>: sqlx::Encode<'a, Self::Db> + sqlx::Type<Self::Db> + Send;
    /// A turn on the pool that writes ([`Self::write_turn`]).
    type WriteTurn<'a>: Deref<Target = Pool<Self::Db>> + Send
    where
        Self: 'a;

    /// Begins a read transaction whose statements all see one snapshot
    /// (the reads of one answer).
    const SNAPSHOT: &'static str;
    /// Begins a write transaction on the writer pool.
    const BEGIN_WRITE: &'static str;

    /// Those of the messages in the list `$1` that name event report gates.
    const MESSAGES_TO_REPORT: &'static str;
    /// The parts of the messages in the list `$1`, without their content,
    /// in order.
    const PARTS_TO_REPORT: &'static str;
    /// The contacts of the phone numbers in the list `$1`, in every account.
    const CONTACTS_OF: &'static str;
    /// The oldest `$1` incoming messages not routed yet, with their
    /// source's id (`source_id`).
    const UNROUTED_INBOUND: &'static str;
    /// Deletes those of the `$2` oldest of Meta's statuses (in the order
    /// they were stored, by the table's own key) received before `$1`: each
    /// step of a clean-up reads only the front of that key, where the old
    /// rows are, never the whole table. A row stored out of time order
    /// behind a newer one waits for the next clean-up.
    const FORGET_STATUSES: &'static str;

    /// The pool that writes, for as long as the turn lives: every write
    /// through it takes one (on SQLite, the writer thread makes way for it
    /// until it drops; see `sqlite::writer`). A write holds its turn to
    /// its commit, and never waits for the writer thread meanwhile.
    fn write_turn(&self) -> impl Future<Output = StoreResult<Self::WriteTurn<'_>>> + Send;
    /// The pool that reads (the writer's on PostgreSQL).
    fn reader(&self) -> &Pool<Self::Db>;
    /// `items` as one bound value (see [`Self::List`]).
    fn list<'a>(items: &'a [&'a str]) -> StoreResult<Self::List<'a>>;

    /// Commits a batch of accepted requests in one transaction
    /// ([`MessageStore::accept`](super::MessageStore::accept)).
    fn accept_batch(&self, batch: &[NewRequest]) -> impl Future<Output = StoreResult<()>> + Send;
    /// Records the dispatcher's outcomes
    /// ([`OutboxStore::record`](super::OutboxStore::record)).
    fn record_outcomes(
        &self,
        outcomes: &[Outcome],
    ) -> impl Future<Output = StoreResult<Vec<bool>>> + Send;
    /// Gives back the parts a lease did not try
    /// ([`OutboxStore::release`](super::OutboxStore::release)).
    fn release_parts(
        &self,
        lease: &str,
        parts: &[(String, u32)],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Stores Meta's webhooks
    /// ([`WebhookStore::receive`](super::WebhookStore::receive)).
    fn receive_webhooks(
        &self,
        batches: &[WebhookBatch],
    ) -> impl Future<Output = StoreResult<Vec<WebhookReceipt>>> + Send;
    /// Records callback tries, never none
    /// ([`CallbackStore::record_attempts`](super::CallbackStore::record_attempts)).
    fn record_delivery_attempts(
        &self,
        attempts: &[DeliveryAttempt],
        follow: Option<FollowOn>,
    ) -> impl Future<Output = StoreResult<Vec<RecordedAttempt>>> + Send;
    /// Queues deliveries and moves the event cursor, in one transaction
    /// ([`CallbackStore::enqueue_deliveries`](super::CallbackStore::enqueue_deliveries)).
    fn queue_deliveries(
        &self,
        cursor: &str,
        from: i64,
        to: i64,
        deliveries: &[NewDelivery],
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Queues routed incoming messages' deliveries and marks them routed,
    /// in one transaction
    /// ([`CallbackStore::enqueue_routed`](super::CallbackStore::enqueue_routed)).
    fn queue_routed(
        &self,
        routed: &[RoutedInbound],
        deliveries: &[NewDelivery],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Claims due outbox parts
    /// ([`OutboxStore::claim`](super::OutboxStore::claim)).
    fn lease_due_parts(
        &self,
        source: &str,
        lease: &str,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<ClaimedPart>>> + Send;
    /// Reads what an event queue's reader reports next (on SQLite from one
    /// snapshot) with [`callbacks::report_batch_of`]
    /// ([`CallbackStore::report_batch`](super::CallbackStore::report_batch)).
    fn read_report_batch(
        &self,
        cursor: &str,
        limit: u32,
    ) -> impl Future<Output = StoreResult<ReportBatch>> + Send;
    /// Claims due callbacks
    /// ([`CallbackStore::claim_deliveries`](super::CallbackStore::claim_deliveries)).
    fn lease_due_deliveries(
        &self,
        lease: &str,
        now: Millis,
        lease_until: Millis,
        limit: u32,
        per_gate: u32,
    ) -> impl Future<Output = StoreResult<Vec<ClaimedDelivery>>> + Send;
}

/// A value bound to a statement, in order (`$1`, `$2`, …). A list is
/// bound apart, as the backend binds lists ([`SqlBackend::list`]).
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    /// `TEXT`.
    Text(&'a str),
    /// `TEXT` or `NULL`.
    OptionalText(Option<&'a str>),
    /// `BIGINT` (times, ids, counts).
    Int(i64),
    /// `BIGINT` or `NULL`.
    OptionalInt(Option<i64>),
    /// `BOOLEAN`.
    Bool(bool),
}

/// Where a statement runs: on a pool, or on the connection of a
/// transaction.
pub enum On<'a, DB: Database> {
    /// On any connection of the pool.
    Pool(&'a Pool<DB>),
    /// On this connection (a transaction's).
    Connection(&'a mut DB::Connection),
}

impl<'a, DB: Database> From<&'a Pool<DB>> for On<'a, DB> {
    fn from(pool: &'a Pool<DB>) -> Self {
        Self::Pool(pool)
    }
}

impl<'a, DB: Database> From<&'a mut Transaction<'_, DB>> for On<'a, DB> {
    fn from(transaction: &'a mut Transaction<'_, DB>) -> Self {
        Self::Connection(&mut **transaction)
    }
}

/// The rows a statement changed, whichever driver ran it (sqlx has no
/// trait for it).
pub trait RowsAffected {
    fn rows_affected(&self) -> u64;
}

impl RowsAffected for sqlx::sqlite::SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
}

impl RowsAffected for sqlx::postgres::PgQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
}

/// A sqlx database the shared code runs statements on: binds [`Arg`]s and
/// runs a statement where [`On`] says. Implemented for every database that
/// meets the bounds below (SQLite's and PostgreSQL's), which are written
/// here and nowhere else.
pub trait Driver: Database<Row: StoreRow, QueryResult: RowsAffected> {
    /// `sql` with `args` bound in order.
    fn statement<'a>(
        sql: impl SqlSafeStr,
        args: impl IntoIterator<Item = Arg<'a>>,
    ) -> Statement<Self>;
    /// Every row the statement returns.
    fn fetch_all<'a>(
        on: impl Into<On<'a, Self>>,
        statement: Statement<Self>,
    ) -> impl Future<Output = Result<Vec<Self::Row>, sqlx::Error>> + Send;
    /// The first row the statement returns, if any.
    fn fetch_optional<'a>(
        on: impl Into<On<'a, Self>>,
        statement: Statement<Self>,
    ) -> impl Future<Output = Result<Option<Self::Row>, sqlx::Error>> + Send;
    /// The first row the statement returns; [`sqlx::Error::RowNotFound`]
    /// when there is none.
    fn fetch_one<'a>(
        on: impl Into<On<'a, Self>>,
        statement: Statement<Self>,
    ) -> impl Future<Output = Result<Self::Row, sqlx::Error>> + Send;
    /// Runs the statement; how many rows it changed.
    fn execute<'a>(
        on: impl Into<On<'a, Self>>,
        statement: Statement<Self>,
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;
}

impl<DB> Driver for DB
where
    DB: Database<Row: StoreRow, QueryResult: RowsAffected>,
    DB::Arguments: IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    fn statement<'a>(
        sql: impl SqlSafeStr,
        args: impl IntoIterator<Item = Arg<'a>>,
    ) -> Statement<Self> {
        args.into_iter()
            .fold(sqlx::query(sql), |statement, arg| match arg {
                Arg::Text(value) => statement.bind(value),
                Arg::OptionalText(value) => statement.bind(value),
                Arg::Int(value) => statement.bind(value),
                Arg::OptionalInt(value) => statement.bind(value),
                Arg::Bool(value) => statement.bind(value),
            })
    }

    fn fetch_all<'a>(
        on: impl Into<On<'a, Self>>,
        statement: Statement<Self>,
    ) -> impl Future<Output = Result<Vec<Self::Row>, sqlx::Error>> + Send {
        let on = on.into();
        async move {
            match on {
                On::Pool(pool) => statement.fetch_all(pool).await,
                On::Connection(connection) => statement.fetch_all(connection).await,
            }
        }
    }

    fn fetch_optional<'a>(
        on: impl Into<On<'a, Self>>,
        statement: Statement<Self>,
    ) -> impl Future<Output = Result<Option<Self::Row>, sqlx::Error>> + Send {
        let on = on.into();
        async move {
            match on {
                On::Pool(pool) => statement.fetch_optional(pool).await,
                On::Connection(connection) => statement.fetch_optional(connection).await,
            }
        }
    }

    fn fetch_one<'a>(
        on: impl Into<On<'a, Self>>,
        statement: Statement<Self>,
    ) -> impl Future<Output = Result<Self::Row, sqlx::Error>> + Send {
        let on = on.into();
        async move {
            match on {
                On::Pool(pool) => statement.fetch_one(pool).await,
                On::Connection(connection) => statement.fetch_one(connection).await,
            }
        }
    }

    fn execute<'a>(
        on: impl Into<On<'a, Self>>,
        statement: Statement<Self>,
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send {
        let on = on.into();
        async move {
            let result = match on {
                On::Pool(pool) => statement.execute(pool).await,
                On::Connection(connection) => statement.execute(connection).await,
            }?;
            Ok(result.rows_affected())
        }
    }
}

/// The model of the row `sql` (with `args`) finds on the read pool, if any.
pub(crate) async fn read_optional<B: SqlBackend, T: FromStoreRow>(
    store: &B,
    sql: &'static str,
    args: &[Arg<'_>],
) -> StoreResult<Option<T>> {
    let statement = B::Db::statement(sql, args.iter().copied());
    let row = B::Db::fetch_optional(store.reader(), statement).await?;
    row.as_ref().map(T::from_row).transpose()
}

/// The models of the rows `sql` (with `args`) finds on the read pool.
pub(crate) async fn read_all<B: SqlBackend, T: FromStoreRow>(
    store: &B,
    sql: &'static str,
    args: &[Arg<'_>],
) -> StoreResult<Vec<T>> {
    let statement = B::Db::statement(sql, args.iter().copied());
    let rows = B::Db::fetch_all(store.reader(), statement).await?;
    rows.iter().map(T::from_row).collect()
}

/// Runs `sql` (with `args`) on the writer pool; how many rows it changed.
pub(crate) async fn write<B: SqlBackend>(
    store: &B,
    sql: &'static str,
    args: &[Arg<'_>],
) -> StoreResult<u64> {
    let statement = B::Db::statement(sql, args.iter().copied());
    let turn = store.write_turn().await?;
    Ok(B::Db::execute(&*turn, statement).await?)
}
