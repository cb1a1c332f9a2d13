//! The sources pages: every business number of every tenant with its level,
//! the throughput its submissions are paced at (and where that comes from)
//! and its outbox; and one number's outbox per priority with the oldest due
//! part of each, the submissions it achieved lately, and its latest
//! failures with Meta's error code and words (the store's
//! [`SourceFiguresStore`](crate::store::SourceFiguresStore)).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::Value;
use wagate_domain::Priority;

use super::answers::PageAnswers;
use super::error::ConsoleError;
use super::render;
use super::session::Operator;
use crate::api::AppState;
use crate::api::admin::{AdminError, accounts_by_id};
use crate::clock::{now_millis, rfc3339};
use crate::dispatch::pacing::MARGIN;
use crate::store::source_figures::{RecentSubmissions, SourceFailure};
use crate::store::{Account, Source};

/// How many failures the source page lists.
const FAILURES: u32 = 20;
/// Among how many of the gateway's newest failures they are looked for.
const FAILURES_SCANNED: u32 = 10_000;
/// Among how many of the gateway's newest statuses recent submissions are
/// counted.
const STATUSES_SCANNED: u32 = 50_000;
const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;

/// A time, or "none".
fn time_or_none(at: Option<i64>) -> String {
    at.map_or_else(|| "none".to_owned(), rfc3339)
}

/// The tenant as the pages name it: its name (or id) and platform ids.
struct Tenant {
    name: String,
    platform: String,
}

impl Tenant {
    fn of(accounts: &HashMap<String, Account>, account_id: &str) -> Self {
        match accounts.get(account_id) {
            Some(account) => Self {
                name: account.name.clone().unwrap_or_else(|| account.id.clone()),
                platform: format!("{} / {}", account.platform_id, account.platform_partner_id),
            },
            None => Self {
                name: account_id.to_owned(),
                platform: String::new(),
            },
        }
    }
}

/// The rate a source's submissions are paced at, and why.
struct Throughput {
    per_second: u32,
    /// "configured", or the level's default.
    origin: String,
}

impl Throughput {
    fn of(source: &Source) -> Self {
        Self {
            per_second: source.per_second(),
            origin: match source.throughput {
                Some(_) => "configured for this source".to_owned(),
                None => format!("{}'s default", source.level.as_str()),
            },
        }
    }
}

struct SourceRow {
    id: String,
    number: String,
    tenant: Tenant,
    phone_number_id: String,
    level: &'static str,
    throughput: Throughput,
    parts: u64,
    oldest_due: String,
}

#[derive(Template)]
#[template(path = "console/sources.html")]
struct SourcesPage {
    sources: Vec<SourceRow>,
}

/// Every business number of every tenant, with its throughput and outbox.
#[utoipa::path(
    get,
    path = "/console/sources",
    tag = "console",
    responses(PageAnswers)
)]
pub async fn list(
    _operator: Operator,
    State(state): State<AppState>,
) -> Result<Response, ConsoleError> {
    let accounts = accounts_by_id(&state.tenants).await?;
    let backlogs: HashMap<String, (u64, Option<i64>)> = state
        .store
        .outbox_by_source(now_millis())
        .await?
        .into_iter()
        .map(|backlog| (backlog.source, (backlog.parts, backlog.oldest_due_at)))
        .collect();
    let mut sources = state.store.sources().await?;
    sources.sort_by(|a, b| a.number.cmp(&b.number));
    let sources = sources
        .into_iter()
        .map(|source| {
            let (parts, oldest_due_at) = backlogs.get(&source.number).copied().unwrap_or_default();
            SourceRow {
                tenant: Tenant::of(&accounts, &source.account_id),
                throughput: Throughput::of(&source),
                level: source.level.as_str(),
                phone_number_id: source.phone_number_id.unwrap_or_default(),
                parts,
                oldest_due: time_or_none(oldest_due_at),
                id: source.id,
                number: source.number,
            }
        })
        .collect();
    render(&SourcesPage { sources })
}

/// One priority's outbox on the source page.
struct Depth {
    priority: &'static str,
    parts: u64,
    oldest_due: String,
    /// The oldest due part's message and index.
    oldest_message: Option<(String, u32)>,
}

/// Submissions in a window, as the page shows them.
struct Achieved {
    window: &'static str,
    /// The count, "≥ n" when the read did not reach back over the window.
    parts: String,
    per_second: String,
}

impl Achieved {
    fn of(window: &'static str, seconds: f64, recent: RecentSubmissions) -> Self {
        let bound = if recent.complete { "" } else { "≥ " };
        Self {
            window,
            parts: format!("{bound}{}", recent.parts),
            per_second: format!("{bound}{:.1}", recent.parts as f64 / seconds),
        }
    }
}

/// A failure as the page lists it.
struct Failure {
    at: String,
    message_id: String,
    message_index: u32,
    state: &'static str,
    result_code: u32,
    meta_code: String,
    title: String,
    description: String,
}

impl Failure {
    fn of(failure: SourceFailure) -> Self {
        let detail = |key: &str| {
            failure
                .details
                .as_ref()
                .and_then(|details| details.get(key))
                .map(|value| match value {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                })
        };
        let meta_code = detail("metaErrorCode").unwrap_or_else(|| "–".to_owned());
        let title = [detail("metaErrorTitle"), detail("metaErrorDetails")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(": ");
        Self {
            at: rfc3339(failure.at),
            state: failure.state.as_str(),
            result_code: failure.result_code,
            meta_code,
            title,
            description: failure.description,
            message_id: failure.message_id,
            message_index: failure.message_index,
        }
    }
}

#[derive(Template)]
#[template(path = "console/source.html")]
struct SourcePage {
    id: String,
    number: String,
    tenant: Tenant,
    phone_number_id: String,
    waba_id: String,
    level: &'static str,
    throughput: Throughput,
    /// The spacing's margin over 1/limit, in percent.
    margin_percent: String,
    outbox: Vec<Depth>,
    achieved: Vec<Achieved>,
    failures: Vec<Failure>,
    failures_limit: u32,
    failures_scanned: u32,
}

/// One business number: its throughput, its outbox per priority with the
/// oldest due part, the submissions it achieved in the last minute and
/// hour, and its last failures with Meta's error codes.
#[utoipa::path(
    get,
    path = "/console/sources/{id}",
    tag = "console",
    params(("id" = String, Path, description = "The source's id.")),
    responses(PageAnswers),
)]
pub async fn page(
    _operator: Operator,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    crate::api::text::check("id", &id).map_err(AdminError::from)?;
    let source = state
        .store
        .source(&id)
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("source {id}")))?;
    let accounts = accounts_by_id(&state.tenants).await?;
    let now = now_millis();
    let store = &state.store;
    let (outbox, minute, hour, failures) = tokio::try_join!(
        store.source_outbox(&source.number, now),
        store.recent_submissions(&source.number, now - MINUTE_MS, STATUSES_SCANNED),
        store.recent_submissions(&source.number, now - HOUR_MS, STATUSES_SCANNED),
        store.source_failures(&source.number, FAILURES, FAILURES_SCANNED),
    )?;
    let outbox = [Priority::High, Priority::Normal, Priority::Low]
        .into_iter()
        .map(|priority| {
            let backlog = outbox.iter().find(|backlog| backlog.priority == priority);
            let oldest = backlog.and_then(|backlog| backlog.oldest_due.as_ref());
            Depth {
                priority: priority.as_str(),
                parts: backlog.map_or(0, |backlog| backlog.parts),
                oldest_due: time_or_none(oldest.map(|part| part.due_at)),
                oldest_message: oldest.map(|part| (part.message_id.clone(), part.message_index)),
            }
        })
        .collect();
    render(&SourcePage {
        tenant: Tenant::of(&accounts, &source.account_id),
        throughput: Throughput::of(&source),
        margin_percent: format!("{:.0}", MARGIN * 100.0),
        level: source.level.as_str(),
        phone_number_id: source.phone_number_id.clone().unwrap_or_default(),
        waba_id: source.waba_id.clone().unwrap_or_default(),
        outbox,
        achieved: vec![
            Achieved::of("last minute", 60.0, minute),
            Achieved::of("last hour", 3600.0, hour),
        ],
        failures: failures.into_iter().map(Failure::of).collect(),
        failures_limit: FAILURES,
        failures_scanned: FAILURES_SCANNED,
        id: source.id,
        number: source.number,
    })
}
