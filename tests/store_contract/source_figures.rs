//! `SourceFiguresStore`: each number's outbox with its oldest due, one
//! number's outbox per priority with the oldest due part of each, its
//! submissions since a time (and whether the bounded read saw them all),
//! and its latest failures, newest first, only its own.

use serde_json::json;
use wagate::store::source_figures::{
    PriorityBacklog, RecentSubmissions, SourceBacklog, WaitingPart,
};
use wagate::store::{NewRequest, OutcomeChange, Store};
use wagate_domain::{MessageState, Priority};

use crate::build::{
    SOURCE, new_status, open_with, outcome, report, request, resend, statuses, submitted,
};
use crate::common::Backend;
use crate::on_backends;

/// Another business number (of the same account: the store does not mind).
const OTHER: &str = "+46700000401";

/// [`request`] sent from [`OTHER`].
fn from_other(id: &str, priority: Priority, created_at: i64) -> NewRequest {
    let mut request = request(id, priority, created_at, 1);
    request.source = OTHER.into();
    request
}

/// Claims `number`'s due parts at `now` under `lease`.
async fn claim_all(store: &dyn Store, number: &str, lease: &str, now: i64) -> usize {
    store
        .claim(number, lease, now, now + 60_000, 50)
        .await
        .expect("claim")
        .len()
}

/// Records `change` for part 0 of `id` under `lease`, at `at`.
async fn settle(store: &dyn Store, id: &str, lease: &str, at: i64, change: OutcomeChange) {
    let mut outcome = outcome(id, 0, lease, change);
    outcome.at = at;
    let recorded = store.record(&[outcome]).await.expect("record");
    assert_eq!(recorded, [true], "{id}");
}

/// A part that failed for good with Meta's error `code`.
fn refused(code: i64) -> OutcomeChange {
    let mut status = new_status(MessageState::Failed, 112403, "(#100) Invalid parameter");
    status.details = Some(json!({"httpStatus": 400, "metaErrorCode": code}));
    OutcomeChange::Finished { status }
}

on_backends!(a_numbers_outbox_per_priority_names_its_oldest_due_part);
async fn a_numbers_outbox_per_priority_names_its_oldest_due_part(backend: Backend) {
    let (store, _database) = open_with(backend, &[]).await;
    assert_eq!(store.outbox_by_source(0).await.expect("outbox"), []);
    assert_eq!(store.source_outbox(SOURCE, 0).await.expect("outbox"), []);
    store
        .accept(&[
            request("h2", Priority::High, 1_000, 1),
            request("h1", Priority::High, 1_000, 2),
            request("n1", Priority::Normal, 2_000, 1),
            request("l1", Priority::Low, 3_000, 1),
            from_other("o1", Priority::Low, 500),
        ])
        .await
        .expect("accept");

    // At 2.5 s the LOW part (due at 3 s) waits but is not due yet.
    let outbox = store.source_outbox(SOURCE, 2_500).await.expect("outbox");
    let waiting = |id: &str, due_at| {
        Some(WaitingPart {
            message_id: id.into(),
            message_index: 0,
            due_at,
        })
    };
    assert_eq!(
        outbox,
        [
            PriorityBacklog {
                priority: Priority::High,
                parts: 3,
                // Of the parts due at 1 s, the smallest messageId's first.
                oldest_due: waiting("h1", 1_000),
            },
            PriorityBacklog {
                priority: Priority::Normal,
                parts: 1,
                oldest_due: waiting("n1", 2_000),
            },
            PriorityBacklog {
                priority: Priority::Low,
                parts: 1,
                oldest_due: None,
            },
        ]
    );
    assert_eq!(
        store.outbox_by_source(2_500).await.expect("outbox"),
        [
            SourceBacklog {
                source: SOURCE.into(),
                parts: 5,
                oldest_due_at: Some(1_000),
            },
            SourceBacklog {
                source: OTHER.into(),
                parts: 1,
                oldest_due_at: Some(500),
            },
        ]
    );

    // A HIGH part resent for later is no longer due; the part after it,
    // due since 1 s, is (though it waits for the first: as the overview
    // counts it).
    assert_eq!(claim_all(store.as_ref(), SOURCE, "lease-1", 2_500).await, 3);
    settle(store.as_ref(), "h1", "lease-1", 2_500, resend(90_000)).await;
    settle(
        store.as_ref(),
        "h2",
        "lease-1",
        2_500,
        submitted("wamid.h2"),
    )
    .await;
    let outbox = store.source_outbox(SOURCE, 2_500).await.expect("outbox");
    assert_eq!(
        outbox[0],
        PriorityBacklog {
            priority: Priority::High,
            parts: 2,
            oldest_due: Some(WaitingPart {
                message_id: "h1".into(),
                message_index: 1,
                due_at: 1_000,
            }),
        }
    );
}

on_backends!(recent_submissions_count_the_numbers_own_and_say_when_the_read_fell_short);
async fn recent_submissions_count_the_numbers_own_and_say_when_the_read_fell_short(
    backend: Backend,
) {
    let (store, _database) = open_with(backend, &[]).await;
    store
        .accept(&[
            request("a1", Priority::Normal, 1_000, 1),
            request("a2", Priority::Normal, 1_000, 1),
            request("a3", Priority::Normal, 1_000, 1),
            from_other("o1", Priority::Normal, 1_000),
        ])
        .await
        .expect("accept");
    assert_eq!(claim_all(store.as_ref(), SOURCE, "lease-a", 2_000).await, 3);
    assert_eq!(claim_all(store.as_ref(), OTHER, "lease-o", 2_000).await, 1);
    // Statuses, oldest first: four accepted, a1 submitted at 5 s, a2 at
    // 9 s, a3 resent at 9 s, o1 submitted at 9 s.
    settle(
        store.as_ref(),
        "a1",
        "lease-a",
        5_000,
        submitted("wamid.a1"),
    )
    .await;
    settle(
        store.as_ref(),
        "a2",
        "lease-a",
        9_000,
        submitted("wamid.a2"),
    )
    .await;
    settle(store.as_ref(), "a3", "lease-a", 9_000, resend(60_000)).await;
    settle(
        store.as_ref(),
        "o1",
        "lease-o",
        9_000,
        submitted("wamid.o1"),
    )
    .await;

    let recent = |since, scan| {
        let store = store.clone();
        async move {
            store
                .recent_submissions(SOURCE, since, scan)
                .await
                .expect("recent")
        }
    };
    let all = |parts| RecentSubmissions {
        parts,
        complete: true,
    };
    assert_eq!(recent(8_000, 1_000).await, all(1), "a2; every status read");
    assert_eq!(recent(4_000, 1_000).await, all(2), "a1 and a2");
    assert_eq!(recent(10_000, 1_000).await, all(0));
    // The newest two statuses (o1's submission, a3's resend) show none of
    // the number's, and nothing older than 8 s: maybe more went before.
    assert_eq!(
        recent(8_000, 2).await,
        RecentSubmissions {
            parts: 0,
            complete: false
        }
    );
    // The newest four reach a1's submission at 5 s: a2 is all there is.
    assert_eq!(recent(8_000, 4).await, all(1));
    assert_eq!(
        store
            .recent_submissions(OTHER, 8_000, 1_000)
            .await
            .expect("recent"),
        all(1)
    );
}

on_backends!(a_numbers_failures_are_its_own_newest_first_with_what_meta_said);
async fn a_numbers_failures_are_its_own_newest_first_with_what_meta_said(backend: Backend) {
    let (store, _database) = open_with(backend, &[]).await;
    store
        .accept(&[
            request("f1", Priority::Normal, 1_000, 1),
            request("r1", Priority::Normal, 1_000, 1),
            request("w1", Priority::Normal, 1_000, 1),
            request("ok", Priority::Normal, 1_000, 1),
            from_other("o1", Priority::Normal, 1_000),
        ])
        .await
        .expect("accept");
    assert!(
        store
            .source_failures(SOURCE, 20, 1_000)
            .await
            .expect("failures")
            .is_empty(),
        "accepted is no failure"
    );
    assert_eq!(claim_all(store.as_ref(), SOURCE, "lease-a", 2_000).await, 4);
    assert_eq!(claim_all(store.as_ref(), OTHER, "lease-o", 2_000).await, 1);
    settle(store.as_ref(), "f1", "lease-a", 3_000, refused(100)).await;
    settle(store.as_ref(), "r1", "lease-a", 4_000, resend(60_000)).await;
    settle(
        store.as_ref(),
        "w1",
        "lease-a",
        5_000,
        submitted("wamid.w1"),
    )
    .await;
    settle(
        store.as_ref(),
        "ok",
        "lease-a",
        5_000,
        submitted("wamid.ok"),
    )
    .await;
    // Meta reports w1 failed (and `ok` delivered).
    let mut failed = report("wamid.w1", "failed", 6_000, MessageState::Failed, 112404);
    if let Some(change) = failed.change.as_mut() {
        change.details =
            Some(json!({"metaErrorCode": 131026, "metaErrorTitle": "Message undeliverable"}));
    }
    let delivered = report(
        "wamid.ok",
        "delivered",
        6_000,
        MessageState::Delivered,
        112003,
    );
    store
        .receive(&[statuses(vec![failed, delivered])])
        .await
        .expect("receive");
    // The other number's failure is the newest of all.
    settle(store.as_ref(), "o1", "lease-o", 7_000, refused(131000)).await;

    let failures = store
        .source_failures(SOURCE, 20, 1_000)
        .await
        .expect("failures");
    let seen: Vec<(&str, MessageState, u32, i64)> = failures
        .iter()
        .map(|failure| {
            (
                failure.message_id.as_str(),
                failure.state,
                failure.result_code,
                failure.at,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("w1", MessageState::Failed, 112404, 6_000),
            ("r1", MessageState::Queued, 112406, 4_000),
            ("f1", MessageState::Failed, 112403, 3_000),
        ]
    );
    assert_eq!(
        failures[0].details,
        Some(json!({"metaErrorCode": 131026, "metaErrorTitle": "Message undeliverable"}))
    );
    assert_eq!(
        failures[2]
            .details
            .as_ref()
            .map(|d| d["metaErrorCode"].clone()),
        Some(json!(100))
    );
    assert_eq!(failures[2].description, "(#100) Invalid parameter");

    // At most `limit`, the newest.
    let newest = store
        .source_failures(SOURCE, 1, 1_000)
        .await
        .expect("failures");
    assert_eq!(newest.len(), 1);
    assert_eq!(newest[0].message_id, "w1");
    // Among the gateway's newest `scan` failures only: the newest is the
    // other number's.
    assert!(
        store
            .source_failures(SOURCE, 20, 1)
            .await
            .expect("failures")
            .is_empty()
    );
    let two = store
        .source_failures(SOURCE, 20, 2)
        .await
        .expect("failures");
    assert_eq!(two.len(), 1, "{two:?}");
    let other = store
        .source_failures(OTHER, 20, 1_000)
        .await
        .expect("failures");
    assert_eq!(other.len(), 1);
    assert_eq!(other[0].message_id, "o1");
}
