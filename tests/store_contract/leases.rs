//! `LeaseStore`: a named lease has one holder until it runs out or is
//! given up; its holder renews it.

use wagate::store::LeaseHolder;

use crate::build::open;
use crate::common::Backend;
use crate::on_backends;

fn other(holder: &str, until: i64) -> LeaseHolder {
    LeaseHolder::Other {
        holder: holder.into(),
        until,
    }
}

on_backends!(a_named_lease_has_one_holder_until_it_runs_out);
async fn a_named_lease_has_one_holder_until_it_runs_out(backend: Backend) {
    let (store, _database) = open(backend).await;
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
        let taken = store.take_lease("source:1", holder, now, until).await;
        assert_eq!(taken.expect("take"), expected, "{holder} at {now}");
    }
    // Leases are independent of each other.
    let taken = store
        .take_lease("callback-feeder", "node-a", 6_000, 9_000)
        .await;
    assert_eq!(taken.expect("take"), LeaseHolder::Caller);
}

on_backends!(only_the_holder_gives_a_lease_up);
async fn only_the_holder_gives_a_lease_up(backend: Backend) {
    let (store, _database) = open(backend).await;
    let take = |holder: &'static str| {
        let store = store.clone();
        async move {
            store
                .take_lease("source:1", holder, 6_000, 9_000)
                .await
                .expect("take")
        }
    };
    assert_eq!(take("node-b").await, LeaseHolder::Caller);
    store.drop_lease("source:1", "node-a").await.expect("drop");
    assert_eq!(take("node-c").await, other("node-b", 9_000));
    // Given up by its holder: free at once.
    store.drop_lease("source:1", "node-b").await.expect("drop");
    assert_eq!(take("node-c").await, LeaseHolder::Caller);
}
