//! Media the simulated users send. Like the Cloud API, `GET
//! /{version}/{media-id}` (with the business's token) answers the media's
//! URL, type, size and hash, and that URL (token again) answers the bytes.
//! The sandbox's media are small text files naming their id.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::Sim;
use super::meta_error::MetaError;

/// The bytes of a sandbox media id.
pub fn content(media_id: &str) -> Vec<u8> {
    format!("wagate sandbox media {media_id}\n").into_bytes()
}

impl Sim {
    /// Remembers the media a simulated user's message carries.
    pub(super) fn remember_media(&self, message: &serde_json::Value) {
        let Some(kind) = message["type"].as_str() else {
            return;
        };
        if !matches!(kind, "image" | "audio" | "video" | "document" | "sticker") {
            return;
        }
        if let Some(id) = message[kind]["id"].as_str() {
            let mime_type = message[kind]["mime_type"]
                .as_str()
                .unwrap_or("application/octet-stream");
            self.state()
                .remember_media(id.to_owned(), mime_type.to_owned());
        }
    }

    /// `GET /{version}/{media-id}`: where and what the media is.
    pub(super) fn media_info(&self, host: &str, media_id: &str, token: Option<&str>) -> Response {
        if token.is_none_or(str::is_empty) {
            return MetaError::unauthorized().into_response();
        }
        let Some(mime_type) = self.state().media_type(media_id) else {
            return MetaError::invalid_parameter(format!(
                "Unsupported get request. Object with ID '{media_id}' does not exist"
            ))
            .into_response();
        };
        let bytes = content(media_id);
        axum::Json(json!({
            "messaging_product": "whatsapp",
            "url": format!("http://{host}/sim/v1/media/{media_id}"),
            "mime_type": mime_type,
            "sha256": hex::encode(Sha256::digest(&bytes)),
            "file_size": bytes.len(),
            "id": media_id,
        }))
        .into_response()
    }

    /// The media's bytes (the URL `media_info` gave).
    pub(super) fn media_bytes(&self, media_id: &str, token: Option<&str>) -> Response {
        if token.is_none_or(str::is_empty) {
            return MetaError::unauthorized().into_response();
        }
        match self.state().media_type(media_id) {
            Some(mime_type) => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, mime_type)],
                content(media_id),
            )
                .into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        }
    }
}
