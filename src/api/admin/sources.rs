//! `/admin/v1/sources`: the business phone numbers an account sends from,
//! with their Cloud API ids, access token and throughput level.

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
use crate::store::{Account, Source, SourceLevel, StoreResult, TenantKind, TenantStore};

/// Highest per-source throughput override, messages per second.
const MAX_THROUGHPUT: u32 = 10_000;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"number": "+46700000001", "platformId": "P1", "platformPartnerId": "1",
    "phoneNumberId": "106540352242922", "wabaId": "102290129340398"}))]
struct NewSource {
    /// The business number, E.164; unique.
    #[schema(value_type = String, required = true, example = "+46700000001")]
    number: Option<String>,
    /// The account's platformId.
    #[schema(value_type = String, required = true, min_length = 1)]
    platform_id: Option<String>,
    #[schema(value_type = String, required = true, min_length = 1)]
    platform_partner_id: Option<String>,
    /// The Cloud API's phone number id: required unless the sandbox runs.
    phone_number_id: Option<String>,
    waba_id: Option<String>,
    /// Write-only; without one the gateway's default is used (required
    /// when there is none).
    #[schema(write_only)]
    access_token: Option<String>,
    /// `STANDARD` (the default) or `HIGH`, any case.
    #[schema(pattern = "^([Ss][Tt][Aa][Nn][Dd][Aa][Rr][Dd]|[Hh][Ii][Gg][Hh])$")]
    level: Option<String>,
    /// Messages per second, overriding the level's.
    #[schema(minimum = 1, maximum = 10000)]
    throughput: Option<u32>,
    /// Fail non-template messages outside the 24-hour window before
    /// sending (default true).
    care_window_check: Option<bool>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceView {
    id: String,
    number: String,
    #[serde(flatten)]
    owner: Owner,
    phone_number_id: Option<String>,
    waba_id: Option<String>,
    has_access_token: bool,
    level: SourceLevel,
    /// Messages per second.
    throughput: u32,
    care_window_check: bool,
    /// RFC 3339.
    created_at: String,
}

/// Adds a business number of an account.
#[utoipa::path(
    post,
    path = "/sources",
    tag = "admin",
    operation_id = "createSource",
    request_body(content = NewSource, content_type = "application/json"),
    security(("admin_token" = [])),
    responses(
        (status = 201, description = "Created.", body = SourceView,
            content_type = "application/json"),
        CreateFailures,
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    body: AdminBody,
) -> Result<(StatusCode, Json<SourceView>), AdminError> {
    let body: NewSource = parse_body(&body)?;
    let number = Msisdn::parse(&required("number", body.number)?)
        .map_err(|rule| AdminError::Invalid(format!("number: {rule}")))?;
    let level = match body.level.as_deref() {
        None => SourceLevel::Standard,
        Some(text) => SourceLevel::parse(&text.to_ascii_uppercase())
            .ok_or_else(|| AdminError::Invalid("level: must be one of: STANDARD, HIGH".into()))?,
    };
    if body
        .throughput
        .is_some_and(|limit| !(1..=MAX_THROUGHPUT).contains(&limit))
    {
        return Err(AdminError::Invalid(format!(
            "throughput: must be between 1 and {MAX_THROUGHPUT} messages per second"
        )));
    }
    let account = account_of(&state.tenants, body.platform_id, body.platform_partner_id).await?;
    let access_token = body.access_token.filter(|token| !token.is_empty());
    let (phone_number_id, waba_id) = cloud_ids(
        &state,
        &number,
        body.phone_number_id.filter(|id| !id.is_empty()),
        body.waba_id.filter(|id| !id.is_empty()),
        access_token.is_some(),
    )?;
    let source = Source {
        id: random_token(12),
        account_id: account.id.clone(),
        number: number.to_string(),
        phone_number_id,
        waba_id,
        access_token,
        level,
        throughput: body.throughput,
        care_window_check: body.care_window_check.unwrap_or(true),
        created_at: now_millis(),
    };
    state.tenants.insert_source(&source).await?;
    if let Some(sim) = &state.sandbox {
        sim.register_source(&source);
    }
    let accounts = HashMap::from([(account.id.clone(), account)]);
    Ok((StatusCode::CREATED, Json(view(&accounts, source))))
}

/// The Cloud API phone number id and WABA id a new source sends with.
/// With the sandbox, those not given are made from the number (the sandbox
/// needs no token). With Meta, a source that could never send is refused:
/// one without a phone number id, or without a token of its own when the
/// gateway has no default (`--meta-access-token`).
fn cloud_ids(
    state: &AppState,
    number: &Msisdn,
    phone_number_id: Option<String>,
    waba_id: Option<String>,
    has_token: bool,
) -> Result<(Option<String>, Option<String>), AdminError> {
    let digits = number.as_str().trim_start_matches('+');
    if state.sandbox.is_some() {
        return Ok((
            Some(phone_number_id.unwrap_or_else(|| format!("sandbox-{digits}"))),
            Some(waba_id.unwrap_or_else(|| format!("sandbox-waba-{digits}"))),
        ));
    }
    if phone_number_id.is_none() {
        return Err(AdminError::Invalid(
            "phoneNumberId: is required: the Cloud API sends from a phone number id".into(),
        ));
    }
    if !has_token && state.default_access_token.is_none() {
        return Err(AdminError::Invalid(
            "accessToken: is required: the gateway has no default (--meta-access-token)".into(),
        ));
    }
    Ok((phone_number_id, waba_id))
}

/// Read, list and delete through the admin API's generic handlers.
pub struct Sources;

impl Resource for Sources {
    const NAME: &'static str = "source";
    const PATH: &'static str = "sources";
    const KIND: TenantKind = TenantKind::Source;
    type Row = Source;
    type View = SourceView;

    fn fetch<'a>(
        store: &'a dyn TenantStore,
        id: &'a str,
    ) -> impl Future<Output = StoreResult<Option<Source>>> + Send + 'a {
        store.source(id)
    }

    fn fetch_all(
        store: &dyn TenantStore,
    ) -> impl Future<Output = StoreResult<Vec<Source>>> + Send + '_ {
        store.sources()
    }

    fn view(accounts: &HashMap<String, Account>, row: Source) -> SourceView {
        view(accounts, row)
    }
}

fn view(accounts: &HashMap<String, Account>, source: Source) -> SourceView {
    SourceView {
        owner: Owner::of(accounts, &source.account_id),
        throughput: source.per_second(),
        id: source.id,
        number: source.number,
        phone_number_id: source.phone_number_id,
        waba_id: source.waba_id,
        has_access_token: source.access_token.is_some(),
        level: source.level,
        care_window_check: source.care_window_check,
        created_at: rfc3339(source.created_at),
    }
}
