//! SIGTERM stops the real `wagate serve` gracefully: new connections are
//! refused, a request in flight gets its answer, the submissions in flight
//! finish and are recorded, the process exits 0 within the grace period, and
//! a gateway restarted on the same database sends the rest, each message
//! exactly once.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine;
use common::process::Process;
use common::upstream::Upstream;
use common::{Backend, Tenant, TestDatabase, hello_world, poll, request};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const GRACE: Duration = Duration::from_secs(20);
const QUEUED: usize = 6;

fn serve(database: &TestDatabase, upstream: &Upstream) -> Process {
    let mut args = upstream.serve_args();
    args.extend(
        [
            "--shutdown-grace",
            "20s",
            "--upstream-timeout",
            "20s",
            // Longer than the test waits: parts left claimed by the first
            // run would not come back in time.
            "--dispatch-lease",
            "120s",
            "--callback-allow-private",
            "true",
        ]
        .map(str::to_owned),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Process::serve(database, &args)
}

/// A LINK request whose head is sent with `Expect: 100-continue`: once the
/// server answers `100 Continue` it is reading the body, so the request is
/// in flight.
struct RequestInFlight {
    stream: TcpStream,
    body: Vec<u8>,
}

impl RequestInFlight {
    async fn start(address: &str, tenant: &Tenant, body: &Value) -> RequestInFlight {
        let body = body.to_string().into_bytes();
        let credentials = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", tenant.username, tenant.password));
        let head = format!(
            "POST /whatsapp-message/messages HTTP/1.1\r\nhost: {address}\r\n\
             authorization: Basic {credentials}\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nexpect: 100-continue\r\n\r\n",
            body.len()
        );
        let mut stream = TcpStream::connect(address).await.expect("connect");
        stream.write_all(head.as_bytes()).await.expect("head");
        let mut interim = Vec::new();
        let mut byte = [0u8; 1];
        while !interim.ends_with(b"\r\n\r\n") {
            let read = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut byte))
                .await
                .expect("100 Continue in time")
                .expect("read");
            assert_eq!(read, 1, "closed before 100 Continue: {interim:?}");
            interim.push(byte[0]);
        }
        let interim = String::from_utf8_lossy(&interim);
        assert!(interim.starts_with("HTTP/1.1 100"), "{interim}");
        RequestInFlight { stream, body }
    }

    /// Sends the body and reads the answer: (status line, JSON body).
    async fn finish(mut self) -> (String, Value) {
        self.stream.write_all(&self.body).await.expect("body");
        let mut answer = Vec::new();
        tokio::time::timeout(
            Duration::from_secs(30),
            self.stream.read_to_end(&mut answer),
        )
        .await
        .expect("the answer in time")
        .expect("read the answer");
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        let status_line = head.lines().next().unwrap_or_default().to_owned();
        let body = serde_json::from_str(body).unwrap_or(Value::String(body.to_owned()));
        (status_line, body)
    }
}

/// The states of the parts sent to `destination`.
async fn states(database: &TestDatabase, destination: &str) -> Vec<String> {
    database
        .rows(
            "SELECT p.state FROM message_parts p JOIN messages m ON m.message_id = p.message_id
             WHERE m.destination = $1",
            destination,
        )
        .await
        .into_iter()
        .filter_map(|row| row[0].clone())
        .collect()
}

on_backends!(
    #[tokio::test(flavor = "multi_thread")]
    sigterm_finishes_what_is_in_flight_and_a_restart_sends_the_rest_once
);
async fn sigterm_finishes_what_is_in_flight_and_a_restart_sends_the_rest_once(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let upstream = Upstream::holding().await;
    let mut first = serve(&database, &upstream);
    let address = first
        .base
        .strip_prefix("http://")
        .expect("an http address")
        .to_owned();
    let tenant = first
        .gateway()
        .tenant_with("graceful", "+46700000700", json!({"throughput": 1}))
        .await;
    let mut destinations: Vec<String> = (0..QUEUED).map(|n| format!("+4670123470{n}")).collect();
    let queued: Vec<&str> = destinations.iter().map(String::as_str).collect();
    let (status, answer) = first
        .gateway()
        .send(&tenant, &request(&tenant, &queued, hello_world()))
        .await;
    assert_eq!(status, 200, "{answer}");
    // A submission is in flight: the upstream holds it.
    upstream.tries_at_least(1).await;
    let late = "+46701234799";
    let in_flight =
        RequestInFlight::start(&address, &tenant, &request(&tenant, &[late], hello_world())).await;
    destinations.push(late.to_owned());

    let terminated = Instant::now();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &first.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    // New connections are refused (one that reached the listen backlog
    // just before it closed is reset instead).
    poll(
        Duration::from_secs(10),
        "new connections to be refused",
        || async {
            let connect = TcpStream::connect(&address);
            match tokio::time::timeout(Duration::from_secs(1), connect).await {
                Err(_) => Err("no answer to the connection (a full backlog)".to_owned()),
                Ok(Ok(_)) => Err("accepted".to_owned()),
                Ok(Err(error)) if error.kind() == std::io::ErrorKind::ConnectionRefused => Ok(()),
                Ok(Err(error)) => Err(error.to_string()),
            }
        },
    )
    .await;
    // The request in flight gets its answer: queued.
    let (status_line, answer) = in_flight.finish().await;
    assert!(status_line.starts_with("HTTP/1.1 200"), "{status_line}");
    assert_eq!(answer["resultCode"], 112001, "{answer}");

    // The dispatcher stops: the part it had claimed and not yet tried
    // (waiting for its slot at one a second) is released, the submissions
    // in flight stay held. The upstream answers them two seconds later,
    // far longer than the rest of the shutdown takes: they are recorded
    // before the process exits 0 within the grace period, and nothing more
    // is claimed.
    poll(GRACE, "the claimed part to be released", || async {
        let claimed = database
            .rows(
                "SELECT message_id FROM outbox WHERE source = $1 AND lease_owner IS NOT NULL",
                &tenant.source,
            )
            .await
            .len();
        let held = upstream.tries().len();
        if claimed == held {
            Ok(())
        } else {
            Err(format!("{claimed} claimed, {held} held"))
        }
    })
    .await;
    let held = upstream.tries().len();
    upstream.answer_after(Duration::from_secs(2));
    let exit = poll(GRACE, "the gateway to exit", || {
        let exited = first.child.try_wait().expect("wait");
        async move { exited.ok_or_else(|| "still running".to_owned()) }
    })
    .await;
    assert!(exit.success(), "{exit:?}");
    assert!(
        terminated.elapsed() <= GRACE,
        "exited {:?} after SIGTERM",
        terminated.elapsed()
    );
    let sent_before = upstream.tries();
    assert_eq!(
        sent_before.len(),
        held,
        "a submission after the stop: {sent_before:?}"
    );
    println!(
        "{} of {} messages were submitted before the exit",
        sent_before.len(),
        destinations.len()
    );
    for sent in &sent_before {
        assert_eq!(
            states(&database, &sent.to).await,
            ["SUBMITTED"],
            "{} was submitted before the exit but not recorded",
            sent.to
        );
    }
    assert!(
        sent_before.len() < destinations.len(),
        "everything was sent before the exit; nothing left for the restart"
    );

    // A gateway on the same database sends the rest, each exactly once.
    let second = serve(&database, &upstream);
    upstream.tries_at_least(destinations.len()).await;
    for destination in &destinations {
        poll(
            Duration::from_secs(30),
            "every part to be recorded",
            || async {
                let states = states(&database, destination).await;
                if states == ["SUBMITTED"] {
                    Ok(())
                } else {
                    Err(format!("{destination}: {states:?}"))
                }
            },
        )
        .await;
    }
    let mut sends: HashMap<String, usize> = HashMap::new();
    for sent in upstream.tries() {
        *sends.entry(sent.to).or_default() += 1;
    }
    let expected: HashMap<String, usize> = destinations.iter().map(|to| (to.clone(), 1)).collect();
    assert_eq!(sends, expected, "each message exactly once");
    drop(second);
}
