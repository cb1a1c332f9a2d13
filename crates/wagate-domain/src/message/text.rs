//! The text message: `text.body` (required, at most 4096 characters) and the
//! link preview switch, which LINK puts beside `text` (`previewUrl`) and the
//! Cloud API inside it (`text.preview_url`); both are accepted.

use serde::Deserialize;

use crate::violation::Path;

use super::check::Violations;
use super::limits::TEXT_BODY_MAX;

/// `text` as the client sent it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct TextObject {
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 4096,
        example = "Hello from wagate"
    )]
    pub body: Option<String>,
    #[serde(rename = "preview_url", alias = "previewUrl")]
    pub preview_url: Option<bool>,
}

/// A checked text message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Text {
    pub(crate) body: String,
    pub(crate) preview_url: Option<bool>,
}

/// `outer_preview_url` is the message-level `previewUrl`; one inside `text`
/// wins over it.
pub(crate) fn validate(
    object: TextObject,
    outer_preview_url: Option<bool>,
    path: &Path,
    violations: &mut Violations,
) -> Option<Text> {
    let body = violations.required_text(&path.field("body"), object.body, TEXT_BODY_MAX)?;
    Some(Text {
        body,
        preview_url: object.preview_url.or(outer_preview_url),
    })
}
