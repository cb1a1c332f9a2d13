//! A fresh tenant for each run, through the admin API: an account, a user,
//! the source numbers and a gate pointing at the bench's own receiver, all
//! with random names so that runs against the same gateway never collide.

use std::fmt;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::args::Level;
use super::numbers;
use crate::auth::random_token;

/// Tries per source before giving up on finding a free random number.
const SOURCE_ATTEMPTS: usize = 5;

/// What the load needs to know about the tenant.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub platform_id: String,
    pub platform_partner_id: String,
    pub username: String,
    pub password: SecretString,
    pub sources: Vec<String>,
    /// The gate every request names in `eventReportGates`.
    pub gate_id: String,
}

/// How to provision.
pub struct Plan {
    pub sources: usize,
    pub level: Level,
    pub throughput: Option<u32>,
    /// Where the gate's callbacks go.
    pub gate_url: String,
}

/// Creates the tenant on the gateway at `gateway_url`.
pub async fn tenant(
    client: &reqwest::Client,
    gateway_url: &str,
    admin_token: &SecretString,
    plan: &Plan,
) -> anyhow::Result<Tenant> {
    let admin = Admin {
        client,
        base: format!("{gateway_url}/admin/v1"),
        token: admin_token,
    };
    let run = random_token(10);
    let platform_id = format!("bench-{run}");
    let platform_partner_id = format!("bench-{run}-partner");
    let username = format!("bench-{run}");
    let password = random_token(24);
    let owner = |extra: Value| {
        let mut body = json!({"platformId": platform_id, "platformPartnerId": platform_partner_id});
        if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
            body.extend(extra);
        }
        body
    };

    admin
        .create(
            "accounts",
            &owner(json!({"name": format!("wagate bench {run}")})),
        )
        .await?
        .context("creating the bench account")?;
    admin
        .create(
            "users",
            &owner(json!({"username": username, "password": password})),
        )
        .await?
        .context("creating the bench user")?;

    let mut sources = Vec::with_capacity(plan.sources);
    for index in 0..plan.sources {
        let mut attempt = 0;
        let number = loop {
            attempt += 1;
            let number = numbers::source();
            if sources.contains(&number) {
                continue;
            }
            let mut body = owner(json!({
                "number": number,
                "phoneNumberId": format!("bench-{run}-{index}"),
                "level": plan.level.as_str(),
            }));
            if let (Some(throughput), Some(fields)) = (plan.throughput, body.as_object_mut()) {
                fields.insert("throughput".into(), json!(throughput));
            }
            match admin.create("sources", &body).await? {
                Ok(()) => break number,
                // Another tenant on this gateway owns the number: draw again.
                Err(refusal) if refusal.status == 409 && attempt < SOURCE_ATTEMPTS => continue,
                Err(refusal) => {
                    return Err(refusal)
                        .with_context(|| format!("creating the bench source {number}"));
                }
            }
        };
        sources.push(number);
    }
    let gate_id = format!("bench-{run}");
    admin
        .create(
            "gates",
            &owner(json!({"id": gate_id, "url": plan.gate_url})),
        )
        .await?
        .context("creating the bench gate")?;
    tracing::info!(%platform_id, %username, sources = sources.len(), "bench tenant provisioned");
    Ok(Tenant {
        platform_id,
        platform_partner_id,
        username,
        password: SecretString::from(password),
        sources,
        gate_id,
    })
}

struct Admin<'a> {
    client: &'a reqwest::Client,
    base: String,
    token: &'a SecretString,
}

/// A create call the gateway did not answer with `201`.
#[derive(Debug)]
struct Refusal {
    status: u16,
    body: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if self.status == 401 {
            f.write_str(" (is --admin-token the gateway's admin token?)")?;
        }
        write!(f, ": {}", self.body)
    }
}

impl std::error::Error for Refusal {}

impl Admin<'_> {
    /// POSTs `body` to `/admin/v1/{kind}`; `Err` only when the gateway
    /// could not be reached, `Ok(Err)` when it refused.
    async fn create(&self, kind: &str, body: &Value) -> anyhow::Result<Result<(), Refusal>> {
        let url = format!("{}/{kind}", self.base);
        let response = self
            .client
            .post(&url)
            .bearer_auth(self.token.expose_secret())
            .json(body)
            .send()
            .await
            .with_context(|| format!("POST {url}"))?;
        let status = response.status().as_u16();
        if status == 201 {
            return Ok(Ok(()));
        }
        let body = response.text().await.unwrap_or_default();
        Ok(Err(Refusal { status, body }))
    }
}
