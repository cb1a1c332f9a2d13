//! The PostgreSQL store: one pool shared by every instance of the gateway
//! that points at the same database, embedded migrations
//! (`migrations/postgres`; sqlx's migrator holds an advisory lock while it
//! runs, so instances starting together are safe).
//!
//! Several instances write at once, so where SQLite relies on its single
//! writer this backend says how concurrent transactions stay correct:
//!
//! - **Claims** (outbox parts, callback deliveries) are one statement each:
//!   `SELECT … FOR UPDATE SKIP LOCKED LIMIT n` picks the due rows nobody
//!   else is claiming, and the `UPDATE` of the same statement leases them.
//!   Outcomes are recorded only while the lease still holds the row.
//! - **Event ids become visible in id order.** The callback fan-out reads
//!   the events after its cursor; an id handed out by the sequence but
//!   committed after a larger one would be skipped for good. So every
//!   transaction that writes events takes one transaction-scoped advisory
//!   lock (`EVENTS_LOCK`) right before inserting them, and inserting them
//!   is its last write: the lock is held only from the insert to the
//!   commit, and the next writer of events gets its ids after that commit
//!   is visible.
//! - **A submission and Meta's first statuses for it** may be recorded by
//!   two instances at the same time; each would miss the other's
//!   uncommitted half. Both take transaction-scoped advisory locks on the
//!   wamids involved (hashed, in ascending order) before their writes, so
//!   one of them runs after the other committed and joins the two.
//! - **The event cursor** moves by compare-and-swap; its `UPDATE` locks the
//!   cursor row, so a second instance waits, then finds the cursor moved
//!   and queues nothing.
//! - **Wake-ups**: accepting a batch notifies `wagate_outbox` once per
//!   business number (the payload), writing events notifies
//!   `wagate_events`, and triggers on the tenant tables notify
//!   `wagate_tenants` on any change (migration 0010);
//!   [`WakeStore::listen`] turns them into [`Wake`]s.
//!
//! Batches travel as one typed array per column (see `column`), read with
//! `UNNEST`, so a transaction is a fixed number of statements however many
//! rows it writes.
//! The store's traits are implemented once for both backends, in
//! [`store::sql`](super::sql); here is this backend's side of its
//! [`SqlBackend`] contract (the statements that differ, the hot writes, the
//! claims) and the locks.

mod accept;
mod callbacks;
mod history;
mod outbox;
mod upkeep;
mod webhooks;

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use tokio::sync::mpsc;

use super::ops::{self, Backlogs, SchemaVersion, StatisticsScope, TablesTended};
use super::source_figures::{
    self, PriorityBacklog, RecentSubmissions, SourceBacklog, SourceFailure, SourceFiguresStore,
};
use super::sql::SqlBackend;
use super::sql::callbacks::{ReadApart, report_batch_of};
use super::{
    ClaimedDelivery, ClaimedPart, DeliveryAttempt, FollowOn, Millis, NewDelivery, NewRequest,
    OpsStore, Outcome, PoolSettings, RecordedAttempt, ReportBatch, RoutedInbound, StoreResult,
    Wake, WakeStore, WebhookBatch, WebhookReceipt,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// One column of a batch's rows as a typed array, `field` of each row in
/// order: bound as `$n::type[]` and read back as rows with `UNNEST`. The
/// server takes each value as it is, where a JSON array of rows had it lex
/// every field out of text (a tenth of its time, with the callbacks'
/// payloads).
fn column<'r, R, T>(rows: &'r [R], field: impl Fn(&'r R) -> T) -> Vec<T> {
    rows.iter().map(field).collect()
}

/// The advisory lock (one-key space) that orders the writers of events.
pub(crate) const EVENTS_LOCK: i64 = 0x7761_6761_7465_0001;
/// The advisory lock class (two-key space, with a hashed wamid) that pairs
/// submissions with Meta's statuses.
pub(crate) const WAMID_LOCK_CLASS: i32 = 0x7761_6701;
/// The channel that tells of new outbox work (payload: the source number).
const OUTBOX_CHANNEL: &str = "wagate_outbox";
/// The channel that tells of new events.
const EVENTS_CHANNEL: &str = "wagate_events";
/// The channel that tells of changed tenant rows (payload: the table).
const TENANTS_CHANNEL: &str = "wagate_tenants";
/// Wake-ups waiting for their consumer; more are dropped (consumers poll).
const WAKE_BUFFER: usize = 1024;

pub struct PgStore {
    /// Writes and reads share the pool; the names match the SQLite store's.
    writer: PgPool,
    reader: PgPool,
}

impl PgStore {
    /// Connects to the database at a `postgres://` URL and brings its schema
    /// up to date.
    pub async fn open(url: &str, pool: PoolSettings) -> StoreResult<Self> {
        // No JIT compilation: the claims' estimates (a gate's room is not
        // known when the plan is made) pass the JIT thresholds by far, and
        // compiling took a second and more per claim, where the query itself
        // runs in a millisecond. None of the gateway's statements is the
        // long analytic query JIT is for.
        // The planner's statistics the gateway gathers come from a small
        // sample (see `upkeep`).
        let options = url
            .parse::<PgConnectOptions>()?
            .options([("jit", "off")])
            .options([("default_statistics_target", upkeep::STATISTICS_TARGET)]);
        let writer = PgPoolOptions::new()
            .max_connections(pool.max_connections)
            .min_connections(pool.min_connections.min(pool.max_connections))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        MIGRATOR.run(&writer).await?;
        Ok(Self {
            reader: writer.clone(),
            writer,
        })
    }
}

/// The shared implementation's contract ([`SqlBackend`]): the hot writes
/// and the claims are sqlx transactions (the claims one statement each),
/// each the inherent method of the same name in its concern's file
/// (`accept`, `outbox`, `webhooks`, `callbacks`).
impl SqlBackend for PgStore {
    type Db = sqlx::Postgres;
    type List<'a> = &'a [&'a str];
    type WriteTurn<'a> = &'a PgPool;

    /// One snapshot for the reads of one answer.
    const SNAPSHOT: &'static str = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
    const BEGIN_WRITE: &'static str = "BEGIN";

    const MESSAGES_TO_REPORT: &'static str = callbacks::MESSAGES_TO_REPORT;
    const PARTS_TO_REPORT: &'static str = callbacks::PARTS_TO_REPORT;
    const CONTACTS_OF: &'static str = callbacks::CONTACTS_OF;
    const UNROUTED_INBOUND: &'static str = callbacks::UNROUTED_INBOUND;
    /// By id, through its index: the heap keeps no order (a status marked
    /// applied moves to another page), and a scan of it from its start
    /// would pass every row the steps before deleted, until a vacuum.
    const FORGET_STATUSES: &'static str = "DELETE FROM meta_statuses
         WHERE received_at < $1
           AND id = ANY(ARRAY(SELECT id FROM meta_statuses ORDER BY id LIMIT $2))";

    /// The pool itself: PostgreSQL's writers do not need to take turns.
    async fn write_turn(&self) -> StoreResult<&PgPool> {
        Ok(&self.writer)
    }

    fn reader(&self) -> &PgPool {
        &self.reader
    }

    /// An array as it is (`= ANY($n)`).
    fn list<'a>(items: &'a [&'a str]) -> StoreResult<&'a [&'a str]> {
        Ok(items)
    }

    fn accept_batch(&self, batch: &[NewRequest]) -> impl Future<Output = StoreResult<()>> + Send {
        PgStore::accept_batch(self, batch)
    }

    fn record_outcomes(
        &self,
        outcomes: &[Outcome],
    ) -> impl Future<Output = StoreResult<Vec<bool>>> + Send {
        PgStore::record_outcomes(self, outcomes)
    }

    fn release_parts(
        &self,
        lease: &str,
        parts: &[(String, u32)],
    ) -> impl Future<Output = StoreResult<()>> + Send {
        PgStore::release_parts(self, lease, parts)
    }

    fn receive_webhooks(
        &self,
        batches: &[WebhookBatch],
    ) -> impl Future<Output = StoreResult<Vec<WebhookReceipt>>> + Send {
        PgStore::receive_webhooks(self, batches)
    }

    fn record_delivery_attempts(
        &self,
        attempts: &[DeliveryAttempt],
        follow: Option<FollowOn>,
    ) -> impl Future<Output = StoreResult<Vec<RecordedAttempt>>> + Send {
        PgStore::record_delivery_attempts(self, attempts, follow)
    }

    fn queue_deliveries(
        &self,
        cursor: &str,
        from: i64,
        to: i64,
        deliveries: &[NewDelivery],
    ) -> impl Future<Output = StoreResult<bool>> + Send {
        PgStore::queue_deliveries(self, cursor, from, to, deliveries)
    }

    fn queue_routed(
        &self,
        routed: &[RoutedInbound],
        deliveries: &[NewDelivery],
    ) -> impl Future<Output = StoreResult<()>> + Send {
        PgStore::queue_routed(self, routed, deliveries)
    }

    fn lease_due_parts(
        &self,
        source: &str,
        lease: &str,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<ClaimedPart>>> + Send {
        PgStore::lease_due_parts(self, source, lease, now, lease_until, limit)
    }

    fn lease_due_deliveries(
        &self,
        lease: &str,
        now: Millis,
        lease_until: Millis,
        limit: u32,
        per_gate: u32,
    ) -> impl Future<Output = StoreResult<Vec<ClaimedDelivery>>> + Send {
        PgStore::lease_due_deliveries(self, lease, now, lease_until, limit, per_gate)
    }

    async fn read_report_batch(&self, cursor: &str, limit: u32) -> StoreResult<ReportBatch> {
        report_batch_of(&mut ReadApart(self), cursor, limit).await
    }
}

#[async_trait]
impl OpsStore for PgStore {
    async fn backlogs(&self, holder: &str, now: Millis) -> StoreResult<Backlogs> {
        ops::backlogs(&self.reader, holder, now).await
    }

    async fn schema_version(&self) -> StoreResult<SchemaVersion> {
        ops::schema_version(&self.reader, &MIGRATOR).await
    }

    async fn tend_tables(&self, scope: StatisticsScope) -> StoreResult<TablesTended> {
        upkeep::tend(&self.writer, scope).await
    }
}

#[async_trait]
impl SourceFiguresStore for PgStore {
    async fn outbox_by_source(&self, now: Millis) -> StoreResult<Vec<SourceBacklog>> {
        source_figures::outbox_by_source(&self.reader, now).await
    }

    async fn source_outbox(&self, source: &str, now: Millis) -> StoreResult<Vec<PriorityBacklog>> {
        source_figures::source_outbox(&self.reader, source, now).await
    }

    async fn recent_submissions(
        &self,
        source: &str,
        since: Millis,
        scan: u32,
    ) -> StoreResult<RecentSubmissions> {
        source_figures::recent_submissions(&self.reader, source, since, scan).await
    }

    async fn source_failures(
        &self,
        source: &str,
        limit: u32,
        scan: u32,
    ) -> StoreResult<Vec<SourceFailure>> {
        source_figures::source_failures(&self.reader, source, limit, scan).await
    }
}

#[async_trait]
impl WakeStore for PgStore {
    async fn listen(&self) -> StoreResult<Option<mpsc::Receiver<Wake>>> {
        let listener = listen(&self.writer).await?;
        let (sender, receiver) = mpsc::channel(WAKE_BUFFER);
        tokio::spawn(forward_wakes(self.writer.clone(), listener, sender));
        Ok(Some(receiver))
    }
}

/// A connection listening on every wake-up channel.
async fn listen(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener
        .listen_all([OUTBOX_CHANNEL, EVENTS_CHANNEL, TENANTS_CHANNEL])
        .await?;
    Ok(listener)
}

/// Forwards notifications as wake-ups until the receiver is dropped (or the
/// pool is closed). A lost connection is logged and listened again; what
/// was notified meanwhile is lost, which polling covers for work, and a
/// [`Wake::Tenants`] once listening again covers for cached tenants.
async fn forward_wakes(pool: PgPool, mut listener: PgListener, sender: mpsc::Sender<Wake>) {
    loop {
        let received = tokio::select! {
            () = sender.closed() => return,
            received = listener.try_recv() => received,
        };
        let wake = match received {
            Ok(Some(notification)) => match notification.channel() {
                OUTBOX_CHANNEL => Wake::Outbox {
                    source: notification.payload().to_owned(),
                },
                TENANTS_CHANNEL => Wake::Tenants,
                _ => Wake::Events,
            },
            // The connection was lost and is listening again now: tenants
            // may have changed unheard in between.
            Ok(None) => {
                tracing::warn!("the wake-up connection was lost and is back");
                Wake::Tenants
            }
            Err(sqlx::Error::PoolClosed) => return,
            Err(error) => {
                tracing::warn!(%error, "listening for wake-ups failed; listening again");
                match listen_again(&pool, &sender).await {
                    Some(again) => listener = again,
                    None => return,
                }
                Wake::Tenants
            }
        };
        if !forward(&sender, wake).await {
            return;
        }
    }
}

/// A new listening connection, tried every second until one works; `None`
/// once nobody listens or the pool is closed.
async fn listen_again(pool: &PgPool, sender: &mpsc::Sender<Wake>) -> Option<PgListener> {
    loop {
        tokio::select! {
            () = sender.closed() => return None,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        match listen(pool).await {
            Ok(listener) => return Some(listener),
            Err(sqlx::Error::PoolClosed) => return None,
            Err(error) => tracing::warn!(%error, "listening for wake-ups failed again"),
        }
    }
}

/// Hands one wake-up on; `false` once nobody listens. Work wake-ups are
/// dropped when the consumer lags (it polls anyway); a change of tenants
/// waits for room, since nothing else would drop the cached rows before
/// their TTL.
async fn forward(sender: &mpsc::Sender<Wake>, wake: Wake) -> bool {
    match wake {
        Wake::Tenants => sender.send(wake).await.is_ok(),
        wake => !matches!(
            sender.try_send(wake),
            Err(mpsc::error::TrySendError::Closed(_))
        ),
    }
}
