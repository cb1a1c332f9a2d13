//! The path prefix of LINK's per-source management calls,
//! `/platformId/{p}/platformPartnerId/{pp}/source/{s}` (`{s}` the business
//! number, its `+` literal or as `%2B`): [`OwnedSource`] authenticates the
//! user, reads the prefix and hands over the source only when it is one of
//! the user's tenant (else `403 112401`), with what the Cloud API needs to
//! act for it. Templates use it; so can any call under the same prefix.

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use wagate_domain::{Msisdn, Rule, Violation};

use super::auth::LinkUser;
use super::error::LinkError;
use crate::api::AppState;
use crate::store::{Account, Source, TenantStore as _, owned_by};

/// The route prefix, for nesting the per-source calls under it.
pub const PREFIX: &str =
    "/platformId/{platform_id}/platformPartnerId/{platform_partner_id}/source/{source}";

/// A source of the calling user's tenant, named by the path.
#[derive(Debug, Clone)]
pub struct OwnedSource {
    pub account: Account,
    pub source: Source,
}

impl FromRequestParts<AppState> for OwnedSource {
    type Rejection = LinkError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, LinkError> {
        let LinkUser { account, .. } = LinkUser::from_request_parts(parts, state).await?;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|rejection| {
                tracing::error!(%rejection, "a per-source route without its path parameters");
                LinkError::Internal
            })?;
        let param = |name: &str| {
            params
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_owned())
                .unwrap_or_default()
        };
        let named = NamedSource {
            platform_id: &param("platform_id"),
            platform_partner_id: &param("platform_partner_id"),
            number: &param("source"),
        };
        let source = named.owned(state, &account, LinkError::Invalid).await?;
        Ok(Self { account, source })
    }
}

/// A source as a call names it (in its path, body or form parts): the
/// tenant's platform ids and the business number.
pub struct NamedSource<'a> {
    pub platform_id: &'a str,
    pub platform_partner_id: &'a str,
    pub number: &'a str,
}

impl NamedSource<'_> {
    /// The source, when the platform ids are `account`'s and the number is
    /// one of its sources: else `403 112401`. A number that cannot be read
    /// is `malformed` (the caller's error body for a bad field).
    pub async fn owned(
        &self,
        state: &AppState,
        account: &Account,
        malformed: impl FnOnce(Violation) -> LinkError,
    ) -> Result<Source, LinkError> {
        if self.platform_id != account.platform_id
            || self.platform_partner_id != account.platform_partner_id
        {
            return Err(LinkError::NoAccess(format!(
                "platformId {} / platformPartnerId {} is not this user's",
                self.platform_id, self.platform_partner_id
            )));
        }
        let number = Msisdn::parse_dialled(self.number, account.default_country)
            .map_err(|rule| malformed(Violation::new("source", rule)))?;
        owned_by(
            state.tenants.source_by_number(number.as_str()).await?,
            &account.id,
        )
        .ok_or_else(|| {
            LinkError::NoAccess(format!("source {number} is not a number of this account"))
        })
    }
}

/// The phone number id and token the Cloud API is called with for
/// `source` (its own token, else the gateway's default); a source without
/// them cannot be acted for, which is `lacking` (the caller's error body).
pub fn cloud_target(
    source: Source,
    state: &AppState,
    lacking: impl Fn(Violation) -> LinkError,
) -> Result<(String, String), LinkError> {
    let cannot = || {
        lacking(Violation::new(
            "source",
            Rule::Format("a source with a Cloud API phone number id and access token"),
        ))
    };
    let token = token_of(&source, state).ok_or_else(cannot)?.to_owned();
    let phone_number_id = source.phone_number_id.ok_or_else(cannot)?;
    Ok((phone_number_id, token))
}

/// The token the Cloud API is called with for `source`: its own, else the
/// gateway's default.
fn token_of<'a>(source: &'a Source, state: &'a AppState) -> Option<&'a str> {
    source
        .access_token
        .as_deref()
        .or(state.default_access_token.as_deref())
}

/// A source that lacks what a call needs (`what`: the rule it fails).
fn lacking(what: &'static str) -> LinkError {
    LinkError::Invalid(Violation::new("source", Rule::Format(what)))
}

impl OwnedSource {
    /// The token the Cloud API is called with: the source's, else the
    /// gateway's default.
    pub fn access_token<'a>(&'a self, state: &'a AppState) -> Result<&'a str, LinkError> {
        token_of(&self.source, state)
            .ok_or_else(|| lacking("a source with a Cloud API access token (accessToken)"))
    }

    /// The Cloud API's id of the number.
    pub fn phone_number_id(&self) -> Result<&str, LinkError> {
        self.source
            .phone_number_id
            .as_deref()
            .ok_or_else(|| lacking("a source with a Cloud API phone number id (phoneNumberId)"))
    }

    /// The WhatsApp Business Account the number belongs to.
    pub fn waba_id(&self) -> Result<&str, LinkError> {
        self.source
            .waba_id
            .as_deref()
            .ok_or_else(|| lacking("a source with a WhatsApp Business Account id (wabaId)"))
    }
}
