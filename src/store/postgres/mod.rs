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
//!   `wagate_events`; [`WakeStore::listen`] turns them into [`Wake`]s.
//!
//! Batches travel as one JSON array per statement (see
//! `store::batch`), read with `jsonb_array_elements` or
//! `jsonb_to_recordset`, so a transaction is a fixed number of statements.
//! The store's traits are implemented once for both backends, in
//! `store::common`; here are the statements that differ, the claims and
//! the locks.

mod accept;
mod callbacks;
mod history;
mod outbox;
mod webhooks;

use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use tokio::sync::mpsc;

use super::{PoolSettings, StoreResult, Wake, WakeStore};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The advisory lock (one-key space) that orders the writers of events.
pub(crate) const EVENTS_LOCK: i64 = 0x7761_6761_7465_0001;
/// The advisory lock class (two-key space, with a hashed wamid) that pairs
/// submissions with Meta's statuses.
pub(crate) const WAMID_LOCK_CLASS: i32 = 0x7761_6701;
/// The channel that tells of new outbox work (payload: the source number).
const OUTBOX_CHANNEL: &str = "wagate_outbox";
/// The channel that tells of new events.
const EVENTS_CHANNEL: &str = "wagate_events";
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
        let options = url.parse::<PgConnectOptions>()?.options([("jit", "off")]);
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

    /// A list bound as one value: an array (`= ANY($n)`).
    fn list<T>(items: &[T]) -> StoreResult<&[T]> {
        Ok(items)
    }
}

crate::store::common::sql_store_common!(
    PgStore,
    sqlx::Postgres,
    // One snapshot for the reads of one answer.
    "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
    "BEGIN"
);

#[async_trait]
impl WakeStore for PgStore {
    async fn listen(&self) -> StoreResult<Option<mpsc::Receiver<Wake>>> {
        let mut listener = PgListener::connect_with(&self.writer).await?;
        listener
            .listen_all([OUTBOX_CHANNEL, EVENTS_CHANNEL])
            .await?;
        let (sender, receiver) = mpsc::channel(WAKE_BUFFER);
        tokio::spawn(forward_wakes(listener, sender));
        Ok(Some(receiver))
    }
}

/// Forwards notifications as wake-ups until the receiver is dropped (or the
/// pool is closed). A lost connection is logged and reconnected by the
/// listener; what was notified meanwhile is lost, which polling covers.
async fn forward_wakes(mut listener: PgListener, sender: mpsc::Sender<Wake>) {
    loop {
        let received = tokio::select! {
            () = sender.closed() => return,
            received = listener.recv() => received,
        };
        match received {
            Ok(notification) => {
                let wake = if notification.channel() == OUTBOX_CHANNEL {
                    Wake::Outbox {
                        source: notification.payload().to_owned(),
                    }
                } else {
                    Wake::Events
                };
                if let Err(mpsc::error::TrySendError::Closed(_)) = sender.try_send(wake) {
                    return;
                }
            }
            Err(sqlx::Error::PoolClosed) => return,
            Err(error) => {
                tracing::warn!(%error, "listening for wake-ups failed; reconnecting");
                tokio::select! {
                    () = sender.closed() => return,
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }
}
