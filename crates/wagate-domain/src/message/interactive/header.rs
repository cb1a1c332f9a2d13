//! The header of an interactive message or media carousel card: `type` and
//! the field named after it: `text` (≤60 characters) or an image, video or
//! document media object (the shared media check). Which types a message
//! allows is decided by the caller.

use serde::Deserialize;

use crate::violation::Path;

use super::super::check::{Keyword, Violations};
use super::super::limits::INTERACTIVE_HEADER_TEXT_MAX;
use super::super::media::{self, Media, MediaKind, MediaObject, MediaUse};

/// `header` as the client sent it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct HeaderObject {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[schema(max_length = 60)]
    pub text: Option<String>,
    pub image: Option<MediaObject>,
    pub video: Option<MediaObject>,
    pub document: Option<MediaObject>,
}

/// A checked header.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Header {
    Text(String),
    Media(MediaKind, Media),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeaderType {
    Text,
    Image,
    Video,
    Document,
}

impl Keyword for HeaderType {
    const NAMES: &'static [&'static str] = &["text", "image", "video", "document"];
    const ALL: &'static [Self] = &[Self::Text, Self::Image, Self::Video, Self::Document];
}

impl Header {
    /// `"text"`, `"image"`, …
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Self::Text(_) => "text",
            Self::Media(kind, _) => kind.name(),
        }
    }
}

/// Checks a header whose `type` must be one of `allowed`.
pub(crate) fn validate(
    object: HeaderObject,
    path: &Path,
    allowed: &'static [&'static str],
    violations: &mut Violations,
) -> Option<Header> {
    let kind = violations.keyword_in::<HeaderType>(
        &path.field("type"),
        object.kind.as_deref(),
        allowed,
    )?;
    let alone = violations.forbid(
        path,
        &[
            ("text", object.text.is_some(), HeaderType::Text),
            ("image", object.image.is_some(), HeaderType::Image),
            ("video", object.video.is_some(), HeaderType::Video),
            ("document", object.document.is_some(), HeaderType::Document),
        ]
        .map(|(name, present, owner)| (name, present && owner != kind)),
        "for this header type",
    );
    let (media_kind, media_object) = match kind {
        HeaderType::Text => {
            return violations
                .required_text(
                    &path.field("text"),
                    object.text,
                    INTERACTIVE_HEADER_TEXT_MAX,
                )
                .map(Header::Text)
                .filter(|_| alone);
        }
        HeaderType::Image => (MediaKind::Image, object.image),
        HeaderType::Video => (MediaKind::Video, object.video),
        HeaderType::Document => (MediaKind::Document, object.document),
    };
    let media_path = path.field(media_kind.name());
    let media_object = violations.required(&media_path, media_object)?;
    media::validate(
        media_object,
        media_kind,
        MediaUse::InteractiveHeader,
        &media_path,
        violations,
    )
    .map(|media| Header::Media(media_kind, media))
    .filter(|_| alone)
}
