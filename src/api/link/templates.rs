//! LINK's template management (spec "Create Templates / Manage
//! Templates"), under a source's path prefix ([`source_path`]):
//!
//! | call | path | Cloud API |
//! | --- | --- | --- |
//! | create | `PUT …/templates` (or `…/templates/{anything}`) | `POST /{waba-id}/message_templates` |
//! | edit | `POST …/templates/{templateId}` | `POST /{template-id}` |
//! | get | `GET …/templates/{templateId}` | `GET /{template-id}` |
//! | list | `GET …/templates?name=&status=&limit=&after=` | `GET /{waba-id}/message_templates` |
//! | delete | `DELETE …/templates/{templateId}/{templateName}` | `DELETE /{waba-id}/message_templates?hsm_id=&name=` |
//!
//! Bodies go to Meta as they came (a JSON object; Meta checks the rest) and
//! Meta's answers come back as it wrote them. A template id is used only
//! once it is found among the source's WABA's templates, so one tenant
//! cannot read or edit another's by its id (`403 112401`).
//!
//! [`source_path`]: super::source_path

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::routing::{delete, put};
use serde_json::Value;
use wagate_domain::{Rule, Violation};

use super::error::LinkError;
use super::management::{BodyFailures, SourceFailures, SourcePath};
use super::send::read_json;
use super::source_path::{OwnedSource, PREFIX};
use crate::api::AppState;
use crate::api::protocol::RawBody;
use crate::upstream::templates::LIST_PARAMETERS;

/// Pages of a name search read while looking for a template id among the
/// WABA's templates, and their size.
const OWNERSHIP_PAGES: usize = 10;
const OWNERSHIP_PAGE_SIZE: &str = "100";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(&format!("{PREFIX}/templates"), put(create).get(list))
        .route(
            &format!("{PREFIX}/templates/{{template_id}}"),
            put(create).post(edit).get(get),
        )
        .route(
            &format!("{PREFIX}/templates/{{template_id}}/{{template_name}}"),
            delete(remove),
        )
}

/// A template's id, as Meta gave it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TemplateId {
    /// Meta's id of the template.
    #[param(example = "1234567890")]
    pub template_id: String,
}

/// The list's filters and paging, passed on to Meta.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Templates whose name holds this.
    pub name: Option<String>,
    /// Templates in this status.
    #[param(example = "APPROVED")]
    pub status: Option<String>,
    /// The page's size.
    #[param(example = 25)]
    pub limit: Option<u32>,
    /// The cursor of the next page (`paging.cursors.after`).
    pub after: Option<String>,
}

/// The request body: a JSON object.
fn object_body(body: &RawBody<LinkError>) -> Result<Value, LinkError> {
    let value: Value = read_json(&body.bytes)?;
    if !value.is_object() {
        return Err(LinkError::Invalid(Violation::new(
            "",
            Rule::Type("the body must be a JSON object (Meta's template)".into()),
        )));
    }
    Ok(value)
}

/// The last path parameter: the template id.
fn template_id(params: &[(String, String)]) -> &str {
    params
        .iter()
        .find(|(name, _)| name == "template_id")
        .map_or("", |(_, value)| value.as_str())
}

/// Submits a template to Meta for review: the body is Meta's template
/// object, passed on as it came; the answer is Meta's.
///
/// The spec's path is `PUT …/templates/{templateId}` (the last segment is
/// not read); `PUT …/templates` does the same.
#[utoipa::path(
    put,
    path = "/platformId/{platform_id}/platformPartnerId/{platform_partner_id}/source/{source}/templates",
    tag = "LINK templates",
    operation_id = "create_template",
    security(("link_basic" = [])),
    params(SourcePath),
    request_body(content = Object, description = "Meta's message template (see Meta's \
        message template reference): `name`, `language`, `category` (`AUTHENTICATION`, \
        `MARKETING`, `UTILITY`), `components`. wagate requires a JSON object; Meta checks \
        the rest (a refusal is 400 `112501`).",
        example = json!({"name": "order_ready", "language": "en", "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Your order {{1}} is ready.",
                "example": {"body_text": [["12345"]]}}]})),
    responses(
        (status = 200, description = "Meta's answer: the template's id, status and category.",
            body = Object,
            example = json!({"id": "1234567890", "status": "PENDING", "category": "UTILITY"})),
        SourceFailures,
        BodyFailures,
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    owned: OwnedSource,
    body: RawBody<LinkError>,
) -> Result<Json<Value>, LinkError> {
    let template = object_body(&body)?;
    drop(body);
    let answer = state
        .cloud_api
        .create_template(owned.waba_id()?, owned.access_token(&state)?, &template)
        .await?;
    tracing::info!(source = %owned.source.number, id = %answer["id"], "template submitted to Meta");
    Ok(Json(answer))
}

/// Edits a template's category or components (Meta's rules: only
/// APPROVED, REJECTED or PAUSED templates, a limited number of times).
#[utoipa::path(
    post,
    path = "/platformId/{platform_id}/platformPartnerId/{platform_partner_id}/source/{source}/templates/{template_id}",
    tag = "LINK templates",
    operation_id = "edit_template",
    security(("link_basic" = [])),
    params(SourcePath, TemplateId),
    request_body(content = Object, description = "The changes: `category` and/or \
        `components`, as Meta takes them. wagate requires a JSON object; Meta checks the rest.",
        example = json!({"components": [{"type": "BODY", "text": "Your order {{1}} is ready to collect.",
            "example": {"body_text": [["12345"]]}}]})),
    responses(
        (status = 200, description = "Meta's answer.", body = Object,
            example = json!({"success": true})),
        SourceFailures,
        BodyFailures,
    ),
)]
pub async fn edit(
    State(state): State<AppState>,
    owned: OwnedSource,
    Path(params): Path<Vec<(String, String)>>,
    body: RawBody<LinkError>,
) -> Result<Json<Value>, LinkError> {
    let changes = object_body(&body)?;
    drop(body);
    let id = template_id(&params);
    owned_template(&state, &owned, id).await?;
    let answer = state
        .cloud_api
        .edit_template(id, owned.access_token(&state)?, &changes)
        .await?;
    Ok(Json(answer))
}

/// One template, as Meta gives it, when it is one of the source's WABA's.
#[utoipa::path(
    get,
    path = "/platformId/{platform_id}/platformPartnerId/{platform_partner_id}/source/{source}/templates/{template_id}",
    tag = "LINK templates",
    operation_id = "get_template",
    security(("link_basic" = [])),
    params(SourcePath, TemplateId),
    responses(
        (status = 200, description = "Meta's template object.", body = Object,
            example = json!({"id": "1234567890", "name": "order_ready", "language": "en",
                "status": "APPROVED", "category": "UTILITY",
                "components": [{"type": "BODY", "text": "Your order {{1}} is ready."}]})),
        SourceFailures,
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    owned: OwnedSource,
    Path(params): Path<Vec<(String, String)>>,
) -> Result<Json<Value>, LinkError> {
    owned_template(&state, &owned, template_id(&params))
        .await
        .map(Json)
}

/// A page of the source's WABA's templates; the filters and paging go to
/// Meta as they came (other query parameters are dropped).
#[utoipa::path(
    get,
    path = "/platformId/{platform_id}/platformPartnerId/{platform_partner_id}/source/{source}/templates",
    tag = "LINK templates",
    operation_id = "list_templates",
    security(("link_basic" = [])),
    params(SourcePath, ListQuery),
    responses(
        (status = 200, description = "Meta's page: `data` (templates) and `paging`.",
            body = Object,
            example = json!({"data": [{"id": "1234567890", "name": "order_ready",
                "language": "en", "status": "APPROVED", "category": "UTILITY"}],
                "paging": {"cursors": {"before": "MAZDZD", "after": "MjQZD"}}})),
        SourceFailures,
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    owned: OwnedSource,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, LinkError> {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .filter(|(name, _)| LIST_PARAMETERS.contains(&name.as_ref()))
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let answer = state
        .cloud_api
        .templates(owned.waba_id()?, owned.access_token(&state)?, &pairs)
        .await?;
    Ok(Json(answer))
}

/// Deletes the template with this id and name from the source's WABA.
#[utoipa::path(
    delete,
    path = "/platformId/{platform_id}/platformPartnerId/{platform_partner_id}/source/{source}/templates/{template_id}/{template_name}",
    tag = "LINK templates",
    operation_id = "delete_template",
    security(("link_basic" = [])),
    params(SourcePath, TemplateId,
        ("template_name" = String, Path, description = "The template's name.",
            example = "order_ready")),
    responses(
        (status = 200, description = "Meta's answer.", body = Object,
            example = json!({"success": true})),
        SourceFailures,
    ),
)]
pub async fn remove(
    State(state): State<AppState>,
    owned: OwnedSource,
    Path(params): Path<Vec<(String, String)>>,
) -> Result<Json<Value>, LinkError> {
    let name = params
        .iter()
        .find(|(key, _)| key == "template_name")
        .map_or("", |(_, value)| value.as_str());
    // Meta deletes within the WABA of the path only.
    let answer = state
        .cloud_api
        .delete_template(
            owned.waba_id()?,
            owned.access_token(&state)?,
            template_id(&params),
            name,
        )
        .await?;
    tracing::info!(source = %owned.source.number, template = %template_id(&params), "template deleted");
    Ok(Json(answer))
}

/// The template `id` as Meta gives it, once it is found among the
/// templates of the source's WABA (searched by its name).
async fn owned_template(
    state: &AppState,
    owned: &OwnedSource,
    id: &str,
) -> Result<Value, LinkError> {
    let (waba_id, token) = (owned.waba_id()?, owned.access_token(state)?);
    let template = state.cloud_api.template(id, token).await?;
    let name = template["name"].as_str().unwrap_or_default().to_owned();
    let mut after: Option<String> = None;
    for _ in 0..OWNERSHIP_PAGES {
        let mut query = vec![("name", name.as_str()), ("limit", OWNERSHIP_PAGE_SIZE)];
        if let Some(cursor) = &after {
            query.push(("after", cursor));
        }
        let page = state.cloud_api.templates(waba_id, token, &query).await?;
        let found = page["data"]
            .as_array()
            .is_some_and(|data| data.iter().any(|entry| entry["id"].as_str() == Some(id)));
        if found {
            return Ok(template);
        }
        match page["paging"]["next"]
            .as_str()
            .and(page["paging"]["cursors"]["after"].as_str())
        {
            Some(cursor) => after = Some(cursor.to_owned()),
            None => break,
        }
    }
    Err(LinkError::NoAccess(format!(
        "template {id} is not one of the templates of source {}",
        owned.source.number
    )))
}
