//! Logs that fit a production stack: no colour codes when stderr is not a
//! terminal, one JSON object per line with `--log-format json`, and every
//! request's id echoed in `X-Request-Id` (the client's own, or a new one).

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Backend, spawn_app};
use serde_json::Value;

on_backends!(every_request_gets_an_id_echoed_in_x_request_id);
async fn every_request_gets_an_id_echoed_in_x_request_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let url = format!("{}/healthz", app.base);
    let response = app.client.get(&url).send().await.expect("healthz");
    let made = response
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .expect("an id")
        .to_owned();
    assert_eq!(made.len(), 36, "a UUID: {made}");
    let again = app.client.get(&url).send().await.expect("healthz");
    assert_ne!(
        again.headers().get("x-request-id").map(|v| v.as_bytes()),
        Some(made.as_bytes())
    );
    let theirs = app
        .client
        .get(&url)
        .header("x-request-id", "client-chosen-7")
        .send()
        .await
        .expect("healthz");
    assert_eq!(
        theirs
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("client-chosen-7")
    );
}

/// Starts `wagate serve` on a fresh SQLite file with `args`, logging at
/// `info`, with stderr piped (not a terminal); returns it and its stderr
/// lines as they come.
fn serve(dir: &Path, args: &[&str]) -> (Child, mpsc::Receiver<String>) {
    let database = format!("sqlite://{}", dir.join("wagate.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_wagate"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &database])
        .args(args)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wagate");
    let stderr = child.stderr.take().expect("stderr");
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    (child, received)
}

/// The lines up to and including the first that says `wagate started`.
fn until_started(lines: &mpsc::Receiver<String>) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match lines.recv_timeout(left) {
            Ok(line) => {
                let started = line.contains("wagate started");
                seen.push(line);
                if started {
                    return seen;
                }
            }
            Err(_) => break,
        }
    }
    panic!("no \"wagate started\" line; got {seen:#?}");
}

#[test]
fn plain_logs_to_a_pipe_carry_no_colour_codes() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (mut child, lines) = serve(dir.path(), &[]);
    let seen = until_started(&lines);
    let _ = child.kill();
    let _ = child.wait();
    for line in &seen {
        assert!(!line.contains('\u{1b}'), "an escape code in {line:?}");
    }
    let started = seen.last().expect("a line");
    assert!(started.contains("INFO"), "{started}");
}

#[test]
fn json_logs_are_one_object_a_line() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (mut child, lines) = serve(dir.path(), &["--log-format", "json"]);
    let seen = until_started(&lines);
    let _ = child.kill();
    let _ = child.wait();
    for line in &seen {
        let object: Value =
            serde_json::from_str(line).unwrap_or_else(|error| panic!("not JSON ({error}): {line}"));
        assert!(object["level"].is_string(), "{line}");
        assert!(object["timestamp"].is_string(), "{line}");
    }
    let started: Value = serde_json::from_str(seen.last().expect("a line")).expect("json");
    assert_eq!(started["fields"]["message"], "wagate started", "{started}");
    assert_eq!(started["level"], "INFO", "{started}");
}
