//! Media upload through the LINK API (`POST /whatsapp-message/media` and
//! `/media/resumable`) to the sandbox's Cloud API: an uploaded image is
//! sent by id and read; an id the number does not know fails with Meta's
//! 131053; every broken upload is `112502` in the spec's error body;
//! another tenant's source is `403`; a resumable upload answers a handle;
//! and a large file flows through while it is still being sent.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{ADMIN_TOKEN, Backend, Tenant, TestApp, poll, read, request, spawn_app_with};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// One multipart part, in the order the form sends them.
enum P {
    Text(&'static str, String),
    File(&'static str, Vec<u8>, &'static str),
}

/// The parts of a normal upload from `tenant`: text parts first, then `media`.
fn upload_parts(tenant: &Tenant, mime: &'static str, bytes: Vec<u8>) -> Vec<P> {
    vec![
        P::Text("source", tenant.source.clone()),
        P::Text("platformId", tenant.platform_id.clone()),
        P::Text("platformPartnerId", tenant.platform_partner_id.clone()),
        P::Text("mediaContentType", mime.to_owned()),
        P::File("media", bytes, mime),
    ]
}

fn form(parts: Vec<P>) -> Form {
    parts
        .into_iter()
        .fold(Form::new(), |form, part| match part {
            P::Text(name, value) => form.text(name, value),
            P::File(name, bytes, mime) => form.part(
                name,
                Part::bytes(bytes)
                    .file_name("upload.bin")
                    .mime_str(mime)
                    .expect("a MIME type"),
            ),
        })
}

/// POSTs `form` to `/whatsapp-message/{path}` as `tenant`; status, content
/// type and body (JSON; a text body as a JSON string).
async fn post_form(app: &TestApp, tenant: &Tenant, path: &str, form: Form) -> (u16, String, Value) {
    let response = app
        .client
        .post(format!("{}/whatsapp-message/{path}", app.base))
        .basic_auth(&tenant.username, Some(&tenant.password))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = if content_type.starts_with("application/json") {
        serde_json::from_str(&text).expect("JSON")
    } else {
        Value::String(text)
    };
    (status, content_type, body)
}

/// Uploads `bytes` as `mime`; the media id.
async fn upload(app: &TestApp, tenant: &Tenant, mime: &'static str, bytes: Vec<u8>) -> String {
    let (status, content_type, body) = post_form(
        app,
        tenant,
        "media",
        form(upload_parts(tenant, mime, bytes)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let id = body.as_str().expect("the id as text").to_owned();
    assert!(
        !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
        "{id}"
    );
    id
}

/// An admin-token GET of `/sandbox/v1/{path}`.
async fn sandbox(app: &TestApp, path: &str) -> (u16, Value) {
    read(
        app.client
            .get(format!("{}/sandbox/v1/{path}", app.base))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("sandbox"),
    )
    .await
}

/// `user` writes to the tenant's number, which opens the care window.
async fn writes_in(app: &TestApp, tenant: &Tenant, user: &str) {
    let answer = app
        .client
        .post(format!("{}/sandbox/v1/inbound", app.base))
        .basic_auth(&tenant.username, Some(&tenant.password))
        .json(&json!({"from": user, "to": tenant.source, "text": "hi"}))
        .send()
        .await
        .expect("inbound");
    assert_eq!(answer.status(), 200);
}

/// Sends an image by media id to `user`; the final state of the part.
async fn send_image(app: &TestApp, tenant: &Tenant, user: &str, media_id: &str) -> Value {
    let image = json!([{"type": "image", "image": {"id": media_id, "caption": "look"}}]);
    let (status, answer) = app.send(tenant, &request(tenant, &[user], image)).await;
    assert_eq!(status, 200, "{answer}");
    let message_id = answer["messageIds"][0].as_str().expect("id").to_owned();
    let status = app
        .status_when(tenant, &message_id, "the image's last status", |part| {
            ["READ", "FAILED"].contains(&part["state"].as_str().unwrap_or_default())
        })
        .await;
    status["messages"][0].clone()
}

/// A file of `len` bytes that is not all one byte.
fn file(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

on_backends!(an_uploaded_image_is_sent_by_id_and_read);
async fn an_uploaded_image_is_sent_by_id_and_read(backend: Backend) {
    let app = spawn_app_with(backend, &["--sandbox-status-delay", "1ms"]).await;
    let tenant = app.tenant("media", "+46700000700").await;
    let png = file(70_000);
    let id = upload(&app, &tenant, "image/png", png.clone()).await;

    // The sandbox's Cloud API holds what arrived: its size and hash.
    let (status, media) = sandbox(&app, &format!("media/{id}")).await;
    assert_eq!(status, 200, "{media}");
    assert_eq!(media["mimeType"], "image/png");
    assert_eq!(media["fileSize"], png.len());
    assert_eq!(media["sha256"], hex::encode(Sha256::digest(&png)));

    let user = "+46701230701";
    writes_in(&app, &tenant, user).await;
    let part = send_image(&app, &tenant, user, &id).await;
    assert_eq!(part["state"], "READ", "{part:#}");
    assert_eq!(part["resultCode"], 112007);
}

on_backends!(an_unknown_or_foreign_media_id_fails_with_metas_131053);
async fn an_unknown_or_foreign_media_id_fails_with_metas_131053(backend: Backend) {
    let app = spawn_app_with(backend, &["--sandbox-status-delay", "1ms"]).await;
    let tenant = app.tenant("media", "+46700000710").await;
    let other = app.tenant("other", "+46700000711").await;
    let others_media = upload(&app, &other, "image/jpeg", file(1_000)).await;
    let user = "+46701230711";
    writes_in(&app, &tenant, user).await;

    for id in ["1234567890123456", others_media.as_str()] {
        let part = send_image(&app, &tenant, user, id).await;
        assert_eq!(part["state"], "FAILED", "{id}: {part:#}");
        assert_eq!(part["resultCode"], 112403, "{id}: {part:#}");
        let failure = part["history"]
            .as_array()
            .and_then(|history| history.last())
            .cloned()
            .unwrap_or_default();
        assert_eq!(failure["details"]["metaErrorCode"], 131053, "{part:#}");
    }
}

#[tokio::test]
async fn every_broken_upload_is_112502_naming_the_part_and_the_rule() {
    let app = spawn_app_with(Backend::Sqlite, &[]).await;
    let tenant = app.tenant("media", "+46700000720").await;
    let without = |name: &str, parts: Vec<P>| -> Vec<P> {
        parts
            .into_iter()
            .filter(|part| match part {
                P::Text(part, _) | P::File(part, ..) => *part != name,
            })
            .collect()
    };
    let png = || upload_parts(&tenant, "image/png", file(100));
    let mut media_first = png();
    media_first.rotate_right(1);
    let cases: Vec<(&str, Vec<P>, &str)> = vec![
        (
            "no media part",
            without("media", png()),
            "media: is required",
        ),
        (
            "no source part",
            without("media", without("source", png())),
            "source: is required",
        ),
        (
            "no mediaContentType before media",
            without("mediaContentType", png()),
            "mediaContentType: must be a part sent before media",
        ),
        (
            "media before the text parts",
            media_first,
            "source: must be a part sent before media",
        ),
        (
            "an unsupported type",
            upload_parts(&tenant, "image/gif", file(100)),
            "mediaContentType: must be one of: image/jpeg, image/png,",
        ),
        (
            "a sticker over 500 KB",
            upload_parts(&tenant, "image/webp", file(500 * 1024 + 1)),
            "media: must be at most 512000 bytes for image/webp",
        ),
        (
            "an empty file",
            upload_parts(&tenant, "application/pdf", Vec::new()),
            "media: must not be empty",
        ),
    ];
    for (case, parts, description) in cases {
        let (status, content_type, body) = post_form(&app, &tenant, "media", form(parts)).await;
        assert_eq!(status, 400, "{case}: {body}");
        assert!(content_type.starts_with("application/json"), "{case}");
        assert_eq!(body["status"], 112502, "{case}: {body}");
        assert!(
            body["description"]
                .as_str()
                .is_some_and(|text| text.starts_with(description)),
            "{case}: {body}"
        );
        assert_eq!(body["translatedDescription"], Value::Null, "{case}");
        assert!(body.get("resultCode").is_none(), "{case}: {body}");
    }

    // Not multipart at all.
    let (status, body) = read(
        app.client
            .post(format!("{}/whatsapp-message/media", app.base))
            .basic_auth(&tenant.username, Some(&tenant.password))
            .json(&json!({"source": tenant.source}))
            .send()
            .await
            .expect("upload"),
    )
    .await;
    assert_eq!((status, &body["status"]), (400, &json!(112502)), "{body}");
    // Nothing of the above reached the Cloud API as an upload.
    let (_, stats) = sandbox(&app, "stats").await;
    assert!(
        stats["uploadBytesReceived"].as_u64() < Some(500 * 1024 + 1),
        "{stats}"
    );
}

on_backends!(another_tenants_source_or_platform_is_403_and_bad_credentials_401);
async fn another_tenants_source_or_platform_is_403_and_bad_credentials_401(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    let tenant = app.tenant("media", "+46700000730").await;
    let other = app.tenant("other", "+46700000731").await;
    let foreign_source = Tenant {
        source: other.source.clone(),
        ..tenant.clone()
    };
    let foreign_platform = Tenant {
        platform_id: other.platform_id.clone(),
        ..tenant.clone()
    };
    for (case, named) in [
        ("source", &foreign_source),
        ("platformId", &foreign_platform),
    ] {
        for path in ["media", "media/resumable"] {
            let (status, _, body) = post_form(
                &app,
                &tenant,
                path,
                form(upload_parts(named, "image/png", file(10))),
            )
            .await;
            assert_eq!(status, 403, "{case} {path}: {body}");
            assert_eq!(body["status"], 112401, "{case} {path}: {body}");
        }
    }
    let stranger = Tenant {
        password: "wrong".into(),
        ..tenant.clone()
    };
    let (status, _, body) = post_form(
        &app,
        &stranger,
        "media",
        form(upload_parts(&tenant, "image/png", file(10))),
    )
    .await;
    assert_eq!((status, &body["status"]), (401, &json!(112400)), "{body}");
    let (_, stats) = sandbox(&app, "stats").await;
    assert_eq!(stats["uploadBytesReceived"], 0, "{stats}");
}

#[tokio::test]
async fn a_resumable_upload_answers_a_handle_in_any_part_order() {
    let app = spawn_app_with(Backend::Sqlite, &[]).await;
    let tenant = app.tenant("media", "+46700000740").await;
    let pdf = file(300_000);
    let parts = vec![
        P::File("media", pdf.clone(), "application/pdf"),
        P::Text("source", tenant.source.clone()),
        P::Text("platformId", tenant.platform_id.clone()),
        P::Text("platformPartnerId", tenant.platform_partner_id.clone()),
    ];
    let (status, content_type, body) =
        post_form(&app, &tenant, "media/resumable", form(parts)).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let handle = body["h"].as_str().expect("a handle");
    assert!(handle.starts_with("4:"), "{handle}");
    let (status, media) = sandbox(&app, &format!("media/{handle}")).await;
    assert_eq!(status, 200, "{media}");
    assert_eq!(media["fileSize"], pdf.len());
    assert_eq!(media["sha256"], hex::encode(Sha256::digest(&pdf)));
    assert_eq!(media["mimeType"], "application/pdf");

    let audio = vec![
        P::Text("source", tenant.source.clone()),
        P::Text("platformId", tenant.platform_id.clone()),
        P::Text("platformPartnerId", tenant.platform_partner_id.clone()),
        P::File("media", file(10), "audio/ogg"),
    ];
    let (status, _, body) = post_form(&app, &tenant, "media/resumable", form(audio)).await;
    assert_eq!((status, &body["status"]), (400, &json!(112502)), "{body}");
    assert!(
        body["description"]
            .as_str()
            .is_some_and(|text| text.starts_with("media: must be one of: application/pdf")),
        "{body}"
    );
}

/// A file is handed on while it is still arriving: the client sends most
/// of a 48 MiB document, then holds the rest back until the sandbox's Cloud
/// API has received a good part of it. An implementation that read the
/// file whole before uploading it would never get there. The gateway's
/// body-read timeout is 1 s and the client holds back for at least 2 s:
/// the upload route's own timeout (`--media-upload-timeout`) must apply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_upload_flows_through_while_it_is_still_being_sent() {
    const CHUNK: usize = 64 * 1024;
    const CHUNKS: usize = 768; // 48 MiB
    const HELD_BACK_AFTER: usize = 640; // 40 MiB sent, then wait
    const MUST_HAVE_ARRIVED: u64 = 16 * 1024 * 1024;
    const HOLD_AT_LEAST: Duration = Duration::from_secs(2);
    let app = spawn_app_with(Backend::Sqlite, &["--body-read-timeout", "1s"]).await;
    let tenant = app.tenant("media", "+46700000750").await;

    let released = Arc::new(tokio::sync::Notify::new());
    let held_back = Arc::new(AtomicBool::new(false));
    let expected = {
        let mut hasher = Sha256::new();
        for index in 0..CHUNKS {
            hasher.update(chunk(index, CHUNK));
        }
        hex::encode(hasher.finalize())
    };
    let body = {
        let released = released.clone();
        let held_back = held_back.clone();
        futures_util::stream::unfold(0usize, move |index| {
            let released = released.clone();
            let held_back = held_back.clone();
            async move {
                if index == CHUNKS {
                    return None;
                }
                if index == HELD_BACK_AFTER {
                    held_back.store(true, Ordering::SeqCst);
                    // The deadline only ends a failing test: a streaming
                    // gateway is released long before.
                    let _ =
                        tokio::time::timeout(Duration::from_secs(120), released.notified()).await;
                }
                Some((Ok::<_, std::io::Error>(chunk(index, CHUNK)), index + 1))
            }
        })
    };
    let media = Part::stream(reqwest::Body::wrap_stream(body))
        .file_name("big.pdf")
        .mime_str("application/pdf")
        .expect("MIME");
    let parts = Form::new()
        .text("source", tenant.source.clone())
        .text("platformId", tenant.platform_id.clone())
        .text("platformPartnerId", tenant.platform_partner_id.clone())
        .text("mediaContentType", "application/pdf")
        .part("media", media);
    let sending = {
        let app_client = app.client.clone();
        let url = format!("{}/whatsapp-message/media", app.base);
        let tenant = tenant.clone();
        tokio::spawn(async move {
            let response = app_client
                .post(url)
                .basic_auth(&tenant.username, Some(&tenant.password))
                .multipart(parts)
                .send()
                .await
                .expect("upload");
            let status = response.status().as_u16();
            (status, response.text().await.expect("body"))
        })
    };

    let started = std::time::Instant::now();
    let arrived = poll(
        Duration::from_secs(120),
        "the Cloud API receiving the file while the client holds its end back",
        || async {
            let (_, stats) = sandbox(&app, "stats").await;
            let arrived = stats["uploadBytesReceived"].as_u64().unwrap_or(0);
            if held_back.load(Ordering::SeqCst)
                && arrived >= MUST_HAVE_ARRIVED
                && started.elapsed() > HOLD_AT_LEAST
            {
                Ok(arrived)
            } else {
                Err(format!(
                    "{arrived} bytes arrived; client holding back: {}",
                    held_back.load(Ordering::SeqCst)
                ))
            }
        },
    )
    .await;
    assert!(arrived < (CHUNKS * CHUNK) as u64, "{arrived}");
    released.notify_one();

    let (status, id) = sending.await.expect("the upload task");
    assert_eq!(status, 200, "{id}");
    let (_, media) = sandbox(&app, &format!("media/{id}")).await;
    assert_eq!(media["fileSize"], CHUNKS * CHUNK, "{media}");
    assert_eq!(media["sha256"], expected.as_str(), "{media}");
}

/// The bytes of chunk `index`, different from its neighbours'.
fn chunk(index: usize, len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i + index * 7) % 253) as u8).collect()
}
