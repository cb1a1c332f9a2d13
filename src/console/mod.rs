//! The operator console (`/console`): server-rendered pages, from askama
//! templates compiled into the binary (`templates/console`, escaped by
//! default), with one small stylesheet and no script from elsewhere.
//! Signing in takes the admin token once ([`session`]); every action is a
//! POST carrying the session's CSRF token, and goes through the same code
//! as the admin API (pausing a gate, redelivering a callback), so there is
//! no second way to change state.

mod answers;
mod chart;
mod error;
mod gates;
mod live;
mod messages;
mod overview;
mod playground;
mod series;
pub mod session;
mod sources;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use secrecy::ExposeSecret;
use serde::Deserialize;
use std::net::SocketAddr;

use axum::extract::ConnectInfo;

use self::error::ConsoleError;
use self::session::{Keys, Operator};
use crate::api::AppState;
use crate::clock::now_millis;

/// The stylesheet, from the binary.
const STYLESHEET: &str = include_str!("../../assets/console/console.css");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/console", get(overview::page))
        .route("/console/login", get(login_page).post(login))
        .route("/console/logout", post(logout))
        .route("/console/assets/console.css", get(stylesheet))
        .route("/console/messages", get(messages::list))
        .route("/console/messages/{message_id}", get(messages::page))
        .route("/console/messages/{message_id}/live", get(messages::live))
        .route("/console/playground", get(playground::page))
        .route(
            "/console/playground/inbox/live",
            get(playground::inbox_live),
        )
        .route(
            "/console/playground/connect",
            post(playground::actions::connect),
        )
        .route(
            "/console/playground/send",
            post(playground::actions::send_message),
        )
        .route(
            "/console/playground/reply",
            post(playground::actions::reply),
        )
        .route("/console/sources", get(sources::list))
        .route("/console/sources/{id}", get(sources::page))
        .route("/console/gates", get(gates::list))
        .route("/console/gates/{id}", get(gates::page))
        .route("/console/gates/{id}/pause", post(gates::pause))
        .route("/console/gates/{id}/resume", post(gates::resume))
        .route(
            "/console/gates/{id}/deliveries/{delivery}/redeliver",
            post(gates::redeliver),
        )
}

/// The console's part of the OpenAPI document: HTML pages and form posts.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    home,
    overview::page,
    messages::list,
    messages::page,
    messages::live,
    login_page,
    login,
    logout,
    stylesheet,
    gates::list,
    gates::page,
    gates::pause,
    gates::resume,
    gates::redeliver,
    playground::page,
    playground::inbox_live,
    playground::actions::connect,
    playground::actions::send_message,
    playground::actions::reply,
    sources::list,
    sources::page,
))]
pub struct ConsoleApi;

/// Renders a page.
fn render(page: &impl Template) -> Result<Response, ConsoleError> {
    Ok(Html(page.render()?).into_response())
}

/// A form body (`application/x-www-form-urlencoded`); one that cannot be
/// read is a 400 page, like every console failure.
struct ConsoleForm<T>(T);

impl<T, S> axum::extract::FromRequest<S> for ConsoleForm<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ConsoleError;

    async fn from_request(
        request: axum::extract::Request,
        state: &S,
    ) -> Result<Self, ConsoleError> {
        Form::<T>::from_request(request, state)
            .await
            .map(|Form(form)| Self(form))
            .map_err(|rejection| ConsoleError::BadForm(rejection.body_text()))
    }
}

/// A form that carries only the CSRF token.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    failed: bool,
}

#[utoipa::path(
    get,
    path = "/console/login",
    tag = "console",
    responses(answers::PageAnswers)
)]
async fn login_page(Keys(keys): Keys) -> Result<Response, ConsoleError> {
    keys.ok_or(ConsoleError::Disabled)?;
    render(&LoginPage { failed: false })
}

#[derive(Deserialize, utoipa::ToSchema)]
struct LoginForm {
    #[serde(default)]
    token: String,
}

/// Signs in with the admin token: sets the session cookie.
#[utoipa::path(
    post,
    path = "/console/login",
    tag = "console",
    request_body(content = LoginForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        answers::ActionAnswers,
        (status = 401, description = "Not the admin token.", content_type = "text/html", body = String),
    ),
)]
async fn login(
    State(state): State<AppState>,
    Keys(keys): Keys,
    connect_info: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: axum::http::HeaderMap,
    ConsoleForm(form): ConsoleForm<LoginForm>,
) -> Result<Response, ConsoleError> {
    let (Some(keys), Some(expected)) = (keys, state.admin_token.as_ref()) else {
        return Err(ConsoleError::Disabled);
    };
    if !session::same_origin(&headers) {
        return Err(ConsoleError::Csrf);
    }
    let client = connect_info.map(|axum::Extension(ConnectInfo(address))| address.ip());
    let right = state.passwords.verify_token(
        client,
        expected.expose_secret().as_bytes(),
        form.token.as_bytes(),
    );
    if !right {
        tracing::warn!("console: a sign-in with a wrong admin token");
        let page = LoginPage { failed: true }.render()?;
        return Ok((axum::http::StatusCode::UNAUTHORIZED, Html(page)).into_response());
    }
    let jar = session::jar(&keys, &headers).add(session::login_cookie(now_millis()));
    Ok((jar, Redirect::to("/console")).into_response())
}

/// Signs out: clears the session cookie.
#[utoipa::path(
    post,
    path = "/console/logout",
    tag = "console",
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses(answers::ActionAnswers),
)]
async fn logout(
    operator: Operator,
    Keys(keys): Keys,
    headers: axum::http::HeaderMap,
    ConsoleForm(form): ConsoleForm<CsrfForm>,
) -> Result<Response, ConsoleError> {
    operator.check_csrf(&form.csrf)?;
    let keys = keys.ok_or(ConsoleError::Disabled)?;
    let jar = session::jar(&keys, &headers).remove(session::logout_cookie());
    Ok((jar, Redirect::to("/console/login")).into_response())
}

/// The gateway's root: to the console (its sign-in page when signed out).
#[utoipa::path(
    get,
    path = "/",
    tag = "console",
    responses((status = 303, description = "To `/console`.")),
)]
async fn home() -> Redirect {
    Redirect::to("/console")
}

#[utoipa::path(
    get,
    path = "/console/assets/console.css",
    tag = "console",
    responses((status = 200, description = "The console's stylesheet.", content_type = "text/css", body = String)),
)]
async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        STYLESHEET,
    )
}
