//! `/admin/v1/users`: API users of an account. The password is hashed with
//! argon2 and never shown again; the API key (for the Devino dialect) is
//! shown once, at creation.

use std::collections::HashMap;
use std::future::Future;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::error::CreateFailures;
use super::{AdminBody, AdminError, Owner, Resource, account_of, parse_body, required};
use crate::api::AppState;
use crate::auth::{api_key_digest, hash_password_off_thread, random_token};
use crate::clock::{now_millis, rfc3339};
use crate::store::{Account, StoreResult, TenantKind, TenantStore, User};

/// Shortest password accepted.
const MIN_PASSWORD_LEN: usize = 8;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"username": "acme-api", "password": "correct horse",
    "platformId": "P1", "platformPartnerId": "1"}))]
struct NewUser {
    /// 1 to 64 letters, digits or `. _ @ -`; unique.
    #[schema(value_type = String, required = true, pattern = "^[A-Za-z0-9._@-]{1,64}$")]
    username: Option<String>,
    /// LINK's Basic authentication; at least 8 characters.
    #[schema(value_type = String, required = true, min_length = 8)]
    password: Option<String>,
    /// The account's platformId.
    #[schema(value_type = String, required = true, min_length = 1)]
    platform_id: Option<String>,
    #[schema(value_type = String, required = true, min_length = 1)]
    platform_partner_id: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    username: String,
    #[serde(flatten)]
    owner: Owner,
    /// RFC 3339.
    created_at: String,
    /// The API key of the Devino dialect: shown once, in the answer of the
    /// creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key: Option<String>,
}

fn valid_username(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._@-".contains(&b))
}

/// Creates an API user of an account; the answer shows its API key, once.
#[utoipa::path(
    post,
    path = "/users",
    tag = "admin",
    operation_id = "createUser",
    request_body(content = NewUser, content_type = "application/json"),
    security(("admin_token" = [])),
    responses(
        (status = 201, description = "Created, with the API key.", body = UserView,
            content_type = "application/json"),
        CreateFailures,
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    body: AdminBody,
) -> Result<(StatusCode, Json<UserView>), AdminError> {
    let body: NewUser = parse_body(&body)?;
    let username = required("username", body.username)?;
    if !valid_username(&username) {
        return Err(AdminError::Invalid(
            "username: must be 1 to 64 letters, digits or . _ @ -".into(),
        ));
    }
    let password = body.password.unwrap_or_default();
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AdminError::Invalid(format!(
            "password: must be at least {MIN_PASSWORD_LEN} characters long"
        )));
    }
    let account = account_of(&state.tenants, body.platform_id, body.platform_partner_id).await?;
    let password_hash = hash_password_off_thread(password).await.map_err(|error| {
        tracing::error!(%error, "hashing a password failed");
        AdminError::Internal
    })?;
    let api_key = random_token(40);
    let user = User {
        username,
        account_id: account.id.clone(),
        password_hash,
        api_key_hash: api_key_digest(&api_key),
        created_at: now_millis(),
    };
    state.tenants.insert_user(&user).await?;
    let owner = Owner {
        platform_id: account.platform_id,
        platform_partner_id: account.platform_partner_id,
    };
    Ok((
        StatusCode::CREATED,
        Json(UserView {
            username: user.username,
            owner,
            created_at: rfc3339(user.created_at),
            api_key: Some(api_key),
        }),
    ))
}

/// Read, list and delete through the admin API's generic handlers.
pub struct Users;

impl Resource for Users {
    const NAME: &'static str = "user";
    const PATH: &'static str = "users";
    const KIND: TenantKind = TenantKind::User;
    type Row = User;
    type View = UserView;

    fn fetch<'a>(
        store: &'a dyn TenantStore,
        id: &'a str,
    ) -> impl Future<Output = StoreResult<Option<User>>> + Send + 'a {
        store.user(id)
    }

    fn fetch_all(
        store: &dyn TenantStore,
    ) -> impl Future<Output = StoreResult<Vec<User>>> + Send + '_ {
        store.users()
    }

    fn view(accounts: &HashMap<String, Account>, row: User) -> UserView {
        view(accounts, row)
    }
}

fn view(accounts: &HashMap<String, Account>, user: User) -> UserView {
    UserView {
        owner: Owner::of(accounts, &user.account_id),
        username: user.username,
        created_at: rfc3339(user.created_at),
        api_key: None,
    }
}
