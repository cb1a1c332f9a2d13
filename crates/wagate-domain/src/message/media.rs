//! Media objects: the one check shared by image, audio, video, document and
//! sticker messages, interactive headers, carousel card headers and template
//! header parameters. Exactly one of `id` (an uploaded media id) or `link`
//! (an http(s) URL); `caption`, `filename` and `voice` only where the kind of
//! media and the place allow them.

use serde::Deserialize;

use crate::violation::{Path, Rule};

use super::check::Violations;
use super::limits::MEDIA_CAPTION_MAX;

/// A media object as the client sent it (LINK and Cloud API spell it alike).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct MediaObject {
    pub id: Option<String>,
    pub link: Option<String>,
    #[schema(max_length = 1024)]
    pub caption: Option<String>,
    pub filename: Option<String>,
    pub voice: Option<bool>,
}

/// Which media type an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MediaKind {
    Image,
    Audio,
    Video,
    Document,
    Sticker,
}

/// Where a media object sits: what else it may carry depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MediaUse {
    /// An image, audio, video, document or sticker message.
    Message,
    /// The header of an interactive message or media carousel card.
    InteractiveHeader,
    /// A template header parameter: LINK Parameter table, "Caption is not
    /// supported" for image, document and video.
    TemplateParameter,
}

/// A checked media object.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Media {
    pub(crate) source: MediaSource,
    pub(crate) caption: Option<String>,
    pub(crate) filename: Option<String>,
    pub(crate) voice: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum MediaSource {
    Id(String),
    Link(String),
}

impl MediaKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Audio => "audio",
            Self::Video => "video",
            Self::Document => "document",
            Self::Sticker => "sticker",
        }
    }

    fn has_caption(self) -> bool {
        matches!(self, Self::Image | Self::Video | Self::Document)
    }

    fn not_allowed_reason(self) -> &'static str {
        match self {
            Self::Image => "for an image",
            Self::Audio => "for audio",
            Self::Video => "for a video",
            Self::Document => "for a document",
            Self::Sticker => "for a sticker",
        }
    }
}

const ID_OR_LINK: &[&str] = &["id", "link"];

/// Checks a media object of `kind` used at `usage`.
pub(crate) fn validate(
    object: MediaObject,
    kind: MediaKind,
    usage: MediaUse,
    path: &Path,
    violations: &mut Violations,
) -> Option<Media> {
    let source = source(object.id, object.link, path, violations);

    let place = match usage {
        MediaUse::Message => None,
        MediaUse::InteractiveHeader => Some("in an interactive header"),
        MediaUse::TemplateParameter => Some("in a template parameter"),
    };
    let caption_ok = kind.has_caption() && usage != MediaUse::TemplateParameter;
    let filename_ok = kind == MediaKind::Document;
    let voice_ok = kind == MediaKind::Audio && usage == MediaUse::Message;
    let mut extras_ok = true;
    for (name, present, allowed, allowed_for_kind) in [
        (
            "caption",
            object.caption.is_some(),
            caption_ok,
            kind.has_caption(),
        ),
        (
            "filename",
            object.filename.is_some(),
            filename_ok,
            filename_ok,
        ),
        (
            "voice",
            object.voice.is_some(),
            voice_ok,
            kind == MediaKind::Audio,
        ),
    ] {
        if present && !allowed {
            let why = match place {
                Some(place) if allowed_for_kind => place,
                _ => kind.not_allowed_reason(),
            };
            violations.push(&path.field(name), Rule::NotAllowed(why));
            extras_ok = false;
        }
    }
    let caption =
        violations.optional_text(&path.field("caption"), object.caption, MEDIA_CAPTION_MAX)?;

    Some(Media {
        source: source?,
        caption,
        filename: object.filename,
        voice: object.voice,
    })
    .filter(|_| extras_ok)
}

fn source(
    id: Option<String>,
    link: Option<String>,
    path: &Path,
    violations: &mut Violations,
) -> Option<MediaSource> {
    match (id, link) {
        (Some(id), None) => violations
            .required_id(&path.field("id"), Some(id))
            .map(MediaSource::Id),
        (None, Some(link)) => violations
            .required_url(&path.field("link"), Some(link))
            .map(MediaSource::Link),
        _ => {
            violations.push(path, Rule::ExactlyOneOf(ID_OR_LINK));
            None
        }
    }
}
