//! Meta's webhooks: the [`WebhookStore`] trait, the models of what they
//! carry and of the contact book, and the implementation on both backends.
//! Storing them is the backend's hot write
//! ([`SqlBackend::receive_webhooks`]); the contact book, the wamids of
//! incoming messages and forgetting old statuses are here.

use async_trait::async_trait;
use wagate_domain::part_tag::PartTag;

use super::{Arg, Driver, SqlBackend, read_optional, write};
use crate::store::rows::StoreRow;
use crate::store::{Millis, NewStatus, StoreResult};

/// What Meta's webhooks carry: statuses and incoming messages.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Stores the webhooks' contents in one transaction, each status at
    /// most once by wamid, business number and status (under the part its
    /// tag names; one that comes both with and without the tag before the
    /// part's wamid is recorded is kept twice), each incoming
    /// message at most once by wamid. A status of a known wamid sent from
    /// the business number it names joins that part's history (with an
    /// event) at once; one whose wamid is not known yet waits, and joins it
    /// when the submission that got the wamid is recorded. A status naming
    /// another number is kept but never applied, and does not stand in the
    /// way of the genuine one.
    async fn receive(&self, batches: &[WebhookBatch]) -> StoreResult<Vec<WebhookReceipt>>;
    /// The contact book: what a tenant's webhooks said a phone number's
    /// BSUIDs are (recorded whenever a webhook carries both).
    async fn contact(&self, account_id: &str, phone: &str) -> StoreResult<Option<Contact>>;
    /// The wamid of the incoming message to the business number
    /// `phone_number_id` named `id`: the id wagate gave it when routing it,
    /// or its wamid itself.
    async fn received_wamid(&self, phone_number_id: &str, id: &str) -> StoreResult<Option<String>>;
    /// Forgets the reports of statuses received before `received_before`:
    /// those applied (kept only so that Meta's repeats are recognised, which
    /// stop after seven days) and those still waiting for a wamid that will
    /// not come (the message was sent again under another wamid, or never by
    /// this gateway). The history keeps every applied status. Looks at the
    /// `at_most` oldest reports only (in the order they were stored), so
    /// that one call holds the write lock (on SQLite, the writer thread's
    /// turn) for a bounded time; returns how many were forgotten (`at_most`:
    /// more may be due; fewer: the oldest left was received since, and a
    /// report stored out of time order behind it waits for a later call).
    async fn forget_old_statuses(&self, received_before: Millis, at_most: u32) -> StoreResult<u64>;
}

/// A message status Meta reported in a webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusReport {
    pub wamid: String,
    /// The business number's Cloud API id (`metadata.phone_number_id`).
    pub phone_number_id: String,
    /// The recipient as Meta names it: phone digits and BSUIDs, when given.
    pub recipient: ContactIds,
    /// The part the status names by its tag (see
    /// [`wagate_domain::part_tag`]), when it carries one.
    pub part: Option<PartTag>,
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

#[async_trait]
impl<B: SqlBackend> WebhookStore for B {
    async fn receive(&self, batches: &[WebhookBatch]) -> StoreResult<Vec<WebhookReceipt>> {
        self.receive_webhooks(batches).await
    }

    async fn contact(&self, account_id: &str, phone: &str) -> StoreResult<Option<Contact>> {
        read_optional(
            self,
            "SELECT * FROM contacts WHERE account_id = $1 AND phone = $2",
            &[Arg::Text(account_id), Arg::Text(phone)],
        )
        .await
    }

    async fn received_wamid(&self, phone_number_id: &str, id: &str) -> StoreResult<Option<String>> {
        let statement = B::Db::statement(
            "SELECT wamid FROM inbound_messages
             WHERE phone_number_id = $1 AND (message_id = $2 OR wamid = $2)
             LIMIT 1",
            [Arg::Text(phone_number_id), Arg::Text(id)],
        );
        let row = B::Db::fetch_optional(self.reader(), statement).await?;
        row.map(|row| row.get("wamid")).transpose()
    }

    async fn forget_old_statuses(&self, received_before: Millis, at_most: u32) -> StoreResult<u64> {
        write(
            self,
            B::FORGET_STATUSES,
            &[Arg::Int(received_before), Arg::Int(at_most.into())],
        )
        .await
    }
}
