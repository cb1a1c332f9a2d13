//! `/admin/v1/routes`: where incoming messages to one of the account's
//! numbers go. A route with a keyword catches texts whose first word is that
//! keyword (compared case-insensitively); a route without one is the number's
//! default.

use std::collections::HashMap;
use std::future::Future;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use wagate_domain::Msisdn;

use super::error::CreateFailures;
use super::{AdminBody, AdminError, Owner, Resource, account_of, parse_body, required};
use crate::api::AppState;
use crate::auth::random_token;
use crate::clock::{now_millis, rfc3339};
use crate::store::{Account, KeyValues, Route, StoreResult, TenantKind, TenantStore, owned_by};

/// Longest keyword.
const MAX_KEYWORD_LEN: usize = 64;

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"platformId": "P1", "platformPartnerId": "1",
    "number": "+46700000001", "keyword": "stop", "gateIds": ["crm"]}))]
pub struct NewRoute {
    /// The account's platformId.
    #[schema(value_type = String, required = true, min_length = 1)]
    pub platform_id: Option<String>,
    #[schema(value_type = String, required = true, min_length = 1)]
    pub platform_partner_id: Option<String>,
    /// One of the account's sources (E.164).
    #[schema(value_type = String, required = true, example = "+46700000001")]
    pub number: Option<String>,
    /// One word of at most 64 characters (compared case-insensitively);
    /// none: the number's default route.
    #[schema(max_length = 64)]
    pub keyword: Option<String>,
    /// Gates of the account.
    #[schema(value_type = Vec<String>, required = true, min_items = 1)]
    pub gate_ids: Option<Vec<String>>,
    pub ref_id: Option<String>,
    pub custom_parameters: Option<KeyValues>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RouteView {
    id: String,
    #[serde(flatten)]
    owner: Owner,
    number: String,
    /// Lower case; null for the number's default route.
    keyword: Option<String>,
    gate_ids: Vec<String>,
    ref_id: Option<String>,
    custom_parameters: KeyValues,
    /// RFC 3339.
    created_at: String,
}

/// Routes incoming messages to one of an account's numbers to gates.
#[utoipa::path(
    post,
    path = "/routes",
    tag = "admin",
    operation_id = "createRoute",
    request_body(content = NewRoute, content_type = "application/json"),
    security(("admin_token" = [])),
    responses(
        (status = 201, description = "Created.", body = RouteView,
            content_type = "application/json"),
        CreateFailures,
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    body: AdminBody,
) -> Result<(StatusCode, Json<RouteView>), AdminError> {
    let view = add(&state, parse_body(&body)?).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Creates what `body` describes: the admin API and the console both go
/// through here.
pub async fn add(state: &AppState, body: NewRoute) -> Result<RouteView, AdminError> {
    let number = Msisdn::parse(&required("number", body.number)?)
        .map_err(|rule| AdminError::Invalid(format!("number: {rule}")))?;
    let keyword = body
        .keyword
        .map(|k| k.trim().to_lowercase())
        .unwrap_or_default();
    if keyword.chars().count() > MAX_KEYWORD_LEN || keyword.contains(char::is_whitespace) {
        return Err(AdminError::Invalid(format!(
            "keyword: must be one word of at most {MAX_KEYWORD_LEN} characters"
        )));
    }
    let gate_ids = body.gate_ids.unwrap_or_default();
    if gate_ids.is_empty() {
        return Err(AdminError::Invalid(
            "gateIds: must name at least one gate".into(),
        ));
    }
    let account = account_of(&state.tenants, body.platform_id, body.platform_partner_id).await?;
    let source = state.tenants.source_by_number(number.as_str()).await?;
    if owned_by(source, &account.id).is_none() {
        return Err(AdminError::NotFound(format!(
            "source {number} of this account"
        )));
    }
    for gate_id in &gate_ids {
        let gate = state.tenants.gate(gate_id).await?;
        if owned_by(gate, &account.id).is_none() {
            return Err(AdminError::NotFound(format!(
                "gate {gate_id} of this account"
            )));
        }
    }
    let route = Route {
        id: random_token(8),
        account_id: account.id.clone(),
        number: number.to_string(),
        keyword,
        gate_ids,
        ref_id: body.ref_id,
        custom_parameters: body.custom_parameters.unwrap_or_default(),
        created_at: now_millis(),
    };
    state.tenants.insert_route(&route).await?;
    let accounts = HashMap::from([(account.id.clone(), account)]);
    Ok(view(&accounts, route))
}

/// Read, list and delete through the admin API's generic handlers.
pub struct Routes;

impl Resource for Routes {
    const NAME: &'static str = "route";
    const PATH: &'static str = "routes";
    const KIND: TenantKind = TenantKind::Route;
    type Row = Route;
    type View = RouteView;

    fn fetch<'a>(
        store: &'a dyn TenantStore,
        id: &'a str,
    ) -> impl Future<Output = StoreResult<Option<Route>>> + Send + 'a {
        store.route(id)
    }

    fn fetch_all(
        store: &dyn TenantStore,
    ) -> impl Future<Output = StoreResult<Vec<Route>>> + Send + '_ {
        store.routes()
    }

    fn view(accounts: &HashMap<String, Account>, row: Route) -> RouteView {
        view(accounts, row)
    }
}

fn view(accounts: &HashMap<String, Account>, route: Route) -> RouteView {
    RouteView {
        owner: Owner::of(accounts, &route.account_id),
        id: route.id,
        number: route.number,
        keyword: Some(route.keyword).filter(|keyword| !keyword.is_empty()),
        gate_ids: route.gate_ids,
        ref_id: route.ref_id,
        custom_parameters: route.custom_parameters,
        created_at: rfc3339(route.created_at),
    }
}
