//! The ceiling the gateway is measured against: a bare axum handler in this
//! process that parses the same LINK JSON body the load sends and answers
//! the same `112001 queued` shape, one new messageId per destination, with
//! nothing checked, stored or sent. The same load generator drives it with
//! the same connections and limit.

use anyhow::Context;
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::oneshot;
use wagate_domain::{MessageId, ResultCode};

use super::args::{BenchArgs, Limit, MessageKind};
use super::load::{self, LoadOutcome, LoadPlan};
use super::provision::Tenant;

/// The request as the load writes it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // Parsed for the cost of parsing; only destinations are used.
struct BareRequest {
    platform_id: String,
    platform_partner_id: String,
    priority: Option<String>,
    ref_id: Option<String>,
    source: String,
    destinations: Vec<String>,
    messages: Vec<Value>,
    event_report_gates: Option<Vec<String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Queued {
    result_code: u32,
    description: &'static str,
    message_ids: Vec<String>,
}

async fn handle(body: Bytes) -> Result<Json<Queued>, StatusCode> {
    let request: BareRequest =
        serde_json::from_slice(&body).map_err(|_| StatusCode::BAD_REQUEST)?;
    Ok(Json(Queued {
        result_code: ResultCode::Queued.code(),
        description: ResultCode::Queued.description(),
        message_ids: request
            .destinations
            .iter()
            .map(|_| MessageId::generate().to_string())
            .collect(),
    }))
}

/// Drives the bare handler with the load `args` describe and returns what
/// the load measured.
pub async fn measure(client: &reqwest::Client, args: &BenchArgs) -> anyhow::Result<LoadOutcome> {
    measure_with(
        client,
        args.connections,
        args.limit(),
        args.destinations,
        args.message,
    )
    .await
}

async fn measure_with(
    client: &reqwest::Client,
    connections: usize,
    limit: Limit,
    destinations: usize,
    message: MessageKind,
) -> anyhow::Result<LoadOutcome> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("binding the bare handler")?;
    let address = listener
        .local_addr()
        .context("reading the bare handler's address")?;
    let app = Router::new().route("/whatsapp-message/messages", post(handle));
    let (shutdown, stop) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop.await;
            })
            .await
    });
    tracing::info!("baseline: the bare handler");
    let outcome = load::run(
        client,
        LoadPlan {
            gateway_url: format!("http://{address}"),
            tenant: Tenant {
                platform_id: "baseline".into(),
                platform_partner_id: "baseline-partner".into(),
                username: "baseline".into(),
                password: SecretString::from("baseline"),
                sources: vec!["+15550000001".into()],
                gate_id: "baseline-gate".into(),
            },
            connections,
            limit,
            destinations,
            message,
        },
    )
    .await;
    let _ = shutdown.send(());
    // The client's idle keep-alive connections would hold a graceful
    // shutdown open; nothing is left to answer.
    server.abort();
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_bare_handler_queues_every_request() {
        let client = reqwest::Client::new();
        let outcome = measure_with(&client, 2, Limit::Count(20), 3, MessageKind::Template)
            .await
            .expect("baseline");
        assert_eq!(outcome.sent, 20);
        assert_eq!(outcome.accepted, 20, "{:?}", outcome.first_error);
        assert_eq!(outcome.messages_accepted, 60);
        assert!(outcome.latency.is_some());
    }

    #[tokio::test]
    async fn a_body_it_cannot_parse_is_refused() {
        assert_eq!(
            handle(Bytes::from_static(b"{\"destinations\":[]}"))
                .await
                .err(),
            Some(StatusCode::BAD_REQUEST)
        );
    }
}
