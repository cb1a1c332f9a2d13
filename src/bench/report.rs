//! What a bench run found, and how it is printed.

use std::fmt;
use std::time::Duration;

use super::args::{Level, Limit, MessageKind};
use super::load::{LoadOutcome, per_second};
use super::stats::Drain;

/// The result of `wagate bench`; [`fmt::Display`] prints it for people.
#[derive(Debug, Clone)]
pub struct BenchReport {
    pub parameters: Parameters,
    pub load: LoadOutcome,
    pub end_to_end: EndToEnd,
}

/// How the run was set up.
#[derive(Debug, Clone)]
pub struct Parameters {
    /// The gateway's base URL.
    pub gateway_url: String,
    /// Whether the bench started the gateway itself.
    pub in_process: bool,
    pub connections: usize,
    pub limit: Limit,
    pub sources: usize,
    pub level: Level,
    pub throughput: Option<u32>,
    pub destinations: usize,
    pub message: MessageKind,
    /// Where the simulator's counters were read.
    pub stats_url: String,
    pub drain_timeout: Duration,
}

/// The end-to-end part: what the simulator saw.
#[derive(Debug, Clone)]
pub enum EndToEnd {
    /// The counters could not be read before the load (e.g. `HTTP 404`
    /// from a gateway without a sandbox).
    Unavailable(String),
    Measured(Drain),
}

impl BenchReport {
    /// Whether the simulator accepted every accepted message in time;
    /// `None` without simulator stats.
    pub fn drain_completed(&self) -> Option<bool> {
        match &self.end_to_end {
            EndToEnd::Unavailable(_) => None,
            EndToEnd::Measured(drain) => Some(drain.completed),
        }
    }

    /// From the start of the load to the simulator's latest send, when it
    /// came after the start.
    pub fn last_arrival(&self) -> Option<Duration> {
        let EndToEnd::Measured(drain) = &self.end_to_end else {
            return None;
        };
        let last = drain.last.last_at?;
        let after = last.checked_sub(self.load.started_at_millis)?;
        u64::try_from(after).ok().map(Duration::from_millis)
    }
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

fn seconds(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.parameters;
        writeln!(f, "wagate bench")?;
        if p.in_process {
            writeln!(f, "  gateway       in-process ({})", p.gateway_url)?;
        } else {
            writeln!(f, "  gateway       {}", p.gateway_url)?;
        }
        writeln!(f, "  connections   {}", p.connections)?;
        writeln!(f, "  load          {}", p.limit)?;
        match p.throughput {
            Some(throughput) => writeln!(
                f,
                "  sources       {} × {}, {throughput} msg/s each",
                p.sources, p.level
            )?,
            None => writeln!(
                f,
                "  sources       {} × {} (the level's throughput)",
                p.sources, p.level
            )?,
        }
        writeln!(f, "  destinations  {} per request", p.destinations)?;
        writeln!(f, "  message       {}", p.message)?;

        let load = &self.load;
        writeln!(f, "load")?;
        writeln!(
            f,
            "  requests      {} sent, {} accepted, {} errors",
            load.sent,
            load.accepted,
            load.errors()
        )?;
        if !load.errors_by_kind.is_empty() {
            let kinds: Vec<String> = load
                .errors_by_kind
                .iter()
                .map(|(kind, count)| format!("{kind} × {count}"))
                .collect();
            writeln!(f, "  errors        {}", kinds.join(", "))?;
        }
        if let Some(first) = &load.first_error {
            writeln!(f, "  first error   {first}")?;
        }
        writeln!(f, "  elapsed       {}", seconds(load.elapsed))?;
        writeln!(
            f,
            "  throughput    {:.1} requests/s, {:.1} messages/s accepted",
            load.requests_per_second(),
            load.messages_per_second()
        )?;
        match &load.latency {
            Some(latency) => writeln!(
                f,
                "  latency       p50 {}, p90 {}, p99 {}, max {}",
                ms(latency.p50),
                ms(latency.p90),
                ms(latency.p99),
                ms(latency.max)
            )?,
            None => writeln!(f, "  latency       n/a (no request was accepted)")?,
        }

        match &self.end_to_end {
            EndToEnd::Unavailable(reason) => writeln!(
                f,
                "end to end: simulator stats unavailable ({reason}) from {}",
                p.stats_url
            ),
            EndToEnd::Measured(drain) => self.fmt_end_to_end(f, drain),
        }
    }
}

impl BenchReport {
    fn fmt_end_to_end(&self, f: &mut fmt::Formatter<'_>, drain: &Drain) -> fmt::Result {
        writeln!(f, "end to end (from {})", self.parameters.stats_url)?;
        writeln!(
            f,
            "  simulator     {} of {} messages accepted, {} rejected",
            drain.accepted(),
            drain.expected,
            drain.rejected()
        )?;
        match self.last_arrival() {
            Some(after) => {
                writeln!(
                    f,
                    "  last arrival  {} after the load started",
                    seconds(after)
                )?;
                writeln!(
                    f,
                    "  rate          {:.1} messages/s",
                    per_second(drain.accepted(), after)
                )?;
            }
            None => writeln!(
                f,
                "  last arrival  n/a (nothing arrived after the load started)"
            )?,
        }
        writeln!(
            f,
            "  webhooks      {} sent, {} failed",
            drain
                .last
                .webhooks_sent
                .saturating_sub(drain.baseline.webhooks_sent),
            drain
                .last
                .webhooks_failed
                .saturating_sub(drain.baseline.webhooks_failed)
        )?;
        if drain.completed {
            writeln!(
                f,
                "  drain         completed {} after the load",
                seconds(drain.waited)
            )?;
        } else {
            writeln!(
                f,
                "  drain         timed out after {}: {} messages missing",
                humantime::format_duration(self.parameters.drain_timeout),
                drain.missing()
            )?;
        }
        if let Some(error) = &drain.last_error {
            writeln!(f, "  last read     failed: {error}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::percentile::LatencySummary;
    use super::super::stats::SimStats;
    use super::*;

    fn sample(end_to_end: EndToEnd) -> BenchReport {
        BenchReport {
            parameters: Parameters {
                gateway_url: "http://127.0.0.1:8080".into(),
                in_process: false,
                connections: 8,
                limit: Limit::Count(100),
                sources: 4,
                level: Level::High,
                throughput: Some(500),
                destinations: 2,
                message: MessageKind::Template,
                stats_url: "http://127.0.0.1:8080/sandbox/v1/stats".into(),
                drain_timeout: Duration::from_secs(60),
            },
            load: LoadOutcome {
                sent: 100,
                accepted: 98,
                messages_accepted: 196,
                errors_by_kind: BTreeMap::from([("HTTP 500".to_owned(), 2)]),
                first_error: Some("HTTP 500: {\"resultCode\":112500}".into()),
                elapsed: Duration::from_secs(2),
                latency: Some(LatencySummary {
                    p50: Duration::from_micros(1_234),
                    p90: Duration::from_micros(5_000),
                    p99: Duration::from_micros(12_346),
                    max: Duration::from_millis(40),
                }),
                started_at_millis: 1_000_000,
            },
            end_to_end,
        }
    }

    #[test]
    fn prints_parameters_load_and_missing_stats() {
        let report = sample(EndToEnd::Unavailable("HTTP 404".into()));
        let text = report.to_string();
        for line in [
            "  gateway       http://127.0.0.1:8080\n",
            "  load          100 requests\n",
            "  sources       4 × HIGH, 500 msg/s each\n",
            "  destinations  2 per request\n",
            "  requests      100 sent, 98 accepted, 2 errors\n",
            "  errors        HTTP 500 × 2\n",
            "  throughput    49.0 requests/s, 98.0 messages/s accepted\n",
            "  latency       p50 1.23 ms, p90 5.00 ms, p99 12.35 ms, max 40.00 ms\n",
            "end to end: simulator stats unavailable (HTTP 404)",
        ] {
            assert!(text.contains(line), "{line:?} missing from\n{text}");
        }
        assert_eq!(report.drain_completed(), None);
    }

    #[test]
    fn prints_end_to_end_figures() {
        let baseline = SimStats {
            accepted: 10,
            ..SimStats::default()
        };
        let drain = Drain {
            baseline,
            last: SimStats {
                accepted: 206,
                received: 206,
                last_at: Some(1_004_000),
                webhooks_sent: 588,
                ..SimStats::default()
            },
            expected: 196,
            completed: true,
            waited: Duration::from_millis(1500),
            last_error: None,
        };
        let report = sample(EndToEnd::Measured(drain.clone()));
        let text = report.to_string();
        for line in [
            "  simulator     196 of 196 messages accepted, 0 rejected\n",
            "  last arrival  4.00 s after the load started\n",
            "  rate          49.0 messages/s\n",
            "  webhooks      588 sent, 0 failed\n",
            "  drain         completed 1.50 s after the load\n",
        ] {
            assert!(text.contains(line), "{line:?} missing from\n{text}");
        }
        assert_eq!(report.drain_completed(), Some(true));

        let late = Drain {
            last: SimStats {
                accepted: 150,
                ..drain.last
            },
            completed: false,
            ..drain
        };
        let text = sample(EndToEnd::Measured(late)).to_string();
        assert!(
            text.contains("  drain         timed out after 1m: 56 messages missing\n"),
            "{text}"
        );
    }
}
