//! The SQLite callback queues: deliveries fed from the event queue under a
//! cursor, claimed with leases in per-message order and in turns across
//! gates (each gate at most its share), and their attempts.
//!
//! The feed's writes, the claims and the tries' records run on the writer
//! thread ([`super::writer`]): a claim (read the due deliveries, then lease
//! them) cannot interleave with another write, and each shares its commit
//! with whatever else the thread has queued (accepts, outcomes, webhooks)
//! instead of waiting for the write lock and a commit of its own on the
//! sqlx writer. The feed's reads (the events, their messages and parts,
//! the contacts) are one job on the reader thread ([`super::reader`]).

use std::collections::HashMap;

use futures_util::FutureExt as _;
use rusqlite::{Connection, OptionalExtension, Params, named_params, params};

use super::SqliteStore;
use super::rows::decode_rows;
use crate::clock::now_millis;
use crate::store::attempts::{attempt_rows, held_by_their_lease, recordable};
use crate::store::rows::FromStoreRow;
use crate::store::sql::callbacks::{
    CREATE_CURSOR, CURSOR_POSITION, MOVE_CURSOR, ReportReads, attach_parts, ids_of, report_batch_of,
};
use crate::store::sql::outbox::EVENTS_AFTER;
use crate::store::{
    ClaimedDelivery, Contact, DeliveryAttempt, EventRecord, FollowOn, MessageRecord, Millis,
    NewDelivery, RecordedAttempt, ReportBatch, RoutedInbound, StoreError, StoreResult,
};

/// The due deliveries of `CallbackStore::claim_deliveries` (`?1` now, `?2`
/// how many, `?3` the lease, `?4` a gate's share). Per gate (`share`): its
/// cap `?4` less what is leased for it now; its first due deliveries in
/// order, as many as the claim or the share could take, whichever is fewer
/// (SQLite's `LIMIT` cannot name the gate's room), numbered as its turns
/// and kept while the room lasts. Then turn by turn across gates.
const DUE_DELIVERIES: &str = "WITH share AS (
         SELECT g.id, g.account_id, g.url, g.signing_secret,
                ?4 - (SELECT COUNT(*) FROM delivery_leases busy
                      WHERE busy.gate_id = g.id AND busy.lease_until > ?1) AS room
         FROM gates g
         -- A paused gate's callbacks wait.
         WHERE NOT EXISTS (SELECT 1 FROM gate_pauses p WHERE p.gate_id = g.id)
     ), due AS (
         SELECT d.id, d.gate_id, d.payload, d.attempts, d.next_attempt_at, d.request_id,
                d.origin, d.created_at,
                COALESCE(d.url, s.url) AS url,
                s.signing_secret, s.room,
                ROW_NUMBER() OVER (PARTITION BY d.gate_id
                                   ORDER BY d.next_attempt_at, d.id) AS turn
         FROM share s JOIN deliveries d ON d.id IN (
             SELECT x.id FROM deliveries x
             WHERE x.gate_id = s.id AND x.account_id = s.account_id
               AND x.state = 'PENDING' AND x.next_attempt_at <= ?1
               AND NOT EXISTS (SELECT 1 FROM delivery_leases l
                               WHERE l.delivery_id = x.id AND l.lease_until > ?1)
               AND NOT EXISTS (SELECT 1 FROM deliveries earlier
                               WHERE earlier.ordering = x.ordering
                                 AND earlier.gate_id = x.gate_id
                                 AND earlier.state = 'PENDING'
                                 AND earlier.id < x.id)
             ORDER BY x.next_attempt_at, x.id
             LIMIT MIN(?2, ?4))
         WHERE s.room > 0
     )
     SELECT id, gate_id, payload, attempts, url, signing_secret, request_id, origin,
            created_at AS queued_at, ?3 AS lease
     FROM due WHERE turn <= room
     ORDER BY turn, next_attempt_at, id
     LIMIT ?2";

/// The next callback, after the delivery `?1`, of its message to its gate,
/// as a claim under the lease `?3` reads it: the earliest still pending,
/// when it is due and free at `?2` and the gate is not paused.
const NEXT_DUE: &str = "SELECT d.id, d.gate_id, d.payload, d.attempts,
            COALESCE(d.url, g.url) AS url, g.signing_secret, d.request_id, d.origin,
            d.created_at AS queued_at, ?3 AS lease
     FROM deliveries prev
     JOIN deliveries d ON d.id = (SELECT n.id FROM deliveries n
                                  WHERE n.ordering = prev.ordering AND n.gate_id = prev.gate_id
                                    AND n.state = 'PENDING'
                                  ORDER BY n.id LIMIT 1)
     JOIN gates g ON g.id = d.gate_id AND g.account_id = d.account_id
     WHERE prev.id = ?1 AND d.next_attempt_at <= ?2
       AND NOT EXISTS (SELECT 1 FROM delivery_leases l
                       WHERE l.delivery_id = d.id AND l.lease_until > ?2)
       AND NOT EXISTS (SELECT 1 FROM gate_pauses p WHERE p.gate_id = d.gate_id)";

/// Leases the delivery `?3` of the gate `?4` to `?1` until `?2` (in place
/// of an expired lease: the claims read only free ones).
const LEASE_DELIVERY: &str =
    "INSERT INTO delivery_leases (delivery_id, gate_id, lease_owner, lease_until)
     VALUES (?3, ?4, ?1, ?2)
     ON CONFLICT (delivery_id) DO UPDATE
         SET lease_owner = excluded.lease_owner, lease_until = excluded.lease_until";

/// Who holds each of the pending deliveries `$1` (ids): `id`,
/// `lease_owner`.
const LEASED_DELIVERIES: &str = "SELECT d.id, l.lease_owner
     FROM deliveries d LEFT JOIN delivery_leases l ON l.delivery_id = d.id
     WHERE d.id IN (SELECT value FROM json_each($1)) AND d.state = 'PENDING'";

/// Records a try (`?1` the delivery, `?2` its state after, `?3` when to try
/// again, `?4` when it ended: an `attempts::AttemptRow`) on its delivery,
/// erasing the content of a delivery that ended unless it is kept beyond
/// the try.
const RECORD_ATTEMPT: &str = "UPDATE deliveries
     SET state = ?2, attempts = attempts + 1,
         next_attempt_at = COALESCE(?3, next_attempt_at),
         finished_at = CASE WHEN ?2 = 'PENDING' THEN NULL ELSE ?4 END,
         payload = CASE WHEN ?2 <> 'PENDING' AND content_until <= ?4 THEN '' ELSE payload END,
         content_until = CASE WHEN ?2 <> 'PENDING' AND content_until <= ?4
                              THEN NULL ELSE content_until END
     WHERE id = ?1";

/// Ends the lease of the delivery `?1` (its try recorded).
const END_LEASE: &str = "DELETE FROM delivery_leases WHERE delivery_id = ?1";

/// A try (`?1` the delivery, `?2` when it ended, `?3` the HTTP status, `?4`
/// the error, `?5` how long it took) as an attempt row.
const INSERT_ATTEMPT: &str =
    "INSERT INTO delivery_attempts (delivery_id, at, http_status, error, duration_ms)
     VALUES (?1, ?2, ?3, ?4, ?5)";

/// Queues a delivery (`?1`–`?8`: origin, gate, account, ordering, URL,
/// body, content kept until, request id; due at `?9`) unless its (origin,
/// gate) is queued already. One row per run: bound values, where a batch
/// as one JSON text would be parsed again for each field of each row.
const INSERT_DELIVERY: &str =
    "INSERT INTO deliveries (origin, gate_id, account_id, ordering, url, payload, content_until, request_id, state, next_attempt_at, created_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,
             -- A gate deleted since the reader looked it up gets nothing.
             CASE WHEN EXISTS (SELECT 1 FROM gates g WHERE g.id = ?2 AND g.account_id = ?3)
                  THEN 'PENDING' ELSE 'GAVE_UP' END,
             ?9, ?9)
     ON CONFLICT (origin, gate_id) DO NOTHING";

/// Those of the messages `$1` that name event report gates.
pub(super) const MESSAGES_TO_REPORT: &str = "SELECT * FROM messages
     WHERE message_id IN (SELECT value FROM json_each($1)) AND gate_ids <> '[]'";

/// The parts of the messages `$1` (without their content), in order.
pub(super) const PARTS_TO_REPORT: &str =
    "SELECT message_id, message_index, message_type, state, result_code, '' AS cloud_body
     FROM message_parts WHERE message_id IN (SELECT value FROM json_each($1))
     ORDER BY message_id, message_index";

/// The contacts of the phone numbers `$1`, in every account.
pub(super) const CONTACTS_OF: &str =
    "SELECT * FROM contacts WHERE phone IN (SELECT value FROM json_each($1))";

/// The oldest `$1` incoming messages not routed yet, with their source's id.
pub(super) const UNROUTED_INBOUND: &str =
    "SELECT i.wamid, i.phone_number_id, i.at, i.received_at, i.message, i.contact, s.id AS source_id
     FROM inbound_messages i LEFT JOIN sources s ON s.phone_number_id = i.phone_number_id
     WHERE NOT i.routed ORDER BY i.received_at, i.rowid LIMIT $1";

/// Marks the incoming message `?1` routed under the id `?3`, erasing its
/// content unless it is kept (until `?2`) beyond `?4` (now).
const MARK_ROUTED: &str = "UPDATE inbound_messages
     SET routed = TRUE, message_id = ?3,
         message = CASE WHEN ?2 <= ?4 THEN '' ELSE message END,
         content_until = CASE WHEN ?2 <= ?4 THEN NULL ELSE ?2 END
     WHERE wamid = ?1";

/// A report batch's reads on the reader thread, inside its job's snapshot.
struct SnapshotReads<'a>(&'a Connection);

impl ReportReads for SnapshotReads<'_> {
    async fn position(&mut self, cursor: &str) -> StoreResult<i64> {
        Ok(self
            .0
            .prepare_cached(CURSOR_POSITION)?
            .query_row(named_params! {"$1": cursor}, |row| row.get(0))
            .optional()?
            .unwrap_or(0))
    }

    async fn events_after(&mut self, position: i64, limit: u32) -> StoreResult<Vec<EventRecord>> {
        read(
            self.0,
            EVENTS_AFTER,
            named_params! {"$1": position, "$2": i64::from(limit)},
        )
    }

    async fn messages_to_report(&mut self, ids: &[&str]) -> StoreResult<Vec<MessageRecord>> {
        let mut messages: Vec<MessageRecord> = read(
            self.0,
            MESSAGES_TO_REPORT,
            named_params! {"$1": SqliteStore::list(ids)?},
        )?;
        let parts = read(
            self.0,
            PARTS_TO_REPORT,
            named_params! {"$1": SqliteStore::list(&ids_of(&messages))?},
        )?;
        attach_parts(&mut messages, parts);
        Ok(messages)
    }

    async fn contacts_of(&mut self, phones: &[&str]) -> StoreResult<Vec<Contact>> {
        read(
            self.0,
            CONTACTS_OF,
            named_params! {"$1": SqliteStore::list(phones)?},
        )
    }
}

/// The models of the rows `sql` (with `params`) reads on `connection`.
fn read<T: FromStoreRow>(
    connection: &Connection,
    sql: &str,
    params: impl Params,
) -> StoreResult<Vec<T>> {
    decode_rows(&mut connection.prepare_cached(sql)?, params)
}

/// Queues `deliveries`, in order, due `now` ([`INSERT_DELIVERY`]).
fn insert_deliveries(
    connection: &Connection,
    deliveries: &[NewDelivery],
    now: Millis,
) -> rusqlite::Result<()> {
    let mut insert = connection.prepare_cached(INSERT_DELIVERY)?;
    for delivery in deliveries {
        insert.execute(params![
            delivery.origin,
            delivery.gate_id,
            delivery.account_id,
            delivery.ordering,
            delivery.url,
            delivery.payload,
            delivery.content_until,
            delivery.request_id,
            now,
        ])?;
    }
    Ok(())
}

impl SqliteStore {
    /// `CallbackStore::report_batch`: every read of it in one job on the
    /// reader thread, in one snapshot.
    pub(super) async fn read_report_batch(
        &self,
        cursor: &str,
        limit: u32,
    ) -> StoreResult<ReportBatch> {
        let cursor = cursor.to_owned();
        self.reader_thread
            .snapshot(move |snapshot| {
                // The reads run synchronously: the sequence never waits, so
                // its first poll finishes it.
                report_batch_of(&mut SnapshotReads(snapshot), &cursor, limit)
                    .now_or_never()
                    .ok_or(StoreError::Reader("found a report batch's reads waiting"))?
            })
            .await
    }

    /// `CallbackStore::enqueue_deliveries`: moves the cursor (compare and
    /// swap), then queues the deliveries, in one job on the writer thread,
    /// so the feed shares the thread's commits instead of waiting for the
    /// write lock between them.
    pub(super) async fn queue_deliveries(
        &self,
        cursor: &str,
        from: i64,
        to: i64,
        deliveries: &[NewDelivery],
    ) -> StoreResult<bool> {
        let deliveries = deliveries.to_vec();
        let cursor = cursor.to_owned();
        self.writer_thread
            .transaction(move |transaction| {
                // The statements are the shared ones, numbered `$n`: bound
                // by name, as sqlx binds them.
                transaction
                    .prepare_cached(CREATE_CURSOR)?
                    .execute(named_params! {"$1": cursor})?;
                let moved = transaction
                    .prepare_cached(MOVE_CURSOR)?
                    .execute(named_params! {"$1": cursor, "$2": from, "$3": to})?;
                if moved != 1 {
                    return Ok::<_, StoreError>(false);
                }
                insert_deliveries(transaction, &deliveries, now_millis())?;
                Ok(true)
            })
            .await
    }

    /// `CallbackStore::enqueue_routed`: queues the deliveries, then marks
    /// the messages routed, in one job on the writer thread.
    pub(super) async fn queue_routed(
        &self,
        routed: &[RoutedInbound],
        deliveries: &[NewDelivery],
    ) -> StoreResult<()> {
        let deliveries = deliveries.to_vec();
        let routed = routed.to_vec();
        self.writer_thread
            .transaction(move |transaction| {
                let now = now_millis();
                insert_deliveries(transaction, &deliveries, now)?;
                let mut mark = transaction.prepare_cached(MARK_ROUTED)?;
                for message in &routed {
                    mark.execute(params![
                        message.wamid,
                        message.content_until,
                        message.message_id,
                        now
                    ])?;
                }
                Ok::<_, StoreError>(())
            })
            .await
    }

    /// `CallbackStore::claim_deliveries`: reads the due deliveries
    /// (`DUE_DELIVERIES`), then leases them, in one job on the writer
    /// thread.
    pub(super) async fn lease_due_deliveries(
        &self,
        lease: &str,
        now: Millis,
        lease_until: Millis,
        limit: u32,
        per_gate: u32,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        let lease = lease.to_owned();
        self.writer_thread
            .transaction(move |transaction| {
                let claimed: Vec<ClaimedDelivery> = decode_rows(
                    &mut transaction.prepare_cached(DUE_DELIVERIES)?,
                    params![now, i64::from(limit), lease, i64::from(per_gate)],
                )?;
                let mut leasing = transaction.prepare_cached(LEASE_DELIVERY)?;
                for delivery in &claimed {
                    leasing.execute(params![lease, lease_until, delivery.id, delivery.gate_id])?;
                }
                Ok::<_, StoreError>(claimed)
            })
            .await
    }

    /// `CallbackStore::record_attempts` (`attempts` not empty): records the
    /// tries whose lease still holds their pending delivery and, with
    /// `follow`, leases the next callbacks (`NEXT_DUE`), in one job on the
    /// writer thread.
    pub(super) async fn record_delivery_attempts(
        &self,
        attempts: &[DeliveryAttempt],
        follow: Option<FollowOn>,
    ) -> StoreResult<Vec<RecordedAttempt>> {
        let ids = Self::list(
            &attempts
                .iter()
                .map(|attempt| attempt.delivery_id)
                .collect::<Vec<_>>(),
        )?;
        let attempts = attempts.to_vec();
        self.writer_thread
            .transaction(move |transaction| {
                let mut holders = HashMap::new();
                let mut leased = transaction.prepare_cached(LEASED_DELIVERIES)?;
                let mut rows = leased.query([&ids])?;
                while let Some(row) = rows.next()? {
                    holders.insert(row.get::<_, i64>(0)?, row.get::<_, Option<String>>(1)?);
                }
                let recorded = held_by_their_lease(&attempts, &holders);
                // A delivery that is done erases the message content it
                // carried, unless that is kept.
                let mut record = transaction.prepare_cached(RECORD_ATTEMPT)?;
                let mut insert = transaction.prepare_cached(INSERT_ATTEMPT)?;
                let mut release = transaction.prepare_cached(END_LEASE)?;
                for row in attempt_rows(&recordable(&attempts, &recorded)) {
                    record.execute(params![row.id, row.state, row.next, row.at])?;
                    release.execute(params![row.id])?;
                    insert.execute(params![row.id, row.at, row.status, row.error, row.duration])?;
                }
                let mut next_due = transaction.prepare_cached(NEXT_DUE)?;
                let mut leasing = transaction.prepare_cached(LEASE_DELIVERY)?;
                attempts
                    .iter()
                    .zip(recorded)
                    .map(|(attempt, recorded)| {
                        let next = match follow {
                            Some(follow) if recorded && attempt.delivered => {
                                let next = decode_rows::<ClaimedDelivery>(
                                    &mut next_due,
                                    params![attempt.delivery_id, follow.now, attempt.lease],
                                )?
                                .into_iter()
                                .next();
                                if let Some(next) = &next {
                                    leasing.execute(params![
                                        attempt.lease,
                                        follow.lease_until,
                                        next.id,
                                        next.gate_id
                                    ])?;
                                }
                                next
                            }
                            _ => None,
                        };
                        Ok(RecordedAttempt { recorded, next })
                    })
                    .collect::<StoreResult<Vec<_>>>()
            })
            .await
    }
}
