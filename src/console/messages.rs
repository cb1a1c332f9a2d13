//! The message pages: a search by messageId, refId, destination, tenant,
//! source, state and time, paged (the store's [`MessageSearch`]); and one
//! message's journey: per messageIndex its history (accepted, each try,
//! Meta's statuses), its Cloud API body while kept, and every callback to
//! every gate with each try. The status query's own view
//! ([`crate::api::message_status`]) feeds it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use wagate_domain::MessageState;

use super::answers::PageAnswers;
use super::error::ConsoleError;
use super::render;
use super::session::Operator;
use crate::api::AppState;
use crate::api::admin::AdminError;
use crate::api::admin::deliveries::{self, DeliveryView};
use crate::api::message_status::{self, MessageStatus};
use crate::clock::{now_millis, parse_rfc3339, rfc3339};
use crate::store::{Account, MessageSearch, MessageSummary};

/// Messages on one page of the search.
const PAGE: u32 = 50;
/// How far back a search by refId or destination looks unless it says
/// (`since`): those columns have no index of their own (one would cost
/// every accepted message an insert), so it reads this window by time.
const DEFAULT_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// The search form, as the query string carries it (empty means unset).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct SearchForm {
    message_id: Option<String>,
    ref_id: Option<String>,
    /// A phone number (with or without `+`) or a BSUID.
    destination: Option<String>,
    /// The tenant: its account id.
    account: Option<String>,
    source: Option<String>,
    /// QUEUED, SUBMITTED, SENT, DELIVERED, READ, DELETED, FAILED or EXPIRED.
    state: Option<String>,
    /// Accepted at or after (RFC 3339); a search by refId or destination
    /// looks at the last day unless this says otherwise.
    since: Option<String>,
    /// Accepted before (RFC 3339).
    until: Option<String>,
    /// The next page: `<acceptance time in ms>.<messageId>` of the last shown.
    before: Option<String>,
}

fn given(field: &Option<String>) -> Option<String> {
    field
        .as_deref()
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
}

fn invalid(field: &str, rule: &str) -> ConsoleError {
    AdminError::Invalid(format!("{field}: {rule}")).into()
}

impl SearchForm {
    /// The store's search, or which field is wrong.
    fn search(&self) -> Result<MessageSearch, ConsoleError> {
        let time = |field: &str, value: &Option<String>| {
            given(value)
                .map(|text| {
                    parse_rfc3339(&text).ok_or_else(|| {
                        invalid(field, "must be an RFC 3339 time, e.g. 2026-11-27T08:00:00Z")
                    })
                })
                .transpose()
        };
        let state = given(&self.state)
            .map(|text| {
                MessageState::parse(&text.to_uppercase())
                    .ok_or_else(|| invalid("state", "must be one of the message states, e.g. READ"))
            })
            .transpose()?;
        let before = given(&self.before)
            .map(|text| {
                text.split_once('.')
                    .and_then(|(at, id)| Some((at.parse().ok()?, id.to_owned())))
                    .ok_or_else(|| invalid("before", "must be <milliseconds>.<messageId>"))
            })
            .transpose()?;
        // A phone number is stored with its `+`.
        let destination = given(&self.destination).map(|text| {
            if text.chars().all(|c| c.is_ascii_digit()) {
                format!("+{text}")
            } else {
                text
            }
        });
        let message_id = given(&self.message_id);
        let ref_id = given(&self.ref_id);
        let unindexed = message_id.is_none() && (ref_id.is_some() || destination.is_some());
        let since = time("since", &self.since)?
            .or_else(|| unindexed.then(|| now_millis() - DEFAULT_WINDOW_MS));
        Ok(MessageSearch {
            message_id,
            ref_id,
            destination,
            account_id: given(&self.account),
            source: given(&self.source),
            state,
            since,
            until: time("until", &self.until)?,
            before,
        })
    }

    /// This search's query string with `before` set to `next`.
    fn next_page(&self, next: &MessageSummary) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("messageId", &self.message_id),
            ("refId", &self.ref_id),
            ("destination", &self.destination),
            ("account", &self.account),
            ("source", &self.source),
            ("state", &self.state),
            ("since", &self.since),
            ("until", &self.until),
        ] {
            if let Some(value) = given(value) {
                query.append_pair(name, &value);
            }
        }
        query.append_pair(
            "before",
            &format!("{}.{}", next.created_at, next.message_id),
        );
        query.finish()
    }
}

struct Row {
    message_id: String,
    ref_id: String,
    account: String,
    source: String,
    destination: String,
    accepted: String,
    parts: i64,
    state: String,
}

#[derive(Template)]
#[template(path = "console/messages.html")]
struct MessagesPage {
    form: SearchForm,
    states: Vec<&'static str>,
    rows: Vec<Row>,
    next: Option<String>,
}

/// Messages by messageId, refId, destination, tenant, source, state and
/// time, newest first.
#[utoipa::path(
    get,
    path = "/console/messages",
    tag = "console",
    params(SearchForm),
    responses(PageAnswers)
)]
pub async fn list(
    _operator: Operator,
    State(state): State<AppState>,
    Query(form): Query<SearchForm>,
) -> Result<Response, ConsoleError> {
    let search = form.search()?;
    let found = state.store.search_messages(&search, PAGE).await?;
    let next = (found.len() == PAGE as usize)
        .then(|| found.last().map(|last| form.next_page(last)))
        .flatten();
    let rows = found
        .into_iter()
        .map(|summary| Row {
            accepted: rfc3339(summary.created_at),
            state: summary
                .state
                .map_or_else(|| "–".to_owned(), |state| state.as_str().to_owned()),
            message_id: summary.message_id,
            ref_id: summary.ref_id,
            account: summary.account_id,
            source: summary.source,
            destination: summary.destination,
            parts: summary.parts,
        })
        .collect();
    render(&MessagesPage {
        form,
        states: MessageState::ALL.map(MessageState::as_str).to_vec(),
        rows,
        next,
    })
}

/// One callback of the message, to one gate.
struct GateCallback {
    gate_id: String,
    delivery: DeliveryView,
}

/// What the message page and its live timeline show.
struct Journey {
    account: String,
    message: MessageStatus,
    callbacks: Vec<GateCallback>,
}

#[derive(Template)]
#[template(path = "console/message.html")]
struct MessagePage {
    account: String,
    message: MessageStatus,
    callbacks: Vec<GateCallback>,
}

/// The timeline alone, as the live updates send it.
#[derive(Template)]
#[template(path = "console/timeline.html")]
struct Timeline {
    message: MessageStatus,
    callbacks: Vec<GateCallback>,
}

/// A JSON value as indented text (for `<pre>`; escaped by the template).
fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

impl MessagePage {
    fn pretty(&self, value: &serde_json::Value) -> String {
        pretty(value)
    }
}

impl Timeline {
    fn pretty(&self, value: &serde_json::Value) -> String {
        pretty(value)
    }
}

/// The account that owns the message `message_id` (any tenant's).
async fn owner(state: &AppState, message_id: &str) -> Result<Account, ConsoleError> {
    crate::api::text::check("messageId", message_id).map_err(AdminError::from)?;
    let not_found = || AdminError::NotFound(format!("message {message_id}"));
    let search = MessageSearch {
        message_id: Some(message_id.to_owned()),
        ..MessageSearch::default()
    };
    let summary = state
        .store
        .search_messages(&search, 1)
        .await?
        .pop()
        .ok_or_else(not_found)?;
    Ok(state
        .store
        .account(&summary.account_id)
        .await?
        .ok_or_else(not_found)?)
}

/// The message `message_id` of `account`, with its callbacks and tries.
async fn journey(
    state: &AppState,
    account: &Account,
    message_id: &str,
) -> Result<Journey, ConsoleError> {
    let (message, deliveries) =
        message_status::find_with_deliveries(state.store.as_ref(), account, message_id)
            .await?
            .ok_or_else(|| AdminError::NotFound(format!("message {message_id}")))?;
    let callbacks = deliveries
        .into_iter()
        .map(|record| GateCallback {
            gate_id: record.gate_id.clone(),
            delivery: deliveries::view(record),
        })
        .collect();
    Ok(Journey {
        account: account.name.clone().unwrap_or_else(|| account.id.clone()),
        message,
        callbacks,
    })
}

/// One message's journey; the page follows it live
/// (`…/{message_id}/live`).
#[utoipa::path(
    get,
    path = "/console/messages/{message_id}",
    tag = "console",
    params(("message_id" = String, Path, description = "The message's id.")),
    responses(PageAnswers),
)]
pub async fn page(
    _operator: Operator,
    State(state): State<AppState>,
    Path(message_id): Path<String>,
) -> Result<Response, ConsoleError> {
    let account = owner(&state, &message_id).await?;
    let journey = journey(&state, &account, &message_id).await?;
    render(&MessagePage {
        account: journey.account,
        message: journey.message,
        callbacks: journey.callbacks,
    })
}

/// The message's timeline as server-sent events: an event `timeline` with
/// the timeline's HTML whenever it changes (read every second, for at
/// most ten minutes; then the browser reconnects). At most
/// `--console-live-views` at once: past that, 503.
#[utoipa::path(
    get,
    path = "/console/messages/{message_id}/live",
    tag = "console",
    params(("message_id" = String, Path, description = "The message's id.")),
    responses(
        (status = 200, description = "Events `timeline`, each the timeline's HTML.",
            content_type = "text/event-stream", body = String),
        (status = 303, description = "Not signed in: to the sign-in page."),
        (status = 400, description = "A bad id.", content_type = "text/html", body = String),
        (status = 404, description = "No admin token (no console), or no such message.",
            content_type = "text/html", body = String),
        (status = 503, description = "Too many live views, or the store failed.",
            content_type = "text/html", body = String),
    ),
)]
pub async fn live(
    _operator: Operator,
    State(state): State<AppState>,
    Path(message_id): Path<String>,
) -> Result<Response, ConsoleError> {
    // The message must exist before a stream starts; its owner is read once.
    let account = owner(&state, &message_id).await?;
    let id = (account, message_id);
    let state = state.clone();
    super::live::stream(&state.clone(), "timeline", move || {
        let (state, id) = (state.clone(), id.clone());
        async move {
            // The message is gone, or the store failed: the stream ends.
            let journey = journey(&state, &id.0, &id.1).await.ok()?;
            Timeline {
                message: journey.message,
                callbacks: journey.callbacks,
            }
            .render()
            .ok()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(fields: &[(&str, &str)]) -> SearchForm {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let uri: axum::http::Uri = format!("/console/messages?{query}").parse().expect("a URI");
        Query::<SearchForm>::try_from_uri(&uri)
            .expect("a search form")
            .0
    }

    #[test]
    fn a_search_by_ref_id_or_destination_reads_the_last_day_unless_since_is_given() {
        for fields in [[("refId", "r1")], [("destination", "46701234567")]] {
            let before = now_millis();
            let search = form(&fields).search().expect("valid");
            let since = search.since.expect("a default window");
            assert!(
                (before - DEFAULT_WINDOW_MS..=now_millis() - DEFAULT_WINDOW_MS).contains(&since),
                "{fields:?}: {since}"
            );
        }
        let given = form(&[("refId", "r1"), ("since", "2026-01-01T00:00:00Z")])
            .search()
            .expect("valid");
        assert_eq!(given.since, parse_rfc3339("2026-01-01T00:00:00Z"));
        // A messageId, or no field the index does not cover: no window.
        for fields in [
            vec![("messageId", "m1"), ("refId", "r1")],
            vec![("state", "READ")],
        ] {
            assert_eq!(
                form(&fields).search().expect("valid").since,
                None,
                "{fields:?}"
            );
        }
        assert_eq!(
            form(&[("destination", "46701234567")])
                .search()
                .expect("valid")
                .destination
                .as_deref(),
            Some("+46701234567")
        );
    }
}
