//! The test harness: a real wagate on a port-0 listener with a fresh
//! database of the backend under test (see [`db`] and `on_backends!`),
//! tenants provisioned through the admin API, and helpers that speak HTTP to
//! it.
#![allow(dead_code)]

/// `serve` flags for tests that wait for statuses and reports: the
/// sandbox answers at once and callbacks retry within milliseconds.
pub const QUICK_REPORTS: &[&str] = &[
    "--sandbox-status-delay",
    "1ms",
    "--callback-retry-schedule",
    "20ms,20ms,20ms,20ms,20ms",
];

/// `serve` flags for a gateway whose Cloud API never answers: Meta's
/// upstream at a loopback port nothing listens on (9).
pub const UNREACHABLE_META: &[&str] = &[
    "--upstream",
    "meta",
    "--meta-base-url",
    "http://127.0.0.1:9",
    "--meta-access-token",
    "token",
    "--meta-app-secret",
    "s",
];

pub mod balancer;
pub mod browser;
pub mod console;
pub mod db;
pub mod devino;
pub mod gate;
pub mod openapi;
pub mod pace;
pub mod playground;
pub mod process;
pub mod templates;
pub mod upstream;
pub mod webhook_body;

use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use wagate::cli::Cli;

pub use db::{Backend, TestDatabase};

pub const ADMIN_TOKEN: &str = "test-admin-token";

/// A gateway reached over HTTP, in-process or a child process.
#[derive(Clone)]
pub struct Gateway {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub client: reqwest::Client,
}

impl Gateway {
    pub fn at(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            client: reqwest::Client::new(),
        }
    }
}

/// A gateway running in this process, stopped when dropped.
pub struct TestApp {
    gateway: Gateway,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    /// Dropped after the server was told to stop (taken by
    /// [`TestApp::stop_keeping_database`]).
    database: Option<TestDatabase>,
}

/// A tenant: account, user, source number and one gate.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub platform_id: String,
    pub platform_partner_id: String,
    pub username: String,
    pub password: String,
    pub source: String,
    pub gate_id: String,
    /// The user's API key (the Devino dialect's credential).
    pub api_key: String,
}

/// Starts a gateway on 127.0.0.1:0 with a fresh database on `backend`.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

/// [`spawn_app`] with more `serve` arguments.
pub async fn spawn_app_with(backend: Backend, extra_args: &[&str]) -> TestApp {
    spawn_app_on(TestDatabase::create(backend).await, extra_args).await
}

/// A gateway on 127.0.0.1:0 using `database` (which it keeps, and drops
/// with itself).
pub async fn spawn_app_on(database: TestDatabase, extra_args: &[&str]) -> TestApp {
    spawn_app_serving(database, extra_args, None).await
}

/// [`spawn_app_with`], with `/metrics` (and `/healthz`, `/readyz`) on a
/// listener of its own on 127.0.0.1:0: the app and that listener's base URL.
pub async fn spawn_app_with_metrics_listener(
    backend: Backend,
    extra_args: &[&str],
) -> (TestApp, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the metrics listener");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let app = spawn_app_serving(
        TestDatabase::create(backend).await,
        extra_args,
        Some(listener),
    )
    .await;
    (app, base)
}

async fn spawn_app_serving(
    database: TestDatabase,
    extra_args: &[&str],
    metrics_listener: Option<tokio::net::TcpListener>,
) -> TestApp {
    let database_args = database.serve_args();
    let mut args = vec!["wagate", "serve", "--listen", "127.0.0.1:0"];
    args.extend(database_args.iter().map(String::as_str));
    if !extra_args.contains(&"--admin-token") {
        args.extend_from_slice(&["--admin-token", ADMIN_TOKEN]);
    }
    args.extend_from_slice(extra_args);
    let serve = Cli::try_parse_from(args)
        .expect("arguments")
        .command
        .into_serve()
        .expect("serve arguments");
    let listener = tokio::net::TcpListener::bind(serve.listen)
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let (shutdown, stop) = oneshot::channel::<()>();
    let task = tokio::spawn(wagate::server::run_with_metrics_listener(
        serve,
        listener,
        metrics_listener,
        async move {
            let _ = stop.await;
        },
    ));
    let mut app = TestApp {
        gateway: Gateway::at(&base),
        shutdown: Some(shutdown),
        task: Some(task),
        database: Some(database),
    };
    app.wait_healthy().await;
    app
}

/// Polls `condition` until it holds or `within` passes.
pub async fn eventually<F, Fut>(within: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    poll(within, what, || {
        let check = condition();
        async move {
            if check.await {
                Ok(())
            } else {
                Err(String::new())
            }
        }
    })
    .await
}

/// Polls `probe` until it gives a value or `within` passes; the panic
/// carries what the last try said.
pub async fn poll<T, F, Fut>(within: Duration, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + within;
    loop {
        match probe().await {
            Ok(value) => return value,
            Err(last) if Instant::now() >= deadline => {
                panic!("timed out waiting for {what}; last: {last}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

impl std::ops::Deref for TestApp {
    type Target = Gateway;
    fn deref(&self) -> &Gateway {
        &self.gateway
    }
}

impl TestApp {
    /// Waits for `/healthz`; a server that ends before (it could not open
    /// its database, say) fails the test at once with its error.
    async fn wait_healthy(&mut self) {
        let url = format!("{}/healthz", self.base);
        let deadline = Instant::now() + Duration::from_secs(30);
        // Keeps no connection open afterwards (tests of the connection cap
        // count them).
        let probe = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .expect("client");
        loop {
            if let Some(task) = self.task.take_if(|task| task.is_finished()) {
                match task.await {
                    Ok(Ok(())) => panic!("the gateway stopped before it was healthy"),
                    Ok(Err(error)) => panic!("the gateway did not start: {error:#}"),
                    Err(error) => panic!("the gateway did not start: {error}"),
                }
            }
            let last = match probe.get(&url).send().await {
                Ok(answer) if answer.status().is_success() => return,
                Ok(answer) => answer.status().to_string(),
                Err(error) => error.to_string(),
            };
            if Instant::now() >= deadline {
                panic!("timed out waiting for healthz; last: {last}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The database this gateway runs on.
    pub fn database(&self) -> &TestDatabase {
        self.database
            .as_ref()
            .expect("the database is kept until drop")
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        self.stop_server().await;
    }

    /// Stops the server gracefully and hands its database over, for
    /// another gateway to start on ([`spawn_app_on`]).
    pub async fn stop_keeping_database(mut self) -> TestDatabase {
        self.stop_server().await;
        self.database
            .take()
            .expect("the database is kept until drop")
    }

    async fn stop_server(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("join").expect("server result");
        }
    }
}

impl Gateway {
    /// An admin API call; returns status and JSON body (Null when empty).
    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .request(method, format!("{}/admin/v1{path}", self.base))
            .bearer_auth(ADMIN_TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        read(request.send().await.expect("admin request")).await
    }

    /// A user writes to `tenant`'s number through the sandbox: `body` is
    /// `/sandbox/v1/inbound`'s (`from`, and `text` or `message`; `to` is
    /// set here). Returns the incoming message's wamid.
    pub async fn inbound(&self, tenant: &Tenant, body: Value) -> String {
        let mut body = body;
        body["to"] = json!(tenant.source);
        let answer = self
            .client
            .post(format!("{}/sandbox/v1/inbound", self.base))
            .basic_auth(&tenant.username, Some(&tenant.password))
            .json(&body)
            .send()
            .await
            .expect("inbound");
        let (status, answer) = read(answer).await;
        assert_eq!(status, 200, "{answer}");
        answer["id"].as_str().expect("wamid").to_owned()
    }

    /// [`Self::inbound`] from `from`, with the profile name "Ann" and
    /// `content` (`{"text": …}` or `{"message": …}`).
    pub async fn inbound_from_ann(&self, tenant: &Tenant, from: &str, content: Value) -> String {
        let mut body = json!({"from": from, "name": "Ann"});
        if let (Some(body), Some(content)) = (body.as_object_mut(), content.as_object()) {
            body.extend(content.clone());
        }
        self.inbound(tenant, body).await
    }

    pub async fn admin_post(&self, path: &str, body: Value) -> (u16, Value) {
        self.admin(reqwest::Method::POST, path, Some(body)).await
    }

    /// Creates a tenant named `name` sending from `source`.
    pub async fn tenant(&self, name: &str, source: &str) -> Tenant {
        self.tenant_with(name, source, json!({})).await
    }

    /// [`Self::tenant`] with more fields for the source (`throughput`, …).
    pub async fn tenant_with(&self, name: &str, source: &str, source_extra: Value) -> Tenant {
        self.tenant_with_account(name, source, json!({}), source_extra)
            .await
    }

    /// [`Self::tenant_with`] with more fields for the account
    /// (`defaultCountry`, …).
    pub async fn tenant_with_account(
        &self,
        name: &str,
        source: &str,
        account_extra: Value,
        source_extra: Value,
    ) -> Tenant {
        self.provision(name, source, account_extra, source_extra, true)
            .await
    }

    /// [`Self::tenant`] without its gate (`gate_id` names none): for a
    /// gateway that refuses the gate's loopback address.
    pub async fn tenant_without_gate(&self, name: &str, source: &str) -> Tenant {
        self.provision(name, source, json!({}), json!({}), false)
            .await
    }

    async fn provision(
        &self,
        name: &str,
        source: &str,
        account_extra: Value,
        source_extra: Value,
        with_gate: bool,
    ) -> Tenant {
        let mut tenant = Tenant {
            api_key: String::new(),
            platform_id: format!("{name}-platform"),
            platform_partner_id: format!("{name}-partner"),
            username: format!("{name}-user"),
            password: format!("{name}-secret-password"),
            source: source.to_owned(),
            gate_id: format!("{name}-gate"),
        };
        let owner = json!({"platformId": tenant.platform_id, "platformPartnerId": tenant.platform_partner_id});
        let merged = |mut body: Value, extra: &Value| {
            if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
                body.extend(extra.clone());
            }
            body
        };
        let with_owner = |extra: Value| merged(owner.clone(), &extra);
        for (path, body) in [
            (
                "/accounts",
                with_owner(merged(json!({"name": name}), &account_extra)),
            ),
            (
                "/users",
                with_owner(json!({"username": tenant.username, "password": tenant.password})),
            ),
            (
                "/sources",
                with_owner(merged(
                    json!({"number": source, "phoneNumberId": format!("pnid-{name}")}),
                    &source_extra,
                )),
            ),
            (
                "/gates",
                with_owner(json!({"id": tenant.gate_id, "url": "http://127.0.0.1:9/callbacks"})),
            ),
        ] {
            if path == "/gates" && !with_gate {
                continue;
            }
            let (status, answer) = self.admin_post(path, body).await;
            assert_eq!(status, 201, "creating {path}: {answer}");
            if let Some(key) = answer["apiKey"].as_str() {
                key.clone_into(&mut tenant.api_key);
            }
        }
        tenant
    }

    /// POSTs a raw body to the LINK send endpoint as `tenant`.
    pub async fn send_raw(
        &self,
        tenant: &Tenant,
        body: impl Into<reqwest::Body>,
        language: Option<&str>,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/whatsapp-message/messages", self.base))
            .basic_auth(&tenant.username, Some(&tenant.password))
            .header("content-type", "application/json")
            .body(body);
        if let Some(language) = language {
            request = request.header("accept-language", language);
        }
        read(request.send().await.expect("send")).await
    }

    pub async fn send(&self, tenant: &Tenant, body: &Value) -> (u16, Value) {
        self.send_raw(tenant, body.to_string(), None).await
    }

    /// POSTs `body` to `/webhooks/meta`, signed under the app secret
    /// `secret` as Meta signs it; returns the HTTP status.
    pub async fn meta_webhook(&self, secret: &str, body: &Value) -> u16 {
        let raw = body.to_string().into_bytes();
        let signature = wagate::signature::sign(secret.as_bytes(), &raw);
        self.client
            .post(format!("{}/webhooks/meta", self.base))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", signature)
            .body(raw)
            .send()
            .await
            .expect("webhook")
            .status()
            .as_u16()
    }

    /// What the sandbox simulator received (`GET /sandbox/v1/received`).
    pub async fn sim_received(&self) -> Vec<Value> {
        let request = self
            .client
            .get(format!("{}/sandbox/v1/received", self.base))
            .bearer_auth(ADMIN_TOKEN);
        let (status, body) = read(request.send().await.expect("received")).await;
        assert_eq!(status, 200, "{body}");
        body.as_array().cloned().unwrap_or_default()
    }

    /// `GET /sim/v1/{path}` of a standalone simulator (`wagate sim`).
    pub async fn standalone_sim(&self, path: &str) -> Value {
        let (status, body) = read(
            self.client
                .get(format!("{}/sim/v1/{path}", self.base))
                .send()
                .await
                .expect("GET"),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Polls the simulator until it has received at least `count` sends.
    pub async fn sim_received_at_least(&self, count: usize) -> Vec<Value> {
        poll(Duration::from_secs(60), "the simulator's sends", || async {
            let received = self.sim_received().await;
            if received.len() >= count {
                Ok(received)
            } else {
                Err(format!("{} of {count} sends", received.len()))
            }
        })
        .await
    }

    /// Polls the status query until every part of `message_id` satisfies
    /// `done`, and returns the last answer.
    pub async fn status_when(
        &self,
        tenant: &Tenant,
        message_id: &str,
        what: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        poll(Duration::from_secs(30), what, || async {
            let (status, body) = self.status(tenant, message_id).await;
            assert_eq!(status, 200, "{body}");
            let parts = body["messages"].as_array().cloned().unwrap_or_default();
            if !parts.is_empty() && parts.iter().all(&done) {
                Ok(body)
            } else {
                Err(format!("{body:#}"))
            }
        })
        .await
    }

    /// `GET /whatsapp-message/messages/{id}` as `tenant`.
    pub async fn status(&self, tenant: &Tenant, message_id: &str) -> (u16, Value) {
        let request = self
            .client
            .get(format!(
                "{}/whatsapp-message/messages/{message_id}",
                self.base
            ))
            .basic_auth(&tenant.username, Some(&tenant.password));
        read(request.send().await.expect("status")).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

pub async fn read(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// A valid request from `tenant` with the given destinations and messages.
pub fn request(tenant: &Tenant, destinations: &[&str], messages: Value) -> Value {
    json!({
        "platformId": tenant.platform_id,
        "platformPartnerId": tenant.platform_partner_id,
        "priority": "NORMAL",
        "refId": "ref-1",
        "source": tenant.source,
        "destinations": destinations,
        "messages": messages,
    })
}

/// Meta's sample template, which the sandbox knows and always lets through.
pub fn hello_world() -> Value {
    json!([{"type": "template", "template": {"name": "hello_world", "language": {"code": "en_US"}}}])
}

/// A template message named `name` (the sandbox accepts any other name).
pub fn template(name: &str) -> Value {
    json!({"type": "template", "template": {"name": name, "language": {"code": "en"}}})
}

/// One text message.
pub fn text(body: &str) -> Value {
    json!([{"type": "text", "text": {"body": body}}])
}

/// Meta's webhook for one text `wamid` that the user `from` (E.164) sent to
/// the business number `to` (E.164) with the Cloud API id `phone_number_id`.
pub fn inbound_text_webhook(
    to: &str,
    phone_number_id: &str,
    from: &str,
    wamid: &str,
    text: &str,
) -> Value {
    let from = from.trim_start_matches('+');
    json!({"object": "whatsapp_business_account", "entry": [{"id": "waba", "changes": [{
        "field": "messages",
        "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": to.trim_start_matches('+'),
                         "phone_number_id": phone_number_id},
            "contacts": [{"profile": {"name": "A User"}, "wa_id": from}],
            "messages": [{"from": from, "id": wamid, "timestamp": "1795000000",
                          "type": "text", "text": {"body": text}}]
        }
    }]}]})
}
