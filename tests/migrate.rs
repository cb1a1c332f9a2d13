//! `wagate migrate` brings a database up to date and exits; a gateway then
//! starts on it. On PostgreSQL, several instances migrating one fresh
//! database at the same moment all succeed and apply each migration once.

mod common;

use std::process::{Command, Stdio};
use std::str::FromStr;

use sqlx::Connection;
use sqlx::PgConnection;
use sqlx::SqliteConnection;
use sqlx::sqlite::SqliteConnectOptions;

use common::process::Process;
use common::{Backend, TestDatabase};

fn migrate(database: &str) -> std::process::Output {
    migrate_command(database)
        .output()
        .expect("run wagate migrate")
}

fn migrate_command(database: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wagate"));
    command
        .args(["migrate", "--database", database])
        .env("RUST_LIB_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// `wagate migrate` processes started together on one database.
const MIGRATING_AT_ONCE: usize = 6;
/// `wagate serve` processes (which migrate before they listen) started
/// with them.
const SERVING_AT_ONCE: usize = 2;

on_postgres!(
    #[tokio::test(flavor = "multi_thread")]
    instances_migrating_one_database_at_once_apply_each_migration_once
);
async fn instances_migrating_one_database_at_once_apply_each_migration_once() {
    let (database, reference) = tokio::join!(
        TestDatabase::create(Backend::Postgres),
        TestDatabase::create(Backend::Postgres)
    );
    // Every process is started before any is waited for; each spends its
    // first milliseconds starting up and connecting, then they all find the
    // same empty database.
    let migrating: Vec<std::process::Child> = (0..MIGRATING_AT_ONCE)
        .map(|_| {
            migrate_command(database.url())
                .spawn()
                .expect("start wagate migrate")
        })
        .collect();
    let serving: Vec<_> = (0..SERVING_AT_ONCE)
        .map(|_| {
            let args = database.serve_args();
            std::thread::spawn(move || {
                let mut full = vec!["serve", "--listen", "127.0.0.1:0"];
                full.extend(args.iter().map(String::as_str));
                // Panics with what it said on stderr if it exits instead
                // of listening.
                Process::start(&full, "wagate listening on ")
            })
        })
        .collect();
    for child in migrating {
        let output = child.wait_with_output().expect("wait for wagate migrate");
        assert!(
            output.status.success(),
            "a migrate beside {} others failed: {}: {}",
            MIGRATING_AT_ONCE + SERVING_AT_ONCE - 1,
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let _serving: Vec<Process> = serving
        .into_iter()
        .map(|started| started.join().expect("a serve started beside the migrates"))
        .collect();

    // Each migration recorded once, and the schema is the one a single
    // migrate makes.
    assert_eq!(
        applied(&database).await,
        migration_versions(Backend::Postgres)
    );
    let output = migrate(reference.url());
    assert!(output.status.success(), "{output:?}");
    assert_eq!(schema(&database).await, schema(&reference).await);
}

/// Every column and index of the public schema, as comparable lines.
async fn schema(database: &TestDatabase) -> Vec<String> {
    let rows = database
        .rows(
            "SELECT table_name || '.' || column_name || ' ' || data_type
                    || ' ' || is_nullable || ' ' || COALESCE(column_default, '')
             FROM information_schema.columns WHERE table_schema = $1
             UNION ALL
             SELECT indexdef FROM pg_indexes WHERE schemaname = $1
             ORDER BY 1",
            "public",
        )
        .await;
    let lines: Vec<String> = rows
        .into_iter()
        .map(|row| row[0].clone().unwrap_or_default())
        .collect();
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with("accounts.default_country ")),
        "{lines:#?}"
    );
    lines
}

on_backends!(migrate_creates_the_schema_and_exits);
async fn migrate_creates_the_schema_and_exits(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    for _ in 0..2 {
        let output = migrate(database.url());
        assert!(
            output.status.success(),
            "{}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("is up to date"), "{stdout}");
        // `migrate` alone, before any `serve` (which migrates too), applied
        // every migration of the backend.
        assert_eq!(applied(&database).await, migration_versions(backend));
        // The last migration's column is there.
        database
            .rows(
                "SELECT id, default_country FROM accounts WHERE id <> $1",
                "",
            )
            .await;
    }
    if let Some(dir) = database.dir() {
        assert!(dir.join("wagate.db").exists());
    }
    // The migrated database serves (and the second run changed nothing).
    let _gateway = Process::serve(&database, &[]);
}

/// The versions of the migrations the database records as applied, one
/// entry per record.
async fn applied(database: &TestDatabase) -> Vec<String> {
    let rows = database
        .rows(
            // Named apart from `version`, which PostgreSQL would otherwise
            // take the ORDER BY to mean: then 10 would sort before 2.
            "SELECT CAST(version AS TEXT) AS applied FROM _sqlx_migrations
             WHERE success AND CAST(version AS TEXT) <> $1 ORDER BY version",
            "",
        )
        .await;
    rows.into_iter()
        .map(|row| row[0].clone().unwrap_or_default())
        .collect()
}

/// The versions of the backend's migration files (`NNNN_name.sql`).
fn migration_versions(backend: Backend) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend.name());
    let mut versions: Vec<u64> = std::fs::read_dir(&dir)
        .expect("the migrations directory")
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".sql")?.split('_').next()?.parse().ok()
        })
        .collect();
    versions.sort_unstable();
    assert!(!versions.is_empty(), "no migrations in {}", dir.display());
    versions
        .into_iter()
        .map(|version| version.to_string())
        .collect()
}

#[test]
fn migrate_refuses_an_unknown_database_url() {
    let refused = migrate("mysql://nowhere/db");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("expected sqlite://PATH"));
}

/// The last migration before callbacks' leases moved to a table of their
/// own (`delivery_leases`), per backend.
fn before_lease_table(backend: Backend) -> i64 {
    match backend {
        Backend::Sqlite => 17,
        Backend::Postgres => 16,
    }
}

/// Runs `wagate migrate` on `database`, which must succeed.
fn migrate_up_to_date(database: &TestDatabase) {
    let output = migrate(database.url());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Applies the backend's migrations up to `version`, as an older wagate
/// did.
async fn migrate_to(database: &TestDatabase, version: i64) {
    let migrated = match database.backend() {
        Backend::Sqlite => {
            let options = SqliteConnectOptions::from_str(database.url())
                .expect("SQLite URL")
                .create_if_missing(true);
            let mut connection = SqliteConnection::connect_with(&options)
                .await
                .expect("open SQLite");
            sqlx::migrate!("./migrations/sqlite")
                .run_to(version, &mut connection)
                .await
        }
        Backend::Postgres => {
            let mut connection = PgConnection::connect(database.url())
                .await
                .expect("open PostgreSQL");
            sqlx::migrate!("./migrations/postgres")
                .run_to(version, &mut connection)
                .await
        }
    };
    migrated.expect("older migrations");
}

on_backends!(callbacks_leased_when_the_gateway_is_upgraded_stay_leased);
async fn callbacks_leased_when_the_gateway_is_upgraded_stay_leased(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    migrate_to(&database, before_lease_table(backend)).await;
    // A callback leased by an instance, one waiting, and one delivered
    // whose lease fields were left as they were.
    for (origin, state, owner, until) in [
        ("event:1", "PENDING", "'instance-a#7'", "4000000000000"),
        ("event:2", "PENDING", "NULL", "0"),
        ("event:3", "DELIVERED", "'instance-a#6'", "3000000000000"),
    ] {
        database
            .rows(
                &format!(
                    "INSERT INTO deliveries (origin, gate_id, account_id, ordering, payload, state,
                                             next_attempt_at, lease_owner, lease_until, created_at)
                     VALUES ($1, 'g', 'a', 'm1', '{{}}', '{state}', 0, {owner}, {until}, 0)"
                ),
                origin,
            )
            .await;
    }
    migrate_up_to_date(&database);
    let leases = database
        .rows(
            "SELECT d.origin, l.gate_id, l.lease_owner, CAST(l.lease_until AS TEXT)
             FROM delivery_leases l JOIN deliveries d ON d.id = l.delivery_id
             WHERE d.gate_id <> $1",
            "",
        )
        .await;
    let text = |value: &str| Some(value.to_owned());
    assert_eq!(
        leases,
        [vec![
            text("event:1"),
            text("g"),
            text("instance-a#7"),
            text("4000000000000")
        ]],
        "only the pending callback's live lease moved"
    );
}

/// The last migration before Meta's statuses were keyed by the part their
/// tag names, per backend.
fn before_tagged_statuses(backend: Backend) -> i64 {
    match backend {
        Backend::Sqlite => 19,
        Backend::Postgres => 18,
    }
}

on_backends!(statuses_stored_before_tags_stay_untagged_and_still_repeat);
/// Meta's statuses stored before they were keyed by the part their tag
/// names keep their ids (the order they arrived in), fields and flags,
/// under no tag, and a repeat of one is still recognised.
async fn statuses_stored_before_tags_stay_untagged_and_still_repeat(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    migrate_to(&database, before_tagged_statuses(backend)).await;
    for (wamid, status, applied) in [
        ("wamid.b", "sent", "TRUE"),
        ("wamid.gone", "sent", "FALSE"),
        ("wamid.a", "sent", "FALSE"),
        ("wamid.b", "read", "FALSE"),
    ] {
        database
            .rows(
                &format!(
                    "INSERT INTO meta_statuses (wamid, phone_number_id, status, at, state,
                                                result_code, description, details, received_at,
                                                applied)
                     VALUES ($1, 'pnid', '{status}', 1, 'SENT', 112006, '{status}', '{{\"n\":1}}',
                             2, {applied})"
                ),
                wamid,
            )
            .await;
    }
    // A gap in the ids, which a copy must keep.
    database
        .rows("DELETE FROM meta_statuses WHERE wamid = $1", "wamid.gone")
        .await;
    let id = match backend {
        Backend::Sqlite => "rowid",
        Backend::Postgres => "id",
    };
    let columns = format!(
        "SELECT CAST({id} AS TEXT), message_id, CAST(message_index AS TEXT), wamid, status,
                description, details, CASE WHEN applied THEN 'applied' ELSE 'waiting' END
         FROM meta_statuses WHERE phone_number_id = $1 ORDER BY {id}"
    );
    let before = database
        .rows(
            &columns.replace("message_id, CAST(message_index AS TEXT), ", ""),
            "pnid",
        )
        .await;
    migrate_up_to_date(&database);
    let after = database.rows(&columns, "pnid").await;
    let untagged: Vec<Vec<Option<String>>> = before
        .into_iter()
        .map(|mut row| {
            row.splice(1..1, [Some(String::new()), Some("0".to_owned())]);
            row
        })
        .collect();
    assert_eq!(
        after, untagged,
        "the same rows, ids and order, under no tag"
    );
    assert_eq!(after.len(), 3);
    let repeat = database
        .rows(
            "INSERT INTO meta_statuses (message_id, message_index, wamid, phone_number_id, status,
                                        at, state, result_code, description, details,
                                        received_at)
             VALUES ('', 0, $1, 'pnid', 'sent', 1, 'SENT', 112006, 'sent', '{}', 3)
             ON CONFLICT (message_id, wamid, phone_number_id, status) DO NOTHING
             RETURNING wamid",
            "wamid.a",
        )
        .await;
    assert!(repeat.is_empty(), "a repeat is recognised: {repeat:?}");
}
