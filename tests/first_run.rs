//! A new user's first run: the real binary, `wagate serve` with nothing set
//! but a fresh database (the sandbox is the default upstream). It prints the
//! console playground's address and an admin token generated for the run,
//! before the line that says it listens; `/` leads to the console, the
//! printed token signs in, and the playground offers the demo tenant's
//! number. With `--admin-token` set, no token is generated or printed.

mod common;

use std::path::Path;

use common::console::Console;
use common::process::Process;

/// `wagate serve` on a fresh SQLite file in `dir` with only `args` set,
/// once it listens.
fn serve(dir: &Path, args: &[&str]) -> Process {
    let database = format!("sqlite://{}", dir.join("wagate.db").display());
    let mut all = vec!["serve", "--listen", "127.0.0.1:0", "--database", &database];
    all.extend_from_slice(args);
    Process::start(&all, "wagate listening on ")
}

/// The text after `label` on the first line that holds it.
fn after<'a>(lines: &'a [String], label: &str) -> Option<&'a str> {
    lines
        .iter()
        .find_map(|line| line.split_once(label).map(|(_, rest)| rest.trim()))
}

#[tokio::test]
async fn a_fresh_serve_prints_the_playground_and_a_token_that_signs_in() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let started = serve(dir.path(), &[]);
    let playground = after(&started.printed, "the console's sandbox playground is at ")
        .unwrap_or_else(|| panic!("no playground line in {:#?}", started.printed));
    assert_eq!(playground, format!("{}/console/playground", started.base));
    let token = after(&started.printed, "admin token for this run: ")
        .unwrap_or_else(|| panic!("no token line in {:#?}", started.printed))
        .to_owned();
    assert!(token.len() >= 32, "a short token: {token:?}");

    let mut console = Console::of(&started.gateway());
    let home = console.get("/").await;
    assert!(home.status().is_redirection(), "{}", home.status());
    assert_eq!(home.headers()["location"], "/console");
    let before = console.get("/console/playground").await;
    assert!(before.status().is_redirection(), "{}", before.status());
    assert_eq!(before.headers()["location"], "/console/login");

    let refused = console.sign_in_with("not-the-printed-token").await;
    assert_eq!(refused.status(), 401, "a wrong token signs in");
    assert!(console.cookie.is_none());
    let signed_in = console.sign_in_with(&token).await;
    assert_eq!(signed_in.status(), 303, "the printed token signs in");
    let page = console.page("/console/playground").await;
    assert!(
        page.contains("+15550100001"),
        "the demo number is offered: {page}"
    );

    // A second run of the same database generates a new token: the first
    // one no longer signs in.
    drop(started);
    let again = serve(dir.path(), &[]);
    let second = after(&again.printed, "admin token for this run: ").expect("a token");
    assert_ne!(second, token, "the token is generated per run");
    let mut console = Console::of(&again.gateway());
    assert_eq!(console.sign_in_with(&token).await.status(), 401);
}

#[tokio::test]
async fn with_an_admin_token_set_none_is_generated_or_printed() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let chosen = "an-admin-token-the-operator-chose-0123456789";
    let started = serve(dir.path(), &["--admin-token", chosen]);
    assert!(
        after(&started.printed, "admin token for this run").is_none(),
        "{:#?}",
        started.printed
    );
    assert!(
        started.printed.iter().all(|line| !line.contains(chosen)),
        "the operator's token is printed: {:#?}",
        started.printed
    );
    let mut console = Console::of(&started.gateway());
    assert_eq!(console.sign_in_with(chosen).await.status(), 303);
}
