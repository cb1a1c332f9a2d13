//! A Cloud API that accepts connections and never answers: each try ends at
//! `--upstream-timeout`, is resent `--resend-max` times, and the part then
//! fails with `112408` (system error) saying it timed out, in its history
//! and in its delivery report.

mod common;

use common::gate::Gate;
use common::upstream::Upstream;
use common::{Backend, hello_world, request, spawn_app_with};
use serde_json::json;

const RESEND_MAX: usize = 2;

on_backends!(a_hanging_upstream_is_tried_one_plus_resend_max_times_then_fails_112408);
async fn a_hanging_upstream_is_tried_one_plus_resend_max_times_then_fails_112408(backend: Backend) {
    let upstream = Upstream::holding().await;
    let resend_max = RESEND_MAX.to_string();
    let mut args: Vec<String> = upstream.serve_args();
    args.extend(
        [
            "--upstream-timeout",
            "300ms",
            "--resend-interval",
            "50ms",
            "--resend-max",
            &resend_max,
            "--dispatch-poll",
            "20ms",
            "--callback-allow-private",
            "true",
            "--callback-retry-schedule",
            "20ms,20ms,20ms",
        ]
        .map(str::to_owned),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let app = spawn_app_with(backend, &args).await;
    let tenant = app.tenant("hanging", "+46700000400").await;
    let gate = Gate::start().await;
    let (status, answer) = app
        .admin_post(
            "/gates",
            json!({"platformId": tenant.platform_id, "platformPartnerId": tenant.platform_partner_id,
                   "id": "hanging-reports", "url": gate.url}),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    let mut body = request(&tenant, &["+46701234400"], hello_world());
    body["eventReportGates"] = json!(["hanging-reports"]);
    let (status, answer) = app.send(&tenant, &body).await;
    assert_eq!(status, 200, "{answer}");
    let id = answer["messageIds"][0].as_str().expect("id").to_owned();

    let status = app
        .status_when(&tenant, &id, "the part to fail", |part| {
            part["state"] == "FAILED"
        })
        .await;
    assert_eq!(
        upstream.tries().len(),
        1 + RESEND_MAX,
        "one try and {RESEND_MAX} resends: {:?}",
        upstream.tries()
    );
    let part = &status["messages"][0];
    assert_eq!(part["resultCode"], 112408, "{part:#}");
    let history = part["history"].as_array().expect("history");
    // queued, a notice per resend, the failure.
    assert_eq!(history.len(), 2 + RESEND_MAX, "{part:#}");
    let last = &history[history.len() - 1];
    assert_eq!(last["state"], "FAILED", "{last:#}");
    assert_eq!(last["resultCode"], 112408, "{last:#}");
    let timed_out = |text: &str| {
        let text = text.to_lowercase();
        text.contains("timed out") || text.contains("timeout")
    };
    let description = last["resultDescription"].as_str().unwrap_or_default();
    assert!(
        timed_out(description),
        "the failure names the timeout: {last:#}"
    );

    // The delivery report says the same.
    let reports = gate.reports_for(&id, 1).await;
    let report = &reports[reports.len() - 1].body;
    assert_eq!(report["resultCode"], 112408, "{report:#}");
    assert!(
        timed_out(report["resultDescription"].as_str().unwrap_or_default()),
        "{report:#}"
    );
    // No try after the failure.
    assert_eq!(upstream.tries().len(), 1 + RESEND_MAX);
}
