//! POSTing queued callbacks to gates.
//!
//! Any 2xx is success. Anything else (another status, a timeout, a refused
//! connection, an address that is not allowed) is tried again after the next
//! delay of the retry schedule (`--callback-retry-schedule`, ±10 % jitter,
//! never sooner than the gate's `Retry-After`), and given up when the
//! schedule runs out; every try is recorded. Redirects are not followed.
//!
//! Every callback carries `X-Wagate-Delivery: <id>`, the same on every try
//! of it: delivery is at least once (a gate whose answer is lost gets the
//! callback again), and the id lets the gate drop a repeat.
//!
//! A gate with a signing secret gets two headers on every callback:
//! `X-Wagate-Timestamp` (Unix seconds) and `X-Wagate-Signature:
//! sha256=<hex>`, the HMAC-SHA256 of `<timestamp>.<body>` under the secret.
//! The gate recomputes it, compares in constant time, and refuses stale
//! timestamps.

use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use url::Url;

use crate::clock::now_millis;
use crate::egress;
use crate::signature;
use crate::store::{ClaimedDelivery, DeliveryAttempt};

pub const TIMESTAMP_HEADER: &str = "x-wagate-timestamp";
/// The callback's id, the same on every try: a gate that got it before (the
/// answer was lost) can tell.
pub const DELIVERY_HEADER: &str = "x-wagate-delivery";
pub const SIGNATURE_HEADER: &str = "x-wagate-signature";

/// The signature a gate receives for `body` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    signature::sign(secret.as_bytes(), format!("{timestamp}.{body}").as_bytes())
}

/// One try of one delivery, and what it means for the next. The try ends
/// after `timeout` whatever it waits for (the gate's answer, or the address
/// check's name lookup), so a gate that hangs holds a slot no longer.
pub async fn attempt(
    client: &reqwest::Client,
    delivery: &ClaimedDelivery,
    schedule: &[Duration],
    allow_private: bool,
    timeout: Duration,
) -> DeliveryAttempt {
    let started = Instant::now();
    let (http_status, error, retry_after) =
        tokio::time::timeout(timeout, post(client, delivery, allow_private))
            .await
            .unwrap_or_else(|_| {
                let waited = humantime::format_duration(timeout);
                (None, Some(format!("no answer within {waited}")), None)
            });
    let delivered = http_status.is_some_and(|status| (200..300).contains(&status));
    let at = now_millis();
    let next_attempt_at = if delivered {
        None
    } else {
        // `attempts` tries came before this one.
        schedule.get(delivery.attempts as usize).map(|delay| {
            let jittered = delay.mul_f64(rand::rng().random_range(0.9..=1.1));
            // A gate's Retry-After is honoured up to the schedule's longest
            // delay: a huge one must not hold the message's later reports
            // back for ever.
            let longest = schedule.iter().max().copied().unwrap_or_default();
            let wait = jittered.max(retry_after.unwrap_or_default().min(longest));
            at.saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX))
        })
    };
    if !delivered {
        tracing::info!(
            delivery = delivery.id,
            gate = %delivery.gate_id,
            ?http_status,
            error = error.as_deref().unwrap_or(""),
            retry = next_attempt_at.is_some(),
            "a callback was not accepted"
        );
    }
    DeliveryAttempt {
        delivery_id: delivery.id,
        lease: delivery.lease.clone(),
        at,
        http_status,
        error,
        duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        next_attempt_at,
        delivered,
    }
}

/// The HTTP status (if any), an error text (if any), and `Retry-After`.
async fn post(
    client: &reqwest::Client,
    delivery: &ClaimedDelivery,
    allow_private: bool,
) -> (Option<u16>, Option<String>, Option<Duration>) {
    let url = match Url::parse(&delivery.url) {
        Ok(url) => url,
        Err(error) => return (None, Some(format!("invalid gate URL: {error}")), None),
    };
    if let Err(error) = egress::check(&url, allow_private).await {
        return (None, Some(error.to_string()), None);
    }
    let mut request = client
        .post(url)
        .header(CONTENT_TYPE, "application/json")
        .header(DELIVERY_HEADER, delivery.id.to_string())
        .body(delivery.payload.clone());
    if let Some(secret) = &delivery.signing_secret {
        let timestamp = now_millis() / 1000;
        request = request
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, sign(secret, timestamp, &delivery.payload));
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let error = (!response.status().is_success()).then(|| format!("HTTP {status}"));
            (Some(status), error, retry_after)
        }
        Err(error) => (None, Some(with_causes(error)), None),
    }
}

/// A failed request's error with its causes ("error sending request: client
/// error (Connect): …"), so the try's record says why (a refused address, a
/// refused connection); without the URL, which may carry credentials.
fn with_causes(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(&error);
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, StatusCode};

    /// Longer than any answer of the test gates takes.
    const WAIT: Duration = Duration::from_secs(10);

    async fn gate(answer: (StatusCode, HeaderMap)) -> String {
        let app = axum::Router::new().route(
            "/dlr",
            axum::routing::post(move || {
                let answer = answer.clone();
                async move { answer }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/dlr", listener.local_addr().expect("address"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        url
    }

    fn delivery(url: String, attempts: u32) -> ClaimedDelivery {
        ClaimedDelivery {
            id: 1,
            gate_id: "g".into(),
            url,
            signing_secret: None,
            payload: "{}".into(),
            attempts,
            lease: "l#1".into(),
            request_id: None,
            origin: "event:1".into(),
            queued_at: 0,
        }
    }

    #[tokio::test]
    async fn retry_after_and_the_schedule_decide_the_next_try() {
        let client = reqwest::Client::new();
        let schedule = [Duration::from_secs(1), Duration::from_secs(60)];
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "30".parse().expect("header"));
        let busy = gate((StatusCode::SERVICE_UNAVAILABLE, headers)).await;

        let first = attempt(&client, &delivery(busy.clone(), 0), &schedule, true, WAIT).await;
        assert!(!first.delivered);
        assert_eq!(first.http_status, Some(503));
        let wait = first.next_attempt_at.expect("a retry") - first.at;
        assert!(
            (30_000..=30_100).contains(&wait),
            "Retry-After wins over 1 s: {wait}"
        );

        let second = attempt(&client, &delivery(busy.clone(), 1), &schedule, true, WAIT).await;
        let wait = second.next_attempt_at.expect("a retry") - second.at;
        assert!(
            (54_000..=66_000).contains(&wait),
            "60 s ± 10 % beats 30 s: {wait}"
        );

        let last = attempt(&client, &delivery(busy, 2), &schedule, true, WAIT).await;
        assert_eq!(last.next_attempt_at, None, "the schedule ran out: given up");

        let fine = gate((StatusCode::NO_CONTENT, HeaderMap::new())).await;
        let done = attempt(&client, &delivery(fine, 0), &schedule, true, WAIT).await;
        assert!(done.delivered && done.next_attempt_at.is_none());

        let private = attempt(
            &client,
            &delivery("http://127.0.0.1:9/dlr".into(), 0),
            &schedule,
            false,
            WAIT,
        )
        .await;
        assert!(!private.delivered && private.http_status.is_none());
        assert!(
            private
                .error
                .as_deref()
                .is_some_and(|e| e.contains("not a public address"))
        );
    }

    #[tokio::test]
    async fn a_refused_connection_is_recorded_with_its_cause() {
        // A port nothing listens on any more.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/dlr", listener.local_addr().expect("address"));
        drop(listener);
        let refused = attempt(
            &reqwest::Client::new(),
            &delivery(url.clone(), 0),
            &[Duration::from_secs(1)],
            true,
            WAIT,
        )
        .await;
        let error = refused.error.expect("an error");
        assert!(
            error.starts_with("error sending request: ") && error.contains("onnect"),
            "{error}"
        );
        assert!(!error.contains(&url), "no URL in the record: {error}");
    }

    #[tokio::test]
    async fn a_try_ends_after_the_timeout_whatever_it_waits_for() {
        // A listener that accepts connections and never answers, and a
        // client without a timeout of its own.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/dlr", listener.local_addr().expect("address"));
        let held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((connection, _)) = listener.accept().await {
                open.push(connection);
            }
        });
        let started = Instant::now();
        let hung = attempt(
            &reqwest::Client::new(),
            &delivery(url, 0),
            &[Duration::from_secs(1)],
            true,
            Duration::from_millis(200),
        )
        .await;
        assert!(started.elapsed() < WAIT, "{:?}", started.elapsed());
        assert!(!hung.delivered && hung.http_status.is_none());
        assert_eq!(hung.error.as_deref(), Some("no answer within 200ms"));
        assert!(hung.next_attempt_at.is_some(), "tried again later");
        held.abort();
    }
}
