//! `wagate bench --table`: the standard set of runs, each with the same
//! connections and limit, printed as one table.
//!
//! 1. The bare handler: the ceiling.
//! 2. Accept alone: sources at 1 msg/s so that dispatch stays idle, on a
//!    fresh in-process gateway (SQLite), without waiting for the loop.
//! 3. The full loop on a fresh in-process gateway (SQLite): the flags'
//!    sources, the gate, the wait for every READ report.
//! 4. The same full loop on `--database`, when given.
//!
//! Each gateway run samples this process's memory.

use std::fmt;
use std::time::Duration;

use anyhow::Context;

use super::args::BenchArgs;
use super::baseline;
use super::load::LoadOutcome;
use super::machine::Machine;
use super::report::{BenchReport, ms, ratio};
use super::rss::megabytes;
use super::table::{Table, grouped};

/// Per-source throughput of the accept run: low enough that dispatch
/// barely runs while the load does.
const IDLE_THROUGHPUT: u32 = 1;

/// Every run of the set.
#[derive(Debug, Clone)]
pub struct Suite {
    pub machine: Machine,
    pub baseline: LoadOutcome,
    pub accept: BenchReport,
    pub full_loop: BenchReport,
    /// The full loop on `--database`, with the database's kind.
    pub full_loop_on_database: Option<(&'static str, BenchReport)>,
}

/// Runs the set as `args` say.
pub async fn run(args: BenchArgs) -> anyhow::Result<Suite> {
    let client = super::http_client(&args)?;
    let baseline = baseline::measure(&client, &args)
        .await
        .context("measuring the bare handler")?;
    let sqlite = BenchArgs {
        database: None,
        ..args.clone()
    };
    let accept_only = BenchArgs {
        throughput: Some(IDLE_THROUGHPUT),
        // The loop is not measured here: nothing to wait for.
        drain_timeout: Duration::ZERO,
        ..sqlite.clone()
    };
    let accept = super::measure(&client, &accept_only)
        .await
        .context("the accept run")?;
    let full_loop = super::measure(&client, &sqlite)
        .await
        .context("the full loop on SQLite")?;
    let full_loop_on_database = match &args.database {
        Some(database) => Some((
            database_kind(database),
            super::measure(&client, &args)
                .await
                .with_context(|| format!("the full loop on {}", database_kind(database)))?,
        )),
        None => None,
    };
    Ok(Suite {
        machine: Machine::here(),
        baseline,
        accept,
        full_loop,
        full_loop_on_database,
    })
}

/// The kind of database a URL names, for people.
fn database_kind(url: &str) -> &'static str {
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        "PostgreSQL"
    } else if url.starts_with("sqlite:") {
        "SQLite"
    } else {
        "the database"
    }
}

/// The accept side of a load: rate, p99, errors.
fn accept_cells(load: &LoadOutcome) -> [String; 3] {
    [
        grouped(load.requests_per_second()),
        load.latency
            .map_or_else(|| "n/a".to_owned(), |latency| ms(latency.p99)),
        grouped(load.errors() as f64),
    ]
}

/// `0.13×`, or `n/a` without a baseline figure.
fn times(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |value| format!("{value:.2}×"))
}

fn rate(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), grouped)
}

impl Suite {
    /// The table: one row per run.
    pub fn table(&self) -> Table {
        let mut table = Table::new([
            "run",
            "accepted req/s",
            "p99",
            "errors",
            "vs bare handler",
            "end to end msg/s",
            "callbacks/s",
            "READ reports at the gate",
            "peak RSS",
            "last RSS",
        ]);
        let [rate_cell, p99, errors] = accept_cells(&self.baseline);
        table.push(
            [
                "bare handler (same JSON parsed, nothing stored)".to_owned(),
                rate_cell,
                p99,
                errors,
                "1.00×".to_owned(),
            ]
            .into_iter()
            .chain(std::iter::repeat_n("–".to_owned(), 5)),
        );
        let mut push_run = |label: String, report: &BenchReport, full_loop: bool| {
            let [rate_cell, p99, errors] = accept_cells(&report.load);
            let mut row = vec![
                label,
                rate_cell,
                p99,
                errors,
                times(ratio(&report.load, &self.baseline)),
            ];
            if full_loop {
                row.extend([
                    rate(report.messages_per_second()),
                    rate(report.callbacks_per_second()),
                    report.reads_summary(),
                ]);
            } else {
                row.extend(["–".to_owned(), "–".to_owned(), "–".to_owned()]);
            }
            match &report.memory {
                Some(memory) => row.extend([megabytes(memory.peak), megabytes(memory.last)]),
                None => row.extend(["n/a".to_owned(), "n/a".to_owned()]),
            }
            table.push(row);
        };
        push_run(
            format!("accept, dispatch idle ({IDLE_THROUGHPUT} msg/s per source), SQLite"),
            &self.accept,
            false,
        );
        push_run(
            "full loop with the gate, SQLite".to_owned(),
            &self.full_loop,
            true,
        );
        if let Some((kind, report)) = &self.full_loop_on_database {
            push_run(format!("full loop with the gate, {kind}"), report, true);
        }
        table
    }
}

impl fmt::Display for Suite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.full_loop.parameters;
        let sources = match p.throughput {
            Some(throughput) => format!("{} × {} at {throughput} msg/s", p.sources, p.level),
            None => format!("{} × {}", p.sources, p.level),
        };
        writeln!(
            f,
            "wagate bench --table: {}, {} connections, {} a run, {} destination(s) a request, {}, sources {sources}, READ reports awaited up to {} after the load",
            self.machine,
            p.connections,
            p.limit,
            p.destinations,
            p.message,
            humantime::format_duration(p.drain_timeout)
        )?;
        writeln!(f)?;
        write!(f, "{}", self.table())
    }
}

#[cfg(test)]
mod tests {
    use super::super::report::Simulator;
    use super::super::report::fixture::{load, report};
    use super::super::rss::Footprint;
    use super::*;

    #[test]
    fn the_table_has_a_row_per_run() {
        let mut full_loop = report(Simulator::Unavailable("HTTP 404".into()));
        full_loop.memory = Some(Footprint {
            peak: 300 * 1024 * 1024,
            last: 250 * 1024 * 1024,
            process_peak: 300 * 1024 * 1024,
        });
        let mut on_postgres = full_loop.clone();
        on_postgres.gate.expected = 150;
        let suite = Suite {
            machine: Machine {
                cores: Some(2),
                memory: Some(8 * 1024 * 1024 * 1024),
            },
            baseline: LoadOutcome {
                accepted: 392,
                errors_by_kind: Default::default(),
                ..load()
            },
            accept: report(Simulator::Unavailable("HTTP 404".into())),
            full_loop,
            full_loop_on_database: Some(("PostgreSQL", on_postgres)),
        };
        let text = suite.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with(
                "wagate bench --table: 2 cores, 8.0 GB RAM, 8 connections, 100 requests a run"
            ),
            "{text}"
        );
        assert_eq!(lines[1], "");
        let rows: Vec<Vec<&str>> = lines[2..]
            .iter()
            .map(|line| {
                line.split(" | ")
                    .map(|cell| cell.trim_matches(['|', ' ']))
                    .collect()
            })
            .collect();
        assert_eq!(rows.len(), 6, "header, rule, four runs:\n{text}");
        assert_eq!(rows[0][0], "run");
        assert_eq!(rows[0].len(), 10);
        assert_eq!(
            rows[2],
            [
                "bare handler (same JSON parsed, nothing stored)",
                "196",
                "12.35 ms",
                "0",
                "1.00×",
                "–",
                "–",
                "–",
                "–",
                "–"
            ]
        );
        assert_eq!(
            rows[3],
            [
                "accept, dispatch idle (1 msg/s per source), SQLite",
                "49",
                "12.35 ms",
                "2",
                "0.25×",
                "–",
                "–",
                "–",
                "n/a",
                "n/a"
            ]
        );
        assert_eq!(
            rows[4],
            [
                "full loop with the gate, SQLite",
                "49",
                "12.35 ms",
                "2",
                "0.25×",
                "30",
                "100",
                "46 of 196 missing 1m after the load",
                "300.0 MB",
                "250.0 MB"
            ]
        );
        assert_eq!(rows[5][0], "full loop with the gate, PostgreSQL");
        assert_eq!(rows[5][7], "all 3.00 s after the load");
    }

    #[test]
    fn database_kinds() {
        assert_eq!(database_kind("postgres://u@127.0.0.1/db"), "PostgreSQL");
        assert_eq!(database_kind("postgresql://u@127.0.0.1/db"), "PostgreSQL");
        assert_eq!(database_kind("sqlite://bench.db"), "SQLite");
        assert_eq!(database_kind("mysql://x"), "the database");
    }

    #[test]
    fn ratios_and_rates_print_without_figures_too() {
        assert_eq!(times(Some(0.1349)), "0.13×");
        assert_eq!(times(None), "n/a");
        assert_eq!(rate(Some(1519.6)), "1,520");
        assert_eq!(rate(None), "n/a");
    }
}
