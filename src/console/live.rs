//! Live views: a page's fragment sent again as a server-sent event
//! whenever it changes, read every [`LIVE_EVERY`] for at most
//! [`LIVE_FOR`] (then the browser reconnects), at most
//! `--console-live-views` at once (past that, 503).

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

use super::error::ConsoleError;
use crate::api::AppState;

/// How often a live fragment is read again.
const LIVE_EVERY: Duration = Duration::from_secs(1);
/// How long one live view lasts.
const LIVE_FOR: Duration = Duration::from_secs(10 * 60);

/// Streams `render()`'s HTML as events named `event` whenever it differs
/// from the last one sent; the stream ends when `render` gives `None`.
pub fn stream<F, Fut>(
    state: &AppState,
    event: &'static str,
    mut render: F,
) -> Result<Response, ConsoleError>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Option<String>> + Send + 'static,
{
    let permit = state
        .console_live
        .clone()
        .try_acquire_owned()
        .map_err(|_| ConsoleError::Busy("live views (--console-live-views)"))?;
    let until = Instant::now() + LIVE_FOR;
    let start = (String::new(), permit, true);
    let events = futures_util::stream::unfold(start, move |(shown, permit, first)| {
        let next = render();
        async move {
            if !first {
                tokio::time::sleep(LIVE_EVERY).await;
            }
            if Instant::now() >= until {
                return None;
            }
            let html = next.await?;
            let event = (html != shown).then(|| Event::default().event(event).data(html.clone()));
            Some((event, (html, permit, false)))
        }
    });
    let events = futures_util::StreamExt::filter_map(events, |event| async move {
        event.map(Ok::<_, Infallible>)
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response())
}
