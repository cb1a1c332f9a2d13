//! A `200 queued` survives the process being killed: the real binary is
//! started, sent a request, killed with SIGKILL right after the answer, and
//! started again on the same database.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{ADMIN_TOKEN, read};
use serde_json::{Value, json};

struct Gateway {
    child: Child,
    base: String,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `wagate serve` on port 0 and reads the address it prints.
fn start(database: &str) -> Gateway {
    let child = Command::new(env!("CARGO_BIN_EXE_wagate"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            database,
            "--admin-token",
            ADMIN_TOKEN,
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start wagate");
    let mut gateway = Gateway {
        child,
        base: String::new(),
    };
    let stdout = gateway.child.stdout.take().expect("stdout");
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let line = received
            .recv_timeout(left)
            .expect("wagate printed its address in time");
        if let Some(address) = line.strip_prefix("wagate listening on ") {
            gateway.base = address.trim().to_owned();
            return gateway;
        }
    }
}

#[tokio::test]
async fn a_queued_message_survives_sigkill() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = format!("sqlite://{}", dir.path().join("wagate.db").display());
    let client = reqwest::Client::new();

    let mut gateway = start(&database);
    let owner = json!({"platformId": "p1", "platformPartnerId": "pp1"});
    for (path, extra) in [
        ("accounts", json!({})),
        (
            "users",
            json!({"username": "ann", "password": "ann-password"}),
        ),
        ("sources", json!({"number": "+46700000001"})),
        (
            "gates",
            json!({"id": "g1", "url": "http://127.0.0.1:9/dlr"}),
        ),
    ] {
        let mut body = owner.clone();
        body.as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        let response = client
            .post(format!("{}/admin/v1/{path}", gateway.base))
            .bearer_auth(ADMIN_TOKEN)
            .json(&body)
            .send()
            .await
            .expect("admin");
        assert_eq!(response.status(), 201, "{path}");
    }
    let request = json!({
        "platformId": "p1", "platformPartnerId": "pp1", "priority": "LOW", "refId": "durable-1",
        "source": "+46700000001", "destinations": ["+46701234567", "SE.11815799212886844830"],
        "eventReportGates": ["g1"], "customParameters": {"k": "v"},
        "messages": [
            {"type": "text", "text": {"body": "survive this"}},
            {"type": "image", "image": {"link": "https://example.com/a.png", "caption": "and this"}}
        ]
    });
    let (status, answer) = read(
        client
            .post(format!("{}/whatsapp-message/messages", gateway.base))
            .basic_auth("ann", Some("ann-password"))
            .json(&request)
            .send()
            .await
            .expect("send"),
    )
    .await;
    gateway.child.kill().expect("SIGKILL");
    gateway.child.wait().expect("reaped");
    assert_eq!(status, 200, "{answer}");
    let ids: Vec<String> = answer["messageIds"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|id| id.as_str().expect("id").to_owned())
        .collect();

    let gateway = start(&database);
    for (id, destination) in ids.iter().zip(["+46701234567", "SE.11815799212886844830"]) {
        let (status, message) = read(
            client
                .get(format!("{}/whatsapp-message/messages/{id}", gateway.base))
                .basic_auth("ann", Some("ann-password"))
                .send()
                .await
                .expect("status"),
        )
        .await;
        assert_eq!(status, 200, "{message}");
        assert_eq!(message["destination"], destination);
        assert_eq!(message["refId"], "durable-1");
        assert_eq!(message["priority"], "LOW");
        assert_eq!(message["eventReportGates"], json!(["g1"]));
        assert_eq!(message["customParameters"], json!({"k": "v"}));
        let parts = message["messages"].as_array().expect("parts");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0]["messageType"], "text");
        assert_eq!(parts[1]["messageType"], "image");
        assert!(parts.iter().all(|part| part["state"] == "QUEUED"));
        let recipient_field = if destination.starts_with('+') {
            "to"
        } else {
            "recipient"
        };
        assert_eq!(parts[0]["cloudRequest"][recipient_field], destination);
        assert_eq!(parts[0]["cloudRequest"]["text"]["body"], "survive this");
        assert_eq!(
            parts[1]["cloudRequest"]["image"]["link"],
            Value::from("https://example.com/a.png")
        );
    }
}
