//! `CallbackStore::record_attempts`: a try counts only under its lease, each
//! try of a batch on its own; a retry is due again later and keeps the
//! message's later callbacks waiting; a delivery that ends is done, and
//! erases its content unless that is kept.
//!
//! With `FollowOn`, a recorded try that delivered hands over its message's
//! next callback to the gate, leased under the try's lease in the same
//! transaction; a failed try, a paused gate, or a next callback that is not
//! due hands over nothing.
//!
//! Every test records its tries through [`record_batch`], the one place
//! that calls the store's attempt method.

use std::sync::Arc;

use wagate::store::{ClaimedDelivery, DeliveryAttempt, FollowOn, RecordedAttempt, Store};

use crate::build::{delivery, open_with};
use crate::callbacks::{LEASE, NOW, claim, enqueue, payloads};
use crate::common::{Backend, TestDatabase};
use crate::on_backends;

/// How a try ended.
#[derive(Clone, Copy)]
pub enum Try {
    Delivered,
    /// Failed, due again at this time.
    RetryAt(i64),
    GaveUp,
}

/// Records the try of `claimed` at `at` under its own lease; whether it was
/// recorded.
pub async fn record_try(store: &dyn Store, claimed: &ClaimedDelivery, at: i64, ended: Try) -> bool {
    record_try_as(store, claimed, &claimed.lease, at, ended).await
}

/// Records every one of `claimed` as delivered at `at`, in one batch.
pub async fn record_delivered(store: &dyn Store, claimed: &[ClaimedDelivery], at: i64) {
    let tries: Vec<_> = claimed
        .iter()
        .map(|delivery| attempt(delivery, &delivery.lease, at, Try::Delivered))
        .collect();
    let recorded = record_tries(store, &tries).await;
    assert!(recorded.iter().all(|done| *done), "{recorded:?}");
}

/// [`record_try`] under `lease`, which may no longer hold the delivery.
async fn record_try_as(
    store: &dyn Store,
    claimed: &ClaimedDelivery,
    lease: &str,
    at: i64,
    ended: Try,
) -> bool {
    record_tries(store, &[attempt(claimed, lease, at, ended)]).await == [true]
}

/// Records the tries in one batch; for each, whether it was recorded.
async fn record_tries(store: &dyn Store, tries: &[DeliveryAttempt]) -> Vec<bool> {
    record_batch(store, tries, None)
        .await
        .into_iter()
        .map(|recorded| {
            assert_eq!(recorded.next, None, "nothing follows unless asked");
            recorded.recorded
        })
        .collect()
}

/// Records the tries in one batch, with `follow`.
async fn record_batch(
    store: &dyn Store,
    tries: &[DeliveryAttempt],
    follow: Option<FollowOn>,
) -> Vec<RecordedAttempt> {
    store
        .record_attempts(tries, follow)
        .await
        .expect("record the tries")
}

/// A store with the gate `g`, the callbacks `(message, origin)` queued to
/// it in order (each carrying its origin as its body), and what a first
/// claim at `NOW` took of them.
async fn claimed_from(
    backend: Backend,
    callbacks: &[(&str, &str)],
) -> (Arc<dyn Store>, TestDatabase, Vec<ClaimedDelivery>) {
    let (store, database) = open_with(backend, &["g"]).await;
    let queued: Vec<_> = callbacks
        .iter()
        .map(|(message, origin)| delivery("g", message, origin))
        .collect();
    enqueue(store.as_ref(), &queued).await;
    let claimed = claim(store.as_ref(), "first", NOW, 10).await;
    (store, database, claimed)
}

/// Records the try of `claimed` at `NOW`, ended as `ended`, asking for the
/// callback that follows (leased until `NOW + LEASE`).
async fn record_and_follow(
    store: &dyn Store,
    claimed: &ClaimedDelivery,
    ended: Try,
) -> RecordedAttempt {
    let follow = FollowOn {
        now: NOW,
        lease_until: NOW + LEASE,
    };
    let mut recorded = record_batch(
        store,
        &[attempt(claimed, &claimed.lease, NOW, ended)],
        Some(follow),
    )
    .await;
    assert_eq!(recorded.len(), 1);
    recorded.remove(0)
}

/// The try of `claimed` at `at` under `lease`, ended as `ended`.
fn attempt(claimed: &ClaimedDelivery, lease: &str, at: i64, ended: Try) -> DeliveryAttempt {
    let (http_status, next_attempt_at) = match ended {
        Try::Delivered => (Some(200), None),
        Try::RetryAt(due) => (Some(503), Some(due)),
        Try::GaveUp => (Some(400), None),
    };
    DeliveryAttempt {
        delivery_id: claimed.id,
        lease: lease.into(),
        at,
        http_status,
        error: None,
        duration_ms: 5,
        next_attempt_at,
        delivered: matches!(ended, Try::Delivered),
    }
}

on_backends!(a_try_under_a_lost_lease_is_refused);
async fn a_try_under_a_lost_lease_is_refused(backend: Backend) {
    let (store, _database) = open_with(backend, &["g"]).await;
    enqueue(store.as_ref(), &[delivery("g", "m1", "r1")]).await;
    let first = claim(store.as_ref(), "a", NOW, 10).await;
    let second = claim(store.as_ref(), "b", NOW + LEASE + 1, 10).await;
    assert_eq!(payloads(&second), ["r1"], "the run-out lease lost it");
    assert!(
        !record_try_as(
            store.as_ref(),
            &second[0],
            &first[0].lease,
            NOW,
            Try::Delivered
        )
        .await
    );
    assert!(record_try(store.as_ref(), &second[0], NOW, Try::Delivered).await);
    assert!(
        !record_try(store.as_ref(), &second[0], NOW, Try::Delivered).await,
        "an ended delivery takes no more tries"
    );
    let records = store.message_deliveries("m1").await.expect("deliveries");
    assert_eq!(
        (records[0].state.as_str(), records[0].attempts.len()),
        ("DELIVERED", 1)
    );
}

on_backends!(each_try_of_a_batch_counts_only_under_its_own_lease);
async fn each_try_of_a_batch_counts_only_under_its_own_lease(backend: Backend) {
    let (store, _database) = open_with(backend, &["g"]).await;
    enqueue(
        store.as_ref(),
        &[delivery("g", "m1", "r1"), delivery("g", "m2", "r2")],
    )
    .await;
    let claimed = claim(store.as_ref(), "a", NOW, 10).await;
    assert_eq!(payloads(&claimed), ["r1", "r2"]);
    let recorded = record_tries(
        store.as_ref(),
        &[
            attempt(&claimed[0], &claimed[0].lease, NOW, Try::Delivered),
            attempt(&claimed[1], "a lease that ran out", NOW, Try::Delivered),
        ],
    )
    .await;
    assert_eq!(recorded, [true, false]);
    assert!(
        claim(store.as_ref(), "b", NOW, 10).await.is_empty(),
        "r2's try was refused, so its lease still holds it"
    );
    let again = claim(store.as_ref(), "c", NOW + LEASE + 1, 10).await;
    assert_eq!(
        payloads(&again),
        ["r2"],
        "and it is tried again when that runs out"
    );
    assert_eq!(again[0].attempts, 0);
}

on_backends!(a_retry_is_due_later_and_holds_the_messages_next_callback_back);
async fn a_retry_is_due_later_and_holds_the_messages_next_callback_back(backend: Backend) {
    let (store, _database) = open_with(backend, &["g"]).await;
    enqueue(
        store.as_ref(),
        &[delivery("g", "m1", "r1"), delivery("g", "m1", "r2")],
    )
    .await;
    let first = claim(store.as_ref(), "a", NOW, 10).await;
    assert_eq!(payloads(&first), ["r1"], "r2 waits behind r1");
    assert!(record_try(store.as_ref(), &first[0], NOW, Try::RetryAt(NOW + 10)).await);
    assert!(
        claim(store.as_ref(), "b", NOW + 9, 10).await.is_empty(),
        "the retry is not due, and r2 still waits behind it"
    );
    let retried = claim(store.as_ref(), "c", NOW + 10, 10).await;
    assert_eq!(payloads(&retried), ["r1"]);
    assert_eq!(retried[0].attempts, 1);
    assert!(record_try(store.as_ref(), &retried[0], NOW + 10, Try::GaveUp).await);
    assert_eq!(
        payloads(&claim(store.as_ref(), "d", NOW + 10, 10).await),
        ["r2"]
    );
    let states: Vec<_> = store
        .message_deliveries("m1")
        .await
        .expect("deliveries")
        .into_iter()
        .map(|record| (record.state, record.attempts.len()))
        .collect();
    assert_eq!(
        states,
        [("GAVE_UP".to_owned(), 2), ("PENDING".to_owned(), 0)]
    );
}

on_backends!(an_ended_delivery_erases_its_content_unless_it_is_kept);
async fn an_ended_delivery_erases_its_content_unless_it_is_kept(backend: Backend) {
    let (store, _database) = open_with(backend, &["g"]).await;
    let mut past = delivery("g", "m1", "past");
    past.content_until = Some(NOW - 1);
    let mut kept = delivery("g", "m2", "kept");
    kept.content_until = Some(NOW + 1_000);
    enqueue(store.as_ref(), &[past, kept]).await;
    for claimed in claim(store.as_ref(), "a", NOW, 10).await {
        assert!(record_try(store.as_ref(), &claimed, NOW, Try::Delivered).await);
    }
    let payload = |records: Vec<wagate::store::DeliveryRecord>| records[0].payload.clone();
    let m1 = store.message_deliveries("m1").await.expect("deliveries");
    let m2 = store.message_deliveries("m2").await.expect("deliveries");
    assert_eq!(payload(m1).filter(|text| !text.is_empty()), None);
    assert_eq!(payload(m2).as_deref(), Some("kept"));
}

on_backends!(a_delivered_try_hands_over_its_messages_next_callback);
async fn a_delivered_try_hands_over_its_messages_next_callback(backend: Backend) {
    let (store, _database, claimed) = claimed_from(
        backend,
        &[("m1", "r1"), ("m1", "r2"), ("m1", "r3"), ("m2", "s1")],
    )
    .await;
    assert_eq!(payloads(&claimed), ["r1", "s1"]);

    let after_r1 = record_and_follow(store.as_ref(), &claimed[0], Try::Delivered).await;
    assert!(after_r1.recorded);
    let r2 = after_r1.next.expect("r2 follows r1");
    assert_eq!(
        (r2.payload.as_str(), r2.lease.as_str(), r2.gate_id.as_str()),
        ("r2", claimed[0].lease.as_str(), "g"),
        "r2, under r1's lease"
    );
    assert_eq!((r2.url.as_str(), r2.attempts), (claimed[0].url.as_str(), 0));
    assert!(
        claim(store.as_ref(), "b", NOW, 10).await.is_empty(),
        "r2 is leased, s1 still is, r3 waits behind r2"
    );

    let after_s1 = record_and_follow(store.as_ref(), &claimed[1], Try::Delivered).await;
    assert_eq!(
        (after_s1.recorded, after_s1.next),
        (true, None),
        "m2 has no more"
    );

    let after_r2 = record_and_follow(store.as_ref(), &r2, Try::Delivered).await;
    let r3 = after_r2.next.expect("r3 follows r2");
    assert_eq!(r3.payload, "r3");
    assert!(record_try(store.as_ref(), &r3, NOW, Try::Delivered).await);
    let states: Vec<_> = store
        .message_deliveries("m1")
        .await
        .expect("deliveries")
        .into_iter()
        .map(|record| (record.state, record.attempts.len()))
        .collect();
    assert_eq!(states, vec![("DELIVERED".to_owned(), 1); 3]);
}

on_backends!(nothing_follows_a_failed_try_a_paused_gate_or_a_callback_not_due);
async fn nothing_follows_a_failed_try_a_paused_gate_or_a_callback_not_due(backend: Backend) {
    let (store, _database, claimed) = claimed_from(
        backend,
        &[("m1", "r1"), ("m1", "r2"), ("m2", "s1"), ("m2", "s2")],
    )
    .await;
    assert_eq!(payloads(&claimed), ["r1", "s1"]);

    // A try that failed: r1 is due again later, and r2 waits behind it.
    let failed = record_and_follow(store.as_ref(), &claimed[0], Try::RetryAt(NOW + 10)).await;
    assert_eq!((failed.recorded, failed.next), (true, None));

    // A paused gate: s1 is recorded, s2 is not handed over.
    assert!(store.set_gate_paused("g", Some(NOW)).await.expect("pause"));
    let paused = record_and_follow(store.as_ref(), &claimed[1], Try::Delivered).await;
    assert_eq!((paused.recorded, paused.next), (true, None));
    assert!(store.set_gate_paused("g", None).await.expect("resume"));
    assert_eq!(
        payloads(&claim(store.as_ref(), "b", NOW, 10).await),
        ["s2"],
        "s2 was left for a claim"
    );

    // A next callback not due when the record looks: r2 was queued due at
    // once, but the record looks from before that.
    let retried = claim(store.as_ref(), "c", NOW + 10, 10).await;
    assert_eq!(payloads(&retried), ["r1"]);
    let early = FollowOn {
        now: 1,
        lease_until: NOW + LEASE,
    };
    let recorded = record_batch(
        store.as_ref(),
        &[attempt(
            &retried[0],
            &retried[0].lease,
            NOW + 10,
            Try::Delivered,
        )],
        Some(early),
    )
    .await;
    assert_eq!(
        (recorded[0].recorded, recorded[0].next.clone()),
        (true, None)
    );
    assert_eq!(
        payloads(&claim(store.as_ref(), "d", NOW + 10, 10).await),
        ["r2"],
        "r2 was left for a claim"
    );

    // A try under a lost lease hands over nothing either.
    let (other, _other_database, first) =
        claimed_from(backend, &[("m1", "t1"), ("m1", "t2")]).await;
    let stolen = claim(other.as_ref(), "e", NOW + LEASE + 1, 10).await;
    assert_eq!(payloads(&stolen), ["t1"]);
    let lost = record_batch(
        other.as_ref(),
        &[attempt(
            &first[0],
            &first[0].lease,
            NOW + LEASE + 1,
            Try::Delivered,
        )],
        Some(FollowOn {
            now: NOW + LEASE + 1,
            lease_until: NOW + 2 * LEASE,
        }),
    )
    .await;
    assert_eq!((lost[0].recorded, lost[0].next.clone()), (false, None));
}
