//! `wagate migrate` brings a database up to date and exits; a gateway then
//! starts on it.

mod common;

use std::process::Command;

use common::process::Process;

#[test]
fn migrate_creates_the_schema_and_exits() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = format!("sqlite://{}", dir.path().join("migrated.db").display());
    for _ in 0..2 {
        let output = Command::new(env!("CARGO_BIN_EXE_wagate"))
            .args(["migrate", "--database", &database])
            .output()
            .expect("run wagate migrate");
        assert!(output.status.success(), "{output:?}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("is up to date"), "{stdout}");
    }
    assert!(dir.path().join("migrated.db").exists());
    // The migrated database serves (and the second run changed nothing).
    let _gateway = Process::serve(&database, &[]);

    let refused = Command::new(env!("CARGO_BIN_EXE_wagate"))
        .args(["migrate", "--database", "mysql://nowhere/db"])
        .output()
        .expect("run wagate migrate");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("expected sqlite://PATH"));
}
