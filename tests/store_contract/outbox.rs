//! `OutboxStore`: claims follow `sort_key` and index order, a lease is
//! exclusive until it runs out, an outcome needs its lease, and a released
//! part is due again at once.

use wagate::store::NewRequest;
use wagate_domain::{MessageState, Priority};

use crate::build::{
    SOURCE, accept_m1, claim, codes, event_count, keys, message, open, record, request, resend,
    submitted,
};
use crate::common::Backend;
use crate::on_backends;

fn m1(index: u32) -> (String, u32) {
    ("m1".to_owned(), index)
}

on_backends!(a_lease_is_exclusive_until_it_runs_out);
async fn a_lease_is_exclusive_until_it_runs_out(backend: Backend) {
    let (store, _database) = open(backend).await;
    accept_m1(store.as_ref(), 1).await;
    let first = claim(store.as_ref(), "a", 2_000, 12_000).await;
    assert_eq!(keys(&first), [m1(0)]);
    assert_eq!(first[0].cloud_body, "{\"index\":0}");
    assert_eq!(
        first[0].request_id.as_deref(),
        Some("req-m1"),
        "the claim carries the id of the request that queued the part"
    );
    assert!(claim(store.as_ref(), "b", 5_000, 15_000).await.is_empty());
    assert!(
        store
            .claim("+46700000999", "b", 20_000, 30_000, 10)
            .await
            .expect("claim")
            .is_empty(),
        "another number's outbox is empty"
    );
    // Once the lease runs out, another claim takes the part.
    let second = claim(store.as_ref(), "b", 12_000, 22_000).await;
    assert_eq!(keys(&second), [m1(0)]);
}

on_backends!(an_outcome_under_a_lost_lease_is_refused);
async fn an_outcome_under_a_lost_lease_is_refused(backend: Backend) {
    let (store, _database) = open(backend).await;
    accept_m1(store.as_ref(), 1).await;
    claim(store.as_ref(), "a", 2_000, 12_000).await;
    claim(store.as_ref(), "b", 12_000, 22_000).await;
    assert!(!record(store.as_ref(), 0, "a", submitted("wamid.late")).await);
    assert!(record(store.as_ref(), 0, "b", submitted("wamid.b")).await);
    assert!(
        claim(store.as_ref(), "c", 99_000, 99_999).await.is_empty(),
        "a submitted part left the outbox"
    );
    let part = &message(store.as_ref(), "m1").await.parts[0];
    assert_eq!(part.state, MessageState::Submitted);
    assert_eq!(codes(part), [112002], "the lost lease recorded nothing");
    let events = store.events_after(0, 100).await.expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].message_id.as_str(), events[0].status.result_code),
        ("m1", 112002)
    );
    assert!(
        store
            .events_after(events[0].id, 100)
            .await
            .expect("events")
            .is_empty()
    );
}

on_backends!(one_batch_records_one_outcome_per_held_part);
async fn one_batch_records_one_outcome_per_held_part(backend: Backend) {
    let (store, _database) = open(backend).await;
    accept_m1(store.as_ref(), 1).await;
    claim(store.as_ref(), "a", 2_000, 12_000).await;
    let outcome = |wamid| crate::build::outcome("m1", 0, "a", submitted(wamid));
    let recorded = store
        .record(&[outcome("wamid.1"), outcome("wamid.2")])
        .await
        .expect("record");
    assert_eq!(recorded, [true, false], "the first of the batch counts");
    assert_eq!(event_count(store.as_ref()).await, 1);
}

on_backends!(claims_keep_index_order_and_resends_wait_their_turn);
async fn claims_keep_index_order_and_resends_wait_their_turn(backend: Backend) {
    let (store, _database) = open(backend).await;
    accept_m1(store.as_ref(), 3).await;
    let claimed = claim(store.as_ref(), "a", 2_000, 60_000).await;
    assert_eq!(keys(&claimed), [m1(0)], "index 1 waits for index 0");
    assert!(record(store.as_ref(), 0, "a", resend(10_000)).await);
    assert!(
        claim(store.as_ref(), "a", 3_000, 60_000).await.is_empty(),
        "the resend is not due, and index 1 still waits"
    );
    let again = claim(store.as_ref(), "a", 10_000, 60_000).await;
    assert_eq!(keys(&again), [m1(0)]);
    assert_eq!(again[0].attempts, 1);
    assert!(record(store.as_ref(), 0, "a", submitted("wamid.0")).await);
    let next = claim(store.as_ref(), "a", 10_000, 60_000).await;
    assert_eq!(keys(&next), [m1(1)]);
}

on_backends!(a_released_part_is_claimable_at_once_and_keeps_its_attempts);
async fn a_released_part_is_claimable_at_once_and_keeps_its_attempts(backend: Backend) {
    let (store, _database) = open(backend).await;
    accept_m1(store.as_ref(), 1).await;
    let claimed = claim(store.as_ref(), "a", 2_000, 60_000).await;
    store.release("a", &keys(&claimed)).await.expect("release");
    let released = claim(store.as_ref(), "b", 2_001, 60_000).await;
    assert_eq!(keys(&released), [m1(0)]);
    assert_eq!(released[0].attempts, 0, "an untried part counts no try");
    // A release under a lease that no longer holds the part gives nothing
    // back.
    store.release("a", &keys(&released)).await.expect("release");
    assert!(claim(store.as_ref(), "c", 2_002, 60_000).await.is_empty());
}

on_backends!(claims_serve_high_first_within_the_lead_and_low_after_it);
async fn claims_serve_high_first_within_the_lead_and_low_after_it(backend: Backend) {
    let (store, _database) = open(backend).await;
    store
        .accept(&[
            request("low-old", Priority::Low, 0, 1),
            request("low", Priority::Low, 100_000, 1),
            request("normal", Priority::Normal, 110_000, 1),
            request("high", Priority::High, 120_000, 1),
        ])
        .await
        .expect("accept");
    let claimed = claim(store.as_ref(), "a", 200_000, 300_000).await;
    let order: Vec<_> = claimed
        .iter()
        .map(|part| part.message_id.as_str())
        .collect();
    // HIGH (120 s − 60 s) and NORMAL (110 s − 30 s) overtake the LOW queued
    // at 100 s, but not the LOW that has waited longer than the leads.
    assert_eq!(order, ["low-old", "high", "normal", "low"]);
    assert_eq!(store.outbox_sources().await.expect("sources"), [SOURCE]);
}

on_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    concurrent_claims_never_hand_out_a_part_twice
);
async fn concurrent_claims_never_hand_out_a_part_twice(backend: Backend) {
    const MESSAGES: usize = 120;
    let (store, _database) = open(backend).await;
    let batch: Vec<NewRequest> = (0..MESSAGES)
        .map(|n| request(&format!("c{n:03}"), Priority::Normal, 1_000 + n as i64, 1))
        .collect();
    store.accept(&batch).await.expect("accept");
    // Eight claimers at once, as eight instances would, until nothing is
    // left; every part is claimed by exactly one of them.
    let claimers: Vec<_> = (0..8)
        .map(|claimer| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut claimed = Vec::new();
                for round in 0.. {
                    let lease = format!("claimer{claimer}#{round}");
                    let parts = store
                        .claim(SOURCE, &lease, 10_000, 70_000, 7)
                        .await
                        .expect("claim");
                    if parts.is_empty() {
                        break;
                    }
                    claimed.extend(keys(&parts));
                }
                claimed
            })
        })
        .collect();
    let mut all = Vec::new();
    for claimer in claimers {
        all.extend(claimer.await.expect("claimer"));
    }
    let total = all.len();
    all.sort();
    all.dedup();
    assert_eq!(total, MESSAGES, "each part claimed once");
    assert_eq!(all.len(), MESSAGES, "no part claimed twice");
}
