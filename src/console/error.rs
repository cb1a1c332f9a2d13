//! How the console answers a failure: a sign-in redirect, or a small HTML
//! page with the right status that says what went wrong.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::api::admin::AdminError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("the console needs an admin token: start wagate with --admin-token")]
    Disabled,
    #[error("sign in first")]
    SignIn,
    #[error("this form is stale or came from another site; reload the page and try again")]
    Csrf,
    #[error("the form could not be read: {0}")]
    BadForm(String),
    #[error("too many at once: {0}; try again later")]
    Busy(&'static str),
    #[error("{0}")]
    Admin(#[from] AdminError),
    #[error("the playground needs the sandbox: start wagate with --upstream sandbox")]
    NoSandbox,
    /// What the LINK API or the sandbox answered the playground.
    #[error("{message}")]
    Refused { status: StatusCode, message: String },
    #[error("the store failed: {0}")]
    Store(#[from] StoreError),
    #[error("the page could not be rendered: {0}")]
    Render(#[from] askama::Error),
}

#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorPage<'a> {
    status: u16,
    message: &'a str,
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let message = self.to_string();
        let status = match self {
            Self::SignIn => return Redirect::to("/console/login").into_response(),
            Self::Disabled => StatusCode::NOT_FOUND,
            Self::Csrf => StatusCode::FORBIDDEN,
            Self::BadForm(_) => StatusCode::BAD_REQUEST,
            Self::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            // The admin API's status for the same failure.
            Self::Admin(error) => error.into_response().status(),
            Self::NoSandbox => StatusCode::NOT_FOUND,
            Self::Refused { status, .. } => status,
            Self::Store(error) => {
                tracing::error!(%error, "console: the store failed");
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Render(error) => {
                tracing::error!(%error, "console: a page did not render");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let page = ErrorPage {
            status: status.as_u16(),
            message: &message,
        }
        .render()
        .unwrap_or_else(|_| message.clone());
        (status, Html(page)).into_response()
    }
}
