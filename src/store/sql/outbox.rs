//! The outbox: the [`OutboxStore`] trait, the models of claimed parts,
//! outcomes and events, and the implementation on both backends. The claims,
//! outcomes and released parts are the backend's own
//! ([`SqlBackend::lease_due_parts`], [`SqlBackend::record_outcomes`],
//! [`SqlBackend::release_parts`]); which sources have work and the event
//! queue are read here.

use async_trait::async_trait;

use super::{Arg, Driver, SqlBackend, read_all};
use crate::store::rows::StoreRow;
use crate::store::{Millis, StatusRecord, StoreResult};

/// The dispatcher's side of the outbox: leased claims and their outcomes.
///
/// A claim hands out due parts of one source, best `sort_key` first, and
/// never a part while a lower messageIndex of the same message is still in
/// the outbox (so one destination's messages go out in index order). A
/// claimed part is leased until `lease_until` under `lease`, a name unique
/// to the claim (so that even the same instance claiming the part again
/// after its lease ran out holds a different lease); nobody can claim it
/// before then, and an outcome is only recorded while its lease still holds
/// the part.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    async fn claim(
        &self,
        source: &str,
        lease: &str,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedPart>>;
    /// Records the outcomes in one transaction; for each, whether it was
    /// recorded (`false`: the lease was lost to another owner).
    async fn record(&self, outcomes: &[Outcome]) -> StoreResult<Vec<bool>>;
    /// Gives back the parts of `lease` that were not tried.
    async fn release(&self, lease: &str, parts: &[(String, u32)]) -> StoreResult<()>;
    /// The sources that have any work in the outbox.
    async fn outbox_sources(&self) -> StoreResult<Vec<String>>;
    /// Events after `after_id`, oldest first, at most `limit`.
    async fn events_after(&self, after_id: i64, limit: u32) -> StoreResult<Vec<EventRecord>>;
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

/// The first `$2` events after the event `$1`, in order, with their
/// statuses ([`EventRecord`]).
pub(in crate::store) const EVENTS_AFTER: &str =
    "SELECT e.id AS event_id, e.account_id, e.message_id, e.message_index,
            s.state, s.result_code, s.description, s.details, s.at
     FROM events e JOIN message_statuses s ON s.id = e.status_id
     WHERE e.id > $1 ORDER BY e.id LIMIT $2";

#[async_trait]
impl<B: SqlBackend> OutboxStore for B {
    async fn claim(
        &self,
        source: &str,
        lease: &str,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedPart>> {
        self.lease_due_parts(source, lease, now, lease_until, limit)
            .await
    }

    async fn record(&self, outcomes: &[Outcome]) -> StoreResult<Vec<bool>> {
        self.record_outcomes(outcomes).await
    }

    async fn release(&self, lease: &str, parts: &[(String, u32)]) -> StoreResult<()> {
        self.release_parts(lease, parts).await
    }

    async fn outbox_sources(&self) -> StoreResult<Vec<String>> {
        let statement = B::Db::statement("SELECT DISTINCT source FROM outbox", []);
        let rows = B::Db::fetch_all(self.reader(), statement).await?;
        rows.iter().map(|row| row.get("source")).collect()
    }

    async fn events_after(&self, after_id: i64, limit: u32) -> StoreResult<Vec<EventRecord>> {
        read_all(
            self,
            EVENTS_AFTER,
            &[Arg::Int(after_id), Arg::Int(i64::from(limit))],
        )
        .await
    }
}
