//! The callback queues' claim, checked on the store itself: each gate gets
//! at most its share less what is leased for it, the gates take turns, and
//! one message's callbacks to a gate still go one after the other.

mod common;

use std::sync::Arc;

use common::{Backend, TestDatabase};
use wagate::store::{
    ClaimedDelivery, DeliveryAttempt, Gate, GateFormat, NewDelivery, Store, StoreResult,
};

/// Later than any delivery's first due time (they are queued due now).
const NOW: i64 = 4_000_000_000_000;
/// How long the claims below lease.
const LEASE: i64 = 60_000;

async fn open(backend: Backend) -> (Arc<dyn Store>, TestDatabase) {
    let database = TestDatabase::create(backend).await;
    let store = database.store_with_account().await;
    for id in ["slow", "fast"] {
        store
            .insert_gate(&Gate {
                id: id.into(),
                account_id: "acc".into(),
                url: format!("http://127.0.0.1:9/{id}"),
                format: GateFormat::Link,
                custom_parameters: Default::default(),
                signing_secret: None,
                created_at: 0,
            })
            .await
            .expect("gate");
    }
    (store, database)
}

/// The callback `origin` of message `ordering` to `gate` (its payload names
/// it).
fn delivery(gate: &str, ordering: &str, origin: &str) -> NewDelivery {
    NewDelivery {
        origin: origin.into(),
        gate_id: gate.into(),
        account_id: "acc".into(),
        ordering: ordering.into(),
        payload: origin.into(),
        content_until: None,
    }
}

async fn claim(
    store: &dyn Store,
    lease: &str,
    now: i64,
    limit: u32,
) -> StoreResult<Vec<ClaimedDelivery>> {
    store
        .claim_deliveries(lease, now, now + LEASE, limit, 2)
        .await
}

fn payloads(claimed: &[ClaimedDelivery]) -> Vec<&str> {
    claimed
        .iter()
        .map(|delivery| delivery.payload.as_str())
        .collect()
}

on_backends!(gates_take_turns_and_each_gets_at_most_its_share);
async fn gates_take_turns_and_each_gets_at_most_its_share(backend: Backend) {
    let (store, _database) = open(backend).await;
    // The slow gate's backlog is queued first: five messages of two
    // reports each; then one report each of two messages to the fast gate.
    let mut queued = Vec::new();
    for message in 0..5 {
        for report in 0..2 {
            let origin = format!("slow-m{message}-r{report}");
            queued.push(delivery("slow", &format!("m{message}"), &origin));
        }
    }
    queued.push(delivery("fast", "f0", "fast-f0"));
    queued.push(delivery("fast", "f1", "fast-f1"));
    assert!(
        store
            .enqueue_deliveries("dlr", 0, 1, &queued)
            .await
            .expect("enqueue")
    );

    // One at a time: the oldest gate's first.
    let first = claim(store.as_ref(), "one", NOW, 1).await.expect("claim");
    assert_eq!(payloads(&first), ["slow-m0-r0"]);
    // Then turns: the fast gate's first before the slow gate's second, and
    // the slow gate only up to its share of two (one is leased already).
    let turns = claim(store.as_ref(), "turns", NOW, 10)
        .await
        .expect("claim");
    assert_eq!(payloads(&turns), ["slow-m1-r0", "fast-f0", "fast-f1"]);
    assert!(
        claim(store.as_ref(), "none", NOW, 10)
            .await
            .expect("claim")
            .is_empty(),
        "both gates have their share in flight"
    );

    // A try that ends frees a share: the slow gate's next is the ended
    // message's second report (it was waiting behind the first), not m2.
    // A try recorded in the same batch under a lease that does not hold its
    // delivery is refused, and the delivery stays leased.
    let ended = |delivery: &wagate::store::ClaimedDelivery, lease: &str| DeliveryAttempt {
        delivery_id: delivery.id,
        lease: lease.to_owned(),
        at: NOW,
        http_status: Some(200),
        error: None,
        duration_ms: 5,
        next_attempt_at: None,
        delivered: true,
    };
    let recorded = store
        .record_attempts(&[
            ended(&first[0], &first[0].lease),
            ended(&turns[0], "a lease that ran out"),
        ])
        .await
        .expect("record");
    assert_eq!(recorded, [true, false]);
    let next = claim(store.as_ref(), "next", NOW, 10).await.expect("claim");
    assert_eq!(payloads(&next), ["slow-m0-r1"]);

    // Leases that ran out count no more: their callbacks are due again,
    // first, and the share is full again with them.
    let later = NOW + LEASE + 1;
    let again = claim(store.as_ref(), "again", later, 10)
        .await
        .expect("claim");
    assert_eq!(
        payloads(&again),
        ["slow-m0-r1", "fast-f0", "slow-m1-r0", "fast-f1"]
    );
}
