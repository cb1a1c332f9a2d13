//! The upkeep of the gateway's tables that autovacuum would do, on the
//! gateway's own schedule: dead rows cleared (`VACUUM`) and the planner's
//! statistics gathered again (`ANALYZE`) once a table changed enough since
//! they last were, by autovacuum's default rules, but checked as often as
//! the caller asks rather than once a minute, and whether or not
//! autovacuum runs at all.
//!
//! Dead rows: the callback leases are a small table through which every
//! callback passes (a row inserted when it is leased, deleted when its try
//! is recorded). Until a vacuum, each claim's per-gate count of leases and
//! its "not leased" check step over every lease ended since the last one:
//! in a full-loop bench without autovacuum, thousands of index entries for
//! a few dozen live leases, and the claim became PostgreSQL's costliest
//! statement (see the README's benchmark notes). Autovacuum, when on, looks
//! once a minute.
//!
//! Statistics: the queues start empty and hold tens of thousands of rows
//! minutes later. A plan made on an empty table's figures (or on none: a
//! table never analyzed) scans where an index would answer, and the claims
//! and records of callbacks slowed down by an order of magnitude under load
//! before this ran. They are gathered from a small sample
//! ([`STATISTICS_TARGET`]): the plans of the gateway's statements turn on a
//! table's size, the share of its rows in each state and whether a key is
//! unique, which a few thousand rows tell as well as thirty thousand. At
//! the server's default sample the analyze of the callback queue alone cost
//! a tenth of the server's CPU through a full-loop bench.
//!
//! Both skip a table another session holds (`SKIP_LOCKED`): several
//! instances on one database do not queue behind each other's upkeep. A
//! vacuum leaves the table's file its size (`TRUNCATE FALSE`): cutting off
//! its emptied end takes a lock that stops every statement on the table,
//! and a queue's emptied end is wanted again at the next burst (measured:
//! the outbox's vacuums waited up to a second for that lock, and the
//! callback leases' statements behind them).

use sqlx::{AssertSqlSafe, PgPool, Row};

use crate::store::{StatisticsScope, StoreResult, TablesTended};

/// The tables of the gateway's schema that need upkeep, each named as
/// `VACUUM` and `ANALYZE` take it (quoted by PostgreSQL's `format`), with
/// what they need: a vacuum when they hold more than `$1` dead rows plus
/// `$2` of their size and their rows take at most `$6` bytes; an analyze
/// when they changed by more than `$3` rows plus `$4` of their size since
/// their statistics were last gathered (with `$5`, only if never gathered:
/// PostgreSQL counts their rows as -1 until a first analyze or vacuum,
/// which is why both are decided before either runs).
const TABLES_TO_TEND: &str = "SELECT name, needs_vacuum, needs_analyze FROM (
         SELECT format('%I.%I', t.schemaname, t.relname) AS name,
                t.n_dead_tup > $1 + $2 * GREATEST(c.reltuples, 0)
                    AND pg_relation_size(c.oid) <= $6 AS needs_vacuum,
                t.n_mod_since_analyze > $3 + $4 * GREATEST(c.reltuples, 0)
                    AND (NOT $5 OR c.reltuples < 0) AS needs_analyze
         FROM pg_stat_user_tables t JOIN pg_class c ON c.oid = t.relid
         WHERE t.schemaname = current_schema()
     ) tables
     WHERE needs_vacuum OR needs_analyze
     ORDER BY name";

/// autovacuum's defaults (`autovacuum_vacuum_threshold`,
/// `autovacuum_vacuum_scale_factor`).
const VACUUM_BASE: f64 = 50.0;
const VACUUM_SCALE: f64 = 0.2;

/// The largest table (its rows, without indexes) the gateway vacuums: one
/// of up to 128 MiB takes a few hundred milliseconds (the callback queue,
/// 64 MiB after a full-loop bench of 20,000 messages: 170 ms at most).
/// Larger ones are left to autovacuum, which paces itself: tended one
/// after another, a vacuum of minutes would leave the lease table, the one
/// that needs it every second, waiting behind it.
const VACUUM_MAX_BYTES: i64 = 128 * 1024 * 1024;

/// autovacuum's defaults (`autovacuum_analyze_threshold`,
/// `autovacuum_analyze_scale_factor`).
const ANALYZE_BASE: f64 = 50.0;
const ANALYZE_SCALE: f64 = 0.1;

/// The statistics target the tables are analyzed at (a sample of 300 rows
/// a unit of it; PostgreSQL's default is 100), unless a column sets its
/// own: a setting of the gateway's connections, whose only `ANALYZE` is
/// [`tend`]'s.
pub(super) const STATISTICS_TARGET: u32 = 10;

/// Vacuums the tables with enough dead rows and analyzes the stale tables
/// of `scope` (one statement a table, `VACUUM … ANALYZE` where both are
/// due); the tables it did each to.
pub async fn tend(pool: &PgPool, scope: StatisticsScope) -> StoreResult<TablesTended> {
    let due = sqlx::query(TABLES_TO_TEND)
        .bind(VACUUM_BASE)
        .bind(VACUUM_SCALE)
        .bind(ANALYZE_BASE)
        .bind(ANALYZE_SCALE)
        .bind(scope == StatisticsScope::NeverGathered)
        .bind(VACUUM_MAX_BYTES)
        .fetch_all(pool)
        .await?;
    let mut tended = TablesTended::default();
    for row in &due {
        let name: String = row.try_get("name")?;
        let vacuum: bool = row.try_get("needs_vacuum")?;
        let analyze: bool = row.try_get("needs_analyze")?;
        // A statement of its own, outside a transaction (where `VACUUM`
        // must run); the name comes from the catalog, quoted by
        // `format('%I')`.
        let command = match (vacuum, analyze) {
            (true, true) => "VACUUM (SKIP_LOCKED, TRUNCATE FALSE, ANALYZE)",
            (true, false) => "VACUUM (SKIP_LOCKED, TRUNCATE FALSE)",
            _ => "ANALYZE (SKIP_LOCKED)",
        };
        sqlx::query(AssertSqlSafe(format!("{command} {name}")))
            .execute(pool)
            .await?;
        if vacuum {
            tended.vacuumed.push(name.clone());
        }
        if analyze {
            tended.analyzed.push(name);
        }
    }
    Ok(tended)
}
