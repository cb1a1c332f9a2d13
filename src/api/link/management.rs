//! The OpenAPI document of LINK's management calls, under
//! `/whatsapp-message`: templates ([`super::templates`]), the business
//! number's profile, information and analytics ([`super::business`]) and
//! media uploads ([`super::media`]), with the failures they answer in
//! LINK's error bodies ([`super::error`]).

use utoipa::openapi::path::Parameter;
use utoipa::openapi::{OpenApi, PathItem, RefOr};
use utoipa::{IntoParams, IntoResponses, Modify};

use super::error::{ErrorResponse, MediaErrorResponse};
use super::{business, media, templates};

/// LINK's management calls (paths under `/whatsapp-message`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        templates::create,
        templates::edit,
        templates::get,
        templates::list,
        templates::remove,
        business::phone_number::info,
        business::profile::get,
        business::profile::update,
        business::analytics::daily,
        media::upload,
        media::upload_resumable,
    ),
    components(schemas(ErrorResponse, MediaErrorResponse)),
    modifiers(&CreateUnderAnyId),
    tags(
        (name = "LINK templates", description = "LINK: a source's message templates at Meta."),
        (name = "LINK business number", description = "LINK: a source's business profile, phone number \
            information and analytics, limited per source."),
        (name = "LINK media", description = "LINK: media uploads to the Cloud API."),
    ),
)]
pub struct LinkManagementApi;

/// The path prefix of the per-source calls
/// ([`super::source_path::PREFIX`]).
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SourcePath {
    /// The platform id of the user's account.
    #[param(example = "yourPlatformId")]
    pub platform_id: String,
    /// The platform partner id of the user's account.
    #[param(example = "yourPlatformPartnerId")]
    pub platform_partner_id: String,
    /// The business number, one of the account's sources, with its `+`
    /// (literal or `%2B`).
    #[param(example = "+46700000000")]
    pub source: String,
}

/// What every per-source call can fail with.
#[derive(IntoResponses)]
pub enum SourceFailures {
    /// The request breaks a rule (`112402`, `112506`), the source lacks what
    /// the call needs (its WABA id, phone number id or access token), Meta
    /// refused the call (`112501`, Meta's error object in `details`) or did
    /// not answer (`112503`).
    #[response(status = 400, example = json!({"resultCode": 112501,
        "description": "Invalid parameter", "translatedDescription": null,
        "details": {"message": "(#100) Invalid parameter", "type": "OAuthException",
            "code": 100, "fbtrace_id": "AbCdEf"}}))]
    BadRequest(ErrorResponse),
    /// No or wrong Basic credentials (`112400`).
    #[response(status = 401, example = json!({"resultCode": 112400,
        "description": "Unauthorized", "translatedDescription": null}))]
    Unauthorized(ErrorResponse),
    /// The platform ids are not the user's, or the source (or template) is
    /// not one of its account's (`112401`).
    #[response(status = 403, example = json!({"resultCode": 112401,
        "description": "No access: source +46700000000 is not a number of this account",
        "translatedDescription": null}))]
    Forbidden(ErrorResponse),
    /// The gateway failed (`112500`).
    #[response(status = 500, example = json!({"resultCode": 112500,
        "description": "Server error", "translatedDescription": null}))]
    ServerError(ErrorResponse),
}

/// What a call with a JSON body can fail with besides.
#[derive(IntoResponses)]
pub enum BodyFailures {
    /// The body did not arrive within `--body-read-timeout` (`112402`).
    #[response(status = 408)]
    Timeout(ErrorResponse),
    /// The body is larger than `--max-body-bytes` (`112402`).
    #[response(status = 413, example = json!({"resultCode": 112402,
        "description": "the body is larger than 1048576 bytes", "translatedDescription": null}))]
    TooLarge(ErrorResponse),
}

#[derive(IntoResponses)]
#[response(
    status = 429,
    headers(("Retry-After" = u64, description = "Whole seconds until the next call is admitted.")),
    example = json!({"resultCode": 112402, "description": "Too many requests: this source's \
        limit of management calls is reached; retry in 1s", "translatedDescription": null}),
)]
/// The source made its allowance of calls in the window (`112402`).
pub struct RateLimited(pub ErrorResponse);

/// What a media upload can fail with, in the uploads' error body.
#[derive(IntoResponses)]
pub enum UploadFailures {
    /// A part is missing, empty or too long, the type is not supported,
    /// the file is larger than its type allows or the form is broken
    /// (`112502`); Meta refused the file (`112501`) or did not answer
    /// (`112503`).
    #[response(status = 400, example = json!({"status": 112502,
        "description": "mediaContentType: must be one of image/jpeg, image/png, …",
        "translatedDescription": null}))]
    BadRequest(MediaErrorResponse),
    /// No or wrong Basic credentials (`112400`).
    #[response(status = 401, example = json!({"status": 112400,
        "description": "Unauthorized", "translatedDescription": null}))]
    Unauthorized(MediaErrorResponse),
    /// The platform ids are not the user's, or the source is not one of its
    /// account's (`112401`).
    #[response(status = 403)]
    Forbidden(MediaErrorResponse),
    /// The body did not arrive within `--media-upload-timeout` (`112402`).
    #[response(status = 408)]
    Timeout(MediaErrorResponse),
    /// The body is larger than `--media-upload-max-bytes` (`112402`).
    #[response(status = 413)]
    TooLarge(MediaErrorResponse),
    /// The gateway failed (`112500`).
    #[response(status = 500)]
    ServerError(MediaErrorResponse),
}

/// The template path of the spec's create call, `PUT …/templates/{templateId}`
/// (any id: it is not read), documented like `PUT …/templates`.
struct CreateUnderAnyId;

/// The list path of the templates, and the path of one template.
const TEMPLATES_PATH: &str =
    "/platformId/{platform_id}/platformPartnerId/{platform_partner_id}/source/{source}/templates";

impl Modify for CreateUnderAnyId {
    fn modify(&self, openapi: &mut OpenApi) {
        let Some(mut create) = openapi
            .paths
            .paths
            .get(TEMPLATES_PATH)
            .and_then(|item| item.put.clone())
        else {
            return;
        };
        create.operation_id = Some("create_under_any_id".into());
        let id = Parameter::builder()
            .name("template_id")
            .parameter_in(utoipa::openapi::path::ParameterIn::Path)
            .required(utoipa::openapi::Required::True)
            .description(Some("Anything: LINK's path has a segment here, unread."))
            .schema(Some(<String as utoipa::PartialSchema>::schema()))
            .build();
        create
            .parameters
            .get_or_insert_with(Vec::new)
            .push(RefOr::T(id));
        let path = format!("{TEMPLATES_PATH}/{{template_id}}");
        match openapi.paths.paths.get_mut(&path) {
            Some(item) => item.put = Some(create),
            None => {
                let item = PathItem::new(utoipa::openapi::HttpMethod::Put, create);
                openapi.paths.paths.insert(path, item);
            }
        }
    }
}
