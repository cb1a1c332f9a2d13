//! What operations ask of the store: the backlogs the metrics report
//! (outbox depth per priority and its oldest due part, callbacks pending,
//! named leases held) and whether the schema is the one this build expects
//! (the readiness probe).
//!
//! The SQL is the same on both backends, so the queries are written once,
//! generic over the sqlx database; each backend's [`OpsStore`] impl hands
//! them its read pool and its migrator. Each query is one aggregate over a
//! table the gateway keeps small when healthy (the outbox, the pending
//! callbacks, the leases): the metrics call them at scrape time, at most
//! once per `--metrics-gauge-ttl`, never per request.

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use wagate_domain::Priority;

use super::rows::StoreRow;
use super::{Millis, StoreResult};

/// Parts in the outbox with one priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxDepth {
    pub priority: Priority,
    /// Parts waiting, due or not (a resend waits for its time), leased or not.
    pub parts: u64,
    /// The earliest due time among the parts due by `now`, if any is.
    pub oldest_due_at: Option<Millis>,
}

/// The backlogs as the store sees them at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backlogs {
    /// One entry per priority that has parts in the outbox.
    pub outbox: Vec<OutboxDepth>,
    /// Callbacks not yet delivered nor given up.
    pub callbacks_pending: u64,
    /// Of those, the ones due now (the rest wait for their next try).
    pub callbacks_due: u64,
    /// Named leases (business numbers' outboxes, the callback feeder) that
    /// `holder` holds now.
    pub leases_held: u64,
}

/// Where the database's schema stands against this build's migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaVersion {
    /// The newest migration applied successfully, if any.
    pub applied: Option<i64>,
    /// The newest migration this build knows.
    pub expected: i64,
}

impl SchemaVersion {
    /// Every migration of this build is applied (a database a newer build
    /// migrated further counts too: migrations only add).
    pub fn is_current(&self) -> bool {
        self.applied.is_some_and(|applied| applied >= self.expected)
    }
}

/// The store's answers for operations.
#[async_trait]
pub trait OpsStore: Send + Sync {
    /// The backlogs at `now`, with the leases held by `holder`.
    async fn backlogs(&self, holder: &str, now: Millis) -> StoreResult<Backlogs>;
    /// The schema's version (one small read: also the probe that the store
    /// answers at all).
    async fn schema_version(&self) -> StoreResult<SchemaVersion>;
    /// Does the upkeep autovacuum would do, where the tables need it:
    /// clears the dead rows of those with enough of them, and brings the
    /// planner's statistics up to date where the tables (of `scope`'s)
    /// changed enough since they were last gathered. The callback leases
    /// turn over hundreds of times a second, and a plan made on an empty
    /// table's figures walks every row of a full one (PostgreSQL; SQLite
    /// reuses freed pages as it goes, its planner needs no statistics for
    /// these queries, and it does nothing).
    async fn tend_tables(&self, scope: StatisticsScope) -> StoreResult<TablesTended>;
}

/// The tables whose statistics a [`OpsStore::tend_tables`] gathers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatisticsScope {
    /// Only those whose statistics were never gathered: a new database's,
    /// as its first load arrives, when the planner has nothing but guesses.
    NeverGathered,
    /// Every table of the schema.
    All,
}

/// What one [`OpsStore::tend_tables`] did, each table named as the
/// database names it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TablesTended {
    /// The tables whose dead rows it cleared.
    pub vacuumed: Vec<String>,
    /// The tables whose statistics it gathered.
    pub analyzed: Vec<String>,
}

impl TablesTended {
    /// Whether it did nothing.
    pub fn is_empty(&self) -> bool {
        self.vacuumed.is_empty() && self.analyzed.is_empty()
    }
}

/// Outbox parts per priority, with the oldest due time (`$1`: now).
const OUTBOX_BY_PRIORITY: &str = "SELECT m.priority AS priority, COUNT(*) AS parts,
            MIN(CASE WHEN o.due_at <= $1 THEN o.due_at END) AS oldest_due_at
     FROM outbox o JOIN messages m ON m.message_id = o.message_id
     GROUP BY m.priority";
/// Pending callbacks, and how many are due (`$1`: now).
const CALLBACKS_PENDING: &str = "SELECT COUNT(*) AS pending,
            COALESCE(SUM(CASE WHEN next_attempt_at <= $1 THEN 1 ELSE 0 END), 0) AS due
     FROM deliveries WHERE state = 'PENDING'";
/// Leases held by `$1` at `$2`.
const LEASES_HELD: &str =
    "SELECT COUNT(*) AS held FROM leases WHERE holder = $1 AND held_until > $2";
/// The newest migration applied.
const SCHEMA_VERSION: &str =
    "SELECT MAX(version) AS version FROM _sqlx_migrations WHERE success = TRUE";

/// A count read as `u64` (a negative one cannot happen; it reads as 0).
fn count(row: &impl StoreRow, column: &str) -> StoreResult<u64> {
    Ok(u64::try_from(row.get::<i64>(column)?).unwrap_or_default())
}

/// [`OpsStore::backlogs`] on `pool`.
pub(crate) async fn backlogs<DB>(
    pool: &sqlx::Pool<DB>,
    holder: &str,
    now: Millis,
) -> StoreResult<Backlogs>
where
    DB: sqlx::Database,
    DB::Row: StoreRow,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut outbox = Vec::new();
    for row in sqlx::query(OUTBOX_BY_PRIORITY)
        .bind(now)
        .fetch_all(pool)
        .await?
    {
        let name: String = row.get("priority")?;
        // Every stored priority is one of the three; anything else is
        // not a part the dispatcher sends either.
        let Some(priority) = Priority::parse(&name) else {
            continue;
        };
        outbox.push(OutboxDepth {
            priority,
            parts: count(&row, "parts")?,
            oldest_due_at: row.get("oldest_due_at")?,
        });
    }
    let callbacks = sqlx::query(CALLBACKS_PENDING)
        .bind(now)
        .fetch_one(pool)
        .await?;
    let leases = sqlx::query(LEASES_HELD)
        .bind(holder.to_owned())
        .bind(now)
        .fetch_one(pool)
        .await?;
    Ok(Backlogs {
        outbox,
        callbacks_pending: count(&callbacks, "pending")?,
        callbacks_due: count(&callbacks, "due")?,
        leases_held: count(&leases, "held")?,
    })
}

/// [`OpsStore::schema_version`] on `pool`, against `migrator`.
pub(crate) async fn schema_version<DB>(
    pool: &sqlx::Pool<DB>,
    migrator: &Migrator,
) -> StoreResult<SchemaVersion>
where
    DB: sqlx::Database,
    DB::Row: StoreRow,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    let row = sqlx::query(SCHEMA_VERSION).fetch_one(pool).await?;
    Ok(SchemaVersion {
        applied: row.get("version")?,
        expected: migrator
            .iter()
            .map(|migration| migration.version)
            .max()
            .unwrap_or_default(),
    })
}
