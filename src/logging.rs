//! Where the logs go and in what shape: to stderr, as plain text (colours
//! only when stderr is a terminal, so a log file holds no escape codes) or
//! as one JSON object per line for log shippers (`--log-format json`). The
//! level comes from `RUST_LOG` (default `info`, sqlx at `warn`).
//!
//! Every HTTP request runs in a `request` span carrying its id (the
//! client's `X-Request-Id`, or one made for it; echoed in the response, see
//! [`crate::api::router`]), so each line it logs names it.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The shape of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, with the current span's fields.
    Json,
}

/// Installs the process's log subscriber.
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}
