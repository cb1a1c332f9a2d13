//! Several gateway instances sharing one PostgreSQL database: claims never
//! hand a part or a callback to two of them, events become visible in id
//! order (a reader following a cursor misses none), a submission and
//! Meta's status for it recorded at once by two instances still meet, the
//! event cursor moves once from any one place, and commits wake the other
//! instances.
//!
//! Runs where `WAGATE_TEST_POSTGRES_URL` names a server to create scratch
//! databases on (CI sets it); without it each test says it is skipped.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use common::{Backend, TestDatabase};
use wagate::store::{
    self, ContactIds, NewDelivery, NewMessage, NewPart, NewRequest, NewStatus, Outcome,
    OutcomeChange, PlatformFields, Source, SourceLevel, StatusReport, Store, Wake, WebhookBatch,
};
use wagate_domain::{MessageState, Priority};

const SOURCE: &str = "+46700000900";

/// Two stores (two instances) on a fresh database, dropped at the end.
struct Shared {
    stores: [Arc<dyn Store>; 2],
    database: TestDatabase,
}

impl Shared {
    /// `None` (the test is skipped, and says so) without a PostgreSQL server.
    async fn open(test: &str) -> Option<Self> {
        if let Some(why) = Backend::Postgres.unavailable() {
            common::db::skipped(test, &why);
            return None;
        }
        let database = TestDatabase::create(Backend::Postgres).await;
        let (first, second) = tokio::join!(database.store_with_account(), database.open_store());
        let stores = [first, second];
        Some(Self { stores, database })
    }

    async fn close(self) {
        drop(self.stores);
        drop(self.database);
    }

    fn store(&self, index: usize) -> Arc<dyn Store> {
        Arc::clone(&self.stores[index % 2])
    }
}

/// `count` one-part messages `m0`, `m1`, … for [`SOURCE`].
fn requests(count: usize) -> Vec<NewRequest> {
    (0..count)
        .map(|n| NewRequest {
            account_id: "acc".into(),
            username: "u".into(),
            source: SOURCE.into(),
            ref_id: format!("r{n}"),
            priority: Priority::Normal,
            expires_at: 3_600_000,
            created_at: 1_000,
            platform: PlatformFields::default(),
            custom_parameters: Default::default(),
            gate_ids: Vec::new(),
            callback: None,
            content_until: 1_000,
            request_id: Some(format!("req-{n}")),
            messages: vec![NewMessage {
                message_id: format!("m{n}"),
                destination: "+46701234567".into(),
                parts: vec![NewPart {
                    message_index: 0,
                    message_type: "text".into(),
                    cloud_body: "{}".into(),
                }],
            }],
        })
        .collect()
}

fn submitted(part: &store::ClaimedPart) -> Outcome {
    Outcome {
        message_id: part.message_id.clone(),
        message_index: part.message_index,
        account_id: "acc".into(),
        lease: part.lease.clone(),
        at: 5_000,
        attempted: true,
        change: OutcomeChange::Submitted {
            wamid: format!("wamid.{}", part.message_id),
            status: NewStatus {
                state: MessageState::Submitted,
                result_code: 112002,
                description: "sent to WA".into(),
                details: None,
            },
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claims_never_hand_out_a_part_twice_and_every_event_is_read() {
    let Some(shared) = Shared::open(concat!(
        module_path!(),
        "::concurrent_claims_never_hand_out_a_part_twice_and_every_event_is_read"
    ))
    .await
    else {
        return;
    };
    const MESSAGES: usize = 600;
    shared.stores[0]
        .accept(&requests(MESSAGES))
        .await
        .expect("accept");

    // A reader follows the event queue while the claimers write events.
    let reader = shared.store(1);
    let done = Arc::new(tokio::sync::Notify::new());
    let reading = tokio::spawn({
        let done = Arc::clone(&done);
        async move {
            let mut cursor = 0;
            let mut seen = 0;
            let mut finishing = false;
            loop {
                let events = reader.events_after(cursor, 50).await.expect("events");
                if events.is_empty() {
                    if finishing {
                        return seen;
                    }
                    tokio::select! {
                        () = done.notified() => finishing = true,
                        () = tokio::time::sleep(Duration::from_millis(1)) => {}
                    }
                    continue;
                }
                seen += events.len();
                cursor = events.last().map_or(cursor, |event| event.id);
            }
        }
    });

    let claimers: Vec<_> = (0..8)
        .map(|worker| {
            let store = shared.store(worker);
            tokio::spawn(async move {
                let mut claimed = Vec::new();
                for round in 0.. {
                    let lease = format!("w{worker}-{round}");
                    let parts = store
                        .claim(SOURCE, &lease, 2_000, 1_000_000, 7)
                        .await
                        .expect("claim");
                    if parts.is_empty() {
                        return claimed;
                    }
                    let outcomes: Vec<Outcome> = parts.iter().map(submitted).collect();
                    let recorded = store.record(&outcomes).await.expect("record");
                    assert!(recorded.iter().all(|recorded| *recorded));
                    claimed.extend(parts.into_iter().map(|part| part.message_id));
                }
                claimed
            })
        })
        .collect();
    let mut all = Vec::new();
    for claimer in claimers {
        all.extend(claimer.await.expect("claimer"));
    }
    done.notify_one();
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "a part was claimed twice");
    assert_eq!(all.len(), MESSAGES);
    // Each submission made one event; the reader, moving its cursor past
    // every id it saw, saw them all.
    assert_eq!(reading.await.expect("reader"), MESSAGES);
    shared.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_status_recorded_while_its_submission_is_recorded_elsewhere_joins_it() {
    let Some(shared) = Shared::open(concat!(
        module_path!(),
        "::a_status_recorded_while_its_submission_is_recorded_elsewhere_joins_it"
    ))
    .await
    else {
        return;
    };
    const MESSAGES: usize = 200;
    shared.stores[0]
        .insert_source(&Source {
            id: "src".into(),
            account_id: "acc".into(),
            number: SOURCE.into(),
            phone_number_id: Some("pnid".into()),
            waba_id: None,
            access_token: None,
            level: SourceLevel::Standard,
            throughput: None,
            care_window_check: false,
            created_at: 0,
        })
        .await
        .expect("source");
    shared.stores[0]
        .accept(&requests(MESSAGES))
        .await
        .expect("accept");
    let parts = shared.stores[0]
        .claim(SOURCE, "lease", 2_000, 1_000_000, MESSAGES as u32)
        .await
        .expect("claim");
    assert_eq!(parts.len(), MESSAGES);
    // One instance records each submission while the other stores Meta's
    // `delivered` for it, one pair at a time, both at once.
    for part in &parts {
        let recorder = shared.store(0);
        let receiver = shared.store(1);
        let outcome = submitted(part);
        let status = WebhookBatch {
            statuses: vec![StatusReport {
                wamid: format!("wamid.{}", part.message_id),
                phone_number_id: "pnid".into(),
                recipient: ContactIds::default(),
                part: None,
                status: "delivered".into(),
                at: 6_000,
                change: Some(NewStatus {
                    state: MessageState::Delivered,
                    result_code: 112003,
                    description: "delivered".into(),
                    details: None,
                }),
            }],
            inbound: Vec::new(),
        };
        let (recorded, received) = tokio::join!(
            tokio::spawn(async move { recorder.record(&[outcome]).await }),
            tokio::spawn(async move { receiver.receive(&[status]).await }),
        );
        recorded.expect("recorder").expect("record");
        received.expect("receiver").expect("receive");
    }
    for part in &parts {
        let message = shared.stores[0]
            .message("acc", &part.message_id)
            .await
            .expect("read")
            .expect("exists");
        assert_eq!(
            message.parts[0].state,
            MessageState::Delivered,
            "{}",
            part.message_id
        );
    }
    assert_eq!(
        shared.stores[0]
            .events_after(0, 10 * MESSAGES as u32)
            .await
            .expect("events")
            .len(),
        2 * MESSAGES
    );
    shared.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_event_cursor_moves_once_from_one_place() {
    let Some(shared) = Shared::open(concat!(
        module_path!(),
        "::the_event_cursor_moves_once_from_one_place"
    ))
    .await
    else {
        return;
    };
    let delivery = |n: usize| NewDelivery {
        origin: format!("event:{n}"),
        gate_id: "g".into(),
        account_id: "acc".into(),
        ordering: "m".into(),
        url: None,
        payload: "{}".into(),
        content_until: None,
        request_id: None,
    };
    for round in 0..20_i64 {
        let from = round * 10;
        let moves: Vec<_> = (0..4)
            .map(|instance| {
                let store = shared.store(instance);
                let deliveries = vec![delivery(instance)];
                tokio::spawn(async move {
                    store
                        .enqueue_deliveries("fan-out", from, from + 10, &deliveries)
                        .await
                        .expect("enqueue")
                })
            })
            .collect();
        let mut moved = 0;
        for outcome in moves {
            moved += usize::from(outcome.await.expect("mover"));
        }
        assert_eq!(moved, 1, "round {round}");
        assert_eq!(
            shared.stores[0].cursor("fan-out").await.expect("cursor"),
            from + 10
        );
    }
    shared.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn commits_wake_the_other_instances() {
    let Some(shared) = Shared::open(concat!(
        module_path!(),
        "::commits_wake_the_other_instances"
    ))
    .await
    else {
        return;
    };
    let mut wakes = shared.stores[0]
        .listen()
        .await
        .expect("listen")
        .expect("PostgreSQL has wake-ups");
    let other = shared.store(1);
    other.accept(&requests(3)).await.expect("accept");
    assert_eq!(
        next(&mut wakes).await,
        Wake::Outbox {
            source: SOURCE.into()
        }
    );
    let parts = other
        .claim(SOURCE, "lease", 2_000, 1_000_000, 10)
        .await
        .expect("claim");
    let outcomes: Vec<Outcome> = parts.iter().map(submitted).collect();
    other.record(&outcomes).await.expect("record");
    assert_eq!(next(&mut wakes).await, Wake::Events);
    drop(wakes);
    shared.close().await;
}

async fn next(wakes: &mut tokio::sync::mpsc::Receiver<Wake>) -> Wake {
    tokio::time::timeout(Duration::from_secs(10), wakes.recv())
        .await
        .expect("a wake-up in time")
        .expect("open")
}
