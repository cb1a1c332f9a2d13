//! A batch's rows, typed, and the bookkeeping around them, shared by both
//! backends.
//!
//! SQLite's writer thread binds each row to one execution of a cached
//! prepared statement. PostgreSQL takes a batch as one typed array per
//! column, so a transaction costs it a fixed number of round trips however
//! many rows it writes.

use std::borrow::Cow;
use std::collections::HashSet;

use wagate_domain::MessageState;
use wagate_domain::care_window;
use wagate_domain::progression::{self, ArrivingStatus};

use super::rows::{StoreRow, corrupt, state};
use super::{Millis, Outcome, OutcomeChange, StoreResult, WebhookBatch, WebhookReceipt};

/// A batch of outcomes as rows: the resends (which stay in the outbox), the
/// settled (which leave it), and, once the backend has said which outbox
/// rows its leases still held, the history entries of the outcomes that
/// count.
pub struct OutcomeRows<'a> {
    outcomes: &'a [Outcome],
    rows: Vec<OutcomeRow<'a>>,
}

/// One outcome as the batch statements read it.
pub struct OutcomeRow<'a> {
    pub id: &'a str,
    pub index: u32,
    /// The lease the part was claimed under.
    pub owner: &'a str,
    /// When a resend is due; `None` for an outcome that leaves the outbox.
    pub due: Option<Millis>,
    pub sort_key: Option<Millis>,
    entry: HistoryEntry<'a>,
}

impl OutcomeRow<'_> {
    pub fn is_resend(&self) -> bool {
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

    /// Every row, in batch order.
    pub fn in_order(&self) -> &[OutcomeRow<'a>] {
        &self.rows
    }

    /// The rows that leave the outbox (submitted or finished).
    pub fn settled(&self) -> Vec<&OutcomeRow<'a>> {
        self.rows.iter().filter(|row| !row.is_resend()).collect()
    }

    /// The rows that stay in the outbox, due again later.
    pub fn resends(&self) -> Vec<&OutcomeRow<'a>> {
        self.rows.iter().filter(|row| row.is_resend()).collect()
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

    /// The history entries of the outcomes that count, in batch order.
    pub fn kept(&self, recorded: &[bool]) -> Vec<&HistoryEntry<'a>> {
        self.rows
            .iter()
            .zip(recorded)
            .filter_map(|(row, recorded)| recorded.then_some(&row.entry))
            .collect()
    }

    /// The waiting statuses of the submissions that count (statuses Meta
    /// reported before they were recorded join their parts now): for each,
    /// those whose tag names its message with the wamid it got, and those of
    /// that wamid without a tag.
    pub fn submitted(&self, recorded: &[bool]) -> Vec<WaitingKey<'a>> {
        self.outcomes
            .iter()
            .zip(recorded)
            .filter_map(|(outcome, recorded)| match &outcome.change {
                OutcomeChange::Submitted { wamid, .. } if *recorded => Some(
                    [outcome.message_id.as_str(), ""].map(|message_id| WaitingKey {
                        message_id,
                        wamid: wamid.as_str(),
                    }),
                ),
                _ => None,
            })
            .flatten()
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
        entry: HistoryEntry {
            id: &outcome.message_id,
            index: i64::from(outcome.message_index),
            state: status.state,
            code: i64::from(status.result_code),
            description: Cow::Borrowed(&status.description),
            details: status
                .details
                .as_ref()
                .map(serde_json::to_string)
                .transpose()?
                .map(Cow::Owned),
            at: outcome.at,
            attempted: i64::from(outcome.attempted),
            wamid,
            silent: false,
        },
    })
}

/// What a group of webhooks writes: Meta's statuses, incoming messages, the
/// care windows they open and the contact pairs they reveal, each in batch
/// order.
pub struct WebhookRows<'a> {
    pub statuses: Vec<StatusRow<'a>>,
    pub inbound: Vec<InboundRow<'a>>,
    pub care_windows: Vec<CareWindowRow<'a>>,
    pub contacts: Vec<ContactRow<'a>>,
}

/// A status Meta reported.
pub struct StatusRow<'a> {
    /// The part its tag names ([`StatusReport::part`]): its message id
    /// (empty for a status without a tag) and index (0 then).
    ///
    /// [`StatusReport::part`]: super::StatusReport::part
    pub message_id: &'a str,
    pub message_index: i64,
    pub wamid: &'a str,
    pub phone_number_id: &'a str,
    pub status: &'a str,
    pub at: Millis,
    /// `None` for a status the gateway does not know.
    pub state: Option<&'static str>,
    pub code: u32,
    pub description: &'a str,
    /// The details as JSON text (`{}` when none).
    pub details: String,
}

/// An incoming message.
pub struct InboundRow<'a> {
    pub wamid: &'a str,
    pub phone_number_id: &'a str,
    pub display: &'a str,
    pub at: Millis,
    /// The Cloud API message object as JSON text.
    pub message: String,
    /// The sender's `contacts[]` entry as JSON text.
    pub contact: Option<String>,
}

/// A care window an incoming message opens, for one id of its sender.
pub struct CareWindowRow<'a> {
    pub pnid: &'a str,
    pub user: &'a str,
    pub at: Millis,
}

/// A phone number and the BSUIDs a webhook names it with.
pub struct ContactRow<'a> {
    pub pnid: &'a str,
    pub phone: &'a str,
    pub user_id: Option<&'a str>,
    pub parent_user_id: Option<&'a str>,
    pub at: Millis,
}

impl<'a> WebhookRows<'a> {
    pub fn new(batches: &'a [WebhookBatch]) -> StoreResult<Self> {
        let mut statuses = Vec::new();
        let mut inbound = Vec::new();
        for batch in batches {
            for report in &batch.statuses {
                let change = report.change.as_ref();
                let part = report.part.as_ref();
                statuses.push(StatusRow {
                    message_id: part.map_or("", |part| part.message_id.as_str()),
                    message_index: part.map_or(0, |part| i64::from(part.index)),
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
            statuses,
            inbound,
            care_windows: care_windows(batches),
            contacts: contact_pairs(batches),
        })
    }
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

/// Which waiting Meta statuses a part looks up: those whose tag names the
/// message `message_id` with this wamid, or, with `message_id` empty, those
/// of this wamid that carry no tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct WaitingKey<'a> {
    pub message_id: &'a str,
    pub wamid: &'a str,
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

/// A status joining a part's history, and for a part whose state moves,
/// the part's new history fields.
pub struct HistoryEntry<'a> {
    pub id: &'a str,
    pub index: i64,
    pub state: MessageState,
    pub code: i64,
    pub description: Cow<'a, str>,
    /// The details as JSON text.
    pub details: Option<Cow<'a, str>>,
    pub at: Millis,
    /// Tries to add to the part's count (a dispatcher's outcome).
    pub attempted: i64,
    /// The wamid a submission got.
    pub wamid: Option<&'a str>,
    /// Whether the status joins the history without an event (it does not
    /// move the part's state).
    pub silent: bool,
}

/// A part: its message id and index.
type PartKey = (String, i64);

/// What a waiting Meta status brings to its history entry.
struct WaitingReport {
    code: i64,
    description: String,
    details: String,
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
    known: Vec<WaitingReport>,
    arriving: Vec<ArrivingStatus<PartKey>>,
    progression: progression::Progression<PartKey>,
}

impl ReportPlan {
    /// The rows as the domain's arriving statuses (see
    /// [`wagate_domain::progression`]), and its answer.
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
                known.push(WaitingReport {
                    code: report.get::<i64>("result_code")?,
                    description: report.get::<String>("description")?,
                    details: report.get::<String>("details")?,
                });
            }
        }
        let progression = progression::progress(&arriving);
        Ok(Self {
            applied,
            known,
            arriving,
            progression,
        })
    }

    /// The history entry of the `index`th known status.
    fn entry(&self, index: usize, silent: bool) -> HistoryEntry<'_> {
        let (report, status) = (&self.known[index], &self.arriving[index]);
        HistoryEntry {
            id: &status.part.0,
            index: status.part.1,
            state: status.state,
            code: report.code,
            description: Cow::Borrowed(&report.description),
            details: Some(Cow::Borrowed(&report.details)),
            at: status.at,
            attempted: 0,
            wamid: None,
            silent,
        }
    }

    /// The part rows (the history fields) of the parts whose state moves.
    pub fn moved(&self) -> Vec<HistoryEntry<'_>> {
        self.progression
            .moved
            .iter()
            .map(|(_, index)| self.entry(*index, false))
            .collect()
    }

    /// The status entries to append, in order, with their `silent` flag.
    pub fn entries(&self) -> Vec<HistoryEntry<'_>> {
        self.progression
            .entries
            .iter()
            .map(|planned| self.entry(planned.status, planned.silent))
            .collect()
    }
}
