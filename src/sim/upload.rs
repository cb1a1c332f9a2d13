//! Media uploads, as the Cloud API takes them:
//!
//! - `POST /{version}/{phone-number-id}/media`, multipart
//!   `messaging_product=whatsapp`, `type` (the MIME type; the file part's
//!   own type when absent) and `file`: answers `{"id": "<media id>"}`.
//! - the Resumable Upload API: `POST /{version}/{app-id}/uploads?file_name=
//!   &file_length=&file_type=` answers `{"id": "upload:…"}`; `POST
//!   /{version}/upload:…` with `Authorization: OAuth <token>` (or Bearer),
//!   `file_offset` (where this part starts: what came so far) and the bytes
//!   answers `{"h": "<handle>"}` once `file_length` bytes came, else
//!   `{"id", "file_offset"}`; `GET /{version}/upload:…` answers the
//!   latter.
//!
//! Meta's types and size limits ([`META_UPLOAD_TYPES`]) are checked while
//! the bytes stream in: they are counted and hashed, never kept, so an
//! upload costs no memory beyond a chunk. The media ids and handles are
//! remembered (bounded, see [`super::state`]) with their size and hash.

use axum::body::{Body, Bytes};
use axum::extract::Multipart;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;
use serde_json::json;
use sha2::{Digest, Sha256};
use wagate_domain::media_type::{self, KB, MB, MediaType};

use super::Sim;
use super::meta_error::MetaError;
use super::state::{MediaRecord, UploadSession};

const fn of(mime: &'static str, max_bytes: u64) -> MediaType {
    MediaType { mime, max_bytes }
}

/// Meta's supported media types and their limits (Cloud API "Supported
/// media types"); a sticker's limit is the animated one.
pub const META_UPLOAD_TYPES: &[MediaType] = &[
    of("audio/aac", 16 * MB),
    of("audio/amr", 16 * MB),
    of("audio/mpeg", 16 * MB),
    of("audio/mp4", 16 * MB),
    of("audio/ogg", 16 * MB),
    of("text/plain", 100 * MB),
    of("application/vnd.ms-excel", 100 * MB),
    of(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        100 * MB,
    ),
    of("application/msword", 100 * MB),
    of(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        100 * MB,
    ),
    of("application/vnd.ms-powerpoint", 100 * MB),
    of(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        100 * MB,
    ),
    of("application/pdf", 100 * MB),
    of("image/jpeg", 5 * MB),
    of("image/png", 5 * MB),
    of("image/webp", 500 * KB),
    of("video/3gpp", 16 * MB),
    of("video/mp4", 16 * MB),
];

/// The file types a resumable upload session takes, and their limits.
pub const META_RESUMABLE_TYPES: &[MediaType] = &[
    of("application/pdf", 100 * MB),
    of("image/jpeg", 5 * MB),
    of("image/jpg", 5 * MB),
    of("image/png", 5 * MB),
    of("video/mp4", 16 * MB),
];

/// The longest text part read (`messaging_product`, `type`).
const MAX_TEXT_PART: usize = 256;

/// A file streamed in: how many bytes and their hash.
struct Received {
    size: u64,
    sha256: String,
}

impl Sim {
    /// `POST /{version}/{phone-number-id}/media`.
    pub(super) async fn upload_media(
        &self,
        phone_number_id: &str,
        token: Option<&str>,
        mut form: Multipart,
    ) -> Response {
        if token.is_none_or(|token| token.trim().is_empty()) {
            return MetaError::unauthorized().into_response();
        }
        let mut messaging_product = None;
        let mut declared_type = None;
        let mut file: Option<(Option<String>, Received)> = None;
        let largest = media_type::largest(META_UPLOAD_TYPES);
        loop {
            let field = match form.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(error) => return unreadable(&error.to_string()),
            };
            let name = field.name().unwrap_or_default().to_owned();
            match name.as_str() {
                "messaging_product" | "type" => {
                    let text = match read_text(field).await {
                        Ok(text) => text,
                        Err(response) => return response,
                    };
                    if name == "type" {
                        declared_type = Some(text);
                    } else {
                        messaging_product = Some(text);
                    }
                }
                "file" => {
                    let part_type = field.content_type().map(str::to_owned);
                    let chunks = field.map(|chunk| chunk.map_err(|error| error.to_string()));
                    match self.receive(chunks, largest).await {
                        Ok(received) => file = Some((part_type, received)),
                        Err(response) => return response,
                    }
                }
                _ => {
                    let mut rest = field;
                    while let Ok(Some(_)) = rest.chunk().await {}
                }
            }
        }
        if messaging_product.as_deref() != Some("whatsapp") {
            return MetaError::invalid_parameter(
                "The parameter messaging_product is required and must be whatsapp.",
            )
            .into_response();
        }
        let Some((part_type, received)) = file else {
            return MetaError::invalid_parameter("The parameter file is required.").into_response();
        };
        let mime = declared_type.or(part_type).unwrap_or_default();
        let kind = match checked_type(META_UPLOAD_TYPES, &mime, received.size) {
            Ok(kind) => kind,
            Err(error) => return error.into_response(),
        };
        let id = super::ids::media_id();
        self.state().remember_media(MediaRecord {
            id: id.clone(),
            phone_number_id: phone_number_id.to_owned(),
            mime_type: kind.mime.to_owned(),
            file_size: received.size,
            sha256: received.sha256,
            uploaded: true,
        });
        tracing::debug!(phone_number_id, media_id = %id, size = received.size, "simulated media upload");
        axum::Json(json!({ "id": id })).into_response()
    }

    /// Counts and hashes the chunks of a file, counting them in the stats
    /// as they come; past `max` bytes the upload is refused.
    async fn receive<S>(&self, mut chunks: S, max: u64) -> Result<Received, Response>
    where
        S: futures_util::Stream<Item = Result<Bytes, String>> + Unpin,
    {
        let mut hasher = Sha256::new();
        let size = self.hash_chunks(&mut chunks, &mut hasher, max).await?;
        Ok(Received {
            size,
            sha256: hex::encode(hasher.finalize()),
        })
    }

    /// Feeds `chunks` into `hasher`, at most `max` bytes; answers how many
    /// came.
    async fn hash_chunks<S>(
        &self,
        chunks: &mut S,
        hasher: &mut Sha256,
        max: u64,
    ) -> Result<u64, Response>
    where
        S: futures_util::Stream<Item = Result<Bytes, String>> + Unpin,
    {
        let mut size = 0u64;
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|error| unreadable(&error))?;
            size = size.saturating_add(chunk.len() as u64);
            self.state().count_upload_bytes(chunk.len() as u64);
            if size > max {
                return Err(MetaError::invalid_parameter(format!(
                    "The file is larger than {max} bytes, the largest file the Cloud API takes."
                ))
                .into_response());
            }
            hasher.update(&chunk);
        }
        Ok(size)
    }

    /// `POST /{version}/{app-id}/uploads?file_name=&file_length=&file_type=`.
    pub(super) fn open_upload_session(
        &self,
        app_id: &str,
        token: Option<&str>,
        file_length: Option<&str>,
        file_type: Option<&str>,
    ) -> Response {
        if token.is_none_or(|token| token.trim().is_empty()) {
            return MetaError::unauthorized().into_response();
        }
        let Some(file_length) = file_length
            .and_then(|length| length.parse::<u64>().ok())
            .filter(|length| *length > 0)
        else {
            return MetaError::invalid_parameter(
                "The parameter file_length is required and must be a positive integer.",
            )
            .into_response();
        };
        let kind = match checked_type(
            META_RESUMABLE_TYPES,
            file_type.unwrap_or_default(),
            file_length,
        ) {
            Ok(kind) => kind,
            Err(error) => return error.into_response(),
        };
        let id = format!("upload:{}", super::ids::upload_session());
        self.state().open_upload_session(
            id.clone(),
            UploadSession {
                app_id: app_id.to_owned(),
                file_type: kind.mime.to_owned(),
                file_length,
                offset: 0,
                hasher: Sha256::new(),
            },
        );
        axum::Json(json!({ "id": id })).into_response()
    }

    /// `POST /{version}/upload:…`: a part of the file, from `file_offset`.
    pub(super) async fn upload_to_session(
        &self,
        session_id: &str,
        token: Option<&str>,
        file_offset: Option<&str>,
        body: Body,
    ) -> Response {
        if token.is_none_or(|token| token.trim().is_empty()) {
            return MetaError::unauthorized().into_response();
        }
        let Some(mut session) = self.state().take_upload_session(session_id) else {
            return no_session(session_id);
        };
        if file_offset.and_then(|offset| offset.trim().parse::<u64>().ok()) != Some(session.offset)
        {
            let offset = session.offset;
            self.state()
                .open_upload_session(session_id.to_owned(), session);
            return MetaError::invalid_parameter(format!(
                "The header file_offset must be {offset}, the bytes received so far."
            ))
            .into_response();
        }
        let room = session.file_length - session.offset;
        let mut chunks = body
            .into_data_stream()
            .map(|chunk| chunk.map_err(|error| error.to_string()));
        let received = match self
            .hash_chunks(&mut chunks, &mut session.hasher, room)
            .await
        {
            Ok(received) => received,
            // The session is dropped: its hash no longer matches what came.
            Err(response) => return response,
        };
        session.offset += received;
        if session.offset < session.file_length {
            let offset = session.offset;
            self.state()
                .open_upload_session(session_id.to_owned(), session);
            return axum::Json(json!({ "id": session_id, "file_offset": offset })).into_response();
        }
        let handle = format!("4:{}", super::ids::upload_session());
        tracing::debug!(app_id = %session.app_id, size = session.offset, "simulated resumable upload");
        self.state().remember_media(MediaRecord {
            id: handle.clone(),
            phone_number_id: session.app_id.clone(),
            mime_type: session.file_type,
            file_size: session.offset,
            sha256: hex::encode(session.hasher.finalize()),
            uploaded: true,
        });
        axum::Json(json!({ "h": handle })).into_response()
    }

    /// `GET /{version}/upload:…`: how far the session came.
    pub(super) fn upload_session_status(&self, session_id: &str, token: Option<&str>) -> Response {
        if token.is_none_or(|token| token.trim().is_empty()) {
            return MetaError::unauthorized().into_response();
        }
        match self.state().upload_session_offset(session_id) {
            Some(offset) => {
                axum::Json(json!({ "id": session_id, "file_offset": offset })).into_response()
            }
            None => no_session(session_id),
        }
    }
}

/// The entry of `table` for `mime`, if a file of `size` bytes fits it.
fn checked_type(table: &[MediaType], mime: &str, size: u64) -> Result<MediaType, MetaError> {
    let Some(kind) = media_type::find(table, mime) else {
        let names: Vec<_> = table.iter().map(|kind| kind.mime).collect();
        return Err(MetaError::invalid_parameter(format!(
            "Param file must be a file with one of the following types: {}. Received file of type '{mime}'.",
            names.join(", ")
        )));
    };
    if size > kind.max_bytes {
        return Err(MetaError::invalid_parameter(format!(
            "The file is {size} bytes; files of type {} may have at most {} bytes.",
            kind.mime, kind.max_bytes
        )));
    }
    Ok(kind)
}

/// A short text part, or Meta's error when it is longer or not UTF-8.
async fn read_text(mut field: axum::extract::multipart::Field<'_>) -> Result<String, Response> {
    let mut text = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|error| unreadable(&error.to_string()))?
    {
        if text.len() + chunk.len() > MAX_TEXT_PART {
            return Err(MetaError::invalid_parameter(format!(
                "The parameter {} is longer than {MAX_TEXT_PART} bytes.",
                field.name().unwrap_or_default()
            ))
            .into_response());
        }
        text.extend_from_slice(&chunk);
    }
    String::from_utf8(text)
        .map(|text| text.trim().to_owned())
        .map_err(|_| MetaError::invalid_parameter("A text parameter is not UTF-8.").into_response())
}

fn unreadable(why: &str) -> Response {
    MetaError::invalid_parameter(format!("The request could not be read: {why}")).into_response()
}

fn no_session(session_id: &str) -> Response {
    MetaError::invalid_parameter(format!(
        "Unsupported request. Upload session '{session_id}' does not exist"
    ))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metas_types_and_limits_are_checked() {
        let ok = checked_type(META_UPLOAD_TYPES, "image/png", 5 * MB).expect("5 MB PNG");
        assert_eq!(ok.mime, "image/png");
        // Meta's image limit is 5 MB, under LINK's 16 MB.
        let over = checked_type(META_UPLOAD_TYPES, "image/png", 5 * MB + 1).expect_err("over");
        assert_eq!(over.code, 100);
        assert!(
            over.details
                .is_some_and(|details| details.contains("5242880"))
        );
        let gif = checked_type(META_UPLOAD_TYPES, "image/gif", 1).expect_err("a GIF");
        assert!(
            gif.details
                .is_some_and(|details| details.starts_with("Param file must be a file with one of"))
        );
        assert!(checked_type(META_RESUMABLE_TYPES, "audio/ogg", 1).is_err());
        assert!(checked_type(META_RESUMABLE_TYPES, "image/jpg", 1).is_ok());
    }
}
