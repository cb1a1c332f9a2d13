//! The simulator's routes: the Cloud API's send, media and upload
//! endpoints, the template endpoints of the Business Management API, and
//! the `/sim/v1` controls (inbound messages, numbers' WABAs, what was
//! received, counters, webhooks, media).

use std::collections::HashMap;

use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::state::MediaRecord;
use super::{Inbound, ReceivedSend, Sim, SimStats, WebhookRecord};
use crate::api::problem::Problem;
use crate::api::sandbox::AdminTokenFailures;

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
            "/{version}/{phone_number_id}/message_templates",
            post(create_template)
                .get(list_templates)
                .delete(delete_templates),
        )
        .route("/{version}/{object_id}", get(object_info).post(post_object))
        .route(
            "/{version}/{phone_number_id}/whatsapp_business_profile",
            get(business_profile).post(update_business_profile),
        )
        .route("/sim/v1/numbers", post(register_number))
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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Since {
    /// Only what came after this sequence number (`seq`); 0: everything
    /// kept.
    #[serde(default)]
    #[param(example = 0)]
    since: u64,
}

/// The controls the gateway mounts under `/sandbox/v1` (the admin token
/// guards them there), in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(received, stats, webhooks, media_record, register_number))]
pub struct SandboxControlsApi;

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
    /// The fields asked of a phone number or WABA node.
    fields: Option<String>,
}

fn host(headers: &HeaderMap) -> &str {
    headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("127.0.0.1")
}

/// `GET /{version}/{id}`: an upload session's progress, a template, a
/// phone number or a WABA (see `business_api`), or a media id.
async fn object_info(
    State(sim): State<Sim>,
    Path((version, object_id)): Path<(String, String)>,
    Query(query): Query<MediaQuery>,
    headers: HeaderMap,
) -> Response {
    if object_id.starts_with("upload:") {
        return sim.upload_session_status(&object_id, oauth_or_bearer(&headers));
    }
    if bearer(&headers).is_some_and(|token| !token.is_empty())
        && let Some(template) = sim.template_by_id(&object_id)
    {
        return Json(template).into_response();
    }
    if let Some(node) = sim.number_node(
        &version,
        &object_id,
        bearer(&headers),
        query.fields.as_deref(),
    ) {
        return node;
    }
    sim.media_info(
        host(&headers),
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

/// The largest template edit read.
const MAX_TEMPLATE_BODY: usize = 1024 * 1024;

/// `POST /{version}/upload:…`: bytes of a resumable upload (streamed);
/// `POST /{version}/{template_id}`: a template edit.
async fn post_object(
    State(sim): State<Sim>,
    Path((version, object_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if object_id.starts_with("upload:") {
        let offset = headers
            .get("file_offset")
            .and_then(|value| value.to_str().ok());
        return sim
            .upload_to_session(&object_id, oauth_or_bearer(&headers), offset, body)
            .await;
    }
    match axum::body::to_bytes(body, MAX_TEMPLATE_BODY).await {
        Ok(body) => sim.edit_template(&version, &object_id, bearer(&headers), &body),
        Err(error) => super::meta_error::MetaError::invalid_parameter(format!(
            "the body could not be read (at most {MAX_TEMPLATE_BODY} bytes): {error}"
        ))
        .into_response(),
    }
}

async fn create_template(
    State(sim): State<Sim>,
    Path((version, waba_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    sim.create_template(&version, &waba_id, bearer(&headers), &body)
}

async fn list_templates(
    State(sim): State<Sim>,
    Path((version, waba_id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    sim.list_templates(host(&headers), &version, &waba_id, bearer(&headers), &query)
}

async fn delete_templates(
    State(sim): State<Sim>,
    Path((version, waba_id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    sim.delete_templates(&version, &waba_id, bearer(&headers), &query)
}

async fn business_profile(
    State(sim): State<Sim>,
    Path((version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    sim.business_profile(&version, &phone_number_id, bearer(&headers))
}

async fn update_business_profile(
    State(sim): State<Sim>,
    Path((version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    sim.update_business_profile(&version, &phone_number_id, bearer(&headers), &body)
}

/// `{"phoneNumberId", "wabaId", "number"?, "level"?}`: the number belongs
/// to the WABA; `number` its digits, `level` the throughput level its node
/// reports (`STANDARD`, `HIGH`, `NOT_APPLICABLE`).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"phoneNumberId": "106540352242922", "wabaId": "102290129340398",
    "number": "+46700000000", "level": "HIGH"}))]
struct NumberOfWaba {
    phone_number_id: String,
    waba_id: String,
    /// The number's digits (a leading `+` is dropped).
    number: Option<String>,
    /// The throughput level its phone number node reports.
    #[schema(value_type = Option<String>, pattern = "^(STANDARD|HIGH|NOT_APPLICABLE)$")]
    level: Option<String>,
}

/// The answer of a registration.
#[derive(Serialize, utoipa::ToSchema)]
struct Registered {
    /// Always true.
    success: bool,
}

const LEVELS: [&str; 3] = ["STANDARD", "HIGH", "NOT_APPLICABLE"];

/// `POST /numbers`: registers a number (also mounted by the gateway under
/// `/sandbox/v1`, see [`number_routes`]).
#[utoipa::path(
    post,
    path = "/numbers",
    tag = "sandbox",
    operation_id = "sandbox_register_number",
    security(("admin_token" = [])),
    request_body(content = NumberOfWaba),
    responses(
        (status = 200, description = "Registered.", body = Registered,
            example = json!({"success": true})),
        (status = 400, description = "Not such a body, or an unknown level.", body = Problem,
            example = json!({"error": "level: must be one of STANDARD, HIGH, NOT_APPLICABLE"})),
        AdminTokenFailures,
        (status = 413, description = "The body is larger than `--max-body-bytes`.",
            content_type = "text/plain", body = String),
    ),
)]
async fn register_number(State(sim): State<Sim>, body: Bytes) -> Response {
    match serde_json::from_slice::<NumberOfWaba>(&body) {
        Ok(number) => {
            if number
                .level
                .as_deref()
                .is_some_and(|level| !LEVELS.contains(&level))
            {
                return problem(&format!("level: must be one of {}", LEVELS.join(", ")));
            }
            let digits = number
                .number
                .as_deref()
                .map(|number| number.trim_start_matches('+'));
            sim.register_number_with(
                &number.phone_number_id,
                &number.waba_id,
                digits,
                number.level.as_deref(),
            );
            Json(Registered { success: true }).into_response()
        }
        Err(error) => problem(&format!("invalid number: {error}")),
    }
}

/// `POST /numbers`, for mounting under another router.
pub fn number_routes<S: Clone + Send + Sync + 'static>(sim: Sim) -> Router<S> {
    Router::new()
        .route("/numbers", post(register_number))
        .with_state(sim)
}

/// What the simulator knows of a media object (uploaded, or sent by a
/// simulated user).
#[utoipa::path(
    get,
    path = "/media/{media_id}",
    tag = "sandbox",
    operation_id = "sandbox_media",
    security(("admin_token" = [])),
    params(("media_id" = String, Path, description = "The media id (or an upload's handle).")),
    responses(
        (status = 200, description = "The media object.", body = MediaRecord),
        (status = 404, description = "No such media.", body = Problem,
            example = json!({"error": "no media 123"})),
        AdminTokenFailures,
    ),
)]
async fn media_record(State(sim): State<Sim>, Path(media_id): Path<String>) -> Response {
    match sim.media_record(&media_id) {
        Some(record) => Json(record).into_response(),
        None => Problem::response(StatusCode::NOT_FOUND, format!("no media {media_id}")),
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
    Problem::response(StatusCode::BAD_REQUEST, message)
}

/// The send requests the simulator received, oldest first.
#[utoipa::path(
    get,
    path = "/received",
    tag = "sandbox",
    operation_id = "sandbox_received",
    security(("admin_token" = [])),
    params(Since),
    responses(
        (status = 200, description = "The requests.", body = [ReceivedSend]),
        (status = 400, description = "`since` is not a number.", content_type = "text/plain",
            body = String),
        AdminTokenFailures,
    ),
)]
async fn received(State(sim): State<Sim>, Query(since): Query<Since>) -> Response {
    Json(sim.received(since.since)).into_response()
}

/// The simulator's counters since start.
#[utoipa::path(
    get,
    path = "/stats",
    tag = "sandbox",
    operation_id = "sandbox_stats",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "The counters.", body = SimStats),
        AdminTokenFailures,
    ),
)]
async fn stats(State(sim): State<Sim>) -> Response {
    Json(sim.stats()).into_response()
}

/// The webhooks the simulator posted to the gateway, oldest first.
#[utoipa::path(
    get,
    path = "/webhooks",
    tag = "sandbox",
    operation_id = "sandbox_webhooks",
    security(("admin_token" = [])),
    params(Since),
    responses(
        (status = 200, description = "The webhooks.", body = [WebhookRecord]),
        (status = 400, description = "`since` is not a number.", content_type = "text/plain",
            body = String),
        AdminTokenFailures,
    ),
)]
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
