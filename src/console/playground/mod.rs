//! The sandbox playground (`/console/playground`, with `--upstream
//! sandbox`): send a LINK message from one of the tenants' numbers to a
//! sandbox test number, have a simulated user reply (text, image, button),
//! and watch the delivery reports and incoming messages reach the
//! sandbox's inbox ([`crate::inbox`]) live, as a business's endpoint gets
//! them. Every action goes through the code the APIs use: the LINK send
//! ([`crate::api::link::send::accept`]), the sandbox's simulated user
//! ([`crate::api::sandbox::simulate_inbound`]), and the admin API's gate
//! and route creation, so the playground shows the gateway's real paths.
//! This file has the page and the inbox's live view; [`actions`] the
//! forms' posts.

pub mod actions;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

use super::answers::PageAnswers;
use super::error::ConsoleError;
use super::render;
use super::session::Operator;
use crate::api::AppState;
use crate::api::admin::accounts_by_id;
use crate::clock::rfc3339;
use crate::inbox::InboxEntry;
use crate::store::{Account, Source};

/// The sandbox's test numbers (see the README's sandbox table) and what
/// each does.
const TEST_NUMBERS: [(&str, &str); 6] = [
    ("+46701234567", "accepted, sent, delivered, read"),
    (
        "+46700009900",
        "accepted, then FAILED: not a WhatsApp user (131026 → 112404)",
    ),
    (
        "+46700009901",
        "refused twice (131000), then accepted: the resend path",
    ),
    ("+46700009902", "rate limited once (130429), then accepted"),
    ("+46700009903", "refused for good (error 100 → 112403)"),
    ("+46700009904", "accepted, sent, delivered, never read"),
];

/// How many of the inbox's callbacks the page shows.
const INBOX_SHOWN: usize = 20;

/// The gate through which a tenant's playground callbacks reach the inbox.
fn inbox_gate_id(account: &Account) -> String {
    format!("playground-{}", account.id)
}

/// The inbox's URL, as this gateway reaches itself.
fn inbox_url(state: &AppState) -> String {
    let base = state.media_urls.public_url();
    format!("{}/sandbox/v1/inbox", base.as_str().trim_end_matches('/'))
}

struct SourceOption {
    id: String,
    label: String,
    selected: bool,
}

struct TestNumber {
    number: &'static str,
    does: &'static str,
}

/// Where the selected source's callbacks go.
struct Wiring {
    /// The playground's gate exists, pointing at the inbox.
    gate: bool,
    /// The gate exists but points elsewhere (another run's port).
    gate_elsewhere: Option<String>,
    /// The gates of the number's default route, when it has one.
    default_route: Option<Vec<String>>,
}

struct InboxRow {
    seq: u64,
    at: String,
    kind: &'static str,
    summary: String,
    body: String,
}

#[derive(Template)]
#[template(path = "console/playground.html")]
struct PlaygroundPage {
    csrf: String,
    sandbox: bool,
    sources: Vec<SourceOption>,
    source: Option<SelectedSource>,
    numbers: Vec<TestNumber>,
    inbox: Vec<InboxRow>,
    replied: Option<String>,
}

struct SelectedSource {
    id: String,
    number: String,
    tenant: String,
    gate_id: String,
    inbox_url: String,
    wiring: Wiring,
}

#[derive(Template)]
#[template(path = "console/playground_inbox.html")]
struct InboxFragment {
    inbox: Vec<InboxRow>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlaygroundQuery {
    /// The source (by id) to play with; the first sandbox number when
    /// left out.
    source: Option<String>,
    /// The wamid of the reply just simulated.
    replied: Option<String>,
}

/// The playground: send, reply, and the inbox.
#[utoipa::path(
    get,
    path = "/console/playground",
    tag = "console",
    params(PlaygroundQuery),
    responses(PageAnswers)
)]
pub async fn page(
    operator: Operator,
    State(state): State<AppState>,
    Query(query): Query<PlaygroundQuery>,
) -> Result<Response, ConsoleError> {
    let numbers = TEST_NUMBERS
        .iter()
        .map(|&(number, does)| TestNumber { number, does })
        .collect();
    let Some(inbox) = &state.inbox else {
        return render(&PlaygroundPage {
            csrf: operator.csrf,
            sandbox: false,
            sources: Vec::new(),
            source: None,
            numbers,
            inbox: Vec::new(),
            replied: None,
        });
    };
    let accounts = accounts_by_id(&state.tenants).await?;
    let sendable: Vec<Source> = state
        .store
        .sources()
        .await?
        .into_iter()
        .filter(|source| source.phone_number_id.is_some())
        .collect();
    let chosen = query
        .source
        .as_deref()
        .and_then(|id| sendable.iter().find(|source| source.id == id))
        .or_else(|| sendable.first());
    let selected = match chosen.and_then(|source| Some((source, accounts.get(&source.account_id)?)))
    {
        Some((source, account)) => Some(SelectedSource {
            id: source.id.clone(),
            number: source.number.clone(),
            tenant: tenant_label(account),
            gate_id: inbox_gate_id(account),
            inbox_url: inbox_url(&state),
            wiring: wiring(&state, account, source).await?,
        }),
        None => None,
    };
    let sources = sendable
        .iter()
        .map(|source| SourceOption {
            id: source.id.clone(),
            label: format!(
                "{} ({})",
                source.number,
                accounts
                    .get(&source.account_id)
                    .map_or_else(|| source.account_id.clone(), tenant_label)
            ),
            selected: chosen.is_some_and(|chosen| chosen.id == source.id),
        })
        .collect();
    render(&PlaygroundPage {
        csrf: operator.csrf,
        sandbox: true,
        sources,
        source: selected,
        numbers,
        inbox: inbox_rows(inbox.latest(INBOX_SHOWN)),
        replied: query.replied,
    })
}

fn tenant_label(account: &Account) -> String {
    let name = account.name.as_deref().unwrap_or(&account.id);
    format!(
        "{name}: {} / {}",
        account.platform_id, account.platform_partner_id
    )
}

/// Whether the playground's gate exists and where incoming messages to
/// `source` go.
async fn wiring(
    state: &AppState,
    account: &Account,
    source: &Source,
) -> Result<Wiring, ConsoleError> {
    let gate = state.store.gate(&inbox_gate_id(account)).await?;
    let url = inbox_url(state);
    let default_route = state
        .store
        .routes()
        .await?
        .into_iter()
        .find(|route| route.number == source.number && route.keyword.is_empty())
        .map(|route| route.gate_ids);
    Ok(Wiring {
        gate: gate.as_ref().is_some_and(|gate| gate.url == url),
        gate_elsewhere: gate.filter(|gate| gate.url != url).map(|gate| gate.url),
        default_route,
    })
}

fn inbox_rows(entries: Vec<InboxEntry>) -> Vec<InboxRow> {
    entries
        .into_iter()
        .map(|entry| InboxRow {
            seq: entry.seq,
            at: rfc3339(entry.at),
            kind: entry.kind(),
            summary: summary(&entry.body),
            body: serde_json::to_string_pretty(&entry.body).unwrap_or_default(),
        })
        .collect()
}

/// A callback in one line: a report's message, state and code, or an
/// incoming message's sender and content.
fn summary(body: &Value) -> String {
    let body = match body {
        Value::Array(items) => items.first().unwrap_or(&Value::Null),
        body => body,
    };
    let text = |value: &Value| match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    if body.get("resultCode").is_some() {
        return format!(
            "{} {}: {} {}",
            text(&body["messageId"]),
            text(&body["refId"]),
            text(&body["resultCode"]),
            text(&body["resultDescription"])
        );
    }
    let content = &body["content"];
    if content.is_object() {
        let message = &content["message"];
        let what = [
            &message["text"],
            &message["button"]["text"],
            &message["media"]["caption"],
        ]
        .into_iter()
        .find(|value| !value.is_null())
        .map(text)
        .unwrap_or_default();
        return format!(
            "from {} to {}: {} {}",
            text(&body["source"]),
            text(&body["destination"]),
            text(&message["contentType"]),
            what
        )
        .trim_end()
        .to_owned();
    }
    let mut line = body.to_string();
    line.truncate(line.floor_char_boundary(120));
    line
}

/// The inbox's callbacks as server-sent events: an event `inbox` with the
/// list's HTML whenever a callback arrives.
#[utoipa::path(
    get,
    path = "/console/playground/inbox/live",
    tag = "console",
    responses(
        (status = 200, description = "Events `inbox`, each the inbox's HTML.",
            content_type = "text/event-stream", body = String),
        (status = 303, description = "Not signed in: to the sign-in page."),
        (status = 404, description = "No admin token (no console), or no sandbox.",
            content_type = "text/html", body = String),
        (status = 503, description = "Too many live views.",
            content_type = "text/html", body = String),
    ),
)]
pub async fn inbox_live(
    _operator: Operator,
    State(state): State<AppState>,
) -> Result<Response, ConsoleError> {
    let inbox = state.inbox.clone().ok_or(ConsoleError::NoSandbox)?;
    super::live::stream(&state, "inbox", move || {
        let inbox = inbox.clone();
        async move {
            InboxFragment {
                inbox: inbox_rows(inbox.latest(INBOX_SHOWN)),
            }
            .render()
            .ok()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_report_and_an_incoming_message_read_in_one_line() {
        let dlr = json!({"messageId": "m1", "refId": "r1", "resultCode": 112404,
            "resultDescription": "not a WhatsApp user"});
        assert_eq!(summary(&dlr), "m1 r1: 112404 not a WhatsApp user");
        let mo = json!({"source": "+4670", "destination": "+1555", "route": {},
            "content": {"message": {"contentType": "BUTTON", "button": {"text": "Yes"}}}});
        assert_eq!(summary(&mo), "from +4670 to +1555: BUTTON Yes");
        let long = json!({"x": "é".repeat(200)});
        assert!(summary(&long).len() <= 120);
    }
}
