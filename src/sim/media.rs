//! Media ids the simulator knows: uploaded by a business (see
//! [`super::upload`]) or sent by simulated users. Like the Cloud API, `GET
//! /{version}/{media-id}` (with the business's token; `?phone_number_id=`
//! checks the owner) answers the media's URL, type, size and hash, and that
//! URL (token again) answers the bytes. Users' media are small text files
//! naming their id; the bytes of uploaded media are not kept (only their
//! size and hash), so their URL answers 404.
//!
//! A send naming a media id the sending number does not know is accepted
//! and then fails with error 131053, as at Meta ([`Sim::unknown_media`]).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::Sim;
use super::meta_error::MetaError;
use super::state::MediaRecord;

/// The bytes of a sandbox media id a user sent.
pub fn content(media_id: &str) -> Vec<u8> {
    format!("wagate sandbox media {media_id}\n").into_bytes()
}

/// The message fields that hold a media object (`{"id"}` or `{"link"}`).
const MEDIA_FIELDS: [&str; 5] = ["image", "audio", "video", "document", "sticker"];

impl Sim {
    /// Remembers the media a simulated user's message to `phone_number_id`
    /// carries.
    pub(super) fn remember_media(&self, phone_number_id: &str, message: &Value) {
        let Some(kind) = message["type"].as_str() else {
            return;
        };
        if !MEDIA_FIELDS.contains(&kind) {
            return;
        }
        if let Some(id) = message[kind]["id"].as_str() {
            let mime_type = message[kind]["mime_type"]
                .as_str()
                .unwrap_or("application/octet-stream");
            let bytes = content(id);
            self.state().remember_media(MediaRecord {
                id: id.to_owned(),
                phone_number_id: phone_number_id.to_owned(),
                mime_type: mime_type.to_owned(),
                file_size: bytes.len() as u64,
                sha256: hex::encode(Sha256::digest(&bytes)),
                uploaded: false,
            });
        }
    }

    /// The first media id in a send body (the message's own media, a
    /// template's or an interactive header's) that `phone_number_id` does
    /// not know.
    pub(super) fn unknown_media(&self, phone_number_id: &str, body: &Value) -> Option<String> {
        let mut ids = Vec::new();
        media_ids(body, &mut ids);
        let state = self.state();
        ids.into_iter()
            .find(|id| {
                state
                    .media(id)
                    .is_none_or(|media| media.phone_number_id != phone_number_id)
            })
            .map(str::to_owned)
    }

    /// What is known of a media id (`GET /sim/v1/media/{id}`).
    pub fn media_record(&self, media_id: &str) -> Option<MediaRecord> {
        self.state().media(media_id)
    }

    /// `GET /{version}/{media-id}`: where and what the media is.
    pub(super) fn media_info(
        &self,
        host: &str,
        media_id: &str,
        owner: Option<&str>,
        token: Option<&str>,
    ) -> Response {
        if token.is_none_or(str::is_empty) {
            return MetaError::unauthorized().into_response();
        }
        let media = self
            .state()
            .media(media_id)
            .filter(|media| owner.is_none_or(|owner| owner == media.phone_number_id));
        let Some(media) = media else {
            return MetaError::invalid_parameter(format!(
                "Unsupported get request. Object with ID '{media_id}' does not exist"
            ))
            .into_response();
        };
        axum::Json(json!({
            "messaging_product": "whatsapp",
            "url": format!("http://{host}/sim/v1/media/{media_id}/bytes"),
            "mime_type": media.mime_type,
            "sha256": media.sha256,
            "file_size": media.file_size,
            "id": media_id,
        }))
        .into_response()
    }

    /// The media's bytes (the URL `media_info` gave): those of users' media.
    pub(super) fn media_bytes(&self, media_id: &str, token: Option<&str>) -> Response {
        if token.is_none_or(str::is_empty) {
            return MetaError::unauthorized().into_response();
        }
        match self.state().media(media_id) {
            Some(media) if !media.uploaded => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, media.mime_type)],
                content(media_id),
            )
                .into_response(),
            _ => StatusCode::NOT_FOUND.into_response(),
        }
    }
}

/// Collects the `id` of every media object in `value`.
fn media_ids<'a>(value: &'a Value, ids: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                if MEDIA_FIELDS.contains(&key.as_str())
                    && let Some(id) = value.get("id").and_then(Value::as_str)
                {
                    ids.push(id);
                }
                media_ids(value, ids);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| media_ids(item, ids)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_ids_are_found_wherever_a_message_names_one() {
        let body = json!({
            "type": "template",
            "image": {"id": "1"},
            "template": {"components": [{"type": "header", "parameters": [
                {"type": "document", "document": {"id": "2", "filename": "a.pdf"}},
                {"type": "video", "video": {"link": "https://example.com/v.mp4"}}
            ]}]},
            "interactive": {"header": {"type": "image", "image": {"id": "3"}},
                            "action": {"sections": [{"rows": [{"id": "row-1"}]}]}},
            "context": {"message_id": "wamid.x"}
        });
        let mut ids = Vec::new();
        media_ids(&body, &mut ids);
        ids.sort_unstable();
        assert_eq!(ids, ["1", "2", "3"]);
    }
}
