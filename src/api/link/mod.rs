//! The LINK Mobility "Common Layer" WhatsApp Message API (v1.9.4), under
//! LINK's own base path `/whatsapp-message`.
//!
//! - [`send`]: `POST /messages`, the accept path.
//! - [`status`]: `GET /messages/{messageId}`, beyond LINK: a message's state
//!   and history.
//! - [`mo_status`]: `POST /mo/status`, an incoming message marked read (with
//!   a typing indicator).
//! - [`templates`]: template management under a source's path
//!   ([`source_path`]: the prefix and the source ownership check).
//! - [`business`]: a number's business profile, information and analytics,
//!   limited per source ([`rate_limit`]).
//! - [`media`]: `POST /media` and `POST /media/resumable`, uploads streamed
//!   through to the Cloud API.
//! - [`auth`]: Basic auth into a tenant; [`error`]: LINK's error body and
//!   result codes, in one place; [`i18n`]: `translatedDescription`.
//!
//! Unknown paths and methods under the base path answer LINK's
//! `ErrorResponse` too (404 and 405, `112402`).

pub mod auth;
pub mod business;
pub mod error;
pub mod i18n;
pub mod management;
pub mod media;
pub mod mo_status;
pub mod rate_limit;
pub mod request;
pub mod send;
pub mod source_path;
pub mod status;
pub mod templates;

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

use super::openapi::{add_webhooks, webhook};
use super::{AppState, protocol};
use error::LinkError;

/// The OpenAPI description of the LINK dialect, paths relative to
/// `/whatsapp-message` (gathered in [`crate::api::openapi::ApiDoc`]), with
/// its callbacks as webhooks.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(send::send_messages, status::message_status, mo_status::mark_read,),
    components(schemas(
        crate::callbacks::format::link::LinkDlr,
        crate::callbacks::format::link::LinkMo,
    ))
)]
pub struct LinkApi;

/// LINK's callbacks as webhooks: the delivery report (to the request's
/// `eventReportGates`) and the incoming message (to a route's gates).
/// Registered in [`crate::api::openapi::ApiDoc`] (nesting does not carry
/// webhooks).
pub struct LinkWebhooks;

impl utoipa::Modify for LinkWebhooks {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        add_webhooks(
            openapi,
            [
                (
                    "linkDeliveryReport",
                    webhook(
                        "LINK delivery report",
                        "One status of one part (`messageId`, `messageIndex`) of a message \
                         sent with LINK's `POST /whatsapp-message/messages`, posted to each \
                         gate of its `eventReportGates`. `messageIndex` -1 and `messageType` \
                         `request` report the message as a whole (e.g. expired before it \
                         was sent).",
                        "LinkDlr",
                    ),
                ),
                (
                    "linkIncomingMessage",
                    webhook(
                        "LINK incoming message",
                        "A message a WhatsApp user sent to a business number, posted to the \
                         gates of the route it matched (for gates of the LINK format).",
                        "LinkMo",
                    ),
                ),
            ],
        );
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/messages", post(send::send_messages))
        .route("/messages/{message_id}", get(status::message_status))
        .route("/mo/status", post(mo_status::mark_read))
        .merge(templates::routes())
        .merge(business::routes())
        .merge(media::router())
        .method_not_allowed_fallback(protocol::method_not_allowed::<LinkError>)
        .fallback(protocol::no_route::<LinkError>)
        .layer(middleware::from_fn(with_language))
}

/// Makes the request's `Accept-Language` available to error rendering.
async fn with_language(request: Request, next: Next) -> Response {
    let language = request
        .headers()
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .and_then(i18n::Language::negotiate);
    i18n::REQUEST_LANGUAGE
        .scope(language, next.run(request))
        .await
}
