//! `WebhookStore`: each status is kept once per (wamid, business number,
//! status) and each incoming message once per wamid; a status joins its
//! part's history at once or when the submission is recorded, never moves
//! the state back, and applies only from the number it names; the contact
//! book and care windows fill from what the webhooks say.

use wagate::store::{Millis, PartRecord, StatusReport, Store, WebhookBatch};
use wagate_domain::part_tag::PartTag;
use wagate_domain::{MessageState, Priority};

use crate::build::{
    ACCOUNT, NO_BOUND, USER_PHONE, accept_m1, claim, codes, event_count, ids, inbound, message,
    open_with, record, report, request, statuses, steps, submitted,
};
use crate::common::Backend;
use crate::on_backends;

fn sent(wamid: &str, at: i64) -> StatusReport {
    report(wamid, "sent", at, MessageState::Sent, 112006)
}

fn read(wamid: &str, at: i64) -> StatusReport {
    report(wamid, "read", at, MessageState::Read, 112007)
}

/// `report` with the tag of part `index` of message `message_id`, as Meta
/// hands back the `biz_opaque_callback_data` wagate sent.
fn tagged(mut report: StatusReport, message_id: &str, index: u32) -> StatusReport {
    report.part = Some(PartTag {
        message_id: message_id.into(),
        index,
    });
    report
}

/// `m1` (one part) accepted, claimed under `a` and submitted as `wamid`.
async fn submitted_m1(store: &dyn Store, wamid: &str) {
    accept_m1(store, 1).await;
    claim(store, "a", 2_000, 60_000).await;
    assert!(record(store, 0, "a", submitted(wamid)).await);
}

on_backends!(a_status_is_stored_once_per_wamid_number_and_status);
async fn a_status_is_stored_once_per_wamid_number_and_status(backend: Backend) {
    let (store, _database) = open_with(backend, &[]).await;
    let mut elsewhere = sent("wamid.1", 3_000);
    elsewhere.phone_number_id = "pnid-other".into();
    let batch = statuses(vec![
        sent("wamid.1", 3_000),
        read("wamid.1", 4_000),
        elsewhere,
    ]);
    // Twice in one call, then once more in another.
    let receipts = store
        .receive(&[batch.clone(), batch.clone()])
        .await
        .expect("receive");
    assert_eq!(
        (receipts[0].new_statuses, receipts[0].repeated_statuses),
        (3, 0)
    );
    assert_eq!(
        (receipts[1].new_statuses, receipts[1].repeated_statuses),
        (0, 3)
    );
    let again = store.receive(&[batch]).await.expect("receive");
    assert_eq!((again[0].new_statuses, again[0].repeated_statuses), (0, 3));
}

on_backends!(an_incoming_message_is_stored_once_by_wamid);
async fn an_incoming_message_is_stored_once_by_wamid(backend: Backend) {
    let (store, _database) = open_with(backend, &[]).await;
    let batch = WebhookBatch {
        statuses: Vec::new(),
        inbound: vec![inbound(
            "wamid.in",
            5_000,
            ids(Some(USER_PHONE), None, None),
        )],
    };
    let receipts = store
        .receive(&[batch.clone(), batch])
        .await
        .expect("receive");
    assert_eq!(
        (receipts[0].new_inbound, receipts[1].repeated_inbound),
        (1, 1)
    );
    let unrouted = store.unrouted_inbound(10).await.expect("unrouted");
    assert_eq!(unrouted.len(), 1);
    assert_eq!(unrouted[0].wamid, "wamid.in");
}

on_backends!(a_status_of_a_known_wamid_joins_its_part_at_once);
async fn a_status_of_a_known_wamid_joins_its_part_at_once(backend: Backend) {
    let (store, _database) = open_with(backend, &[]).await;
    submitted_m1(store.as_ref(), "wamid.1").await;
    store
        .receive(&[statuses(vec![sent("wamid.1", 3_000)])])
        .await
        .expect("receive");
    let part = &message(store.as_ref(), "m1").await.parts[0];
    assert_eq!(part.state, MessageState::Sent);
    assert_eq!(codes(part), [112002, 112006]);
    assert_eq!(event_count(store.as_ref()).await, 2);
}

on_backends!(a_status_before_its_submission_waits_and_joins_in_metas_order);
async fn a_status_before_its_submission_waits_and_joins_in_metas_order(backend: Backend) {
    // `read` and `sent` arrive out of order before the wamid is recorded.
    let early = vec![read("wamid.1", 4_000), sent("wamid.1", 3_000)];
    let (part, events) = joined_at_submission(backend, early).await;
    assert_eq!(codes(&part), [112002, 112006, 112007], "in Meta's order");
    assert_eq!(part.state, MessageState::Read);
    assert_eq!(events, 3);
}

/// `m1`'s part and the count of events after `early` statuses arrived
/// between its claim and its submission (as `wamid.1`): none joins before
/// the wamid is known (asserted here), all when it is.
async fn joined_at_submission(backend: Backend, early: Vec<StatusReport>) -> (PartRecord, usize) {
    let (store, _database) = open_with(backend, &[]).await;
    accept_m1(store.as_ref(), 1).await;
    claim(store.as_ref(), "a", 2_000, 60_000).await;
    store.receive(&[statuses(early)]).await.expect("receive");
    assert!(
        message(store.as_ref(), "m1").await.parts[0]
            .history
            .is_empty(),
        "nothing joins before the wamid is known"
    );
    assert!(record(store.as_ref(), 0, "a", submitted("wamid.1")).await);
    let part = message(store.as_ref(), "m1").await.parts[0].clone();
    (part, event_count(store.as_ref()).await)
}

on_backends!(a_status_that_would_move_the_state_back_joins_silently);
async fn a_status_that_would_move_the_state_back_joins_silently(backend: Backend) {
    let (store, _database) = open_with(backend, &[]).await;
    submitted_m1(store.as_ref(), "wamid.1").await;
    store
        .receive(&[statuses(vec![read("wamid.1", 4_000)])])
        .await
        .expect("receive");
    let delivered = report(
        "wamid.1",
        "delivered",
        3_500,
        MessageState::Delivered,
        112003,
    );
    store
        .receive(&[statuses(vec![delivered])])
        .await
        .expect("receive");
    let part = &message(store.as_ref(), "m1").await.parts[0];
    assert_eq!(codes(part), [112002, 112007, 112003]);
    assert_eq!(part.state, MessageState::Read, "the state never moves back");
    assert_eq!(
        event_count(store.as_ref()).await,
        2,
        "no event, no callback"
    );
}

on_backends!(a_status_naming_another_number_is_kept_but_not_applied);
async fn a_status_naming_another_number_is_kept_but_not_applied(backend: Backend) {
    let (store, _database) = open_with(backend, &[]).await;
    submitted_m1(store.as_ref(), "wamid.1").await;
    let mut foreign = read("wamid.1", 4_000);
    foreign.phone_number_id = "pnid-of-another-tenant".into();
    let receipts = store
        .receive(&[statuses(vec![foreign])])
        .await
        .expect("receive");
    assert_eq!(receipts[0].new_statuses, 1, "kept");
    let part = &message(store.as_ref(), "m1").await.parts[0];
    assert_eq!(
        (part.state, codes(part)),
        (MessageState::Submitted, vec![112002])
    );
    // The genuine `read` that follows is new, and applies.
    let receipts = store
        .receive(&[statuses(vec![read("wamid.1", 4_000)])])
        .await
        .expect("receive");
    assert_eq!(receipts[0].new_statuses, 1);
    assert_eq!(
        message(store.as_ref(), "m1").await.parts[0].state,
        MessageState::Read
    );
}

on_backends!(a_tagged_status_joins_its_part_once_and_only_from_its_number);
async fn a_tagged_status_joins_its_part_once_and_only_from_its_number(backend: Backend) {
    let (store, _database) = open_with(backend, &[]).await;
    submitted_m1(store.as_ref(), "wamid.1").await;
    let mut foreign = tagged(read("wamid.1", 4_000), "m1", 0);
    foreign.phone_number_id = "pnid-of-another-tenant".into();
    let batch = statuses(vec![tagged(sent("wamid.1", 3_000), "m1", 0), foreign]);
    let receipts = store
        .receive(&[batch.clone(), batch.clone()])
        .await
        .expect("receive");
    assert_eq!(
        (receipts[0].new_statuses, receipts[1].repeated_statuses),
        (2, 2)
    );
    let again = store.receive(&[batch]).await.expect("receive");
    assert_eq!((again[0].new_statuses, again[0].repeated_statuses), (0, 2));
    let part = &message(store.as_ref(), "m1").await.parts[0];
    assert_eq!(
        (part.state, codes(part)),
        (MessageState::Sent, vec![112002, 112006]),
        "the `read` of another number changes nothing"
    );
    assert_eq!(event_count(store.as_ref()).await, 2);
}

on_backends!(a_status_repeated_with_or_without_its_tag_is_a_repeat);
async fn a_status_repeated_with_or_without_its_tag_is_a_repeat(backend: Backend) {
    let (store, _database) = open_with(backend, &[]).await;
    submitted_m1(store.as_ref(), "wamid.1").await;
    for (report, new) in [
        (tagged(sent("wamid.1", 3_000), "m1", 0), 1),
        (sent("wamid.1", 3_000), 0),
        (read("wamid.1", 4_000), 1),
        (tagged(read("wamid.1", 4_000), "m1", 0), 0),
    ] {
        let receipts = store
            .receive(&[statuses(vec![report])])
            .await
            .expect("receive");
        assert_eq!(
            (receipts[0].new_statuses, receipts[0].repeated_statuses),
            (new, 1 - new)
        );
    }
    let part = &message(store.as_ref(), "m1").await.parts[0];
    assert_eq!(codes(part), [112002, 112006, 112007], "each status once");
    assert_eq!(event_count(store.as_ref()).await, 3);
}

on_backends!(a_tagged_status_applies_only_to_the_part_that_got_its_wamid);
async fn a_tagged_status_applies_only_to_the_part_that_got_its_wamid(backend: Backend) {
    let (store, _database) = open_with(backend, &[]).await;
    submitted_m1(store.as_ref(), "wamid.1").await;
    let batch = statuses(vec![
        // Another index of the message, and another wamid.
        tagged(sent("wamid.1", 3_000), "m1", 1),
        tagged(read("wamid.2", 4_000), "m1", 0),
    ]);
    let receipts = store.receive(&[batch]).await.expect("receive");
    assert_eq!(receipts[0].new_statuses, 2, "kept");
    let part = &message(store.as_ref(), "m1").await.parts[0];
    assert_eq!(
        (part.state, codes(part)),
        (MessageState::Submitted, vec![112002])
    );
}

on_backends!(tagged_and_untagged_statuses_before_the_submission_join_in_metas_order);
async fn tagged_and_untagged_statuses_before_the_submission_join_in_metas_order(backend: Backend) {
    // Out of order, before the wamid is recorded; one without its tag (a
    // part sent before tags, or a status Meta sent without it).
    let delivered = report(
        "wamid.1",
        "delivered",
        3_500,
        MessageState::Delivered,
        112003,
    );
    let early = vec![
        tagged(read("wamid.1", 4_000), "m1", 0),
        delivered,
        tagged(sent("wamid.1", 3_000), "m1", 0),
    ];
    let (part, events) = joined_at_submission(backend, early).await;
    assert_eq!(
        codes(&part),
        [112002, 112006, 112003, 112007],
        "in Meta's order"
    );
    assert_eq!(part.state, MessageState::Read);
    assert_eq!(events, 4);
}

on_backends!(webhooks_that_name_a_phone_and_a_bsuid_fill_the_tenants_contact_book);
async fn webhooks_that_name_a_phone_and_a_bsuid_fill_the_tenants_contact_book(backend: Backend) {
    let (store, _database) = open_with(backend, &[]).await;
    let mut status = sent("wamid.x", 6_000);
    status.recipient = ids(Some(USER_PHONE), None, Some("SE.ENT.222"));
    let mut elsewhere = sent("wamid.y", 6_000);
    elsewhere.phone_number_id = "pnid-of-nobody".into();
    elsewhere.recipient = ids(Some("+46709999999"), Some("SE.333"), None);
    let batch = WebhookBatch {
        statuses: vec![status, elsewhere],
        inbound: vec![inbound(
            "wamid.in",
            5_000,
            ids(Some(USER_PHONE), Some("SE.111"), None),
        )],
    };
    store.receive(&[batch]).await.expect("receive");
    let contact = store
        .contact(ACCOUNT, USER_PHONE)
        .await
        .expect("read")
        .expect("recorded");
    assert_eq!(contact.user_id.as_deref(), Some("SE.111"));
    assert_eq!(contact.parent_user_id.as_deref(), Some("SE.ENT.222"));
    assert_eq!(contact.updated_at, 6_000);
    assert!(
        store
            .contact("other", USER_PHONE)
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        store
            .contact(ACCOUNT, "+46709999999")
            .await
            .expect("read")
            .is_none(),
        "a webhook for a number no tenant owns records nothing"
    );
    // The batch read finds the same contact, by its phone alone.
    let known = store
        .contacts_of(&[USER_PHONE, "+46709999999"])
        .await
        .expect("read");
    let found: Vec<_> = known
        .iter()
        .map(|c| {
            (
                c.account_id.as_str(),
                c.phone.as_str(),
                c.user_id.as_deref(),
            )
        })
        .collect();
    assert_eq!(found, [(ACCOUNT, USER_PHONE, Some("SE.111"))]);
}

on_backends!(the_last_id_a_group_of_webhooks_gives_a_phone_is_the_one_kept);
async fn the_last_id_a_group_of_webhooks_gives_a_phone_is_the_one_kept(backend: Backend) {
    let (store, _database) = open_with(backend, &[]).await;
    let from = |wamid: &str, at, user_id| WebhookBatch {
        statuses: Vec::new(),
        inbound: vec![inbound(
            wamid,
            at,
            ids(Some(USER_PHONE), Some(user_id), None),
        )],
    };
    let parent_only = |wamid: &str, at, parent_user_id| {
        let mut status = sent(wamid, at);
        status.recipient = ids(Some(USER_PHONE), None, Some(parent_user_id));
        WebhookBatch {
            statuses: vec![status],
            inbound: Vec::new(),
        }
    };
    // One group: the second webhook gives another id, with an earlier
    // time; the third names only the parent, which takes no id away.
    let group = [
        from("wamid.in1", 7_000, "SE.1"),
        from("wamid.in2", 6_000, "SE.2"),
        parent_only("wamid.x0", 6_500, "SE.ENT.1"),
    ];
    store.receive(&group).await.expect("receive");
    assert_eq!(
        ids_of_the_user(&*store).await,
        (Some("SE.2".into()), Some("SE.ENT.1".into()), 7_000),
        "the group's last ids, and its latest time"
    );
    // A later webhook that names only the parent keeps the user id.
    let later = parent_only("wamid.x", 8_000, "SE.ENT.9");
    store.receive(&[later]).await.expect("receive");
    assert_eq!(
        ids_of_the_user(&*store).await,
        (Some("SE.2".into()), Some("SE.ENT.9".into()), 8_000)
    );
}

/// The user's ids in the tenant's contact book, and when they were last
/// seen.
async fn ids_of_the_user(store: &dyn Store) -> (Option<String>, Option<String>, Millis) {
    let contact = store
        .contact(ACCOUNT, USER_PHONE)
        .await
        .expect("read")
        .expect("recorded");
    (contact.user_id, contact.parent_user_id, contact.updated_at)
}

on_backends!(a_claim_finds_the_care_window_under_any_id_of_the_user);
async fn a_claim_finds_the_care_window_under_any_id_of_the_user(backend: Backend) {
    let (store, _database) = open_with(backend, &[]).await;
    // A status names the user's phone and BSUID (the contact book learns
    // the pair); the user then writes by phone only.
    let mut status = sent("wamid.x", 1_000);
    status.recipient = ids(Some(USER_PHONE), Some("SE.777"), None);
    let batch = WebhookBatch {
        statuses: vec![status],
        inbound: vec![inbound(
            "wamid.in",
            9_000,
            ids(Some(USER_PHONE), None, None),
        )],
    };
    store.receive(&[batch]).await.expect("receive");
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

on_backends!(a_system_message_opens_no_care_window);
async fn a_system_message_opens_no_care_window(backend: Backend) {
    let (store, _database) = open_with(backend, &[]).await;
    let mut changed_number = inbound("wamid.sys", 9_000, ids(Some(USER_PHONE), None, None));
    changed_number.message = serde_json::json!({"type": "system", "system": {"body": "changed"}});
    let batch = WebhookBatch {
        statuses: Vec::new(),
        inbound: vec![changed_number],
    };
    store.receive(&[batch]).await.expect("receive");
    store
        .accept(&[request("m1", Priority::Normal, 10_000, 1)])
        .await
        .expect("accept");
    let claimed = claim(store.as_ref(), "a", 20_000, 80_000).await;
    assert_eq!(claimed[0].last_inbound_at, None);
}

on_backends!(old_status_reports_are_forgotten_and_the_history_stays);
async fn old_status_reports_are_forgotten_and_the_history_stays(backend: Backend) {
    let (store, _database) = open_with(backend, &[]).await;
    let waiting = statuses(vec![sent("wamid.lost", 1_000)]);
    store
        .receive(std::slice::from_ref(&waiting))
        .await
        .expect("receive");
    // Forgetting goes by when the store received a report, not Meta's time.
    let now = wagate::clock::now_millis();
    assert_eq!(
        store
            .forget_old_statuses(now - 60_000, NO_BOUND)
            .await
            .expect("forget"),
        0
    );
    assert_eq!(
        store
            .forget_old_statuses(now + 1, NO_BOUND)
            .await
            .expect("forget"),
        1
    );
    // Forgotten, a repeat is new again (and waits again).
    let again = store.receive(&[waiting]).await.expect("receive");
    assert_eq!(again[0].new_statuses, 1);

    // An applied report is forgotten too; the history keeps the status.
    submitted_m1(store.as_ref(), "wamid.lost").await;
    let later = wagate::clock::now_millis() + 1;
    assert_eq!(
        store
            .forget_old_statuses(later, NO_BOUND)
            .await
            .expect("forget"),
        1
    );
    assert_eq!(
        codes(&message(store.as_ref(), "m1").await.parts[0]),
        [112002, 112006]
    );
}

on_backends!(old_status_reports_are_forgotten_a_bounded_step_at_a_time);
async fn old_status_reports_are_forgotten_a_bounded_step_at_a_time(backend: Backend) {
    let (store, _database) = open_with(backend, &[]).await;
    let waiting = || {
        statuses(
            ["wamid.a", "wamid.b", "wamid.c"]
                .map(|wamid| sent(wamid, 1_000))
                .to_vec(),
        )
    };
    store.receive(&[waiting()]).await.expect("receive");
    let now = wagate::clock::now_millis() + 1;
    // One step forgets at most its bound.
    let counts: Vec<u64> = forget_steps(store.as_ref(), now, 2).await;
    assert_eq!(counts, [2, 1, 0]);

    // The clean-up goes on step after step until one finds fewer, unless
    // the server is stopping.
    store.receive(&[waiting()]).await.expect("receive");
    let now = wagate::clock::now_millis() + 1;
    let stopping =
        wagate::housekeeping::forget_old_statuses_in_steps(store.as_ref(), now, &steps(2, true))
            .await;
    assert_eq!((stopping.done, stopping.error.is_none()), (0, true));
    let running =
        wagate::housekeeping::forget_old_statuses_in_steps(store.as_ref(), now, &steps(2, false))
            .await;
    assert_eq!((running.done, running.error.is_none()), (3, true));
    assert_eq!(
        store
            .forget_old_statuses(now, NO_BOUND)
            .await
            .expect("forget"),
        0
    );
}

/// Three steps of `forget_old_statuses` bounded by `at_most`.
async fn forget_steps(store: &dyn Store, received_before: Millis, at_most: u32) -> Vec<u64> {
    let mut steps = Vec::new();
    for _ in 0..3 {
        steps.push(
            store
                .forget_old_statuses(received_before, at_most)
                .await
                .expect("forget"),
        );
    }
    steps
}
