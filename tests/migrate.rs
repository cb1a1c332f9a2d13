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
    }
    if let Some(dir) = database.dir() {
        assert!(dir.join("wagate.db").exists());
    }
    // The migrated database serves (and the second run changed nothing).
    let _gateway = Process::serve(&database, &[]);
}

#[test]
fn migrate_refuses_an_unknown_database_url() {
    let refused = migrate("mysql://nowhere/db");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("expected sqlite://PATH"));
}
