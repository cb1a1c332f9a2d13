//! `CallbackStore`: deliveries are queued once per (origin, gate) as the
//! cursor moves from where it was; a claim keeps each message's callbacks
//! to a gate in order, gives each gate at most its share, and lets the
//! gates take turns. Tries are in [`crate::attempts`].

use wagate::store::{
    ClaimedDelivery, NewDelivery, NewRequest, RoutedInbound, Store, TenantKind, WebhookBatch,
};
use wagate_domain::{MessageState, Priority};

use crate::attempts::{Try, record_try};
use crate::build::{
    ACCOUNT, PNID, SOURCE, USER_PHONE, delivery, gate, ids, inbound, open_with, outcome, request,
    resend, submitted,
};
use crate::common::Backend;
use crate::on_backends;

/// Later than any delivery's first due time (they are queued due now).
pub const NOW: i64 = 4_000_000_000_000;
/// How long the claims below lease.
pub const LEASE: i64 = 60_000;

/// Claims up to `limit` deliveries at `now`, two per gate at most.
pub async fn claim(store: &dyn Store, lease: &str, now: i64, limit: u32) -> Vec<ClaimedDelivery> {
    store
        .claim_deliveries(lease, now, now + LEASE, limit, 2)
        .await
        .expect("claim deliveries")
}

pub fn payloads(claimed: &[ClaimedDelivery]) -> Vec<&str> {
    claimed
        .iter()
        .map(|delivery| delivery.payload.as_str())
        .collect()
}

/// Queues `deliveries`, moving the cursor `dlr` one on.
pub async fn enqueue(store: &dyn Store, deliveries: &[NewDelivery]) {
    let from = store.cursor("dlr").await.expect("cursor");
    let moved = store
        .enqueue_deliveries("dlr", from, from + 1, deliveries)
        .await;
    assert!(moved.expect("enqueue"), "the cursor was where it was read");
}

on_backends!(a_delivery_is_queued_once_per_origin_and_gate);
async fn a_delivery_is_queued_once_per_origin_and_gate(backend: Backend) {
    let (store, _database) = open_with(backend, &["g", "h"]).await;
    enqueue(
        store.as_ref(),
        &[delivery("g", "m1", "e1"), delivery("h", "m1", "e1")],
    )
    .await;
    enqueue(
        store.as_ref(),
        &[delivery("g", "m1", "e1"), delivery("g", "m1", "e2")],
    )
    .await;
    let queued: Vec<_> = store
        .message_deliveries("m1")
        .await
        .expect("deliveries")
        .into_iter()
        .map(|record| (record.gate_id, record.origin))
        .collect();
    let pair = |gate: &str, origin: &str| (gate.to_owned(), origin.to_owned());
    assert_eq!(queued, [pair("g", "e1"), pair("h", "e1"), pair("g", "e2")]);
}

on_backends!(a_delivery_for_a_gate_that_is_gone_is_queued_given_up);
async fn a_delivery_for_a_gate_that_is_gone_is_queued_given_up(backend: Backend) {
    let (store, _database) = open_with(backend, &["g"]).await;
    // A gate deleted since the feed looked it up, and a gate id that another
    // tenant owns, beside one that is there.
    let mut foreign = delivery("g", "m1", "e-foreign");
    foreign.account_id = "another-account".into();
    enqueue(
        store.as_ref(),
        &[
            delivery("gone", "m1", "e-gone"),
            foreign,
            delivery("g", "m1", "e-there"),
        ],
    )
    .await;
    let states: Vec<_> = store
        .message_deliveries("m1")
        .await
        .expect("deliveries")
        .into_iter()
        .map(|record| (record.origin, record.state))
        .collect();
    let pair = |origin: &str, state: &str| (origin.to_owned(), state.to_owned());
    assert_eq!(
        states,
        [
            pair("e-gone", "GAVE_UP"),
            pair("e-foreign", "GAVE_UP"),
            pair("e-there", "PENDING")
        ]
    );
    assert_eq!(
        payloads(&claim(store.as_ref(), "l#1", NOW, 10).await),
        ["e-there"],
        "only the callback whose gate is there is claimed"
    );
}

on_backends!(a_claimed_delivery_says_what_it_reports_and_when_it_was_queued);
async fn a_claimed_delivery_says_what_it_reports_and_when_it_was_queued(backend: Backend) {
    let (store, _database) = open_with(backend, &["g"]).await;
    let before = wagate::clock::now_millis();
    enqueue(
        store.as_ref(),
        &[delivery("g", "m1", "event:7"), delivery("g", "m2", "mo:w1")],
    )
    .await;
    let after = wagate::clock::now_millis();
    let claimed = claim(store.as_ref(), "l#1", NOW, 10).await;
    let mut seen: Vec<(&str, bool)> = claimed
        .iter()
        .map(|delivery| {
            (
                delivery.origin.as_str(),
                (before..=after).contains(&delivery.queued_at),
            )
        })
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, [("event:7", true), ("mo:w1", true)], "{claimed:?}");
}

on_backends!(the_cursor_moves_only_from_where_it_was);
async fn the_cursor_moves_only_from_where_it_was(backend: Backend) {
    let (store, _database) = open_with(backend, &["g"]).await;
    assert_eq!(store.cursor("dlr").await.expect("cursor"), 0);
    let queue = |from, to, origin: &str| {
        let store = store.clone();
        let deliveries = [delivery("g", "m1", origin)];
        async move {
            store
                .enqueue_deliveries("dlr", from, to, &deliveries)
                .await
                .expect("enqueue")
        }
    };
    assert!(queue(0, 5, "first").await);
    assert!(!queue(0, 7, "late").await, "another reader got there first");
    assert_eq!(store.cursor("dlr").await.expect("cursor"), 5);
    assert_eq!(
        store.cursor("other").await.expect("cursor"),
        0,
        "cursors are independent"
    );
    let origins: Vec<_> = store
        .message_deliveries("m1")
        .await
        .expect("deliveries")
        .into_iter()
        .map(|record| record.origin)
        .collect();
    assert_eq!(origins, ["first"], "the refused move queued nothing");
}

on_backends!(gates_take_turns_and_each_gets_at_most_its_share);
async fn gates_take_turns_and_each_gets_at_most_its_share(backend: Backend) {
    let (store, _database) = open_with(backend, &["slow", "fast"]).await;
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
    enqueue(store.as_ref(), &queued).await;

    // One at a time: the oldest gate's first.
    let first = claim(store.as_ref(), "one", NOW, 1).await;
    assert_eq!(payloads(&first), ["slow-m0-r0"]);
    assert_eq!(
        first[0].request_id.as_deref(),
        Some("req-m0"),
        "the claim carries the id of the request whose message it reports on"
    );
    // Then turns: the fast gate's first before the slow gate's second, and
    // the slow gate only up to its share of two (one is leased already).
    let turns = claim(store.as_ref(), "turns", NOW, 10).await;
    assert_eq!(payloads(&turns), ["slow-m1-r0", "fast-f0", "fast-f1"]);
    assert!(
        claim(store.as_ref(), "none", NOW, 10).await.is_empty(),
        "both gates have their share in flight"
    );

    // A try that ends frees a share: the slow gate's next is the ended
    // message's second report (it was waiting behind the first), not m2.
    assert!(record_try(store.as_ref(), &first[0], NOW, Try::Delivered).await);
    let next = claim(store.as_ref(), "next", NOW, 10).await;
    assert_eq!(payloads(&next), ["slow-m0-r1"]);

    // Leases that ran out count no more: their callbacks are due again,
    // first, and the share is full again with them.
    let again = claim(store.as_ref(), "again", NOW + LEASE + 1, 10).await;
    assert_eq!(
        payloads(&again),
        ["slow-m0-r1", "fast-f0", "slow-m1-r0", "fast-f1"]
    );
}

/// A request of one message `id` with `parts` parts whose delivery reports
/// go to the gate `g`.
fn reporting(id: &str, parts: u32) -> NewRequest {
    let mut reported = request(id, Priority::Normal, 1_000, parts);
    reported.gate_ids = vec!["g".into()];
    reported
}

on_backends!(only_messages_that_name_gates_need_delivery_reports);
async fn only_messages_that_name_gates_need_delivery_reports(backend: Backend) {
    let (store, _database) = open_with(backend, &["g"]).await;
    let silent = request("silent", Priority::Normal, 1_000, 1);
    store
        .accept(&[reporting("reported", 2), silent])
        .await
        .expect("accept");
    let named = store
        .messages_to_report(&["reported", "silent", "unknown"])
        .await
        .expect("read");
    let ids: Vec<_> = named.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(ids, ["reported"]);
    // With its parts in order, their types and states, not their content.
    let parts: Vec<_> = named[0]
        .parts
        .iter()
        .map(|part| {
            (
                part.message_index,
                part.message_type.as_str(),
                part.cloud_body.clone(),
            )
        })
        .collect();
    assert_eq!(parts, [(0, "text", None), (1, "text", None)]);
    assert_eq!(named[0].gate_ids, ["g"]);
}

on_backends!(a_report_batch_reads_the_events_after_the_cursor_and_what_they_report);
async fn a_report_batch_reads_the_events_after_the_cursor_and_what_they_report(backend: Backend) {
    let (store, _database) = open_with(backend, &["g"]).await;
    let silent = request("silent", Priority::Normal, 1_000, 1);
    store
        .accept(&[reporting("reported", 2), silent, reporting("resent", 1)])
        .await
        .expect("accept");
    store
        .claim(SOURCE, "a", 2_000, 12_000, 10)
        .await
        .expect("claim");
    let recorded = store
        .record(&[
            outcome("reported", 0, "a", submitted("wamid.r0")),
            outcome("silent", 0, "a", submitted("wamid.s0")),
            outcome("resent", 0, "a", resend(9_000)),
        ])
        .await
        .expect("record");
    assert_eq!(recorded, [true; 3]);
    // A message's second part is claimed once its first is sent.
    store
        .claim(SOURCE, "b", 3_000, 13_000, 10)
        .await
        .expect("claim");
    let recorded = store
        .record(&[outcome("reported", 1, "b", submitted("wamid.r1"))])
        .await
        .expect("record");
    assert_eq!(recorded, [true]);
    // The user's phone is in the contact book (an incoming message told
    // its BSUID).
    let batch = WebhookBatch {
        statuses: Vec::new(),
        inbound: vec![inbound(
            "wamid.in",
            5_000,
            ids(Some(USER_PHONE), Some("SE.111"), None),
        )],
    };
    store.receive(&[batch]).await.expect("receive");

    let batch = store.report_batch("dlr", 100).await.expect("report batch");
    assert_eq!(batch.cursor, 0, "the reader has not moved yet");
    let events: Vec<_> = batch
        .events
        .iter()
        .map(|event| (event.message_id.as_str(), event.message_index))
        .collect();
    assert_eq!(
        events,
        [
            ("reported", 0),
            ("silent", 0),
            ("resent", 0),
            ("reported", 1)
        ],
        "every event, in order"
    );
    // Only a message that names gates and has more than a resend notice
    // is read, with its parts' types and states but not their content.
    let mut read: Vec<_> = batch.messages.keys().map(String::as_str).collect();
    read.sort_unstable();
    assert_eq!(read, ["reported"]);
    let parts: Vec<_> = batch.messages["reported"]
        .parts
        .iter()
        .map(|part| (part.message_index, part.state, part.cloud_body.clone()))
        .collect();
    assert_eq!(
        parts,
        [
            (0, MessageState::Submitted, None),
            (1, MessageState::Submitted, None)
        ]
    );
    let known: Vec<_> = batch.contacts[USER_PHONE]
        .iter()
        .map(|contact| (contact.account_id.as_str(), contact.user_id.as_deref()))
        .collect();
    assert_eq!(known, [(ACCOUNT, Some("SE.111"))]);

    // A smaller batch takes the first events only.
    let first = store.report_batch("dlr", 1).await.expect("report batch");
    assert_eq!(first.events.len(), 1);
    assert_eq!(first.events[0].id, batch.events[0].id);

    // Once the reader moves past them, nothing is left to report.
    let last = batch.events.last().expect("events").id;
    assert!(
        store
            .enqueue_deliveries("dlr", batch.cursor, last, &[])
            .await
            .expect("move the cursor")
    );
    let after = store.report_batch("dlr", 100).await.expect("report batch");
    assert_eq!(after.cursor, last);
    assert!(after.events.is_empty() && after.messages.is_empty() && after.contacts.is_empty());
    // Another reader has its own place.
    let other = store
        .report_batch("other", 100)
        .await
        .expect("report batch");
    assert_eq!((other.cursor, other.events.len()), (0, 4));
}

on_backends!(routing_an_incoming_message_queues_its_callbacks_once);
async fn routing_an_incoming_message_queues_its_callbacks_once(backend: Backend) {
    let (store, _database) = open_with(backend, &["g"]).await;
    let batch = WebhookBatch {
        statuses: Vec::new(),
        inbound: vec![
            inbound("wamid.a", 1_000, ids(Some(USER_PHONE), None, None)),
            inbound("wamid.b", 2_000, ids(Some(USER_PHONE), None, None)),
        ],
    };
    store.receive(&[batch]).await.expect("receive");
    let unrouted = store.unrouted_inbound(10).await.expect("unrouted");
    let wamids: Vec<_> = unrouted
        .iter()
        .map(|message| message.wamid.as_str())
        .collect();
    assert_eq!(wamids, ["wamid.a", "wamid.b"], "oldest first");
    assert_eq!(
        unrouted[0].source.as_ref().map(|source| source.id.as_str()),
        Some("src")
    );
    let routed = |wamid: &str| RoutedInbound {
        wamid: wamid.into(),
        content_until: NOW,
        message_id: format!("id-{wamid}"),
    };
    // wamid.a goes to the gate; wamid.b matches no route.
    let deliveries = [delivery("g", "wamid.a", "mo:wamid.a")];
    store
        .enqueue_routed(&[routed("wamid.a"), routed("wamid.b")], &deliveries)
        .await
        .expect("route");
    assert!(
        store
            .unrouted_inbound(10)
            .await
            .expect("unrouted")
            .is_empty()
    );
    assert_eq!(
        payloads(&claim(store.as_ref(), "a", NOW, 10).await),
        ["mo:wamid.a"]
    );
    // Each is found by the id it got and by its wamid, on its own number
    // only; routed or not.
    for id in ["id-wamid.a", "wamid.a"] {
        let found = store.received_wamid(PNID, id).await.expect("read");
        assert_eq!(found.as_deref(), Some("wamid.a"), "{id}");
    }
    let found = store
        .received_wamid(PNID, "id-wamid.b")
        .await
        .expect("read");
    assert_eq!(found.as_deref(), Some("wamid.b"));
    for (pnid, id) in [("another-number", "id-wamid.a"), (PNID, "id-unknown")] {
        let found = store.received_wamid(pnid, id).await.expect("read");
        assert_eq!(found, None, "{pnid} {id}");
    }
}

on_backends!(a_paused_gate_s_callbacks_wait_until_it_is_resumed);
async fn a_paused_gate_s_callbacks_wait_until_it_is_resumed(backend: Backend) {
    let (store, _database) = open_with(backend, &["paused", "open"]).await;
    enqueue(
        store.as_ref(),
        &[delivery("paused", "m1", "p1"), delivery("open", "m2", "o1")],
    )
    .await;
    assert!(
        store
            .set_gate_paused("paused", Some(1_000))
            .await
            .expect("pause")
    );
    // A second pause keeps the first time.
    assert!(
        store
            .set_gate_paused("paused", Some(2_000))
            .await
            .expect("pause again")
    );
    assert_eq!(
        store.paused_gates().await.expect("paused gates"),
        [("paused".to_owned(), 1_000)]
    );
    assert!(
        !store
            .set_gate_paused("nobody", Some(1_000))
            .await
            .expect("pause an unknown gate"),
        "no such gate"
    );
    // Only the open gate's callback is claimed; the paused one's waits.
    assert_eq!(payloads(&claim(store.as_ref(), "a", NOW, 10).await), ["o1"]);
    assert!(claim(store.as_ref(), "b", NOW, 10).await.is_empty());

    assert!(store.set_gate_paused("paused", None).await.expect("resume"));
    assert!(store.paused_gates().await.expect("paused gates").is_empty());
    assert_eq!(payloads(&claim(store.as_ref(), "c", NOW, 10).await), ["p1"]);
}

on_backends!(a_deleted_gate_s_leases_do_not_count_against_a_gate_of_its_id);
async fn a_deleted_gate_s_leases_do_not_count_against_a_gate_of_its_id(backend: Backend) {
    let (store, _database) = open_with(backend, &["g"]).await;
    enqueue(
        store.as_ref(),
        &[delivery("g", "m1", "old-1"), delivery("g", "m2", "old-2")],
    )
    .await;
    assert_eq!(claim(store.as_ref(), "old", NOW, 10).await.len(), 2);
    // Deleted with both callbacks in flight, then created again (an id may
    // be reused): the new gate starts with its whole share free.
    assert!(store.delete(TenantKind::Gate, "g").await.expect("delete"));
    store.insert_gate(&gate("g")).await.expect("gate again");
    enqueue(
        store.as_ref(),
        &[delivery("g", "m3", "new-3"), delivery("g", "m4", "new-4")],
    )
    .await;
    assert_eq!(
        payloads(&claim(store.as_ref(), "new", NOW, 10).await),
        ["new-3", "new-4"],
        "the given-up callbacks' leases are gone with them"
    );
    for old in ["m1", "m2"] {
        let states: Vec<_> = store
            .message_deliveries(old)
            .await
            .expect("deliveries")
            .into_iter()
            .map(|record| record.state)
            .collect();
        assert_eq!(states, ["GAVE_UP"], "{old}");
    }
}
