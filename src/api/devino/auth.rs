//! The Devino dialect's authentication: the user's API key (from `POST
//! /admin/v1/users`) in `Authorization: Key <apiKey>` or `X-Api-Key:
//! <apiKey>`; when both are sent, `Authorization` is the one checked. The
//! store keeps only the key's SHA-256 digest: the user is found by the
//! digest, and the digests are compared again in constant time.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use subtle::ConstantTimeEq;

use super::error::DevinoError;
use crate::api::AppState;
use crate::auth::api_key_digest;
use crate::store::{Account, TenantStore as _, User};

pub const API_KEY_HEADER: &str = "x-api-key";

/// The authenticated user and the account it belongs to.
#[derive(Debug, Clone)]
pub struct DevinoUser {
    pub user: User,
    pub account: Account,
}

impl FromRequestParts<AppState> for DevinoUser {
    type Rejection = DevinoError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, DevinoError> {
        let key = api_key(&parts.headers).ok_or(DevinoError::Unauthorized)?;
        let digest = api_key_digest(key);
        let (user, account) = state
            .tenants
            .user_by_api_key(&digest)
            .await?
            .filter(|(user, _)| bool::from(user.api_key_hash.as_bytes().ct_eq(digest.as_bytes())))
            .ok_or(DevinoError::Unauthorized)?;
        Ok(Self { user, account })
    }
}

/// The key the request carries, if any.
fn api_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(value) = headers.get(AUTHORIZATION) {
        let (scheme, key) = value.to_str().ok()?.trim().split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("key")
            .then(|| key.trim())
            .filter(|key| !key.is_empty());
    }
    headers
        .get(API_KEY_HEADER)?
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|key| !key.is_empty())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn the_key_comes_from_authorization_first_then_x_api_key() {
        assert_eq!(
            api_key(&headers(&[("authorization", "Key abc")])),
            Some("abc")
        );
        assert_eq!(
            api_key(&headers(&[("authorization", "key  abc ")])),
            Some("abc")
        );
        assert_eq!(api_key(&headers(&[("x-api-key", "xyz")])), Some("xyz"));
        assert_eq!(
            api_key(&headers(&[
                ("authorization", "Key abc"),
                ("x-api-key", "xyz")
            ])),
            Some("abc")
        );
        assert_eq!(api_key(&headers(&[("authorization", "Basic abc")])), None);
        assert_eq!(api_key(&headers(&[("authorization", "Key ")])), None);
        assert_eq!(api_key(&headers(&[])), None);
    }
}
