//! `/admin/v1/accounts`: a tenant, named by LINK's platformId and
//! platformPartnerId, with the default country its LINK requests' numbers in
//! local form are read in.

use std::collections::HashMap;
use std::future::Future;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use wagate_domain::Country;

use super::error::CreateFailures;
use super::{AdminBody, AdminError, Resource, parse_body, required};
use crate::api::AppState;
use crate::auth::random_token;
use crate::clock::{now_millis, rfc3339};
use crate::store::{Account, StoreResult, TenantKind, TenantStore};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"platformId": "P1", "platformPartnerId": "1", "name": "Acme",
    "defaultCountry": "NO"}))]
struct NewAccount {
    /// LINK's platformId; with platformPartnerId, unique.
    #[schema(value_type = String, required = true, min_length = 1)]
    platform_id: Option<String>,
    #[schema(value_type = String, required = true, min_length = 1)]
    platform_partner_id: Option<String>,
    name: Option<String>,
    /// The country local numbers of its LINK requests are read in: an ISO
    /// 3166-1 alpha-2 code (any case).
    #[schema(pattern = "^[A-Za-z]{2}$", example = "NO")]
    default_country: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    id: String,
    platform_id: String,
    platform_partner_id: String,
    name: Option<String>,
    /// ISO 3166-1 alpha-2, upper case.
    #[schema(value_type = Option<String>, example = "NO")]
    default_country: Option<Country>,
    /// RFC 3339.
    created_at: String,
}

impl From<Account> for AccountView {
    fn from(account: Account) -> Self {
        Self {
            id: account.id,
            platform_id: account.platform_id,
            platform_partner_id: account.platform_partner_id,
            name: account.name,
            default_country: account.default_country,
            created_at: rfc3339(account.created_at),
        }
    }
}

/// Creates an account.
#[utoipa::path(
    post,
    path = "/accounts",
    tag = "admin",
    operation_id = "createAccount",
    request_body(content = NewAccount, content_type = "application/json"),
    security(("admin_token" = [])),
    responses(
        (status = 201, description = "Created.", body = AccountView,
            content_type = "application/json"),
        CreateFailures,
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    body: AdminBody,
) -> Result<(StatusCode, Json<AccountView>), AdminError> {
    let body: NewAccount = parse_body(&body)?;
    let account = Account {
        id: random_token(12),
        platform_id: required("platformId", body.platform_id)?,
        platform_partner_id: required("platformPartnerId", body.platform_partner_id)?,
        name: body.name,
        default_country: body
            .default_country
            .map(|code| default_country(&code))
            .transpose()?,
        created_at: now_millis(),
    };
    state.tenants.insert_account(&account).await?;
    Ok((StatusCode::CREATED, Json(account.into())))
}

/// A known ISO 3166-1 alpha-2 code (any case), e.g. `NO`.
fn default_country(code: &str) -> Result<Country, AdminError> {
    Country::parse(code).ok_or_else(|| {
        AdminError::Invalid(format!(
            "defaultCountry: must be the ISO 3166-1 alpha-2 code of a country with a calling code, e.g. NO or SE (not {code:?})"
        ))
    })
}

/// Read, list and delete through the admin API's generic handlers.
pub struct Accounts;

impl Resource for Accounts {
    const NAME: &'static str = "account";
    const PATH: &'static str = "accounts";
    const KIND: TenantKind = TenantKind::Account;
    type Row = Account;
    type View = AccountView;

    fn fetch<'a>(
        store: &'a dyn TenantStore,
        id: &'a str,
    ) -> impl Future<Output = StoreResult<Option<Account>>> + Send + 'a {
        store.account(id)
    }

    fn fetch_all(
        store: &dyn TenantStore,
    ) -> impl Future<Output = StoreResult<Vec<Account>>> + Send + '_ {
        store.accounts()
    }

    fn view(_accounts: &HashMap<String, Account>, row: Account) -> AccountView {
        AccountView::from(row)
    }
}
