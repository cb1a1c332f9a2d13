//! The PostgreSQL callback queues: deliveries fed from the event queue
//! under a cursor that moves by compare-and-swap, claimed with leases in
//! per-message order (`FOR UPDATE SKIP LOCKED`) and in turns across gates
//! (each gate at most its share), and their attempts. Claims running at the
//! same time on several instances each see the others' leases only once
//! committed: together they may give a gate up to one share each.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::PgStore;
use crate::clock::now_millis;
use crate::store::attempts::{attempt_rows, held_by_their_lease, recordable};
use crate::store::batch::json_rows;
use crate::store::rows::{FromStoreRow, StoreRow};
use crate::store::sql::callbacks::{CREATE_CURSOR, MOVE_CURSOR};
use crate::store::{
    ClaimedDelivery, DeliveryAttempt, FollowOn, Millis, NewDelivery, RecordedAttempt,
    RoutedInbound, StoreResult,
};

/// The next callbacks after the delivered tries `$1` (rows `id`, `lease`),
/// each of its message to its gate, leased to the try's lease until `$3`:
/// for each, the earliest still pending, when it is due and free at `$2`
/// and its gate is not paused. `prev` names the try it follows.
const LEASE_NEXT_DUE: &str = "WITH done AS (
         SELECT (value ->> 'id')::bigint AS prev, value ->> 'lease' AS lease
         FROM jsonb_array_elements($1::jsonb)
     ), heads AS (
         SELECT done.prev, done.lease,
                (SELECT n.id FROM deliveries p JOIN deliveries n
                   ON n.ordering = p.ordering AND n.gate_id = p.gate_id AND n.state = 'PENDING'
                 WHERE p.id = done.prev ORDER BY n.id LIMIT 1) AS next_id
         FROM done
     ), chosen AS (
         SELECT h.prev, h.lease, d.id, COALESCE(d.url, g.url) AS url, g.signing_secret
         FROM heads h JOIN deliveries d ON d.id = h.next_id
         JOIN gates g ON g.id = d.gate_id AND g.account_id = d.account_id
         WHERE d.next_attempt_at <= $2 AND d.lease_until <= $2
           AND NOT EXISTS (SELECT 1 FROM gate_pauses gp WHERE gp.gate_id = d.gate_id)
         FOR UPDATE OF d SKIP LOCKED
     )
     -- What it returns comes back with the update (a join of two CTEs
     -- would scan one per row of the other).
     UPDATE deliveries SET lease_owner = chosen.lease, lease_until = $3
     FROM chosen WHERE deliveries.id = chosen.id
     RETURNING chosen.prev, deliveries.id, deliveries.gate_id, deliveries.payload,
               deliveries.attempts, deliveries.lease_owner AS lease, deliveries.request_id,
               chosen.url, chosen.signing_secret, deliveries.origin,
               deliveries.created_at AS queued_at";

/// Has the rest of the transaction run the plan made once for each of its
/// statements, whatever its parameters.
const GENERIC_PLANS: &str = "SET LOCAL plan_cache_mode = force_generic_plan";

/// A try that delivered, as a row of `LEASE_NEXT_DUE`'s `$1`.
#[derive(Serialize)]
struct DeliveredTry<'a> {
    id: i64,
    lease: &'a str,
}

/// Who holds each of the pending deliveries `$1` (ids): `id`,
/// `lease_owner`; their rows stay locked (taken in id order, so two
/// instances' batches never wait on each other crosswise) until the
/// tries are recorded.
const LEASED_DELIVERIES: &str = "SELECT id, lease_owner FROM deliveries
     WHERE id = ANY($1) AND state = 'PENDING' ORDER BY id FOR UPDATE";

/// Records the tries `$1` (`batch::attempt_rows`, only those whose lease
/// holds) on their deliveries, erasing the content of a delivery that
/// ended unless it is kept beyond the try.
const RECORD_ATTEMPTS: &str = "UPDATE deliveries
     SET state = j.state, attempts = deliveries.attempts + 1,
         next_attempt_at = COALESCE(j.next, deliveries.next_attempt_at),
         lease_owner = NULL, lease_until = 0,
         finished_at = CASE WHEN j.state = 'PENDING' THEN NULL ELSE j.at END,
         payload = CASE WHEN j.state <> 'PENDING' AND deliveries.content_until <= j.at
                        THEN '' ELSE deliveries.payload END,
         content_until = CASE WHEN j.state <> 'PENDING' AND deliveries.content_until <= j.at
                              THEN NULL ELSE deliveries.content_until END
     FROM jsonb_to_recordset($1::jsonb) AS j (id bigint, state text, next bigint, at bigint)
     WHERE deliveries.id = j.id";

/// The tries `$1` (as for `RECORD_ATTEMPTS`) as attempt rows, in order.
const INSERT_ATTEMPTS: &str =
    "INSERT INTO delivery_attempts (delivery_id, at, http_status, error, duration_ms)
     SELECT (value ->> 'id')::bigint, (value ->> 'at')::bigint, (value ->> 'status')::bigint,
            value ->> 'error', (value ->> 'duration')::bigint
     FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS j (value, key) ORDER BY key";

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

/// Marks the incoming messages `$1` (rows `wamid`, `until`) routed,
/// erasing the content of those not kept beyond `$2` (now).
const MARK_ROUTED: &str = "UPDATE inbound_messages
     SET routed = TRUE, message_id = j.id,
         message = CASE WHEN j.until <= $2 THEN '' ELSE inbound_messages.message END,
         content_until = CASE WHEN j.until <= $2 THEN NULL ELSE j.until END
     FROM jsonb_to_recordset($1::jsonb) AS j (wamid text, until bigint, id text)
     WHERE inbound_messages.wamid = j.wamid";

/// Runs [`INSERT_DELIVERIES`] in `tx` (the deliveries due now).
async fn insert_deliveries(
    tx: &mut sqlx::PgConnection,
    deliveries: &[NewDelivery],
) -> StoreResult<()> {
    if deliveries.is_empty() {
        return Ok(());
    }
    let column =
        |field: fn(&NewDelivery) -> &str| -> Vec<&str> { deliveries.iter().map(field).collect() };
    let optional = |field: fn(&NewDelivery) -> Option<&str>| -> Vec<Option<&str>> {
        deliveries.iter().map(field).collect()
    };
    sqlx::query(INSERT_DELIVERIES)
        .bind(column(|delivery| &delivery.origin))
        .bind(column(|delivery| &delivery.gate_id))
        .bind(column(|delivery| &delivery.account_id))
        .bind(column(|delivery| &delivery.ordering))
        .bind(optional(|delivery| delivery.url.as_deref()))
        .bind(column(|delivery| &delivery.payload))
        .bind(
            deliveries
                .iter()
                .map(|delivery| delivery.content_until)
                .collect::<Vec<_>>(),
        )
        .bind(optional(|delivery| delivery.request_id.as_deref()))
        .bind(now_millis())
        .execute(tx)
        .await?;
    Ok(())
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
            .bind(serde_json::to_string(routed)?)
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
                        GREATEST($5 - (SELECT COUNT(*) FROM deliveries busy
                                       WHERE busy.gate_id = g.id AND busy.state = 'PENDING'
                                         AND busy.lease_until > $1), 0) AS room
                 FROM gates g
                 -- A paused gate's callbacks wait.
                 WHERE NOT EXISTS (SELECT 1 FROM gate_pauses p WHERE p.gate_id = g.id)
             ), picked AS (
                 SELECT due.id, due.next_attempt_at, COALESCE(due.url, s.url) AS url,
                        s.signing_secret,
                        ROW_NUMBER() OVER (PARTITION BY s.id
                                           ORDER BY due.next_attempt_at, due.id) AS turn
                 FROM share s CROSS JOIN LATERAL (
                     SELECT d.id, d.next_attempt_at, d.url
                     FROM deliveries d
                     WHERE d.gate_id = s.id AND d.account_id = s.account_id
                       AND d.state = 'PENDING' AND d.next_attempt_at <= $1
                       AND d.lease_until <= $1
                       AND NOT EXISTS (SELECT 1 FROM deliveries earlier
                                       WHERE earlier.ordering = d.ordering
                                         AND earlier.gate_id = d.gate_id
                                         AND earlier.state = 'PENDING'
                                         AND earlier.id < d.id)
                     ORDER BY d.next_attempt_at, d.id
                     LIMIT s.room
                     FOR UPDATE OF d SKIP LOCKED
                 ) due
             ), chosen AS (
                 SELECT * FROM picked ORDER BY turn, next_attempt_at, id LIMIT $2
             ), leased AS (
                 -- What the claim returns comes back with the update (a
                 -- join of the two CTEs would scan one per row of the
                 -- other).
                 UPDATE deliveries SET lease_owner = $3, lease_until = $4
                 FROM chosen WHERE deliveries.id = chosen.id
                 RETURNING deliveries.id, deliveries.gate_id, deliveries.payload,
                           deliveries.attempts, deliveries.lease_owner AS lease,
                           deliveries.request_id, chosen.url, chosen.signing_secret,
                           deliveries.origin, deliveries.created_at AS queued_at, chosen.turn,
                           chosen.next_attempt_at
             )
             SELECT id, gate_id, payload, attempts, lease, request_id, url, signing_secret, origin,
                    queued_at
             FROM leased
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
    /// tries' pending deliveries, records the tries whose lease still holds
    /// them and, with `follow`, leases the next callbacks
    /// (`LEASE_NEXT_DUE`), in one transaction.
    pub(super) async fn record_delivery_attempts(
        &self,
        attempts: &[DeliveryAttempt],
        follow: Option<FollowOn>,
    ) -> StoreResult<Vec<RecordedAttempt>> {
        let ids: Vec<i64> = attempts.iter().map(|attempt| attempt.delivery_id).collect();
        let mut tx = self.writer.begin().await?;
        let mut holders = HashMap::new();
        for row in sqlx::query(LEASED_DELIVERIES)
            .bind(&ids)
            .fetch_all(&mut *tx)
            .await?
        {
            holders.insert(
                row.get::<i64>("id")?,
                row.get::<Option<String>>("lease_owner")?,
            );
        }
        let recorded = held_by_their_lease(attempts, &holders);
        let held = recordable(attempts, &recorded);
        if let Some(rows) = json_rows(&attempt_rows(&held))? {
            // A delivery that is done erases the message content it
            // carried, unless that is kept.
            sqlx::query(RECORD_ATTEMPTS)
                .bind(&rows)
                .execute(&mut *tx)
                .await?;
            sqlx::query(INSERT_ATTEMPTS)
                .bind(&rows)
                .execute(&mut *tx)
                .await?;
        }
        let mut next: HashMap<i64, ClaimedDelivery> = HashMap::new();
        let delivered: Vec<DeliveredTry<'_>> = held
            .iter()
            .filter(|attempt| attempt.delivered)
            .map(|attempt| DeliveredTry {
                id: attempt.delivery_id,
                lease: &attempt.lease,
            })
            .collect();
        if let Some(follow) = follow.filter(|_| !delivered.is_empty()) {
            // Its plan does not turn on the tries: made once for the
            // connection, not for each batch (where planning cost a fifth
            // of what running it did).
            sqlx::query(GENERIC_PLANS).execute(&mut *tx).await?;
            let mut leased = HashSet::new();
            for row in sqlx::query(LEASE_NEXT_DUE)
                .bind(serde_json::to_string(&delivered)?)
                .bind(follow.now)
                .bind(follow.lease_until)
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
