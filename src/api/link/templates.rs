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

async fn create(
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

async fn edit(
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

async fn get(
    State(state): State<AppState>,
    owned: OwnedSource,
    Path(params): Path<Vec<(String, String)>>,
) -> Result<Json<Value>, LinkError> {
    owned_template(&state, &owned, template_id(&params))
        .await
        .map(Json)
}

async fn list(
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

async fn remove(
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
