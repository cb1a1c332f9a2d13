//! The PostgreSQL callback queues: deliveries fed from the event queue
//! under a cursor that moves by compare-and-swap, claimed with leases in
//! per-message order (`FOR UPDATE SKIP LOCKED`), and their attempts.

use super::PgStore;
use crate::store::rows::FromStoreRow;
use crate::store::{ClaimedDelivery, Millis, StoreResult};

impl PgStore {
    /// Queues deliveries (`$1`, the rows of `batch::delivery_rows`, due at
    /// `$2`), in order; an (origin, gate) already queued is not queued again.
    pub(super) const INSERT_DELIVERIES: &str =
        "INSERT INTO deliveries (origin, gate_id, account_id, ordering, payload, state,
                                 next_attempt_at, created_at)
         SELECT value ->> 'origin', value ->> 'gate', value ->> 'account', value ->> 'ordering',
                value ->> 'payload',
                -- A gate deleted since the reader looked it up gets
                -- nothing; the gate's row stays locked until this commits,
                -- so a delete under way waits and then gives these up.
                CASE WHEN EXISTS (SELECT 1 FROM gates g
                                  WHERE g.id = value ->> 'gate' AND g.account_id = value ->> 'account'
                                  FOR KEY SHARE)
                     THEN 'PENDING' ELSE 'GAVE_UP' END,
                $2, $2
         FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS j (value, key) ORDER BY key
         ON CONFLICT (origin, gate_id) DO NOTHING";

    /// Which of the messages `$1` name event report gates.
    pub(super) const MESSAGES_WITH_GATES: &str =
        "SELECT message_id FROM messages WHERE message_id = ANY($1) AND gate_ids <> '[]'";

    /// The oldest `$1` incoming messages not routed yet, with their source's id.
    pub(super) const UNROUTED_INBOUND: &str =
        "SELECT i.wamid, i.phone_number_id, i.at, i.received_at, i.message, i.contact,
                s.id AS source_id
         FROM inbound_messages i LEFT JOIN sources s ON s.phone_number_id = i.phone_number_id
         WHERE NOT i.routed ORDER BY i.received_at, i.id LIMIT $1";

    /// Marks the incoming messages `$1` routed.
    pub(super) const MARK_ROUTED: &str =
        "UPDATE inbound_messages SET routed = TRUE WHERE wamid = ANY($1)";

    /// `CallbackStore::claim_deliveries`.
    pub(super) async fn lease_due_deliveries(
        &self,
        lease: &str,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        // One statement, as the outbox's claim: due deliveries whose earlier
        // ones (same ordering, same gate) are done, skipping any another
        // claim holds, leased and returned in claim order.
        let rows = sqlx::query(
            "WITH picked AS (
                 SELECT d.id, d.next_attempt_at, g.url, g.signing_secret
                 FROM deliveries d JOIN gates g ON g.id = d.gate_id AND g.account_id = d.account_id
                 WHERE d.state = 'PENDING' AND d.next_attempt_at <= $1 AND d.lease_until <= $1
                   AND NOT EXISTS (SELECT 1 FROM deliveries earlier
                                   WHERE earlier.ordering = d.ordering
                                     AND earlier.gate_id = d.gate_id
                                     AND earlier.state = 'PENDING'
                                     AND earlier.id < d.id)
                 ORDER BY d.next_attempt_at, d.id
                 LIMIT $2
                 FOR UPDATE OF d SKIP LOCKED
             ), leased AS (
                 UPDATE deliveries SET lease_owner = $3, lease_until = $4
                 FROM picked WHERE deliveries.id = picked.id
                 RETURNING deliveries.id, deliveries.gate_id, deliveries.payload,
                           deliveries.attempts, deliveries.lease_owner
             )
             SELECT l.id, l.gate_id, l.payload, l.attempts, l.lease_owner AS lease, p.url,
                    p.signing_secret
             FROM leased l JOIN picked p ON p.id = l.id
             ORDER BY p.next_attempt_at, p.id",
        )
        .bind(now)
        .bind(i64::from(limit))
        .bind(lease)
        .bind(lease_until)
        .fetch_all(&self.writer)
        .await?;
        rows.iter().map(ClaimedDelivery::from_row).collect()
    }
}
