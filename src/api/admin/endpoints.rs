//! `GET /admin/v1/endpoints`: every path the gateway serves and its
//! methods, read off the router itself (see [`crate::api::route_table`]),
//! to hold a deployment against its OpenAPI document.

use axum::Json;
use axum::extract::State;

use super::error::ListFailures;
use crate::api::AppState;
use crate::api::route_table::ServedRoute;

/// Every path this gateway serves, with its methods.
#[utoipa::path(
    get,
    path = "/endpoints",
    tag = "admin",
    operation_id = "listEndpoints",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "The routes, sorted by path.", body = [ServedRoute],
            example = json!([{"path": "/healthz", "methods": ["get"]}])),
        ListFailures,
    ),
)]
pub async fn list(State(state): State<AppState>) -> Json<Vec<ServedRoute>> {
    Json(state.ops.routes.routes().to_vec())
}
