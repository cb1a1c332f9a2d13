//! The sandbox accepts what Meta accepts: each of the 50 request examples of
//! Meta's OpenAPI description for `POST /{Version}/{Phone-Number-ID}/messages`
//! (`tests/fixtures/meta-send-examples.yaml`, verbatim) is sent over HTTP to
//! the simulator, in the state the example assumes, and must get a `wamid`,
//! except the two examples that are broken, which get Meta's `(#100)`.
//!
//! The state: the example's recipient has just written in (through
//! `/sim/v1/inbound`), so the care window is open and the example's reply
//! context names a real message. The placeholders the examples leave to the sender are filled in
//! (Postman's `{{variables}}`, `http(s)://` links, `<…_OBJECT_ID>` media ids,
//! `<MSGID_…>` message ids, `<HEADER_TYPE>`); placeholder text where any text
//! will do stays as written, but template names and languages, which must
//! be real (`<TEMPLATE_NAME>`, `template-name`, `language-and-locale-code`).
//! Like Meta, the sandbox sends only approved templates of the number's
//! WABA: the number is registered to a WABA and every template the examples
//! name (but Meta's `hello_world`, there from the start) is created through
//! the template API and waited for until APPROVED. Media ids must be ones
//! the number uploaded, as at Meta, so a file of each kind is uploaded first
//! (`POST /{Version}/{Phone-Number-ID}/media`) and its id fills the
//! example's `<…_OBJECT_ID>`. Each accepted example must then be read, not
//! fail (an unknown media id would fail with 131053).

use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::sync::oneshot;
use wagate::sim::{Sim, SimConfig};

mod common;
use common::webhook_body;

const EXAMPLES: &str = include_str!("fixtures/meta-send-examples.yaml");
const PNID: &str = "106540352242922";
const WABA: &str = "102290129340398";
/// What the placeholder template names and language become.
const EXAMPLE_TEMPLATE: &str = "example_template";
const EXAMPLE_LANGUAGE: &str = "en_US";
/// The templates the examples send, besides Meta's `hello_world`.
const TEMPLATES: [&str; 3] = [
    "intro_catalog_offer",
    "sample_issue_resolution",
    EXAMPLE_TEMPLATE,
];
const TOKEN: &str = "test-token";
/// The simulated user; its last four digits make the sandbox accept.
const USER: &str = "46701234567";
/// The file uploaded for each media placeholder, and its type.
const UPLOADS: [(&str, &str); 5] = [
    ("<AUDIO_OBJECT_ID>", "audio/ogg"),
    ("<DOCUMENT_OBJECT_ID>", "application/pdf"),
    ("<IMAGE_OBJECT_ID>", "image/jpeg"),
    ("<VIDEO_OBJECT_ID>", "video/mp4"),
    ("<MEDIA_OBJECT_ID>", "image/webp"),
];

/// The examples Meta would refuse, why, and the param the refusal names.
const BROKEN: [(&str, &str, &str); 2] = [
    (
        "Send Sample Issue Resolution Template",
        "quick-reply button texts are the booleans true and false, not text",
        "Param template['components'][1]['parameters'][0]['text'] must be a string",
    ),
    (
        "Send Reply to List Message",
        "no top-level type, so it is a text message that carries an interactive object",
        "Param interactive is not allowed on a message of type text",
    ),
];

/// The mark-as-read example: answered `{"success": true}`, not a `wamid`.
const MARK_READ: &str = "Send typing indicator and read receipt";

fn examples() -> Map<String, Value> {
    let examples: Map<String, Value> =
        serde_saphyr::from_str(EXAMPLES).expect("the examples are YAML");
    assert_eq!(examples.len(), 50, "the spec has 50 send examples");
    examples
}

/// Fills in what the example leaves to the sender; `inbound` is the
/// `wamid` of the simulated user's message, `media` the uploaded ids by
/// placeholder.
fn fill(value: &mut Value, inbound: &str, media: &Map<String, Value>) {
    match value {
        Value::Object(map) => map
            .values_mut()
            .for_each(|value| fill(value, inbound, media)),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|value| fill(value, inbound, media)),
        Value::String(text) => {
            if let Some(filled) = filled(text, inbound, media) {
                *text = filled;
            }
        }
        _ => {}
    }
}

fn filled(text: &str, inbound: &str, media: &Map<String, Value>) -> Option<String> {
    if let Some(value) = variable(text) {
        return Some(value);
    }
    let bare = text.trim_start_matches('<').trim_end_matches('>');
    if let Some(rest) = bare.strip_prefix("http(s)://") {
        return Some(format!("https://media.example.com/{rest}"));
    }
    if text.starts_with("<MSGID_") {
        return Some(inbound.to_owned());
    }
    if text.starts_with('<') && text.ends_with("OBJECT_ID>") {
        let id = media.get(text).and_then(Value::as_str);
        return Some(
            id.unwrap_or_else(|| panic!("no upload for {text}"))
                .to_owned(),
        );
    }
    match text {
        "<HEADER_TYPE>" => Some("text".to_owned()),
        "<TEMPLATE_NAME>" | "template-name" => Some(EXAMPLE_TEMPLATE.to_owned()),
        "language-and-locale-code" => Some(EXAMPLE_LANGUAGE.to_owned()),
        _ => None,
    }
}

/// Registers the number to its WABA, creates the examples' templates and
/// waits until each is APPROVED.
async fn approved_templates(http: &reqwest::Client, base: &str) {
    let (status, answer) = post(
        http,
        format!("{base}/sim/v1/numbers"),
        &json!({"phoneNumberId": PNID, "wabaId": WABA}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let url = format!("{base}/v23.0/{WABA}/message_templates");
    for name in TEMPLATES {
        let template = json!({"name": name, "language": EXAMPLE_LANGUAGE, "category": "MARKETING",
                              "components": [{"type": "BODY", "text": "Hello {{1}}",
                                              "example": {"body_text": [["Ann"]]}}]});
        let (status, answer) = post(http, url.clone(), &template).await;
        assert_eq!(
            (status, &answer["status"]),
            (200, &json!("PENDING")),
            "{name}: {answer}"
        );
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let approved: Value = http
            .get(format!("{url}?status=APPROVED"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("JSON list");
        let names: Vec<&str> = approved["data"]
            .as_array()
            .map(|data| data.iter().filter_map(|t| t["name"].as_str()).collect())
            .unwrap_or_default();
        if TEMPLATES.iter().all(|name| names.contains(name)) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "templates not approved: {approved}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The value of a Postman variable, `{{Recipient-Phone-Number}}`.
fn variable(text: &str) -> Option<String> {
    let name = text.strip_prefix("{{")?.strip_suffix("}}")?;
    Some(match name {
        "Recipient-Phone-Number" => format!("+{USER}"),
        "Recipient-WA-Phone-Number" => USER.to_owned(),
        "Flow-ID" => "1234567890123456".to_owned(),
        "Flow-Name" => "appointment_booking".to_owned(),
        other => panic!("no value for the variable {{{{{other}}}}}"),
    })
}

async fn post(http: &reqwest::Client, url: String, body: &Value) -> (u16, Value) {
    let response = http
        .post(url)
        .bearer_auth(TOKEN)
        .json(body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON answer"))
}

/// The user `from` writes to the business (which opens the care window);
/// returns the message's `wamid`.
async fn writes_in(http: &reqwest::Client, base: &str, from: &str) -> String {
    let (status, answer) = post(
        http,
        format!("{base}/sim/v1/inbound"),
        &json!({
            "phoneNumberId": PNID,
            "displayPhoneNumber": "+1 555 078 3881",
            "from": from,
            "text": "hi",
        }),
    )
    .await;
    assert_eq!(status, 200, "{from} writes in: {answer}");
    answer["id"]
        .as_str()
        .unwrap_or_else(|| panic!("inbound wamid in {answer}"))
        .to_owned()
}

/// Uploads a small file of type `mime` for the number; its media id.
async fn upload(http: &reqwest::Client, base: &str, mime: &str) -> String {
    let file = reqwest::multipart::Part::bytes(vec![7u8; 1024])
        .file_name("example")
        .mime_str(mime)
        .expect("MIME type");
    let form = reqwest::multipart::Form::new()
        .text("messaging_product", "whatsapp")
        .text("type", mime.to_owned())
        .part("file", file);
    let response = http
        .post(format!("{base}/v23.0/{PNID}/media"))
        .bearer_auth(TOKEN)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let status = response.status().as_u16();
    let answer: Value = response.json().await.expect("JSON answer");
    assert_eq!(status, 200, "uploading {mime}: {answer}");
    answer["id"].as_str().expect("a media id").to_owned()
}

#[tokio::test]
async fn every_valid_meta_example_is_accepted_and_the_broken_ones_refused() {
    let sim = Sim::new(SimConfig {
        webhook_url: None,
        app_secret: "sim-examples-secret".into(),
        status_delay: Duration::from_millis(5),
        record_limit: 1000,
        any_template: false,
        statuses_per_webhook: wagate::sim::DEFAULT_STATUSES_PER_WEBHOOK,
    });
    let (_stop, stopped) = oneshot::channel::<()>();
    let (address, _task) = sim
        .spawn_local(async move {
            let _ = stopped.await;
        })
        .await
        .expect("spawn the simulator");
    let base = format!("http://{address}");
    let http = reqwest::Client::new();
    approved_templates(&http, &base).await;
    let mut media = Map::new();
    for (placeholder, mime) in UPLOADS {
        media.insert(
            placeholder.to_owned(),
            json!(upload(&http, &base, mime).await),
        );
    }

    let mut wrong = Vec::new();
    let mut accepted = Vec::new();
    for (name, example) in examples() {
        let mut body = example["value"].clone();
        let inbound = match body["to"].as_str() {
            Some(to) => {
                writes_in(&http, &base, &variable(to).unwrap_or_else(|| to.to_owned())).await
            }
            None => String::new(),
        };
        fill(&mut body, &inbound, &media);
        let (status, answer) = post(&http, format!("{base}/v23.0/{PNID}/messages"), &body).await;
        let broken = BROKEN.iter().find(|(broken, ..)| *broken == name);
        let verdict = if let Some((_, why, details)) = broken {
            let refused = status == 400
                && answer["error"]["code"] == 100
                && answer["error"]["message"] == "(#100) Invalid parameter"
                && answer["error"]["error_data"]["details"]
                    .as_str()
                    .is_some_and(|text| text.starts_with(details));
            (!refused).then(|| format!("should be refused ({why}) with \"{details}\""))
        } else if name == MARK_READ {
            (status != 200 || answer != json!({"success": true}))
                .then(|| "should be answered {\"success\": true}".to_owned())
        } else {
            let wamid = answer["messages"][0]["id"].as_str();
            if let Some(wamid) = wamid {
                accepted.push((name.clone(), wamid.to_owned()));
            }
            (status != 200 || !wamid.is_some_and(|id| id.starts_with("wamid.")))
                .then(|| "should be accepted with a wamid".to_owned())
        };
        if let Some(verdict) = verdict {
            wrong.push(format!("{name}: {verdict}; got {status} {answer}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // Accepted is not enough: each must end read, none failed (a media id
    // the number did not upload fails after acceptance, with 131053).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let finals: Vec<(String, String)> = sim
            .webhooks(0)
            .iter()
            .filter_map(|record| serde_json::from_str::<Value>(record.body.get()).ok())
            .flat_map(|body| {
                webhook_body::statuses(&body)
                    .into_iter()
                    .filter_map(|status| {
                        let state = status["status"].as_str()?;
                        let wamid = status["id"].as_str()?.to_owned();
                        ["read", "failed"]
                            .contains(&state)
                            .then(|| (wamid, status.to_string()))
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let pending: Vec<_> = accepted
            .iter()
            .filter(|(_, wamid)| !finals.iter().any(|(id, _)| id == wamid))
            .collect();
        let failed: Vec<_> = finals
            .iter()
            .filter(|(_, status)| status.contains("\"failed\""))
            .collect();
        assert!(failed.is_empty(), "examples that failed: {failed:?}");
        if pending.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "examples without a final status: {pending:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
