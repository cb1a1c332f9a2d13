//! The accept path end to end: requests in, `112001 queued` out, and the
//! stored state read back through the status query.

mod common;

use common::{Backend, request, spawn_app, spawn_app_with, text};
use serde_json::{Value, json};
use wagate_domain::part_tag;

on_backends!(a_request_is_queued_with_one_id_per_destination_in_order);
async fn a_request_is_queued_with_one_id_per_destination_in_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let tenant = app.tenant("acme", "+46700000001").await;
    let mut body = request(
        &tenant,
        &[
            "+46 70 111 11 11",
            "SE.13491208655302741918",
            "0046702222222",
        ],
        json!([
            {"type": "text", "previewUrl": true, "text": {"body": "first https://example.com"}},
            {"type": "template", "template": {"name": "hello_world", "language": {"code": "en_US"}}}
        ]),
    );
    body["priority"] = json!("HIGH");
    body["customParameters"] = json!({"campaign": "winter", "attempt": 2, "vip": true});
    body["eventReportGates"] = json!([tenant.gate_id]);
    body["platformServiceId"] = json!("svc-1");
    body["refId"] = json!("order-42");
    body["relativeValidityTime"] = json!(3_600_000);

    let (status, answer) = app.send(&tenant, &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["resultCode"], 112001);
    assert_eq!(answer["description"], "queued");
    let ids: Vec<String> = answer["messageIds"]
        .as_array()
        .expect("messageIds")
        .iter()
        .map(|id| id.as_str().expect("id").to_owned())
        .collect();
    assert_eq!(ids.len(), 3);
    for id in &ids {
        assert_eq!(id.len(), 22, "{id}");
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
    }

    let expected_destinations = ["+46701111111", "SE.13491208655302741918", "+46702222222"];
    for (id, destination) in ids.iter().zip(expected_destinations) {
        let (status, message) = app.status(&tenant, id).await;
        assert_eq!(status, 200, "{message}");
        assert_eq!(message["messageId"], id.as_str());
        assert_eq!(message["destination"], destination);
        assert_eq!(message["refId"], "order-42");
        assert_eq!(message["source"], "+46700000001");
        assert_eq!(message["priority"], "HIGH");
        assert_eq!(message["platformServiceId"], "svc-1");
        assert_eq!(message["eventReportGates"], json!([tenant.gate_id]));
        assert_eq!(
            message["customParameters"],
            json!({"campaign": "winter", "attempt": "2", "vip": "true"})
        );
        let parts = message["messages"].as_array().expect("parts");
        assert_eq!(parts.len(), 2);
        for (index, (part, kind)) in parts.iter().zip(["text", "template"]).enumerate() {
            assert_eq!(part["messageIndex"], index);
            assert_eq!(part["messageType"], kind);
            // The dispatcher may already have moved it on; the history
            // starts with the acceptance and ends with the current code.
            let history = part["history"].as_array().expect("history");
            assert_eq!(history[0]["resultCode"], 112001);
            assert_eq!(
                history.last().map(|entry| &entry["resultCode"]),
                Some(&part["resultCode"])
            );
            assert_eq!(part["history"][0]["resultDescription"], "queued");
        }
        let created = time::OffsetDateTime::parse(
            message["createdAt"].as_str().expect("createdAt"),
            &time::format_description::well_known::Rfc3339,
        )
        .expect("createdAt is RFC 3339");
        let expires = time::OffsetDateTime::parse(
            message["expiresAt"].as_str().expect("expiresAt"),
            &time::format_description::well_known::Rfc3339,
        )
        .expect("expiresAt is RFC 3339");
        assert_eq!((expires - created).whole_milliseconds(), 3_600_000);
    }
}

on_backends!(validity_defaults_to_48_hours_and_absolute_wins_over_relative);
async fn validity_defaults_to_48_hours_and_absolute_wins_over_relative(backend: Backend) {
    let app = spawn_app(backend).await;
    let tenant = app.tenant("acme", "+46700000001").await;
    let validity = |message: &Value| {
        let parse = |field: &str| {
            time::OffsetDateTime::parse(
                message[field].as_str().expect(field),
                &time::format_description::well_known::Rfc3339,
            )
            .expect("RFC 3339")
        };
        parse("expiresAt") - parse("createdAt")
    };

    let (_, answer) = app
        .send(&tenant, &request(&tenant, &["+46701234567"], text("hi")))
        .await;
    let (_, message) = app
        .status(&tenant, answer["messageIds"][0].as_str().expect("id"))
        .await;
    assert_eq!(validity(&message), time::Duration::hours(48));

    // Ten days ahead, whole seconds, written at +01:00.
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    let at = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("whole second")
        + time::Duration::days(10);
    let mut body = request(&tenant, &["+46701234567"], text("hi"));
    body["relativeValidityTime"] = json!(60_000);
    body["absoluteValidityTime"] = json!(
        at.to_offset(time::macros::offset!(+1))
            .format(rfc3339)
            .expect("format")
    );
    let (status, answer) = app.send(&tenant, &body).await;
    assert_eq!(status, 200, "{answer}");
    let (_, message) = app
        .status(&tenant, answer["messageIds"][0].as_str().expect("id"))
        .await;
    assert_eq!(message["expiresAt"], at.format(rfc3339).expect("format"));
}

on_backends!(max_validity_bounds_relative_absolute_and_default_validity);
async fn max_validity_bounds_relative_absolute_and_default_validity(backend: Backend) {
    let app = spawn_app_with(backend, &["--max-validity", "1h"]).await;
    let tenant = app.tenant("acme", "+46700000001").await;
    let send = |field: &str, value: Value| {
        let mut body = request(&tenant, &["+46701234567"], text("hi"));
        body[field] = value;
        body
    };
    let (status, answer) = app
        .send(&tenant, &send("relativeValidityTime", json!(3_600_000)))
        .await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = app
        .send(&tenant, &send("relativeValidityTime", json!(3_600_001)))
        .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["resultCode"], 112506);
    assert_eq!(
        answer["description"],
        "relativeValidityTime: must be between 1 and 3600000"
    );
    let two_hours = time::OffsetDateTime::now_utc() + time::Duration::hours(2);
    let (status, answer) = app
        .send(
            &tenant,
            &send(
                "absoluteValidityTime",
                json!(
                    two_hours
                        .format(&time::format_description::well_known::Rfc3339)
                        .expect("format")
                ),
            ),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["resultCode"], 112506);
    assert_eq!(
        answer["description"],
        "absoluteValidityTime: must be at most 3600000 milliseconds from now"
    );
    // Without either, a message lives the default 48 hours, cut to the maximum.
    let (_, answer) = app
        .send(&tenant, &request(&tenant, &["+46701234567"], text("hi")))
        .await;
    let (_, message) = app
        .status(&tenant, answer["messageIds"][0].as_str().expect("id"))
        .await;
    let parse = |field: &str| {
        time::OffsetDateTime::parse(
            message[field].as_str().expect(field),
            &time::format_description::well_known::Rfc3339,
        )
        .expect("RFC 3339")
    };
    assert_eq!(
        parse("expiresAt") - parse("createdAt"),
        time::Duration::hours(1)
    );
}

on_backends!(every_message_example_of_the_spec_is_accepted_and_stored_as_rendered);
async fn every_message_example_of_the_spec_is_accepted_and_stored_as_rendered(backend: Backend) {
    let app = spawn_app(backend).await;
    let tenant = app.tenant("acme", "+46700000001").await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/wagate-domain/tests/examples");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("examples directory")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 30,
        "expected the spec's examples, found {}",
        files.len()
    );
    for file in files {
        let example: Value = serde_json::from_str(&std::fs::read_to_string(&file).expect("read"))
            .expect("example JSON");
        let message = example["message"].clone();
        // Kept on request: the part may be submitted before it is read.
        let mut body = request(&tenant, &["+46701234567"], json!([message]));
        body["customParameters"] = json!({"ott.whatsapp.logMessageContent": "true"});
        let (status, answer) = app.send(&tenant, &body).await;
        assert_eq!(status, 200, "{}: {answer}", file.display());
        let id = answer["messageIds"][0].as_str().expect("id");
        let (status, stored) = app.status(&tenant, id).await;
        assert_eq!(status, 200);
        assert_eq!(
            stored["messages"][0]["messageType"],
            example["cloud"]["type"],
            "{}",
            file.display()
        );
        // As rendered, with the part's tag.
        let mut cloud = example["cloud"].clone();
        cloud[part_tag::FIELD] = json!(format!("{id}/0"));
        assert_eq!(
            stored["messages"][0]["cloudRequest"],
            cloud,
            "{}",
            file.display()
        );
    }
}

on_backends!(the_demo_tenant_is_created_on_an_empty_sandbox_database_only);
async fn the_demo_tenant_is_created_on_an_empty_sandbox_database_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, accounts) = app.admin(reqwest::Method::GET, "/accounts", None).await;
    assert_eq!(status, 200);
    let demo: Vec<&Value> = accounts
        .as_array()
        .expect("list")
        .iter()
        .filter(|account| account["platformId"] == wagate::demo::DEMO_PLATFORM_ID)
        .collect();
    assert_eq!(demo.len(), 1, "{accounts}");
    let (_, sources) = app.admin(reqwest::Method::GET, "/sources", None).await;
    assert_eq!(sources[0]["number"], wagate::demo::DEMO_SOURCE);
    let (_, users) = app.admin(reqwest::Method::GET, "/users", None).await;
    assert_eq!(users[0]["username"], wagate::demo::DEMO_USERNAME);
}
