//! Each sandbox number yields exactly its sequence of delivery reports at
//! the gate, every field as the LINK document shows it (insta snapshots in
//! `tests/snapshots`, with ids and times redacted).

mod common;

use common::gate::Gate;
use common::{Backend, hello_world, request, spawn_app_with};
use serde_json::{Value, json};

on_backends!(each_sandbox_number_yields_its_reports);
async fn each_sandbox_number_yields_its_reports(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            "--sandbox-status-delay",
            "1ms",
            "--resend-interval",
            "20ms",
            "--dispatch-poll",
            "20ms",
        ],
    )
    .await;
    let tenant = app.tenant("seq", "+46700000900").await;
    let gate = Gate::start().await;
    let (status, answer) = app
        .admin_post(
            "/gates",
            json!({"platformId": tenant.platform_id, "platformPartnerId": tenant.platform_partner_id,
                   "id": "seq-sink", "url": gate.url, "customParameters": {"gateKey": "gateValue"}}),
        )
        .await;
    assert_eq!(status, 201, "{answer}");

    let cases = [
        ("9900", "+46700009900", 2),
        ("9901", "+46700009901", 4),
        ("9902", "+46700009902", 4),
        ("9903", "+46700009903", 1),
        ("9904", "+46700009904", 3),
        ("default", "+46700001234", 4),
    ];
    let mut ids = Vec::new();
    for (_, destination, _) in &cases {
        let mut body = request(&tenant, &[destination], hello_world());
        body["eventReportGates"] = json!(["seq-sink"]);
        body["customParameters"] = json!({"campaign": "winter"});
        let (status, answer) = app.send(&tenant, &body).await;
        assert_eq!(status, 200, "{answer}");
        ids.push(answer["messageIds"][0].as_str().expect("id").to_owned());
    }
    for ((name, _, count), id) in cases.iter().zip(&ids) {
        let reports: Vec<Value> = gate
            .reports_for(id, *count)
            .await
            .into_iter()
            .map(|callback| callback.body)
            .collect();
        insta::assert_json_snapshot!(format!("dlr_sequence_{name}"), reports, {
            "[].messageId" => "[messageId]",
            "[].timestamp" => "[timestamp]",
            "[].customParameters.waMessageId" => "[wamid]",
        });
    }
    // Nothing more came: 9904 is never read, no status repeats. Counted
    // once every queued report is settled (the default number's `read`, the
    // last status of all, is; its reports are queued after the others').
    let total: usize = cases.iter().map(|(_, _, count)| count).sum();
    common::poll(
        std::time::Duration::from_secs(30),
        "every report settled",
        || async {
            let (_, list) = app
                .admin(
                    reqwest::Method::GET,
                    "/gates/seq-sink/deliveries?limit=500",
                    None,
                )
                .await;
            let all = list.as_array().cloned().unwrap_or_default();
            if all.len() == total && all.iter().all(|delivery| delivery["state"] == "DELIVERED") {
                Ok(())
            } else {
                Err(list.to_string())
            }
        },
    )
    .await;
    assert_eq!(gate.accepted().len(), total);
}
