//! Posting webhooks to the gateway like Meta does: the raw JSON body,
//! `Content-Type: application/json` and `X-Hub-Signature-256` (HMAC-SHA256 of
//! the body under the app secret). Connection errors and 5xx answers are
//! retried a few times with a doubling pause; any other answer is final.

use std::time::Duration;

use reqwest::header::CONTENT_TYPE;
use url::Url;

use crate::signature;

/// Attempts per webhook, and the pause after the first failed one.
const ATTEMPTS: u32 = 5;
const FIRST_PAUSE: Duration = Duration::from_millis(200);
/// Time one attempt may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// How posting one webhook ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The receiver answered 2xx.
    pub delivered: bool,
    /// The last HTTP status received; `None` when no answer came.
    pub http_status: Option<u16>,
    /// Whether anything was tried (there is nowhere to post without a URL).
    pub attempted: bool,
}

pub struct Delivery {
    client: reqwest::Client,
    url: Option<Url>,
    secret: Vec<u8>,
}

impl Delivery {
    pub fn new(url: Option<Url>, secret: &str) -> Self {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .user_agent("facebookexternalua")
            .build()
            .unwrap_or_else(|error| {
                tracing::warn!(%error, "building the webhook client failed; using the default one");
                reqwest::Client::new()
            });
        Self {
            client,
            url,
            secret: secret.as_bytes().to_vec(),
        }
    }

    /// Posts `body` (signed) until it is answered or the attempts run out.
    pub async fn post(&self, body: &[u8]) -> Outcome {
        let Some(url) = &self.url else {
            return Outcome {
                delivered: false,
                http_status: None,
                attempted: false,
            };
        };
        let signature = signature::sign(&self.secret, body);
        let mut pause = FIRST_PAUSE;
        let mut http_status = None;
        for attempt in 1..=ATTEMPTS {
            let sent = self
                .client
                .post(url.clone())
                .header(CONTENT_TYPE, "application/json")
                .header(signature::HEADER, &signature)
                .body(body.to_vec())
                .send()
                .await;
            match sent {
                Ok(response) => {
                    let status = response.status();
                    http_status = Some(status.as_u16());
                    // Read the answer so the connection can be reused.
                    let _ = response.bytes().await;
                    if status.is_success() {
                        return Outcome {
                            delivered: true,
                            http_status,
                            attempted: true,
                        };
                    }
                    if !status.is_server_error() {
                        tracing::debug!(%url, %status, "the webhook receiver refused a webhook");
                        return Outcome {
                            delivered: false,
                            http_status,
                            attempted: true,
                        };
                    }
                    tracing::debug!(%url, %status, attempt, "the webhook receiver failed");
                }
                Err(error) => {
                    http_status = None;
                    tracing::debug!(%url, %error, attempt, "posting a webhook failed");
                }
            }
            if attempt < ATTEMPTS {
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
        }
        tracing::warn!(%url, ?http_status, "a webhook was not delivered after {ATTEMPTS} attempts");
        Outcome {
            delivered: false,
            http_status,
            attempted: true,
        }
    }
}
