//! `/admin/v1/gates`: callback endpoints (LINK's event report gates), with
//! the custom parameters every callback to them carries and an optional
//! signing secret.

use std::collections::HashMap;
use std::future::Future;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::error::CreateFailures;
use super::{AdminBody, AdminError, Owner, Resource, account_of, parse_body, required};
use crate::api::AppState;
use crate::auth::random_token;
use crate::clock::{now_millis, rfc3339};
use crate::intake::callback_target::GATE_ID_PREFIX;
use crate::store::{Account, Gate, GateFormat, KeyValues, StoreResult, TenantKind, TenantStore};

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"id": "crm", "platformId": "P1", "platformPartnerId": "1",
    "url": "https://hooks.example.com/wagate", "format": "devino"}))]
pub struct NewGate {
    /// 1 to 64 letters, digits, `-` or `_` (not beginning with the prefix
    /// of the gateway's own gates); random when left out.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub id: Option<String>,
    /// The account's platformId.
    #[schema(value_type = String, required = true, min_length = 1)]
    pub platform_id: Option<String>,
    #[schema(value_type = String, required = true, min_length = 1)]
    pub platform_partner_id: Option<String>,
    /// An absolute http(s) URL the gateway may call.
    #[schema(value_type = String, required = true, example = "https://hooks.example.com/wagate")]
    pub url: Option<String>,
    /// Passed on in every callback (LINK's format).
    pub custom_parameters: Option<KeyValues>,
    /// `link` (the default) or `devino`.
    #[schema(pattern = "^(link|devino)$")]
    pub format: Option<String>,
    /// Write-only: signs each callback.
    #[schema(write_only)]
    pub signing_secret: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GateView {
    id: String,
    #[serde(flatten)]
    owner: Owner,
    url: String,
    format: GateFormat,
    custom_parameters: KeyValues,
    has_signing_secret: bool,
    /// RFC 3339.
    created_at: String,
}

/// Ids chosen by the caller: 1 to 64 letters, digits, `-` or `_`.
pub fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Adds a callback endpoint of an account.
#[utoipa::path(
    post,
    path = "/gates",
    tag = "admin",
    operation_id = "createGate",
    request_body(content = NewGate, content_type = "application/json"),
    security(("admin_token" = [])),
    responses(
        (status = 201, description = "Created.", body = GateView,
            content_type = "application/json"),
        CreateFailures,
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    body: AdminBody,
) -> Result<(StatusCode, Json<GateView>), AdminError> {
    let view = add(&state, parse_body(&body)?).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Creates what `body` describes: the admin API and the console both go
/// through here.
pub async fn add(state: &AppState, body: NewGate) -> Result<GateView, AdminError> {
    let id = match body.id {
        Some(id) if !valid_id(&id) => {
            return Err(AdminError::Invalid(
                "id: must be 1 to 64 letters, digits, - or _".into(),
            ));
        }
        Some(id) if id.starts_with(GATE_ID_PREFIX) => {
            return Err(AdminError::Invalid(format!(
                "id: ids beginning with {GATE_ID_PREFIX} are the gateway's own (the gates of callback URLs)"
            )));
        }
        Some(id) => id,
        None => random_token(8),
    };
    let url = required("url", body.url)?;
    let parsed = crate::egress::callback_url(&url).ok_or_else(|| {
        AdminError::Invalid("url: must be an absolute http:// or https:// URL".into())
    })?;
    crate::egress::check(&parsed, state.callback_allow_private)
        .await
        .map_err(|error| AdminError::Invalid(format!("url: {error}")))?;
    let format = match body.format.as_deref() {
        None => GateFormat::Link,
        Some(text) => GateFormat::parse(text)
            .ok_or_else(|| AdminError::Invalid("format: must be one of: link, devino".into()))?,
    };
    let account = account_of(&state.tenants, body.platform_id, body.platform_partner_id).await?;
    let gate = Gate {
        id,
        account_id: account.id.clone(),
        url,
        format,
        custom_parameters: body.custom_parameters.unwrap_or_default(),
        signing_secret: body.signing_secret.filter(|secret| !secret.is_empty()),
        created_at: now_millis(),
    };
    state.tenants.insert_gate(&gate).await?;
    let accounts = HashMap::from([(account.id.clone(), account)]);
    Ok(view(&accounts, gate))
}

/// Read, list and delete through the admin API's generic handlers.
pub struct Gates;

impl Resource for Gates {
    const NAME: &'static str = "gate";
    const PATH: &'static str = "gates";
    const KIND: TenantKind = TenantKind::Gate;
    type Row = Gate;
    type View = GateView;

    fn fetch<'a>(
        store: &'a dyn TenantStore,
        id: &'a str,
    ) -> impl Future<Output = StoreResult<Option<Gate>>> + Send + 'a {
        store.gate(id)
    }

    fn fetch_all(
        store: &dyn TenantStore,
    ) -> impl Future<Output = StoreResult<Vec<Gate>>> + Send + '_ {
        store.gates()
    }

    fn view(accounts: &HashMap<String, Account>, row: Gate) -> GateView {
        view(accounts, row)
    }
}

fn view(accounts: &HashMap<String, Account>, gate: Gate) -> GateView {
    GateView {
        owner: Owner::of(accounts, &gate.account_id),
        id: gate.id,
        url: gate.url,
        format: gate.format,
        custom_parameters: gate.custom_parameters,
        has_signing_secret: gate.signing_secret.is_some(),
        created_at: rfc3339(gate.created_at),
    }
}
