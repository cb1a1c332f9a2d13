//! The JSON arrays that carry a batch into one SQL statement per table, and
//! the bookkeeping around them, shared by both backends.
//!
//! A batch travels as one JSON array per statement (SQLite reads it with
//! `json_each`, PostgreSQL with `jsonb_array_elements`), so a transaction
//! costs a fixed number of statements however many rows it writes. The
//! field names here are the ones the backends' SQL reads.

use std::collections::HashSet;

use serde::Serialize;
use wagate_domain::MessageState;
use wagate_domain::care_window;
use wagate_domain::progression::{self, ArrivingStatus};

use super::rows::{StoreRow, corrupt, state};
use super::{
    Millis, NewDelivery, NewRequest, Outcome, OutcomeChange, StoreError, StoreResult, WebhookBatch,
    WebhookReceipt,
};

/// The accepted requests as three JSON arrays for PostgreSQL (SQLite's
/// writer thread binds each row instead), each in batch order: messages
/// (`id`, `account`, `user`, `source`, `destination`, `ref`, `priority`,
/// `expires`, `created`, `serviceId`, `serviceType`, `transactionId`,
/// `custom`, `gates`), parts (`id`, `index`, `type`, `body`, `contentUntil`,
/// `created`) and
/// their outbox entries (`id`, `index`, `source`, `sortKey`, `created`).
pub struct AcceptRows {
    pub messages: String,
    pub parts: String,
    pub outbox: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MessageRow<'a> {
    id: &'a str,
    account: &'a str,
    user: &'a str,
    source: &'a str,
    destination: &'a str,
    #[serde(rename = "ref")]
    ref_id: &'a str,
    priority: &'static str,
    expires: Millis,
    created: Millis,
    service_id: Option<&'a str>,
    service_type: Option<&'a str>,
    transaction_id: Option<&'a str>,
    custom: &'a str,
    gates: &'a str,
    callback_url: Option<&'a str>,
    callback_data: Option<&'a str>,
    request_id: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PartRow<'a> {
    id: &'a str,
    index: u32,
    #[serde(rename = "type")]
    kind: &'a str,
    body: &'a str,
    content_until: Millis,
    created: Millis,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutboxRow<'a> {
    id: &'a str,
    index: u32,
    source: &'a str,
    sort_key: Millis,
    created: Millis,
}

/// Room for a row's fields other than the texts counted separately.
const ROW_BYTES: usize = 256;

impl AcceptRows {
    /// Serialized straight from the requests, without copying the Cloud API
    /// bodies into an intermediate JSON tree.
    pub fn new(batch: &[NewRequest]) -> StoreResult<Self> {
        let encoded = batch
            .iter()
            .map(|request| {
                Ok((
                    serde_json::to_string(&request.custom_parameters)?,
                    serde_json::to_string(&request.gate_ids)?,
                ))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let message_count = batch.iter().map(|request| request.messages.len()).sum();
        let mut messages = Vec::with_capacity(message_count);
        let mut parts = Vec::new();
        let mut outbox = Vec::new();
        let mut texts = 0usize;
        let mut bodies = 0usize;
        for (request, (custom, gates)) in batch.iter().zip(&encoded) {
            let platform = &request.platform;
            for message in &request.messages {
                messages.push(MessageRow {
                    id: &message.message_id,
                    account: &request.account_id,
                    user: &request.username,
                    source: &request.source,
                    destination: &message.destination,
                    ref_id: &request.ref_id,
                    priority: request.priority.as_str(),
                    expires: request.expires_at,
                    created: request.created_at,
                    service_id: platform.platform_service_id.as_deref(),
                    service_type: platform.platform_service_type.as_deref(),
                    transaction_id: platform.platform_transaction_id.as_deref(),
                    custom,
                    gates,
                    callback_url: request.callback.as_ref().map(|c| c.url.as_str()),
                    callback_data: request.callback.as_ref().and_then(|c| c.data.as_deref()),
                    request_id: request.request_id.as_deref(),
                });
                texts += custom.len() + gates.len() + request.ref_id.len();
                if let Some(callback) = &request.callback {
                    texts += callback.url.len() + callback.data.as_ref().map_or(0, String::len);
                }
                for part in &message.parts {
                    parts.push(PartRow {
                        id: &message.message_id,
                        index: part.message_index,
                        kind: &part.message_type,
                        body: &part.cloud_body,
                        content_until: request.content_until,
                        created: request.created_at,
                    });
                    // A body is JSON: its quotes come back escaped.
                    bodies += part.cloud_body.len() + part.cloud_body.len() / 8;
                    outbox.push(OutboxRow {
                        id: &message.message_id,
                        index: part.message_index,
                        source: &request.source,
                        sort_key: request.created_at - request.priority.lead_millis(),
                        created: request.created_at,
                    });
                }
            }
        }
        Ok(Self {
            messages: json_array(&messages, texts + messages.len() * ROW_BYTES)?,
            parts: json_array(&parts, bodies + parts.len() * ROW_BYTES)?,
            outbox: json_array(&outbox, outbox.len() * ROW_BYTES)?,
        })
    }
}

/// `rows` as a JSON array, written into a buffer of `capacity` bytes.
fn json_array<T: Serialize>(rows: &[T], capacity: usize) -> StoreResult<String> {
    let mut out = Vec::with_capacity(capacity);
    serde_json::to_writer(&mut out, rows)?;
    String::from_utf8(out).map_err(|error| StoreError::Corrupt(serde::ser::Error::custom(error)))
}

/// A batch of outcomes as rows (`id`, `index`, `owner`, `due`, `sortKey`,
/// `wamid`, `state`, `code`, `description`, `details`, `at`, `attempted`):
/// the resends (which stay in the outbox), the settled (which leave it),
/// and, once the backend has said which outbox rows its leases still held,
/// which outcomes count.
pub struct OutcomeRows<'a> {
    outcomes: &'a [Outcome],
    rows: Vec<OutcomeRow<'a>>,
}

/// One outcome as the batch statements read it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutcomeRow<'a> {
    id: &'a str,
    index: u32,
    owner: &'a str,
    /// When a resend is due; `None` for an outcome that leaves the outbox.
    due: Option<Millis>,
    sort_key: Option<Millis>,
    wamid: Option<&'a str>,
    state: &'static str,
    code: u32,
    description: &'a str,
    /// The status details as JSON text.
    details: Option<String>,
    at: Millis,
    attempted: i64,
}

impl OutcomeRow<'_> {
    fn is_resend(&self) -> bool {
        self.due.is_some()
    }
}

impl<'a> OutcomeRows<'a> {
    pub fn new(outcomes: &'a [Outcome]) -> StoreResult<Self> {
        let rows = outcomes
            .iter()
            .map(outcome_row)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Self { outcomes, rows })
    }

    /// The rows that leave the outbox (submitted or finished).
    pub fn settled(&self) -> StoreResult<String> {
        self.rows_where(|row| !row.is_resend())
    }

    /// The rows that stay in the outbox, due again later.
    pub fn resends(&self) -> StoreResult<String> {
        self.rows_where(OutcomeRow::is_resend)
    }

    fn rows_where(&self, keep: impl Fn(&OutcomeRow<'a>) -> bool) -> StoreResult<String> {
        let rows: Vec<&OutcomeRow<'a>> = self.rows.iter().filter(|row| keep(row)).collect();
        Ok(serde_json::to_string(&rows)?)
    }

    /// Which outcomes count, given the (message, index) rows their leases
    /// still held: each held row for one outcome only (the first of the
    /// batch).
    pub fn recorded(&self, mut still_leased: HashSet<(String, i64)>) -> Vec<bool> {
        self.outcomes
            .iter()
            .map(|outcome| {
                still_leased.remove(&(outcome.message_id.clone(), i64::from(outcome.message_index)))
            })
            .collect()
    }

    /// The rows of the outcomes that count, for the history; `None` when
    /// none does.
    pub fn kept(&self, recorded: &[bool]) -> StoreResult<Option<String>> {
        let kept: Vec<&OutcomeRow<'a>> = self
            .rows
            .iter()
            .zip(recorded)
            .filter_map(|(row, recorded)| recorded.then_some(row))
            .collect();
        if kept.is_empty() {
            return Ok(None);
        }
        Ok(Some(serde_json::to_string(&kept)?))
    }

    /// The wamids of the submissions that count (statuses Meta reported
    /// before they were recorded join their parts now).
    pub fn submitted_wamids(&self, recorded: &[bool]) -> Vec<&'a str> {
        self.outcomes
            .iter()
            .zip(recorded)
            .filter_map(|(outcome, recorded)| match &outcome.change {
                OutcomeChange::Submitted { wamid, .. } if *recorded => Some(wamid.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// One outcome as the row the batch statements read.
fn outcome_row(outcome: &Outcome) -> StoreResult<OutcomeRow<'_>> {
    let status = outcome.change.status();
    let (due, sort_key, wamid) = match &outcome.change {
        OutcomeChange::Resend {
            due_at, sort_key, ..
        } => (Some(*due_at), Some(*sort_key), None),
        OutcomeChange::Submitted { wamid, .. } => (None, None, Some(wamid.as_str())),
        OutcomeChange::Finished { .. } => (None, None, None),
    };
    Ok(OutcomeRow {
        id: &outcome.message_id,
        index: outcome.message_index,
        owner: &outcome.lease,
        due,
        sort_key,
        wamid,
        state: status.state.as_str(),
        code: status.result_code,
        description: &status.description,
        details: status
            .details
            .as_ref()
            .map(serde_json::to_string)
            .transpose()?,
        at: outcome.at,
        attempted: i64::from(outcome.attempted),
    })
}

/// What a group of webhooks writes, as JSON arrays (each `None` when
/// empty): Meta's statuses (`wamid`, `phoneNumberId`, `status`, `at`,
/// `state`, `code`, `description`, `details`), incoming messages (`wamid`,
/// `phoneNumberId`, `display`, `at`, `message`, `contact`), the care windows
/// they open (`pnid`, `user`, `at`) and the contact pairs they reveal
/// (`pnid`, `phone`, `userId`, `parentUserId`, `at`).
pub struct WebhookRows {
    pub statuses: Option<String>,
    pub inbound: Option<String>,
    pub care_windows: Option<String>,
    pub contacts: Option<String>,
}

/// A status Meta reported, as the row the statements read.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatusRow<'a> {
    wamid: &'a str,
    phone_number_id: &'a str,
    status: &'a str,
    at: Millis,
    /// `None` for a status the gateway does not know.
    state: Option<&'static str>,
    code: u32,
    description: &'a str,
    /// The details as JSON text (`{}` when none).
    details: String,
}

/// An incoming message, as the row the statements read.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InboundRow<'a> {
    wamid: &'a str,
    phone_number_id: &'a str,
    display: &'a str,
    at: Millis,
    /// The Cloud API message object as JSON text.
    message: String,
    /// The sender's `contacts[]` entry as JSON text.
    contact: Option<String>,
}

/// A care window an incoming message opens, for one id of its sender.
#[derive(Serialize)]
struct CareWindowRow<'a> {
    pnid: &'a str,
    user: &'a str,
    at: Millis,
}

/// A phone number and the BSUIDs a webhook names it with.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ContactRow<'a> {
    pnid: &'a str,
    phone: &'a str,
    user_id: Option<&'a str>,
    parent_user_id: Option<&'a str>,
    at: Millis,
}

impl WebhookRows {
    pub fn new(batches: &[WebhookBatch]) -> StoreResult<Self> {
        let mut statuses = Vec::new();
        let mut inbound = Vec::new();
        for batch in batches {
            for report in &batch.statuses {
                let change = report.change.as_ref();
                statuses.push(StatusRow {
                    wamid: &report.wamid,
                    phone_number_id: &report.phone_number_id,
                    status: &report.status,
                    at: report.at,
                    state: change.map(|status| status.state.as_str()),
                    code: change.map_or(0, |status| status.result_code),
                    description: change
                        .map_or(report.status.as_str(), |status| status.description.as_str()),
                    details: change
                        .and_then(|status| status.details.as_ref())
                        .map(serde_json::to_string)
                        .transpose()?
                        .unwrap_or_else(|| "{}".into()),
                });
            }
            for message in &batch.inbound {
                inbound.push(InboundRow {
                    wamid: &message.wamid,
                    phone_number_id: &message.phone_number_id,
                    display: &message.display_phone_number,
                    at: message.at,
                    message: serde_json::to_string(&message.message)?,
                    contact: message
                        .contact
                        .as_ref()
                        .map(serde_json::to_string)
                        .transpose()?,
                });
            }
        }
        Ok(Self {
            statuses: array(&statuses)?,
            inbound: array(&inbound)?,
            care_windows: array(&care_windows(batches))?,
            contacts: array(&contact_pairs(batches))?,
        })
    }
}

/// The rows as a JSON array; `None` when there are none.
fn array<T: Serialize>(rows: &[T]) -> StoreResult<Option<String>> {
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(serde_json::to_string(rows)?))
}

/// The care windows the incoming messages open or extend (see
/// [`wagate_domain::care_window::opened_by`]), one row per id of the sender.
fn care_windows(batches: &[WebhookBatch]) -> Vec<CareWindowRow<'_>> {
    let mut windows = Vec::new();
    for message in batches.iter().flat_map(|batch| &batch.inbound) {
        for user in care_window::opened_by(&message.message, &message.sender) {
            windows.push(CareWindowRow {
                pnid: &message.phone_number_id,
                user,
                at: message.at,
            });
        }
    }
    windows
}

/// The contact pairs the statuses and incoming messages reveal (see
/// [`wagate_domain::ContactIds::pair`]), for the contact book of the tenant
/// owning the business number each webhook is for.
fn contact_pairs(batches: &[WebhookBatch]) -> Vec<ContactRow<'_>> {
    let mut pairs = Vec::new();
    for batch in batches {
        let statuses = batch
            .statuses
            .iter()
            .map(|report| (&report.phone_number_id, &report.recipient, report.at));
        let inbound = batch
            .inbound
            .iter()
            .map(|message| (&message.phone_number_id, &message.sender, message.at));
        for (phone_number_id, ids, at) in statuses.chain(inbound) {
            if let Some(pair) = ids.pair() {
                pairs.push(ContactRow {
                    pnid: phone_number_id,
                    phone: pair.phone,
                    user_id: pair.user_id,
                    parent_user_id: pair.parent_user_id,
                    at,
                });
            }
        }
    }
    pairs
}

/// What a status is kept once by: (wamid, business number, status). The
/// business number belongs to it because a status is only applied to a
/// message sent from the number it names: one naming another number must not
/// take the place of the genuine status that follows.
pub type StatusKey = (String, String, String);

/// What each webhook changed, given the statuses and incoming messages the
/// store took as new: the first mention of each new row counts as new;
/// every other, as a repeat (Meta's, or the same webhook twice in a group).
pub fn receipts(
    batches: &[WebhookBatch],
    mut new_statuses: HashSet<StatusKey>,
    mut new_inbound: HashSet<String>,
) -> Vec<WebhookReceipt> {
    batches
        .iter()
        .map(|batch| {
            let mut receipt = WebhookReceipt::default();
            for report in &batch.statuses {
                let key = (
                    report.wamid.clone(),
                    report.phone_number_id.clone(),
                    report.status.clone(),
                );
                if new_statuses.remove(&key) {
                    receipt.new_statuses += 1;
                } else {
                    receipt.repeated_statuses += 1;
                }
            }
            for message in &batch.inbound {
                if new_inbound.remove(&message.wamid) {
                    receipt.new_inbound += 1;
                } else {
                    receipt.repeated_inbound += 1;
                }
            }
            receipt
        })
        .collect()
}

/// A delivery to queue, as the row the statement reads.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeliveryRow<'a> {
    origin: &'a str,
    gate: &'a str,
    account: &'a str,
    ordering: &'a str,
    url: Option<&'a str>,
    payload: &'a str,
    content_until: Option<Millis>,
    request_id: Option<&'a str>,
}

/// Deliveries to queue (`origin`, `gate`, `account`, `ordering`, `url`,
/// `payload`, `contentUntil`, `requestId`); `None` when there are none.
pub fn delivery_rows(deliveries: &[NewDelivery]) -> StoreResult<Option<String>> {
    let rows: Vec<DeliveryRow<'_>> = deliveries
        .iter()
        .map(|delivery| DeliveryRow {
            origin: &delivery.origin,
            gate: &delivery.gate_id,
            account: &delivery.account_id,
            ordering: &delivery.ordering,
            url: delivery.url.as_deref(),
            payload: &delivery.payload,
            content_until: delivery.content_until,
            request_id: delivery.request_id.as_deref(),
        })
        .collect();
    array(&rows)
}

/// A status joining a part's history (and, for a part whose state moves,
/// the part's new history fields), as the row the statements read.
#[derive(Serialize)]
struct HistoryRow<'a> {
    id: &'a str,
    index: i64,
    state: &'static str,
    code: i64,
    description: String,
    /// The details as JSON text.
    details: String,
    at: Millis,
    /// Whether the status joins the history without an event (it does not
    /// move the part's state).
    silent: bool,
}

/// How waiting Meta statuses join their parts' histories.
///
/// The backend selects them (columns `report_row`, a key of the report;
/// `report_state`, `result_code`, `description`, `details`, `at`; the part's
/// `message_id`, `message_index` and `part_state`), ordered by `at` and then
/// arrival. Where each known status goes is the domain's rule
/// ([`wagate_domain::progression::progress`]): the history in Meta's time
/// order, the state only forward, a status that does not move it silent (no
/// callback).
pub struct ReportPlan {
    /// The reports to mark applied.
    pub applied: Vec<i64>,
    /// Part rows (the history fields) of the parts whose state moves.
    pub moved: Option<String>,
    /// Status entries to append, in order, with their `silent` flag.
    pub entries: Option<String>,
}

impl ReportPlan {
    /// The rows as the domain's arriving statuses (see
    /// [`wagate_domain::progression`]), then its answer as the rows the
    /// backend writes.
    pub fn new<R: StoreRow>(reports: &[R]) -> StoreResult<Self> {
        let mut applied = Vec::new();
        let mut known = Vec::new();
        let mut arriving = Vec::new();
        for report in reports {
            applied.push(report.get::<i64>("report_row")?);
            // A status the gateway does not know is marked applied but
            // joins no history.
            if report.get::<Option<String>>("report_state")?.is_some() {
                let part_state: String = report.get("part_state")?;
                arriving.push(ArrivingStatus {
                    part: (
                        report.get::<String>("message_id")?,
                        report.get::<i64>("message_index")?,
                    ),
                    at: report.get::<i64>("at")?,
                    state: state(report, "report_state")?,
                    part_state: MessageState::parse(&part_state)
                        .ok_or_else(|| corrupt("state", &part_state))?,
                });
                known.push(report);
            }
        }
        let progression = progression::progress(&arriving);
        let entry = |index: usize, silent: bool| -> StoreResult<HistoryRow<'_>> {
            let (report, status) = (known[index], &arriving[index]);
            Ok(HistoryRow {
                id: &status.part.0,
                index: status.part.1,
                state: status.state.as_str(),
                code: report.get::<i64>("result_code")?,
                description: report.get::<String>("description")?,
                details: report.get::<String>("details")?,
                at: status.at,
                silent,
            })
        };
        let entries = progression
            .entries
            .iter()
            .map(|planned| entry(planned.status, planned.silent))
            .collect::<StoreResult<Vec<_>>>()?;
        let moved = progression
            .moved
            .iter()
            .map(|(_, index)| entry(*index, false))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Self {
            applied,
            moved: array(&moved)?,
            entries: array(&entries)?,
        })
    }
}
