//! `MessageStore`: a batch is accepted whole or not at all, and a message
//! is only shown to the account that owns it.

use wagate_domain::{MessageState, Priority};

use crate::build::{ACCOUNT, SOURCE, claim, keys, open, request};
use crate::common::Backend;
use crate::on_backends;

on_backends!(a_batch_is_accepted_whole_or_not_at_all);
async fn a_batch_is_accepted_whole_or_not_at_all(backend: Backend) {
    let (store, _database) = open(backend).await;
    store
        .accept(&[request("taken", Priority::Normal, 1_000, 1)])
        .await
        .expect("accept");
    // The batch's second request reuses a message id: the first fails with
    // it.
    let result = store
        .accept(&[
            request("fresh", Priority::Normal, 2_000, 2),
            request("taken", Priority::Normal, 2_000, 1),
        ])
        .await;
    assert!(result.is_err(), "a taken message id fails the batch");
    assert!(
        store
            .message(ACCOUNT, "fresh")
            .await
            .expect("read")
            .is_none()
    );
    assert_eq!(
        keys(&claim(store.as_ref(), "a", 10_000, 20_000).await),
        [("taken".to_owned(), 0)],
        "nothing of the failed batch reached the outbox"
    );
}

on_backends!(an_accepted_message_is_queued_and_shown_only_to_its_account);
async fn an_accepted_message_is_queued_and_shown_only_to_its_account(backend: Backend) {
    let (store, _database) = open(backend).await;
    store
        .accept(&[request("m1", Priority::High, 1_000, 2)])
        .await
        .expect("accept");
    let message = store
        .message(ACCOUNT, "m1")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(
        (message.source.as_str(), message.priority),
        (SOURCE, Priority::High)
    );
    assert_eq!(message.request_id.as_deref(), Some("req-m1"));
    let states: Vec<_> = message.parts.iter().map(|part| part.state).collect();
    assert_eq!(states, [MessageState::Queued, MessageState::Queued]);
    assert_eq!(
        message.parts[1].cloud_body.as_deref(),
        Some("{\"index\":1}")
    );
    assert!(store.message("other", "m1").await.expect("read").is_none());
    assert_eq!(store.outbox_sources().await.expect("sources"), [SOURCE]);
}
