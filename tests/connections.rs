//! Slow, idle and too many connections: the header-read, body-read and
//! idle timeouts close them, the connection cap holds the rest in the
//! listen backlog, and running out of file descriptors passes once they
//! are freed. Raw TCP clients on loopback play the slow clients.

mod common;

use std::time::{Duration, Instant};

use common::process::Process;
use common::{Backend, TestApp, TestDatabase, request, spawn_app_with, text};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Long enough for any machine; every wait below ends as soon as its event.
const DEADLINE: Duration = Duration::from_secs(20);

async fn connect(app: &TestApp) -> TcpStream {
    connect_to(&app.base).await
}

async fn connect_to(base: &str) -> TcpStream {
    let address = base.trim_start_matches("http://");
    TcpStream::connect(address).await.expect("connect")
}

/// Waits for the server to close `stream` (EOF or reset), reading and
/// dropping whatever it sends first; the panic says if it did not.
async fn closed_by_server(stream: &mut TcpStream, what: &str) -> Vec<u8> {
    let mut received = Vec::new();
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Err(_) => panic!("the server did not close {what}"),
            Ok(Ok(0) | Err(_)) => return received,
            Ok(Ok(read)) => received.extend_from_slice(&buffer[..read]),
        }
    }
}

/// Reads one HTTP/1.1 response (head and a `content-length` body) within
/// `within`; `None` when nothing complete came in time.
async fn response_within(stream: &mut TcpStream, within: Duration) -> Option<(u16, String)> {
    let deadline = tokio::time::Instant::now() + within;
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        if let Some(end) = received.windows(4).position(|window| window == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&received[..end]).to_string();
            let length = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if received.len() >= end + 4 + length {
                let status = head
                    .split(' ')
                    .nth(1)
                    .and_then(|code| code.parse().ok())
                    .expect("status code");
                let body = String::from_utf8_lossy(&received[end + 4..end + 4 + length]);
                return Some((status, body.to_string()));
            }
        }
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Err(_) | Ok(Ok(0) | Err(_)) => return None,
            Ok(Ok(read)) => received.extend_from_slice(&buffer[..read]),
        }
    }
}

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: wagate\r\n\r\n";

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_header_timeout() {
    let app = spawn_app_with(Backend::Sqlite, &["--header-read-timeout", "200ms"]).await;
    let started = Instant::now();
    let mut silent = connect(&app).await;
    closed_by_server(&mut silent, "a silent connection").await;
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn a_slowloris_dripping_a_header_is_closed_after_the_header_timeout() {
    let app = spawn_app_with(Backend::Sqlite, &["--header-read-timeout", "300ms"]).await;
    let mut slow = connect(&app).await;
    slow.write_all(b"GET /healthz HTTP/1.1\r\nX-Slow: a")
        .await
        .expect("write");
    // One more header byte every 50 ms: traffic does not extend the deadline.
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    let mut buffer = [0u8; 1024];
    loop {
        tokio::select! {
            read = slow.read(&mut buffer) => match read {
                Ok(0) | Err(_) => break,
                Ok(_) => panic!("the server answered a request whose head never ended"),
            },
            _ = tick.tick() => {
                if slow.write_all(b"a").await.is_err() {
                    break;
                }
            }
            () = tokio::time::sleep_until(deadline) => panic!("the slowloris was not closed"),
        }
    }
    // Meanwhile the server serves others.
    let (status, _) = common::read(
        app.client
            .get(format!("{}/healthz", app.base))
            .send()
            .await
            .expect("healthz"),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_answered_408_and_the_connection_closed() {
    let app = spawn_app_with(Backend::Sqlite, &["--body-read-timeout", "300ms"]).await;
    let tenant = app.tenant("acme", "+46700000001").await;
    let body = request(&tenant, &["+46701234567"], text("hi")).to_string();
    let credentials = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", tenant.username, tenant.password))
    };
    let mut slow = connect(&app).await;
    let head = format!(
        "POST /whatsapp-message/messages HTTP/1.1\r\nHost: wagate\r\nAuthorization: Basic \
         {credentials}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    slow.write_all(head.as_bytes()).await.expect("write");
    // Half the body, then nothing.
    slow.write_all(&body.as_bytes()[..body.len() / 2])
        .await
        .expect("write");
    let (status, answer) = response_within(&mut slow, DEADLINE)
        .await
        .expect("an answer to the stalled body");
    assert_eq!(status, 408, "{answer}");
    let answer: serde_json::Value = serde_json::from_str(&answer).expect("JSON");
    assert_eq!(answer["resultCode"], 112402, "{answer}");
    assert!(
        answer["description"]
            .as_str()
            .is_some_and(|text| text.contains("did not arrive")),
        "{answer}"
    );
    closed_by_server(&mut slow, "the connection after 408").await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let app = spawn_app_with(Backend::Sqlite, &["--idle-timeout", "300ms"]).await;
    let mut client = connect(&app).await;
    // The server's idle time starts after it has read the request and
    // answered, so at the earliest once the request is sent: this side
    // reads the answer a moment later, and from then the close may come a
    // little before 300 ms.
    let sent = Instant::now();
    client.write_all(HEALTHZ).await.expect("write");
    let (status, _) = response_within(&mut client, DEADLINE)
        .await
        .expect("a response");
    assert_eq!(status, 200);
    closed_by_server(&mut client, "an idle keep-alive connection").await;
    assert!(
        sent.elapsed() >= Duration::from_millis(300),
        "closed {:?} after the request was sent",
        sent.elapsed()
    );
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    let app = spawn_app_with(Backend::Sqlite, &["--max-connections", "2"]).await;
    // Two connections, each served once and then kept open.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut client = connect(&app).await;
        client.write_all(HEALTHZ).await.expect("write");
        let (status, _) = response_within(&mut client, DEADLINE)
            .await
            .expect("a response");
        assert_eq!(status, 200);
        held.push(client);
    }
    // A third is left in the backlog: its request is not read.
    let mut third = connect(&app).await;
    third.write_all(HEALTHZ).await.expect("write");
    assert_eq!(
        response_within(&mut third, Duration::from_millis(500)).await,
        None,
        "a third connection was served while two were open"
    );
    // Once one of the two closes, it is.
    drop(held.remove(0));
    let (status, body) = response_within(&mut third, DEADLINE)
        .await
        .expect("the third connection served once a slot is free");
    assert_eq!((status, body.as_str()), (200, "ok"));
}

/// Under a low open-files limit, idle connections use up the descriptors
/// and accepting fails; the header timeout closes them, and the gateway
/// serves again while their clients still hold them open.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_gateway_recovers_when_idle_connections_use_up_its_file_descriptors() {
    let database = TestDatabase::create(Backend::Sqlite).await;
    let gateway = Process::serve(&database, &["--header-read-timeout", "1s"]);
    let pid = i32::try_from(gateway.child.id()).expect("pid");
    let open_files = || {
        std::fs::read_dir(format!("/proc/{pid}/fd"))
            .expect("the gateway's descriptors")
            .count()
    };
    let limit = open_files() + 16;
    let limit_u64 = u64::try_from(limit).expect("limit");
    rlimit::prlimit(
        pid,
        rlimit::Resource::NOFILE,
        Some((limit_u64, limit_u64)),
        None,
    )
    .expect("lower the gateway's open files limit");

    // More idle connections than descriptors left.
    let mut idle = Vec::new();
    for _ in 0..40 {
        idle.push(connect_to(&gateway.base).await);
    }
    let mut waiting = connect_to(&gateway.base).await;
    waiting.write_all(HEALTHZ).await.expect("write");
    common::eventually(DEADLINE, "the descriptors to run out", || async {
        open_files() + 1 >= limit
    })
    .await;
    // The idle ones are closed by the server, freeing descriptors, and the
    // waiting request is served, though every idle client is still there.
    let (status, _) = response_within(&mut waiting, DEADLINE)
        .await
        .expect("served once descriptors are free");
    assert_eq!(status, 200);
    let client = common::Gateway::at(&gateway.base);
    common::eventually(DEADLINE, "/healthz", || async {
        client
            .client
            .get(format!("{}/healthz", client.base))
            .send()
            .await
            .is_ok_and(|answer| answer.status().is_success())
    })
    .await;
    drop(idle);
}
