//! The admin API (`/admin/v1`): provisioning of accounts, users, sources,
//! gates and routes, behind `Authorization: Bearer <admin token>`.
//!
//! JSON in camelCase; `201` with the created object, `409` on a duplicate,
//! `404` for an unknown id or a reference to one. Secrets (passwords, access
//! tokens, signing secrets) are write-only: responses say whether one is set.
//! One module per resource; this one holds the router, the token check and
//! what the resources share.

mod accounts;
mod error;
mod gates;
mod routes;
mod sources;
mod users;

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

pub use error::AdminError;

use super::AppState;
use super::json::{self, JsonError};
use crate::store::{Account, Store, TenantKind};

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/accounts", get(accounts::list).post(accounts::create))
        .route("/accounts/{id}", get(accounts::get).delete(delete_account))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{id}", get(users::get).delete(delete_user))
        .route("/sources", get(sources::list).post(sources::create))
        .route("/sources/{id}", get(sources::get).delete(delete_source))
        .route("/gates", get(gates::list).post(gates::create))
        .route("/gates/{id}", get(gates::get).delete(delete_gate))
        .route("/routes", get(routes::list).post(routes::create))
        .route("/routes/{id}", get(routes::get).delete(delete_route))
        .layer(middleware::from_fn_with_state(state, require_admin_token))
}

/// Refuses every request without the configured bearer token (compared in
/// constant time); with no token configured the admin API is off.
async fn require_admin_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, AdminError> {
    let expected = state.admin_token.as_ref().ok_or(AdminError::Disabled)?;
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    let matches: bool = presented
        .as_bytes()
        .ct_eq(expected.expose_secret().as_bytes())
        .into();
    if !matches {
        return Err(AdminError::Unauthorized);
    }
    Ok(next.run(request).await)
}

/// Parses a JSON body, naming the field that is wrong.
fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, AdminError> {
    json::parse(body).map_err(|error| match error {
        JsonError::Syntax(message) => AdminError::Invalid(format!("body is not JSON: {message}")),
        JsonError::Shape { path, message } if path.is_empty() => AdminError::Invalid(message),
        JsonError::Shape { path, message } => AdminError::Invalid(format!("{path}: {message}")),
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
    store: &dyn Store,
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
async fn accounts_by_id(store: &dyn Store) -> Result<HashMap<String, Account>, AdminError> {
    Ok(store
        .accounts()
        .await?
        .into_iter()
        .map(|account| (account.id.clone(), account))
        .collect())
}

/// Platform ids of an account, as the views show them.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
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

async fn remove(state: &AppState, kind: TenantKind, id: &str) -> Result<StatusCode, AdminError> {
    if state.store.delete(kind, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AdminError::NotFound(
            format!("{kind:?} {id}").to_lowercase(),
        ))
    }
}

async fn delete_account(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AdminError> {
    remove(&s, TenantKind::Account, &id).await
}

async fn delete_user(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AdminError> {
    remove(&s, TenantKind::User, &id).await
}

async fn delete_source(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AdminError> {
    remove(&s, TenantKind::Source, &id).await
}

async fn delete_gate(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AdminError> {
    remove(&s, TenantKind::Gate, &id).await
}

async fn delete_route(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AdminError> {
    remove(&s, TenantKind::Route, &id).await
}
