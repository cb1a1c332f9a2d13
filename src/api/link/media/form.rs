//! Reading an upload's `multipart/form-data` body: the body bounded by
//! `--media-upload-max-bytes`, its parts one after the other, the short
//! text parts kept (each at most [`MAX_TEXT_PART`] bytes), and what goes
//! wrong on the way as a LINK error.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{FromRequest, Multipart, Request};
use http_body_util::{LengthLimitError, Limited};
use wagate_domain::{Rule, Violation};

use crate::api::AppState;
use crate::api::link::error::LinkError;
use crate::api::protocol::ProtocolError;
use crate::http_server::body::{BodyDeadline, BodyReadTimeout};

/// The longest text part (`source`, `platformId`, …), in bytes.
pub const MAX_TEXT_PART: usize = 256;

/// An upload's parts, in the order they come.
pub struct UploadForm {
    parts: Multipart,
    limit: usize,
}

impl UploadForm {
    /// The request's body as parts, bounded by the upload body limit and
    /// given the upload's timeout to arrive.
    pub async fn open(request: Request, state: &AppState) -> Result<Self, LinkError> {
        if let Some(deadline) = request.extensions().get::<BodyDeadline>() {
            deadline.extend(state.media_uploads.timeout);
        }
        let limit = state.media_uploads.max_body_bytes;
        let request = request.map(|body| Body::new(Limited::new(body, limit)));
        let parts = Multipart::from_request(request, state)
            .await
            .map_err(|rejection| {
                LinkError::File(Violation::new(
                    "",
                    Rule::Type(format!(
                        "the body must be multipart/form-data: {}",
                        rejection.body_text()
                    )),
                ))
            })?;
        Ok(Self { parts, limit })
    }

    /// The next part, if there is one.
    pub async fn next(&mut self) -> Result<Option<Field<'_>>, LinkError> {
        let limit = self.limit;
        self.parts
            .next_field()
            .await
            .map_err(|error| read_error(&error, limit))
    }
}

/// Why reading a part failed: the body too slow (408) or too large (413),
/// else a malformed body (112502).
pub fn read_error(error: &MultipartError, limit: usize) -> LinkError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if let Some(BodyReadTimeout(timeout)) = cause.downcast_ref::<BodyReadTimeout>() {
            return ProtocolError::BodyTimeout(*timeout).into();
        }
        if cause.is::<LengthLimitError>() {
            return ProtocolError::TooLarge { limit }.into();
        }
        source = cause.source();
    }
    LinkError::File(Violation::new(
        "",
        Rule::Type(format!("the multipart body could not be read: {error}")),
    ))
}

/// The text parts of an upload, by name.
#[derive(Debug, Default)]
pub struct TextParts {
    values: HashMap<&'static str, String>,
}

impl TextParts {
    /// Reads `field` if `wanted` names it, else skips it; `limit` is the
    /// body's (for the error when it is passed).
    pub async fn read(
        &mut self,
        mut field: Field<'_>,
        wanted: &[&'static str],
        limit: usize,
    ) -> Result<(), LinkError> {
        let Some(name) = wanted
            .iter()
            .copied()
            .find(|name| field.name() == Some(*name))
        else {
            while field
                .chunk()
                .await
                .map_err(|error| read_error(&error, limit))?
                .is_some()
            {}
            return Ok(());
        };
        let mut text = Vec::new();
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|error| read_error(&error, limit))?
        {
            if text.len() + chunk.len() > MAX_TEXT_PART {
                return Err(LinkError::File(Violation::new(
                    name,
                    Rule::MaxLength(MAX_TEXT_PART),
                )));
            }
            text.extend_from_slice(&chunk);
        }
        let text = String::from_utf8(text)
            .map_err(|_| LinkError::File(Violation::new(name, Rule::Format("UTF-8 text"))))?;
        let text = text.trim();
        if text.is_empty() {
            return Err(LinkError::File(Violation::new(name, Rule::NotEmpty)));
        }
        self.values.insert(name, text.to_owned());
        Ok(())
    }

    /// The first of `required` that has not come.
    pub fn first_missing(&self, required: &[&'static str]) -> Option<&'static str> {
        required
            .iter()
            .copied()
            .find(|name| !self.values.contains_key(name))
    }

    /// A part's text ("" when it has not come).
    pub fn get(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }
}

/// The file name the client gave the `media` part, else `media`.
pub fn file_name(field: &Field<'_>) -> String {
    field
        .file_name()
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .unwrap_or("media")
        .to_owned()
}
