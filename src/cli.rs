//! The command line: `wagate serve` and its flags, each also read from a
//! `WAGATE_*` environment variable (flags win).

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::api::link::request::RequestLimits;

#[derive(Debug, Parser)]
#[command(
    name = "wagate",
    version,
    about = "Self-hosted WhatsApp Business messaging gateway"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// How log lines look on stderr: text (colours only on a terminal) or
    /// json (one object per line).
    #[arg(
        long,
        global = true,
        env = "WAGATE_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: crate::logging::LogFormat,
}

// Parsed once at start-up: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway.
    Serve(ServeArgs),
    /// Run the Cloud API simulator on its own (for load tests and integrators).
    Sim(crate::sim::SimArgs),
    /// Drive load through a gateway and measure it end to end.
    Bench(crate::bench::BenchArgs),
    /// Bring the database's schema up to date, then exit.
    Migrate(MigrateArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct MigrateArgs {
    /// Database URL: sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB.
    #[arg(
        long,
        env = "WAGATE_DATABASE_URL",
        default_value = "sqlite://wagate.db"
    )]
    pub database: String,
}

impl Command {
    /// The `serve` arguments, if this is `serve`.
    pub fn into_serve(self) -> Option<ServeArgs> {
        match self {
            Self::Serve(args) => Some(args),
            Self::Sim(_) | Self::Bench(_) | Self::Migrate(_) => None,
        }
    }
}

/// Where messages are submitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Upstream {
    /// The built-in Cloud API simulator (no Meta account needed).
    Sandbox,
    /// Meta's WhatsApp Cloud API.
    Meta,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "WAGATE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Database URL: sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB.
    #[arg(
        long,
        env = "WAGATE_DATABASE_URL",
        default_value = "sqlite://wagate.db"
    )]
    pub database: String,

    /// Where messages are submitted.
    #[arg(long, env = "WAGATE_UPSTREAM", value_enum, default_value = "sandbox")]
    pub upstream: Upstream,

    /// Bearer token of the admin API (and the console's sign-in). Without
    /// it the admin API is disabled, except with `--upstream sandbox`,
    /// where a token is generated for the run and printed; an empty value
    /// disables it there too.
    #[arg(long, env = "WAGATE_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<SecretString>,

    /// Time between resends of a message Meta answered with a transient error.
    #[arg(long, env = "WAGATE_RESEND_INTERVAL", default_value = "60s", value_parser = humantime::parse_duration)]
    pub resend_interval: Duration,

    /// Most resends of one message before it fails.
    #[arg(long, env = "WAGATE_RESEND_MAX", default_value_t = 15)]
    pub resend_max: u32,

    /// Time between the simulated statuses of the sandbox.
    #[arg(long, env = "WAGATE_SANDBOX_STATUS_DELAY", default_value = "50ms", value_parser = humantime::parse_duration)]
    pub sandbox_status_delay: Duration,

    /// Most send records and most webhook records the sandbox keeps in
    /// memory for `/sandbox/v1/received` and `/sandbox/v1/webhooks` (older
    /// ones are dropped; the counters of `/sandbox/v1/stats` keep counting).
    #[arg(long, env = "WAGATE_SANDBOX_RECORD_LIMIT", default_value_t = crate::sim::DEFAULT_RECORD_LIMIT)]
    pub sandbox_record_limit: usize,

    /// Most callbacks the sandbox's inbox (`/sandbox/v1/inbox`, the
    /// console playground's gate) keeps in memory, oldest dropped first.
    #[arg(long, env = "WAGATE_SANDBOX_INBOX_LIMIT", default_value_t = 200)]
    pub sandbox_inbox_limit: usize,

    /// Let the sandbox send any template name, as if every template were
    /// approved: for load runs, and for several gateways each with a
    /// sandbox of its own (templates created through one are unknown to
    /// the others). By default only APPROVED templates of the source's
    /// WABA go, as at Meta.
    #[arg(long, env = "WAGATE_SANDBOX_ANY_TEMPLATE")]
    pub sandbox_any_template: bool,

    /// Most statuses one sandbox webhook carries: statuses that wait
    /// together are posted together, as Meta does (1 or 0: a webhook per status).
    #[arg(long, env = "WAGATE_SANDBOX_STATUSES_PER_WEBHOOK", default_value_t = crate::sim::DEFAULT_STATUSES_PER_WEBHOOK)]
    pub sandbox_statuses_per_webhook: usize,

    /// Delays between callback attempts, comma-separated.
    #[arg(
        long,
        env = "WAGATE_CALLBACK_RETRY_SCHEDULE",
        default_value = "5s,30s,2m,10m,30m,1h,2h,4h,8h,8h,8h",
        value_parser = parse_schedule
    )]
    pub callback_retry_schedule: Schedule,

    /// The address gates reach this gateway at (media URLs in incoming
    /// messages); default: http:// and the listen address.
    #[arg(long, env = "WAGATE_PUBLIC_URL")]
    pub public_url: Option<Url>,

    /// Secret that signs media URLs; without it one is generated once and
    /// kept in the database.
    #[arg(long, env = "WAGATE_MEDIA_URL_SECRET", hide_env_values = true)]
    pub media_url_secret: Option<SecretString>,

    /// How long a media URL in an incoming message works.
    #[arg(long, env = "WAGATE_MEDIA_URL_TTL", default_value = "7d", value_parser = humantime::parse_duration)]
    pub media_url_ttl: Duration,

    /// How long a sent message's content (its Cloud API body) is kept when
    /// its request's customParameters say
    /// `"ott.whatsapp.logMessageContent": "true"`, from acceptance; without
    /// that it is erased as soon as the part is settled.
    #[arg(long, env = "WAGATE_CONTENT_RETENTION", default_value = "30d", value_parser = humantime::parse_duration)]
    pub content_retention: Duration,

    /// How long an incoming message's content (and its callbacks' bodies,
    /// with the media URL) is kept when its route's customParameters say
    /// `"ott.whatsapp.logMessageContent": "true"`, from routing; without
    /// that it is erased once routed and once each callback is done.
    #[arg(long, env = "WAGATE_INBOUND_CONTENT_RETENTION", default_value = "7d", value_parser = humantime::parse_duration)]
    pub inbound_content_retention: Duration,

    /// How often the clean-up runs (erasing kept content whose retention
    /// passed, forgetting old status reports).
    #[arg(long, env = "WAGATE_HOUSEKEEPING_INTERVAL", default_value = "1h", value_parser = parse_interval)]
    pub housekeeping_interval: Duration,

    /// Rows of each kind the clean-up erases or forgets in one write
    /// transaction: it runs in steps of this many, so that other writes go
    /// in between.
    #[arg(long, env = "WAGATE_HOUSEKEEPING_BATCH", default_value = "5000")]
    pub housekeeping_batch: std::num::NonZeroU32,

    /// How often the tables that changed enough since their planner
    /// statistics were gathered are analyzed again (PostgreSQL: the rule of
    /// autovacuum's analyze, checked this often, whether or not autovacuum
    /// runs; tables never analyzed yet are checked every second, and so are
    /// tables of up to 128 MiB with enough dead rows to vacuum, by
    /// autovacuum's rule; SQLite needs neither).
    #[arg(long, env = "WAGATE_STATISTICS_INTERVAL", default_value = "10s", value_parser = parse_interval)]
    pub statistics_interval: Duration,

    /// Longest wait for a gate to answer a callback.
    #[arg(long, env = "WAGATE_CALLBACK_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub callback_timeout: Duration,

    /// Callbacks in flight at once, to all gates together.
    #[arg(long, env = "WAGATE_CALLBACK_CONCURRENCY", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    pub callback_concurrency: u32,

    /// Callbacks in flight at once to one gate: a slow or hanging gate holds
    /// at most this many of the --callback-concurrency slots, each for at
    /// most --callback-timeout (the default is an eighth of the
    /// default --callback-concurrency).
    #[arg(long, env = "WAGATE_CALLBACK_GATE_CONCURRENCY", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    pub callback_gate_concurrency: u32,

    /// Secret that signs Meta's webhooks (X-Hub-Signature-256); generated with the sandbox.
    #[arg(long, env = "WAGATE_META_APP_SECRET", hide_env_values = true)]
    pub meta_app_secret: Option<SecretString>,

    /// Token that answers Meta's webhook verification handshake.
    #[arg(long, env = "WAGATE_META_VERIFY_TOKEN", hide_env_values = true)]
    pub meta_verify_token: Option<SecretString>,

    /// May gates point at loopback and private addresses (default: yes with the sandbox).
    #[arg(long, env = "WAGATE_CALLBACK_ALLOW_PRIVATE")]
    pub callback_allow_private: Option<bool>,

    /// The Cloud API's address (`--upstream meta`); point it at `wagate sim` for load tests.
    #[arg(
        long,
        env = "WAGATE_META_BASE_URL",
        default_value = "https://graph.facebook.com"
    )]
    pub meta_base_url: Url,

    /// Graph API version in the Cloud API paths.
    #[arg(long, env = "WAGATE_META_GRAPH_VERSION", default_value = "v23.0")]
    pub meta_graph_version: String,

    /// Cloud API access token for sources that have none of their own.
    #[arg(long, env = "WAGATE_META_ACCESS_TOKEN", hide_env_values = true)]
    pub meta_access_token: Option<SecretString>,

    /// Longest wait for one Cloud API request.
    #[arg(long, env = "WAGATE_UPSTREAM_TIMEOUT", default_value = "15s", value_parser = humantime::parse_duration)]
    pub upstream_timeout: Duration,

    /// Cloud API error codes that are resent (HTTP 429 and 5xx always are).
    #[arg(
        long,
        env = "WAGATE_RESEND_CODES",
        value_delimiter = ',',
        default_value = "1,2,4,80007,130429,131000,131016,131049,131057,133004"
    )]
    pub resend_codes: Vec<i64>,

    /// How long a dispatcher holds claimed work; after a crash, the work is
    /// claimed again once this passes. Must exceed --upstream-timeout.
    #[arg(long, env = "WAGATE_DISPATCH_LEASE", default_value = "60s", value_parser = humantime::parse_duration)]
    pub dispatch_lease: Duration,

    /// How long an instance owns a business number's outbox (renewed every
    /// third of it while the instance lives); after a crash, another
    /// instance takes the number over once this passes.
    #[arg(long, env = "WAGATE_SOURCE_LEASE", default_value = "15s", value_parser = humantime::parse_duration)]
    pub source_lease: Duration,

    /// The name this instance holds its leases under (unique among the
    /// instances sharing a database); a restarted instance that keeps its
    /// name takes its leases back at once. Default: a new name every start.
    #[arg(long, env = "WAGATE_INSTANCE_NAME")]
    pub instance_name: Option<String>,

    /// Most database connections of this instance (PostgreSQL).
    #[arg(long, env = "WAGATE_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,

    /// Database connections kept open while idle (PostgreSQL).
    #[arg(long, env = "WAGATE_DB_MIN_CONNECTIONS", default_value_t = 2)]
    pub db_min_connections: u32,

    /// Longest time a cached tenant row (a login's user and account, a
    /// source, a gate) is used. Changes through this instance's admin API
    /// apply at once, and other instances on the same PostgreSQL database
    /// hear of them within moments; this bounds how long a change missed
    /// while the database connection was down can go unseen. 0s turns the
    /// cache off.
    #[arg(long, env = "WAGATE_TENANT_CACHE_TTL", default_value = "5s", value_parser = humantime::parse_duration)]
    pub tenant_cache_ttl: Duration,

    /// Most tenant rows cached.
    #[arg(long, env = "WAGATE_TENANT_CACHE_ENTRIES", default_value_t = 10_000)]
    pub tenant_cache_entries: u64,

    /// How often idle dispatch workers look for due resends.
    #[arg(long, env = "WAGATE_DISPATCH_POLL", default_value = "250ms", value_parser = humantime::parse_duration)]
    pub dispatch_poll: Duration,

    /// Longest validity a LINK request may give a message
    /// (`relativeValidityTime`, or `absoluteValidityTime` ahead of now);
    /// longer is refused with 112506. WhatsApp gives up on an undelivered
    /// message after 30 days.
    #[arg(long, env = "WAGATE_MAX_VALIDITY", default_value = "30d", value_parser = humantime::parse_duration)]
    pub max_validity: Duration,

    /// Most parts one LINK request may make (destinations × messages, one
    /// Cloud API message each); more is refused with 112506 before anything
    /// is rendered.
    #[arg(long, env = "WAGATE_MAX_PARTS_PER_REQUEST", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_parts_per_request: u32,

    /// Most bytes of Cloud API bodies one LINK request may make, all its
    /// parts together; more is refused with 112506, rendering stopping at the
    /// first part past it. The default fits 1000 parts of the longest text
    /// message: 4096 characters, each at most 6 bytes of JSON (a `\u0001`
    /// escape; an emoji takes 4), in an envelope of under 300 bytes.
    #[arg(long, env = "WAGATE_MAX_RENDERED_BYTES_PER_REQUEST", default_value_t = 32 * 1024 * 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_rendered_bytes_per_request: u32,

    /// Where the sandbox sends its webhooks (default: this gateway's /webhooks/meta).
    #[arg(long, env = "WAGATE_SANDBOX_WEBHOOK_URL")]
    pub sandbox_webhook_url: Option<Url>,

    /// Seconds to wait for in-flight requests at shutdown.
    #[arg(long, env = "WAGATE_SHUTDOWN_GRACE", default_value = "10s", value_parser = humantime::parse_duration)]
    pub shutdown_grace: Duration,

    /// Longest time a client may take to send a request's head, from the
    /// connection's start or from the first byte of a later request.
    #[arg(long, env = "WAGATE_HEADER_READ_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub header_read_timeout: Duration,

    /// Longest time a client may take to send a request's body, from its head
    /// (answered 408 past it).
    #[arg(long, env = "WAGATE_BODY_READ_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub body_read_timeout: Duration,

    /// How long a keep-alive connection may wait for its next request.
    #[arg(long, env = "WAGATE_IDLE_TIMEOUT", default_value = "60s", value_parser = humantime::parse_duration)]
    pub idle_timeout: Duration,

    /// Most client connections open at once; more wait in the listen backlog.
    #[arg(long, env = "WAGATE_MAX_CONNECTIONS", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// Largest request body, in bytes (answered 413 beyond).
    #[arg(long, env = "WAGATE_MAX_BODY_BYTES", default_value_t = 2 * 1024 * 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_body_bytes: u32,

    /// Largest media upload request body (`POST /whatsapp-message/media`,
    /// `…/media/resumable`), in bytes, all parts together; answered 413
    /// beyond. The default fits the largest type's file (a 100 MB document)
    /// and the other parts.
    #[arg(long, env = "WAGATE_MEDIA_UPLOAD_MAX_BYTES", default_value_t = 101 * 1024 * 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub media_upload_max_bytes: u32,

    /// Longest time one media upload may take: the client's body and the
    /// upload to the Cloud API, which run together.
    #[arg(long, env = "WAGATE_MEDIA_UPLOAD_TIMEOUT", default_value = "10m", value_parser = parse_interval)]
    pub media_upload_timeout: Duration,

    /// The Meta app id whose resumable upload sessions
    /// `POST /whatsapp-message/media/resumable` uses (`--upstream meta`).
    #[arg(long, env = "WAGATE_META_APP_ID")]
    pub meta_app_id: Option<String>,

    /// Failed logins of one username within --login-failure-window after which
    /// its logins are refused (401) until the window ends.
    #[arg(long, env = "WAGATE_LOGIN_FAILURES_PER_USER", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub login_failures_per_user: u32,

    /// Failed logins from one client address (an IPv6 /64) within
    /// --login-failure-window after which its logins are refused (401).
    #[arg(long, env = "WAGATE_LOGIN_FAILURES_PER_ADDRESS", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub login_failures_per_address: u32,

    /// The window failed logins are counted in, from the first failure.
    #[arg(long, env = "WAGATE_LOGIN_FAILURE_WINDOW", default_value = "5m", value_parser = humantime::parse_duration)]
    pub login_failure_window: Duration,

    /// Calls of the LINK business profile, phone number information and
    /// analytics endpoints one source may make in any rolling window,
    /// `N/duration` (e.g. `10/1m`); beyond it `429` with `Retry-After`,
    /// and Meta is not called.
    #[arg(long, env = "WAGATE_MANAGEMENT_RATE_LIMIT", default_value = "10/1m")]
    pub management_rate_limit: crate::api::link::rate_limit::RateLimit,
    /// Count what the gateway does and export it at /metrics (false: record
    /// nothing, /metrics answers 404; for measuring what metrics cost).
    #[arg(long, env = "WAGATE_METRICS", default_value_t = true, action = clap::ArgAction::Set)]
    pub metrics: bool,

    /// Serve /metrics (with /healthz and /readyz) on this address of its own
    /// instead of the main listener.
    #[arg(long, env = "WAGATE_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// /metrics wants the admin token (`Authorization: Bearer …`); needs
    /// --admin-token.
    #[arg(long, env = "WAGATE_METRICS_REQUIRE_TOKEN")]
    pub metrics_require_token: bool,

    /// Longest a scrape reuses the backlog gauges (outbox depth, callbacks
    /// pending, leases held) before reading them from the store again.
    #[arg(long, env = "WAGATE_METRICS_GAUGE_TTL", default_value = "10s", value_parser = humantime::parse_duration)]
    pub metrics_gauge_ttl: Duration,

    /// Console pages open at once with live updates (a message's timeline);
    /// past it, a page opens but is not updated live.
    #[arg(long, env = "WAGATE_CONSOLE_LIVE_VIEWS", default_value_t = 32)]
    pub console_live_views: usize,

    /// How often the console's overview charts sample the metrics (accept
    /// and submit rates, delivery report latency, backlogs).
    #[arg(long, env = "WAGATE_CONSOLE_SAMPLE_INTERVAL", default_value = "10s", value_parser = parse_interval)]
    pub console_sample_interval: Duration,

    /// Most samples the overview charts keep (with the default interval,
    /// 360 is an hour); the memory they take is fixed by it.
    #[arg(long, env = "WAGATE_CONSOLE_CHART_POINTS", default_value_t = 360, value_parser = clap::value_parser!(u32).range(2..=100_000))]
    pub console_chart_points: u32,
}

/// A list of delays, e.g. `5s,30s,2m`.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule(pub Vec<Duration>);

/// A duration that is not zero, e.g. `1h`.
fn parse_interval(text: &str) -> Result<Duration, String> {
    match humantime::parse_duration(text) {
        Ok(interval) if interval.is_zero() => Err("must be more than zero".into()),
        Ok(interval) => Ok(interval),
        Err(error) => Err(error.to_string()),
    }
}

fn parse_schedule(text: &str) -> Result<Schedule, String> {
    let delays = text
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| humantime::parse_duration(part).map_err(|error| format!("{part}: {error}")))
        .collect::<Result<Vec<_>, _>>()?;
    if delays.is_empty() {
        return Err("the schedule needs at least one delay".into());
    }
    Ok(Schedule(delays))
}

impl ServeArgs {
    /// Checks the settings that depend on each other.
    pub fn validate(&self) -> Result<(), String> {
        let has_app_secret = self
            .meta_app_secret
            .as_ref()
            .is_some_and(|secret| !secret.expose_secret().is_empty());
        if self.upstream == Upstream::Meta && !has_app_secret {
            return Err(
                "--upstream meta needs --meta-app-secret (WAGATE_META_APP_SECRET): without it \
                 every webhook from Meta would be refused"
                    .into(),
            );
        }
        let has_admin_token = self
            .admin_token
            .as_ref()
            .is_some_and(|token| !token.expose_secret().is_empty());
        if self.metrics_require_token && !has_admin_token {
            return Err(
                "--metrics-require-token needs --admin-token (WAGATE_ADMIN_TOKEN): it is the \
                 token /metrics wants"
                    .into(),
            );
        }
        if self.source_lease < Duration::from_millis(300) {
            return Err(format!(
                "--source-lease {} is too short to be renewed in time; use at least 300ms",
                humantime::format_duration(self.source_lease)
            ));
        }
        if self.max_validity < Duration::from_millis(1) {
            return Err("--max-validity must be at least 1ms".into());
        }
        if self.dispatch_lease <= self.callback_timeout {
            return Err(format!(
                "--dispatch-lease ({}) must be longer than --callback-timeout ({}): callbacks are \
                 leased like submissions",
                humantime::format_duration(self.dispatch_lease),
                humantime::format_duration(self.callback_timeout)
            ));
        }
        for (flag, value) in [
            ("--header-read-timeout", self.header_read_timeout),
            ("--body-read-timeout", self.body_read_timeout),
            ("--idle-timeout", self.idle_timeout),
            ("--login-failure-window", self.login_failure_window),
        ] {
            if value.is_zero() {
                return Err(format!("{flag} must be longer than 0"));
            }
        }
        if self.dispatch_lease <= self.upstream_timeout {
            return Err(format!(
                "--dispatch-lease ({}) must be longer than --upstream-timeout ({}): a lease that \
                 runs out while a request is in flight lets another claim send the message again",
                humantime::format_duration(self.dispatch_lease),
                humantime::format_duration(self.upstream_timeout)
            ));
        }
        Ok(())
    }

    /// How tenant rows are cached.
    pub fn tenant_cache(&self) -> crate::store::cached::TenantCacheSettings {
        crate::store::cached::TenantCacheSettings {
            ttl: self.tenant_cache_ttl,
            max_entries: self.tenant_cache_entries,
        }
    }

    /// The database pool as configured.
    pub fn pool_settings(&self) -> crate::store::PoolSettings {
        crate::store::PoolSettings {
            max_connections: self.db_max_connections.max(1),
            min_connections: self.db_min_connections.min(self.db_max_connections),
        }
    }

    /// What one LINK request may ask for.
    pub fn link_limits(&self) -> RequestLimits {
        RequestLimits {
            max_validity_ms: self.max_validity_ms(),
            max_parts: usize::try_from(self.max_parts_per_request).unwrap_or(usize::MAX),
            max_rendered_bytes: usize::try_from(self.max_rendered_bytes_per_request)
                .unwrap_or(usize::MAX),
        }
    }

    /// `--max-validity` in milliseconds (as long as they fit).
    pub fn max_validity_ms(&self) -> i64 {
        i64::try_from(self.max_validity.as_millis()).unwrap_or(i64::MAX)
    }

    /// The limits of client connections as configured.
    pub fn connection_limits(&self) -> crate::http_server::ConnectionLimits {
        crate::http_server::ConnectionLimits {
            header_read_timeout: self.header_read_timeout,
            body_read_timeout: self.body_read_timeout,
            idle_timeout: self.idle_timeout,
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
        }
    }

    /// The throttling of failed logins as configured.
    pub fn login_throttle(&self) -> crate::login_throttle::ThrottleLimits {
        crate::login_throttle::ThrottleLimits {
            per_user: self.login_failures_per_user,
            per_address: self.login_failures_per_address,
            window: self.login_failure_window,
        }
    }

    /// Whether gates may point at private addresses: as configured, else
    /// only with the sandbox.
    pub fn callback_allow_private(&self) -> bool {
        self.callback_allow_private
            .unwrap_or(self.upstream == Upstream::Sandbox)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_design() {
        let cli = Cli::try_parse_from(["wagate", "serve"]).expect("parse");
        let args = cli.command.into_serve().expect("serve");
        assert_eq!(args.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(args.database, "sqlite://wagate.db");
        assert_eq!(args.upstream, Upstream::Sandbox);
        assert_eq!(args.resend_interval, Duration::from_secs(60));
        assert_eq!(args.resend_max, 15);
        assert_eq!(args.sandbox_status_delay, Duration::from_millis(50));
        assert_eq!(args.sandbox_record_limit, 1_000);
        assert_eq!(args.sandbox_statuses_per_webhook, 100);
        // Callbacks are tried for at least 24 hours, jitter (−10 %) included.
        let total: Duration = args.callback_retry_schedule.0.iter().sum();
        assert!(
            total.mul_f64(0.9) >= Duration::from_secs(24 * 3600),
            "{total:?}"
        );
        assert!(args.callback_allow_private());
        assert_eq!(
            (args.callback_concurrency, args.callback_gate_concurrency),
            (512, 64)
        );
        assert!(args.admin_token.is_none());
        assert_eq!(args.meta_base_url.as_str(), "https://graph.facebook.com/");
        assert_eq!(
            args.resend_codes,
            wagate_domain::meta_error::DEFAULT_RESEND_CODES
        );
        assert_eq!(args.max_validity_ms(), 30 * 24 * 3600 * 1000);
        let limits = args.link_limits();
        assert_eq!(limits.max_parts, 1000);
        // 1000 parts of the longest text message fit.
        assert!(limits.max_rendered_bytes >= 1000 * (4096 * 6 + 300));
        assert_eq!(args.header_read_timeout, Duration::from_secs(10));
        assert_eq!(args.body_read_timeout, Duration::from_secs(30));
        assert_eq!(args.idle_timeout, Duration::from_secs(60));
        assert_eq!(args.max_connections, 10_000);
        assert_eq!(args.max_body_bytes, 2 * 1024 * 1024);
        // The largest upload (a 100 MB document) fits, with its other parts.
        let largest =
            wagate_domain::media_type::largest(wagate_domain::media_type::LINK_UPLOAD_TYPES);
        assert!(u64::from(args.media_upload_max_bytes) > largest);
        assert_eq!(args.media_upload_timeout, Duration::from_secs(600));
        assert!(args.meta_app_id.is_none());
        assert!(args.validate().is_ok());
        assert!(Cli::try_parse_from(["wagate", "serve", "--max-connections", "0"]).is_err());
    }

    #[test]
    fn metrics_flags_parse_and_the_token_needs_an_admin_token() {
        let serve = |args: &[&str]| {
            Cli::try_parse_from(["wagate", "serve"].iter().chain(args))
                .expect("parse")
                .command
                .into_serve()
                .expect("serve")
        };
        let defaults = serve(&[]);
        assert!(defaults.metrics && !defaults.metrics_require_token);
        assert_eq!(defaults.metrics_listen, None);
        assert_eq!(defaults.metrics_gauge_ttl, Duration::from_secs(10));
        assert!(!serve(&["--metrics", "false"]).metrics);
        // The overview charts: an hour of samples every 10 s by default.
        assert_eq!(defaults.console_sample_interval, Duration::from_secs(10));
        assert_eq!(defaults.console_chart_points, 360);
        let charts = serve(&[
            "--console-sample-interval",
            "250ms",
            "--console-chart-points",
            "2",
        ]);
        assert_eq!(charts.console_sample_interval, Duration::from_millis(250));
        assert_eq!(charts.console_chart_points, 2);
        for (flag, value) in [
            ("--console-sample-interval", "0s"),
            ("--console-chart-points", "1"),
            ("--console-chart-points", "100001"),
        ] {
            assert!(
                Cli::try_parse_from(["wagate", "serve", flag, value]).is_err(),
                "{flag} {value}"
            );
        }
        assert!(
            serve(&["--metrics-require-token"])
                .validate()
                .is_err_and(|error| error.contains("--admin-token"))
        );
        let guarded = serve(&[
            "--metrics-require-token",
            "--admin-token",
            "t",
            "--metrics-listen",
            "127.0.0.1:9464",
        ]);
        assert!(guarded.validate().is_ok());
        assert_eq!(
            guarded.metrics_listen.map(|address| address.port()),
            Some(9464)
        );
    }

    #[test]
    fn schedules_and_durations_parse_humantime() {
        let cli = Cli::try_parse_from([
            "wagate",
            "serve",
            "--resend-interval",
            "200ms",
            "--callback-retry-schedule",
            "1s, 2m,1h",
            "--upstream",
            "meta",
        ])
        .expect("parse");
        let args = cli.command.into_serve().expect("serve");
        assert_eq!(args.resend_interval, Duration::from_millis(200));
        assert_eq!(
            args.callback_retry_schedule.0,
            [
                Duration::from_secs(1),
                Duration::from_secs(120),
                Duration::from_secs(3600)
            ]
        );
        assert!(!args.callback_allow_private());
        assert!(
            args.validate()
                .is_err_and(|error| error.contains("--meta-app-secret"))
        );
        let short_lease = Cli::try_parse_from([
            "wagate",
            "serve",
            "--dispatch-lease",
            "5s",
            "--upstream-timeout",
            "5s",
        ])
        .expect("parse")
        .command
        .into_serve()
        .expect("serve");
        assert!(
            short_lease
                .validate()
                .is_err_and(|error| error.contains("--dispatch-lease"))
        );
        assert!(
            Cli::try_parse_from(["wagate", "serve", "--callback-retry-schedule", "soon"]).is_err()
        );
        let no_validity = Cli::try_parse_from(["wagate", "serve", "--max-validity", "0s"])
            .expect("parse")
            .command
            .into_serve()
            .expect("serve");
        assert!(
            no_validity
                .validate()
                .is_err_and(|error| error.contains("--max-validity"))
        );
        for flag in ["--callback-concurrency", "--callback-gate-concurrency"] {
            assert!(
                Cli::try_parse_from(["wagate", "serve", flag, "0"]).is_err(),
                "{flag} 0 would never deliver"
            );
        }
    }
}
