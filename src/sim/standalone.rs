//! `wagate sim`: the simulator on its own, for a gateway (or anything else
//! speaking the Cloud API) configured with `--upstream meta` and a base URL
//! pointing here.

use std::fmt;
use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use url::Url;

use super::{Sim, SimConfig};

/// Flags of `wagate sim`, each also read from the environment.
#[derive(Clone, clap::Args)]
pub struct SimArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "WAGATE_SIM_LISTEN", default_value = "127.0.0.1:8090")]
    pub listen: SocketAddr,

    /// Where status and inbound-message webhooks are POSTed, e.g.
    /// http://127.0.0.1:8080/webhooks/meta; without it they are only recorded.
    #[arg(long, env = "WAGATE_SIM_WEBHOOK_URL")]
    pub webhook_url: Option<Url>,

    /// App secret signing the webhooks (X-Hub-Signature-256); required with --webhook-url.
    #[arg(
        long,
        env = "WAGATE_META_APP_SECRET",
        default_value = "",
        hide_default_value = true,
        hide_env_values = true
    )]
    pub app_secret: String,

    /// Time before each simulated status (sent, delivered, read).
    #[arg(long, env = "WAGATE_SANDBOX_STATUS_DELAY", default_value = "50ms", value_parser = humantime::parse_duration)]
    pub status_delay: Duration,

    /// Most send and webhook records kept in memory.
    #[arg(long, env = "WAGATE_SIM_RECORD_LIMIT", default_value_t = super::DEFAULT_RECORD_LIMIT)]
    pub record_limit: usize,

    /// Let any template name through, as if every template were approved
    /// (by default only APPROVED templates of the number's WABA go, and a
    /// number's WABA is known once `POST /sim/v1/numbers` registered it).
    #[arg(long, env = "WAGATE_SIM_ANY_TEMPLATE")]
    pub any_template: bool,

    /// Most statuses one webhook carries: statuses that wait together are
    /// posted together, as Meta does (1 or 0: a webhook per status).
    #[arg(long, env = "WAGATE_SIM_STATUSES_PER_WEBHOOK", default_value_t = super::DEFAULT_STATUSES_PER_WEBHOOK)]
    pub statuses_per_webhook: usize,
}

impl fmt::Debug for SimArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimArgs")
            .field("listen", &self.listen)
            .field("webhook_url", &self.webhook_url)
            .field("app_secret", &"<redacted>")
            .field("status_delay", &self.status_delay)
            .field("record_limit", &self.record_limit)
            .field("any_template", &self.any_template)
            .field("statuses_per_webhook", &self.statuses_per_webhook)
            .finish()
    }
}

/// Binds `--listen`, prints `wagate sim listening on http://ADDR` on stdout,
/// and serves until `shutdown` completes.
pub async fn run_standalone(
    args: SimArgs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    if args.webhook_url.is_some() && args.app_secret.is_empty() {
        anyhow::bail!(
            "--app-secret (WAGATE_META_APP_SECRET) is required with --webhook-url: webhooks are signed with it"
        );
    }
    let sim = Sim::new(SimConfig {
        webhook_url: args.webhook_url.clone(),
        app_secret: args.app_secret.clone(),
        status_delay: args.status_delay,
        record_limit: args.record_limit,
        any_template: args.any_template,
        statuses_per_webhook: args.statuses_per_webhook,
    });
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let address = listener
        .local_addr()
        .context("reading the listen address")?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "wagate sim listening on http://{address}")
            .and_then(|()| stdout.flush())
            .context("writing to stdout")?;
    }
    tracing::info!(%address, webhook_url = ?args.webhook_url, "Cloud API simulator listening");
    axum::serve(listener, sim.router())
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving the simulator")
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Command {
        #[command(flatten)]
        args: SimArgs,
    }

    #[test]
    fn flags_have_their_defaults() {
        let Command { args } = Command::try_parse_from(["sim"]).expect("parse");
        assert_eq!(args.listen.to_string(), "127.0.0.1:8090");
        assert_eq!(args.status_delay, Duration::from_millis(50));
        assert_eq!(args.record_limit, 1_000);
        assert_eq!(args.statuses_per_webhook, 100);
        assert!(!format!("{args:?}").contains("app_secret: \"\""));
        let Command { args } = Command::try_parse_from([
            "sim",
            "--webhook-url",
            "http://127.0.0.1:8080/webhooks/meta",
            "--app-secret",
            "s3cret",
            "--status-delay",
            "5ms",
        ])
        .expect("parse");
        assert_eq!(args.status_delay, Duration::from_millis(5));
        assert_eq!(args.app_secret, "s3cret");
        assert!(!format!("{args:?}").contains("s3cret"));
    }

    #[tokio::test]
    async fn a_webhook_url_needs_a_secret() {
        let Command { args } = Command::try_parse_from([
            "sim",
            "--webhook-url",
            "http://127.0.0.1:8080/webhooks/meta",
            "--listen",
            "127.0.0.1:0",
        ])
        .expect("parse");
        let error = run_standalone(args, async {}).await.expect_err("no secret");
        assert!(error.to_string().contains("--app-secret"), "{error}");
    }
}
