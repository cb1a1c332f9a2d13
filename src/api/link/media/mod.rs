//! `POST /whatsapp-message/media` and `POST /whatsapp-message/media/resumable`:
//! a business uploads a file through the Cloud API (LINK v1.9.4 "Upload
//! Media"), to send it by id or to use its handle in a template.
//!
//! Both take `multipart/form-data` with the parts `source`, `platformId`,
//! `platformPartnerId` and `media` (the file); the normal upload also
//! `mediaContentType`, whose type picks the largest file allowed (see
//! [`wagate_domain::media_type`]). The source must be a number of the
//! user's account (else `403 112401`). A missing part, an unsupported type
//! or a file over its type's limit is `400 112502`; Meta's refusal `400
//! 112501` with Meta's message; no answer from Meta `400 112503`. Errors
//! come in the spec's upload error body ([`MediaUploadError`]).
//!
//! Files are never held whole in memory:
//! - normal ([`stream`]): the text parts must come **before** `media` (as
//!   the spec lists them, and as `curl -F` and form libraries send them in
//!   the order given), so that the limit is known when the file starts; the
//!   file then flows to the Cloud API chunk by chunk as it arrives, counted,
//!   and the upload is cut off with `112502` as soon as it passes the limit.
//!   A `media` part before the others is refused with `112502` naming the
//!   part that should have come first.
//! - resumable ([`spool`]): Meta's Resumable Upload API wants the file's
//!   length before its bytes, and a multipart part does not say it; the
//!   file is spooled to an unlinked temporary file (bounded by its type's
//!   limit, so at most 100 MB of disk per upload in progress), then
//!   streamed from there. Parts may come in any order; the type is the
//!   `media` part's own `Content-Type`.
//!
//! The whole request body is bounded by `--media-upload-max-bytes` (the
//! other routes keep `--max-body-bytes`); the client's body may take
//! `--media-upload-timeout` (not `--body-read-timeout`) to arrive, and the
//! upload to the Cloud API as long.

pub mod form;
pub mod spool;
pub mod stream;

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::routing::post;
use serde::Serialize;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{KnownFormat, RefOr};
use wagate_domain::media_type::{
    self, LINK_UPLOAD_MIMES, LINK_UPLOAD_TYPES, RESUMABLE_UPLOAD_MIMES,
};
use wagate_domain::{Rule, Violation};

use super::auth::LinkUser;
use super::error::{LinkError, MediaUploadError};
use super::management::UploadFailures;
use super::source_path::{NamedSource, cloud_target};
use crate::api::AppState;
use crate::store::Account;
use crate::upstream::meta::media_upload::Upload;
use form::{TextParts, UploadForm};

/// How uploads are bounded, and the Meta app of resumable uploads.
#[derive(Debug, Clone)]
pub struct UploadSettings {
    /// The largest upload request body, all parts together.
    pub max_body_bytes: usize,
    /// How long one upload may take, from the request's body to Meta's answer.
    pub timeout: Duration,
    /// The Meta app whose upload sessions resumable uploads use.
    pub app_id: Option<Arc<str>>,
}

/// The upload routes, with their own body limit (see [`form::open`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/media", post(upload))
        .route("/media/resumable", post(upload_resumable))
        .layer(DefaultBodyLimit::disable())
}

/// The parts the normal upload needs before `media`.
const NORMAL_PARTS: &[&str] = &[
    "source",
    "platformId",
    "platformPartnerId",
    "mediaContentType",
];
/// The text parts of the resumable upload.
const RESUMABLE_PARTS: &[&str] = &["source", "platformId", "platformPartnerId"];

/// Uploads a file to the Cloud API for the source, to send it by id; the
/// file flows through as it arrives. The text parts must come before
/// `media`.
#[utoipa::path(
    post,
    path = "/media",
    tag = "LINK media",
    operation_id = "upload_media",
    security(("link_basic" = [])),
    request_body(content = UploadParts, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The media id.", content_type = "text/plain",
            body = String, example = "1234567890123456"),
        UploadFailures,
    ),
)]
pub async fn upload(
    State(state): State<AppState>,
    user: Result<LinkUser, LinkError>,
    request: Request,
) -> Result<String, MediaUploadError> {
    let LinkUser { account, .. } = user?;
    let limit = state.media_uploads.max_body_bytes;
    let mut form = UploadForm::open(request, &state).await?;
    let mut texts = TextParts::default();
    while let Some(field) = form.next().await? {
        if field.name() != Some("media") {
            texts.read(field, NORMAL_PARTS, limit).await?;
            continue;
        }
        if let Some(missing) = texts.first_missing(NORMAL_PARTS) {
            return Err(LinkError::File(Violation::new(
                missing,
                Rule::Format("a part sent before media"),
            ))
            .into());
        }
        let declared = texts.get("mediaContentType");
        let kind = media_type::find(LINK_UPLOAD_TYPES, declared).ok_or_else(|| {
            LinkError::File(Violation::new(
                "mediaContentType",
                Rule::OneOf(LINK_UPLOAD_MIMES),
            ))
        })?;
        let (phone_number_id, token) = business_number(&state, &account, &texts).await?;
        let file_name = form::file_name(&field);
        let settings = &state.media_uploads;
        let id = stream::to_meta(field, kind, limit, |body| {
            state.cloud_api.upload_media(
                &phone_number_id,
                &token,
                Upload {
                    file_name,
                    mime_type: kind.mime.to_owned(),
                    body,
                },
                settings.timeout,
            )
        })
        .await?;
        tracing::info!(%phone_number_id, media_id = %id, "media uploaded");
        return Ok(id);
    }
    let missing = texts.first_missing(NORMAL_PARTS).unwrap_or("media");
    Err(LinkError::File(Violation::new(missing, Rule::Required)).into())
}

/// The answer of a resumable upload.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResumableHandle {
    /// The uploaded file's handle, for templates (e.g. a carousel's
    /// header) and the business profile's picture.
    #[schema(example = "4:bGlua2xvZ28uce_eher2RE...")]
    pub h: String,
}

/// Uploads a file through Meta's Resumable Upload API and answers its
/// handle. The parts may come in any order; the file is spooled to disk
/// first.
#[utoipa::path(
    post,
    path = "/media/resumable",
    tag = "LINK media",
    operation_id = "upload_media_resumable",
    security(("link_basic" = [])),
    request_body(content = ResumableUploadParts, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The file's handle.", body = ResumableHandle),
        UploadFailures,
    ),
)]
pub async fn upload_resumable(
    State(state): State<AppState>,
    user: Result<LinkUser, LinkError>,
    request: Request,
) -> Result<Json<ResumableHandle>, MediaUploadError> {
    let LinkUser { account, .. } = user?;
    let limit = state.media_uploads.max_body_bytes;
    let mut form = UploadForm::open(request, &state).await?;
    let mut texts = TextParts::default();
    let mut spooled = None;
    while let Some(field) = form.next().await? {
        if field.name() != Some("media") {
            texts.read(field, RESUMABLE_PARTS, limit).await?;
            continue;
        }
        if spooled.is_some() {
            return Err(LinkError::File(Violation::new("media", Rule::MaxItems(1))).into());
        }
        let declared = field.content_type().unwrap_or_default().to_owned();
        let kind =
            media_type::find(media_type::RESUMABLE_UPLOAD_TYPES, &declared).ok_or_else(|| {
                LinkError::File(Violation::new("media", Rule::OneOf(RESUMABLE_UPLOAD_MIMES)))
            })?;
        let file_name = form::file_name(&field);
        spooled = Some((spool::to_disk(field, kind, limit).await?, kind, file_name));
    }
    if let Some(missing) = texts.first_missing(RESUMABLE_PARTS) {
        return Err(LinkError::File(Violation::new(missing, Rule::Required)).into());
    }
    let (spooled, kind, file_name) =
        spooled.ok_or_else(|| LinkError::File(Violation::new("media", Rule::Required)))?;
    let (_, token) = business_number(&state, &account, &texts).await?;
    let settings = &state.media_uploads;
    let Some(app_id) = settings.app_id.as_deref() else {
        tracing::error!("a resumable upload needs the Meta app id (--meta-app-id)");
        return Err(LinkError::Internal.into());
    };
    let length = spooled.length;
    let handle = state
        .cloud_api
        .upload_resumable(
            app_id,
            &token,
            Upload {
                file_name,
                mime_type: kind.mime.to_owned(),
                body: spooled.body(),
            },
            length,
            settings.timeout,
        )
        .await
        .map_err(LinkError::from)?;
    Ok(Json(ResumableHandle { h: handle }))
}

/// The parts of `POST /media`, for the OpenAPI document.
pub struct UploadParts;

/// The parts of `POST /media/resumable`, for the OpenAPI document.
pub struct ResumableUploadParts;

impl utoipa::PartialSchema for UploadParts {
    fn schema() -> RefOr<Schema> {
        form_schema(
            NORMAL_PARTS,
            "The file, after the other parts; at most as large as its \
             `mediaContentType` allows (images, audio, video 16 MB, documents 100 MB, \
             stickers 500 KB).",
        )
    }
}

impl utoipa::ToSchema for UploadParts {}

impl utoipa::PartialSchema for ResumableUploadParts {
    fn schema() -> RefOr<Schema> {
        form_schema(
            RESUMABLE_PARTS,
            &format!(
                "The file, with its own `Content-Type`, one of {}; at most 100 MB.",
                RESUMABLE_UPLOAD_MIMES.join(", ")
            ),
        )
    }
}

impl utoipa::ToSchema for ResumableUploadParts {}

/// An upload form: the text `parts` (all required) and the file `media`.
fn form_schema(parts: &[&str], media: &str) -> RefOr<Schema> {
    let mut form = ObjectBuilder::new();
    for part in parts {
        let mut text = ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(form::MAX_TEXT_PART));
        text = match *part {
            "source" => text
                .description(Some("The business number, with its `+`."))
                .examples(["+46700000000"]),
            "mediaContentType" => text
                .description(Some("The file's type; it picks the largest file allowed."))
                .enum_values(Some(LINK_UPLOAD_MIMES.iter().copied())),
            _ => text.description(Some("Of the user's account.")),
        };
        form = form.property(*part, text).required(*part);
    }
    let file = ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
        .description(Some(media));
    form.property("media", file)
        .required("media")
        .build()
        .into()
}

/// The phone number id and token of the source the parts name, if it is a
/// number of `account`.
async fn business_number(
    state: &AppState,
    account: &Account,
    texts: &TextParts,
) -> Result<(String, String), LinkError> {
    let named = NamedSource {
        platform_id: texts.get("platformId"),
        platform_partner_id: texts.get("platformPartnerId"),
        number: texts.get("source"),
    };
    let source = named.owned(state, account, LinkError::File).await?;
    cloud_target(source, state, LinkError::File)
}
