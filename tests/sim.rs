//! The Cloud API simulator over real HTTP: sends answered like Meta, status
//! and inbound webhooks posted (signed) to a webhook sink, the sandbox number
//! table, the care window and the known template.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use wagate::signature;
use wagate::sim::{Inbound, Sim, SimConfig};

mod common;
use common::webhook_body;

const SECRET: &str = "sim-test-secret";
const PNID: &str = "106540352242922";
const TOKEN: &str = "test-token";
const DEADLINE: Duration = Duration::from_secs(10);

/// One request the sink received.
#[derive(Debug, Clone)]
struct Hit {
    signature: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
    answered: u16,
}

impl Hit {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("webhook JSON")
    }
}

/// A webhook receiver that records everything and refuses the first
/// `refuse` requests with `refusal`; while held, it answers nothing.
#[derive(Clone)]
struct Sink {
    hits: Arc<Mutex<Vec<Hit>>>,
    refuse: Arc<AtomicU32>,
    refusal: Arc<AtomicU32>,
    held: Arc<watch::Sender<bool>>,
    waiting: Arc<AtomicU32>,
}

impl Default for Sink {
    fn default() -> Self {
        Self {
            hits: Arc::default(),
            refuse: Arc::default(),
            refusal: Arc::default(),
            held: Arc::new(watch::channel(false).0),
            waiting: Arc::default(),
        }
    }
}

impl Sink {
    /// Holds every webhook unanswered until [`Sink::release`].
    fn hold(&self) {
        self.held.send_replace(true);
    }

    fn release(&self) {
        self.held.send_replace(false);
    }

    /// Webhooks held unanswered now.
    fn waiting(&self) -> u32 {
        self.waiting.load(Ordering::SeqCst)
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().expect("sink lock").clone()
    }

    /// Answers the next webhook with `status`.
    fn refuse_once(&self, status: u32) {
        self.refusal.store(status, Ordering::SeqCst);
        self.refuse.store(1, Ordering::SeqCst);
    }
}

async fn receive(State(sink): State<Sink>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let refused = sink
        .refuse
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
            left.checked_sub(1)
        })
        .is_ok();
    let status = if refused {
        StatusCode::from_u16(sink.refusal.load(Ordering::SeqCst) as u16).expect("status")
    } else {
        StatusCode::OK
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    sink.hits.lock().expect("sink lock").push(Hit {
        signature: header(signature::HEADER),
        content_type: header("content-type"),
        body: body.to_vec(),
        answered: status.as_u16(),
    });
    // Recorded as it arrived; answered once released.
    sink.waiting.fetch_add(1, Ordering::SeqCst);
    let _ = sink.held.subscribe().wait_for(|held| !*held).await;
    sink.waiting.fetch_sub(1, Ordering::SeqCst);
    status
}

struct Harness {
    sim: Sim,
    base: String,
    sink: Sink,
    http: reqwest::Client,
    _stop: Vec<oneshot::Sender<()>>,
}

async fn start() -> Harness {
    start_with(wagate::sim::DEFAULT_STATUSES_PER_WEBHOOK).await
}

/// A simulator posting at most `statuses_per_webhook` statuses in a webhook.
async fn start_with(statuses_per_webhook: usize) -> Harness {
    let sink = Sink::default();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind sink");
    let sink_address = listener.local_addr().expect("sink address");
    let (stop_sink, sink_stopped) = oneshot::channel::<()>();
    let router = Router::new()
        .route("/webhooks/meta", post(receive))
        .with_state(sink.clone());
    tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = sink_stopped.await;
            })
            .await
            .expect("sink serves");
    });

    let sim = Sim::new(SimConfig {
        webhook_url: Some(
            format!("http://{sink_address}/webhooks/meta")
                .parse()
                .expect("url"),
        ),
        app_secret: SECRET.into(),
        status_delay: Duration::from_millis(5),
        record_limit: 1000,
        any_template: false,
        statuses_per_webhook,
    });
    let (stop_sim, sim_stopped) = oneshot::channel::<()>();
    let (address, _task) = sim
        .spawn_local(async move {
            let _ = sim_stopped.await;
        })
        .await
        .expect("spawn the simulator");
    Harness {
        sim,
        base: format!("http://{address}"),
        sink,
        http: reqwest::Client::new(),
        _stop: vec![stop_sink, stop_sim],
    }
}

/// Polls `probe` until it yields, failing after the deadline.
async fn eventually<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let start = tokio::time::Instant::now();
    loop {
        if let Some(found) = probe() {
            return found;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn template(to: &str, name: &str, language: &str) -> Value {
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "template",
        "template": {"name": name, "language": {"code": language}},
    })
}

fn text(to: &str, body: &str) -> Value {
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"body": body},
    })
}

fn inbound(from: &str) -> Inbound {
    Inbound {
        phone_number_id: PNID.into(),
        display_phone_number: "+1 555 078 3881".into(),
        from: Some(from.into()),
        from_user_id: None,
        name: Some("Sheena".into()),
        text: Some("hello".into()),
        message: None,
    }
}

impl Harness {
    async fn post_raw(&self, path: &str, token: Option<&str>, body: Vec<u8>) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let body = response.json().await.expect("JSON answer");
        (status, body)
    }

    /// `GET {path}` on the simulator, as JSON.
    async fn get_json(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET")
            .json()
            .await
            .expect("JSON")
    }

    async fn send(&self, body: &Value) -> (u16, Value) {
        self.post_raw(
            &format!("/v23.0/{PNID}/messages"),
            Some(TOKEN),
            serde_json::to_vec(body).expect("body"),
        )
        .await
    }

    /// Sends and expects acceptance; returns the wamid.
    async fn accepted(&self, body: &Value) -> String {
        let (status, answer) = self.send(body).await;
        assert_eq!(status, 200, "{answer}");
        answer["messages"][0]["id"]
            .as_str()
            .expect("wamid")
            .to_owned()
    }

    /// The statuses posted for `wamid`, in arrival order.
    fn statuses(&self, wamid: &str) -> Vec<Value> {
        self.sink
            .hits()
            .iter()
            .filter(|hit| hit.answered == 200)
            .map(Hit::json)
            .flat_map(|body| {
                webhook_body::statuses(&body)
                    .into_iter()
                    .filter(|status| status["id"] == wamid)
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn status_names(&self, wamid: &str) -> Vec<String> {
        self.statuses(wamid)
            .iter()
            .map(|status| status["status"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    async fn wait_statuses(&self, wamid: &str, count: usize) -> Vec<String> {
        eventually(&format!("{count} statuses of {wamid}"), || {
            let names = self.status_names(wamid);
            (names.len() >= count).then_some(names)
        })
        .await
    }
}

fn error_of(answer: &Value) -> (i64, String) {
    (
        answer["error"]["code"].as_i64().expect("error code"),
        answer["error"]["error_data"]["details"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

#[tokio::test]
async fn a_default_number_is_sent_delivered_and_read_with_signed_webhooks() {
    let harness = start().await;
    let (status, answer) = harness
        .send(&template("+46701234567", "hello_world", "en_US"))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["messaging_product"], "whatsapp");
    assert_eq!(
        answer["contacts"],
        json!([{"input": "+46701234567", "wa_id": "46701234567"}])
    );
    assert_eq!(answer["messages"][0]["message_status"], "accepted");
    let wamid = answer["messages"][0]["id"].as_str().expect("wamid");
    assert!(wamid.starts_with("wamid."));

    assert_eq!(
        harness.wait_statuses(wamid, 3).await,
        ["sent", "delivered", "read"]
    );
    for hit in harness.sink.hits() {
        let header = hit.signature.as_deref().expect("signature header");
        assert!(
            signature::verify(SECRET.as_bytes(), &hit.body, header),
            "bad signature {header}"
        );
        assert_eq!(hit.content_type.as_deref(), Some("application/json"));
    }
    let statuses = harness.statuses(wamid);
    let sent = &statuses[0];
    assert_eq!(sent["recipient_id"], "46701234567");
    assert_eq!(sent["conversation"]["origin"]["type"], "utility");
    assert_eq!(sent["pricing"]["category"], "utility");
    assert_eq!(sent["pricing"]["pricing_model"], "PMP");
    assert!(
        sent["timestamp"]
            .as_str()
            .is_some_and(|t| t.parse::<i64>().is_ok())
    );
    let first = harness.sink.hits()[0].json();
    assert_eq!(first["object"], "whatsapp_business_account");
    assert_eq!(first["entry"][0]["changes"][0]["field"], "messages");
    assert_eq!(
        first["entry"][0]["changes"][0]["value"]["metadata"],
        json!({"display_phone_number": PNID, "phone_number_id": PNID})
    );

    let received = harness.sim.received(0);
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].status, 200);
    assert_eq!(received[0].wamid.as_deref(), Some(wamid));
    assert_eq!(received[0].phone_number_id, PNID);
    let stats = eventually("three delivered webhooks", || {
        let stats = harness.sim.stats();
        (stats.webhooks_sent == 3).then_some(stats)
    })
    .await;
    assert_eq!((stats.received, stats.accepted, stats.rejected), (1, 1, 0));
    assert_eq!(stats.webhooks_failed, 0);
    let records = harness.sim.webhooks(0);
    assert_eq!(records.len(), 3);
    assert!(
        records
            .iter()
            .all(|record| record.delivered && record.http_status == Some(200))
    );
    assert_eq!(harness.sim.webhooks(records[1].seq).len(), 1);
}

#[tokio::test]
async fn statuses_that_wait_together_share_a_webhook_each_message_in_order() {
    let harness = start_with(5).await;
    harness.sink.hold();
    let mut wamids = Vec::new();
    for n in 0..12 {
        let to = format!("+4670123{n:04}");
        wamids.push(
            harness
                .accepted(&template(&to, "hello_world", "en_US"))
                .await,
        );
    }
    // The twelve `sent` statuses are out (held at the sink) or waiting,
    // and when any wait, four webhooks are out.
    let carried = |harness: &Harness| -> Vec<usize> {
        harness
            .sink
            .hits()
            .iter()
            .map(|hit| webhook_body::statuses(&hit.json()).len())
            .collect()
    };
    eventually("every sent status out or waiting", || {
        let out: usize = carried(&harness).iter().sum();
        let waiting = harness.sim.stats().statuses_waiting as usize;
        (out + waiting == 12 && (waiting == 0 || harness.sink.waiting() == 4)).then_some(())
    })
    .await;
    harness.sink.release();

    for wamid in &wamids {
        assert_eq!(
            harness.wait_statuses(wamid, 3).await,
            ["sent", "delivered", "read"],
            "{wamid}"
        );
    }
    let carried = carried(&harness);
    assert_eq!(carried.iter().sum::<usize>(), 36, "{carried:?}");
    assert!(
        carried.iter().all(|&count| (1..=5).contains(&count)),
        "{carried:?}"
    );
    assert!(
        carried.iter().any(|&count| count > 1),
        "statuses that waited went together: {carried:?}"
    );
    for hit in harness.sink.hits() {
        let header = hit.signature.as_deref().expect("signature header");
        assert!(signature::verify(SECRET.as_bytes(), &hit.body, header));
        let body = hit.json();
        assert_eq!(
            body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"],
            PNID
        );
    }
    // The simulator counts a webhook once the sink has answered it, which
    // may be just after the sink recorded it.
    eventually("every webhook counted as sent", || {
        let stats = harness.sim.stats();
        (stats.webhooks_sent as usize == carried.len()).then_some(())
    })
    .await;
    assert_eq!(harness.sim.stats().statuses_waiting, 0);
}

/// Registers [`PNID`] to a WABA and creates the templates `names` (`en`)
/// there, waiting until each is APPROVED (its status webhook came).
async fn approve(harness: &Harness, names: &[&str]) {
    let waba = "sim-test-waba";
    harness.sim.register_number(PNID, waba);
    for name in names {
        let template = json!({"name": name, "language": "en", "category": "MARKETING",
                              "components": [{"type": "BODY", "text": "Your order is on its way"}]});
        let (status, answer) = harness
            .post_raw(
                &format!("/v23.0/{waba}/message_templates"),
                Some(TOKEN),
                template.to_string().into_bytes(),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
    }
    eventually("the templates' approval", || {
        let approved: Vec<_> = harness
            .sink
            .hits()
            .into_iter()
            .filter_map(|hit| {
                let body = hit.json();
                let value = &body["entry"][0]["changes"][0]["value"];
                (value["event"] == "APPROVED").then(|| value["message_template_name"].clone())
            })
            .collect();
        names
            .iter()
            .all(|name| approved.contains(&json!(name)))
            .then_some(())
    })
    .await;
}

#[tokio::test]
async fn the_sandbox_number_table_drives_each_path() {
    let harness = start().await;
    approve(&harness, &["order_update", "other_template"]).await;

    // 9900: accepted, then failed with 131026 and nothing else.
    let undeliverable = harness
        .accepted(&template("+46701239900", "order_update", "en"))
        .await;
    harness.wait_statuses(&undeliverable, 1).await;
    let failed = &harness.statuses(&undeliverable)[0];
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["errors"][0]["code"], 131026);
    assert_eq!(failed["errors"][0]["title"], "Message undeliverable");
    assert!(failed["errors"][0]["error_data"]["details"].is_string());

    // 9901: 131000 (HTTP 500) twice, then accepted.
    let transient = template("+46701239901", "order_update", "en");
    for _ in 0..2 {
        let (status, answer) = harness.send(&transient).await;
        assert_eq!(status, 500, "{answer}");
        assert_eq!(error_of(&answer).0, 131000);
        assert_eq!(answer["error"]["message"], "(#131000) Something went wrong");
    }
    let recovered = harness.accepted(&transient).await;
    // A different message to the same number starts over.
    let (status, _) = harness
        .send(&template("+46701239901", "other_template", "en"))
        .await;
    assert_eq!(status, 500);

    // 9902: 130429 (HTTP 429) once, then accepted.
    let limited = template("+46701239902", "order_update", "en");
    let (status, answer) = harness.send(&limited).await;
    assert_eq!(status, 429, "{answer}");
    assert_eq!(error_of(&answer).0, 130429);
    let after_limit = harness.accepted(&limited).await;

    // 9903: always error 100.
    let invalid = template("+46701239903", "order_update", "en");
    for _ in 0..2 {
        let (status, answer) = harness.send(&invalid).await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(
            error_of(&answer),
            (
                100,
                "Simulated invalid parameter for sandbox number ending 9903".to_owned()
            )
        );
    }

    // 9904: sent and delivered, never read: a default number sent after its
    // delivery gets its read later than 9904's read would have come.
    let unread = harness
        .accepted(&template("+46701239904", "order_update", "en"))
        .await;
    assert_eq!(
        harness.wait_statuses(&unread, 2).await,
        ["sent", "delivered"]
    );
    let sentinel = harness
        .accepted(&template("+46701234567", "order_update", "en"))
        .await;
    assert_eq!(
        harness.wait_statuses(&sentinel, 3).await,
        ["sent", "delivered", "read"]
    );
    assert_eq!(harness.status_names(&unread), ["sent", "delivered"]);
    assert_eq!(harness.status_names(&undeliverable), ["failed"]);
    assert_eq!(
        harness.wait_statuses(&recovered, 3).await,
        ["sent", "delivered", "read"]
    );
    assert_eq!(
        harness.wait_statuses(&after_limit, 3).await,
        ["sent", "delivered", "read"]
    );
    let statuses = harness.statuses(&sentinel);
    assert_eq!(statuses[0]["conversation"]["origin"]["type"], "marketing");

    let stats = harness.sim.stats();
    assert_eq!((stats.received, stats.accepted, stats.rejected), (11, 5, 6));
    let codes: Vec<_> = harness
        .sim
        .received(0)
        .iter()
        .map(|send| (send.status, send.error_code))
        .collect();
    assert_eq!(
        codes,
        [
            (200, None),
            (500, Some(131000)),
            (500, Some(131000)),
            (200, None),
            (500, Some(131000)),
            (429, Some(130429)),
            (200, None),
            (400, Some(100)),
            (400, Some(100)),
            (200, None),
            (200, None),
        ]
    );
}

#[tokio::test]
async fn the_care_window_opens_with_an_inbound_message() {
    let harness = start().await;
    let (status, answer) = harness.send(&text("+46701234567", "hi")).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(
        error_of(&answer),
        (
            131047,
            "Message failed to send because more than 24 hours have passed since the customer last replied to this number.".to_owned()
        )
    );
    assert_eq!(
        answer["error"]["message"],
        "(#131047) Re-engagement message"
    );
    assert_eq!(answer["error"]["type"], "OAuthException");
    assert!(answer["error"]["fbtrace_id"].is_string());

    let inbound_id = harness
        .sim
        .inbound(inbound("+46701234567"))
        .await
        .expect("inbound");
    let hit = eventually("the inbound webhook", || {
        harness.sink.hits().into_iter().find(|hit| {
            hit.json()["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
                == inbound_id.as_str()
        })
    })
    .await;
    assert!(signature::verify(
        SECRET.as_bytes(),
        &hit.body,
        hit.signature.as_deref().unwrap_or_default()
    ));
    let value = &hit.json()["entry"][0]["changes"][0]["value"];
    assert_eq!(
        value["metadata"],
        json!({"display_phone_number": "15550783881", "phone_number_id": PNID})
    );
    assert_eq!(
        value["contacts"],
        json!([{"profile": {"name": "Sheena"}, "wa_id": "46701234567"}])
    );
    let message = &value["messages"][0];
    assert_eq!(message["from"], "46701234567");
    assert_eq!(message["type"], "text");
    assert_eq!(message["text"]["body"], "hello");

    let wamid = harness.accepted(&text("+46701234567", "hi")).await;
    let statuses = harness.wait_statuses(&wamid, 3).await;
    assert_eq!(statuses, ["sent", "delivered", "read"]);
    let sent = &harness.statuses(&wamid)[0];
    assert_eq!(sent["conversation"]["origin"]["type"], "service");
    assert_eq!(sent["pricing"]["billable"], false);
    // The business number learnt from the inbound message names the metadata.
    let status_hit = harness
        .sink
        .hits()
        .into_iter()
        .map(|hit| hit.json())
        .find(|body| {
            webhook_body::statuses(body)
                .iter()
                .any(|status| status["id"] == wamid.as_str())
        })
        .expect("status webhook");
    assert_eq!(
        status_hit["entry"][0]["changes"][0]["value"]["metadata"]["display_phone_number"],
        "15550783881"
    );

    // Another business number has its own window.
    let (status, answer) = harness
        .post_raw(
            "/v23.0/other-number/messages",
            Some(TOKEN),
            serde_json::to_vec(&text("+46701234567", "hi")).expect("body"),
        )
        .await;
    assert_eq!((status, error_of(&answer).0), (400, 131047));
}

#[tokio::test]
async fn inbound_over_http_and_bsuid_recipients() {
    let harness = start().await;
    let (status, answer) = harness
        .post_raw(
            "/sim/v1/inbound",
            None,
            serde_json::to_vec(&json!({
                "phoneNumberId": PNID,
                "displayPhoneNumber": "15550783881",
                "fromUserId": "SE.13491208655302741918",
                "message": {"type": "image", "image": {"id": "1234", "mime_type": "image/jpeg"}},
            }))
            .expect("body"),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let inbound_id = answer["id"].as_str().expect("id").to_owned();
    let hit = eventually("the inbound webhook", || {
        harness.sink.hits().into_iter().next()
    })
    .await;
    let value = &hit.json()["entry"][0]["changes"][0]["value"];
    assert_eq!(value["contacts"][0]["user_id"], "SE.13491208655302741918");
    assert!(value["contacts"][0].get("wa_id").is_none());
    let message = &value["messages"][0];
    assert_eq!(message["id"], inbound_id.as_str());
    assert_eq!(message["from_user_id"], "SE.13491208655302741918");
    assert!(message.get("from").is_none());
    assert_eq!(message["image"]["id"], "1234");

    let (status, answer) = harness
        .post_raw(
            "/sim/v1/inbound",
            None,
            serde_json::to_vec(
                &json!({"phoneNumberId": PNID, "displayPhoneNumber": "1", "text": "hi"}),
            )
            .expect("body"),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|error| error.contains("fromUserId"))
    );

    let body = json!({
        "messaging_product": "whatsapp",
        "recipient": "SE.13491208655302741918",
        "type": "text",
        "text": {"body": "to a BSUID"},
    });
    let (status, answer) = harness.send(&body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["contacts"],
        json!([{"input": "SE.13491208655302741918", "user_id": "SE.13491208655302741918"}])
    );
    let wamid = answer["messages"][0]["id"].as_str().expect("wamid");
    // The BSUID's digits end in 1918: a default recipient.
    assert_eq!(
        harness.wait_statuses(wamid, 3).await,
        ["sent", "delivered", "read"]
    );
    let sent = &harness.statuses(wamid)[0];
    assert_eq!(sent["recipient_user_id"], "SE.13491208655302741918");
    assert!(sent.get("recipient_id").is_none());
}

#[tokio::test]
async fn templates_tokens_and_bodies_are_checked_like_meta() {
    let harness = start().await;

    let (status, answer) = harness
        .send(&template("+46701234567", "hello_world", "en"))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        error_of(&answer),
        (
            132001,
            "template name (hello_world) does not exist in en".to_owned()
        )
    );
    let mut with_parameters = template("+46701234567", "hello_world", "en_US");
    with_parameters["template"]["components"] =
        json!([{"type": "body", "parameters": [{"type": "text", "text": "Ann"}]}]);
    let (status, answer) = harness.send(&with_parameters).await;
    assert_eq!((status, error_of(&answer).0), (400, 132000));

    let body = serde_json::to_vec(&template("+46701234567", "hello_world", "en_US")).expect("body");
    let path = format!("/v23.0/{PNID}/messages");
    let (status, answer) = harness.post_raw(&path, None, body.clone()).await;
    assert_eq!((status, answer["error"]["code"].as_i64()), (401, Some(190)));
    assert_eq!(answer["error"]["type"], "OAuthException");
    let (status, answer) = harness.post_raw(&path, Some(" "), body.clone()).await;
    assert_eq!((status, answer["error"]["code"].as_i64()), (401, Some(190)));

    let (status, answer) = harness
        .post_raw(&path, Some(TOKEN), b"{not json".to_vec())
        .await;
    assert_eq!((status, error_of(&answer).0), (400, 100));

    let mut malformed = template("+46701234567", "hello_world", "en_US");
    malformed
        .as_object_mut()
        .expect("object")
        .remove("messaging_product");
    let (status, answer) = harness.send(&malformed).await;
    assert_eq!(status, 400);
    assert_eq!(
        error_of(&answer),
        (100, "Param messaging_product is required".to_owned())
    );
    assert_eq!(answer["error"]["message"], "(#100) Invalid parameter");

    let mut media = text("+46701234567", "x");
    media["type"] = json!("image");
    media.as_object_mut().expect("object").remove("text");
    media["image"] = json!({"id": "1", "link": "https://example.com/a.png"});
    let (status, answer) = harness.send(&media).await;
    assert_eq!(
        (status, error_of(&answer)),
        (
            400,
            (
                100,
                "Only one of media ID or link may be present".to_owned()
            )
        )
    );

    // Mark as read: answered, not counted as a send (but kept with them).
    let (status, answer) = harness
        .send(&json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X"}))
        .await;
    assert_eq!((status, answer), (200, json!({"success": true})));

    let stats = harness.sim.stats();
    assert_eq!((stats.received, stats.accepted, stats.rejected), (7, 0, 7));
    assert!(harness.sink.hits().is_empty());

    // The observation endpoints over HTTP.
    let received = harness.get_json("/sim/v1/received?since=5").await;
    let seqs: Vec<_> = received
        .as_array()
        .expect("array")
        .iter()
        .map(|send| send["seq"].as_u64().expect("seq"))
        .collect();
    assert_eq!(seqs, [6, 7, 8]);
    assert_eq!(received[0]["phoneNumberId"], PNID);
    assert_eq!(received[0]["errorCode"], 100);
    assert_eq!(received[2]["body"]["status"], "read", "{received}");
    assert_eq!(received[2]["wamid"], Value::Null, "{received}");
    let stats = harness.get_json("/sim/v1/stats").await;
    assert_eq!(stats["received"], 7);
    assert_eq!(stats["rejected"], 7);
    assert!(stats["firstAt"].is_i64());
    let webhooks = harness.get_json("/sim/v1/webhooks").await;
    assert_eq!(webhooks, json!([]));
}

#[tokio::test]
async fn webhooks_are_retried_on_5xx_and_not_on_4xx() {
    let harness = start().await;
    harness.sink.refuse_once(503);
    harness
        .sim
        .inbound(inbound("+46701234567"))
        .await
        .expect("inbound");
    let hits = harness.sink.hits();
    assert_eq!(
        hits.iter().map(|hit| hit.answered).collect::<Vec<_>>(),
        [503, 200]
    );
    assert_eq!(hits[0].body, hits[1].body);
    let records = harness.sim.webhooks(0);
    assert_eq!(records.len(), 1);
    assert!(records[0].delivered);

    harness.sink.refuse_once(403);
    harness
        .sim
        .inbound(inbound("+46701234567"))
        .await
        .expect("inbound");
    assert_eq!(harness.sink.hits().len(), 3);
    let records = harness.sim.webhooks(1);
    assert_eq!(records.len(), 1);
    assert!(!records[0].delivered);
    assert_eq!(records[0].http_status, Some(403));
    let stats = harness.sim.stats();
    assert_eq!((stats.webhooks_sent, stats.webhooks_failed), (1, 1));
}
