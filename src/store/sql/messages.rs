//! Accepted messages: the [`MessageStore`] trait, the models of requests,
//! messages, parts and their history, and the implementation on both
//! backends. Accepting is the backend's hot write
//! ([`SqlBackend::accept_batch`]); one message with its parts' histories is
//! read from one snapshot; the operator's search runs the statement of
//! `store::search`.

use async_trait::async_trait;
use serde::Serialize;
use sqlx::AssertSqlSafe;

use super::{Arg, Driver, SqlBackend};
use crate::store::rows::{FromStoreRow, StoreRow};
use crate::store::search::{self, Bound};
use crate::store::{KeyValues, Millis, StoreResult};

/// Accepted messages, their outbox rows and their status history.
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Commits every request of the batch in one transaction: all or none.
    async fn accept(&self, batch: &[NewRequest]) -> StoreResult<()>;
    /// One message with its parts and their history, if it belongs to
    /// `account_id`.
    async fn message(
        &self,
        account_id: &str,
        message_id: &str,
    ) -> StoreResult<Option<MessageRecord>>;
    /// The messages that match `search` (every tenant's: the operator's
    /// view), newest first by acceptance time then id, at most `limit`.
    async fn search_messages(
        &self,
        search: &MessageSearch,
        limit: u32,
    ) -> StoreResult<Vec<MessageSummary>>;
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

impl<'a> From<&'a Bound> for Arg<'a> {
    fn from(bound: &'a Bound) -> Self {
        match bound {
            Bound::Text(text) => Arg::Text(text),
            Bound::Number(number) => Arg::Int(*number),
        }
    }
}

#[async_trait]
impl<B: SqlBackend> MessageStore for B {
    async fn accept(&self, batch: &[NewRequest]) -> StoreResult<()> {
        self.accept_batch(batch).await
    }

    async fn message(
        &self,
        account_id: &str,
        message_id: &str,
    ) -> StoreResult<Option<MessageRecord>> {
        // One read transaction: the parts' states and their histories come
        // from the same snapshot.
        let mut snapshot = self.reader().begin_with(B::SNAPSHOT).await?;
        let statement = B::Db::statement(
            "SELECT * FROM messages WHERE message_id = $1 AND account_id = $2",
            [Arg::Text(message_id), Arg::Text(account_id)],
        );
        let Some(row) = B::Db::fetch_optional(&mut snapshot, statement).await? else {
            return Ok(None);
        };
        let mut record = MessageRecord::from_row(&row)?;
        let statement = B::Db::statement(
            "SELECT * FROM message_parts WHERE message_id = $1 ORDER BY message_index",
            [Arg::Text(message_id)],
        );
        let parts = B::Db::fetch_all(&mut snapshot, statement).await?;
        let statement = B::Db::statement(
            "SELECT * FROM message_statuses WHERE message_id = $1
             ORDER BY message_index, id",
            [Arg::Text(message_id)],
        );
        let statuses = B::Db::fetch_all(&mut snapshot, statement).await?;
        snapshot.commit().await?;
        for part_row in &parts {
            let mut part = PartRecord::from_row(part_row)?;
            for status_row in &statuses {
                let index: i64 = status_row.get("message_index")?;
                if index == i64::from(part.message_index) {
                    part.history.push(StatusRecord::from_row(status_row)?);
                }
            }
            record.parts.push(part);
        }
        Ok(Some(record))
    }

    async fn search_messages(
        &self,
        search: &MessageSearch,
        limit: u32,
    ) -> StoreResult<Vec<MessageSummary>> {
        let (sql, values) = search::statement(search, limit);
        let statement = B::Db::statement(AssertSqlSafe(sql), values.iter().map(Arg::from));
        let rows = B::Db::fetch_all(self.reader(), statement).await?;
        rows.iter().map(MessageSummary::from_row).collect()
    }
}
