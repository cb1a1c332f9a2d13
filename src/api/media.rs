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

#[derive(Deserialize)]
pub struct Signed {
    expires: Option<i64>,
    signature: Option<String>,
}

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
