//! A new user's first run: the real binary, `wagate serve` with nothing set
//! but a fresh database (the sandbox is the default upstream). It prints the
//! console playground's address and an admin token generated for the run,
//! before the line that says it listens; `/` leads to the console, the
//! printed token signs in, and the playground offers the demo tenant's
//! number. With `--admin-token` set, no token is generated or printed.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::console::Console;
use reqwest::redirect::Policy;

/// What `wagate serve` printed on stdout up to "wagate listening on …",
/// and the address it listens on.
struct Started {
    child: Child,
    lines: Vec<String>,
    base: String,
}

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path, args: &[&str]) -> Started {
    let database = format!("sqlite://{}", dir.join("wagate.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_wagate"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &database])
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start wagate");
    let stdout = child.stdout.take().expect("stdout");
    let (sender, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let mut started = Started {
        child,
        lines: Vec::new(),
        base: String::new(),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Ok(line) = received.recv_timeout(left) else {
            break;
        };
        if let Some(address) = line.strip_prefix("wagate listening on ") {
            started.base = address.trim().to_owned();
            return started;
        }
        started.lines.push(line);
    }
    panic!("no \"wagate listening on\" line; got {:#?}", started.lines);
}

/// The text after `label` on the first line that holds it.
fn after<'a>(lines: &'a [String], label: &str) -> Option<&'a str> {
    lines
        .iter()
        .find_map(|line| line.split_once(label).map(|(_, rest)| rest.trim()))
}

fn console(base: &str) -> Console {
    Console {
        base: base.to_owned(),
        client: reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .expect("a client"),
        cookie: None,
    }
}

#[tokio::test]
async fn a_fresh_serve_prints_the_playground_and_a_token_that_signs_in() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let started = serve(dir.path(), &[]);
    let playground = after(&started.lines, "the console's sandbox playground is at ")
        .unwrap_or_else(|| panic!("no playground line in {:#?}", started.lines));
    assert_eq!(playground, format!("{}/console/playground", started.base));
    let token = after(&started.lines, "admin token for this run: ")
        .unwrap_or_else(|| panic!("no token line in {:#?}", started.lines))
        .to_owned();
    assert!(token.len() >= 32, "a short token: {token:?}");

    let mut console = console(&started.base);
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
    let second = after(&again.lines, "admin token for this run: ").expect("a token");
    assert_ne!(second, token, "the token is generated per run");
    let mut console = self::console(&again.base);
    assert_eq!(console.sign_in_with(&token).await.status(), 401);
}

#[tokio::test]
async fn with_an_admin_token_set_none_is_generated_or_printed() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let chosen = "an-admin-token-the-operator-chose-0123456789";
    let started = serve(dir.path(), &["--admin-token", chosen]);
    assert!(
        after(&started.lines, "admin token for this run").is_none(),
        "{:#?}",
        started.lines
    );
    assert!(
        started.lines.iter().all(|line| !line.contains(chosen)),
        "the operator's token is printed: {:#?}",
        started.lines
    );
    let mut console = console(&started.base);
    assert_eq!(console.sign_in_with(chosen).await.status(), 303);
}
