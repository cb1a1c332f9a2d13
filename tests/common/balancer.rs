//! A load balancer for tests: an HTTP server on port 0 that hands each
//! request to the next of several gateways in turn, and to the one after
//! when a gateway cannot be reached (as a real balancer's health checks
//! would). A request a gateway took but did not answer (it died) fails
//! with 502, as it would behind a real balancer.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

#[derive(Clone)]
struct Backends {
    bases: Arc<RwLock<Vec<String>>>,
    next: Arc<AtomicUsize>,
    client: reqwest::Client,
}

pub struct Balancer {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    backends: Backends,
}

impl Balancer {
    /// A balancer with no gateways yet (see [`Balancer::route_to`]).
    pub async fn start() -> Balancer {
        let backends = Backends {
            bases: Arc::new(RwLock::new(Vec::new())),
            next: Arc::new(AtomicUsize::new(0)),
            client: reqwest::Client::new(),
        };
        let app = Router::new().fallback(forward).with_state(backends.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Balancer { base, backends }
    }

    /// The gateways requests go to, in turn.
    pub fn route_to(&self, bases: Vec<String>) {
        *self
            .backends
            .bases
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = bases;
    }
}

async fn forward(State(backends): State<Backends>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 16 * 1024 * 1024).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let bases = backends
        .bases
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    let first = backends.next.fetch_add(1, Ordering::Relaxed);
    for turn in 0..bases.len() {
        let base = &bases[(first + turn) % bases.len()];
        match send(
            &backends.client,
            base,
            &parts.method,
            &parts.uri,
            &parts.headers,
            &body,
        )
        .await
        {
            Ok(response) => return response,
            // Not reachable: the next one.
            Err(error) if error.is_connect() => continue,
            Err(_) => return StatusCode::BAD_GATEWAY.into_response(),
        }
    }
    StatusCode::SERVICE_UNAVAILABLE.into_response()
}

async fn send(
    client: &reqwest::Client,
    base: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, reqwest::Error> {
    let path = uri.path_and_query().map_or("/", |path| path.as_str());
    let mut outgoing = client.request(method.clone(), format!("{base}{path}"));
    for (name, value) in headers {
        if name != axum::http::header::HOST && name != axum::http::header::CONTENT_LENGTH {
            outgoing = outgoing.header(name, value);
        }
    }
    let answer = outgoing.body(body.clone()).send().await?;
    let status = answer.status();
    let content_type = answer
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .cloned();
    let bytes = answer.bytes().await?;
    let mut response = (status, bytes).into_response();
    if let Some(content_type) = content_type {
        response
            .headers_mut()
            .insert(axum::http::header::CONTENT_TYPE, content_type);
    }
    Ok(response)
}
