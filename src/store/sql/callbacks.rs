//! Callbacks to gates: the [`CallbackStore`] trait, the models of
//! deliveries, their tries and routed incoming messages, and the
//! implementation on both backends: the event cursor and the feed that
//! queues deliveries under it, incoming messages routed, the reads of
//! delivery reports (each answer from one snapshot), redelivery and paused
//! gates. The feed's reads are one sequence ([`report_batch_of`]) that
//! each backend runs on its own reads ([`SqlBackend::read_report_batch`]).
//! The feed's writes, the claims and the tries' records are the
//! backend's own ([`SqlBackend::queue_deliveries`],
//! [`SqlBackend::queue_routed`], [`SqlBackend::lease_due_deliveries`],
//! [`SqlBackend::record_delivery_attempts`]; the event cursor's statements,
//! [`CURSOR_POSITION`], [`CREATE_CURSOR`] and [`MOVE_CURSOR`], are shared), as are the
//! statements whose dialects differ (how they bind a list:
//! [`SqlBackend::MESSAGES_TO_REPORT`] and the others).

use std::collections::HashMap;

use async_trait::async_trait;

use wagate_domain::{Bsuid, MessageState};

use super::outbox::{EventRecord, OutboxStore};
use super::{Arg, Driver, SqlBackend, Statement, write};
use crate::store::rows::{FromStoreRow, StoreRow, with_sources};
use crate::store::{Contact, MessageRecord, Millis, PartRecord, Source, StoreResult};

/// Callbacks to gates: the per-gate queues fed from the event queue.
///
/// A delivery is claimed with a lease, like the outbox, and never while an
/// earlier delivery of the same message to the same gate is still pending:
/// each gate hears one message's reports in the order they happened.
#[async_trait]
pub trait CallbackStore: Send + Sync {
    /// Where the reader `name` of the event queue has got (0 at first).
    async fn cursor(&self, name: &str) -> StoreResult<i64>;
    /// What the reader `cursor` of the event queue reports next: where it
    /// has got, the next `limit` events after that, and what their
    /// delivery reports tell ([`ReportBatch`]); on SQLite from one
    /// snapshot.
    async fn report_batch(&self, cursor: &str, limit: u32) -> StoreResult<ReportBatch>;
    /// Queues the deliveries and moves the cursor from `from` (where the
    /// reader found it) to `to`, in one transaction; a (event, gate) already
    /// queued is not queued twice. `false`, with nothing queued, when the
    /// cursor is no longer at `from` (another instance got there first).
    async fn enqueue_deliveries(
        &self,
        cursor: &str,
        from: i64,
        to: i64,
        deliveries: &[NewDelivery],
    ) -> StoreResult<bool>;
    /// Those of these messages that name event report gates (the others
    /// need no delivery reports), with their parts' types and states but
    /// neither the parts' histories nor their content: what a delivery
    /// report tells, read for a whole batch of events at once.
    async fn messages_to_report(&self, message_ids: &[&str]) -> StoreResult<Vec<MessageRecord>>;
    /// What the contact book knows of these phone numbers, in every account
    /// (the caller picks the account's).
    async fn contacts_of(&self, phones: &[&str]) -> StoreResult<Vec<Contact>>;
    /// Incoming messages not routed yet, oldest first.
    async fn unrouted_inbound(&self, limit: u32) -> StoreResult<Vec<UnroutedInbound>>;
    /// Queues the deliveries of routed incoming messages and marks them
    /// routed, in one transaction (a message without a route is marked
    /// routed with no delivery).
    /// Each routed message's content is erased then, unless it is kept
    /// (see [`RoutedInbound`]).
    async fn enqueue_routed(
        &self,
        routed: &[RoutedInbound],
        deliveries: &[NewDelivery],
    ) -> StoreResult<()>;
    /// Claims up to `limit` due deliveries, leased to `lease` until
    /// `lease_until`. Each gate gets at most `per_gate` less its deliveries
    /// leased now (by any claim), and the gates take turns: every gate's
    /// first due delivery comes before any gate's second. A gate whose tries
    /// hang thus holds at most `per_gate` of them, and its backlog never
    /// stands before other gates' work.
    async fn claim_deliveries(
        &self,
        lease: &str,
        now: Millis,
        lease_until: Millis,
        limit: u32,
        per_gate: u32,
    ) -> StoreResult<Vec<ClaimedDelivery>>;
    /// Records the tries in one transaction, each only while its lease
    /// holds; for each, whether it was recorded (`false`: the lease was
    /// lost). A delivery that ends (delivered or given up) erases the
    /// message content its body carries, unless that is kept.
    ///
    /// With `follow`, in the same transaction, each recorded try that
    /// delivered has its message's next callback to the same gate leased
    /// under the try's lease and returned, when that one is due, not
    /// leased, and its gate not paused: the next callback of a message
    /// leaves as its previous one is recorded, without a claim between.
    async fn record_attempts(
        &self,
        attempts: &[DeliveryAttempt],
        follow: Option<FollowOn>,
    ) -> StoreResult<Vec<RecordedAttempt>>;
    /// The delivery reports of one message, to every gate, oldest first.
    async fn message_deliveries(&self, message_id: &str) -> StoreResult<Vec<DeliveryRecord>>;
    /// A gate's most recent callbacks (newest first) with their tries.
    async fn gate_deliveries(&self, gate_id: &str, limit: u32) -> StoreResult<Vec<DeliveryRecord>>;
    /// Queues a copy of a callback of the gate, due now (behind whatever of
    /// the same message is still pending); `false` if the gate has no such
    /// callback, or its content is no longer kept.
    async fn redeliver(&self, gate_id: &str, delivery_id: i64, now: Millis) -> StoreResult<bool>;
    /// Pauses callbacks to a gate (`Some(since)`; a paused gate stays
    /// paused since its first pause) or resumes them (`None`): no claim
    /// takes a paused gate's callbacks, which wait durably. `false` when
    /// there is no such gate.
    async fn set_gate_paused(&self, gate_id: &str, paused_at: Option<Millis>) -> StoreResult<bool>;
    /// The paused gates, with when each was paused.
    async fn paused_gates(&self) -> StoreResult<Vec<(String, Millis)>>;
}

/// The next events of the event queue for one of its readers, with what
/// their delivery reports tell ([`CallbackStore::report_batch`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ReportBatch {
    /// Where the reader had got: the `from` with which to move it.
    pub cursor: i64,
    /// The events after it, in order.
    pub events: Vec<EventRecord>,
    /// Those of the events' messages that name event report gates
    /// ([`CallbackStore::messages_to_report`]), by id; resend notices
    /// (QUEUED statuses) are left out, as they are never reported.
    pub messages: HashMap<String, MessageRecord>,
    /// What the contact book knows of those messages' phone numbers (not
    /// of BSUIDs), in every account, by phone number.
    pub contacts: HashMap<String, Vec<Contact>>,
}

impl ReportBatch {
    /// The batch of what was read at `cursor`.
    pub fn new(
        cursor: i64,
        events: Vec<EventRecord>,
        messages: Vec<MessageRecord>,
        contacts: Vec<Contact>,
    ) -> Self {
        let mut by_phone: HashMap<String, Vec<Contact>> = HashMap::new();
        for contact in contacts {
            by_phone
                .entry(contact.phone.clone())
                .or_default()
                .push(contact);
        }
        Self {
            cursor,
            events,
            messages: messages
                .into_iter()
                .map(|message| (message.message_id.clone(), message))
                .collect(),
            contacts: by_phone,
        }
    }
}

/// The messages whose reports `events` may need, each once: those of every
/// event but resend notices (QUEUED).
pub(in crate::store) fn messages_of(events: &[EventRecord]) -> Vec<&str> {
    let mut distinct: Vec<&str> = events
        .iter()
        .filter(|event| event.status.state != MessageState::Queued)
        .map(|event| event.message_id.as_str())
        .collect();
    distinct.sort_unstable();
    distinct.dedup();
    distinct
}

/// The phone numbers (not BSUIDs) that `messages` go to, for the contact
/// book.
pub(in crate::store) fn phones_of(messages: &[MessageRecord]) -> Vec<&str> {
    messages
        .iter()
        .filter(|message| Bsuid::parse(&message.destination).is_err())
        .map(|message| message.destination.as_str())
        .collect()
}

/// A part with its message's id: a row of `PARTS_TO_REPORT`.
pub(in crate::store) struct PartOf {
    message_id: String,
    part: PartRecord,
}

impl FromStoreRow for PartOf {
    fn from_row(row: &impl StoreRow) -> StoreResult<Self> {
        Ok(Self {
            message_id: row.get("message_id")?,
            part: PartRecord::from_row(row)?,
        })
    }
}

/// Puts each part read (in order) in its message.
pub(in crate::store) fn attach_parts(messages: &mut [MessageRecord], parts: Vec<PartOf>) {
    let mut by_message: HashMap<String, Vec<PartRecord>> = HashMap::new();
    for PartOf { message_id, part } in parts {
        by_message.entry(message_id).or_default().push(part);
    }
    for message in messages {
        message.parts = by_message.remove(&message.message_id).unwrap_or_default();
    }
}

/// The reads of a [`ReportBatch`], as a backend makes them.
pub(in crate::store) trait ReportReads {
    /// Where the reader `cursor` of the event queue has got (0 at first).
    async fn position(&mut self, cursor: &str) -> StoreResult<i64>;
    /// The first `limit` events after the event `position`.
    async fn events_after(&mut self, position: i64, limit: u32) -> StoreResult<Vec<EventRecord>>;
    /// As [`CallbackStore::messages_to_report`].
    async fn messages_to_report(&mut self, ids: &[&str]) -> StoreResult<Vec<MessageRecord>>;
    /// As [`CallbackStore::contacts_of`].
    async fn contacts_of(&mut self, phones: &[&str]) -> StoreResult<Vec<Contact>>;
}

/// [`CallbackStore::report_batch`], read through `reads`.
pub(in crate::store) async fn report_batch_of(
    reads: &mut impl ReportReads,
    cursor: &str,
    limit: u32,
) -> StoreResult<ReportBatch> {
    let position = reads.position(cursor).await?;
    let events = reads.events_after(position, limit).await?;
    if events.is_empty() {
        return Ok(ReportBatch::new(position, events, Vec::new(), Vec::new()));
    }
    let messages = reads.messages_to_report(&messages_of(&events)).await?;
    let contacts = reads.contacts_of(&phones_of(&messages)).await?;
    Ok(ReportBatch::new(position, events, messages, contacts))
}

/// The ids of `messages`.
pub(in crate::store) fn ids_of(messages: &[MessageRecord]) -> Vec<&str> {
    messages
        .iter()
        .map(|message| message.message_id.as_str())
        .collect()
}

/// A report batch's reads made with the store's own, one after another,
/// each from a snapshot of its own (PostgreSQL's: they go to the server,
/// not to a thread of this process). The cursor's compare and swap as the
/// deliveries are queued still stops a batch read while another instance
/// moved the cursor.
pub(in crate::store) struct ReadApart<'a, S>(pub &'a S);

impl<S: CallbackStore + OutboxStore> ReportReads for ReadApart<'_, S> {
    async fn position(&mut self, cursor: &str) -> StoreResult<i64> {
        self.0.cursor(cursor).await
    }

    async fn events_after(&mut self, position: i64, limit: u32) -> StoreResult<Vec<EventRecord>> {
        self.0.events_after(position, limit).await
    }

    async fn messages_to_report(&mut self, ids: &[&str]) -> StoreResult<Vec<MessageRecord>> {
        self.0.messages_to_report(ids).await
    }

    async fn contacts_of(&mut self, phones: &[&str]) -> StoreResult<Vec<Contact>> {
        self.0.contacts_of(phones).await
    }
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
#[derive(Debug, Clone, PartialEq)]
pub struct RoutedInbound {
    pub wamid: String,
    pub content_until: Millis,
    /// The id wagate gave it (the LINK `messageId` of its callbacks).
    pub message_id: String,
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

/// Where the event cursor `$1` is (no row: at 0).
pub(in crate::store) const CURSOR_POSITION: &str = "SELECT position FROM cursors WHERE name = $1";

/// Creates the event cursor `$1` at 0 unless it exists.
pub(in crate::store) const CREATE_CURSOR: &str =
    "INSERT INTO cursors (name, position) VALUES ($1, 0) ON CONFLICT DO NOTHING";

/// Moves the event cursor `$1` from `$2` to `$3`; changes no row when it is
/// no longer at `$2`. The `UPDATE` locks the cursor's row, so a concurrent
/// mover waits for the transaction and then finds the cursor moved: a
/// feed moves it before it queues anything.
pub(in crate::store) const MOVE_CURSOR: &str =
    "UPDATE cursors SET position = $3 WHERE name = $1 AND position = $2";

/// The deliveries a statement selects, each with its tries, from one
/// snapshot.
async fn deliveries_with_attempts<B: SqlBackend>(
    store: &B,
    statement: Statement<B::Db>,
) -> StoreResult<Vec<DeliveryRecord>> {
    let mut snapshot = store.reader().begin_with(B::SNAPSHOT).await?;
    let rows = B::Db::fetch_all(&mut snapshot, statement).await?;
    let mut deliveries = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut delivery = DeliveryRecord::from_row(row)?;
        let attempts = B::Db::statement(
            "SELECT * FROM delivery_attempts WHERE delivery_id = $1 ORDER BY id",
            [Arg::Int(delivery.id)],
        );
        delivery.attempts = B::Db::fetch_all(&mut snapshot, attempts)
            .await?
            .iter()
            .map(AttemptRecord::from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        deliveries.push(delivery);
    }
    snapshot.commit().await?;
    Ok(deliveries)
}

#[async_trait]
impl<B: SqlBackend> CallbackStore for B {
    async fn cursor(&self, name: &str) -> StoreResult<i64> {
        let statement = B::Db::statement(CURSOR_POSITION, [Arg::Text(name)]);
        let row = B::Db::fetch_optional(self.reader(), statement).await?;
        Ok(row.map(|row| row.get("position")).transpose()?.unwrap_or(0))
    }

    async fn report_batch(&self, cursor: &str, limit: u32) -> StoreResult<ReportBatch> {
        self.read_report_batch(cursor, limit).await
    }

    async fn enqueue_deliveries(
        &self,
        cursor: &str,
        from: i64,
        to: i64,
        deliveries: &[NewDelivery],
    ) -> StoreResult<bool> {
        self.queue_deliveries(cursor, from, to, deliveries).await
    }

    async fn messages_to_report(&self, message_ids: &[&str]) -> StoreResult<Vec<MessageRecord>> {
        if message_ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = B::list(message_ids)?;
        let mut snapshot = self.reader().begin_with(B::SNAPSHOT).await?;
        let statement = B::Db::statement(B::MESSAGES_TO_REPORT, []).bind(list);
        let rows = B::Db::fetch_all(&mut snapshot, statement).await?;
        let mut messages = rows
            .iter()
            .map(MessageRecord::from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        let statement = B::Db::statement(B::PARTS_TO_REPORT, []).bind(B::list(&ids_of(&messages))?);
        let part_rows = B::Db::fetch_all(&mut snapshot, statement).await?;
        snapshot.commit().await?;
        let parts = part_rows
            .iter()
            .map(PartOf::from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        attach_parts(&mut messages, parts);
        Ok(messages)
    }

    async fn contacts_of(&self, phones: &[&str]) -> StoreResult<Vec<Contact>> {
        if phones.is_empty() {
            return Ok(Vec::new());
        }
        let statement = B::Db::statement(B::CONTACTS_OF, []).bind(B::list(phones)?);
        let rows = B::Db::fetch_all(self.reader(), statement).await?;
        rows.iter().map(Contact::from_row).collect()
    }

    async fn unrouted_inbound(&self, limit: u32) -> StoreResult<Vec<UnroutedInbound>> {
        let statement = B::Db::statement(B::UNROUTED_INBOUND, [Arg::Int(i64::from(limit))]);
        let rows = B::Db::fetch_all(self.reader(), statement).await?;
        with_sources(self, &rows).await
    }

    async fn enqueue_routed(
        &self,
        routed: &[RoutedInbound],
        deliveries: &[NewDelivery],
    ) -> StoreResult<()> {
        self.queue_routed(routed, deliveries).await
    }

    async fn claim_deliveries(
        &self,
        lease: &str,
        now: Millis,
        lease_until: Millis,
        limit: u32,
        per_gate: u32,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        self.lease_due_deliveries(lease, now, lease_until, limit, per_gate)
            .await
    }

    async fn record_attempts(
        &self,
        attempts: &[DeliveryAttempt],
        follow: Option<FollowOn>,
    ) -> StoreResult<Vec<RecordedAttempt>> {
        if attempts.is_empty() {
            return Ok(Vec::new());
        }
        self.record_delivery_attempts(attempts, follow).await
    }

    async fn message_deliveries(&self, message_id: &str) -> StoreResult<Vec<DeliveryRecord>> {
        let statement = B::Db::statement(
            "SELECT * FROM deliveries WHERE ordering = $1 ORDER BY id",
            [Arg::Text(message_id)],
        );
        deliveries_with_attempts(self, statement).await
    }

    async fn gate_deliveries(&self, gate_id: &str, limit: u32) -> StoreResult<Vec<DeliveryRecord>> {
        let statement = B::Db::statement(
            "SELECT * FROM deliveries WHERE gate_id = $1 ORDER BY id DESC LIMIT $2",
            [Arg::Text(gate_id), Arg::Int(i64::from(limit))],
        );
        deliveries_with_attempts(self, statement).await
    }

    async fn redeliver(&self, gate_id: &str, delivery_id: i64, now: Millis) -> StoreResult<bool> {
        // A copy at the end of the queue: it waits behind whatever of the
        // same message is still pending, so the order holds. One whose
        // content is no longer kept cannot be sent again.
        let queued = write(
            self,
            "INSERT INTO deliveries (origin, gate_id, account_id, ordering, url, payload,
                                     content_until, request_id, state, next_attempt_at, created_at)
             SELECT 'redeliver:' || id || ':' || $1, gate_id, account_id, ordering, url,
                    payload, content_until, request_id, 'PENDING', $1, $1
             FROM deliveries WHERE id = $2 AND gate_id = $3 AND payload <> ''
             ON CONFLICT (origin, gate_id) DO NOTHING",
            &[Arg::Int(now), Arg::Int(delivery_id), Arg::Text(gate_id)],
        )
        .await?;
        Ok(queued == 1)
    }

    async fn set_gate_paused(&self, gate_id: &str, paused_at: Option<Millis>) -> StoreResult<bool> {
        let turn = self.write_turn().await?;
        let mut tx = turn.begin_with(B::BEGIN_WRITE).await?;
        let gate = B::Db::statement("SELECT 1 FROM gates WHERE id = $1", [Arg::Text(gate_id)]);
        let exists = B::Db::fetch_optional(&mut tx, gate).await?.is_some();
        if exists {
            let sql = match paused_at {
                Some(_) => {
                    "INSERT INTO gate_pauses (gate_id, paused_at) VALUES ($1, $2)
                     ON CONFLICT (gate_id) DO NOTHING"
                }
                None => "DELETE FROM gate_pauses WHERE gate_id = $1",
            };
            let statement =
                B::Db::statement(sql, [Arg::Text(gate_id), Arg::OptionalInt(paused_at)]);
            B::Db::execute(&mut tx, statement).await?;
        }
        tx.commit().await?;
        Ok(exists)
    }

    async fn paused_gates(&self) -> StoreResult<Vec<(String, Millis)>> {
        let statement = B::Db::statement(
            "SELECT gate_id, paused_at FROM gate_pauses ORDER BY paused_at, gate_id",
            [],
        );
        let rows = B::Db::fetch_all(self.reader(), statement).await?;
        rows.iter()
            .map(|row| Ok((row.get("gate_id")?, row.get("paused_at")?)))
            .collect()
    }
}
