//! Delivery reports reach the gate: every status of a message in order, in
//! the LINK format with the user ids the contact book learned, signed when
//! the gate has a secret, none lost while the gate refuses for a while or
//! leaves a try unanswered, and none held back by another tenant's gate
//! that hangs.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::gate::{Gate, Reply};
use common::{Backend, Tenant, TestApp, hello_world, request, spawn_app_with};
use serde_json::{Value, json};

const FAST: &[&str] = &[
    "--sandbox-status-delay",
    "1ms",
    "--callback-retry-schedule",
    "20ms,20ms,20ms,20ms,20ms",
    "--dispatch-poll",
    "20ms",
];

/// A gate of `tenant` at `url`, with `extra` fields and custom parameters.
async fn add_gate(app: &TestApp, tenant: &Tenant, id: &str, url: &str, extra: Value) {
    let mut fields = json!({"customParameters": {"gateKey": "gateValue"}});
    if let (Some(fields), Some(extra)) = (fields.as_object_mut(), extra.as_object()) {
        fields.extend(extra.clone());
    }
    app.add_gate(tenant, id, url, fields).await;
}

async fn send_to(app: &TestApp, tenant: &Tenant, gate_id: &str, destination: &str) -> String {
    app.send_reported(
        tenant,
        gate_id,
        destination,
        json!({"customParameters": {"campaign": "winter"}, "refId": "order-7"}),
    )
    .await
}

fn codes(reports: &[common::gate::Callback]) -> Vec<u64> {
    reports
        .iter()
        .filter_map(|report| report.body["resultCode"].as_u64())
        .collect()
}

on_backends!(every_status_reaches_the_gate_in_order_in_the_link_format);
async fn every_status_reaches_the_gate_in_order_in_the_link_format(backend: Backend) {
    let app = spawn_app_with(backend, FAST).await;
    let tenant = app.tenant("dlr", "+46700000700").await;
    let gate = Gate::start().await;
    add_gate(&app, &tenant, "dlr-sink", &gate.url, json!({})).await;

    let id = send_to(&app, &tenant, "dlr-sink", "+46701234567").await;
    let reports = gate.reports_for(&id, 4).await;
    assert_eq!(codes(&reports), [112002, 112006, 112003, 112007]);
    let sent = &reports[1].body;
    assert_eq!(sent["refId"], "order-7");
    assert_eq!(sent["messageType"], "template");
    assert_eq!(sent["messageIndex"], 0);
    assert_eq!(sent["resultDescription"], "sent");
    assert!(
        sent["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{sent}"
    );
    assert_eq!(
        sent["gateCustomParameters"],
        json!({"gateKey": "gateValue"})
    );
    let custom = &sent["customParameters"];
    assert_eq!(custom["campaign"], "winter");
    assert_eq!(custom["platformId"], tenant.platform_id.as_str());
    assert_eq!(
        custom["platformPartnerId"],
        tenant.platform_partner_id.as_str()
    );
    assert_eq!(custom["commonLayerUser"], tenant.username.as_str());
    assert_eq!(custom["destination"], "+46701234567");
    assert!(
        custom["waMessageId"]
            .as_str()
            .is_some_and(|w| w.starts_with("wamid.")),
        "{custom}"
    );
    assert_eq!(custom["pricingModel"], "PMP");
    assert_eq!(custom["pricingBillable"], "true");

    // The status query shows the reports and how their delivery went.
    let shown = common::poll(
        std::time::Duration::from_secs(30),
        "the report history",
        || async {
            let (_, status) = app.status(&tenant, &id).await;
            let reports = status["deliveryReports"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if reports.len() == 4 && reports.iter().all(|r| r["state"] == "DELIVERED") {
                Ok(reports)
            } else {
                Err(status.to_string())
            }
        },
    )
    .await;
    let shown_codes: Vec<u64> = shown
        .iter()
        .filter_map(|r| r["resultCode"].as_u64())
        .collect();
    assert_eq!(shown_codes, [112002, 112006, 112003, 112007]);
    assert!(
        shown
            .iter()
            .all(|r| r["gateId"] == "dlr-sink" && r["attempts"] == 1 && r["messageIndex"] == 0)
    );

    // A failure report names Meta's error.
    let failed = send_to(&app, &tenant, "dlr-sink", "+46700009900").await;
    let reports = gate.reports_for(&failed, 2).await;
    assert_eq!(codes(&reports), [112002, 112404]);
    assert!(reports[1].body["customParameters"]["metaErrorDetails"].is_string());
}

on_backends!(a_gate_that_refuses_for_a_while_gets_every_report_afterwards_in_order);
async fn a_gate_that_refuses_for_a_while_gets_every_report_afterwards_in_order(backend: Backend) {
    // A try waits a minute for its answer: however loaded the machine, no
    // 200 here is timed out (and so sent twice).
    let mut args = FAST.to_vec();
    args.extend(["--callback-timeout", "1m", "--dispatch-lease", "2m"]);
    let app = spawn_app_with(backend, &args).await;
    let tenant = app.tenant("flaky", "+46700000701").await;
    let gate = Gate::start().await;
    add_gate(&app, &tenant, "flaky-sink", &gate.url, json!({})).await;
    // Three failed tries before it is up.
    gate.refuse_next(3);

    let id = send_to(&app, &tenant, "flaky-sink", "+46701234568").await;
    let reports = gate.reports_for(&id, 4).await;
    assert_eq!(
        codes(&reports),
        [112002, 112006, 112003, 112007],
        "none lost, in order"
    );
    assert_eq!(gate.refused(), 3);

    // The admin API shows every try, and can send one again.
    let deliveries = common::poll(
        std::time::Duration::from_secs(30),
        "every delivery recorded",
        || async {
            let (status, list) = app
                .admin(reqwest::Method::GET, "/gates/flaky-sink/deliveries", None)
                .await;
            assert_eq!(status, 200, "{list}");
            let all = list.as_array().cloned().unwrap_or_default();
            if all.len() == 4 && all.iter().all(|d| d["state"] == "DELIVERED") {
                Ok(all)
            } else {
                Err(list.to_string())
            }
        },
    )
    .await;
    assert_eq!(
        gate.accepted().len(),
        4,
        "none twice, every delivery settled"
    );
    let tries: Vec<Value> = deliveries
        .iter()
        .flat_map(|delivery| delivery["attempts"].as_array().cloned().unwrap_or_default())
        .collect();
    assert_eq!(tries.len(), 7, "{deliveries:#?}");
    assert_eq!(tries.iter().filter(|t| t["httpStatus"] == 500).count(), 3);
    assert_eq!(tries.iter().filter(|t| t["httpStatus"] == 200).count(), 4);
    let oldest = deliveries.last().expect("a delivery");
    assert_eq!(oldest["payload"]["resultCode"], 112002);
    let delivery_id = oldest["id"].as_i64().expect("id");
    let (status, answer) = app
        .admin_post(
            &format!("/gates/flaky-sink/deliveries/{delivery_id}/redeliver"),
            json!({}),
        )
        .await;
    assert_eq!(status, 202, "{answer}");
    let again = gate.reports_for(&id, 5).await;
    assert_eq!(again[4].raw, again[0].raw, "the same report again");
    let (status, _) = app
        .admin(reqwest::Method::GET, "/gates/no-such-gate/deliveries", None)
        .await;
    assert_eq!(status, 404);
}

on_backends!(a_gate_that_does_not_answer_is_timed_out_and_tried_again);
async fn a_gate_that_does_not_answer_is_timed_out_and_tried_again(backend: Backend) {
    // Long enough that the gate's normal answers are not timed out on a
    // loaded machine (a timed-out 200 would deliver its report twice).
    let mut args = FAST.to_vec();
    args.extend(["--callback-timeout", "3s"]);
    let app = spawn_app_with(backend, &args).await;
    let tenant = app.tenant("silent", "+46700000712").await;
    let gate = Gate::start().await;
    add_gate(&app, &tenant, "silent-sink", &gate.url, json!({})).await;
    // The first try is never answered.
    gate.then(1, Reply::Hang);

    let id = send_to(&app, &tenant, "silent-sink", "+46701234576").await;
    let reports = gate.reports_for(&id, 4).await;
    assert_eq!(codes(&reports), [112002, 112006, 112003, 112007]);
    assert_eq!(gate.held(), 1);
    // A loaded machine may time out more tries than the held one: only the
    // held one is sure.
    let first = app
        .deliveries_when("silent-sink", "the first report delivered", |all| {
            all.iter().any(|delivery| {
                delivery["payload"]["resultCode"] == 112002 && delivery["state"] == "DELIVERED"
            })
        })
        .await
        .into_iter()
        .find(|delivery| delivery["payload"]["resultCode"] == 112002)
        .expect("the first report");
    let timed_out = &first["attempts"][0];
    assert!(
        timed_out["httpStatus"].is_null() && timed_out["error"] == "no answer within 3s",
        "the timeout is a try without an HTTP status: {first:#}"
    );
}

on_backends!(a_gate_with_a_secret_gets_signed_callbacks);
async fn a_gate_with_a_secret_gets_signed_callbacks(backend: Backend) {
    let app = spawn_app_with(backend, FAST).await;
    let tenant = app.tenant("signed", "+46700000702").await;
    let gate = Gate::start().await;
    add_gate(
        &app,
        &tenant,
        "signed-sink",
        &gate.url,
        json!({"signingSecret": "gate-secret"}),
    )
    .await;

    let id = send_to(&app, &tenant, "signed-sink", "+46701234569").await;
    for report in gate.reports_for(&id, 4).await {
        let header = |name: &str| {
            report
                .headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
                .expect(name)
        };
        let timestamp: i64 = header("x-wagate-timestamp").parse().expect("seconds");
        let expected = wagate::callbacks::deliver::sign("gate-secret", timestamp, &report.raw);
        assert_eq!(header("x-wagate-signature"), expected);
        assert!(wagate::signature::verify(
            b"gate-secret",
            format!("{timestamp}.{}", report.raw).as_bytes(),
            &header("x-wagate-signature"),
        ));
    }
}

on_backends!(a_request_that_can_send_nothing_gets_one_request_report);
async fn a_request_that_can_send_nothing_gets_one_request_report(backend: Backend) {
    let app = spawn_app_with(backend, FAST).await;
    let tenant = app.tenant("nothing", "+46700000703").await;
    let gate = Gate::start().await;
    add_gate(&app, &tenant, "nothing-sink", &gate.url, json!({})).await;
    // A second number of the tenant without the Cloud API id it needs: a
    // row from before the admin API gave sandbox sources their ids (it now
    // refuses such a source against Meta), so written to the store itself.
    let store = app.database().open_store().await;
    let first = store
        .source_by_number("+46700000703")
        .await
        .expect("read")
        .expect("the tenant's number");
    store
        .insert_source(&wagate::store::Source {
            id: "legacy-source".into(),
            number: "+46700000704".into(),
            phone_number_id: None,
            waba_id: None,
            access_token: None,
            ..first
        })
        .await
        .expect("insert");
    let mut body = request(
        &tenant,
        &["+46701234571"],
        json!([common::template("first"), common::template("second")]),
    );
    body["source"] = json!("+46700000704");
    body["eventReportGates"] = json!(["nothing-sink"]);
    let (status, answer) = app.send(&tenant, &body).await;
    assert_eq!(status, 200, "{answer}");
    let id = answer["messageIds"][0].as_str().expect("id").to_owned();

    let parts = app
        .status_when(&tenant, &id, "both failures", |part| {
            part["state"] == "FAILED"
        })
        .await;
    assert_eq!(parts["messages"][1]["resultCode"], 112408);
    let reports = gate.reports_for(&id, 1).await;
    let report = &reports[0].body;
    assert_eq!(report["messageType"], "request");
    assert_eq!(report["messageIndex"], -1);
    assert_eq!(report["resultCode"], 112408);
    assert!(
        report["resultDescription"]
            .as_str()
            .is_some_and(|text| text.contains("phoneNumberId")),
        "{report}"
    );
    // Both parts failed, yet the gate hears it once: wait until every
    // report of the message is settled, then count.
    common::poll(
        std::time::Duration::from_secs(30),
        "the report history",
        || async {
            let (_, status) = app.status(&tenant, &id).await;
            let shown = status["deliveryReports"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if shown.len() == 1 && shown[0]["state"] == "DELIVERED" {
                Ok(())
            } else {
                Err(status.to_string())
            }
        },
    )
    .await;
    assert_eq!(gate.accepted().len(), 1);
}

on_backends!(a_gate_id_reused_by_another_tenant_never_gets_the_first_tenants_reports);
async fn a_gate_id_reused_by_another_tenant_never_gets_the_first_tenants_reports(backend: Backend) {
    // Tries every 20 ms for a thousand tries (20 s at least): within the
    // test only the gate's DELETE can give its reports up.
    let schedule = vec!["20ms"; 1000].join(",");
    let app = spawn_app_with(
        backend,
        &[
            "--sandbox-status-delay",
            "1ms",
            "--callback-retry-schedule",
            &schedule,
            "--dispatch-poll",
            "20ms",
        ],
    )
    .await;
    let first = app.tenant("first", "+46700000705").await;
    let second = app.tenant("second", "+46700000706").await;
    let first_gate = Gate::start().await;
    first_gate.refuse_next(u32::MAX);
    add_gate(&app, &first, "reused-id", &first_gate.url, json!({})).await;
    let id = send_to(&app, &first, "reused-id", "+46701234573").await;
    // Retried (the gate refused a report more than once), and all four
    // reports queued: none is left for the feed to queue after the DELETE.
    common::poll(
        Duration::from_secs(30),
        "a retry, and the four reports queued",
        || async {
            let (_, status) = app.status(&first, &id).await;
            let queued = status["deliveryReports"].as_array().map_or(0, Vec::len);
            if first_gate.refused() > 1 && queued == 4 {
                Ok(())
            } else {
                Err(format!("{} refused; {status:#}", first_gate.refused()))
            }
        },
    )
    .await;
    let (status, _) = app
        .admin(reqwest::Method::DELETE, "/gates/reused-id", None)
        .await;
    assert_eq!(status, 204);
    // The DELETE gave up every report of the first tenant's message.
    let gave_up = common::poll(Duration::from_secs(30), "the reports given up", || async {
        let (_, status) = app.status(&first, &id).await;
        let reports = status["deliveryReports"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if !reports.is_empty() && reports.iter().all(|report| report["state"] == "GAVE_UP") {
            Ok(reports)
        } else {
            Err(format!("{status:#}"))
        }
    })
    .await;
    let refused = first_gate.refused();

    let second_gate = Gate::start().await;
    add_gate(&app, &second, "reused-id", &second_gate.url, json!({})).await;
    let own = send_to(&app, &second, "reused-id", "+46701234574").await;
    second_gate.reports_for(&own, 4).await;
    assert!(
        second_gate
            .accepted()
            .iter()
            .all(|callback| callback.body["messageId"] == own.as_str()),
        "{:#?}",
        second_gate.accepted()
    );
    // Meanwhile (a second tenant's four reports, many 20 ms retry periods
    // of the first schedule) the given-up reports were not tried again.
    assert_eq!(
        first_gate.refused(),
        refused,
        "the first gate was tried again"
    );
    let (_, status) = app.status(&first, &id).await;
    assert_eq!(
        status["deliveryReports"],
        Value::Array(gave_up),
        "{status:#}"
    );
}

on_backends!(a_hanging_gate_holds_at_most_its_share_of_the_slots);
async fn a_hanging_gate_holds_at_most_its_share_of_the_slots(backend: Backend) {
    // Four slots in all, two per gate, and a try waits five minutes for its
    // answer: a gate that never answers holds a slot that long.
    let mut args = FAST.to_vec();
    args.extend([
        "--callback-concurrency",
        "4",
        "--callback-gate-concurrency",
        "2",
        "--callback-timeout",
        "5m",
        "--dispatch-lease",
        "10m",
    ]);
    let app = spawn_app_with(backend, &args).await;
    let slow = app.tenant("slow", "+46700000710").await;
    let hanging = Gate::start().await;
    hanging.hang();
    add_gate(&app, &slow, "slow-sink", &hanging.url, json!({})).await;
    // Twenty messages, each in an order of its own: twenty reports due at
    // once, five times the slots, all queued before the other tenant's.
    let destinations: Vec<String> = (0..20).map(|n| format!("+467012300{n:02}")).collect();
    let destinations: Vec<&str> = destinations.iter().map(String::as_str).collect();
    let mut body = request(&slow, &destinations, hello_world());
    body["eventReportGates"] = json!(["slow-sink"]);
    let (status, answer) = app.send(&slow, &body).await;
    assert_eq!(status, 200, "{answer}");
    common::poll(
        Duration::from_secs(30),
        "the hanging gate's reports queued and tried",
        || async {
            let (_, list) = app
                .admin(
                    reqwest::Method::GET,
                    "/gates/slow-sink/deliveries?limit=500",
                    None,
                )
                .await;
            let messages: HashSet<&str> = list
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|delivery| delivery["payload"]["messageId"].as_str())
                .collect();
            if messages.len() == 20 && hanging.held() >= 2 {
                Ok(())
            } else {
                Err(format!(
                    "reports of {} messages queued, {} tries held",
                    messages.len(),
                    hanging.held()
                ))
            }
        },
    )
    .await;

    // Another tenant's reports go out within seconds, not minutes.
    let fast = app.tenant("fast", "+46700000711").await;
    let gate = Gate::start().await;
    add_gate(&app, &fast, "fast-sink", &gate.url, json!({})).await;
    let id = send_to(&app, &fast, "fast-sink", "+46701234575").await;
    let reports = gate.reports_for(&id, 4).await;
    assert_eq!(codes(&reports), [112002, 112006, 112003, 112007]);
    assert_eq!(
        hanging.held(),
        2,
        "the hanging gate never held more than its share"
    );
}

on_backends!(many_messages_reports_to_one_gate_go_out_at_once_each_message_in_order);
async fn many_messages_reports_to_one_gate_go_out_at_once_each_message_in_order(backend: Backend) {
    // A gate that takes a while to answer, with a share of eight: the
    // reports of many messages are in flight together, their tries are
    // recorded together, and still each message's reports arrive one after
    // the other, each tried once.
    let mut args = FAST.to_vec();
    args.extend(["--callback-gate-concurrency", "8"]);
    let app = spawn_app_with(backend, &args).await;
    let tenant = app.tenant("many", "+46700000712").await;
    let gate = Gate::start().await;
    gate.answer_after(Duration::from_millis(30));
    add_gate(&app, &tenant, "many-sink", &gate.url, json!({})).await;
    let destinations: Vec<String> = (0..24).map(|n| format!("+467012301{n:02}")).collect();
    let destinations: Vec<&str> = destinations.iter().map(String::as_str).collect();
    let mut body = request(&tenant, &destinations, hello_world());
    body["eventReportGates"] = json!(["many-sink"]);
    let (status, answer) = app.send(&tenant, &body).await;
    assert_eq!(status, 200, "{answer}");
    let ids: Vec<&str> = answer["messageIds"]
        .as_array()
        .expect("message ids")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(ids.len(), 24, "{answer}");

    for id in &ids {
        let reports = gate.reports_for(id, 4).await;
        assert_eq!(codes(&reports), [112002, 112006, 112003, 112007], "{id}");
    }
    assert!(
        gate.most_at_once() > 1,
        "the gate had {} request open at most",
        gate.most_at_once()
    );
    assert_eq!(gate.accepted().len(), 96, "one try per report");
    let deliveries = app
        .deliveries_when("many-sink", "every report recorded", |all| {
            all.len() == 96 && all.iter().all(|delivery| delivery["state"] == "DELIVERED")
        })
        .await;
    for delivery in &deliveries {
        let tries = delivery["attempts"].as_array().map_or(0, Vec::len);
        assert_eq!(tries, 1, "{delivery}");
    }
}

on_backends!(a_report_to_a_phone_number_carries_the_user_ids_the_contact_book_learned);
async fn a_report_to_a_phone_number_carries_the_user_ids_the_contact_book_learned(
    backend: Backend,
) {
    const APP_SECRET: &str = "test-app-secret";
    let mut args = FAST.to_vec();
    args.extend(["--meta-app-secret", APP_SECRET]);
    let app = spawn_app_with(backend, &args).await;
    let tenant = app.tenant("book", "+46700000713").await;
    let gate = Gate::start().await;
    add_gate(&app, &tenant, "book-sink", &gate.url, json!({})).await;
    let (user_id, parent_user_id) = ("SE.12345678901234567890", "SE.ENT.11815799212886844830");
    // The user writes to the business: Meta's webhook names their phone
    // number with both their ids.
    let webhook =
        json!({"object": "whatsapp_business_account", "entry": [{"id": "waba", "changes": [{
            "field": "messages",
            "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "46700000713", "phone_number_id": "pnid-book"},
                "contacts": [{"profile": {"name": "Ann"}, "wa_id": "46701234577",
                              "user_id": user_id, "parent_user_id": parent_user_id}],
                "messages": [{"from": "46701234577", "from_user_id": user_id, "id": "wamid.book-1",
                              "timestamp": "1795000000", "type": "text", "text": {"body": "hi"}}]
            }
        }]}]})
        .to_string();
    let answer = app
        .client
        .post(format!("{}/webhooks/meta", app.base))
        .header("content-type", "application/json")
        .header(
            "x-hub-signature-256",
            wagate::signature::sign(APP_SECRET.as_bytes(), webhook.as_bytes()),
        )
        .body(webhook)
        .send()
        .await
        .expect("webhook");
    assert_eq!(answer.status(), 200);

    // A message to the phone number: every report names both ids.
    let id = send_to(&app, &tenant, "book-sink", "+46701234577").await;
    let reports = gate.reports_for(&id, 4).await;
    assert_eq!(codes(&reports), [112002, 112006, 112003, 112007]);
    for report in &reports {
        let custom = &report.body["customParameters"];
        assert_eq!(custom["destination"], "+46701234577", "{custom:#}");
        assert_eq!(custom["whatsappUserId"], user_id, "{custom:#}");
        assert_eq!(custom["whatsappParentUserId"], parent_user_id, "{custom:#}");
    }
}
