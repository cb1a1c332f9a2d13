//! `TenantStore`: unique keys answer `Conflict`, a row naming a missing
//! account `NotFound`, deleting a row others still name `InUse`.

use wagate::store::{StoreError, TenantKind};

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
