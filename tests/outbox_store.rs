//! The outbox contract of the store, checked on the store itself: leases are
//! exclusive and expire, claims follow priority and index order, outcomes
//! need the lease and land with their status and event in one go.

mod common;

use std::sync::Arc;

use common::{Backend, TestDatabase};
use wagate::store::{
    ContactIds, InboundReport, LeaseHolder, NewMessage, NewPart, NewRequest, NewStatus, Outcome,
    OutcomeChange, PlatformFields, Source, SourceLevel, StatusReport, Store, WebhookBatch,
};
use wagate_domain::{MessageState, Priority};

const SOURCE: &str = "+46700000400";

/// A store on a fresh database of `backend`, with the account `acc`; the
/// database lives as long as the [`TestDatabase`].
async fn open(backend: Backend) -> (Arc<dyn Store>, TestDatabase) {
    let database = TestDatabase::create(backend).await;
    let store = database.store_with_account().await;
    (store, database)
}

fn request(id: &str, priority: Priority, created_at: i64, parts: u32) -> NewRequest {
    NewRequest {
        account_id: "acc".into(),
        username: "u".into(),
        source: SOURCE.into(),
        ref_id: id.into(),
        priority,
        expires_at: created_at + 3_600_000,
        created_at,
        platform: PlatformFields::default(),
        custom_parameters: Default::default(),
        gate_ids: Vec::new(),
        content_until: created_at,
        messages: vec![NewMessage {
            message_id: id.into(),
            destination: "+46701234567".into(),
            parts: (0..parts)
                .map(|index| NewPart {
                    message_index: index,
                    message_type: "text".into(),
                    cloud_body: format!("{{\"index\":{index}}}"),
                })
                .collect(),
        }],
    }
}

fn outcome(id: &str, index: u32, owner: &str, change: OutcomeChange) -> Outcome {
    Outcome {
        message_id: id.into(),
        message_index: index,
        account_id: "acc".into(),
        lease: owner.into(),
        at: 5_000,
        attempted: true,
        change,
    }
}

fn submitted(wamid: &str) -> OutcomeChange {
    OutcomeChange::Submitted {
        wamid: wamid.into(),
        status: NewStatus {
            state: MessageState::Submitted,
            result_code: 112002,
            description: "sent to WA".into(),
            details: None,
        },
    }
}

/// Accepts message `m1` (NORMAL, at 1 s) with `parts` parts.
async fn accept_m1(store: &dyn Store, parts: u32) {
    store
        .accept(&[request("m1", Priority::Normal, 1_000, parts)])
        .await
        .expect("accept");
}

/// Claims up to 10 due parts of `SOURCE` under `lease` at `now`.
async fn claim(
    store: &dyn Store,
    lease: &str,
    now: i64,
    lease_until: i64,
) -> Vec<wagate::store::ClaimedPart> {
    store
        .claim(SOURCE, lease, now, lease_until, 10)
        .await
        .expect("claim")
}

fn keys(parts: &[wagate::store::ClaimedPart]) -> Vec<(String, u32)> {
    parts
        .iter()
        .map(|part| (part.message_id.clone(), part.message_index))
        .collect()
}

on_backends!(a_lease_is_exclusive_until_it_expires);
async fn a_lease_is_exclusive_until_it_expires(backend: Backend) {
    let (store, _database) = open(backend).await;
    accept_m1(store.as_ref(), 1).await;
    let first = claim(store.as_ref(), "a", 2_000, 12_000).await;
    assert_eq!(keys(&first), [("m1".to_owned(), 0)]);
    assert_eq!(first[0].cloud_body, "{\"index\":0}");
    assert!(claim(store.as_ref(), "b", 5_000, 15_000).await.is_empty());
    assert!(
        store
            .claim("+46700000999", "b", 20_000, 30_000, 10)
            .await
            .expect("claim")
            .is_empty()
    );
    // After the lease runs out, another owner takes it, and the first
    // owner's late outcome is refused.
    let second = claim(store.as_ref(), "b", 12_000, 22_000).await;
    assert_eq!(keys(&second), [("m1".to_owned(), 0)]);
    let late = store
        .record(&[outcome("m1", 0, "a", submitted("wamid.late"))])
        .await
        .expect("record");
    assert_eq!(late, [false]);
    let recorded = store
        .record(&[outcome("m1", 0, "b", submitted("wamid.b"))])
        .await
        .expect("record");
    assert_eq!(recorded, [true]);
    assert!(claim(store.as_ref(), "c", 99_000, 99_999).await.is_empty());

    let message = store
        .message("acc", "m1")
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(message.parts[0].state, MessageState::Submitted);
    assert_eq!(
        message.parts[0].history.len(),
        1,
        "the lost lease recorded nothing"
    );
    let events = store.events_after(0, 100).await.expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].message_id, "m1");
    assert_eq!(events[0].status.result_code, 112002);
    assert!(
        store
            .events_after(events[0].id, 100)
            .await
            .expect("events")
            .is_empty()
    );
}

on_backends!(claims_keep_index_order_and_resends_wait_their_turn);
async fn claims_keep_index_order_and_resends_wait_their_turn(backend: Backend) {
    let (store, _database) = open(backend).await;
    accept_m1(store.as_ref(), 3).await;
    let claimed = claim(store.as_ref(), "a", 2_000, 60_000).await;
    assert_eq!(
        keys(&claimed),
        [("m1".to_owned(), 0)],
        "index 1 waits for index 0"
    );
    let resend = OutcomeChange::Resend {
        due_at: 10_000,
        sort_key: 10_000,
        status: NewStatus {
            state: MessageState::Queued,
            result_code: 112406,
            description: "resend 1 of 15 scheduled".into(),
            details: None,
        },
    };
    assert_eq!(
        store
            .record(&[outcome("m1", 0, "a", resend)])
            .await
            .expect("record"),
        [true]
    );
    assert!(
        claim(store.as_ref(), "a", 3_000, 60_000).await.is_empty(),
        "the resend is not due, and index 1 still waits"
    );
    let again = claim(store.as_ref(), "a", 10_000, 60_000).await;
    assert_eq!(keys(&again), [("m1".to_owned(), 0)]);
    assert_eq!(again[0].attempts, 1);
    store
        .record(&[outcome("m1", 0, "a", submitted("wamid.0"))])
        .await
        .expect("record");
    let next = claim(store.as_ref(), "a", 10_000, 60_000).await;
    assert_eq!(keys(&next), [("m1".to_owned(), 1)]);
    store.release("a", &keys(&next)).await.expect("release");
    let released = claim(store.as_ref(), "b", 10_001, 60_000).await;
    assert_eq!(
        keys(&released),
        [("m1".to_owned(), 1)],
        "a released part is claimable at once"
    );
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

fn report(wamid: &str, status: &str, at: i64, state: MessageState, code: u32) -> StatusReport {
    StatusReport {
        wamid: wamid.into(),
        phone_number_id: "pnid-acc".into(),
        recipient: ContactIds::default(),
        status: status.into(),
        at,
        change: Some(NewStatus {
            state,
            result_code: code,
            description: status.into(),
            details: None,
        }),
    }
}

on_backends!(a_status_that_comes_before_its_submission_is_recorded_waits_for_it);
async fn a_status_that_comes_before_its_submission_is_recorded_waits_for_it(backend: Backend) {
    let (store, _database) = open(backend).await;
    insert_source(store.as_ref()).await;
    accept_m1(store.as_ref(), 1).await;
    let claimed = claim(store.as_ref(), "a", 2_000, 60_000).await;
    assert_eq!(claimed.len(), 1);
    // Meta's `read` and `sent` arrive (out of order, in whole seconds)
    // before the dispatcher has recorded the wamid; the same webhook comes
    // twice; and another number's webhook names the same wamid.
    let early = WebhookBatch {
        statuses: vec![
            report("wamid.1", "read", 4_000, MessageState::Read, 112007),
            report("wamid.1", "sent", 3_000, MessageState::Sent, 112006),
        ],
        inbound: Vec::new(),
    };
    let mut foreign = report("wamid.1", "deleted", 5_000, MessageState::Deleted, 112008);
    foreign.phone_number_id = "pnid-of-another-tenant".into();
    let receipts = store
        .receive(&[
            early.clone(),
            early,
            WebhookBatch {
                statuses: vec![foreign],
                inbound: Vec::new(),
            },
        ])
        .await
        .expect("receive");
    assert_eq!(
        (receipts[0].new_statuses, receipts[1].repeated_statuses),
        (2, 2)
    );
    let waiting = store
        .message("acc", "m1")
        .await
        .expect("read")
        .expect("exists");
    assert!(
        waiting.parts[0].history.is_empty(),
        "nothing joins before the wamid is known"
    );

    store
        .record(&[outcome("m1", 0, "a", submitted("wamid.1"))])
        .await
        .expect("record");
    let codes = |message: &wagate::store::MessageRecord| -> Vec<u32> {
        message.parts[0]
            .history
            .iter()
            .map(|status| status.result_code)
            .collect()
    };
    let message = store
        .message("acc", "m1")
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(
        codes(&message),
        [112002, 112006, 112007],
        "in Meta's order after the submission"
    );
    assert_eq!(message.parts[0].state, MessageState::Read);
    assert_eq!(
        store.events_after(0, 100).await.expect("events").len(),
        3,
        "the other number's `deleted` touched nothing"
    );

    // A `delivered` that comes after `read` joins the history but moves
    // nothing and calls nobody back; repeated, it changes nothing at all.
    let late = WebhookBatch {
        statuses: vec![report(
            "wamid.1",
            "delivered",
            3_500,
            MessageState::Delivered,
            112003,
        )],
        inbound: Vec::new(),
    };
    store
        .receive(std::slice::from_ref(&late))
        .await
        .expect("receive");
    let again = store.receive(&[late]).await.expect("receive");
    assert_eq!(again[0].repeated_statuses, 1);
    let message = store
        .message("acc", "m1")
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(codes(&message), [112002, 112006, 112007, 112003]);
    assert_eq!(message.parts[0].state, MessageState::Read);
    assert_eq!(store.events_after(0, 100).await.expect("events").len(), 3);
}

on_backends!(webhooks_that_name_a_phone_and_a_bsuid_fill_the_tenants_contact_book);
async fn webhooks_that_name_a_phone_and_a_bsuid_fill_the_tenants_contact_book(backend: Backend) {
    let (store, _database) = open(backend).await;
    insert_source(store.as_ref()).await;
    let inbound = InboundReport {
        wamid: "wamid.in".into(),
        phone_number_id: "pnid-acc".into(),
        display_phone_number: "46700000400".into(),
        at: 5_000,
        message: serde_json::json!({"type": "text", "text": {"body": "hi"}}),
        sender: ContactIds {
            phone: Some("+46701234567".into()),
            user_id: Some("SE.111".into()),
            parent_user_id: None,
        },
        contact: None,
    };
    let mut status = report("wamid.x", "sent", 6_000, MessageState::Sent, 112006);
    status.recipient = ContactIds {
        phone: Some("+46701234567".into()),
        user_id: None,
        parent_user_id: Some("SE.ENT.222".into()),
    };
    let mut elsewhere = report("wamid.y", "sent", 6_000, MessageState::Sent, 112006);
    elsewhere.phone_number_id = "pnid-of-nobody".into();
    elsewhere.recipient = ContactIds {
        phone: Some("+46709999999".into()),
        user_id: Some("SE.333".into()),
        parent_user_id: None,
    };
    store
        .receive(&[WebhookBatch {
            statuses: vec![status, elsewhere],
            inbound: vec![inbound],
        }])
        .await
        .expect("receive");
    let contact = store
        .contact("acc", "+46701234567")
        .await
        .expect("read")
        .expect("recorded");
    assert_eq!(contact.user_id.as_deref(), Some("SE.111"));
    assert_eq!(contact.parent_user_id.as_deref(), Some("SE.ENT.222"));
    assert_eq!(contact.updated_at, 6_000);
    assert!(
        store
            .contact("other", "+46701234567")
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        store
            .contact("acc", "+46709999999")
            .await
            .expect("read")
            .is_none(),
        "a webhook for a number no tenant owns records nothing"
    );
}

/// The source `SOURCE` of account `acc`, Cloud API id `pnid-acc`.
async fn insert_source(store: &dyn Store) {
    store
        .insert_source(&Source {
            id: "src".into(),
            account_id: "acc".into(),
            number: SOURCE.into(),
            phone_number_id: Some("pnid-acc".into()),
            waba_id: None,
            access_token: None,
            level: SourceLevel::Standard,
            throughput: None,
            care_window_check: true,
            created_at: 0,
        })
        .await
        .expect("source");
}

on_backends!(a_claim_finds_the_care_window_under_any_id_of_the_user);
async fn a_claim_finds_the_care_window_under_any_id_of_the_user(backend: Backend) {
    let (store, _database) = open(backend).await;
    insert_source(store.as_ref()).await;
    // A status names the user's phone and BSUID (the contact book learns
    // the pair); the user then writes by phone only.
    let mut status = report("wamid.x", "sent", 1_000, MessageState::Sent, 112006);
    status.recipient = ContactIds {
        phone: Some("+46701234567".into()),
        user_id: Some("SE.777".into()),
        parent_user_id: None,
    };
    let inbound = InboundReport {
        wamid: "wamid.in".into(),
        phone_number_id: "pnid-acc".into(),
        display_phone_number: "46700000400".into(),
        at: 9_000,
        message: serde_json::json!({"type": "text", "text": {"body": "hi"}}),
        sender: ContactIds {
            phone: Some("+46701234567".into()),
            user_id: None,
            parent_user_id: None,
        },
        contact: None,
    };
    store
        .receive(&[WebhookBatch {
            statuses: vec![status],
            inbound: vec![inbound],
        }])
        .await
        .expect("receive");
    let mut to_bsuid = request("m-bsuid", Priority::Normal, 10_000, 1);
    to_bsuid.messages[0].destination = "SE.777".into();
    let mut stranger = request("m-stranger", Priority::Normal, 10_000, 1);
    stranger.messages[0].destination = "+46709999999".into();
    store.accept(&[to_bsuid, stranger]).await.expect("accept");
    let claimed = claim(store.as_ref(), "a", 20_000, 80_000).await;
    let window = |id: &str| {
        claimed
            .iter()
            .find(|part| part.message_id == id)
            .map(|part| part.last_inbound_at)
    };
    assert_eq!(window("m-bsuid"), Some(Some(9_000)));
    assert_eq!(window("m-stranger"), Some(None));
}

on_backends!(old_status_reports_are_forgotten_and_the_history_stays);
async fn old_status_reports_are_forgotten_and_the_history_stays(backend: Backend) {
    let (store, _database) = open(backend).await;
    insert_source(store.as_ref()).await;
    let waiting = WebhookBatch {
        statuses: vec![report(
            "wamid.lost",
            "sent",
            1_000,
            MessageState::Sent,
            112006,
        )],
        inbound: Vec::new(),
    };
    store
        .receive(std::slice::from_ref(&waiting))
        .await
        .expect("receive");
    let now = wagate::clock::now_millis();
    assert_eq!(
        store
            .forget_old_statuses(now - 60_000)
            .await
            .expect("forget"),
        0
    );
    assert_eq!(store.forget_old_statuses(now + 1).await.expect("forget"), 1);
    // Forgotten, a repeat is new again (and waits again).
    let again = store.receive(&[waiting]).await.expect("receive");
    assert_eq!(again[0].new_statuses, 1);

    // An applied report is forgotten too; the history keeps the status.
    accept_m1(store.as_ref(), 1).await;
    claim(store.as_ref(), "a", 2_000, 60_000).await;
    store
        .record(&[outcome("m1", 0, "a", submitted("wamid.lost"))])
        .await
        .expect("record");
    assert_eq!(
        store
            .forget_old_statuses(wagate::clock::now_millis() + 1)
            .await
            .expect("forget"),
        1
    );
    let message = store
        .message("acc", "m1")
        .await
        .expect("read")
        .expect("exists");
    let codes: Vec<u32> = message.parts[0]
        .history
        .iter()
        .map(|s| s.result_code)
        .collect();
    assert_eq!(codes, [112002, 112006]);
}

on_backends!(named_leases_have_one_holder_until_they_run_out_or_are_given_up);
async fn named_leases_have_one_holder_until_they_run_out_or_are_given_up(backend: Backend) {
    let (store, _database) = open(backend).await;
    let name = "source:+46700000500";
    let other = |holder: &str, until: i64| LeaseHolder::Other {
        holder: holder.into(),
        until,
    };
    // (who asks, now, until, who holds it afterwards)
    let steps = [
        ("node-a", 1_000, 3_000, LeaseHolder::Caller),
        // Held: nobody else gets it, whatever they ask for.
        ("node-b", 2_000, 9_000, other("node-a", 3_000)),
        // Its holder renews it.
        ("node-a", 2_500, 5_000, LeaseHolder::Caller),
        ("node-b", 4_999, 9_000, other("node-a", 5_000)),
        // Run out: anybody's.
        ("node-b", 5_000, 8_000, LeaseHolder::Caller),
        // The old holder's renewal fails.
        ("node-a", 5_100, 8_100, other("node-b", 8_000)),
    ];
    for (holder, now, until, expected) in steps {
        assert_eq!(
            store
                .take_lease(name, holder, now, until)
                .await
                .expect("take"),
            expected,
            "{holder} at {now}"
        );
    }
    // Nobody can give up what they do not hold.
    store.drop_lease(name, "node-a").await.expect("drop");
    assert_eq!(
        store
            .take_lease(name, "node-c", 6_000, 9_000)
            .await
            .expect("take"),
        other("node-b", 8_000)
    );
    // Given up by its holder: free at once.
    store.drop_lease(name, "node-b").await.expect("drop");
    assert_eq!(
        store
            .take_lease(name, "node-c", 6_000, 9_000)
            .await
            .expect("take"),
        LeaseHolder::Caller
    );
    // Leases are independent of each other.
    assert_eq!(
        store
            .take_lease("callback-feeder", "node-a", 6_000, 9_000)
            .await
            .expect("take"),
        LeaseHolder::Caller
    );
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
                    let parts = store
                        .claim(
                            SOURCE,
                            &format!("claimer{claimer}#{round}"),
                            10_000,
                            70_000,
                            7,
                        )
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
