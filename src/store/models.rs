//! The rows the store keeps, as plain Rust values shared by every backend.

use std::collections::BTreeMap;

use serde::Serialize;
use wagate_domain::Country;

/// Unix time in milliseconds.
pub type Millis = i64;

/// String key/value pairs (LINK's `KeyValue`), kept in key order.
pub type KeyValues = BTreeMap<String, String>;

/// The kinds of tenant rows the admin API manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantKind {
    Account,
    User,
    Source,
    Gate,
    Route,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub id: String,
    pub platform_id: String,
    pub platform_partner_id: String,
    pub name: Option<String>,
    /// The country numbers in local form are read in (LINK allows "local or
    /// international format"); without one they are refused.
    pub default_country: Option<Country>,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub username: String,
    pub account_id: String,
    /// PHC string of the argon2 hash.
    pub password_hash: String,
    /// SHA-256 (hex) of the API key; the key itself is shown once.
    pub api_key_hash: String,
    pub created_at: Millis,
}

/// Meta's messaging limit tier of a business number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum SourceLevel {
    Standard,
    High,
}

impl SourceLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "STANDARD",
            Self::High => "HIGH",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "STANDARD" => Some(Self::Standard),
            "HIGH" => Some(Self::High),
            _ => None,
        }
    }

    /// Messages per second Meta allows at this level.
    pub fn default_throughput(self) -> u32 {
        match self {
            Self::Standard => 80,
            Self::High => 1000,
        }
    }
}

/// A business phone number the tenant sends from.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub id: String,
    pub account_id: String,
    /// E.164, e.g. `+46701234567`.
    pub number: String,
    pub phone_number_id: Option<String>,
    pub waba_id: Option<String>,
    pub access_token: Option<String>,
    pub level: SourceLevel,
    /// Messages per second; `None` follows `level`.
    pub throughput: Option<u32>,
    /// Fail non-template messages outside the 24-hour window before sending.
    pub care_window_check: bool,
    pub created_at: Millis,
}

impl Source {
    /// Messages per second its submissions are paced at: its own
    /// `throughput` when set, else its level's.
    pub fn per_second(&self) -> u32 {
        self.throughput.unwrap_or(self.level.default_throughput())
    }
}

/// The payload format a gate receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum GateFormat {
    Link,
    Devino,
}

impl GateFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Link => "link",
            Self::Devino => "devino",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "link" => Some(Self::Link),
            "devino" => Some(Self::Devino),
            _ => None,
        }
    }
}

/// A callback endpoint (LINK's "event report gate").
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    pub id: String,
    pub account_id: String,
    pub url: String,
    pub format: GateFormat,
    pub custom_parameters: KeyValues,
    pub signing_secret: Option<String>,
    pub created_at: Millis,
}

/// Where incoming messages to a number go; `keyword` empty is the number's
/// default route.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub id: String,
    pub account_id: String,
    pub number: String,
    pub keyword: String,
    pub gate_ids: Vec<String>,
    pub ref_id: Option<String>,
    pub custom_parameters: KeyValues,
    pub created_at: Millis,
}

/// LINK's optional platform fields, kept with each message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlatformFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_service_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_service_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_transaction_id: Option<String>,
}

/// One accepted request: what is shared by its destinations, and one
/// [`NewMessage`] per destination.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub account_id: String,
    pub username: String,
    pub source: String,
    pub ref_id: String,
    pub priority: wagate_domain::Priority,
    pub expires_at: Millis,
    pub created_at: Millis,
    pub platform: PlatformFields,
    pub custom_parameters: KeyValues,
    pub gate_ids: Vec<String>,
    /// Where the messages' statuses go besides their gates (the Devino
    /// dialect's `callbackUrl`); its gate, the URL's origin, is among
    /// `gate_ids`.
    pub callback: Option<MessageCallback>,
    /// Until when its parts' content may be kept once they have left the
    /// outbox: `created_at` (erased as they leave it) unless the request
    /// asked to keep it (see [`crate::retention`]).
    pub content_until: Millis,
    /// The `X-Request-Id` of the API call (see [`crate::api::request_id`]):
    /// the message's submissions and reports log under it.
    pub request_id: Option<String>,
    pub messages: Vec<NewMessage>,
}

/// A message's own callback URL and the data its status callbacks carry
/// back (Devino's `callbackUrl` and `callbackData`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageCallback {
    pub url: String,
    pub data: Option<String>,
}

/// One destination of a request.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub message_id: String,
    pub destination: String,
    pub parts: Vec<NewPart>,
}

/// One (messageId, messageIndex): the Cloud API body that will be sent.
#[derive(Debug, Clone)]
pub struct NewPart {
    pub message_index: u32,
    pub message_type: String,
    pub cloud_body: String,
}

/// A message as the status query shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRecord {
    pub message_id: String,
    pub account_id: String,
    pub username: String,
    pub source: String,
    pub destination: String,
    pub ref_id: String,
    pub priority: wagate_domain::Priority,
    pub expires_at: Millis,
    pub created_at: Millis,
    pub platform: PlatformFields,
    pub custom_parameters: KeyValues,
    pub gate_ids: Vec<String>,
    pub callback: Option<MessageCallback>,
    /// The `X-Request-Id` of the API call that accepted it.
    pub request_id: Option<String>,
    pub parts: Vec<PartRecord>,
}

/// What the operator's message search asks for; every field given must
/// match (exactly: ids and numbers are compared whole).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageSearch {
    pub message_id: Option<String>,
    pub ref_id: Option<String>,
    /// The destination as stored (E.164 with `+`, or a BSUID).
    pub destination: Option<String>,
    pub account_id: Option<String>,
    pub source: Option<String>,
    /// Some part of the message is in this state.
    pub state: Option<wagate_domain::MessageState>,
    /// Accepted at or after.
    pub since: Option<Millis>,
    /// Accepted before.
    pub until: Option<Millis>,
    /// Older than this message (its acceptance time and id): the next page.
    pub before: Option<(Millis, String)>,
}

/// One message as the search lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageSummary {
    pub message_id: String,
    pub account_id: String,
    pub ref_id: String,
    pub source: String,
    pub destination: String,
    pub created_at: Millis,
    /// How many parts (messageIndexes) it has.
    pub parts: i64,
    /// The state of its first part.
    pub state: Option<wagate_domain::MessageState>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PartRecord {
    pub message_index: u32,
    pub message_type: String,
    pub state: wagate_domain::MessageState,
    pub result_code: u32,
    /// The Cloud API body; `None` once the content is no longer kept.
    pub cloud_body: Option<String>,
    pub history: Vec<StatusRecord>,
}

/// One entry of a part's history.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusRecord {
    pub state: wagate_domain::MessageState,
    pub result_code: u32,
    pub description: String,
    pub details: Option<serde_json::Value>,
    pub at: Millis,
}

/// A row that belongs to one account.
pub trait Owned {
    fn account_id(&self) -> &str;
}

impl Owned for Source {
    fn account_id(&self) -> &str {
        &self.account_id
    }
}

impl Owned for Gate {
    fn account_id(&self) -> &str {
        &self.account_id
    }
}

impl Owned for Route {
    fn account_id(&self) -> &str {
        &self.account_id
    }
}

/// The row if it exists and belongs to `account_id`: another tenant's row is
/// treated exactly like a missing one.
pub fn owned_by<T: Owned>(row: Option<T>, account_id: &str) -> Option<T> {
    row.filter(|row| row.account_id() == account_id)
}

/// One (messageId, messageIndex) a dispatcher has leased for submission.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedPart {
    pub message_id: String,
    pub message_index: u32,
    pub account_id: String,
    pub destination: String,
    pub priority: wagate_domain::Priority,
    pub message_type: String,
    /// The Cloud API request body to send.
    pub cloud_body: String,
    pub expires_at: Millis,
    /// Submissions tried so far.
    pub attempts: u32,
    /// The lease this claim holds (unique per claim); outcomes name it.
    pub lease: String,
    /// When the destination last wrote to the source (its care window).
    pub last_inbound_at: Option<Millis>,
    /// The `X-Request-Id` of the API call that accepted the message.
    pub request_id: Option<String>,
}

/// What became of one claimed part. Recorded only while the recorder still
/// holds the lease, together with its status and event, in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub message_id: String,
    pub message_index: u32,
    pub account_id: String,
    /// The lease of the claim that tried the part.
    pub lease: String,
    pub at: Millis,
    /// Whether a submission was tried (counts towards the resend maximum).
    pub attempted: bool,
    pub change: OutcomeChange,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OutcomeChange {
    /// The Cloud API accepted the part: state SUBMITTED, leaves the outbox.
    Submitted { wamid: String, status: NewStatus },
    /// Try again at `due_at`: the state stays QUEUED, the lease is released.
    Resend {
        due_at: Millis,
        sort_key: Millis,
        status: NewStatus,
    },
    /// Settled without a submission (failed, expired): leaves the outbox.
    Finished { status: NewStatus },
}

impl OutcomeChange {
    pub fn status(&self) -> &NewStatus {
        match self {
            Self::Submitted { status, .. }
            | Self::Resend { status, .. }
            | Self::Finished { status } => status,
        }
    }
}

/// A status to add to a part's history (and to the event queue).
#[derive(Debug, Clone, PartialEq)]
pub struct NewStatus {
    pub state: wagate_domain::MessageState,
    pub result_code: u32,
    pub description: String,
    pub details: Option<serde_json::Value>,
}

/// One entry of the event queue: a status recorded for a part.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    pub id: i64,
    pub account_id: String,
    pub message_id: String,
    pub message_index: u32,
    pub status: StatusRecord,
}

/// A message status Meta reported in a webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusReport {
    pub wamid: String,
    /// The business number's Cloud API id (`metadata.phone_number_id`).
    pub phone_number_id: String,
    /// The recipient as Meta names it: phone digits and BSUIDs, when given.
    pub recipient: ContactIds,
    /// Meta's word: `sent`, `delivered`, `read`, `deleted`, `failed`, …
    pub status: String,
    /// When it happened, by Meta's clock.
    pub at: Millis,
    /// The state and status it adds; `None` for a status the gateway does
    /// not know (kept, but it changes nothing).
    pub change: Option<NewStatus>,
}

/// An incoming user message from a webhook, kept until it is routed.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundReport {
    pub wamid: String,
    pub phone_number_id: String,
    pub display_phone_number: String,
    pub at: Millis,
    /// The Cloud API message object, as Meta sent it.
    pub message: serde_json::Value,
    /// The sender as Meta names it.
    pub sender: ContactIds,
    /// The matching `contacts[]` entry (profile name, wa_id, user_id).
    pub contact: Option<serde_json::Value>,
}

/// What one webhook carried.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebhookBatch {
    pub statuses: Vec<StatusReport>,
    pub inbound: Vec<InboundReport>,
}

/// What storing one webhook changed: repeats change nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookReceipt {
    pub new_statuses: usize,
    pub repeated_statuses: usize,
    pub new_inbound: usize,
    pub repeated_inbound: usize,
}

/// A WhatsApp user's ids, as far as a webhook tells them (the domain's
/// type, with the rule for which pairs the contact book records).
pub use wagate_domain::contact::{ContactIds, e164};

/// A phone number and the BSUIDs it is known under, for one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub account_id: String,
    pub phone: String,
    pub user_id: Option<String>,
    pub parent_user_id: Option<String>,
    pub updated_at: Millis,
}

/// A callback to put in a gate's queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    /// What it reports: `event:<id>` or `mo:<wamid>`; queued once per gate.
    pub origin: String,
    pub gate_id: String,
    /// The tenant of the gate.
    pub account_id: String,
    /// Deliveries with the same key reach a gate in order (a message id;
    /// for incoming messages, the sender).
    pub ordering: String,
    /// Where it goes when not to the gate's own URL (a message's callback
    /// URL: the gate then stands for the URL's origin).
    pub url: Option<String>,
    /// The JSON body, as it will be POSTed.
    pub payload: String,
    /// For a body that carries message content (an incoming message): until
    /// when it may be kept once the delivery is done (delivered or given
    /// up); `None` for one without content (a delivery report).
    pub content_until: Option<Millis>,
    /// The `X-Request-Id` of the API call whose message it reports on.
    pub request_id: Option<String>,
}

/// An incoming message routed (to gates, or nowhere): its content may be
/// kept until `content_until` (erased as it is routed when that has come).
/// Serialized as the rows `MARK_ROUTED` reads: `{"wamid", "until", "id"}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoutedInbound {
    pub wamid: String,
    #[serde(rename = "until")]
    pub content_until: Millis,
    /// The id wagate gave it (the LINK `messageId` of its callbacks).
    #[serde(rename = "id")]
    pub message_id: String,
}

/// How much message content one clean-up erased, per kind of row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErasedContent {
    pub parts: u64,
    pub inbound: u64,
    pub callbacks: u64,
}

/// A callback claimed for delivery, with where it goes.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedDelivery {
    pub id: i64,
    pub gate_id: String,
    pub url: String,
    pub signing_secret: Option<String>,
    pub payload: String,
    /// Tries so far.
    pub attempts: u32,
    pub lease: String,
    /// The `X-Request-Id` of the API call whose message it reports on.
    pub request_id: Option<String>,
    /// What it reports (`event:<id>`, `mo:<wamid>`, `redeliver:…`).
    pub origin: String,
    /// When it was queued.
    pub queued_at: Millis,
}

/// What recording a try did.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedAttempt {
    /// Whether the try was recorded (`false`: its lease had been lost).
    pub recorded: bool,
    /// After a recorded try that delivered, when [`FollowOn`] asked: the
    /// message's next callback to the same gate, leased under the try's
    /// lease, if it was due and free and the gate not paused.
    pub next: Option<ClaimedDelivery>,
}

/// Asks recording to lease each delivered try's next callback (see
/// [`RecordedAttempt::next`]): due at `now`, leased until `lease_until`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FollowOn {
    pub now: Millis,
    pub lease_until: Millis,
}

/// How a delivery try ended.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryAttempt {
    pub delivery_id: i64,
    pub lease: String,
    pub at: Millis,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
    /// `None`: delivered (or given up); `Some(t)`: try again at `t`.
    pub next_attempt_at: Option<Millis>,
    pub delivered: bool,
}

/// A callback as the admin API shows it, with its tries.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRecord {
    pub id: i64,
    pub origin: String,
    pub gate_id: String,
    /// Where it goes when not to the gate's own URL.
    pub url: Option<String>,
    pub ordering: String,
    /// PENDING, DELIVERED or GAVE_UP.
    pub state: String,
    /// The body; `None` once the message content it carried is no longer
    /// kept.
    pub payload: Option<String>,
    pub next_attempt_at: Millis,
    pub created_at: Millis,
    pub finished_at: Option<Millis>,
    pub attempts: Vec<AttemptRecord>,
}

/// One try of a callback.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRecord {
    pub at: Millis,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// An incoming message waiting to be routed, with the business number (and
/// its tenant) it came to, when one is known.
#[derive(Debug, Clone, PartialEq)]
pub struct UnroutedInbound {
    pub wamid: String,
    pub phone_number_id: String,
    pub at: Millis,
    pub received_at: Millis,
    pub message: serde_json::Value,
    pub contact: Option<serde_json::Value>,
    /// The source (business number) with this `phone_number_id`.
    pub source: Option<Source>,
}
