//! `wagate bench`: a load generator for the send path, measured from the
//! outside over HTTP.
//!
//! It provisions a fresh tenant through the admin API (an account, a user,
//! `--sources` numbers), reads the simulator's counters as a baseline, lets
//! `--connections` workers POST LINK requests (`hello_world` templates by
//! default) for `--duration` or `--count`, and then waits until the
//! simulator has accepted every queued message, to measure end to end.
//! Without `--url` it starts its own gateway in-process on a temporary
//! database and stops it afterwards.
//!
//! - [`args`]: the flags.
//! - [`gateway`]: the in-process gateway.
//! - [`provision`]: the tenant.
//! - [`numbers`]: random phone numbers clear of the sandbox's special ones.
//! - [`load`]: the workers and what they measure.
//! - [`stats`]: the simulator's counters and the wait for them.
//! - [`percentile`]: nearest-rank percentiles.
//! - [`report`]: the result and its printout.

pub mod args;
pub mod gateway;
pub mod load;
pub mod numbers;
pub mod percentile;
pub mod provision;
pub mod report;
pub mod stats;

use std::time::Duration;

use anyhow::Context;
use secrecy::SecretString;

pub use args::BenchArgs;
pub use report::BenchReport;

use gateway::InProcess;
use load::LoadPlan;
use report::{EndToEnd, Parameters};
use stats::StatsSource;

/// Longest wait for one HTTP request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the bench as `args` say and returns what it measured.
pub async fn run(args: BenchArgs) -> anyhow::Result<BenchReport> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .tcp_nodelay(true)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .context("building the HTTP client")?;
    match &args.url {
        Some(url) => {
            let token = args
                .admin_token
                .clone()
                .context("--admin-token (or WAGATE_ADMIN_TOKEN) is needed with --url")?;
            bench(&client, &args, url, token, false).await
        }
        None => {
            let gateway = InProcess::start(&client, &args.gateway_args)
                .await
                .context("starting the in-process gateway")?;
            let outcome = bench(
                &client,
                &args,
                &gateway.url,
                gateway.admin_token.clone(),
                true,
            )
            .await;
            if let Err(error) = gateway.stop().await {
                // The measurements stand; the gateway's end is only worth a warning.
                tracing::warn!(error = %format!("{error:#}"), "stopping the in-process gateway");
            }
            outcome
        }
    }
}

/// Provision, baseline, load, drain.
async fn bench(
    client: &reqwest::Client,
    args: &BenchArgs,
    gateway_url: &str,
    admin_token: SecretString,
    in_process: bool,
) -> anyhow::Result<BenchReport> {
    let tenant = provision::tenant(
        client,
        gateway_url,
        &admin_token,
        &provision::Plan {
            sources: args.sources,
            level: args.level,
            throughput: args.throughput,
        },
    )
    .await
    .context("provisioning the bench tenant")?;

    let stats = match &args.sim_url {
        Some(sim_url) => StatsSource::simulator(sim_url),
        None => StatsSource::sandbox(gateway_url, admin_token),
    };
    let baseline = stats.read(client).await;
    if let Err(error) = &baseline {
        tracing::warn!(%error, url = stats.url(), "simulator stats unavailable: measuring the accept side only");
    }

    let outcome = load::run(
        client,
        LoadPlan {
            gateway_url: gateway_url.to_owned(),
            tenant,
            connections: args.connections,
            limit: args.limit(),
            destinations: args.destinations,
            message: args.message,
        },
    )
    .await?;

    let end_to_end = match baseline {
        Ok(baseline) => EndToEnd::Measured(
            stats::wait_for(
                &stats,
                client,
                baseline,
                outcome.messages_accepted,
                args.drain_timeout,
            )
            .await,
        ),
        Err(error) => EndToEnd::Unavailable(error.to_string()),
    };

    Ok(BenchReport {
        parameters: Parameters {
            gateway_url: gateway_url.to_owned(),
            in_process,
            connections: args.connections,
            limit: args.limit(),
            sources: args.sources,
            level: args.level,
            throughput: args.throughput,
            destinations: args.destinations,
            message: args.message,
            stats_url: stats.url().to_owned(),
            drain_timeout: args.drain_timeout,
        },
        load: outcome,
        end_to_end,
    })
}
