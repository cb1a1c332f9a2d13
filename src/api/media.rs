//! `GET /media/v1/{phone-number-id}/{media-id}?expires=…&signature=…`: the
//! media a user sent, fetched from the Cloud API with the business's token
//! when a gate follows the URL its incoming message carried (see
//! [`crate::media_url`]), streamed through without being held in memory.
//! A wrong or expired signature is 403.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use crate::clock::now_millis;

/// The signature of a media URL.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Signed {
    /// Unix milliseconds after which the URL is refused.
    #[param(example = 1767225600000_i64)]
    expires: Option<i64>,
    /// The URL's signature.
    signature: Option<String>,
}

/// `/media/v1/…` in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(media),
    tags((name = "media", description = "The media of incoming messages, by signed URL.")),
)]
pub struct MediaApi;

/// The media a user sent, as the signed URL of an incoming message names
/// it: fetched from the Cloud API with the business's token and streamed
/// through.
#[utoipa::path(
    get,
    path = "/{phone_number_id}/{media_id}",
    tag = "media",
    params(
        ("phone_number_id" = String, Path, description = "The business number's Cloud API id."),
        ("media_id" = String, Path, description = "Meta's media id."),
        Signed,
    ),
    responses(
        (status = 200, description = "The file, with Meta's type as `Content-Type`, as an \
            attachment.", content_type = "*/*"),
        (status = 400, description = "A query that cannot be read (`expires` not a number).",
            content_type = "text/plain", body = String),
        (status = 403, description = "A missing, wrong or expired signature.",
            content_type = "text/plain", body = String,
            example = "missing, wrong or expired signature"),
        (status = 404, description = "No such business number, or no access token for it.",
            content_type = "text/plain", body = String, example = "no such business number"),
        (status = 500, description = "The store failed. No body."),
        (status = 502, description = "The Cloud API did not hand out the media.",
            content_type = "text/plain", body = String,
            example = "the Cloud API did not hand out the media"),
    ),
)]
pub async fn media(
    State(state): State<AppState>,
    Path((phone_number_id, media_id)): Path<(String, String)>,
    Query(signed): Query<Signed>,
) -> Response {
    let genuine = match (signed.expires, signed.signature.as_deref()) {
        (Some(expires), Some(signature)) => state.media_urls.check(
            &phone_number_id,
            &media_id,
            expires,
            signature,
            now_millis(),
        ),
        _ => false,
    };
    if !genuine {
        return (StatusCode::FORBIDDEN, "missing, wrong or expired signature").into_response();
    }
    let source = match state
        .store
        .source_by_phone_number_id(&phone_number_id)
        .await
    {
        Ok(source) => source,
        Err(error) => {
            tracing::error!(%error, "reading a source failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let Some(source) = source else {
        return (StatusCode::NOT_FOUND, "no such business number").into_response();
    };
    let token = source
        .access_token
        .or_else(|| state.default_access_token.as_deref().map(str::to_owned));
    let Some(token) = token else {
        return (StatusCode::NOT_FOUND, "no access token for this number").into_response();
    };
    match state.cloud_api.media(&media_id, &token).await {
        Ok(download) => {
            let mut headers = vec![
                (header::CONTENT_TYPE, download.mime_type),
                (header::CACHE_CONTROL, "private, max-age=300".to_owned()),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
                (header::CONTENT_DISPOSITION, "attachment".to_owned()),
            ];
            if let Some(length) = download.length {
                headers.push((header::CONTENT_LENGTH, length.to_string()));
            }
            let mut response = Body::from_stream(download.response.bytes_stream()).into_response();
            for (name, value) in headers {
                if let Ok(value) = value.parse() {
                    response.headers_mut().insert(name, value);
                }
            }
            response
        }
        Err(error) => {
            tracing::warn!(%media_id, %error, "fetching media from the Cloud API failed");
            (
                StatusCode::BAD_GATEWAY,
                "the Cloud API did not hand out the media",
            )
                .into_response()
        }
    }
}
