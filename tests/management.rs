//! LINK's calls about a business number (`…/source/{s}`, `…/profile`,
//! `…/analytics`) end to end over HTTP against the sandbox: the profile
//! is updated and read back, Meta's field limits come back as 112501;
//! the phone number information has LINK's shape and the source's stored
//! level follows the level Meta reports; analytics count what the sandbox
//! delivered on today's UTC day, and bad dates are 112402; another
//! tenant's source is 403 112401; the per-source limit answers 429 with
//! `Retry-After` without calling Meta; no answer from Meta is 112503.

mod common;

use common::{ADMIN_TOKEN, Backend, Tenant, TestApp, hello_world, read, request, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const FAST: &[&str] = common::QUICK_REPORTS;

const SOURCE: &str = "+46700000021";
const OTHER_SOURCE: &str = "+46700000022";

/// `METHOD /whatsapp-message/platformId/…/source/{source}{suffix}` as
/// `tenant`; the status, the JSON body and the `Retry-After` header.
async fn call(
    app: &TestApp,
    tenant: &Tenant,
    method: Method,
    source: &str,
    suffix: &str,
    body: Option<Value>,
) -> (u16, Value, Option<String>) {
    app.source_call(tenant, method, &source.replace('+', "%2B"), suffix, body)
        .await
}

/// One call of each kind (phone info, profile read and update, the
/// analytics at `analytics`): method, path suffix, body.
fn every_business_call(analytics: &str) -> [(Method, &str, Option<Value>); 4] {
    [
        (Method::GET, "", None),
        (Method::GET, "/profile", None),
        (
            Method::POST,
            "/profile",
            Some(json!({"messaging_product": "whatsapp", "profile": {"about": "x"}})),
        ),
        (Method::GET, analytics, None),
    ]
}

fn assert_code(answer: &(u16, Value, Option<String>), status: u16, code: u32) {
    assert_eq!(
        (answer.0, &answer.1["resultCode"]),
        (status, &json!(code)),
        "{}",
        answer.1
    );
}

/// The stored source with `number` (admin API).
async fn stored_source(app: &TestApp, number: &str) -> Value {
    let (status, sources) = app.admin(Method::GET, "/sources", None).await;
    assert_eq!(status, 200, "{sources}");
    sources
        .as_array()
        .into_iter()
        .flatten()
        .find(|source| source["number"] == number)
        .cloned()
        .unwrap_or_else(|| panic!("no source {number} in {sources}"))
}

/// The Graph calls about business numbers the sandbox has answered.
async fn business_calls(app: &TestApp) -> u64 {
    let (status, stats) = read(
        app.client
            .get(format!("{}/sandbox/v1/stats", app.base))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("stats"),
    )
    .await;
    assert_eq!(status, 200, "{stats}");
    stats["businessCalls"].as_u64().expect("businessCalls")
}

fn utc(date: OffsetDateTime) -> String {
    date.format(&Rfc3339).expect("format")
}

on_backends!(the_profile_is_updated_and_read_back_within_metas_limits);
async fn the_profile_is_updated_and_read_back_within_metas_limits(backend: Backend) {
    let app = spawn_app_with(backend, FAST).await;
    let tenant = app.tenant("profile", SOURCE).await;

    let (status, empty, _) = call(&app, &tenant, Method::GET, SOURCE, "/profile", None).await;
    assert_eq!(status, 200, "{empty}");
    assert_eq!(empty, json!({"data": [{"messaging_product": "whatsapp"}]}));

    // The spec's request (with one of Meta's verticals).
    let update = json!({
        "messaging_product": "whatsapp",
        "profile": {
            "about": "Helping businesses grow with digital solutions.",
            "address": "Karl Johans gate 1, 0154 Oslo, Norway",
            "description": "SomeDescription",
            "vertical": "PROF_SERVICES",
            "email": "contact@yourcompany.com",
            "websites": ["https://yourcompany.com", "https://support.yourcompany.com"],
        },
    });
    let (status, answer, _) = call(
        &app,
        &tenant,
        Method::POST,
        SOURCE,
        "/profile",
        Some(update.clone()),
    )
    .await;
    assert_eq!((status, &answer), (204, &Value::Null), "{answer}");
    let (status, profile, _) = call(&app, &tenant, Method::GET, SOURCE, "/profile", None).await;
    assert_eq!(status, 200, "{profile}");
    let mut expected = update["profile"].clone();
    expected["messaging_product"] = json!("whatsapp");
    assert_eq!(profile, json!({"data": [expected]}));

    // Over Meta's limit of 139 characters for `about`: Meta's refusal.
    let too_long = json!({"messaging_product": "whatsapp", "profile": {"about": "a".repeat(140)}});
    let refused = call(
        &app,
        &tenant,
        Method::POST,
        SOURCE,
        "/profile",
        Some(too_long),
    )
    .await;
    assert_code(&refused, 400, 112501);
    let description = refused.1["description"].as_str().unwrap_or_default();
    assert!(
        description.contains("about") && description.contains("139"),
        "{}",
        refused.1
    );
    assert_eq!(refused.1["details"]["code"], 100, "{}", refused.1);
    // Not LINK's body: the gateway's own 112506, Meta is not asked.
    let calls = business_calls(&app).await;
    let malformed = call(
        &app,
        &tenant,
        Method::POST,
        SOURCE,
        "/profile",
        Some(json!({"about": "x"})),
    )
    .await;
    assert_code(&malformed, 400, 112506);
    assert!(
        malformed.1["description"]
            .as_str()
            .is_some_and(|text| text.starts_with("profile: is required")),
        "{}",
        malformed.1
    );
    assert_eq!(business_calls(&app).await, calls);
}

on_backends!(another_tenants_source_is_112401_on_every_call);
async fn another_tenants_source_is_112401_on_every_call(backend: Backend) {
    let app = spawn_app_with(backend, FAST).await;
    let tenant = app.tenant("mine", SOURCE).await;
    app.tenant("theirs", OTHER_SOURCE).await;
    let today = utc(OffsetDateTime::now_utc().replace_time(time::Time::MIDNIGHT));
    let analytics = format!("/analytics?startDate={today}&endDate=2099-01-01T00:00:00Z");
    for (method, suffix, body) in every_business_call(&analytics) {
        let answer = call(&app, &tenant, method.clone(), OTHER_SOURCE, suffix, body).await;
        assert_code(&answer, 403, 112401);
    }
    assert_eq!(business_calls(&app).await, 0);
}

on_backends!(phone_number_information_has_links_shape_and_the_level_follows_metas);
async fn phone_number_information_has_links_shape_and_the_level_follows_metas(backend: Backend) {
    let app = spawn_app_with(backend, FAST).await;
    let tenant = app.tenant("numberinfo", SOURCE).await;
    let digits = SOURCE.trim_start_matches('+');
    let stored = stored_source(&app, SOURCE).await;
    let (phone_number_id, waba_id) = (&stored["phoneNumberId"], &stored["wabaId"]);

    let (status, info, _) = call(&app, &tenant, Method::GET, SOURCE, "", None).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(
        info,
        json!({
            "wabaId": waba_id,
            "overallHealthStatus": "AVAILABLE",
            "level": "STANDARD",
            "numberCanSendMessages": "AVAILABLE",
            "maxDailyConversations": "TIER_250",
            "verifiedName": format!("Sandbox {digits}"),
            "qualityRating": "GREEN",
            "phoneNumberId": phone_number_id,
        })
    );

    // Meta (the sandbox) moves the number to HIGH; the gateway learns it on
    // the next call, and stores it.
    let (status, registered) = read(
        app.client
            .post(format!("{}/sandbox/v1/numbers", app.base))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({"phoneNumberId": phone_number_id, "wabaId": waba_id, "level": "HIGH"}))
            .send()
            .await
            .expect("register"),
    )
    .await;
    assert_eq!(status, 200, "{registered}");
    let before = stored_source(&app, SOURCE).await;
    assert_eq!(
        (&before["level"], &before["throughput"]),
        (&json!("STANDARD"), &json!(80)),
        "{before}"
    );
    let (status, info, _) = call(&app, &tenant, Method::GET, SOURCE, "", None).await;
    assert_eq!((status, &info["level"]), (200, &json!("HIGH")), "{info}");
    let after = stored_source(&app, SOURCE).await;
    assert_eq!(
        (&after["level"], &after["throughput"]),
        (&json!("HIGH"), &json!(1000)),
        "{after}"
    );
}

on_backends!(analytics_count_delivered_messages_on_todays_utc_day);
async fn analytics_count_delivered_messages_on_todays_utc_day(backend: Backend) {
    let app = spawn_app_with(backend, FAST).await;
    let tenant = app.tenant("analytics", SOURCE).await;
    // Two read, one delivered but never read (9904).
    let users = ["+46701234567", "+46701234568", "+46701239904"];
    let (status, accepted) = app
        .send(&tenant, &request(&tenant, &users, hello_world()))
        .await;
    assert_eq!(status, 200, "{accepted}");
    for id in accepted["messageIds"].as_array().expect("messageIds") {
        app.status_when(&tenant, id.as_str().expect("id"), "delivered", |part| {
            part["state"] == "DELIVERED" || part["state"] == "READ"
        })
        .await;
    }

    let midnight = OffsetDateTime::now_utc().replace_time(time::Time::MIDNIGHT);
    let day = time::Duration::days(1);
    let query = |start: OffsetDateTime, end: OffsetDateTime| {
        format!("/analytics?startDate={}&endDate={}", utc(start), utc(end))
    };
    let (status, days, _) = call(
        &app,
        &tenant,
        Method::GET,
        SOURCE,
        &query(midnight - day, midnight + day),
        None,
    )
    .await;
    assert_eq!(status, 200, "{days}");
    assert_eq!(
        days,
        json!([{
            "startDate": utc(midnight),
            "endDate": utc(midnight + day),
            "authenticationMessages": 0,
            "authenticationInternationalMessages": 0,
            "marketingMessages": 0,
            "mmLiteMessages": 0,
            "utilityMessages": 3,
            "freeCustomerServiceMessages": 0,
            "freeEntryPointMessages": 0,
            "totalMessagesDelivered": 3,
        }])
    );
    // startDate is inclusive to the second: one second late, today is out.
    let (status, days, _) = call(
        &app,
        &tenant,
        Method::GET,
        SOURCE,
        &query(midnight + time::Duration::seconds(1), midnight + day),
        None,
    )
    .await;
    assert_eq!((status, &days), (200, &json!([])), "{days}");

    let calls = business_calls(&app).await;
    let long_ago = utc(OffsetDateTime::now_utc() - time::Duration::days(91));
    let now = utc(OffsetDateTime::now_utc());
    for (suffix, says) in [
        (
            format!("/analytics?endDate={now}"),
            "startDate: is required",
        ),
        (
            format!("/analytics?startDate={now}"),
            "endDate: is required",
        ),
        (
            format!("/analytics?startDate=yesterday&endDate={now}"),
            "startDate: must be an ISO 8601 UTC timestamp",
        ),
        (
            format!("/analytics?startDate={now}&endDate=2026-13-01T00:00:00Z"),
            "endDate: must be an ISO 8601 UTC timestamp",
        ),
        (
            format!("/analytics?startDate={now}&endDate={now}"),
            "endDate: must be after startDate",
        ),
        (
            query(midnight, midnight - day),
            "endDate: must be after startDate",
        ),
        (
            format!("/analytics?startDate={long_ago}&endDate={now}"),
            "startDate: must be at most 90 days back",
        ),
    ] {
        let answer = call(&app, &tenant, Method::GET, SOURCE, &suffix, None).await;
        assert_code(&answer, 400, 112402);
        assert!(
            answer.1["description"]
                .as_str()
                .is_some_and(|text| text.starts_with(says)),
            "{suffix}: {}",
            answer.1
        );
    }
    assert_eq!(business_calls(&app).await, calls, "bad dates reach Meta");
}

on_backends!(calls_over_the_sources_limit_are_429_without_calling_meta);
async fn calls_over_the_sources_limit_are_429_without_calling_meta(backend: Backend) {
    let mut args = FAST.to_vec();
    args.extend_from_slice(&["--management-rate-limit", "2/1m"]);
    let app = spawn_app_with(backend, &args).await;
    let tenant = app.tenant("limited", SOURCE).await;
    let other = app.tenant("unlimited", OTHER_SOURCE).await;
    for suffix in ["/profile", ""] {
        let (status, answer, _) = call(&app, &tenant, Method::GET, SOURCE, suffix, None).await;
        assert_eq!(status, 200, "{answer}");
    }
    assert_eq!(business_calls(&app).await, 2);

    let refused = call(&app, &tenant, Method::GET, SOURCE, "/profile", None).await;
    assert_code(&refused, 429, 112402);
    let retry_after: u64 = refused
        .2
        .as_deref()
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("Retry-After: {:?}", refused.2));
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let now = utc(OffsetDateTime::now_utc());
    let end = utc(OffsetDateTime::now_utc() + time::Duration::days(1));
    for suffix in [
        "".to_owned(),
        format!("/analytics?startDate={now}&endDate={end}"),
    ] {
        let answer = call(&app, &tenant, Method::GET, SOURCE, &suffix, None).await;
        assert_code(&answer, 429, 112402);
    }
    assert_eq!(
        business_calls(&app).await,
        2,
        "Meta was called over the limit"
    );

    // Each source has its own allowance.
    let (status, answer, _) = call(&app, &other, Method::GET, OTHER_SOURCE, "", None).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(business_calls(&app).await, 3);
}

on_backends!(no_answer_from_meta_is_112503);
async fn no_answer_from_meta_is_112503(backend: Backend) {
    let mut args = common::UNREACHABLE_META.to_vec();
    args.extend(["--upstream-timeout", "5s"]);
    let app = spawn_app_with(backend, &args).await;
    let tenant = app.tenant_without_gate("unreachable", "+46700000023").await;
    let (status, answer) = app
        .admin_post(
            "/sources",
            json!({"platformId": tenant.platform_id, "platformPartnerId": tenant.platform_partner_id,
                   "number": SOURCE, "phoneNumberId": "pnid-x", "wabaId": "waba-1"}),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    let now = utc(OffsetDateTime::now_utc());
    let end = utc(OffsetDateTime::now_utc() + time::Duration::days(1));
    let analytics = format!("/analytics?startDate={now}&endDate={end}");
    for (method, suffix, body) in every_business_call(&analytics) {
        let answer = call(&app, &tenant, method.clone(), SOURCE, suffix, body).await;
        assert_code(&answer, 400, 112503);
    }
}
