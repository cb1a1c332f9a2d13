//! `wagate migrate` brings a database up to date and exits; a gateway then
//! starts on it.

mod common;

use std::process::Command;

use common::process::Process;
use common::{Backend, TestDatabase};

fn migrate(database: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_wagate"))
        .args(["migrate", "--database", database])
        .env("RUST_LIB_BACKTRACE", "0")
        .output()
        .expect("run wagate migrate")
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

/// The versions of the migrations the database records as applied.
async fn applied(database: &TestDatabase) -> Vec<String> {
    let rows = database
        .rows(
            "SELECT CAST(version AS TEXT) FROM _sqlx_migrations
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
