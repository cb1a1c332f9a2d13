//! The planner's statistics of the gateway's tables, gathered when a table
//! changed enough since they last were: by the rule autovacuum's analyze
//! follows by default (more than 50 rows and a tenth of the table changed),
//! but checked as often as the caller asks rather than once a minute, and
//! whether or not autovacuum runs at all.
//!
//! The queues start empty and hold tens of thousands of rows minutes
//! later. A plan made on an empty table's figures (or on none: a table
//! never analyzed) scans where an index would answer, and the claims and
//! records of callbacks slowed down by an order of magnitude under load
//! before this ran (see the README's benchmark notes).
//!
//! They are gathered from a small sample ([`STATISTICS_TARGET`]): the
//! plans of the gateway's statements turn on a table's size, the share of
//! its rows in each state and whether a key is unique, which a few thousand
//! rows tell as well as thirty thousand. At the server's default sample
//! the analyze of the callback queue alone cost a tenth of the server's
//! CPU through a full-loop bench (the README's benchmark notes).

use sqlx::{AssertSqlSafe, PgPool, Row};

use crate::store::{StatisticsScope, StoreResult};

/// The tables of the gateway's schema that changed by more than
/// `ANALYZE_BASE` rows plus `ANALYZE_SCALE` of their size since their
/// statistics were last gathered (with `$3`, only those never gathered:
/// PostgreSQL counts their rows as -1), each named as `ANALYZE` takes it
/// (quoted by PostgreSQL's `format`).
const STALE_TABLES: &str = "SELECT format('%I.%I', t.schemaname, t.relname) AS name
     FROM pg_stat_user_tables t JOIN pg_class c ON c.oid = t.relid
     WHERE t.schemaname = current_schema()
       AND t.n_mod_since_analyze > $1 + $2 * GREATEST(c.reltuples, 0)
       AND (NOT $3 OR c.reltuples < 0)
     ORDER BY t.relname";

/// autovacuum's defaults (`autovacuum_analyze_threshold`,
/// `autovacuum_analyze_scale_factor`).
const ANALYZE_BASE: f64 = 50.0;
const ANALYZE_SCALE: f64 = 0.1;

/// The statistics target the tables are analyzed at (a sample of 300 rows
/// a unit of it; PostgreSQL's default is 100), unless a column sets its
/// own: a setting of the gateway's connections, whose only `ANALYZE` is
/// [`refresh`]'s.
pub(super) const STATISTICS_TARGET: u32 = 10;

/// Analyzes the stale tables of `scope`; their names.
pub async fn refresh(pool: &PgPool, scope: StatisticsScope) -> StoreResult<Vec<String>> {
    let stale: Vec<String> = sqlx::query(STALE_TABLES)
        .bind(ANALYZE_BASE)
        .bind(ANALYZE_SCALE)
        .bind(scope == StatisticsScope::NeverGathered)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| row.try_get("name"))
        .collect::<Result<_, _>>()?;
    for table in &stale {
        // The name comes from the catalog, quoted by `format('%I')`.
        sqlx::query(AssertSqlSafe(format!("ANALYZE {table}")))
            .execute(pool)
            .await?;
    }
    Ok(stale)
}
