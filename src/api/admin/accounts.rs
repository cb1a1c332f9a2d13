//! `/admin/v1/accounts`: a tenant, named by LINK's platformId and
//! platformPartnerId.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::{AdminError, parse_body, required};
use crate::api::AppState;
use crate::auth::random_token;
use crate::clock::{now_millis, rfc3339};
use crate::store::Account;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewAccount {
    platform_id: Option<String>,
    platform_partner_id: Option<String>,
    name: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    id: String,
    platform_id: String,
    platform_partner_id: String,
    name: Option<String>,
    created_at: String,
}

impl From<Account> for AccountView {
    fn from(account: Account) -> Self {
        Self {
            id: account.id,
            platform_id: account.platform_id,
            platform_partner_id: account.platform_partner_id,
            name: account.name,
            created_at: rfc3339(account.created_at),
        }
    }
}

pub async fn create(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<AccountView>), AdminError> {
    let body: NewAccount = parse_body(&body)?;
    let account = Account {
        id: random_token(12),
        platform_id: required("platformId", body.platform_id)?,
        platform_partner_id: required("platformPartnerId", body.platform_partner_id)?,
        name: body.name,
        created_at: now_millis(),
    };
    state.store.insert_account(&account).await?;
    Ok((StatusCode::CREATED, Json(account.into())))
}

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<AccountView>, AdminError> {
    let account = state.store.account(&id).await?;
    account
        .map(|account| Json(account.into()))
        .ok_or_else(|| AdminError::NotFound(format!("account {id}")))
}

pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<AccountView>>, AdminError> {
    let accounts = state.store.accounts().await?;
    Ok(Json(accounts.into_iter().map(AccountView::from).collect()))
}
