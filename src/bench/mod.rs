//! `wagate bench`: a load generator for the send path, measured from the
//! outside over HTTP.
//!
//! It starts its own gate (a loopback HTTP server that counts delivery
//! reports), provisions a fresh tenant through the admin API (an account, a
//! user, `--sources` numbers, a gate pointing at it), reads the simulator's
//! counters, lets `--connections` workers POST LINK requests (`hello_world`
//! templates by default) naming that gate for `--duration` or `--count`,
//! and then waits until the simulator has accepted every queued message and
//! every message's READ report has reached the gate: the full loop. Without
//! `--url` it starts its own gateway in-process on a temporary database,
//! samples this process's memory through the run, and stops the gateway
//! afterwards. `--baseline` first drives a bare handler with the same load;
//! `--table` runs the standard set and prints one table.
//!
//! - [`args`]: the flags.
//! - [`gateway`]: the in-process gateway.
//! - [`gate`]: the bench's own gate, counting the READ reports.
//! - [`provision`]: the tenant.
//! - [`numbers`]: random phone numbers clear of the sandbox's special ones.
//! - [`load`]: the workers and what they measure.
//! - [`baseline`]: the bare handler the accept rate is compared to.
//! - [`stats`]: the simulator's counters and the wait for them.
//! - [`rss`]: this process's memory.
//! - [`machine`]: the machine's size, for the table.
//! - [`percentile`]: nearest-rank percentiles.
//! - [`report`]: the result of one run and its printout.
//! - [`suite`]: `--table`, the standard set of runs.
//! - [`table`]: a Markdown table and its number formats.

pub mod args;
pub mod baseline;
pub mod gate;
pub mod gateway;
pub mod load;
pub mod machine;
pub mod numbers;
pub mod percentile;
pub mod provision;
pub mod report;
pub mod rss;
pub mod stats;
pub mod suite;
pub mod table;

use std::time::{Duration, Instant};

use anyhow::Context;
use secrecy::SecretString;

pub use args::BenchArgs;
pub use report::BenchReport;
pub use suite::Suite;

use gate::Gate;
use gateway::InProcess;
use load::LoadPlan;
use report::{Parameters, Simulator};
use stats::StatsSource;

/// Longest wait for one HTTP request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the bench as `args` say (the bare handler first with
/// `--baseline`) and returns what it measured.
pub async fn run(args: BenchArgs) -> anyhow::Result<BenchReport> {
    let client = http_client(&args)?;
    let baseline = if args.baseline {
        Some(
            baseline::measure(&client, &args)
                .await
                .context("measuring the bare handler")?,
        )
    } else {
        None
    };
    let mut report = measure(&client, &args).await?;
    report.baseline = baseline;
    Ok(report)
}

/// The client every load and admin call goes through.
fn http_client(args: &BenchArgs) -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .tcp_nodelay(true)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .context("building the HTTP client")
}

/// One run against the gateway at `--url`, or an in-process one (whose
/// memory is sampled through the run).
async fn measure(client: &reqwest::Client, args: &BenchArgs) -> anyhow::Result<BenchReport> {
    match &args.url {
        Some(url) => {
            let token = args
                .admin_token
                .clone()
                .context("--admin-token (or WAGATE_ADMIN_TOKEN) is needed with --url")?;
            bench(client, args, url, token, false).await
        }
        None => {
            let sampler = rss::Sampler::start();
            let gateway = InProcess::start(client, args.database.as_deref(), &args.gateway_args)
                .await
                .context("starting the in-process gateway")?;
            let outcome = bench(
                client,
                args,
                &gateway.url,
                gateway.admin_token.clone(),
                true,
            )
            .await;
            // Read while the gateway still holds what it holds.
            let memory = sampler.stop().await;
            if let Err(error) = gateway.stop().await {
                // The measurements stand; the gateway's end is only worth a warning.
                tracing::warn!(error = %format!("{error:#}"), "stopping the in-process gateway");
            }
            outcome.map(|report| BenchReport { memory, ..report })
        }
    }
}

/// Gate, provision, baseline counters, load, drain.
async fn bench(
    client: &reqwest::Client,
    args: &BenchArgs,
    gateway_url: &str,
    admin_token: SecretString,
    in_process: bool,
) -> anyhow::Result<BenchReport> {
    let gate = Gate::start().await?;
    let tenant = provision::tenant(
        client,
        gateway_url,
        &admin_token,
        &provision::Plan {
            sources: args.sources,
            level: args.level,
            throughput: args.throughput,
            gate_url: gate.url.clone(),
        },
    )
    .await
    .context("provisioning the bench tenant")?;

    let stats = match &args.sim_url {
        Some(sim_url) => StatsSource::simulator(sim_url),
        None => StatsSource::sandbox(gateway_url, admin_token),
    };
    let sim_baseline = stats.read(client).await;
    if let Err(error) = &sim_baseline {
        tracing::warn!(%error, url = stats.url(), "simulator stats unavailable: measuring the accept side only");
    }

    gate.start_clock(Instant::now());
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

    // One deadline for both waits: the simulator's sends, then the READ
    // reports at the gate.
    let deadline = Instant::now() + args.drain_timeout;
    let simulator = match sim_baseline {
        Ok(sim_baseline) => Simulator::Measured(Box::new(
            stats::wait_for(
                &stats,
                client,
                sim_baseline,
                outcome.messages_accepted,
                args.drain_timeout,
            )
            .await,
        )),
        Err(error) => Simulator::Unavailable(error.to_string()),
    };
    let gate_wait = gate
        .wait_for_reads(
            outcome.messages_accepted,
            deadline.saturating_duration_since(Instant::now()),
        )
        .await;
    gate.stop().await;

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
        baseline: None,
        simulator,
        gate: gate_wait,
        memory: None,
    })
}
