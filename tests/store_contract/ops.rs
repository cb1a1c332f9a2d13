//! `OpsStore`: the backlogs the metrics report (outbox parts per priority
//! with the oldest due time, callbacks pending and due, the leases one
//! holder holds), the schema's version, and the tables' upkeep (on
//! PostgreSQL, dead rows cleared once a table has enough of them, and the
//! planner's statistics gathered once a table changed enough, and again
//! only after it changed again).

use wagate::domain::Priority;
use wagate::store::StatisticsScope;
use wagate::store::ops::OutboxDepth;

use std::time::{Duration, Instant};

use crate::attempts::record_delivered;
use crate::build::{claim, delivery, open_with, outcome, request, resend};
use crate::callbacks::{LEASE, NOW, enqueue};
use crate::common::Backend;
use crate::on_backends;

on_backends!(backlogs_count_what_waits_and_what_is_held);
async fn backlogs_count_what_waits_and_what_is_held(backend: Backend) {
    let (store, _database) = open_with(backend, &[]).await;
    let empty = store.backlogs("me", 1_000).await.expect("backlogs");
    assert_eq!(empty, Default::default(), "nothing waits in a new store");

    store
        .accept(&[
            request("h1", Priority::High, 1_000, 2),
            request("l1", Priority::Low, 3_000, 1),
        ])
        .await
        .expect("accept");
    for (name, holder, until) in [
        ("source:a", "me", 10_000),
        ("callback-feeder", "me", 10_000),
        ("source:b", "another", 10_000),
    ] {
        store
            .take_lease(name, holder, 0, until)
            .await
            .expect("take");
    }
    // A lease of mine that ran out by then is not held.
    store
        .take_lease("source:c", "me", 0, 1_500)
        .await
        .expect("take");

    let depths = |mut outbox: Vec<OutboxDepth>| {
        outbox.sort_by_key(|depth| depth.priority as u8);
        outbox
    };
    // At 2 s the LOW part (due at 3 s) waits but is not due yet.
    let backlogs = store.backlogs("me", 2_000).await.expect("backlogs");
    assert_eq!(
        depths(backlogs.outbox),
        [
            OutboxDepth {
                priority: Priority::Low,
                parts: 1,
                oldest_due_at: None
            },
            OutboxDepth {
                priority: Priority::High,
                parts: 2,
                oldest_due_at: Some(1_000)
            },
        ]
    );
    assert_eq!(backlogs.leases_held, 2, "mine and still held");
    assert_eq!((backlogs.callbacks_pending, backlogs.callbacks_due), (0, 0));

    // A HIGH part resent for later is not due any more; the other is.
    let claimed = claim(store.as_ref(), "lease-1", 2_000, 60_000).await;
    assert_eq!(
        claimed.len(),
        1,
        "the LOW part is not due, h1's second waits for its first"
    );
    let recorded = store
        .record(&[outcome("h1", 0, "lease-1", resend(50_000))])
        .await
        .expect("record");
    assert_eq!(recorded, [true]);
    let later = store.backlogs("me", 4_000).await.expect("backlogs");
    let high = depths(later.outbox)
        .into_iter()
        .find(|depth| depth.priority == Priority::High)
        .expect("HIGH waits");
    assert_eq!(high.parts, 2, "a resend stays in the outbox");
    assert_eq!(
        high.oldest_due_at,
        Some(1_000),
        "the other part is still due since 1 s"
    );
}

on_backends!(a_migrated_store_is_at_this_builds_schema);
async fn a_migrated_store_is_at_this_builds_schema(backend: Backend) {
    let (store, _database) = open_with(backend, &[]).await;
    let schema = store.schema_version().await.expect("schema");
    assert!(schema.is_current(), "{schema:?}");
    assert_eq!(schema.applied, Some(schema.expected));
}

/// Whether `tables` (as the database names them, with their schema) name
/// `table`.
fn names(tables: &[String], table: &str) -> bool {
    tables
        .iter()
        .any(|name| name.rsplit_once('.').is_some_and(|(_, name)| name == table))
}

on_backends!(statistics_are_gathered_once_a_table_changed_enough);
async fn statistics_are_gathered_once_a_table_changed_enough(backend: Backend) {
    let (store, database) = open_with(backend, &["g"]).await;
    let deliveries = |from: usize| -> Vec<_> {
        (from..from + 200)
            .map(|n| delivery("g", &format!("m{n}"), &format!("e{n}")))
            .collect()
    };
    enqueue(store.as_ref(), &deliveries(0)).await;
    let refreshed = |scope| {
        let store = &store;
        async move {
            store
                .tend_tables(scope)
                .await
                .expect("tend the tables")
                .analyzed
        }
    };
    let analyzed_deliveries = |tables: &[String]| names(tables, "deliveries");
    if backend == Backend::Sqlite {
        for scope in [StatisticsScope::NeverGathered, StatisticsScope::All] {
            assert_eq!(refreshed(scope).await, Vec::<String>::new());
        }
        return;
    }
    // PostgreSQL counts a connection's changes once it reports them
    // (within seconds, as the connection goes idle). A table never analyzed
    // is analyzed by the first refresh of either scope that sees them.
    let deadline = Instant::now() + Duration::from_secs(30);
    let analyzed = loop {
        let tables = refreshed(StatisticsScope::NeverGathered).await;
        if analyzed_deliveries(&tables) {
            break tables;
        }
        assert!(
            Instant::now() < deadline,
            "200 new deliveries were never analyzed: {tables:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        !names(&analyzed, "leases"),
        "an unchanged table is left alone: {analyzed:?}"
    );
    // Gathered from a small sample: 200 distinct ids make a histogram of
    // 101 bounds at the server's default target, of 11 at the gateway's.
    let bounds = database
        .rows(
            "SELECT cardinality(histogram_bounds::text::text[])::text FROM pg_stats
             WHERE schemaname = current_schema() AND tablename = 'deliveries'
               AND attname = $1",
            "id",
        )
        .await;
    assert_eq!(bounds, vec![vec![Some("11".to_string())]]);
    assert!(
        !analyzed_deliveries(&refreshed(StatisticsScope::All).await),
        "nothing changed in deliveries since"
    );

    // Twice as many rows as when they were gathered: stale by the rule, but
    // no longer the first time, which is all the frequent check looks for.
    enqueue(store.as_ref(), &deliveries(200)).await;
    let changes_counted = |counted: Vec<Vec<Option<String>>>| {
        counted
            .first()
            .and_then(|row| row.first().cloned().flatten())
            .and_then(|changes| changes.parse::<u64>().ok())
            .is_some_and(|changes| changes >= 200)
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !changes_counted(
        database
            .rows(
                "SELECT n_mod_since_analyze::text FROM pg_stat_user_tables
                 WHERE schemaname = current_schema() AND relname = $1",
                "deliveries",
            )
            .await,
    ) {
        assert!(
            Instant::now() < deadline,
            "the server never counted the changes"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        !analyzed_deliveries(&refreshed(StatisticsScope::NeverGathered).await),
        "a table analyzed before waits for the full refresh"
    );
    assert!(
        analyzed_deliveries(&refreshed(StatisticsScope::All).await),
        "the full refresh analyzes it again"
    );
}

on_backends!(dead_rows_are_cleared_once_a_table_has_enough);
async fn dead_rows_are_cleared_once_a_table_has_enough(backend: Backend) {
    let (store, database) = open_with(backend, &["g"]).await;
    let deliveries: Vec<_> = (0..200)
        .map(|n| delivery("g", &format!("m{n}"), &format!("e{n}")))
        .collect();
    enqueue(store.as_ref(), &deliveries).await;
    // 200 leases taken and ended: 200 dead rows in the lease table.
    let claimed = store
        .claim_deliveries("l", NOW, NOW + LEASE, 200, 200)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 200);
    record_delivered(store.as_ref(), &claimed, NOW).await;
    let tended = |scope| {
        let store = &store;
        async move { store.tend_tables(scope).await.expect("tend the tables") }
    };
    let vacuumed_leases = |tables: &[String]| names(tables, "delivery_leases");
    if backend == Backend::Sqlite {
        assert!(tended(StatisticsScope::All).await.is_empty());
        return;
    }
    // One of the server's figures for the lease table.
    let lease_figure = |column: &'static str| {
        let database = &database;
        async move {
            let sql = format!(
                "SELECT {column}::text FROM pg_stat_user_tables
                 WHERE schemaname = current_schema() AND relname = $1"
            );
            let rows = database.rows(&sql, "delivery_leases").await;
            rows.first().and_then(|row| row.first().cloned().flatten())
        }
    };
    assert_eq!(lease_figure("vacuum_count").await.as_deref(), Some("0"));
    // Counted once the recording connection reports its changes (within
    // seconds, as it goes idle); the frequent round clears them.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut analyzed = Vec::new();
    loop {
        let done = tended(StatisticsScope::NeverGathered).await;
        analyzed.extend(done.analyzed.iter().cloned());
        if vacuumed_leases(&done.vacuumed) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "200 dead leases were never cleared: {done:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The callbacks were queued before the leases were taken and ended:
    // by now their table, never analyzed, has been, though a vacuum (which
    // counts a table's rows) may have come first.
    assert!(names(&analyzed, "deliveries"), "{analyzed:?}");
    assert_eq!(lease_figure("vacuum_count").await.as_deref(), Some("1"));
    assert_eq!(lease_figure("n_dead_tup").await.as_deref(), Some("0"));
    assert!(
        !vacuumed_leases(&tended(StatisticsScope::All).await.vacuumed),
        "no dead rows since"
    );
}
