//! The Cloud API client as Meta sees it on the wire: every call made
//! against a local HTTP server that records each request, and checked for
//! the Graph path, method, query string, headers and body (JSON, or the
//! multipart form) that Meta documents for it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use url::Url;

use super::meta::media_upload::Upload;
use super::meta::{CloudApiClient, CloudApiConfig};

/// One request as the server received it.
#[derive(Debug, Clone)]
struct Recorded {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

impl Recorded {
    fn path_and_query(&self) -> String {
        self.uri
            .path_and_query()
            .map(ToString::to_string)
            .unwrap_or_default()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// The multipart form's parts: (name, file name, content type, bytes).
    async fn form(&self) -> Vec<(String, Option<String>, Option<String>, Vec<u8>)> {
        let mut request = Request::new(Body::from(self.body.clone()));
        *request.headers_mut() = self.headers.clone();
        let mut form = Multipart::from_request(request, &())
            .await
            .expect("a multipart body");
        let mut parts = Vec::new();
        while let Some(field) = form.next_field().await.expect("a part") {
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let content_type = field.content_type().map(str::to_owned);
            let bytes = field.bytes().await.expect("the part's bytes");
            parts.push((name, file_name, content_type, bytes.to_vec()));
        }
        parts
    }
}

#[derive(Clone, Default)]
struct Recorder {
    requests: Arc<Mutex<Vec<Recorded>>>,
    base: Arc<Mutex<String>>,
}

impl Recorder {
    fn taken(&self) -> Vec<Recorded> {
        std::mem::take(&mut *self.requests.lock().expect("recorder"))
    }
}

/// Records the request and answers with one body that every call's reader
/// finds its fields in (a media download gets bytes).
async fn record(State(recorder): State<Recorder>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 64 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let download = parts.uri.path() == "/download";
    recorder.requests.lock().expect("recorder").push(Recorded {
        method: parts.method,
        uri: parts.uri,
        headers: parts.headers,
        body,
    });
    if download {
        return "PNG".into_response();
    }
    let base = recorder.base.lock().expect("base").clone();
    axum::Json(json!({
        "messaging_product": "whatsapp",
        "messages": [{"id": "wamid.sent"}],
        "id": "upload:session-1",
        "h": "4::handle",
        "success": true,
        "url": format!("{base}/download"),
        "mime_type": "image/png",
        "file_size": 3,
    }))
    .into_response()
}

async fn recording_server() -> (CloudApiClient, Recorder) {
    let recorder = Recorder::default();
    let app = Router::new().fallback(record).with_state(recorder.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    base.clone_into(&mut recorder.base.lock().expect("base"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let client = CloudApiClient::new(CloudApiConfig {
        base_url: Url::parse(&format!("{base}/graph/")).expect("url"),
        graph_version: "v23.0".into(),
        timeout: Duration::from_secs(10),
    })
    .expect("client");
    (client, recorder)
}

fn only(recorder: &Recorder) -> Recorded {
    let mut taken = recorder.taken();
    assert_eq!(taken.len(), 1, "{taken:#?}");
    taken.remove(0)
}

#[tokio::test]
async fn sends_and_marks_read_on_the_numbers_messages_endpoint() {
    let (client, recorder) = recording_server().await;
    let body =
        r#"{"messaging_product":"whatsapp","to":"46701234567","type":"text","text":{"body":"hi"}}"#;
    let sent = client
        .send_message("1065403522", "TOKEN", body)
        .await
        .expect("sent");
    assert_eq!(sent.wamid, "wamid.sent");
    let request = only(&recorder);
    assert_eq!(request.method, Method::POST);
    assert_eq!(request.path_and_query(), "/graph/v23.0/1065403522/messages");
    assert_eq!(request.header("authorization"), Some("Bearer TOKEN"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.body, body.as_bytes(), "the stored body, as it was");

    client
        .mark_read("1065403522", "TOKEN", "wamid.in", true)
        .await
        .expect("marked");
    let request = only(&recorder);
    assert_eq!(
        (request.method.clone(), request.path_and_query()),
        (Method::POST, "/graph/v23.0/1065403522/messages".to_owned())
    );
    assert_eq!(
        request.json(),
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.in",
               "typing_indicator": {"type": "text"}})
    );
}

#[tokio::test]
async fn template_calls_use_the_waba_and_template_nodes() {
    let (client, recorder) = recording_server().await;
    let template = json!({"name": "order_ready", "language": "en_US", "category": "UTILITY",
                          "components": [{"type": "BODY", "text": "Ready"}]});
    client
        .create_template("WABA1", "TOKEN", &template)
        .await
        .expect("created");
    let request = only(&recorder);
    assert_eq!(
        (request.method.clone(), request.path_and_query()),
        (
            Method::POST,
            "/graph/v23.0/WABA1/message_templates".to_owned()
        )
    );
    assert_eq!(request.header("authorization"), Some("Bearer TOKEN"));
    assert_eq!(request.json(), template);

    client
        .templates(
            "WABA1",
            "TOKEN",
            &[("name", "order"), ("status", "APPROVED"), ("limit", "2")],
        )
        .await
        .expect("listed");
    let request = only(&recorder);
    assert_eq!(
        (request.method.clone(), request.path_and_query()),
        (
            Method::GET,
            "/graph/v23.0/WABA1/message_templates?name=order&status=APPROVED&limit=2".to_owned()
        )
    );
    assert!(request.body.is_empty());

    client.template("777", "TOKEN").await.expect("read");
    let request = only(&recorder);
    assert_eq!(
        (request.method.clone(), request.path_and_query()),
        (Method::GET, "/graph/v23.0/777".to_owned())
    );

    let changes = json!({"components": [{"type": "BODY", "text": "Ready now"}]});
    client
        .edit_template("777", "TOKEN", &changes)
        .await
        .expect("edited");
    let request = only(&recorder);
    assert_eq!(
        (request.method.clone(), request.path_and_query()),
        (Method::POST, "/graph/v23.0/777".to_owned())
    );
    assert_eq!(request.json(), changes);

    client
        .delete_template("WABA1", "TOKEN", "777", "order ready")
        .await
        .expect("deleted");
    let request = only(&recorder);
    assert_eq!(
        (request.method.clone(), request.path_and_query()),
        (
            Method::DELETE,
            "/graph/v23.0/WABA1/message_templates?hsm_id=777&name=order+ready".to_owned()
        )
    );
}

#[tokio::test]
async fn a_media_upload_is_the_documented_multipart_form() {
    let (client, recorder) = recording_server().await;
    let id = client
        .upload_media(
            "1065403522",
            "TOKEN",
            Upload {
                file_name: "logo.png".into(),
                mime_type: "image/png".into(),
                body: reqwest::Body::from(b"\x89PNG bytes".to_vec()),
            },
            Duration::from_secs(10),
        )
        .await
        .expect("uploaded");
    assert_eq!(id, "upload:session-1", "the id Meta answered");
    let request = only(&recorder);
    assert_eq!(
        (request.method.clone(), request.path_and_query()),
        (Method::POST, "/graph/v23.0/1065403522/media".to_owned())
    );
    assert_eq!(request.header("authorization"), Some("Bearer TOKEN"));
    assert!(
        request
            .header("content-type")
            .is_some_and(|value| value.starts_with("multipart/form-data; boundary=")),
        "{:?}",
        request.header("content-type")
    );
    assert_eq!(
        request.form().await,
        [
            (
                "messaging_product".to_owned(),
                None,
                None,
                b"whatsapp".to_vec()
            ),
            ("type".to_owned(), None, None, b"image/png".to_vec()),
            (
                "file".to_owned(),
                Some("logo.png".to_owned()),
                Some("image/png".to_owned()),
                b"\x89PNG bytes".to_vec()
            ),
        ]
    );
}

#[tokio::test]
async fn a_resumable_upload_opens_a_session_then_sends_the_bytes_from_offset_0() {
    let (client, recorder) = recording_server().await;
    let handle = client
        .upload_resumable(
            "APP1",
            "TOKEN",
            Upload {
                file_name: "terms.pdf".into(),
                mime_type: "application/pdf".into(),
                body: reqwest::Body::from(b"%PDF-1.7".to_vec()),
            },
            8,
            Duration::from_secs(10),
        )
        .await
        .expect("uploaded");
    assert_eq!(handle, "4::handle");
    let requests = recorder.taken();
    assert_eq!(requests.len(), 2, "{requests:#?}");
    let (open, send) = (&requests[0], &requests[1]);
    assert_eq!(
        (open.method.clone(), open.path_and_query()),
        (
            Method::POST,
            "/graph/v23.0/APP1/uploads?file_name=terms.pdf&file_length=8&file_type=application%2Fpdf"
                .to_owned()
        )
    );
    assert_eq!(open.header("authorization"), Some("Bearer TOKEN"));
    assert!(open.body.is_empty());
    assert_eq!(
        (send.method.clone(), send.path_and_query()),
        (Method::POST, "/graph/v23.0/upload:session-1".to_owned())
    );
    assert_eq!(send.header("authorization"), Some("OAuth TOKEN"));
    assert_eq!(send.header("file_offset"), Some("0"));
    assert_eq!(send.body, &b"%PDF-1.7"[..]);
}

#[tokio::test]
async fn a_media_download_reads_the_media_node_then_its_url() {
    let (client, recorder) = recording_server().await;
    let download = client.media("MEDIA1", "TOKEN").await.expect("media");
    assert_eq!(download.mime_type, "image/png");
    let bytes = download.response.bytes().await.expect("bytes");
    assert_eq!(&bytes[..], b"PNG");
    let requests = recorder.taken();
    let calls: Vec<_> = requests
        .iter()
        .map(|request| {
            (
                request.method.clone(),
                request.path_and_query(),
                request.header("authorization").map(str::to_owned),
            )
        })
        .collect();
    let bearer = Some("Bearer TOKEN".to_owned());
    assert_eq!(
        calls,
        [
            (
                Method::GET,
                "/graph/v23.0/MEDIA1".to_owned(),
                bearer.clone()
            ),
            (Method::GET, "/download".to_owned(), bearer),
        ]
    );
}

#[tokio::test]
async fn business_calls_read_and_write_the_numbers_nodes() {
    let (client, recorder) = recording_server().await;
    client
        .business_profile("1065403522", "TOKEN")
        .await
        .expect("profile");
    let request = only(&recorder);
    assert_eq!(
        (request.method.clone(), request.path_and_query()),
        (
            Method::GET,
            "/graph/v23.0/1065403522/whatsapp_business_profile?fields=about%2Caddress%2Cdescription%2Cemail%2Cprofile_picture_url%2Cwebsites%2Cvertical"
                .to_owned()
        )
    );
    assert_eq!(request.header("authorization"), Some("Bearer TOKEN"));

    let profile = json!({"messaging_product": "whatsapp", "about": "Open 9 to 5"});
    client
        .update_business_profile("1065403522", "TOKEN", &profile)
        .await
        .expect("updated");
    let request = only(&recorder);
    assert_eq!(
        (request.method.clone(), request.path_and_query()),
        (
            Method::POST,
            "/graph/v23.0/1065403522/whatsapp_business_profile".to_owned()
        )
    );
    assert_eq!(request.json(), profile);

    client
        .phone_number("1065403522", "TOKEN")
        .await
        .expect("phone number");
    let request = only(&recorder);
    assert_eq!(request.method, Method::GET);
    assert_eq!(request.uri.path(), "/graph/v23.0/1065403522");
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(request.uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let fields = query
        .iter()
        .find(|(key, _)| key == "fields")
        .map(|(_, value)| value.split(',').collect::<Vec<_>>())
        .unwrap_or_default();
    for field in [
        "throughput",
        "quality_rating",
        "verified_name",
        "health_status",
    ] {
        assert!(fields.contains(&field), "{field} not asked for: {fields:?}");
    }

    client
        .pricing_analytics(
            "WABA1",
            "TOKEN",
            "46700000011",
            super::business::AnalyticsRange {
                start: 1_780_000_000,
                end: 1_780_086_400,
            },
        )
        .await
        .expect("analytics");
    let request = only(&recorder);
    assert_eq!(request.uri.path(), "/graph/v23.0/WABA1");
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(request.uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    assert_eq!(
        query,
        [(
            "fields".to_owned(),
            r#"pricing_analytics.start(1780000000).end(1780086400).granularity(DAILY).phone_numbers(["46700000011"]).dimensions(["PRICING_CATEGORY","PRICING_TYPE"])"#
                .to_owned()
        )]
    );
}
