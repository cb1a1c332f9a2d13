//! `RetentionStore::erase_content`: content kept until a time is erased
//! from then on, but only once nothing needs it: a part out of the outbox,
//! an incoming message routed, a callback that ended.

use wagate::housekeeping::erase_content_in_steps;
use wagate::store::{ErasedContent, RoutedInbound, WebhookBatch};
use wagate_domain::Priority;

use crate::attempts::{Try, record_try};
use crate::build::{
    NO_BOUND, USER_PHONE, claim, delivery, ids, inbound, message, open_with, outcome, record,
    request, steps, submitted,
};
use crate::callbacks::{self, NOW};
use crate::common::Backend;
use crate::on_backends;

fn erased(parts: u64, inbound: u64, callbacks: u64) -> ErasedContent {
    ErasedContent {
        parts,
        inbound,
        callbacks,
    }
}

on_backends!(a_parts_content_is_erased_once_it_has_left_the_outbox);
async fn a_parts_content_is_erased_once_it_has_left_the_outbox(backend: Backend) {
    let (store, _database) = open_with(backend, &[]).await;
    // Kept until NOW, so the submission (recorded at the real time, long
    // before) does not erase it on the spot.
    let mut kept = request("m1", Priority::Normal, 1_000, 1);
    kept.content_until = NOW;
    store.accept(&[kept]).await.expect("accept");
    let nothing = erased(0, 0, 0);
    assert_eq!(
        store.erase_content(NOW, NO_BOUND).await.expect("erase"),
        nothing,
        "still queued"
    );
    claim(store.as_ref(), "a", 2_000, 60_000).await;
    assert!(record(store.as_ref(), 0, "a", submitted("wamid.1")).await);
    assert_eq!(
        store.erase_content(NOW - 1, NO_BOUND).await.expect("erase"),
        nothing,
        "still kept"
    );
    assert_eq!(
        store.erase_content(NOW, NO_BOUND).await.expect("erase"),
        erased(1, 0, 0)
    );
    let body = message(store.as_ref(), "m1").await.parts[0]
        .cloud_body
        .clone();
    assert_eq!(body.filter(|body| !body.is_empty()), None);
    assert_eq!(
        store.erase_content(NOW, NO_BOUND).await.expect("erase"),
        nothing,
        "erased once"
    );
}

on_backends!(routed_incoming_messages_and_ended_callbacks_are_erased_when_due);
async fn routed_incoming_messages_and_ended_callbacks_are_erased_when_due(backend: Backend) {
    let (store, _database) = open_with(backend, &["g"]).await;
    let batch = WebhookBatch {
        statuses: Vec::new(),
        inbound: vec![inbound("wamid.a", 1_000, ids(Some(USER_PHONE), None, None))],
    };
    store.receive(&[batch]).await.expect("receive");
    let mut pending = delivery("g", "m1", "pending");
    pending.content_until = Some(NOW);
    let mut ended = delivery("g", "m2", "ended");
    ended.content_until = Some(NOW);
    callbacks::enqueue(store.as_ref(), &[pending, ended]).await;
    // The incoming message waits to be routed; m1's callback is pending.
    assert_eq!(
        store.erase_content(NOW, NO_BOUND).await.expect("erase"),
        erased(0, 0, 0)
    );

    let kept = RoutedInbound {
        wamid: "wamid.a".into(),
        content_until: NOW,
        message_id: "mo-a".into(),
    };
    store.enqueue_routed(&[kept], &[]).await.expect("route");
    let claimed = callbacks::claim(store.as_ref(), "a", NOW - 1, 10).await;
    let ended = claimed
        .iter()
        .find(|claimed| claimed.payload == "ended")
        .expect("claimed");
    assert!(record_try(store.as_ref(), ended, NOW - 1, Try::Delivered).await);
    assert_eq!(
        store.erase_content(NOW - 1, NO_BOUND).await.expect("erase"),
        erased(0, 0, 0),
        "kept"
    );
    assert_eq!(
        store.erase_content(NOW, NO_BOUND).await.expect("erase"),
        erased(0, 1, 1)
    );
}

on_backends!(every_kind_of_content_is_erased_a_bounded_step_at_a_time);
async fn every_kind_of_content_is_erased_a_bounded_step_at_a_time(backend: Backend) {
    const EACH: usize = 6;
    let (store, _database) = open_with(backend, &["g"]).await;
    // Six parts out of the outbox: six messages (a claim takes one part of
    // a message at a time).
    let requests: Vec<_> = (0..EACH)
        .map(|n| {
            let mut kept = request(&format!("m{n}"), Priority::Normal, 1_000, 1);
            kept.content_until = NOW;
            kept
        })
        .collect();
    store.accept(&requests).await.expect("accept");
    let claimed = claim(store.as_ref(), "a", 2_000, 60_000).await;
    assert_eq!(claimed.len(), EACH);
    let submissions: Vec<_> = claimed
        .iter()
        .map(|part| {
            let wamid = format!("wamid.{}", part.message_id);
            outcome(&part.message_id, 0, "a", submitted(&wamid))
        })
        .collect();
    let recorded = store.record(&submissions).await.expect("record");
    assert_eq!(recorded, [true; EACH]);
    // Six incoming messages routed.
    let received = (0..EACH)
        .map(|n| {
            inbound(
                &format!("wamid.in{n}"),
                1_000,
                ids(Some(USER_PHONE), None, None),
            )
        })
        .collect();
    let batch = WebhookBatch {
        statuses: Vec::new(),
        inbound: received,
    };
    store.receive(&[batch]).await.expect("receive");
    let routed: Vec<_> = (0..EACH)
        .map(|n| RoutedInbound {
            wamid: format!("wamid.in{n}"),
            content_until: NOW,
            message_id: format!("mo-{n}"),
        })
        .collect();
    store.enqueue_routed(&routed, &[]).await.expect("route");
    // Four callbacks ended (the gate's share lets a claim take only some at
    // a time): fewer than the others, so the clean-up goes on while a kind
    // other than the callbacks fills its steps.
    const CALLBACKS: usize = EACH - 2;
    let kept: Vec<_> = (0..CALLBACKS)
        .map(|n| {
            let mut kept = delivery("g", &format!("m{n}"), &format!("kept-{n}"));
            kept.content_until = Some(NOW);
            kept
        })
        .collect();
    callbacks::enqueue(store.as_ref(), &kept).await;
    let mut ended = 0;
    while ended < CALLBACKS {
        let claimed = callbacks::claim(store.as_ref(), "a", NOW - 1, 10).await;
        assert!(!claimed.is_empty(), "{ended} of {CALLBACKS} ended");
        for delivery in &claimed {
            assert!(record_try(store.as_ref(), delivery, NOW - 1, Try::Delivered).await);
        }
        ended += claimed.len();
    }

    assert_eq!(
        store.erase_content(NOW, 2).await.expect("erase"),
        erased(2, 2, 2),
        "one call erases at most its bound of each kind"
    );
    let stopping = erase_content_in_steps(store.as_ref(), NOW, &steps(2, true)).await;
    assert!(stopping.error.is_none(), "{:?}", stopping.error);
    assert_eq!(
        stopping.done,
        erased(0, 0, 0),
        "a stopping server takes no more steps"
    );
    let running = erase_content_in_steps(store.as_ref(), NOW, &steps(1, false)).await;
    assert!(running.error.is_none(), "{:?}", running.error);
    assert_eq!(
        running.done,
        erased(4, 4, 2),
        "the clean-up goes on until a step finds fewer"
    );
    assert_eq!(
        store.erase_content(NOW, NO_BOUND).await.expect("erase"),
        erased(0, 0, 0)
    );
}
