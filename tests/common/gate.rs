//! A customer's gate for tests: an HTTP server on port 0 that records every
//! request it gets (any method, any path: a redirect followed elsewhere would
//! show), when it came and what it was answered, and answers as told: 200 by
//! default, a planned reply (a status with headers, or no answer at all) for
//! the next ones, 500 for those that match a rule, or no answer ever.
//!
//! Also the admin calls a test of callbacks needs: adding a gate, sending a
//! message with reports to it, and listing its deliveries.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Gateway, Tenant, hello_world, request};

/// The header that names a callback, the same on every try of it.
pub const DELIVERY_HEADER: &str = "x-wagate-delivery";

/// One callback the gate accepted.
#[derive(Debug, Clone)]
pub struct Callback {
    pub headers: HeaderMap,
    pub raw: String,
    pub body: Value,
}

impl Callback {
    /// Its `X-Wagate-Delivery` header, if it has one.
    pub fn delivery(&self) -> Option<&str> {
        self.headers
            .get(DELIVERY_HEADER)
            .and_then(|value| value.to_str().ok())
    }
}

/// One request the gate received, whatever it answered.
#[derive(Debug, Clone)]
pub struct Arrival {
    /// When it came in, on this process's clock.
    pub at: Instant,
    pub method: Method,
    /// The path, with the query when there is one.
    pub path: String,
    pub callback: Callback,
    /// The status the gate answered; `None` when it held the request open.
    pub status: Option<u16>,
}

/// How the gate answers a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// This status with these headers.
    Status(StatusCode, Vec<(HeaderName, HeaderValue)>),
    /// No answer: the request is held open until the caller gives up.
    Hang,
}

impl Reply {
    pub fn status(code: u16) -> Reply {
        Reply::Status(
            StatusCode::from_u16(code).expect("an HTTP status"),
            Vec::new(),
        )
    }

    /// This reply with one more header (a status reply only).
    pub fn header(self, name: &'static str, value: &str) -> Reply {
        match self {
            Reply::Status(code, mut headers) => {
                headers.push((
                    HeaderName::from_static(name),
                    HeaderValue::from_str(value).expect("a header value"),
                ));
                Reply::Status(code, headers)
            }
            Reply::Hang => Reply::Hang,
        }
    }
}

/// Which callbacks are answered 500 while the rule is set.
type RefusalRule = Arc<dyn Fn(&Value) -> bool + Send + Sync>;

#[derive(Default)]
struct Plan {
    /// Replies for the next requests, in order: (how many more, reply).
    next: VecDeque<(u32, Reply)>,
    refuse_if: Option<RefusalRule>,
}

#[derive(Clone, Default)]
struct Inner {
    arrivals: Arc<Mutex<Vec<Arrival>>>,
    plan: Arc<Mutex<Plan>>,
    refused: Arc<AtomicU32>,
    hang: Arc<AtomicBool>,
    held: Arc<AtomicU32>,
    /// How long each answer takes, in milliseconds.
    answer_after: Arc<AtomicU64>,
    /// Requests being answered now, and the most there were at once.
    open: Arc<AtomicU32>,
    most_open: Arc<AtomicU32>,
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

pub struct Gate {
    /// `http://127.0.0.1:PORT/dlr`
    pub url: String,
    inner: Inner,
}

impl Gate {
    pub async fn start() -> Gate {
        let inner = Inner::default();
        let app = Router::new().fallback(receive).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/dlr", listener.local_addr().expect("address"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Gate { url, inner }
    }

    /// Answers the next `count` callbacks with 500, instead of whatever was
    /// planned (0: accept again).
    pub fn refuse_next(&self, count: u32) {
        let mut plan = locked(&self.inner.plan);
        plan.next.clear();
        plan.next.push_back((count, Reply::status(500)));
    }

    /// Answers the next `count` callbacks, after those already planned,
    /// with `reply`.
    pub fn then(&self, count: u32, reply: Reply) {
        locked(&self.inner.plan).next.push_back((count, reply));
    }

    /// Answers 500 to every callback whose body matches `rule` (once the
    /// planned replies are used up), until [`Gate::accept_all`].
    pub fn refuse_if(&self, rule: impl Fn(&Value) -> bool + Send + Sync + 'static) {
        locked(&self.inner.plan).refuse_if = Some(Arc::new(rule));
    }

    /// Forgets the planned replies and the refusal rule: accepts every
    /// callback from now on (unless it hangs).
    pub fn accept_all(&self) {
        *locked(&self.inner.plan) = Plan::default();
    }

    /// Never answers a callback from now on: each is held open until the
    /// caller gives up (its timeout).
    pub fn hang(&self) {
        self.inner.hang.store(true, Ordering::SeqCst);
    }

    /// Takes `delay` over every answer from now on (a gate that is slow, not
    /// hung): requests that come meanwhile are open at the same time.
    pub fn answer_after(&self, delay: Duration) {
        let millis = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.inner.answer_after.store(millis, Ordering::SeqCst);
    }

    /// The most requests the gate was answering at the same time so far.
    pub fn most_at_once(&self) -> u32 {
        self.inner.most_open.load(Ordering::SeqCst)
    }

    /// Callbacks held open without an answer so far.
    pub fn held(&self) -> u32 {
        self.inner.held.load(Ordering::SeqCst)
    }

    /// Callbacks answered with a status other than 2xx so far.
    pub fn refused(&self) -> u32 {
        self.inner.refused.load(Ordering::SeqCst)
    }

    /// Every request so far, in arrival order.
    pub fn arrivals(&self) -> Vec<Arrival> {
        locked(&self.inner.arrivals).clone()
    }

    /// Callbacks accepted (answered 2xx) so far, in arrival order.
    pub fn accepted(&self) -> Vec<Callback> {
        self.arrivals()
            .into_iter()
            .filter(|arrival| {
                arrival
                    .status
                    .is_some_and(|code| (200..300).contains(&code))
            })
            .map(|arrival| arrival.callback)
            .collect()
    }

    /// Polls until `count` callbacks about `message_id` were accepted.
    pub async fn reports_for(&self, message_id: &str, count: usize) -> Vec<Callback> {
        super::poll(Duration::from_secs(30), "the delivery reports", || async {
            let reports: Vec<Callback> = self
                .accepted()
                .into_iter()
                .filter(|callback| callback.body["messageId"] == message_id)
                .collect();
            if reports.len() >= count {
                Ok(reports)
            } else {
                Err(format!("{reports:#?}"))
            }
        })
        .await
    }
}

/// The reply planned for the next request, if any (using it up).
fn planned(plan: &mut Plan, body: &Value) -> Option<Reply> {
    while let Some((left, reply)) = plan.next.front_mut() {
        if let Some(rest) = left.checked_sub(1) {
            let reply = reply.clone();
            *left = rest;
            return Some(reply);
        }
        plan.next.pop_front();
    }
    plan.refuse_if
        .as_ref()
        .is_some_and(|rule| rule(body))
        .then(|| Reply::status(500))
}

async fn receive(
    State(inner): State<Inner>,
    method: Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let open = inner.open.fetch_add(1, Ordering::SeqCst) + 1;
    inner.most_open.fetch_max(open, Ordering::SeqCst);
    let response = answer(&inner, method, uri, headers, body).await;
    inner.open.fetch_sub(1, Ordering::SeqCst);
    response
}

async fn answer(
    inner: &Inner,
    method: Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let delay = inner.answer_after.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let raw = String::from_utf8_lossy(&body).into_owned();
    let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
    let reply = if inner.hang.load(Ordering::SeqCst) {
        Reply::Hang
    } else {
        planned(&mut locked(&inner.plan), &body).unwrap_or(Reply::status(200))
    };
    let status = match &reply {
        Reply::Status(code, _) => Some(code.as_u16()),
        Reply::Hang => None,
    };
    locked(&inner.arrivals).push(Arrival {
        at: Instant::now(),
        method,
        path: uri
            .path_and_query()
            .map_or_else(|| uri.path().to_owned(), ToString::to_string),
        callback: Callback { headers, raw, body },
        status,
    });
    match reply {
        Reply::Hang => {
            inner.held.fetch_add(1, Ordering::SeqCst);
            std::future::pending::<Response>().await
        }
        Reply::Status(code, headers) => {
            if !code.is_success() {
                inner.refused.fetch_add(1, Ordering::SeqCst);
            }
            let mut response = code.into_response();
            response.headers_mut().extend(headers);
            response
        }
    }
}

impl Gateway {
    /// Adds the gate `id` of `tenant` at `url`, with `extra` fields.
    pub async fn add_gate(&self, tenant: &Tenant, id: &str, url: &str, extra: Value) {
        let mut body = json!({"platformId": tenant.platform_id,
                              "platformPartnerId": tenant.platform_partner_id,
                              "id": id, "url": url});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let (status, answer) = self.admin_post("/gates", body).await;
        assert_eq!(status, 201, "{answer}");
    }

    /// Sends a `hello_world` from `tenant` to `destination` whose reports go
    /// to the gate `gate_id`, with `extra` fields in the request; returns
    /// the message id.
    pub async fn send_reported(
        &self,
        tenant: &Tenant,
        gate_id: &str,
        destination: &str,
        extra: Value,
    ) -> String {
        let mut body = request(tenant, &[destination], hello_world());
        body["eventReportGates"] = json!([gate_id]);
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let (status, answer) = self.send(tenant, &body).await;
        assert_eq!(status, 200, "{answer}");
        answer["messageIds"][0].as_str().expect("id").to_owned()
    }

    /// `GET /admin/v1/gates/{gate_id}/deliveries` (the 500 most recent,
    /// newest first).
    pub async fn deliveries(&self, gate_id: &str) -> Vec<Value> {
        let (status, list) = self
            .admin(
                reqwest::Method::GET,
                &format!("/gates/{gate_id}/deliveries?limit=500"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{list}");
        list.as_array().cloned().unwrap_or_default()
    }

    /// Polls until the gate has exactly `count` callbacks, all delivered;
    /// returns them (newest first).
    pub async fn all_delivered(&self, gate_id: &str, count: usize) -> Vec<Value> {
        self.deliveries_when(gate_id, &format!("{count} delivered"), |deliveries| {
            deliveries.len() == count
                && deliveries
                    .iter()
                    .all(|delivery| delivery["state"] == "DELIVERED")
        })
        .await
    }

    /// Polls the gate's deliveries until `done` holds for them.
    pub async fn deliveries_when(
        &self,
        gate_id: &str,
        what: &str,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        super::poll(Duration::from_secs(60), what, || async {
            let deliveries = self.deliveries(gate_id).await;
            if done(&deliveries) {
                Ok(deliveries)
            } else {
                Err(format!("{deliveries:#?}"))
            }
        })
        .await
    }
}
