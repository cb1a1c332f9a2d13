//! The console's login session: after the admin token is given once, a
//! signed cookie (`wagate_console`, `Secure`, `HttpOnly`,
//! `SameSite=Strict`, path `/console`) carries the session's end time.
//! Its signing key is derived from the admin token, so every instance that
//! shares the token knows the session, and changing the token ends them
//! all. Every action (a POST) also wants the session's CSRF token, an HMAC
//! of the cookie under another key derived from the admin token, sent as
//! the form field `csrf`.

use std::time::Duration;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum_extra::extract::SignedCookieJar;
use axum_extra::extract::cookie::{Cookie, Key, SameSite};
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Sha256, Sha512};
use subtle::ConstantTimeEq;

use super::error::ConsoleError;
use crate::api::AppState;
use crate::clock::now_millis;

/// The session cookie's name.
pub const COOKIE: &str = "wagate_console";
/// How long a session lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);

/// What the console signs with: derived from the admin token.
#[derive(Clone)]
pub struct ConsoleKeys {
    cookie: Key,
    csrf: [u8; 32],
}

impl ConsoleKeys {
    /// The keys of `token`.
    pub fn of(token: &SecretString) -> Self {
        let secret = token.expose_secret().as_bytes();
        let mut cookie = <Hmac<Sha512> as KeyInit>::new_from_slice(secret)
            .expect("HMAC takes keys of any length");
        cookie.update(b"wagate console session cookie");
        let mut csrf = <Hmac<Sha256> as KeyInit>::new_from_slice(secret)
            .expect("HMAC takes keys of any length");
        csrf.update(b"wagate console csrf");
        Self {
            cookie: Key::from(&cookie.finalize().into_bytes()),
            csrf: csrf.finalize().into_bytes().into(),
        }
    }

    /// The CSRF token of a session (its cookie's value).
    fn csrf_token(&self, session: &str) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.csrf)
            .expect("HMAC takes keys of any length");
        mac.update(session.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// The console's keys; the console is off without an admin token.
pub struct Keys(pub Option<ConsoleKeys>);

impl FromRef<AppState> for Keys {
    fn from_ref(state: &AppState) -> Self {
        Self(state.admin_token.as_deref().map(ConsoleKeys::of))
    }
}

impl FromRequestParts<AppState> for Keys {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(_: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Self::from_ref(state))
    }
}

/// The session cookie for a login at `now` (milliseconds).
pub fn login_cookie(now: i64) -> Cookie<'static> {
    let ttl = i64::try_from(SESSION_TTL.as_millis()).unwrap_or(i64::MAX);
    let mut cookie = Cookie::new(COOKIE, now.saturating_add(ttl).to_string());
    cookie.set_http_only(true);
    cookie.set_secure(true);
    cookie.set_same_site(SameSite::Strict);
    cookie.set_path("/console");
    cookie.set_max_age(time::Duration::seconds(
        i64::try_from(SESSION_TTL.as_secs()).unwrap_or(i64::MAX),
    ));
    cookie
}

/// The cookie that ends the session.
pub fn logout_cookie() -> Cookie<'static> {
    let mut cookie = Cookie::from(COOKIE);
    cookie.set_path("/console");
    cookie
}

/// A signed-in operator: the request carried a valid session cookie.
#[derive(Debug, Clone)]
pub struct Operator {
    /// The session's CSRF token, for the page's forms.
    pub csrf: String,
}

impl Operator {
    /// Refuses an action whose `csrf` field is not the session's.
    pub fn check_csrf(&self, presented: &str) -> Result<(), ConsoleError> {
        if bool::from(presented.as_bytes().ct_eq(self.csrf.as_bytes())) {
            Ok(())
        } else {
            Err(ConsoleError::Csrf)
        }
    }
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ConsoleError> {
        let Keys(Some(keys)) = Keys::from_ref(state) else {
            return Err(ConsoleError::Disabled);
        };
        let jar = jar(&keys, &parts.headers);
        let session = jar
            .get(COOKIE)
            .map(|cookie| cookie.value().to_owned())
            .filter(|value| value.parse::<i64>().is_ok_and(|until| until > now_millis()))
            .ok_or(ConsoleError::SignIn)?;
        if parts.method != Method::GET && !same_origin(&parts.headers) {
            return Err(ConsoleError::Csrf);
        }
        Ok(Self {
            csrf: keys.csrf_token(&session),
        })
    }
}

/// Whether a request's `Origin`, when it has one, is this host.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok());
    let origin = origin.to_str().ok().map(|origin| {
        origin
            .split_once("://")
            .map_or(origin, |(_, rest)| rest)
            .to_owned()
    });
    matches!((origin, host), (Some(origin), Some(host)) if origin == host)
}

/// The request's signed cookies, for setting or clearing the session
/// cookie (clearing needs the one the request carried).
pub fn jar(keys: &ConsoleKeys, headers: &HeaderMap) -> SignedCookieJar {
    SignedCookieJar::from_headers(headers, keys.cookie.clone())
}
