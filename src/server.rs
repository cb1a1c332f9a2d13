//! Start-up and shutdown: open the store, provision the demo tenant when the
//! sandbox runs on an empty database, serve HTTP until told to stop, then
//! let in-flight requests finish (within a grace period) and flush the
//! accept path.

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;

use crate::accept::Accepter;
use crate::api::{self, AppState};
use crate::auth::PasswordChecker;
use crate::cli::{ServeArgs, Upstream};
use crate::{demo, store};

/// Runs the gateway on `listener` until `shutdown` completes.
pub async fn run(
    args: ServeArgs,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let address = listener
        .local_addr()
        .context("reading the listen address")?;
    let store = store::open(&args.database)
        .await
        .with_context(|| format!("opening the store at {}", args.database))?;
    if args.upstream == Upstream::Sandbox {
        demo::provision_if_empty(store.as_ref(), address)
            .await
            .context("provisioning the demo tenant")?;
    }
    let (accepter, accept_task) = Accepter::start(store.clone());
    let state = AppState {
        store,
        accepter,
        passwords: PasswordChecker::new().context("preparing password checks")?,
        admin_token: args
            .admin_token
            .clone()
            .filter(|token| !token.expose_secret().is_empty())
            .map(Arc::new),
    };
    let app = api::router(state);
    println!("wagate listening on http://{address}");
    tracing::info!(%address, database = %args.database, upstream = ?args.upstream, "wagate started");

    let stopping = Arc::new(tokio::sync::Notify::new());
    let stopping_signal = stopping.clone();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: finishing in-flight requests");
        stopping_signal.notify_one();
    });
    let grace = args.shutdown_grace;
    tokio::select! {
        result = server => result.context("serving HTTP")?,
        () = async { stopping.notified().await; tokio::time::sleep(grace).await } => {
            tracing::warn!(?grace, "in-flight requests did not finish within the grace period");
        }
    }
    // The router (and with it every handle of the accepter) is gone now, so
    // the accept task commits what it holds and ends.
    if tokio::time::timeout(grace, accept_task).await.is_err() {
        tracing::warn!("the accept path did not drain within the grace period");
    }
    tracing::info!("wagate stopped");
    Ok(())
}

/// Completes on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
