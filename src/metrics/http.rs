//! The HTTP side of the metrics: the layer that counts every request by its
//! matched route's template (`/whatsapp-message/messages/{message_id}`, not
//! the raw path: the label's values are as few as the routes) and status,
//! covering routes added later with no code of their own; and the
//! `GET /metrics` answer.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Metrics;

/// The content type of the Prometheus text format.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Counts the request once answered (a layer: `middleware::from_fn_with_state`
/// on the whole router, so that the matched route is known).
pub async fn count_requests(
    State(metrics): State<Metrics>,
    request: Request,
    next: Next,
) -> Response {
    let Some(registered) = metrics.registered() else {
        return next.run(request).await;
    };
    let route = registered.route(
        request
            .extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str),
    );
    let response = next.run(request).await;
    registered.count_request(&route, response.status().as_u16());
    response
}

/// `GET /metrics`: the metrics in the Prometheus text format; `404` when
/// they are turned off.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    security((), ("admin_token" = [])),
    responses(
        (status = 200, description = "The metrics, in the Prometheus text format \
            (the admin token is wanted with `--metrics-require-token`; with \
            `--metrics-listen` they are served there instead).",
            content_type = "text/plain; version=0.0.4", body = String),
        (status = 401, description = "`--metrics-require-token` and no or a wrong admin token."),
        (status = 404, description = "Metrics are turned off (`--metrics false`) or served \
            on their own listener.", content_type = "text/plain", body = String),
    ),
)]
pub async fn serve(State(metrics): State<Metrics>) -> Response {
    match metrics.render().await {
        Some(text) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "metrics are turned off (--metrics false)\n",
        )
            .into_response(),
    }
}
