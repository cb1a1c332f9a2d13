//! `TenantStore`: unique keys answer `Conflict`, a row naming a missing
//! account `NotFound`, deleting a row others still name `InUse`; a
//! source's level is set (and read back at once through the tenant cache).

use std::time::Duration;

use wagate::store::cached::{CachedTenants, TenantCacheSettings};
use wagate::store::{Source, SourceLevel, StoreError, TenantKind, TenantStore as _};

use crate::build::{ACCOUNT, account, gate, open, source};
use crate::common::Backend;
use crate::on_backends;

on_backends!(taken_keys_conflict_and_the_first_row_stays);
async fn taken_keys_conflict_and_the_first_row_stays(backend: Backend) {
    let (store, _database) = open(backend).await;
    // The same id, and another id with the same platform pair.
    for taken in [account(ACCOUNT, "other"), account("acc2", "p")] {
        let result = store.insert_account(&taken).await;
        assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    }
    store
        .insert_source(&source("src", "+46700000400", Some("pnid")))
        .await
        .expect("source");
    // The same number, and the same Cloud API id, under other ids.
    for taken in [
        source("src2", "+46700000400", None),
        source("src3", "+46700000401", Some("pnid")),
    ] {
        let result = store.insert_source(&taken).await;
        assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    }
    let kept = store.account(ACCOUNT).await.expect("read").expect("kept");
    assert_eq!(kept.platform_id, "p");
    assert_eq!(store.sources().await.expect("sources").len(), 1);
}

on_backends!(a_row_of_a_missing_account_is_not_found);
async fn a_row_of_a_missing_account_is_not_found(backend: Backend) {
    let (store, _database) = open(backend).await;
    let mut orphan = gate("g");
    orphan.account_id = "nobody".into();
    let result = store.insert_gate(&orphan).await;
    assert!(matches!(result, Err(StoreError::NotFound(_))), "{result:?}");
    assert!(store.gate("g").await.expect("read").is_none());
}

on_backends!(a_row_still_named_is_in_use_and_a_missing_one_is_no_delete);
async fn a_row_still_named_is_in_use_and_a_missing_one_is_no_delete(backend: Backend) {
    let (store, _database) = open(backend).await;
    store.insert_gate(&gate("g")).await.expect("gate");
    let result = store.delete(TenantKind::Account, ACCOUNT).await;
    assert!(matches!(result, Err(StoreError::InUse(_))), "{result:?}");
    assert!(store.account(ACCOUNT).await.expect("read").is_some());

    assert!(store.delete(TenantKind::Gate, "g").await.expect("delete"));
    assert!(!store.delete(TenantKind::Gate, "g").await.expect("delete"));
    assert!(
        store
            .delete(TenantKind::Account, ACCOUNT)
            .await
            .expect("delete")
    );
}

on_backends!(a_setting_keeps_the_first_value_generated);
async fn a_setting_keeps_the_first_value_generated(backend: Backend) {
    let (store, _database) = open(backend).await;
    assert_eq!(
        store.setting("key", "first").await.expect("setting"),
        "first"
    );
    assert_eq!(
        store.setting("key", "second").await.expect("setting"),
        "first"
    );
}

on_backends!(a_sources_level_is_set_and_read_back_through_the_cache);
async fn a_sources_level_is_set_and_read_back_through_the_cache(backend: Backend) {
    let (store, _database) = open(backend).await;
    store
        .insert_source(&source("src", "+46700000400", Some("pnid")))
        .await
        .expect("source");
    // A cache that would serve the old row for an hour unless the write
    // empties it.
    let tenants = CachedTenants::new(
        store.clone(),
        TenantCacheSettings {
            ttl: Duration::from_secs(3600),
            max_entries: 100,
        },
    );
    let level = |source: Option<Source>| source.map(|source| source.level);
    assert_eq!(
        level(
            tenants
                .source_by_number("+46700000400")
                .await
                .expect("read")
        ),
        Some(SourceLevel::Standard)
    );
    assert!(
        tenants
            .set_source_level("src", SourceLevel::High)
            .await
            .expect("set")
    );
    assert_eq!(
        level(
            tenants
                .source_by_number("+46700000400")
                .await
                .expect("read")
        ),
        Some(SourceLevel::High)
    );
    let stored = store.source("src").await.expect("read").expect("kept");
    assert_eq!(
        (
            stored.level,
            stored.number.as_str(),
            stored.phone_number_id.as_deref()
        ),
        (SourceLevel::High, "+46700000400", Some("pnid"))
    );
    assert!(
        !store
            .set_source_level("nobody", SourceLevel::High)
            .await
            .expect("set")
    );
}
