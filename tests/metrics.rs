//! `/metrics`, `/readyz` and the Grafana dashboard, against a real gateway:
//! counters move by exactly what happened (sends through to READ, a resend,
//! a refusal, webhooks good and bad, a gate that answers 500), the backlog
//! gauges show work held in the queues, access is by token or on a
//! listener of its own, readiness turns 503 when shutting down or when the
//! store cannot answer, and every metric the dashboard queries is one a
//! real scrape has.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::gate::Gate;
use common::{
    ADMIN_TOKEN, Backend, Gateway, TestApp, hello_world, poll, read, request, spawn_app_with,
    spawn_app_with_metrics_listener,
};
use serde_json::{Value, json};

const SECRET: &str = "metrics-app-secret";

/// One scrape: every series' value, by name and labels.
struct Scrape {
    series: BTreeMap<(String, BTreeMap<String, String>), f64>,
    /// Every name the scrape declares (`# TYPE`), with a histogram's
    /// `_bucket`, `_sum` and `_count`.
    names: BTreeSet<String>,
}

impl Scrape {
    fn parse(text: &str) -> Scrape {
        let mut series = BTreeMap::new();
        let mut names = BTreeSet::new();
        for line in text.lines() {
            if let Some(declared) = line.strip_prefix("# TYPE ") {
                let mut words = declared.split(' ');
                let name = words.next().expect("a name").to_owned();
                if words.next() == Some("histogram") {
                    for suffix in ["_bucket", "_sum", "_count"] {
                        names.insert(format!("{name}{suffix}"));
                    }
                }
                names.insert(name);
                continue;
            }
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let (key, value) = line.rsplit_once(' ').expect("a value");
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("{line}"));
            let (name, labels) = match key.split_once('{') {
                Some((name, rest)) => (name, labels(rest.strip_suffix('}').expect("}"))),
                None => (key, BTreeMap::new()),
            };
            names.insert(name.to_owned());
            series.insert((name.to_owned(), labels), value);
        }
        Scrape { series, names }
    }

    /// The sum of the series of `name` that have every label of `with`.
    fn value(&self, name: &str, with: &[(&str, &str)]) -> f64 {
        self.series
            .iter()
            .filter(|((series, labels), _)| {
                series == name
                    && with
                        .iter()
                        .all(|(key, value)| labels.get(*key).map(String::as_str) == Some(*value))
            })
            .map(|(_, value)| value)
            .sum()
    }
}

/// `a="x",b="y"` (values quoted, with `\` escapes).
fn labels(text: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut chars = text.chars().peekable();
    while chars.peek().is_some() {
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        assert_eq!(chars.next(), Some('"'), "{text}");
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => value.push(chars.next().expect("escaped")),
                '"' => break,
                c => value.push(c),
            }
        }
        labels.insert(key.trim_start_matches(',').to_owned(), value);
        if chars.peek() == Some(&',') {
            chars.next();
        }
    }
    labels
}

async fn scrape_at(gateway: &Gateway, base: &str) -> Scrape {
    let answer = gateway
        .client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("scrape");
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    Scrape::parse(&answer.text().await.expect("text"))
}

async fn scrape(app: &TestApp) -> Scrape {
    scrape_at(app, &app.base).await
}

/// A series (name, labels it must have) and what it should have moved by.
type Expected = (&'static str, &'static [(&'static str, &'static str)], f64);

/// What a counter or a histogram's count moved by between two scrapes.
fn moved(before: &Scrape, after: &Scrape, name: &str, with: &[(&str, &str)]) -> f64 {
    after.value(name, with) - before.value(name, with)
}

/// Meta's webhook for one status of `wamid` (sent with the part's `tag`),
/// from `display`.
fn status_webhook(
    display: &str,
    phone_number_id: &str,
    wamid: &str,
    tag: &str,
    status: &str,
) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "waba", "changes": [{
        "field": "messages",
        "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": display.trim_start_matches('+'),
                         "phone_number_id": phone_number_id},
            "statuses": [{"id": wamid, "status": status, "timestamp": "1795000000",
                          "recipient_id": "46701234567", "biz_opaque_callback_data": tag}]
        }
    }]}]})
}

async fn send_one(
    app: &TestApp,
    tenant: &common::Tenant,
    destination: &str,
    gate: Option<&str>,
) -> String {
    let mut body = request(tenant, &[destination], hello_world());
    if let Some(gate) = gate {
        body["eventReportGates"] = json!([gate]);
    }
    let (status, answer) = app.send(tenant, &body).await;
    assert_eq!(status, 200, "{answer}");
    answer["messageIds"][0].as_str().expect("id").to_owned()
}

on_backends!(counters_move_by_exactly_what_happened);
async fn counters_move_by_exactly_what_happened(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            "--meta-app-secret",
            SECRET,
            "--resend-interval",
            "50ms",
            "--callback-retry-schedule",
            "20ms,20ms",
            "--sandbox-status-delay",
            "10ms",
            // A webhook per status, so that webhooks are counted exactly.
            "--sandbox-statuses-per-webhook",
            "1",
        ],
    )
    .await;
    let tenant = app.tenant("counted", "+15550100701").await;
    let refusing = Gate::start().await;
    refusing.refuse_if(|_| true);
    app.add_gate(&tenant, "refusing-gate", &refusing.url, json!({}))
        .await;
    let before = scrape(&app).await;

    // Through to READ, every report refused by the gate; a resend twice
    // refused for now (9901); a refusal (9903); one in the Devino dialect.
    let read_id = send_one(&app, &tenant, "+46701234567", Some("refusing-gate")).await;
    send_one(&app, &tenant, "+46701239901", None).await;
    send_one(&app, &tenant, "+46701239903", None).await;
    let (status, answer) = app
        .devino(
            &tenant,
            "/messages",
            &json!({"from": tenant.source, "to": "46701234568", "type": "template",
                    "template": {"name": "hello_world", "language": {"code": "en_US"}}}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["result"][0]["code"], "OK", "{answer}");

    let read = app
        .status_when(&tenant, &read_id, "READ", |part| part["state"] == "READ")
        .await;
    let wamid = read["messages"][0]["history"][0]["details"]["waMessageId"]
        .as_str()
        .or_else(|| read["messages"][0]["history"][1]["details"]["waMessageId"].as_str())
        .expect("wamid")
        .to_owned();
    // Meta repeats a status (as it sent it: with the part's tag), and a
    // forger posts one unsigned.
    let tag = format!("{read_id}/0");
    let repeat = status_webhook(&tenant.source, "pnid-counted", &wamid, &tag, "read");
    assert_eq!(app.meta_webhook(SECRET, &repeat).await, 200);
    assert_eq!(app.meta_webhook("not-the-secret", &repeat).await, 401);

    // Sent, delivered and read of the three messages Meta took; four
    // reports to the gate, each tried three times (two retries, then given
    // up).
    let after = poll(
        Duration::from_secs(60),
        "every status and callback",
        || async {
            let now = scrape(&app).await;
            let statuses = moved(
                &before,
                &now,
                "wagate_webhook_items_total",
                &[("kind", "status"), ("fate", "new")],
            );
            let given_up = moved(
                &before,
                &now,
                "wagate_callbacks_total",
                &[("outcome", "gave_up")],
            );
            let settled = moved(&before, &now, "wagate_submissions_total", &[]);
            if statuses >= 9.0 && given_up >= 4.0 && settled >= 6.0 {
                Ok(now)
            } else {
                Err(format!(
                    "statuses {statuses}, given up {given_up}, settled {settled}"
                ))
            }
        },
    )
    .await;
    let expected: &[Expected] = &[
        (
            "wagate_messages_accepted_total",
            &[("dialect", "link")],
            3.0,
        ),
        (
            "wagate_messages_accepted_total",
            &[("dialect", "devino")],
            1.0,
        ),
        (
            "wagate_accept_duration_seconds_count",
            &[("dialect", "link")],
            3.0,
        ),
        (
            "wagate_accept_duration_seconds_count",
            &[("dialect", "devino")],
            1.0,
        ),
        ("wagate_submissions_total", &[("outcome", "accepted")], 3.0),
        ("wagate_submissions_total", &[("outcome", "resend")], 2.0),
        ("wagate_submissions_total", &[("outcome", "failed")], 1.0),
        ("wagate_submissions_total", &[("outcome", "expired")], 0.0),
        // Every Cloud API call: one each, and three for the resent one.
        ("wagate_submit_duration_seconds_count", &[], 6.0),
        (
            "wagate_webhooks_received_total",
            &[("result", "accepted")],
            10.0,
        ),
        (
            "wagate_webhooks_received_total",
            &[("result", "bad_signature")],
            1.0,
        ),
        (
            "wagate_webhook_items_total",
            &[("kind", "status"), ("fate", "new")],
            9.0,
        ),
        (
            "wagate_webhook_items_total",
            &[("kind", "status"), ("fate", "repeated")],
            1.0,
        ),
        ("wagate_webhook_items_total", &[("kind", "message")], 0.0),
        (
            "wagate_callbacks_total",
            &[("gate", "refusing-gate"), ("outcome", "retry")],
            8.0,
        ),
        (
            "wagate_callbacks_total",
            &[("gate", "refusing-gate"), ("outcome", "gave_up")],
            4.0,
        ),
        ("wagate_callbacks_total", &[("outcome", "delivered")], 0.0),
        ("wagate_callback_duration_seconds_count", &[], 12.0),
        (
            "wagate_http_requests_total",
            &[("route", "/whatsapp-message/messages"), ("status", "200")],
            3.0,
        ),
        (
            "wagate_http_requests_total",
            &[("route", "/whatsapp/v2/messages"), ("status", "200")],
            1.0,
        ),
        (
            "wagate_http_requests_total",
            &[("route", "/webhooks/meta"), ("status", "200")],
            10.0,
        ),
        (
            "wagate_http_requests_total",
            &[("route", "/webhooks/meta"), ("status", "401")],
            1.0,
        ),
    ];
    let wrong: Vec<String> = expected
        .iter()
        .filter_map(|(name, with, want)| {
            let got = moved(&before, &after, name, with);
            (got != *want).then(|| format!("{name}{with:?}: moved {got}, expected {want}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(refusing.refused(), 12, "the gate saw every try");
    // The status query's route is counted under its template, not its path.
    assert!(
        after.value(
            "wagate_http_requests_total",
            &[
                ("route", "/whatsapp-message/messages/{message_id}"),
                ("status", "200")
            ]
        ) >= 1.0
    );
    assert!(
        !after.series.keys().any(|(_, labels)| labels
            .get("route")
            .is_some_and(|route| route.contains(&read_id))),
        "a raw path became a label"
    );
}

on_backends!(backlog_gauges_show_held_work);
async fn backlog_gauges_show_held_work(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            "--metrics-gauge-ttl",
            "0s",
            "--callback-retry-schedule",
            "1h",
            "--sandbox-status-delay",
            "10ms",
        ],
    )
    .await;
    // Another instance owns this number: its work stays in the outbox.
    let held = app.tenant("held", "+15550100711").await;
    let _lease = app.database().hold_number(&held.source).await;
    for (priority, destinations) in [
        ("HIGH", &["+46701230001", "+46701230002"][..]),
        ("LOW", &["+46701230003", "+46701230004", "+46701230005"][..]),
    ] {
        let mut body = request(&held, destinations, hello_world());
        body["priority"] = json!(priority);
        let (status, answer) = app.send(&held, &body).await;
        assert_eq!(status, 200, "{answer}");
    }
    // This number is sent from; its gate refuses the first report, which
    // then waits an hour for its next try, and the message's later reports
    // wait behind it.
    let sending = app.tenant("sending", "+15550100712").await;
    let refusing = Gate::start().await;
    refusing.refuse_if(|_| true);
    app.add_gate(&sending, "waiting-gate", &refusing.url, json!({}))
        .await;
    let read_id = send_one(&app, &sending, "+46701230006", Some("waiting-gate")).await;
    app.status_when(&sending, &read_id, "READ", |part| part["state"] == "READ")
        .await;

    let gauges = poll(Duration::from_secs(30), "the backlog gauges", || async {
        let now = scrape(&app).await;
        let depth = |priority| now.value("wagate_outbox_depth", &[("priority", priority)]);
        let backlog = |state| now.value("wagate_callback_backlog", &[("state", state)]);
        let shown = (
            depth("high"),
            depth("normal"),
            depth("low"),
            backlog("due"),
            backlog("waiting"),
            now.value("wagate_leases_held", &[]),
        );
        // Four reports: the refused one waits, three are due behind it;
        // this instance holds the feeder's lease and the sending number's.
        if shown == (2.0, 0.0, 3.0, 3.0, 1.0, 2.0)
            && now.value(
                "wagate_outbox_oldest_due_age_seconds",
                &[("priority", "low")],
            ) > 0.0
        {
            Ok(now)
        } else {
            Err(format!("{shown:?}"))
        }
    })
    .await;
    assert_eq!(
        gauges.value(
            "wagate_outbox_oldest_due_age_seconds",
            &[("priority", "normal")]
        ),
        0.0,
        "nothing of NORMAL waits"
    );
    assert_eq!(
        gauges.value("wagate_backlog_refresh_failures_total", &[]),
        0.0
    );
}

on_backends!(metrics_want_the_token_when_told);
async fn metrics_want_the_token_when_told(backend: Backend) {
    let app = spawn_app_with(backend, &["--metrics-require-token"]).await;
    let get = |token: Option<&str>| {
        let mut request = app.client.get(format!("{}/metrics", app.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(get(None).await.expect("GET").status(), 401);
    assert_eq!(get(Some("wrong")).await.expect("GET").status(), 401);
    let answer = get(Some(ADMIN_TOKEN)).await.expect("GET");
    assert_eq!(answer.status(), 200);
    assert!(
        answer
            .text()
            .await
            .expect("text")
            .contains("wagate_outbox_depth{priority=\"high\"} 0")
    );
}

on_backends!(metrics_on_their_own_listener);
async fn metrics_on_their_own_listener(backend: Backend) {
    let (app, metrics) = spawn_app_with_metrics_listener(backend, &[]).await;
    let status = |url: String| {
        let client = app.client.clone();
        async move { client.get(url).send().await.expect("GET").status().as_u16() }
    };
    assert_eq!(
        status(format!("{}/metrics", app.base)).await,
        404,
        "not on the main listener"
    );
    let scraped = scrape_at(&app, &metrics).await;
    assert!(scraped.names.contains("wagate_messages_accepted_total"));
    for base in [&app.base, &metrics] {
        assert_eq!(status(format!("{base}/readyz")).await, 200, "{base}");
        assert_eq!(status(format!("{base}/healthz")).await, 200, "{base}");
    }
}

async fn readyz(client: &reqwest::Client, base: &str) -> (u16, Value) {
    read(
        client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .expect("readyz"),
    )
    .await
}

on_backends!(readyz_turns_503_while_shutting_down);
async fn readyz_turns_503_while_shutting_down(backend: Backend) {
    let (app, metrics) =
        spawn_app_with_metrics_listener(backend, &["--callback-timeout", "3s"]).await;
    let client = app.client.clone();
    assert_eq!(
        readyz(&client, &app.base).await,
        (200, json!({"ready": true}))
    );
    // A callback to a gate that never answers holds the shutdown's drain
    // (for the callback timeout).
    let tenant = app.tenant("draining", "+15550100721").await;
    let hanging = Gate::start().await;
    hanging.hang();
    app.add_gate(&tenant, "hanging-gate", &hanging.url, json!({}))
        .await;
    send_one(&app, &tenant, "+46701234567", Some("hanging-gate")).await;
    poll(Duration::from_secs(30), "a callback in flight", || async {
        if hanging.held() > 0 {
            Ok(())
        } else {
            Err("none yet".to_owned())
        }
    })
    .await;
    let stopping = tokio::spawn(app.stop());
    let answer = poll(
        Duration::from_secs(10),
        "readyz to say shutting down",
        || async {
            match readyz(&client, &metrics).await {
                (503, body) => Ok(body),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
    assert_eq!(answer, json!({"ready": false, "reason": "shutting down"}));
    stopping.await.expect("the gateway stopped");
}

on_backends!(readyz_turns_503_when_the_store_cannot_answer);
async fn readyz_turns_503_when_the_store_cannot_answer(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    let client = app.client.clone();
    assert_eq!(
        readyz(&client, &app.base).await,
        (200, json!({"ready": true}))
    );

    // A migration this build has is missing.
    app.database()
        .rows(
            "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations) AND $1 = $1",
            "",
        )
        .await;
    let (status, body) = readyz(&client, &app.base).await;
    assert_eq!(status, 503, "{body}");
    let reason = body["reason"].as_str().expect("a reason");
    assert!(
        reason.contains("schema is at migration") && reason.contains("run wagate migrate"),
        "{reason}"
    );

    // The store cannot answer at all.
    match backend {
        Backend::Sqlite => {
            let mut connection =
                <sqlx::SqliteConnection as sqlx::Connection>::connect(app.database().url())
                    .await
                    .expect("open SQLite");
            sqlx::raw_sql("ALTER TABLE _sqlx_migrations RENAME TO moved_away")
                .execute(&mut connection)
                .await
                .expect("move the table away");
        }
        Backend::Postgres => {
            let name = app
                .database()
                .url()
                .rsplit('/')
                .next()
                .expect("a name")
                .to_owned();
            let server = common::db::postgres_server_url().expect("a server");
            let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&server)
                .await
                .expect("connect");
            for statement in [
                format!("ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS false"),
                format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
                ),
            ] {
                sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                    .execute(&mut admin)
                    .await
                    .expect("cut the gateway off");
            }
        }
    }
    let body = poll(
        Duration::from_secs(20),
        "readyz to see the store gone",
        || async {
            match readyz(&client, &app.base).await {
                (503, body) if body["reason"] != reason => Ok(body),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
    let reason = body["reason"].as_str().expect("a reason");
    assert!(
        reason == "the store failed (see the log)"
            || reason.starts_with("the store did not answer within"),
        "{reason}"
    );
    if backend == Backend::Postgres {
        // Let the harness drop the database.
        let name = app
            .database()
            .url()
            .rsplit('/')
            .next()
            .expect("a name")
            .to_owned();
        let server = common::db::postgres_server_url().expect("a server");
        let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&server)
            .await
            .expect("connect");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS true"
        )))
        .execute(&mut admin)
        .await
        .expect("let the gateway back in");
    }
}

/// Every metric name a query of the dashboard uses.
fn dashboard_metrics(dashboard: &Value, names: &mut BTreeSet<String>) {
    match dashboard {
        Value::Object(fields) => {
            for (key, value) in fields {
                if key == "expr" {
                    let expr = value.as_str().expect("expr is text");
                    let mut rest = expr;
                    while let Some(at) = rest.find("wagate_") {
                        let name: String = rest[at..]
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect();
                        rest = &rest[at + name.len()..];
                        names.insert(name);
                    }
                } else {
                    dashboard_metrics(value, names);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| dashboard_metrics(item, names)),
        _ => {}
    }
}

on_backends!(the_dashboard_queries_only_exported_metrics);
async fn the_dashboard_queries_only_exported_metrics(backend: Backend) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/ops/grafana/wagate.json");
    let text = std::fs::read_to_string(path).expect("the dashboard");
    let dashboard: Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    let mut used = BTreeSet::new();
    dashboard_metrics(&dashboard, &mut used);
    assert!(
        used.len() >= 12,
        "the dashboard queries too little: {used:?}"
    );
    let app = spawn_app_with(backend, &[]).await;
    // A family shows in a scrape once it has a series: a callback try (the
    // tenant's gate refuses connections) gives the last one its first.
    let tenant = app.tenant("dashboard", "+15550100731").await;
    send_one(&app, &tenant, "+46701234567", Some(&tenant.gate_id)).await;
    let exported = poll(Duration::from_secs(30), "a callback try", || async {
        let names = scrape(&app).await.names;
        if names.contains("wagate_callbacks_total") {
            Ok(names)
        } else {
            Err(format!("{names:?}"))
        }
    })
    .await;
    let unknown: Vec<&String> = used.difference(&exported).collect();
    assert!(
        unknown.is_empty(),
        "the dashboard queries {unknown:?}, which /metrics does not export: {exported:?}"
    );
}
