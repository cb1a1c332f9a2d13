//! What a bench run found, and how it is printed.

use std::fmt;
use std::time::Duration;

use super::args::{Level, Limit, MessageKind};
use super::gate::{GateWait, READ};
use super::load::{LoadOutcome, per_second};
use super::rss::{Footprint, megabytes};
use super::stats::Drain;

/// The result of `wagate bench`; [`fmt::Display`] prints it for people.
#[derive(Debug, Clone)]
pub struct BenchReport {
    pub parameters: Parameters,
    pub load: LoadOutcome,
    /// The bare handler under the same load, with `--baseline`.
    pub baseline: Option<LoadOutcome>,
    pub simulator: Simulator,
    /// What reached the bench's gate.
    pub gate: GateWait,
    /// This process's memory through the run, when the gateway ran in it
    /// (and `/proc` could be read).
    pub memory: Option<Footprint>,
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

/// What the simulator saw.
#[derive(Debug, Clone)]
pub enum Simulator {
    /// The counters could not be read before the load (e.g. `HTTP 404`
    /// from a gateway without a sandbox).
    Unavailable(String),
    Measured(Box<Drain>),
}

/// `load`'s accepted requests per second over `baseline`'s; `None` when
/// the baseline accepted nothing.
pub fn ratio(load: &LoadOutcome, baseline: &LoadOutcome) -> Option<f64> {
    let ceiling = baseline.requests_per_second();
    (ceiling > 0.0).then(|| load.requests_per_second() / ceiling)
}

impl BenchReport {
    /// Whether the simulator accepted every accepted message in time;
    /// `None` without simulator stats.
    pub fn drain_completed(&self) -> Option<bool> {
        match &self.simulator {
            Simulator::Unavailable(_) => None,
            Simulator::Measured(drain) => Some(drain.completed),
        }
    }

    /// From the start of the load to the simulator's latest send, when it
    /// came after the start.
    pub fn last_arrival(&self) -> Option<Duration> {
        let Simulator::Measured(drain) = &self.simulator else {
            return None;
        };
        let last = drain.last.last_at?;
        let after = last.checked_sub(self.load.started_at_millis)?;
        u64::try_from(after).ok().map(Duration::from_millis)
    }

    /// Messages per second end to end: those whose READ report reached the
    /// gate, over the time from the start of the load to the last of them.
    pub fn messages_per_second(&self) -> Option<f64> {
        let tally = &self.gate.tally;
        Some(per_second(tally.read, tally.last_read?))
    }

    /// Callbacks per second at the gate, from the start of the load to the
    /// last callback.
    pub fn callbacks_per_second(&self) -> Option<f64> {
        let tally = &self.gate.tally;
        Some(per_second(tally.callbacks, tally.last_callback?))
    }

    /// From the end of the load to the last READ report, when every
    /// accepted message's arrived.
    pub fn reads_done_after_load(&self) -> Option<Duration> {
        if !self.gate.completed() {
            return None;
        }
        let last_read = self.gate.tally.last_read.unwrap_or_default();
        Some(last_read.saturating_sub(self.load.elapsed))
    }

    /// The gate's drain in a few words: when the last READ report came, or
    /// how many are missing.
    pub fn reads_summary(&self) -> String {
        match self.reads_done_after_load() {
            Some(after) => format!("all {} after the load", seconds(after)),
            None => format!(
                "{} of {} missing {} after the load",
                self.gate.missing(),
                self.gate.expected,
                humantime::format_duration(self.parameters.drain_timeout)
            ),
        }
    }
}

pub fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

pub fn seconds(duration: Duration) -> String {
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

        writeln!(f, "load")?;
        fmt_load(f, &self.load)?;
        if let Some(baseline) = &self.baseline {
            writeln!(
                f,
                "baseline (a bare handler in this process, the same load)"
            )?;
            fmt_load(f, baseline)?;
            match ratio(&self.load, baseline) {
                Some(ratio) => writeln!(f, "  accept        {ratio:.2}× the bare handler")?,
                None => writeln!(f, "  accept        n/a (the bare handler accepted nothing)")?,
            }
        }

        match &self.simulator {
            Simulator::Unavailable(reason) => writeln!(
                f,
                "simulator: stats unavailable ({reason}) from {}",
                p.stats_url
            )?,
            Simulator::Measured(drain) => self.fmt_simulator(f, drain)?,
        }
        self.fmt_gate(f)?;
        if let Some(memory) = &self.memory {
            writeln!(f, "memory (this process: the bench and its gateway)")?;
            writeln!(
                f,
                "  RSS           peak {}, last {} (process high-water {})",
                megabytes(memory.peak),
                megabytes(memory.last),
                megabytes(memory.process_peak)
            )?;
        }
        Ok(())
    }
}

/// The lines about one load: requests, errors, time, rate, latency.
fn fmt_load(f: &mut fmt::Formatter<'_>, load: &LoadOutcome) -> fmt::Result {
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
        ),
        None => writeln!(f, "  latency       n/a (no request was accepted)"),
    }
}

impl BenchReport {
    fn fmt_simulator(&self, f: &mut fmt::Formatter<'_>, drain: &Drain) -> fmt::Result {
        writeln!(f, "simulator (from {})", self.parameters.stats_url)?;
        writeln!(
            f,
            "  sends         {} of {} messages accepted, {} rejected",
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

    fn fmt_gate(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tally = &self.gate.tally;
        writeln!(
            f,
            "gate (a message is done when its READ report, {READ}, arrives)"
        )?;
        let codes: Vec<String> = tally
            .by_code
            .iter()
            .map(|(code, count)| format!("{code} × {count}"))
            .collect();
        writeln!(
            f,
            "  callbacks     {} received{}{}",
            tally.callbacks,
            if codes.is_empty() { "" } else { ": " },
            codes.join(", ")
        )?;
        writeln!(
            f,
            "  done          {} of {} messages, {} READ reports repeated",
            tally.read, self.gate.expected, tally.repeated_reads
        )?;
        match (self.messages_per_second(), self.callbacks_per_second()) {
            (Some(messages), Some(callbacks)) => writeln!(
                f,
                "  rate          {messages:.1} messages/s end to end, {callbacks:.1} callbacks/s"
            )?,
            (None, Some(callbacks)) => writeln!(
                f,
                "  rate          no message done, {callbacks:.1} callbacks/s"
            )?,
            (_, None) => writeln!(f, "  rate          n/a (no callback arrived)")?,
        }
        writeln!(f, "  READ reports  {}", self.reads_summary())
    }
}

/// A report with made-up figures, for the printouts' tests.
#[cfg(test)]
pub(super) mod fixture {
    use std::collections::BTreeMap;

    use super::super::gate::GateTally;
    use super::super::percentile::LatencySummary;
    use super::*;

    /// 100 requests over 2 s (98 accepted, two destinations each), 1 ms to
    /// 40 ms; the gate got every report of 150 of the 196 messages, the
    /// last READ 5 s after the start.
    pub fn load() -> LoadOutcome {
        LoadOutcome {
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
        }
    }

    pub fn report(simulator: Simulator) -> BenchReport {
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
            load: load(),
            baseline: None,
            simulator,
            gate: GateWait {
                tally: GateTally {
                    callbacks: 600,
                    by_code: BTreeMap::from([
                        (112_002, 150),
                        (112_003, 150),
                        (112_006, 150),
                        (112_007, 150),
                    ]),
                    read: 150,
                    repeated_reads: 0,
                    last_callback: Some(Duration::from_secs(6)),
                    last_read: Some(Duration::from_secs(5)),
                },
                expected: 196,
            },
            memory: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::stats::SimStats;
    use super::fixture::{load, report};
    use super::*;

    #[test]
    fn prints_parameters_load_and_missing_stats() {
        let report = report(Simulator::Unavailable("HTTP 404".into()));
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
            "simulator: stats unavailable (HTTP 404)",
        ] {
            assert!(text.contains(line), "{line:?} missing from\n{text}");
        }
        assert!(!text.contains("baseline"), "{text}");
        assert!(!text.contains("memory"), "{text}");
        assert_eq!(report.drain_completed(), None);
    }

    #[test]
    fn prints_the_simulator_figures() {
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
        let sample = report(Simulator::Measured(Box::new(drain.clone())));
        let text = sample.to_string();
        for line in [
            "  sends         196 of 196 messages accepted, 0 rejected\n",
            "  last arrival  4.00 s after the load started\n",
            "  rate          49.0 messages/s\n",
            "  webhooks      588 sent, 0 failed\n",
            "  drain         completed 1.50 s after the load\n",
        ] {
            assert!(text.contains(line), "{line:?} missing from\n{text}");
        }
        assert_eq!(sample.drain_completed(), Some(true));

        let late = Drain {
            last: SimStats {
                accepted: 150,
                ..drain.last
            },
            completed: false,
            ..drain
        };
        let text = report(Simulator::Measured(Box::new(late))).to_string();
        assert!(
            text.contains("  drain         timed out after 1m: 56 messages missing\n"),
            "{text}"
        );
    }

    #[test]
    fn prints_the_gate_and_what_is_missing() {
        let sample = report(Simulator::Unavailable("HTTP 404".into()));
        assert_eq!(sample.messages_per_second(), Some(30.0));
        assert_eq!(sample.callbacks_per_second(), Some(100.0));
        assert_eq!(sample.reads_done_after_load(), None);
        let text = sample.to_string();
        for line in [
            "  callbacks     600 received: 112002 × 150, 112003 × 150, 112006 × 150, 112007 × 150\n",
            "  done          150 of 196 messages, 0 READ reports repeated\n",
            "  rate          30.0 messages/s end to end, 100.0 callbacks/s\n",
            "  READ reports  46 of 196 missing 1m after the load\n",
        ] {
            assert!(text.contains(line), "{line:?} missing from\n{text}");
        }
    }

    #[test]
    fn a_complete_gate_says_when_the_last_read_came() {
        let mut sample = report(Simulator::Unavailable("HTTP 404".into()));
        sample.gate.expected = 150;
        assert_eq!(sample.reads_done_after_load(), Some(Duration::from_secs(3)));
        assert!(
            sample
                .to_string()
                .contains("  READ reports  all 3.00 s after the load\n"),
            "{sample}"
        );
        sample.gate.tally = Default::default();
        sample.gate.expected = 0;
        assert!(
            sample
                .to_string()
                .contains("  rate          n/a (no callback arrived)\n"),
            "{sample}"
        );
    }

    #[test]
    fn prints_the_baseline_ratio_and_memory() {
        let mut sample = report(Simulator::Unavailable("HTTP 404".into()));
        sample.baseline = Some(LoadOutcome {
            sent: 1000,
            accepted: 1000,
            messages_accepted: 2000,
            errors_by_kind: Default::default(),
            first_error: None,
            ..load()
        });
        sample.memory = Some(Footprint {
            peak: 200 * 1024 * 1024,
            last: 150 * 1024 * 1024,
            process_peak: 210 * 1024 * 1024,
        });
        let text = sample.to_string();
        for line in [
            "baseline (a bare handler in this process, the same load)\n",
            "  throughput    500.0 requests/s, 1000.0 messages/s accepted\n",
            "  accept        0.10× the bare handler\n",
            "  RSS           peak 200.0 MB, last 150.0 MB (process high-water 210.0 MB)\n",
        ] {
            assert!(text.contains(line), "{line:?} missing from\n{text}");
        }
        let idle = LoadOutcome {
            accepted: 0,
            ..load()
        };
        assert_eq!(ratio(&sample.load, &idle), None);
    }
}
