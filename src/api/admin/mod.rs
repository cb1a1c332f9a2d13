//! The admin API (`/admin/v1`): provisioning of accounts, users, sources,
//! gates and routes, behind `Authorization: Bearer <admin token>`.
//!
//! JSON in camelCase; `201` with the created object, `409` on a duplicate,
//! `404` for an unknown id or a reference to one. Secrets (passwords, access
//! tokens, signing secrets) are write-only: responses say whether one is set.
//! Every failure, unknown paths and methods, bodies over the size limit and
//! malformed query strings and path ids included, answers the admin error
//! body (see [`error`]). One module per resource; this one holds the
//! router, the token check and what the resources share.

mod accounts;
pub(crate) mod deliveries;
pub mod endpoints;
mod error;
pub(crate) mod gate_pause;
pub mod gates;
pub mod routes;
mod sources;
mod users;

use std::collections::HashMap;
use std::future::Future;

use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

pub use error::AdminError;

use super::AppState;
use super::json::{self, JsonError};
use super::protocol::{self, RawBody};
use super::text;
use crate::store::{Account, StoreResult, TenantKind, TenantStore};

/// The admin API's part of the OpenAPI document (paths under `/admin/v1`):
/// the creates and the calls of their own here, the read, list and delete
/// of every resource from its `Resource` impl (see `ResourcePaths`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        accounts::create,
        users::create,
        sources::create,
        gates::create,
        routes::create,
        deliveries::list,
        deliveries::redeliver,
        endpoints::list,
        gate_pause::pause,
        gate_pause::resume,
        gate_pause::show,
    ),
    components(schemas(error::ErrorBody)),
    modifiers(&ResourcePaths),
)]
pub struct AdminApi;

/// `GET /{kind}`, `GET /{kind}/{id}` and `DELETE /{kind}/{id}` of each
/// resource, documented from its [`Resource`] impl like the handlers are
/// generic over it.
struct ResourcePaths;

impl utoipa::Modify for ResourcePaths {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        resource_paths::<accounts::Accounts>(openapi);
        resource_paths::<users::Users>(openapi);
        resource_paths::<sources::Sources>(openapi);
        resource_paths::<gates::Gates>(openapi);
        resource_paths::<routes::Routes>(openapi);
    }
}

fn resource_paths<R: Resource>(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
    use utoipa::openapi::security::SecurityRequirement;
    use utoipa::openapi::{
        ContentBuilder, Ref, RefOr, Required, ResponseBuilder, ResponsesBuilder, Schema,
    };
    use utoipa::{PartialSchema, ToSchema};

    let components = openapi.components.get_or_insert_with(Default::default);
    let mut schemas = vec![(R::View::name().into_owned(), R::View::schema())];
    R::View::schemas(&mut schemas);
    components.schemas.extend(schemas);

    let view: RefOr<Schema> = Ref::from_schema_name(R::View::name()).into();
    let answer = |description: &str, schema: RefOr<Schema>| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new().schema(Some(schema)).build(),
            )
            .build()
    };
    let operation = |id: String, summary: String, failures: ResponsesBuilder| {
        OperationBuilder::new()
            .tag("admin")
            .operation_id(Some(id))
            .summary(Some(summary))
            .security(SecurityRequirement::new(
                super::openapi::ADMIN_TOKEN,
                Vec::<String>::new(),
            ))
            .responses(failures)
    };
    let id = || {
        ParameterBuilder::new()
            .name("id")
            .parameter_in(ParameterIn::Path)
            .required(Required::True)
            .description(Some(format!("The {}'s id.", R::NAME)))
            .schema(Some(String::schema()))
            .build()
    };
    let (name, path) = (R::NAME, R::PATH);
    let list = operation(
        format!("list{}", capitalized(path)),
        format!("Every {name}"),
        ResponsesBuilder::new().responses_from_into_responses::<error::ListFailures>(),
    )
    .response(
        "200",
        answer(
            &format!("The {path}."),
            utoipa::openapi::schema::ArrayBuilder::new()
                .items(view.clone())
                .into(),
        ),
    );
    let read = operation(
        format!("get{}", capitalized(name)),
        format!("One {name}"),
        ResponsesBuilder::new().responses_from_into_responses::<error::ReadFailures>(),
    )
    .parameter(id())
    .response("200", answer(&format!("The {name}."), view));
    let delete = operation(
        format!("delete{}", capitalized(name)),
        format!("Deletes a {name} (refused while something refers to it)"),
        ResponsesBuilder::new().responses_from_into_responses::<error::DeleteFailures>(),
    )
    .parameter(id())
    .response(
        "204",
        ResponseBuilder::new().description("Deleted.").build(),
    );
    let paths = &mut openapi.paths;
    paths.add_path_operation(format!("/{path}"), vec![HttpMethod::Get], list);
    paths.add_path_operation(format!("/{path}/{{id}}"), vec![HttpMethod::Get], read);
    paths.add_path_operation(format!("/{path}/{{id}}"), vec![HttpMethod::Delete], delete);
}

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/accounts",
            get(list_all::<accounts::Accounts>).post(accounts::create),
        )
        .route(
            "/accounts/{id}",
            get(get_one::<accounts::Accounts>).delete(delete_one::<accounts::Accounts>),
        )
        .route("/users", get(list_all::<users::Users>).post(users::create))
        .route(
            "/users/{id}",
            get(get_one::<users::Users>).delete(delete_one::<users::Users>),
        )
        .route(
            "/sources",
            get(list_all::<sources::Sources>).post(sources::create),
        )
        .route(
            "/sources/{id}",
            get(get_one::<sources::Sources>).delete(delete_one::<sources::Sources>),
        )
        .route("/gates", get(list_all::<gates::Gates>).post(gates::create))
        .route(
            "/gates/{id}",
            get(get_one::<gates::Gates>).delete(delete_one::<gates::Gates>),
        )
        .route("/gates/{id}/deliveries", get(deliveries::list))
        .route(
            "/gates/{id}/pause",
            get(gate_pause::show).post(gate_pause::pause),
        )
        .route("/gates/{id}/resume", post(gate_pause::resume))
        .route(
            "/gates/{id}/deliveries/{delivery}/redeliver",
            axum::routing::post(deliveries::redeliver),
        )
        .route(
            "/routes",
            get(list_all::<routes::Routes>).post(routes::create),
        )
        .route(
            "/routes/{id}",
            get(get_one::<routes::Routes>).delete(delete_one::<routes::Routes>),
        )
        .route("/endpoints", get(endpoints::list))
        .method_not_allowed_fallback(protocol::method_not_allowed::<AdminError>)
        .fallback(protocol::no_route::<AdminError>)
        .layer(middleware::from_fn_with_state(
            state.admin_token.clone(),
            require_admin_token,
        ))
}

/// Refuses every request without the configured bearer token (compared in
/// constant time); with no token configured the admin API is off.
/// Its state is the token (`AppState::admin_token`), so that any router
/// can put it in front of its routes.
pub(crate) async fn require_admin_token(
    State(token): State<Option<std::sync::Arc<SecretString>>>,
    request: Request,
    next: Next,
) -> Result<Response, AdminError> {
    let expected = token.as_ref().ok_or(AdminError::Disabled)?;
    if !presents_token(request.headers(), expected) {
        return Err(AdminError::Unauthorized);
    }
    Ok(next.run(request).await)
}

/// Whether `headers` carry `Authorization: Bearer <expected>` (compared in
/// constant time).
pub(crate) fn presents_token(headers: &HeaderMap, expected: &SecretString) -> bool {
    let presented = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    presented
        .as_bytes()
        .ct_eq(expected.expose_secret().as_bytes())
        .into()
}

/// An extractor (`Path`, `Query`) whose failure answers the admin error
/// body, with the extractor's words (which name the field).
pub(crate) struct Parsed<X>(pub(crate) X);

impl<X> FromRequestParts<AppState> for Parsed<X>
where
    X: FromRequestParts<AppState>,
    X::Rejection: std::fmt::Display,
{
    type Rejection = AdminError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AdminError> {
        X::from_request_parts(parts, state)
            .await
            .map(Self)
            .map_err(|rejection| AdminError::Invalid(rejection.to_string()))
    }
}

/// A request body, failing in the admin API's error body.
type AdminBody = RawBody<AdminError>;

/// Parses a JSON body, naming the field that is wrong.
fn parse_body<T: DeserializeOwned>(body: &AdminBody) -> Result<T, AdminError> {
    json::parse(&body.bytes).map_err(|error| match error {
        JsonError::Syntax(message) => AdminError::Invalid(format!("body is not JSON: {message}")),
        JsonError::Shape { path, message } if path.is_empty() => AdminError::Invalid(message),
        JsonError::Shape { path, message } => AdminError::Invalid(format!("{path}: {message}")),
        JsonError::Unstorable(unstorable) => unstorable.into(),
    })
}

/// A required, non-empty text field.
fn required(field: &str, value: Option<String>) -> Result<String, AdminError> {
    match value.map(|text| text.trim().to_owned()) {
        Some(text) if !text.is_empty() => Ok(text),
        _ => Err(AdminError::Invalid(format!("{field}: is required"))),
    }
}

/// The account named by a body's `platformId` and `platformPartnerId`.
async fn account_of(
    store: &dyn TenantStore,
    platform_id: Option<String>,
    platform_partner_id: Option<String>,
) -> Result<Account, AdminError> {
    let platform_id = required("platformId", platform_id)?;
    let platform_partner_id = required("platformPartnerId", platform_partner_id)?;
    store
        .account_by_platform(&platform_id, &platform_partner_id)
        .await?
        .ok_or_else(|| {
            AdminError::NotFound(format!(
                "account with platformId {platform_id} and platformPartnerId {platform_partner_id}"
            ))
        })
}

/// Every account by id, to show platform ids beside the rows of a list.
/// Every account by its id.
pub async fn accounts_by_id(
    store: &dyn TenantStore,
) -> Result<HashMap<String, Account>, AdminError> {
    Ok(store
        .accounts()
        .await?
        .into_iter()
        .map(|account| (account.id.clone(), account))
        .collect())
}

/// `gates` → `Gates`, for operation ids.
fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Platform ids of an account, as the views show them.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AdminOwner)]
struct Owner {
    platform_id: String,
    platform_partner_id: String,
}

impl Owner {
    fn of(accounts: &HashMap<String, Account>, account_id: &str) -> Self {
        accounts.get(account_id).map_or(
            Self {
                platform_id: String::new(),
                platform_partner_id: String::new(),
            },
            |account| Self {
                platform_id: account.platform_id.clone(),
                platform_partner_id: account.platform_partner_id.clone(),
            },
        )
    }
}

/// What the generic read, list and delete handlers need of a resource.
trait Resource: 'static {
    /// Its name in messages, e.g. "gate".
    const NAME: &'static str;
    /// Its path under the admin API, e.g. "gates".
    const PATH: &'static str;
    const KIND: TenantKind;
    type Row: Send;
    type View: Serialize + utoipa::ToSchema;
    fn fetch<'a>(
        store: &'a dyn TenantStore,
        id: &'a str,
    ) -> impl Future<Output = StoreResult<Option<Self::Row>>> + Send + 'a;
    fn fetch_all(
        store: &dyn TenantStore,
    ) -> impl Future<Output = StoreResult<Vec<Self::Row>>> + Send + '_;
    fn view(accounts: &HashMap<String, Account>, row: Self::Row) -> Self::View;
}

/// `GET /admin/v1/{kind}/{id}`
async fn get_one<R: Resource>(
    State(state): State<AppState>,
    Parsed(Path(id)): Parsed<Path<String>>,
) -> Result<Json<R::View>, AdminError> {
    text::check("id", &id)?;
    let row = R::fetch(&state.tenants, &id)
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("{} {id}", R::NAME)))?;
    let accounts = accounts_by_id(&state.tenants).await?;
    Ok(Json(R::view(&accounts, row)))
}

/// `GET /admin/v1/{kind}`
async fn list_all<R: Resource>(
    State(state): State<AppState>,
) -> Result<Json<Vec<R::View>>, AdminError> {
    let accounts = accounts_by_id(&state.tenants).await?;
    let rows = R::fetch_all(&state.tenants).await?;
    Ok(Json(
        rows.into_iter()
            .map(|row| R::view(&accounts, row))
            .collect(),
    ))
}

/// `DELETE /admin/v1/{kind}/{id}`
async fn delete_one<R: Resource>(
    State(state): State<AppState>,
    Parsed(Path(id)): Parsed<Path<String>>,
) -> Result<StatusCode, AdminError> {
    text::check("id", &id)?;
    if state.tenants.delete(R::KIND, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AdminError::NotFound(format!("{} {id}", R::NAME)))
    }
}
