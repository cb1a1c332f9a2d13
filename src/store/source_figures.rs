//! What the operator console shows of business numbers (sources): each
//! number's outbox (parts waiting, the oldest due), one number's outbox per
//! priority with the oldest due part of each, how many of its parts were
//! submitted lately, and its latest failures with what Meta said.
//!
//! Every query is bounded. The outbox ones read `outbox_by_source` (a table
//! the gateway keeps small when healthy, like [`super::ops`]). The recent
//! submissions are counted among the gateway's newest statuses only (a
//! backward read of the primary key, `scan` rows at most, with no index of
//! its own: one would cost every submission another B-tree insert), and say
//! whether that reached back far enough to be the whole count. The failures
//! are the newest of the gateway's failures, read through a partial index
//! that holds only them (`migrations/*/…_source_failures.sql`): nothing is
//! added to it for a message that goes well.
//!
//! The SQL is the same on both backends, written once, generic over the
//! sqlx database; each backend's [`SourceFiguresStore`] impl hands it its
//! read pool.

use async_trait::async_trait;
use wagate_domain::{MessageState, Priority};

use super::rows::{FromStoreRow, StoreRow, small};
use super::{Millis, StatusRecord, StoreResult};

/// One business number's outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceBacklog {
    /// The business number (E.164).
    pub source: String,
    /// Parts waiting, due or not, leased or not.
    pub parts: u64,
    /// The earliest due time among the parts due by `now`, if any is.
    pub oldest_due_at: Option<Millis>,
}

/// A part waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingPart {
    pub message_id: String,
    pub message_index: u32,
    pub due_at: Millis,
}

/// One business number's parts of one priority in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorityBacklog {
    pub priority: Priority,
    /// Parts waiting, due or not, leased or not.
    pub parts: u64,
    /// The part due longest ago by `now` (ties: the smallest messageId and
    /// index), if any is due.
    pub oldest_due: Option<WaitingPart>,
}

/// Parts of a number submitted since some time, as far as the read reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecentSubmissions {
    /// Submissions (accepted by the Cloud API) found at or after `since`.
    pub parts: u64,
    /// Whether that is all of them: the statuses read reach back before
    /// `since` (or are every status there is). When `false`, `parts` is a
    /// lower bound.
    pub complete: bool,
}

/// A part's try that did not go well: it failed for good (Meta refused it,
/// reported it failed, or it could not be sent), or a resend was scheduled
/// after Meta's or the network's error.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceFailure {
    pub message_id: String,
    pub message_index: u32,
    /// FAILED, or QUEUED for a resend.
    pub state: MessageState,
    pub result_code: u32,
    pub description: String,
    /// The status's details: Meta's `metaErrorCode`, `metaErrorTitle`,
    /// `metaErrorDetails`, the HTTP status, … as recorded.
    pub details: Option<serde_json::Value>,
    pub at: Millis,
}

/// The store's answers about business numbers, for the console.
#[async_trait]
pub trait SourceFiguresStore: Send + Sync {
    /// Every number with parts in the outbox, with the oldest due by `now`.
    async fn outbox_by_source(&self, now: Millis) -> StoreResult<Vec<SourceBacklog>>;
    /// The number `source`'s outbox per priority (those with parts only),
    /// with the oldest part due by `now` of each.
    async fn source_outbox(&self, source: &str, now: Millis) -> StoreResult<Vec<PriorityBacklog>>;
    /// The parts of `source` submitted at or after `since`, counted among
    /// the gateway's newest `scan` statuses.
    async fn recent_submissions(
        &self,
        source: &str,
        since: Millis,
        scan: u32,
    ) -> StoreResult<RecentSubmissions>;
    /// The newest failures of `source` (see [`SourceFailure`]), newest
    /// first, at most `limit`, among the gateway's newest `scan` failures.
    async fn source_failures(
        &self,
        source: &str,
        limit: u32,
        scan: u32,
    ) -> StoreResult<Vec<SourceFailure>>;
}

/// Parts per number, with the oldest due time (`$1`: now).
const OUTBOX_BY_SOURCE: &str = "SELECT source, COUNT(*) AS parts,
            MIN(CASE WHEN due_at <= $1 THEN due_at END) AS oldest_due_at
     FROM outbox GROUP BY source ORDER BY source";

/// One number's parts per priority (`$1`: the number, `$2`: now), each
/// priority's row carrying its oldest due part (or, when none is due, its
/// first part, which the caller leaves out).
const SOURCE_OUTBOX: &str =
    "SELECT priority, parts, oldest_due_at, message_id, message_index, due_at
     FROM (SELECT m.priority, o.message_id, o.message_index, o.due_at,
                  COUNT(*) OVER (PARTITION BY m.priority) AS parts,
                  MIN(CASE WHEN o.due_at <= $2 THEN o.due_at END)
                      OVER (PARTITION BY m.priority) AS oldest_due_at,
                  ROW_NUMBER() OVER (PARTITION BY m.priority
                                     ORDER BY o.due_at, o.message_id, o.message_index) AS position
           FROM outbox o JOIN messages m ON m.message_id = o.message_id
           WHERE o.source = $1) ranked
     WHERE position = 1";

/// Submissions of `$1` at or after `$2` among the newest `$3` statuses:
/// how many, how many (of any number) were older than `$2`, and how many
/// statuses were read. The message is looked up only for the recent
/// submissions.
const RECENT_SUBMISSIONS: &str = "SELECT COUNT(*) AS scanned,
            COALESCE(SUM(CASE WHEN s.state = 'SUBMITTED' AND s.at < $2 THEN 1 ELSE 0 END), 0)
                AS older,
            COALESCE(SUM(CASE WHEN s.state = 'SUBMITTED' AND s.at >= $2
                               AND EXISTS (SELECT 1 FROM messages m
                                           WHERE m.message_id = s.message_id AND m.source = $1)
                              THEN 1 ELSE 0 END), 0) AS submitted
     FROM (SELECT message_id, state, at FROM message_statuses ORDER BY id DESC LIMIT $3) s";

/// The newest failures of `$1`, at most `$2`, among the gateway's newest
/// `$3`. The inner condition is the partial index's, word for word, so
/// that both backends read the index.
const SOURCE_FAILURES: &str = "SELECT f.message_id, f.message_index, f.state, f.result_code,
            f.description, f.details, f.at
     FROM (SELECT id, message_id, message_index, state, result_code, description, details, at
           FROM message_statuses
           WHERE state = 'FAILED' OR (state = 'QUEUED' AND result_code <> 112001)
           ORDER BY id DESC LIMIT $3) f
     JOIN messages m ON m.message_id = f.message_id
     WHERE m.source = $1
     ORDER BY f.id DESC LIMIT $2";

/// A count read as `u64` (a negative one cannot happen; it reads as 0).
fn count(row: &impl StoreRow, column: &str) -> StoreResult<u64> {
    Ok(u64::try_from(row.get::<i64>(column)?).unwrap_or_default())
}

/// [`SourceFiguresStore::outbox_by_source`] on `pool`.
pub(crate) async fn outbox_by_source<DB>(
    pool: &sqlx::Pool<DB>,
    now: Millis,
) -> StoreResult<Vec<SourceBacklog>>
where
    DB: sqlx::Database,
    DB::Row: StoreRow,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let rows = sqlx::query(OUTBOX_BY_SOURCE)
        .bind(now)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(SourceBacklog {
                source: row.get("source")?,
                parts: count(row, "parts")?,
                oldest_due_at: row.get("oldest_due_at")?,
            })
        })
        .collect()
}

/// [`SourceFiguresStore::source_outbox`] on `pool`.
pub(crate) async fn source_outbox<DB>(
    pool: &sqlx::Pool<DB>,
    source: &str,
    now: Millis,
) -> StoreResult<Vec<PriorityBacklog>>
where
    DB: sqlx::Database,
    DB::Row: StoreRow,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let rows = sqlx::query(SOURCE_OUTBOX)
        .bind(source.to_owned())
        .bind(now)
        .fetch_all(pool)
        .await?;
    let mut backlogs = Vec::new();
    for row in &rows {
        let name: String = row.get("priority")?;
        // Every stored priority is one of the three; anything else is not
        // a part the dispatcher sends either.
        let Some(priority) = Priority::parse(&name) else {
            continue;
        };
        let oldest_due_at: Option<Millis> = row.get("oldest_due_at")?;
        let oldest_due = match oldest_due_at {
            Some(due_at) => Some(WaitingPart {
                message_id: row.get("message_id")?,
                message_index: small(row, "message_index")?,
                due_at,
            }),
            None => None,
        };
        backlogs.push(PriorityBacklog {
            priority,
            parts: count(row, "parts")?,
            oldest_due,
        });
    }
    // HIGH first.
    backlogs.sort_by_key(|backlog| std::cmp::Reverse(backlog.priority as u8));
    Ok(backlogs)
}

/// [`SourceFiguresStore::recent_submissions`] on `pool`.
pub(crate) async fn recent_submissions<DB>(
    pool: &sqlx::Pool<DB>,
    source: &str,
    since: Millis,
    scan: u32,
) -> StoreResult<RecentSubmissions>
where
    DB: sqlx::Database,
    DB::Row: StoreRow,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let row = sqlx::query(RECENT_SUBMISSIONS)
        .bind(source.to_owned())
        .bind(since)
        .bind(i64::from(scan))
        .fetch_one(pool)
        .await?;
    Ok(RecentSubmissions {
        parts: count(&row, "submitted")?,
        complete: count(&row, "older")? > 0 || count(&row, "scanned")? < u64::from(scan),
    })
}

/// [`SourceFiguresStore::source_failures`] on `pool`.
pub(crate) async fn source_failures<DB>(
    pool: &sqlx::Pool<DB>,
    source: &str,
    limit: u32,
    scan: u32,
) -> StoreResult<Vec<SourceFailure>>
where
    DB: sqlx::Database,
    DB::Row: StoreRow,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let rows = sqlx::query(SOURCE_FAILURES)
        .bind(source.to_owned())
        .bind(i64::from(limit))
        .bind(i64::from(scan))
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| {
            let status = StatusRecord::from_row(row)?;
            Ok(SourceFailure {
                message_id: row.get("message_id")?,
                message_index: small(row, "message_index")?,
                state: status.state,
                result_code: status.result_code,
                description: status.description,
                details: status.details,
                at: status.at,
            })
        })
        .collect()
}
