//! The overview page (`GET /console`): the backlogs at a glance, and
//! charts of the last hour (accept and submit rates, delivery report
//! latency, backlogs) from the metrics' samples.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::chart::{Chart, Line, Rendered, Unit};
use super::error::ConsoleError;
use super::render;
use super::series::{level, mean, rate};
use super::session::Operator;
use crate::api::AppState;
use crate::clock::{now_millis, rfc3339};
use crate::metrics::history::History;

/// One priority's outbox.
struct Depth {
    priority: String,
    parts: u64,
    oldest_due: String,
}

/// The charts, or why there are none.
struct Charts {
    charts: Vec<Rendered>,
    /// What they cover: `Last 1h, a sample every 10s`.
    span: String,
}

#[derive(Template)]
#[template(path = "console/overview.html")]
struct OverviewPage {
    csrf: String,
    outbox: Vec<Depth>,
    callbacks_pending: u64,
    callbacks_due: u64,
    gates_paused: usize,
    /// The sandbox runs: the page points to the playground.
    sandbox: bool,
    /// `None` with `--metrics false`.
    charts: Option<Charts>,
}

/// The overview: backlogs at a glance, and the charts.
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
        sandbox: state.sandbox.is_some(),
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
        charts: state.chart_history.as_ref().map(charts),
    })
}

/// The charts of what `history` holds, up to now.
fn charts(history: &History) -> Charts {
    let samples = history.samples();
    let window = history.window();
    let to = now_millis();
    let from = to - i64::try_from(window.as_millis()).unwrap_or(i64::MAX / 2);
    let chart = |id, title, note, unit, lines| {
        Chart {
            id,
            title,
            note,
            unit,
            lines,
            from,
            to,
        }
        .render()
    };
    let line = |key, name, points| Line { key, name, points };
    Charts {
        charts: vec![
            chart(
                "accept",
                "Accept rate",
                "Messages accepted per second, every dialect.",
                Unit::PerSecond,
                vec![line(
                    "accept",
                    "Accepted",
                    rate(&samples, |sample| sample.accepted),
                )],
            ),
            chart(
                "submit",
                "Submit rate",
                "Parts the Cloud API accepted per second.",
                Unit::PerSecond,
                vec![line(
                    "submit",
                    "Submitted",
                    rate(&samples, |sample| sample.submitted),
                )],
            ),
            chart(
                "dlr",
                "DLR latency",
                "Mean time from a delivery report's callback being queued to its gate accepting it, retries included.",
                Unit::Seconds,
                vec![line(
                    "dlr",
                    "Mean",
                    mean(
                        &samples,
                        |sample| sample.reports,
                        |sample| sample.report_seconds,
                    ),
                )],
            ),
            chart(
                "backlogs",
                "Backlogs",
                "Parts in the outbox and callbacks pending.",
                Unit::Count,
                vec![
                    line("outbox", "Outbox", level(&samples, |sample| sample.outbox)),
                    line(
                        "callbacks",
                        "Callbacks",
                        level(&samples, |sample| sample.callbacks_pending),
                    ),
                ],
            ),
        ],
        span: format!(
            "Last {}, a sample every {}; times in UTC.",
            humantime::format_duration(window),
            humantime::format_duration(history.interval()),
        ),
    }
}
