//! The overview page (`GET /console`): the backlogs at a glance.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::error::ConsoleError;
use super::render;
use super::session::Operator;
use crate::api::AppState;
use crate::clock::{now_millis, rfc3339};

/// One priority's outbox.
struct Depth {
    priority: String,
    parts: u64,
    oldest_due: String,
}

#[derive(Template)]
#[template(path = "console/overview.html")]
struct OverviewPage {
    csrf: String,
    outbox: Vec<Depth>,
    callbacks_pending: u64,
    callbacks_due: u64,
    gates_paused: usize,
}

/// The overview: backlogs at a glance.
#[utoipa::path(
    get,
    path = "/console",
    tag = "console",
    responses(super::answers::PageAnswers)
)]
pub async fn page(
    operator: Operator,
    State(state): State<AppState>,
) -> Result<Response, ConsoleError> {
    let backlogs = state.store.backlogs("", now_millis()).await?;
    let gates_paused = state.store.paused_gates().await?.len();
    render(&OverviewPage {
        csrf: operator.csrf,
        outbox: backlogs
            .outbox
            .into_iter()
            .map(|depth| Depth {
                priority: depth.priority.as_str().to_lowercase(),
                parts: depth.parts,
                oldest_due: depth
                    .oldest_due_at
                    .map_or_else(|| "none".to_owned(), rfc3339),
            })
            .collect(),
        callbacks_pending: backlogs.callbacks_pending,
        callbacks_due: backlogs.callbacks_due,
        gates_paused,
    })
}
