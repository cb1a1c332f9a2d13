//! The gateway the bench starts for itself when no `--url` is given: a real
//! `wagate serve` on a port-0 listener inside this process, with a random
//! admin token and its own SQLite database in a temporary directory that
//! is removed when the gateway stops (or the database `--database` or a
//! `--gateway-arg=--database=URL` names, e.g. an empty PostgreSQL one).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use secrecy::SecretString;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::auth::random_token;
use crate::cli::Cli;
use crate::server;

/// Longest wait for the gateway's `/healthz` after start.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A gateway running in this process.
pub struct InProcess {
    pub url: String,
    pub admin_token: SecretString,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    dir: Option<PathBuf>,
}

impl InProcess {
    /// Starts `wagate serve` on `database` (default: a temporary SQLite
    /// file) with `extra` flags after the bench's own, and waits until it
    /// answers `/healthz`.
    pub async fn start(
        client: &reqwest::Client,
        database: Option<&str>,
        extra: &[String],
    ) -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!("wagate-bench-{}", random_token(12)));
        tokio::fs::create_dir(&dir)
            .await
            .with_context(|| format!("creating {}", dir.display()))?;
        let token = random_token(32);
        let mut gateway = Self {
            url: String::new(),
            admin_token: SecretString::from(token.clone()),
            shutdown: None,
            task: None,
            dir: Some(dir.clone()),
        };
        let started = gateway.launch(&dir, database, &token, extra).await;
        let started = match started {
            Ok(()) => gateway.wait_healthy(client).await,
            Err(error) => Err(error),
        };
        match started {
            Ok(()) => Ok(gateway),
            Err(error) => {
                if let Err(stop_error) = gateway.stop().await {
                    tracing::warn!(error = %stop_error, "stopping the in-process gateway after a failed start");
                }
                Err(error)
            }
        }
    }

    async fn launch(
        &mut self,
        dir: &std::path::Path,
        database: Option<&str>,
        token: &str,
        extra: &[String],
    ) -> anyhow::Result<()> {
        let temporary = format!("sqlite://{}", dir.join("bench.db").display());
        let mut argv: Vec<&str> = vec!["wagate", "serve", "--listen", "127.0.0.1:0"];
        match database {
            Some(database) => argv.extend(["--database", database]),
            // A database named with --gateway-arg (PostgreSQL, say) replaces
            // the temporary SQLite file.
            None if extra
                .iter()
                .any(|arg| arg == "--database" || arg.starts_with("--database=")) => {}
            None => argv.extend(["--database", &temporary]),
        }
        argv.extend(["--admin-token", token]);
        argv.extend(extra.iter().map(String::as_str));
        let cli = Cli::try_parse_from(argv).context("the in-process gateway's flags")?;
        let Some(serve) = cli.command.into_serve() else {
            bail!("the in-process gateway runs `wagate serve`");
        };
        let listener = TcpListener::bind(serve.listen)
            .await
            .with_context(|| format!("binding {}", serve.listen))?;
        let address = listener
            .local_addr()
            .context("reading the listen address")?;
        self.url = format!("http://{address}");
        let (shutdown, stop) = oneshot::channel::<()>();
        self.shutdown = Some(shutdown);
        self.task = Some(tokio::spawn(server::run(serve, listener, async move {
            // A dropped sender means stop as well.
            let _ = stop.await;
        })));
        Ok(())
    }

    /// Polls `/healthz`; a gateway that ends while starting reports why.
    async fn wait_healthy(&mut self, client: &reqwest::Client) -> anyhow::Result<()> {
        let url = format!("{}/healthz", self.url);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if self.task.as_ref().is_some_and(JoinHandle::is_finished) {
                let outcome = match self.task.take() {
                    Some(task) => task.await.context("the in-process gateway panicked")?,
                    None => Ok(()),
                };
                outcome.context("the in-process gateway failed to start")?;
                bail!("the in-process gateway stopped while starting");
            }
            let healthy = client
                .get(&url)
                .send()
                .await
                .is_ok_and(|response| response.status().is_success());
            if healthy {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!(
                    "the in-process gateway did not answer {url} within {}",
                    humantime::format_duration(START_TIMEOUT)
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the gateway gracefully, waits for it, and removes its
    /// directory.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            // The gateway may have ended already; then there is nobody to tell.
            let _ = shutdown.send(());
        }
        let outcome = match self.task.take() {
            Some(task) => match task.await {
                Ok(result) => result.context("the in-process gateway failed"),
                Err(error) => Err(error).context("the in-process gateway panicked"),
            },
            None => Ok(()),
        };
        let removed = match self.dir.take() {
            Some(dir) => tokio::fs::remove_dir_all(&dir)
                .await
                .with_context(|| format!("removing {}", dir.display())),
            None => Ok(()),
        };
        outcome.and(removed)
    }
}

impl Drop for InProcess {
    /// When [`InProcess::stop`] was skipped (a panic, a cancelled future):
    /// tell the gateway to stop and remove what can be removed.
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(dir) = self.dir.take()
            && let Err(error) = std::fs::remove_dir_all(&dir)
        {
            tracing::warn!(%error, dir = %dir.display(), "could not remove the bench's temporary directory");
        }
    }
}
