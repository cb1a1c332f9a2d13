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

on_backends!(the_search_finds_what_each_field_names_newest_first_and_pages_on);
async fn the_search_finds_what_each_field_names_newest_first_and_pages_on(backend: Backend) {
    use wagate::store::MessageSearch;

    let (store, _database) = open(backend).await;
    // m1..m4 at 1..4 s; m3 goes elsewhere and has two parts.
    let mut batch = Vec::new();
    for (index, id) in ["m1", "m2", "m3", "m4"].into_iter().enumerate() {
        let at = 1_000 * (i64::try_from(index).expect("small") + 1);
        let mut request = request(id, Priority::Normal, at, if id == "m3" { 2 } else { 1 });
        if id == "m3" {
            request.messages[0].destination = "+46709999999".into();
        }
        batch.push(request);
    }
    store.accept(&batch).await.expect("accept");
    let found = |search: MessageSearch, limit: u32| {
        let store = store.clone();
        async move {
            store
                .search_messages(&search, limit)
                .await
                .expect("search")
                .into_iter()
                .map(|summary| summary.message_id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        found(MessageSearch::default(), 10).await,
        ["m4", "m3", "m2", "m1"]
    );
    let by = |field: fn(&mut MessageSearch, String), value: &str| {
        let mut search = MessageSearch::default();
        field(&mut search, value.to_owned());
        search
    };
    assert_eq!(found(by(|s, v| s.ref_id = Some(v), "m2"), 10).await, ["m2"]);
    assert_eq!(
        found(by(|s, v| s.message_id = Some(v), "m4"), 10).await,
        ["m4"]
    );
    assert_eq!(
        found(by(|s, v| s.destination = Some(v), "+46709999999"), 10).await,
        ["m3"]
    );
    assert_eq!(
        found(by(|s, v| s.account_id = Some(v), ACCOUNT), 10)
            .await
            .len(),
        4
    );
    assert!(
        found(by(|s, v| s.account_id = Some(v), "another"), 10)
            .await
            .is_empty()
    );
    assert_eq!(
        found(by(|s, v| s.source = Some(v), SOURCE), 10).await.len(),
        4
    );
    let window = MessageSearch {
        since: Some(2_000),
        until: Some(4_000),
        ..MessageSearch::default()
    };
    assert_eq!(found(window, 10).await, ["m3", "m2"]);
    let queued = MessageSearch {
        state: Some(MessageState::Queued),
        ..MessageSearch::default()
    };
    assert_eq!(found(queued, 10).await.len(), 4);
    let read = MessageSearch {
        state: Some(MessageState::Read),
        ..MessageSearch::default()
    };
    assert!(found(read, 10).await.is_empty());

    // Pages of two: the second starts after the first's last.
    let first = store
        .search_messages(&MessageSearch::default(), 2)
        .await
        .expect("search");
    assert_eq!(first.len(), 2);
    let last = &first[1];
    assert_eq!((last.message_id.as_str(), last.parts), ("m3", 2));
    assert_eq!(last.state, Some(MessageState::Queued));
    let next = MessageSearch {
        before: Some((last.created_at, last.message_id.clone())),
        ..MessageSearch::default()
    };
    assert_eq!(found(next, 2).await, ["m2", "m1"]);
}
