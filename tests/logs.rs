//! Logs that fit a production stack: no colour codes when stderr is not a
//! terminal, one JSON object per line with `--log-format json`, and every
//! request's id echoed in `X-Request-Id` (the client's own, or a new one)
//! and named by the lines of the work it queues.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

use common::gate::Gate;
use common::{Backend, hello_world, poll, read, request, spawn_app};
use serde_json::{Value, json};

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
    // An id that is not short and plain is replaced, not echoed.
    let unusable = app
        .client
        .get(&url)
        .header("x-request-id", "two words")
        .send()
        .await
        .expect("healthz");
    let replaced = unusable
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("an id");
    assert_eq!(replaced.len(), 36, "a fresh UUID: {replaced}");
}

/// What the gateways this test process runs log, as JSON lines (the
/// subscriber is the process's, set once).
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&logs);
        tracing_subscriber::fmt()
            .json()
            .with_span_list(true)
            .with_env_filter("info")
            .with_writer(move || SharedWriter(Arc::clone(&sink)))
            .init();
        logs
    })
    .clone()
}

struct SharedWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The messages of the captured lines logged under the request id `id`
/// (in the span of the request or of the work it queued).
fn messages_under(logs: &Mutex<Vec<u8>>, id: &str) -> Vec<String> {
    let text =
        String::from_utf8_lossy(&logs.lock().unwrap_or_else(|e| e.into_inner())).into_owned();
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| {
            line["spans"]
                .as_array()
                .is_some_and(|spans| spans.iter().any(|span| span["request_id"] == id))
        })
        .filter_map(|line| line["fields"]["message"].as_str().map(str::to_owned))
        .collect()
}

on_backends!(the_work_a_request_queues_logs_under_its_id);
async fn the_work_a_request_queues_logs_under_its_id(backend: Backend) {
    let logs = captured_logs();
    let app = spawn_app(backend).await;
    let gate = Gate::start().await;
    let tenant = app.tenant_without_gate("traced", "+46700000321").await;
    app.add_gate(&tenant, "traced-gate", &gate.url, json!({}))
        .await;
    // The first report is refused: its try logs a line.
    gate.refuse_next(1);
    let id = format!("trace-{}", wagate::auth::random_token(12));
    // 9903: the sandbox refuses the send for good, which logs a line.
    let mut body = request(&tenant, &["+46701239903"], hello_world());
    body["eventReportGates"] = json!(["traced-gate"]);
    let (status, answer) = read(
        app.client
            .post(format!("{}/whatsapp-message/messages", app.base))
            .basic_auth(&tenant.username, Some(&tenant.password))
            .header("x-request-id", &id)
            .json(&body)
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let message_id = answer["messageIds"][0].as_str().expect("an id").to_owned();
    poll(Duration::from_secs(30), "the queued work's lines", || {
        let messages = messages_under(&logs, &id);
        async move {
            let logged = |line: &str| messages.iter().any(|m| m == line);
            if logged("submission failed") && logged("a callback was not accepted") {
                Ok(())
            } else {
                Err(format!("lines under the id so far: {messages:?}"))
            }
        }
    })
    .await;
    let (status, view) = app.status(&tenant, &message_id).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["requestId"], id.as_str(), "{view}");
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
