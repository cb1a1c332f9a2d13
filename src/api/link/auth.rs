//! Basic authentication of LINK requests into a tenant (failed logins are
//! throttled per username and client address, see [`crate::auth`]).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::error::LinkError;
use crate::api::AppState;
use crate::store::{Account, TenantStore as _, User};

/// The authenticated user and the account it belongs to.
#[derive(Debug, Clone)]
pub struct LinkUser {
    pub user: User,
    pub account: Account,
}

impl FromRequestParts<AppState> for LinkUser {
    type Rejection = LinkError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, LinkError> {
        let (username, password) = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(basic_credentials)
            .ok_or(LinkError::Unauthorized)?;
        let client = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(address)| address.ip());
        let login = state.tenants.user_with_account(&username).await?;
        let verified = state
            .passwords
            .verify(
                &username,
                client,
                login.as_ref().map(|(user, _)| user.password_hash.as_str()),
                &password,
            )
            .await
            .map_err(|error| {
                tracing::error!(%error, "password check failed");
                LinkError::Internal
            })?;
        let (user, account) = login.filter(|_| verified).ok_or(LinkError::Unauthorized)?;
        Ok(Self { user, account })
    }
}

/// `Basic base64(user:password)` → (user, password).
pub fn basic_credentials(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    // No user's name holds a NUL, and the store could not look one up.
    if user.contains('\0') {
        return None;
    }
    Some((user.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_decoded() {
        let header = format!("Basic {}", STANDARD.encode("ann:pa:ss"));
        assert_eq!(
            basic_credentials(&header),
            Some(("ann".into(), "pa:ss".into()))
        );
        assert_eq!(basic_credentials("Bearer abc"), None);
        let nul = format!("Basic {}", STANDARD.encode("an\0n:secret"));
        assert_eq!(basic_credentials(&nul), None);
        assert_eq!(basic_credentials("Basic !!!"), None);
        assert_eq!(
            basic_credentials(&format!("basic {}", STANDARD.encode("nocolon"))),
            None
        );
    }
}
