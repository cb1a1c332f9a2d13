//! The simulator's routes: the Cloud API's send, media and upload endpoints
//! and the `/sim/v1` controls (inbound messages, what was received,
//! counters, webhooks, media).

use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::{Inbound, Sim};

pub fn router(sim: Sim) -> Router {
    Router::new()
        .route("/{version}/{phone_number_id}/messages", post(messages))
        // Uploads are streamed and limited by type as they come.
        .route(
            "/{version}/{phone_number_id}/media",
            post(upload_media).layer(DefaultBodyLimit::disable()),
        )
        .route("/{version}/{app_id}/uploads", post(open_upload_session))
        .route(
            "/{version}/{object_id}",
            get(media_info).post(upload_to_session),
        )
        .route("/sim/v1/media/{media_id}/bytes", get(media_bytes))
        .route("/sim/v1/inbound", post(inbound))
        .nest("/sim/v1", observe_routes(sim.clone()))
        .with_state(sim)
}

/// `GET /received?since=N`, `/stats`, `/webhooks?since=N`: what the
/// simulator saw and did. The gateway mounts them too, under `/sandbox/v1`.
pub fn observe_routes<S: Clone + Send + Sync + 'static>(sim: Sim) -> Router<S> {
    Router::new()
        .route("/received", get(received))
        .route("/stats", get(stats))
        .route("/webhooks", get(webhooks))
        .route("/media/{media_id}", get(media_record))
        .with_state(sim)
}

#[derive(Deserialize)]
struct Since {
    #[serde(default)]
    since: u64,
}

/// The token of `Authorization: Bearer <token>`.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

async fn messages(
    State(sim): State<Sim>,
    Path((version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    sim.send(&version, &phone_number_id, bearer(&headers), &body)
}

/// The token of `Authorization: OAuth <token>` (the Resumable Upload
/// API's form) or `Bearer <token>`.
fn oauth_or_bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    (scheme.eq_ignore_ascii_case("oauth") || scheme.eq_ignore_ascii_case("bearer"))
        .then_some(token.trim())
}

#[derive(Deserialize)]
struct MediaQuery {
    phone_number_id: Option<String>,
}

/// `GET /{version}/{media-id}`, or an upload session's progress.
async fn media_info(
    State(sim): State<Sim>,
    Path((_version, object_id)): Path<(String, String)>,
    Query(query): Query<MediaQuery>,
    headers: HeaderMap,
) -> Response {
    if object_id.starts_with("upload:") {
        return sim.upload_session_status(&object_id, oauth_or_bearer(&headers));
    }
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("127.0.0.1");
    sim.media_info(
        host,
        &object_id,
        query.phone_number_id.as_deref(),
        bearer(&headers),
    )
}

async fn upload_media(
    State(sim): State<Sim>,
    Path((_version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    match form {
        Ok(form) => {
            sim.upload_media(&phone_number_id, bearer(&headers), form)
                .await
        }
        Err(rejection) => {
            super::meta_error::MetaError::invalid_parameter(rejection.body_text()).into_response()
        }
    }
}

#[derive(Deserialize)]
struct SessionQuery {
    file_length: Option<String>,
    file_type: Option<String>,
    access_token: Option<String>,
}

async fn open_upload_session(
    State(sim): State<Sim>,
    Path((_version, app_id)): Path<(String, String)>,
    Query(query): Query<SessionQuery>,
    headers: HeaderMap,
) -> Response {
    let token = bearer(&headers).or(query.access_token.as_deref());
    sim.open_upload_session(
        &app_id,
        token,
        query.file_length.as_deref(),
        query.file_type.as_deref(),
    )
}

/// `POST /{version}/upload:…`: bytes of a resumable upload.
async fn upload_to_session(
    State(sim): State<Sim>,
    Path((version, object_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if !object_id.starts_with("upload:") {
        return super::meta_error::MetaError::unknown_path(&format!("/{version}/{object_id}"))
            .into_response();
    }
    let offset = headers
        .get("file_offset")
        .and_then(|value| value.to_str().ok());
    sim.upload_to_session(&object_id, oauth_or_bearer(&headers), offset, body)
        .await
}

async fn media_record(State(sim): State<Sim>, Path(media_id): Path<String>) -> Response {
    match sim.media_record(&media_id) {
        Some(record) => Json(record).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": format!("no media {media_id}") })),
        )
            .into_response(),
    }
}

async fn media_bytes(
    State(sim): State<Sim>,
    Path(media_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    sim.media_bytes(&media_id, bearer(&headers))
}

async fn inbound(State(sim): State<Sim>, body: Bytes) -> Response {
    let inbound: Inbound = match serde_json::from_slice(&body) {
        Ok(inbound) => inbound,
        Err(error) => return problem(&format!("invalid inbound message: {error}")),
    };
    match sim.inbound(inbound).await {
        Ok(id) => Json(json!({ "id": id })).into_response(),
        Err(error) => problem(&error.to_string()),
    }
}

fn problem(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

async fn received(State(sim): State<Sim>, Query(since): Query<Since>) -> Response {
    Json(sim.received(since.since)).into_response()
}

async fn stats(State(sim): State<Sim>) -> Response {
    Json(sim.stats()).into_response()
}

async fn webhooks(State(sim): State<Sim>, Query(since): Query<Since>) -> Response {
    Json(sim.webhooks(since.since)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn reads_bearer_tokens() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer(&headers), None);
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(bearer(&headers), Some("abc"));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer  abc "),
        );
        assert_eq!(bearer(&headers), Some("abc"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&headers), None);
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer"));
        assert_eq!(bearer(&headers), None);
    }
}
