//! `wagate bench` flags and what they resolve to.

use std::fmt;
use std::time::Duration;

use clap::ValueEnum;
use clap::builder::RangedU64ValueParser;
use secrecy::SecretString;

/// How long the load runs when neither `--duration` nor `--count` is given.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(10);

/// Most destinations the LINK dialect takes in one request.
const MAX_DESTINATIONS: u64 = 1000;

/// Highest per-source throughput the admin API accepts.
const MAX_THROUGHPUT: u64 = 10_000;

#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Base URL of a running gateway (e.g. http://127.0.0.1:8080); without
    /// it the bench starts its own gateway in-process on a fresh database.
    #[arg(long, value_parser = parse_base_url)]
    pub url: Option<String>,

    /// Bearer token of the gateway's admin API: needed with --url (the
    /// in-process gateway gets a random one).
    #[arg(long, env = "WAGATE_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<SecretString>,

    /// Keep-alive connections, each driven by one worker sending one request at a time.
    #[arg(long, default_value_t = 64, value_parser = RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    pub connections: usize,

    /// How long to send (humantime: 10s, 2m); the default when --count is not given.
    #[arg(long, value_parser = parse_positive_duration, conflicts_with = "count")]
    pub duration: Option<Duration>,

    /// Total requests to send, instead of a duration.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,

    /// Destinations per request.
    #[arg(long, default_value_t = 1, value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_DESTINATIONS))]
    pub destinations: usize,

    /// Source numbers the load is spread over, round-robin.
    #[arg(long, default_value_t = 4, value_parser = RangedU64ValueParser::<usize>::new().range(1..=1000))]
    pub sources: usize,

    /// Throughput level of the provisioned sources.
    #[arg(long, value_enum, ignore_case = true, default_value_t = Level::High)]
    pub level: Level,

    /// Throughput of each source, messages per second (default: the level's).
    #[arg(long, value_parser = RangedU64ValueParser::<u32>::new().range(1..=MAX_THROUGHPUT))]
    pub throughput: Option<u32>,

    /// What each request sends; text needs an open 24-hour care window,
    /// which fresh destinations do not have in the sandbox.
    #[arg(long, value_enum, ignore_case = true, default_value_t = MessageKind::Template)]
    pub message: MessageKind,

    /// Base URL of a standalone `wagate sim` to read end-to-end stats from
    /// (its /sim/v1/stats); without it, the gateway's /sandbox/v1/stats.
    #[arg(long, value_parser = parse_base_url)]
    pub sim_url: Option<String>,

    /// Longest wait, after the load, for the simulator to accept every
    /// message and for every accepted message's READ report to reach the
    /// bench's gate.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    pub drain_timeout: Duration,

    /// Also drive a bare HTTP handler in this process (it parses the same
    /// JSON and answers the same way, storing nothing) with the same load,
    /// and compare the gateway's accept rate to it.
    #[arg(long)]
    pub baseline: bool,

    /// Measure the whole set and print it as one table: the bare handler,
    /// accept alone (sources at 1 msg/s, so dispatch stays idle), the full
    /// loop with the gate on SQLite, and on --database when given; each run
    /// on a fresh in-process gateway.
    #[arg(long, conflicts_with = "url")]
    pub table: bool,

    /// The in-process gateway's database (e.g. an empty PostgreSQL one)
    /// instead of a temporary SQLite file; with --table, the full loop runs
    /// on SQLite and then again on this database.
    #[arg(long, conflicts_with = "url", value_name = "URL")]
    pub database: Option<String>,

    /// An extra flag for the in-process gateway's `serve`, repeatable
    /// (e.g. --gateway-arg=--sandbox-status-delay=1s).
    #[arg(
        long = "gateway-arg",
        value_name = "ARG",
        allow_hyphen_values = true,
        conflicts_with = "url"
    )]
    pub gateway_args: Vec<String>,
}

/// The throughput level of a source, as the admin API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Level {
    #[value(name = "HIGH")]
    High,
    #[value(name = "STANDARD")]
    Standard,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::High => "HIGH",
            Self::Standard => "STANDARD",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The message every request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MessageKind {
    /// Meta's sample template `hello_world` (en_US), always deliverable.
    Template,
    /// A short text message.
    Text,
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Template => "template hello_world (en_US)",
            Self::Text => "text",
        })
    }
}

/// When the load stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Duration(Duration),
    Count(u64),
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Duration(duration) => write!(f, "{}", humantime::format_duration(*duration)),
            Self::Count(count) => write!(f, "{count} requests"),
        }
    }
}

impl BenchArgs {
    /// `--count` if given, else `--duration`, else ten seconds.
    pub fn limit(&self) -> Limit {
        match (self.count, self.duration) {
            (Some(count), _) => Limit::Count(count),
            (None, Some(duration)) => Limit::Duration(duration),
            (None, None) => Limit::Duration(DEFAULT_DURATION),
        }
    }
}

/// An http(s) URL, kept without its trailing slash so paths can be appended.
fn parse_base_url(text: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(text).map_err(|error| format!("{text}: {error}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{text}: must be an http or https URL"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    match humantime::parse_duration(text) {
        Ok(duration) if duration.is_zero() => Err("must be longer than zero".into()),
        Ok(duration) => Ok(duration),
        Err(error) => Err(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Harness {
        #[command(flatten)]
        bench: BenchArgs,
    }

    fn parse(args: &[&str]) -> Result<BenchArgs, clap::Error> {
        Harness::try_parse_from(std::iter::once("bench").chain(args.iter().copied()))
            .map(|harness| harness.bench)
    }

    #[test]
    fn defaults_are_a_ten_second_template_run_on_64_connections() {
        let args = parse(&[]).expect("parse");
        assert_eq!(args.url, None);
        assert_eq!(args.connections, 64);
        assert_eq!(args.limit(), Limit::Duration(Duration::from_secs(10)));
        assert_eq!(args.destinations, 1);
        assert_eq!(args.sources, 4);
        assert_eq!(args.level, Level::High);
        assert_eq!(args.throughput, None);
        assert_eq!(args.message, MessageKind::Template);
        assert_eq!(args.sim_url, None);
        assert_eq!(args.drain_timeout, Duration::from_secs(60));
        assert!(args.gateway_args.is_empty());
        assert!(!args.baseline);
        assert!(!args.table);
        assert_eq!(args.database, None);
    }

    #[test]
    fn flags_parse() {
        let args = parse(&[
            "--url",
            "http://127.0.0.1:8080/",
            "--admin-token",
            "t0ken",
            "--connections",
            "8",
            "--count",
            "500",
            "--destinations",
            "3",
            "--sources",
            "2",
            "--level",
            "standard",
            "--throughput",
            "200",
            "--message",
            "text",
            "--sim-url",
            "http://127.0.0.1:9090",
            "--drain-timeout",
            "2m",
        ])
        .expect("parse");
        assert_eq!(args.url.as_deref(), Some("http://127.0.0.1:8080"));
        assert!(args.admin_token.is_some());
        assert_eq!(args.connections, 8);
        assert_eq!(args.limit(), Limit::Count(500));
        assert_eq!(args.destinations, 3);
        assert_eq!(args.sources, 2);
        assert_eq!(args.level, Level::Standard);
        assert_eq!(args.throughput, Some(200));
        assert_eq!(args.message, MessageKind::Text);
        assert_eq!(args.sim_url.as_deref(), Some("http://127.0.0.1:9090"));
        assert_eq!(args.drain_timeout, Duration::from_secs(120));
        let args = parse(&[
            "--duration",
            "1m30s",
            "--gateway-arg=--sandbox-status-delay=1s",
            "--gateway-arg",
            "--resend-max=1",
        ])
        .expect("parse");
        assert_eq!(args.limit(), Limit::Duration(Duration::from_secs(90)));
        assert_eq!(
            args.gateway_args,
            ["--sandbox-status-delay=1s", "--resend-max=1"]
        );
        let args = parse(&[
            "--table",
            "--baseline",
            "--database",
            "postgres://postgres@127.0.0.1:5432/bench",
        ])
        .expect("parse");
        assert!(args.table);
        assert!(args.baseline);
        assert_eq!(
            args.database.as_deref(),
            Some("postgres://postgres@127.0.0.1:5432/bench")
        );
    }

    #[test]
    fn nonsense_is_refused() {
        for bad in [
            &["--connections", "0"][..],
            &["--count", "0"],
            &["--duration", "0s"],
            &["--duration", "soon"],
            &["--count", "5", "--duration", "5s"],
            &["--destinations", "1001"],
            &["--throughput", "0"],
            &["--level", "LOW"],
            &["--message", "image"],
            &["--url", "ftp://example.com"],
            &["--url", "localhost"],
            &[
                "--url",
                "http://127.0.0.1:8080",
                "--gateway-arg=--resend-max=1",
            ],
            &["--url", "http://127.0.0.1:8080", "--table"],
            &[
                "--url",
                "http://127.0.0.1:8080",
                "--database",
                "sqlite://x.db",
            ],
        ] {
            assert!(parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
