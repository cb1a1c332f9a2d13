//! The Cloud API client: `POST /{version}/{phone-number-id}/messages` with a
//! stored request body, over pooled rustls connections with a timeout.
//!
//! It only reports what happened; what an error means for the message (resend
//! or fail, which LINK code) is decided by the dispatcher and
//! [`wagate_domain::meta_error`].
//!
//! [`media_upload`]: uploads, normal and resumable, streamed.

pub mod media_upload;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

/// Where the Cloud API is and how long to wait for it.
#[derive(Debug, Clone)]
pub struct CloudApiConfig {
    /// e.g. `https://graph.facebook.com`, or the simulator's address.
    pub base_url: Url,
    /// Graph API version, e.g. `v23.0`.
    pub graph_version: String,
    /// Whole-request timeout.
    pub timeout: Duration,
}

/// A cloneable client; clones share one connection pool.
#[derive(Debug, Clone)]
pub struct CloudApiClient {
    http: reqwest::Client,
    config: CloudApiConfig,
}

/// Meta accepted the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendAccepted {
    /// The WhatsApp message id (`wamid.…`) statuses will refer to.
    pub wamid: String,
    /// `message_status` when Meta gives one (`accepted`, `held_for_quality_assessment`).
    pub message_status: Option<String>,
    /// The WhatsApp id Meta resolved the recipient to.
    pub wa_id: Option<String>,
}

/// Meta's error object (`{"error": {...}}`); the fields not named here
/// (`error_user_title`, `error_user_msg`, `is_transient`, …) are kept in
/// `other`, so that it can be handed on as Meta wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct MetaApiError {
    pub code: i64,
    #[serde(default)]
    pub message: String,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_subcode: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_data: Option<MetaErrorData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fbtrace_id: Option<String>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct MetaErrorData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

impl MetaApiError {
    /// `error_data.details`, the most precise explanation Meta gives.
    pub fn details(&self) -> Option<&str> {
        self.error_data.as_ref()?.details.as_deref()
    }

    /// `error_user_msg`, the text Meta writes for people (template
    /// management errors carry it).
    pub fn user_message(&self) -> Option<&str> {
        self.other.get("error_user_msg")?.as_str()
    }
}

/// Why a send did not succeed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    /// Meta answered with its error body.
    #[error("Meta answered HTTP {http_status} with error {}: {}", error.code, error.message)]
    Meta {
        http_status: u16,
        error: Box<MetaApiError>,
    },
    /// Meta answered something that is neither a success nor its error body.
    #[error("unexpected answer HTTP {http_status}: {excerpt}")]
    Unexpected { http_status: u16, excerpt: String },
    /// No answer: connection failure or timeout. The message may or may not
    /// have reached Meta.
    #[error("no answer from the Cloud API: {0}")]
    Unreachable(String),
}

impl SendError {
    /// The HTTP status says "try again" (429 or 5xx), whatever the body.
    pub fn is_transient_status(&self) -> bool {
        match self {
            Self::Meta { http_status, .. } | Self::Unexpected { http_status, .. } => {
                *http_status == 429 || *http_status >= 500
            }
            Self::Unreachable(_) => true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("building the HTTP client failed: {0}")]
    Build(#[from] reqwest::Error),
    #[error("invalid Cloud API base URL {0}: it cannot have paths appended")]
    BaseUrl(Url),
}

#[derive(Deserialize)]
struct SuccessBody {
    #[serde(default)]
    messages: Vec<SuccessMessage>,
    #[serde(default)]
    contacts: Vec<SuccessContact>,
}

#[derive(Deserialize)]
struct SuccessMessage {
    id: String,
    #[serde(default)]
    message_status: Option<String>,
}

#[derive(Deserialize)]
struct SuccessContact {
    #[serde(default)]
    wa_id: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: MetaApiError,
}

/// How much of an unexpected body goes into the error.
const EXCERPT_LEN: usize = 300;

impl CloudApiClient {
    pub fn new(config: CloudApiConfig) -> Result<Self, ClientError> {
        if config.base_url.cannot_be_a_base() {
            return Err(ClientError::BaseUrl(config.base_url));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .pool_max_idle_per_host(256)
            .tcp_nodelay(true)
            .user_agent(concat!("wagate/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { http, config })
    }

    fn messages_url(&self, phone_number_id: &str) -> Url {
        let mut url = self.config.base_url.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments
                .pop_if_empty()
                .push(&self.config.graph_version)
                .push(phone_number_id)
                .push("messages");
        }
        url
    }

    /// Sends one message: `body` is the stored Cloud API JSON.
    pub async fn send_message(
        &self,
        phone_number_id: &str,
        access_token: &str,
        body: &str,
    ) -> Result<SendAccepted, SendError> {
        let (http_status, bytes) = self
            .post_messages(phone_number_id, access_token, body.to_owned())
            .await?;
        parse_answer(http_status, &bytes)
    }

    /// POSTs the JSON `body` to the number's messages endpoint; Meta's HTTP
    /// status and answer, or why there was none.
    async fn post_messages(
        &self,
        phone_number_id: &str,
        access_token: &str,
        body: String,
    ) -> Result<(u16, axum::body::Bytes), SendError> {
        let response = self
            .http
            .post(self.messages_url(phone_number_id))
            .bearer_auth(access_token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|error| SendError::Unreachable(error_chain(&error)))?;
        let http_status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|error| SendError::Unreachable(error_chain(&error)))?;
        Ok((http_status, bytes))
    }

    /// Marks the incoming message `wamid` read (blue ticks), and with
    /// `typing` shows the user a typing indicator until the next message
    /// or 25 seconds (`POST /{phone-number-id}/messages`, `"status":
    /// "read"`).
    pub async fn mark_read(
        &self,
        phone_number_id: &str,
        access_token: &str,
        wamid: &str,
        typing: bool,
    ) -> Result<(), SendError> {
        let mut body = serde_json::json!({
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": wamid,
        });
        if typing {
            body["typing_indicator"] = serde_json::json!({"type": "text"});
        }
        let (http_status, bytes) = self
            .post_messages(phone_number_id, access_token, body.to_string())
            .await?;
        if (200..300).contains(&http_status) {
            return Ok(());
        }
        Err(parse_error(http_status, &bytes))
    }
}

/// Media a user sent, as the Cloud API hands it out: its type and the
/// download, to be streamed on (never held whole in memory).
#[derive(Debug)]
pub struct MediaDownload {
    pub mime_type: String,
    /// The size, when Meta says it.
    pub length: Option<u64>,
    pub response: reqwest::Response,
}

#[derive(Deserialize)]
struct MediaInfo {
    url: String,
    #[serde(default)]
    mime_type: Option<String>,
    #[serde(default)]
    file_size: Option<u64>,
}

/// The largest media handed on (Meta's own limit for documents).
pub const MAX_MEDIA_BYTES: u64 = 100 * 1024 * 1024;

impl CloudApiClient {
    /// Fetches a media id: its URL and type (`GET /{version}/{media-id}`),
    /// then opens the download from that URL, both with the business's
    /// token. Media over [`MAX_MEDIA_BYTES`] are refused.
    pub async fn media(
        &self,
        media_id: &str,
        access_token: &str,
    ) -> Result<MediaDownload, SendError> {
        let mut url = self.config.base_url.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments
                .pop_if_empty()
                .push(&self.config.graph_version)
                .push(media_id);
        }
        let info = self
            .http
            .get(url)
            .bearer_auth(access_token)
            .send()
            .await
            .map_err(|error| SendError::Unreachable(error_chain(&error)))?;
        let status = info.status().as_u16();
        let body = info
            .bytes()
            .await
            .map_err(|error| SendError::Unreachable(error_chain(&error)))?;
        if !(200..300).contains(&status) {
            return Err(parse_error(status, &body));
        }
        let info: MediaInfo = serde_json::from_slice(&body).map_err(|_| SendError::Unexpected {
            http_status: status,
            excerpt: String::from_utf8_lossy(&body[..body.len().min(EXCERPT_LEN)]).into_owned(),
        })?;
        let too_big = |size: u64| SendError::Unexpected {
            http_status: status,
            excerpt: format!("media of {size} bytes is over the limit of {MAX_MEDIA_BYTES}"),
        };
        if let Some(size) = info.file_size.filter(|size| *size > MAX_MEDIA_BYTES) {
            return Err(too_big(size));
        }
        let response = self
            .http
            .get(&info.url)
            .bearer_auth(access_token)
            .send()
            .await
            .map_err(|error| SendError::Unreachable(error_chain(&error)))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            let body = response.bytes().await.unwrap_or_default();
            return Err(parse_error(status, &body));
        }
        let length = response.content_length().or(info.file_size);
        if let Some(size) = length.filter(|size| *size > MAX_MEDIA_BYTES) {
            return Err(too_big(size));
        }
        let header_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        Ok(MediaDownload {
            mime_type: info
                .mime_type
                .or(header_type)
                .unwrap_or_else(|| "application/octet-stream".into()),
            length,
            response,
        })
    }
}

/// The largest answer a Graph API management call is read up to (a page
/// of templates is far smaller); beyond it the answer is unexpected.
const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

impl CloudApiClient {
    /// `{base}/{version}/{segments…}`, each segment percent-encoded.
    pub(crate) fn graph_url(&self, segments: &[&str]) -> Url {
        let mut url = self.config.base_url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty()
                .push(&self.config.graph_version)
                .extend(segments);
        }
        url
    }

    /// One Graph API call with the business's token (`query` appended,
    /// `body` sent as JSON): Meta's JSON answer on 2xx, Meta's error (or
    /// what else came) otherwise.
    pub(crate) async fn graph_json(
        &self,
        method: reqwest::Method,
        segments: &[&str],
        query: &[(&str, &str)],
        access_token: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value, SendError> {
        let mut url = self.graph_url(segments);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let mut request = self.http.request(method, url).bearer_auth(access_token);
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let mut response = request
            .send()
            .await
            .map_err(|error| SendError::Unreachable(error_chain(&error)))?;
        let http_status = response.status().as_u16();
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| SendError::Unreachable(error_chain(&error)))?
        {
            if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(SendError::Unexpected {
                    http_status,
                    excerpt: format!("an answer over {MAX_ANSWER_BYTES} bytes"),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        if !(200..300).contains(&http_status) {
            return Err(parse_error(http_status, &bytes));
        }
        serde_json::from_slice(&bytes).map_err(|_| SendError::Unexpected {
            http_status,
            excerpt: String::from_utf8_lossy(&bytes[..bytes.len().min(EXCERPT_LEN)]).into_owned(),
        })
    }
}

/// Meta's error body, or what else came.
fn parse_error(http_status: u16, bytes: &[u8]) -> SendError {
    match serde_json::from_slice::<ErrorBody>(bytes) {
        Ok(body) => SendError::Meta {
            http_status,
            error: Box::new(body.error),
        },
        Err(_) => SendError::Unexpected {
            http_status,
            excerpt: String::from_utf8_lossy(&bytes[..bytes.len().min(EXCERPT_LEN)]).into_owned(),
        },
    }
}

/// Reads Meta's answer: the success body on 2xx, the error body otherwise.
fn parse_answer(http_status: u16, bytes: &[u8]) -> Result<SendAccepted, SendError> {
    let unexpected = || SendError::Unexpected {
        http_status,
        excerpt: String::from_utf8_lossy(&bytes[..bytes.len().min(EXCERPT_LEN)]).into_owned(),
    };
    if (200..300).contains(&http_status) {
        let body: SuccessBody = serde_json::from_slice(bytes).map_err(|_| unexpected())?;
        let message = body.messages.into_iter().next().ok_or_else(unexpected)?;
        return Ok(SendAccepted {
            wamid: message.id,
            message_status: message.message_status,
            wa_id: body.contacts.into_iter().next().and_then(|c| c.wa_id),
        });
    }
    Err(parse_error(http_status, bytes))
}

/// The error with its sources ("error sending request: connection refused").
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> CloudApiClient {
        CloudApiClient::new(CloudApiConfig {
            base_url: Url::parse(base).expect("url"),
            graph_version: "v23.0".into(),
            timeout: Duration::from_secs(1),
        })
        .expect("client")
    }

    #[test]
    fn builds_the_messages_path_under_any_base() {
        assert_eq!(
            client("https://graph.facebook.com")
                .messages_url("106540352242922")
                .as_str(),
            "https://graph.facebook.com/v23.0/106540352242922/messages"
        );
        assert_eq!(
            client("http://127.0.0.1:8090/graph/")
                .messages_url("pnid-1")
                .as_str(),
            "http://127.0.0.1:8090/graph/v23.0/pnid-1/messages"
        );
    }

    #[test]
    fn graph_paths_encode_each_segment() {
        assert_eq!(
            client("http://127.0.0.1:8090/graph/")
                .graph_url(&["waba 1", "message_templates"])
                .as_str(),
            "http://127.0.0.1:8090/graph/v23.0/waba%201/message_templates"
        );
        assert_eq!(
            client("https://graph.facebook.com")
                .graph_url(&["1/2"])
                .as_str(),
            "https://graph.facebook.com/v23.0/1%2F2"
        );
    }

    #[test]
    fn meta_s_error_object_is_kept_as_meta_wrote_it() {
        let body = br#"{"error":{"message":"Invalid parameter","type":"OAuthException","code":100,"error_subcode":2388024,"is_transient":false,"error_user_title":"Content in this language already exists","error_user_msg":"There is already en content","error_data":{"messaging_product":"whatsapp","details":"d"},"fbtrace_id":"A"}}"#;
        let SendError::Meta { error, .. } = parse_error(400, body) else {
            panic!("expected a Meta error");
        };
        assert_eq!(error.user_message(), Some("There is already en content"));
        let written: serde_json::Value = serde_json::from_slice(body).expect("json");
        assert_eq!(
            serde_json::to_value(&error).expect("serializes"),
            written["error"]
        );
    }

    #[test]
    fn reads_a_success_body() {
        let body = br#"{"messaging_product":"whatsapp","contacts":[{"input":"+16505551234","wa_id":"16505551234"}],"messages":[{"id":"wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA","message_status":"accepted"}]}"#;
        let accepted = parse_answer(200, body).expect("accepted");
        assert_eq!(
            accepted.wamid,
            "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"
        );
        assert_eq!(accepted.message_status.as_deref(), Some("accepted"));
        assert_eq!(accepted.wa_id.as_deref(), Some("16505551234"));
    }

    #[test]
    fn reads_meta_errors_and_classifies_statuses() {
        let body = br#"{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,"error_data":{"messaging_product":"whatsapp","details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."},"fbtrace_id":"AbC"}}"#;
        let Err(error @ SendError::Meta { http_status, .. }) = parse_answer(400, body) else {
            panic!("expected a Meta error");
        };
        assert_eq!(http_status, 400);
        assert!(!error.is_transient_status());
        let SendError::Meta { error: meta, .. } = &error else {
            unreachable!()
        };
        assert_eq!(meta.code, 131047);
        assert!(meta.details().is_some_and(|d| d.contains("24 hours")));

        let throttled = parse_answer(
            429,
            br#"{"error":{"code":130429,"message":"Rate limit hit"}}"#,
        )
        .expect_err("throttled");
        assert!(throttled.is_transient_status());
        let garbage = parse_answer(502, b"<html>Bad Gateway</html>").expect_err("garbage");
        assert!(matches!(
            garbage,
            SendError::Unexpected {
                http_status: 502,
                ..
            }
        ));
        assert!(garbage.is_transient_status());
        let empty_success = parse_answer(200, br#"{"messages":[]}"#).expect_err("no id");
        assert!(matches!(empty_success, SendError::Unexpected { .. }));
    }

    #[tokio::test]
    async fn an_unreachable_api_is_reported_as_such() {
        // A port that was just free: nothing listens there any more.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let error = client(&format!("http://127.0.0.1:{port}"))
            .send_message("pnid", "token", "{}")
            .await
            .expect_err("unreachable");
        assert!(matches!(error, SendError::Unreachable(_)), "{error:?}");
        assert!(error.is_transient_status());
    }
}
