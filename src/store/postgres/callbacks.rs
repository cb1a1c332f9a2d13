//! The PostgreSQL callback queues: deliveries fed from the event queue
//! under a cursor that moves by compare-and-swap, claimed with leases in
//! per-message order (`FOR UPDATE SKIP LOCKED`) and in turns across gates
//! (each gate at most its share), and their attempts. Claims running at the
//! same time on several instances each see the others' leases only once
//! committed: together they may give a gate up to one share each.
//!
//! A lease is a row of `delivery_leases`, not a new version of the
//! callback's row. It is written only while the callback's row is locked,
//! and a claim replaces only an expired lease (`ON CONFLICT ... WHERE`): a
//! claim that found a callback free, then locked it just after another
//! claim leased it and committed, takes nothing. A record reads the leases
//! after it has locked the rows, in a statement of its own, so it sees a
//! lease taken over while it waited.

use std::collections::{HashMap, HashSet};

use super::{PgStore, column};
use crate::clock::now_millis;
use crate::store::attempts::{attempt_rows, recordable};
use crate::store::rows::{FromStoreRow, StoreRow};
use crate::store::sql::callbacks::{CREATE_CURSOR, MOVE_CURSOR};
use crate::store::{
    ClaimedDelivery, DeliveryAttempt, FollowOn, Millis, NewDelivery, RecordedAttempt,
    RoutedInbound, StoreError, StoreResult,
};

/// The next callbacks after the delivered tries `$1` (ids), under their
/// leases `$4` (one a try), each of its message to its gate, leased to the
/// try's lease until `$3`: for each, the earliest still pending, when it is
/// due and free at `$2` and its gate is not paused. `prev` names the try it
/// follows.
///
/// Written so that its plan, made once (see [`BEGIN_GENERIC_PLANS`]) while the
/// queue may still be small, stays right as it grows: the tries come from
/// typed arrays (which the planner counts as a few rows, so each is looked
/// up by its key, not joined to a scan of the queue); each message's
/// earliest pending callback is a subquery of its own, one probe of
/// `deliveries_in_order` (joined, the planner took the per-gate index for
/// it, and read the gate's whole queue for every try); and that callback is
/// read and locked in a lateral subquery, by its key (joined, the planner
/// hashed a scan of the queue planned when it was small).
const LEASE_NEXT_DUE: &str = "WITH done AS (
         SELECT * FROM UNNEST($1::bigint[], $4::text[]) AS t (prev, lease)
     ), heads AS (
         SELECT done.prev, done.lease,
                (SELECT n.id FROM deliveries n
                 WHERE n.ordering = p.ordering AND n.gate_id = p.gate_id AND n.state = 'PENDING'
                 ORDER BY n.id LIMIT 1) AS next_id
         FROM done JOIN deliveries p ON p.id = done.prev
     ), chosen AS (
         SELECT h.prev, h.lease, d.id, d.gate_id, d.payload, d.attempts, d.request_id,
                COALESCE(d.url, g.url) AS url, g.signing_secret, d.origin, d.queued_at
         FROM heads h CROSS JOIN LATERAL (
             SELECT n.id, n.gate_id, n.account_id, n.payload, n.attempts, n.request_id, n.url,
                    n.origin, n.created_at AS queued_at
             FROM deliveries n
             WHERE n.id = h.next_id AND n.next_attempt_at <= $2
               AND NOT EXISTS (SELECT 1 FROM delivery_leases l
                               WHERE l.delivery_id = n.id AND l.lease_until > $2)
               AND NOT EXISTS (SELECT 1 FROM gate_pauses gp WHERE gp.gate_id = n.gate_id)
             FOR UPDATE SKIP LOCKED
         ) d
         JOIN gates g ON g.id = d.gate_id AND g.account_id = d.account_id
     ), leased AS (
         INSERT INTO delivery_leases (delivery_id, gate_id, lease_owner, lease_until)
         SELECT DISTINCT ON (id) id, gate_id, lease, $3 FROM chosen ORDER BY id, prev
         ON CONFLICT (delivery_id) DO UPDATE
             SET lease_owner = EXCLUDED.lease_owner, lease_until = EXCLUDED.lease_until
             WHERE delivery_leases.lease_until <= $2
         RETURNING delivery_id, lease_owner
     )
     SELECT c.prev, c.id, c.gate_id, c.payload, c.attempts, c.lease, c.request_id, c.url,
            c.signing_secret, c.origin, c.queued_at
     FROM chosen c JOIN leased l ON l.delivery_id = c.id AND l.lease_owner = c.lease";

/// Begins a transaction whose statements each run the plan made once for
/// the connection, whatever their parameters: one round trip, the `SET`
/// sent with the `BEGIN` (the simple protocol takes both in one message).
/// For the tries' record, whose statements are written to keep one plan
/// right as the queue grows (see [`LEASE_NEXT_DUE`], [`RECORD_HELD`]);
/// planned again for each batch, planning cost a fifth of what running
/// them did.
const BEGIN_GENERIC_PLANS: &str = "BEGIN; SET LOCAL plan_cache_mode = force_generic_plan";

/// Locks the deliveries `$1` (ids), taken in id order (so two instances'
/// batches never wait on each other crosswise), until the tries are
/// recorded, so that no claim can lease them meanwhile. By key alone: with
/// the state in the condition, the planner may read a whole partial index
/// of pending callbacks for them.
const LOCK_DELIVERIES: &str = "SELECT id FROM deliveries
     WHERE id = ANY($1) ORDER BY id FOR UPDATE";

/// Records the tries held by their lease, in one statement after
/// [`LOCK_DELIVERIES`] (its snapshot, taken once the locks were granted,
/// shows a lease a claim took before): the tries are the columns `$1` to
/// `$8` (delivery, lease, state after, next try, at, HTTP status, error,
/// duration: an `attempts::AttemptRow` and its lease), one element a try.
/// Those whose delivery is still pending and leased to the try's lease
/// (`held`) have the lease ended (looked up by key, as an array: the lease
/// table holds many dead rows between vacuums, which a scan would read),
/// the delivery's state, tries and next time set, the content of a
/// delivery that ended erased unless it is kept beyond the try, and an
/// attempt row each, in order. Returns the positions (from 1) of the tries
/// recorded.
///
/// One statement, where the lease holders were read, then the tries
/// recorded and their attempt rows written, in three: the record's
/// transaction is what a gate's callback slot waits on between one
/// callback of a message and the next, and each round trip to the server
/// is a wait for both processes to be scheduled.
const RECORD_HELD: &str = "WITH tries AS (
         SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[],
                              $6::bigint[], $7::text[], $8::bigint[])
                WITH ORDINALITY AS t (id, lease, state, next, at, status, error, duration, key)
     ), held AS (
         SELECT t.* FROM tries t
         -- The state and the lease read by key alone, each in a subquery
         -- of its own: as a join or an EXISTS with the state in its
         -- condition, the planner hashed the whole partial index of
         -- pending callbacks for it (and could hash a scan of the lease
         -- table, dead rows and all).
         WHERE (SELECT d.state FROM deliveries d WHERE d.id = t.id) = 'PENDING'
           AND (SELECT l.lease_owner FROM delivery_leases l WHERE l.delivery_id = t.id)
               = t.lease
     ), freed AS (
         DELETE FROM delivery_leases WHERE delivery_id = ANY(ARRAY(SELECT id FROM held))
     ), recorded AS (
         UPDATE deliveries
         SET state = j.state, attempts = deliveries.attempts + 1,
             next_attempt_at = COALESCE(j.next, deliveries.next_attempt_at),
             finished_at = CASE WHEN j.state = 'PENDING' THEN NULL ELSE j.at END,
             payload = CASE WHEN j.state <> 'PENDING' AND deliveries.content_until <= j.at
                            THEN '' ELSE deliveries.payload END,
             content_until = CASE WHEN j.state <> 'PENDING' AND deliveries.content_until <= j.at
                                  THEN NULL ELSE deliveries.content_until END
         FROM held j WHERE deliveries.id = j.id
     ), tried AS (
         INSERT INTO delivery_attempts (delivery_id, at, http_status, error, duration_ms)
         SELECT id, at, status, error, duration FROM held ORDER BY key
     )
     SELECT key FROM held";

/// Queues deliveries, in order, due at `$9`: the columns `$1` to `$8`
/// (origin, gate, account, ordering, url, payload, content kept until,
/// request id) as arrays, one element a delivery; an (origin, gate)
/// already queued is not queued again. Typed arrays, not JSON rows: the
/// payloads are most of a batch's bytes, and the server took a tenth of
/// its time lexing them out of JSON strings.
const INSERT_DELIVERIES: &str = "WITH queued AS (
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                              $6::text[], $7::bigint[], $8::text[])
                WITH ORDINALITY AS q (origin, gate, account, ordering, url, payload,
                                      content_until, request_id, key)
     ), live AS (
         -- A gate deleted since the reader looked it up gets nothing;
         -- the gate's row stays locked until this commits, so a delete
         -- under way waits and then gives these up.
         SELECT g.id, g.account_id FROM gates g
         WHERE (g.id, g.account_id) IN (SELECT gate, account FROM queued)
         FOR KEY SHARE
     )
     INSERT INTO deliveries (origin, gate_id, account_id, ordering, url, payload, content_until,
                             request_id, state, next_attempt_at, created_at)
     SELECT q.origin, q.gate, q.account, q.ordering, q.url, q.payload, q.content_until,
            q.request_id, CASE WHEN live.id IS NULL THEN 'GAVE_UP' ELSE 'PENDING' END, $9, $9
     FROM queued q LEFT JOIN live ON live.id = q.gate AND live.account_id = q.account
     ORDER BY q.key
     ON CONFLICT (origin, gate_id) DO NOTHING";

/// Those of the messages `$1` that name event report gates.
pub(super) const MESSAGES_TO_REPORT: &str =
    "SELECT * FROM messages WHERE message_id = ANY($1) AND gate_ids <> '[]'";

/// The parts of the messages `$1` (without their content), in order.
pub(super) const PARTS_TO_REPORT: &str =
    "SELECT message_id, message_index, message_type, state, result_code, '' AS cloud_body
     FROM message_parts WHERE message_id = ANY($1)
     ORDER BY message_id, message_index";

/// The contacts of the phone numbers `$1`, in every account.
pub(super) const CONTACTS_OF: &str = "SELECT * FROM contacts WHERE phone = ANY($1)";

/// The oldest `$1` incoming messages not routed yet, with their source's id.
pub(super) const UNROUTED_INBOUND: &str =
    "SELECT i.wamid, i.phone_number_id, i.at, i.received_at, i.message, i.contact,
            s.id AS source_id
     FROM inbound_messages i LEFT JOIN sources s ON s.phone_number_id = i.phone_number_id
     WHERE NOT i.routed ORDER BY i.received_at, i.id LIMIT $1";

/// Marks the incoming messages (wamids `$1`, content kept until `$2`, ids
/// given `$3`) routed, erasing the content of those not kept beyond `$4`
/// (now).
const MARK_ROUTED: &str = "UPDATE inbound_messages
     SET routed = TRUE, message_id = j.id,
         message = CASE WHEN j.until <= $4 THEN '' ELSE inbound_messages.message END,
         content_until = CASE WHEN j.until <= $4 THEN NULL ELSE j.until END
     FROM UNNEST($1::text[], $2::bigint[], $3::text[]) AS j (wamid, until, id)
     WHERE inbound_messages.wamid = j.wamid";

/// Runs [`INSERT_DELIVERIES`] in `tx` (the deliveries due now).
async fn insert_deliveries(
    tx: &mut sqlx::PgConnection,
    deliveries: &[NewDelivery],
) -> StoreResult<()> {
    if deliveries.is_empty() {
        return Ok(());
    }
    sqlx::query(INSERT_DELIVERIES)
        .bind(column(deliveries, |delivery| delivery.origin.as_str()))
        .bind(column(deliveries, |delivery| delivery.gate_id.as_str()))
        .bind(column(deliveries, |delivery| delivery.account_id.as_str()))
        .bind(column(deliveries, |delivery| delivery.ordering.as_str()))
        .bind(column(deliveries, |delivery| delivery.url.as_deref()))
        .bind(column(deliveries, |delivery| delivery.payload.as_str()))
        .bind(column(deliveries, |delivery| delivery.content_until))
        .bind(column(deliveries, |delivery| {
            delivery.request_id.as_deref()
        }))
        .bind(now_millis())
        .execute(tx)
        .await?;
    Ok(())
}

/// [`RECORD_HELD`] with the tries `attempts` bound as its columns.
fn record_held(
    attempts: &[DeliveryAttempt],
) -> sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments> {
    let every: Vec<&DeliveryAttempt> = attempts.iter().collect();
    let rows = attempt_rows(&every);
    sqlx::query(RECORD_HELD)
        .bind(column(&rows, |row| row.id))
        .bind(column(attempts, |attempt| attempt.lease.as_str()))
        .bind(column(&rows, |row| row.state))
        .bind(column(&rows, |row| row.next))
        .bind(column(&rows, |row| row.at))
        .bind(column(&rows, |row| row.status.map(i64::from)))
        .bind(column(&rows, |row| row.error))
        .bind(column(&rows, |row| row.duration))
}

impl PgStore {
    /// `CallbackStore::enqueue_deliveries`: moves the cursor (compare and
    /// swap; its row stays locked, so another instance moving it from the
    /// same place waits, then finds it moved and queues nothing), then
    /// queues the deliveries, in one transaction.
    pub(super) async fn queue_deliveries(
        &self,
        cursor: &str,
        from: i64,
        to: i64,
        deliveries: &[NewDelivery],
    ) -> StoreResult<bool> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(CREATE_CURSOR)
            .bind(cursor)
            .execute(&mut *tx)
            .await?;
        let moved = sqlx::query(MOVE_CURSOR)
            .bind(cursor)
            .bind(from)
            .bind(to)
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() != 1 {
            return Ok(false);
        }
        insert_deliveries(&mut tx, deliveries).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// `CallbackStore::enqueue_routed`: queues the deliveries, then marks
    /// the messages routed, in one transaction.
    pub(super) async fn queue_routed(
        &self,
        routed: &[RoutedInbound],
        deliveries: &[NewDelivery],
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        insert_deliveries(&mut tx, deliveries).await?;
        sqlx::query(MARK_ROUTED)
            .bind(column(routed, |message| message.wamid.as_str()))
            .bind(column(routed, |message| message.content_until))
            .bind(column(routed, |message| message.message_id.as_str()))
            .bind(now_millis())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// `CallbackStore::claim_deliveries`.
    pub(super) async fn lease_due_deliveries(
        &self,
        lease: &str,
        now: Millis,
        lease_until: Millis,
        limit: u32,
        per_gate: u32,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        // One statement, as the outbox's claim. Per gate (`share`): its cap
        // `$5` less what is leased for it now; as many of its due
        // deliveries as that leaves, whose earlier ones (same ordering, same
        // gate) are done, skipping any another claim holds, numbered as its
        // turns. Then turn by turn across gates, leased and returned in
        // that order.
        let rows = sqlx::query(
            "WITH share AS (
                 SELECT g.id, g.account_id, g.url, g.signing_secret,
                        GREATEST($5 - (SELECT COUNT(*) FROM delivery_leases busy
                                       WHERE busy.gate_id = g.id AND busy.lease_until > $1),
                                 0) AS room
                 FROM gates g
                 -- A paused gate's callbacks wait.
                 WHERE NOT EXISTS (SELECT 1 FROM gate_pauses p WHERE p.gate_id = g.id)
             ), picked AS (
                 SELECT due.id, due.gate_id, due.payload, due.attempts, due.request_id,
                        due.origin, due.created_at AS queued_at, due.next_attempt_at,
                        COALESCE(due.url, s.url) AS url, s.signing_secret,
                        ROW_NUMBER() OVER (PARTITION BY s.id
                                           ORDER BY due.next_attempt_at, due.id) AS turn
                 FROM share s CROSS JOIN LATERAL (
                     SELECT d.id, d.gate_id, d.payload, d.attempts, d.request_id, d.origin,
                            d.created_at, d.next_attempt_at, d.url
                     FROM deliveries d
                     WHERE d.gate_id = s.id AND d.account_id = s.account_id
                       AND d.state = 'PENDING' AND d.next_attempt_at <= $1
                       AND NOT EXISTS (SELECT 1 FROM delivery_leases l
                                       WHERE l.delivery_id = d.id AND l.lease_until > $1)
                       -- The earliest pending of its message to the gate:
                       -- a subquery of its own, one probe of
                       -- `deliveries_in_order` whatever the statistics say
                       -- (as an anti-join, the planner took the per-gate
                       -- index and read the gate's queue for every row).
                       AND d.id = (SELECT earliest.id FROM deliveries earliest
                                   WHERE earliest.ordering = d.ordering
                                     AND earliest.gate_id = d.gate_id
                                     AND earliest.state = 'PENDING'
                                   ORDER BY earliest.id LIMIT 1)
                     ORDER BY d.next_attempt_at, d.id
                     LIMIT s.room
                     FOR UPDATE OF d SKIP LOCKED
                 ) due
             ), chosen AS (
                 SELECT * FROM picked ORDER BY turn, next_attempt_at, id LIMIT $2
             ), leased AS (
                 -- Only an expired lease is replaced: a claim that saw the
                 -- delivery free, then locked it just after another claim
                 -- leased it and committed, takes nothing.
                 INSERT INTO delivery_leases (delivery_id, gate_id, lease_owner, lease_until)
                 SELECT id, gate_id, $3, $4 FROM chosen
                 ON CONFLICT (delivery_id) DO UPDATE
                     SET lease_owner = EXCLUDED.lease_owner, lease_until = EXCLUDED.lease_until
                     WHERE delivery_leases.lease_until <= $1
                 RETURNING delivery_id
             )
             SELECT id, gate_id, payload, attempts, $3 AS lease, request_id, url, signing_secret,
                    origin, queued_at
             FROM chosen WHERE id IN (SELECT delivery_id FROM leased)
             ORDER BY turn, next_attempt_at, id",
        )
        .bind(now)
        .bind(i64::from(limit))
        .bind(lease)
        .bind(lease_until)
        .bind(i64::from(per_gate))
        .fetch_all(&self.writer)
        .await?;
        rows.iter().map(ClaimedDelivery::from_row).collect()
    }

    /// `CallbackStore::record_attempts` (`attempts` not empty): locks the
    /// tries' deliveries, records the tries whose lease still holds them
    /// (`RECORD_HELD`) and, with `follow`, leases the next callbacks
    /// (`LEASE_NEXT_DUE`), in one transaction.
    pub(super) async fn record_delivery_attempts(
        &self,
        attempts: &[DeliveryAttempt],
        follow: Option<FollowOn>,
    ) -> StoreResult<Vec<RecordedAttempt>> {
        let ids: Vec<i64> = attempts.iter().map(|attempt| attempt.delivery_id).collect();
        let mut tx = self.writer.begin_with(BEGIN_GENERIC_PLANS).await?;
        sqlx::query(LOCK_DELIVERIES)
            .bind(&ids)
            .execute(&mut *tx)
            .await?;
        let mut recorded = vec![false; attempts.len()];
        for row in record_held(attempts).fetch_all(&mut *tx).await? {
            let position = usize::try_from(row.get::<i64>("key")?)
                .ok()
                .and_then(|key| key.checked_sub(1))
                .and_then(|index| recorded.get_mut(index));
            match position {
                Some(recorded) => *recorded = true,
                None => {
                    return Err(StoreError::Database(sqlx::Error::Protocol(
                        "the server recorded a try that is not in the batch".into(),
                    )));
                }
            }
        }
        let held = recordable(attempts, &recorded);
        let mut next: HashMap<i64, ClaimedDelivery> = HashMap::new();
        let (delivered, leases): (Vec<i64>, Vec<&str>) = held
            .iter()
            .filter(|attempt| attempt.delivered)
            .map(|attempt| (attempt.delivery_id, attempt.lease.as_str()))
            .unzip();
        if let Some(follow) = follow.filter(|_| !delivered.is_empty()) {
            let mut leased = HashSet::new();
            for row in sqlx::query(LEASE_NEXT_DUE)
                .bind(&delivered)
                .bind(follow.now)
                .bind(follow.lease_until)
                .bind(&leases)
                .fetch_all(&mut *tx)
                .await?
            {
                let claimed = ClaimedDelivery::from_row(&row)?;
                // One message's callbacks to a gate are one try at a time,
                // so two tries of a batch never lead to the same callback;
                // were they to, only the first would take it on.
                if leased.insert(claimed.id) {
                    next.insert(row.get::<i64>("prev")?, claimed);
                }
            }
        }
        tx.commit().await?;
        Ok(attempts
            .iter()
            .zip(recorded)
            .map(|(attempt, recorded)| RecordedAttempt {
                recorded,
                next: next.remove(&attempt.delivery_id),
            })
            .collect())
    }
}
