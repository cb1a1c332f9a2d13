//! Builders for the contract tests: one fresh store per test with the
//! account `acc` (and, where a test needs it, its business number), and the
//! requests, outcomes, webhooks and deliveries the tests hand the store.

use std::sync::Arc;

use wagate::store::{
    Account, ClaimedPart, ContactIds, Gate, GateFormat, InboundReport, MessageRecord, NewDelivery,
    NewMessage, NewPart, NewRequest, NewStatus, Outcome, OutcomeChange, PartRecord, PlatformFields,
    Source, SourceLevel, StatusReport, Store, WebhookBatch,
};
use wagate_domain::{MessageState, Priority};

use crate::common::{Backend, TestDatabase};

/// The account every test's rows belong to.
pub const ACCOUNT: &str = "acc";
/// The account's business number, the outbox the tests claim from.
pub const SOURCE: &str = "+46700000400";
/// The Cloud API id of [`SOURCE`], which Meta's webhooks name.
pub const PNID: &str = "pnid-acc";
/// The destination of [`request`]'s messages.
pub const USER_PHONE: &str = "+46701234567";

/// A store on a fresh database of `backend`, with the account [`ACCOUNT`];
/// the database lives as long as the [`TestDatabase`].
pub async fn open(backend: Backend) -> (Arc<dyn Store>, TestDatabase) {
    let database = TestDatabase::create(backend).await;
    let store = database.store_with_account().await;
    (store, database)
}

/// [`open`] with the business number [`SOURCE`] ([`PNID`]) and the gates
/// `gates` of the account.
pub async fn open_with(backend: Backend, gates: &[&str]) -> (Arc<dyn Store>, TestDatabase) {
    let (store, database) = open(backend).await;
    store
        .insert_source(&source("src", SOURCE, Some(PNID)))
        .await
        .expect("source");
    for id in gates {
        store.insert_gate(&gate(id)).await.expect("gate");
    }
    (store, database)
}

pub fn account(id: &str, platform_id: &str) -> Account {
    Account {
        id: id.into(),
        platform_id: platform_id.into(),
        platform_partner_id: "pp".into(),
        name: None,
        default_country: None,
        created_at: 0,
    }
}

/// A business number of [`ACCOUNT`].
pub fn source(id: &str, number: &str, phone_number_id: Option<&str>) -> Source {
    Source {
        id: id.into(),
        account_id: ACCOUNT.into(),
        number: number.into(),
        phone_number_id: phone_number_id.map(Into::into),
        waba_id: None,
        access_token: None,
        level: SourceLevel::Standard,
        throughput: None,
        care_window_check: true,
        created_at: 0,
    }
}

/// A callback gate of [`ACCOUNT`] (nothing listens at its URL).
pub fn gate(id: &str) -> Gate {
    Gate {
        id: id.into(),
        account_id: ACCOUNT.into(),
        url: format!("http://127.0.0.1:9/{id}"),
        format: GateFormat::Link,
        custom_parameters: Default::default(),
        signing_secret: None,
        created_at: 0,
    }
}

/// A request of one message `id` to [`USER_PHONE`] from [`SOURCE`] with
/// `parts` parts (each body names its index), whose content may be erased
/// from `created_at` on.
pub fn request(id: &str, priority: Priority, created_at: i64, parts: u32) -> NewRequest {
    NewRequest {
        account_id: ACCOUNT.into(),
        username: "u".into(),
        source: SOURCE.into(),
        ref_id: id.into(),
        priority,
        expires_at: created_at + 3_600_000,
        created_at,
        platform: PlatformFields::default(),
        custom_parameters: Default::default(),
        gate_ids: Vec::new(),
        callback: None,
        content_until: created_at,
        request_id: Some(format!("req-{id}")),
        messages: vec![NewMessage {
            message_id: id.into(),
            destination: USER_PHONE.into(),
            parts: (0..parts)
                .map(|index| NewPart {
                    message_index: index,
                    message_type: "text".into(),
                    cloud_body: format!("{{\"index\":{index}}}"),
                })
                .collect(),
        }],
    }
}

/// Accepts message `m1` (NORMAL, at 1 s) with `parts` parts.
pub async fn accept_m1(store: &dyn Store, parts: u32) {
    store
        .accept(&[request("m1", Priority::Normal, 1_000, parts)])
        .await
        .expect("accept");
}

/// Claims up to 10 due parts of [`SOURCE`] under `lease` at `now`.
pub async fn claim(store: &dyn Store, lease: &str, now: i64, lease_until: i64) -> Vec<ClaimedPart> {
    store
        .claim(SOURCE, lease, now, lease_until, 10)
        .await
        .expect("claim")
}

/// (message, index) of each claimed part, in claim order.
pub fn keys(parts: &[ClaimedPart]) -> Vec<(String, u32)> {
    parts
        .iter()
        .map(|part| (part.message_id.clone(), part.message_index))
        .collect()
}

pub fn outcome(id: &str, index: u32, lease: &str, change: OutcomeChange) -> Outcome {
    Outcome {
        message_id: id.into(),
        message_index: index,
        account_id: ACCOUNT.into(),
        lease: lease.into(),
        at: 5_000,
        attempted: true,
        change,
    }
}

/// Records `change` for `m1`'s part `index` under `lease`; whether it was
/// recorded.
pub async fn record(store: &dyn Store, index: u32, lease: &str, change: OutcomeChange) -> bool {
    let recorded = store
        .record(&[outcome("m1", index, lease, change)])
        .await
        .expect("record");
    recorded == [true]
}

pub fn submitted(wamid: &str) -> OutcomeChange {
    OutcomeChange::Submitted {
        wamid: wamid.into(),
        status: new_status(MessageState::Submitted, 112002, "sent to WA"),
    }
}

/// A resend due at `due` (sorted there too).
pub fn resend(due: i64) -> OutcomeChange {
    OutcomeChange::Resend {
        due_at: due,
        sort_key: due,
        status: new_status(MessageState::Queued, 112406, "resend 1 of 15 scheduled"),
    }
}

pub fn new_status(state: MessageState, result_code: u32, description: &str) -> NewStatus {
    NewStatus {
        state,
        result_code,
        description: description.into(),
        details: None,
    }
}

/// Meta's status `status` of `wamid` for [`PNID`], at `at`, mapped to
/// `state` and `code`.
pub fn report(wamid: &str, status: &str, at: i64, state: MessageState, code: u32) -> StatusReport {
    StatusReport {
        wamid: wamid.into(),
        phone_number_id: PNID.into(),
        recipient: ContactIds::default(),
        part: None,
        status: status.into(),
        at,
        change: Some(new_status(state, code, status)),
    }
}

/// An incoming text `wamid` from `sender` to [`PNID`] at `at`.
pub fn inbound(wamid: &str, at: i64, sender: ContactIds) -> InboundReport {
    InboundReport {
        wamid: wamid.into(),
        phone_number_id: PNID.into(),
        display_phone_number: SOURCE.trim_start_matches('+').into(),
        at,
        message: serde_json::json!({"type": "text", "text": {"body": "hi"}}),
        sender,
        contact: None,
    }
}

/// A bound on one step of the clean-up above any test's count of rows.
pub const NO_BOUND: u32 = 1_000;

/// The clean-up's steps of `batch` rows, while the server runs or once it
/// is `stopping`.
pub fn steps(batch: u32, stopping: bool) -> wagate::housekeeping::Steps {
    wagate::housekeeping::Steps {
        batch: std::num::NonZeroU32::new(batch).expect("a bound above 0"),
        stopped: tokio::sync::watch::channel(stopping).1,
    }
}

/// Contact ids: a phone number, a BSUID, a parent BSUID.
pub fn ids(phone: Option<&str>, user_id: Option<&str>, parent: Option<&str>) -> ContactIds {
    ContactIds {
        phone: phone.map(Into::into),
        user_id: user_id.map(Into::into),
        parent_user_id: parent.map(Into::into),
    }
}

pub fn statuses(reports: Vec<StatusReport>) -> WebhookBatch {
    WebhookBatch {
        statuses: reports,
        inbound: Vec::new(),
    }
}

/// The message `id` of [`ACCOUNT`], which must exist.
pub async fn message(store: &dyn Store, id: &str) -> MessageRecord {
    store
        .message(ACCOUNT, id)
        .await
        .expect("read")
        .expect("the message exists")
}

/// The result codes of a part's history, oldest first.
pub fn codes(part: &PartRecord) -> Vec<u32> {
    part.history
        .iter()
        .map(|status| status.result_code)
        .collect()
}

/// How many events the event queue holds.
pub async fn event_count(store: &dyn Store) -> usize {
    store.events_after(0, 1_000).await.expect("events").len()
}

/// The callback `origin` of message `ordering` to `gate` (its payload names
/// it), whose content is never kept.
pub fn delivery(gate: &str, ordering: &str, origin: &str) -> NewDelivery {
    NewDelivery {
        origin: origin.into(),
        gate_id: gate.into(),
        account_id: ACCOUNT.into(),
        ordering: ordering.into(),
        url: None,
        payload: origin.into(),
        content_until: None,
        request_id: Some(format!("req-{ordering}")),
    }
}
