//! Start-up and shutdown: open the store, provision the demo tenant when the
//! sandbox runs on an empty database, start the simulator (with the
//! sandbox), the dispatcher, the accept path and the background tasks
//! (callbacks, housekeeping, the console's metric sampler), serve HTTP
//! until told to stop; then let in-flight requests finish (within a grace
//! period), flush the accept path, and let in-flight submissions finish
//! and be recorded.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::FromRef;
use secrecy::{ExposeSecret, SecretString};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use url::Url;

use crate::accept::Accepter;
use crate::api::meta_webhook::{WebhookCommit, WebhookIntake};
use crate::api::{self, AppState, Shared};
use crate::auth::{PasswordChecker, random_token};
use crate::callbacks::{self, CallbackConfig};
use crate::cli::{ServeArgs, Upstream};
use crate::dispatch::{self, DispatchConfig, ResendPolicy};
use crate::media_url::MediaUrls;
use crate::metrics::Metrics;
use crate::metrics::history::{self, History};
use crate::sim::{Sim, SimConfig};
use crate::store::cached::CachedTenants;
use crate::upstream::meta::{CloudApiClient, CloudApiConfig};
use crate::{demo, housekeeping, http_server, store, table_upkeep};

/// The token the dispatcher presents to the sandbox simulator.
const SANDBOX_ACCESS_TOKEN: &str = "sandbox-access-token";

/// The app id resumable uploads name with the sandbox.
const SANDBOX_APP_ID: &str = "sandbox-app";

/// Runs the gateway on `listener` until `shutdown` completes.
pub async fn run(
    args: ServeArgs,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let metrics_listener = match args.metrics_listen {
        Some(address) => Some(
            TcpListener::bind(address)
                .await
                .with_context(|| format!("listening on {address} (--metrics-listen)"))?,
        ),
        None => None,
    };
    run_with_metrics_listener(args, listener, metrics_listener, shutdown).await
}

/// [`run`], with `/metrics` (and `/healthz`, `/readyz`) served on
/// `metrics_listener` when given, instead of on `listener`.
pub async fn run_with_metrics_listener(
    args: ServeArgs,
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    args.validate().map_err(anyhow::Error::msg)?;
    let limits = args.connection_limits();
    http_server::fd_limit::raise(limits.max_connections);
    let address = listener
        .local_addr()
        .context("reading the listen address")?;
    let store = store::open(&args.database, args.pool_settings())
        .await
        .with_context(|| format!("opening the store at {}", store::redacted(&args.database)))?;
    if args.upstream == Upstream::Sandbox {
        demo::provision_if_empty(store.as_ref(), address)
            .await
            .context("provisioning the demo tenant")?;
    }

    // With the sandbox, a generated app secret signs the simulator's
    // webhooks unless one is configured.
    let meta_app_secret = args
        .meta_app_secret
        .clone()
        .filter(|secret| !secret.expose_secret().is_empty())
        .or_else(|| {
            (args.upstream == Upstream::Sandbox).then(|| SecretString::from(random_token(32)))
        });
    let (sandbox, sim_stop) = start_sandbox(&args, address, meta_app_secret.as_ref()).await?;
    if let Some((sim, _)) = &sandbox {
        // The sandbox learns which WABA each source's number belongs to
        // (new sources are registered by the admin API).
        for source in store.sources().await.context("reading the sources")? {
            sim.register_source(&source);
        }
    }
    let cloud_api = CloudApiClient::new(CloudApiConfig {
        base_url: sandbox
            .as_ref()
            .map_or_else(|| args.meta_base_url.clone(), |(_, url)| url.clone()),
        graph_version: args.meta_graph_version.clone(),
        timeout: args.upstream_timeout,
    })
    .context("building the Cloud API client")?;
    let default_access_token = match &sandbox {
        Some(_) => Some(SANDBOX_ACCESS_TOKEN.to_owned()),
        None => args
            .meta_access_token
            .as_ref()
            .map(|token| token.expose_secret().to_owned()),
    };
    let media_urls = MediaUrls::new(
        match &args.public_url {
            Some(url) => url.clone(),
            None => {
                Url::parse(&format!("http://{}", reachable(address))).context("the public URL")?
            }
        },
        match args
            .media_url_secret
            .as_ref()
            .filter(|secret| !secret.expose_secret().is_empty())
        {
            Some(secret) => secret.expose_secret().as_bytes().to_vec(),
            // Generated once and kept, so URLs handed out survive restarts.
            None => store
                .setting("media_url_secret", &random_token(40))
                .await
                .context("reading the media URL secret")?
                .into_bytes(),
        },
        args.media_url_ttl,
    );
    // The name this instance holds its leases under.
    let instance = args
        .instance_name
        .clone()
        .unwrap_or_else(|| format!("wagate-{}", random_token(12)));
    let tenants = CachedTenants::new(store.clone(), args.tenant_cache());
    let metrics = if args.metrics {
        Metrics::new(store.clone(), instance.clone(), args.metrics_gauge_ttl)
    } else {
        Metrics::disabled()
    };
    let (dispatcher, dispatch_task) = dispatch::start(
        store.clone(),
        tenants.clone(),
        cloud_api.clone(),
        DispatchConfig {
            owner: instance.clone(),
            lease: args.dispatch_lease,
            source_lease: args.source_lease,
            poll_interval: args.dispatch_poll,
            scan_interval: args.dispatch_poll.max(std::time::Duration::from_secs(1)),
            resend: ResendPolicy {
                interval: args.resend_interval,
                max: args.resend_max,
                codes: args.resend_codes.clone(),
            },
            default_access_token: default_access_token.clone(),
            metrics: metrics.clone(),
        },
    );
    let waker = dispatcher.clone();
    let (accepter, accept_task) =
        Accepter::start(store.clone(), Arc::new(move |source| waker.wake(source)));
    let (stop_background, background_stopped) = tokio::sync::watch::channel(false);
    let housekeeping_task = tokio::spawn(housekeeping::run(
        store.clone(),
        args.housekeeping_interval,
        args.housekeeping_batch,
        background_stopped.clone(),
    ));
    let upkeep_task = tokio::spawn(table_upkeep::run(
        store.clone(),
        args.statistics_interval,
        background_stopped.clone(),
    ));
    // The overview charts' samples, read from the metrics (none without).
    let chart_history = metrics.is_enabled().then(|| {
        History::new(
            usize::try_from(args.console_chart_points).unwrap_or(usize::MAX),
            args.console_sample_interval,
        )
    });
    let sampler_task = chart_history.clone().map(|history| {
        tokio::spawn(history::sample_every(
            metrics.clone(),
            history,
            background_stopped.clone(),
        ))
    });
    let callbacks_wake = Arc::new(tokio::sync::Notify::new());
    let callbacks_task = tokio::spawn(callbacks::run(
        store.clone(),
        tenants.clone(),
        CallbackConfig {
            owner: instance.clone(),
            schedule: args.callback_retry_schedule.0.clone(),
            timeout: args.callback_timeout,
            concurrency: args.callback_concurrency,
            gate_concurrency: args.callback_gate_concurrency,
            lease: args.dispatch_lease,
            poll_interval: args.dispatch_poll,
            feeder_lease: args.source_lease,
            allow_private: args.callback_allow_private(),
            inbound_content_retention: args.inbound_content_retention,
            metrics: metrics.clone(),
        },
        media_urls.clone(),
        callbacks_wake.clone(),
        background_stopped.clone(),
    ));
    let wake_task = match store.listen().await {
        Ok(Some(wakeups)) => Some(tokio::spawn(forward_wakeups(
            wakeups,
            Woken {
                dispatcher: dispatcher.clone(),
                callbacks: callbacks_wake.clone(),
                tenants: tenants.clone(),
            },
            background_stopped,
        ))),
        Ok(None) => None,
        Err(error) => {
            tracing::warn!(%error, "listening for other instances' work failed; polling only");
            None
        }
    };
    let (webhooks, webhook_task) = WebhookIntake::start(WebhookCommit {
        store: store.clone(),
        events: callbacks_wake,
    });
    let ops = Arc::new(api::ops::Ops {
        metrics_require_token: args.metrics_require_token,
        metrics_elsewhere: metrics_listener.is_some(),
        ..api::ops::Ops::default()
    });
    let admin_token = admin_token(&args);
    let state = AppState::new(Shared {
        message_numbers: crate::intake::numbers::MessageNumbers::new(store.clone()),
        cloud_api,
        default_access_token: default_access_token.map(Arc::from),
        media_urls,
        callback_allow_private: args.callback_allow_private(),
        content_retention: args.content_retention,
        link_limits: args.link_limits(),
        webhooks,
        meta_app_secret: meta_app_secret.map(Arc::new),
        meta_verify_token: args
            .meta_verify_token
            .clone()
            .filter(|token| !token.expose_secret().is_empty())
            .map(Arc::new),
        store,
        tenants,
        accepter,
        passwords: PasswordChecker::new(args.login_throttle())
            .context("preparing password checks")?,
        admin_token: admin_token.clone().map(Arc::new),
        inbox: sandbox
            .is_some()
            .then(|| Arc::new(crate::inbox::Inbox::new(args.sandbox_inbox_limit))),
        sandbox: sandbox.map(|(sim, _)| sim),
        max_body_bytes: usize::try_from(args.max_body_bytes).unwrap_or(usize::MAX),
        management_limiter: Arc::new(api::link::rate_limit::ManagementLimiter::new(
            args.management_rate_limit,
        )),
        media_uploads: api::link::media::UploadSettings {
            max_body_bytes: usize::try_from(args.media_upload_max_bytes).unwrap_or(usize::MAX),
            timeout: args.media_upload_timeout,
            app_id: args
                .meta_app_id
                .clone()
                .filter(|id| !id.trim().is_empty())
                .or_else(|| (args.upstream == Upstream::Sandbox).then(|| SANDBOX_APP_ID.to_owned()))
                .map(Arc::from),
        },
        metrics,
        ops: ops.clone(),
        console_live: Arc::new(tokio::sync::Semaphore::new(args.console_live_views)),
        chart_history,
    });
    let metrics_server = metrics_listener
        .map(|listener| serve_metrics(listener, api::ops::OpsState::from_ref(&state)));
    let app = api::router(state);
    // The console's line first: whoever reads the output up to "listening"
    // and stops has seen it, and a closed output fails no write.
    if let Some(token) = admin_token.filter(|_| args.admin_token.is_none()) {
        announce(&format!(
            "\nwagate: the console's sandbox playground is at http://{}/console/playground\n\
             \x20 admin token for this run: {}\n\
             \x20 (generated because --admin-token is not set; set it to keep one)\n",
            reachable(address),
            token.expose_secret()
        ));
    }
    announce(&format!("wagate listening on http://{address}"));
    tracing::info!(%address, database = %store::redacted(&args.database), upstream = ?args.upstream, "wagate started");

    let stopping = Arc::new(tokio::sync::Notify::new());
    let stopping_signal = stopping.clone();
    let server = http_server::serve(listener, app, limits, async move {
        shutdown.await;
        ops.shutdown_begun();
        tracing::info!("shutting down: finishing in-flight requests");
        stopping_signal.notify_one();
    });
    let grace = args.shutdown_grace;
    tokio::select! {
        () = server => {}
        () = async { stopping.notified().await; tokio::time::sleep(grace).await } => {
            tracing::warn!(?grace, "in-flight requests did not finish within the grace period");
        }
    }
    // The router (and with it every handle of the accepter) is gone now, so
    // the accept task commits what it holds and ends.
    if tokio::time::timeout(grace, accept_task).await.is_err() {
        tracing::warn!("the accept path did not drain within the grace period");
    }
    if tokio::time::timeout(grace, webhook_task).await.is_err() {
        tracing::warn!("the webhook intake did not drain within the grace period");
    }
    dispatcher.stop();
    if tokio::time::timeout(grace, dispatch_task).await.is_err() {
        tracing::warn!("in-flight submissions did not finish within the grace period");
    }
    let _ = stop_background.send(true);
    let _ = housekeeping_task.await;
    let _ = upkeep_task.await;
    if let Some(task) = sampler_task {
        let _ = task.await;
    }
    if let Some(task) = wake_task {
        let _ = task.await;
    }
    match tokio::time::timeout(grace, callbacks_task).await {
        Ok(Ok(Err(error))) => tracing::error!(%error, "the callbacks ended with an error"),
        Ok(_) => {}
        Err(_) => tracing::warn!("in-flight callbacks did not finish within the grace period"),
    }
    if let Some(stop) = sim_stop {
        let _ = stop.send(());
    }
    if let Some((stop, task)) = metrics_server {
        let _ = stop.send(());
        let _ = task.await;
    }
    tracing::info!("wagate stopped");
    Ok(())
}

/// Serves the operations router on `listener` until told to stop (after
/// the gateway has stopped, so that `/readyz` tells of the shutdown).
fn serve_metrics(
    listener: TcpListener,
    state: api::ops::OpsState,
) -> (oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let address = listener.local_addr().ok();
    tracing::info!(?address, "serving /metrics on its own listener");
    let (stop, stopped) = oneshot::channel::<()>();
    let router = api::ops::own_listener_router(state);
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
        if let Err(error) = served {
            tracing::error!(%error, "the metrics listener failed");
        }
    });
    (stop, task)
}

/// With `--upstream sandbox`: the simulator on a loopback port, and the base
/// URL the Cloud API client uses to reach it.
async fn start_sandbox(
    args: &ServeArgs,
    address: SocketAddr,
    app_secret: Option<&SecretString>,
) -> anyhow::Result<(Option<(Sim, Url)>, Option<oneshot::Sender<()>>)> {
    if args.upstream != Upstream::Sandbox {
        return Ok((None, None));
    }
    let webhook_url = match &args.sandbox_webhook_url {
        Some(url) => url.clone(),
        None => own_webhook_url(address)?,
    };
    let app_secret = app_secret
        .map(|secret| secret.expose_secret().to_owned())
        .context("the sandbox needs an app secret")?;
    let sim = Sim::new(SimConfig {
        webhook_url: Some(webhook_url),
        app_secret,
        status_delay: args.sandbox_status_delay,
        record_limit: args.sandbox_record_limit,
        any_template: args.sandbox_any_template,
        statuses_per_webhook: args.sandbox_statuses_per_webhook,
    });
    let (stop, stopped) = oneshot::channel::<()>();
    let (sim_address, _task) = sim
        .spawn_local(async move {
            let _ = stopped.await;
        })
        .await
        .context("starting the sandbox simulator")?;
    let base = Url::parse(&format!("http://{sim_address}")).context("the simulator's URL")?;
    tracing::info!(%sim_address, "sandbox Cloud API simulator started");
    Ok((Some((sim, base)), Some(stop)))
}

/// Writes a line for the person who started the gateway; an output that
/// is closed (a reader that went away) is no reason to stop serving.
fn announce(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|()| out.flush());
}

/// The admin token: the one given (an empty one disables the admin API
/// and the console), or with the sandbox and none given, one generated for
/// this run.
fn admin_token(args: &ServeArgs) -> Option<SecretString> {
    match &args.admin_token {
        Some(token) if token.expose_secret().is_empty() => None,
        Some(token) => Some(token.clone()),
        None => (args.upstream == Upstream::Sandbox).then(|| SecretString::from(random_token(32))),
    }
}

/// This gateway's `/webhooks/meta`, reachable from the same host.
fn own_webhook_url(address: SocketAddr) -> anyhow::Result<Url> {
    Url::parse(&format!("http://{}/webhooks/meta", reachable(address))).context("the webhook URL")
}

/// The listen address as a peer on this host reaches it (loopback for an
/// unspecified address).
fn reachable(address: SocketAddr) -> SocketAddr {
    if address.ip().is_unspecified() {
        SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), address.port())
    } else {
        address
    }
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

/// Who hears of what other instances committed.
struct Woken {
    dispatcher: dispatch::DispatchHandle,
    callbacks: Arc<tokio::sync::Notify>,
    tenants: CachedTenants,
}

/// Hands the store's wake-ups (work other instances committed, changed
/// tenants) to the dispatcher, the callbacks and the tenant cache, until the
/// background work stops.
async fn forward_wakeups(
    mut wakeups: tokio::sync::mpsc::Receiver<store::Wake>,
    woken: Woken,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            wake = wakeups.recv() => match wake {
                Some(store::Wake::Outbox { source }) => woken.dispatcher.wake(&source),
                Some(store::Wake::Events) => woken.callbacks.notify_one(),
                Some(store::Wake::Tenants) => woken.tenants.forget_all(),
                None => return,
            },
            _ = stopped.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use secrecy::ExposeSecret;

    use super::admin_token;
    use crate::cli::{Cli, Command};

    fn token_of(flags: &[&str]) -> Option<String> {
        let cli = Cli::try_parse_from(["wagate", "serve"].iter().chain(flags)).expect("parse");
        let Command::Serve(args) = cli.command else {
            panic!("not serve");
        };
        admin_token(&args).map(|token| token.expose_secret().to_owned())
    }

    #[test]
    fn the_sandbox_generates_an_admin_token_unless_one_is_given_or_refused() {
        let generated = token_of(&[]).expect("generated with the sandbox");
        assert_eq!(generated.len(), 32);
        assert_ne!(token_of(&[]), Some(generated), "one per run");
        assert_eq!(token_of(&["--admin-token", "t"]).as_deref(), Some("t"));
        assert_eq!(token_of(&["--admin-token", ""]), None);
        let meta = ["--upstream", "meta", "--meta-access-token", "x"];
        assert_eq!(token_of(&meta), None, "never with Meta");
        let given = [&meta[..], &["--admin-token", "t"]].concat();
        assert_eq!(token_of(&given).as_deref(), Some("t"));
    }
}
