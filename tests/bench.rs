//! `wagate bench`: short count-limited runs, against its own in-process
//! gateway and against a running one, must be accepted in full, bring every
//! READ report to the bench's gate and print their figures; `--table` must
//! print a consistent row per run. No figure of speed is asserted.

mod common;

use clap::Parser;
use common::Backend;
use common::db::TestDatabase;
use wagate::bench::gate::READ;
use wagate::bench::{self, BenchArgs, BenchReport};

#[derive(Parser)]
struct Harness {
    #[command(flatten)]
    bench: BenchArgs,
}

fn args(flags: &[&str]) -> BenchArgs {
    Harness::try_parse_from(std::iter::once("bench").chain(flags.iter().copied()))
        .expect("bench flags")
        .bench
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_short_run_is_accepted_in_full_and_reported() {
    let report = bench::run(args(&[
        "--count",
        "50",
        "--connections",
        "4",
        "--drain-timeout",
        "20s",
    ]))
    .await
    .expect("bench run");
    println!("{report}");

    assert_eq!(report.load.sent, 50, "{report}");
    assert_eq!(report.load.accepted, 50, "{report}");
    assert_eq!(report.load.errors(), 0, "{report}");
    assert_eq!(report.load.messages_accepted, 50, "{report}");
    assert!(report.parameters.in_process);

    let text = report.to_string();
    assert!(
        text.contains("  requests      50 sent, 50 accepted, 0 errors\n"),
        "{text}"
    );
    assert!(text.contains("  throughput    "), "{text}");
    assert!(text.contains(" requests/s, "), "{text}");
    assert!(text.contains("  latency       p50 "), "{text}");
    assert!(text.contains(" ms, p90 "), "{text}");

    // Every accepted message reached the sandbox simulator, and its READ
    // report the bench's gate.
    assert_eq!(report.drain_completed(), Some(true), "{text}");
    assert_full_loop(&report);
    let memory = report.memory.expect("the in-process run's memory");
    assert!(memory.last > 0 && memory.peak >= memory.last, "{memory:?}");
}

/// The gate's figures agree with each other and with the load: some
/// messages were done, each counted once by its READ report after the
/// three reports before it (112002 sent to WA, 112006 sent, 112003
/// delivered: a message's reports arrive in order), and done plus missing
/// is what was accepted. Whether every message is done within the wait is
/// the gateway's speed, which is not asserted.
fn assert_full_loop(report: &BenchReport) {
    let gate = &report.gate;
    let tally = &gate.tally;
    assert_eq!(gate.expected, report.load.messages_accepted, "{report}");
    assert!(tally.read > 0, "no READ report arrived: {report}");
    assert_eq!(tally.read + gate.missing(), gate.expected, "{report}");
    assert_eq!(
        tally.by_code.get(&READ).copied(),
        Some(tally.read + tally.repeated_reads),
        "{report}"
    );
    for code in [112_002, 112_006, 112_003] {
        assert!(
            tally.by_code.get(&code).copied().unwrap_or_default() >= tally.read,
            "{code}: {report}"
        );
    }
    assert_eq!(
        tally.callbacks,
        tally.by_code.values().sum::<u64>(),
        "{report}"
    );
    assert!(report.messages_per_second().is_some(), "{report}");
    assert!(report.callbacks_per_second().is_some(), "{report}");
    assert_eq!(
        report.reads_done_after_load().is_some(),
        gate.completed(),
        "{report}"
    );
    let summary = report.reads_summary();
    if gate.completed() {
        assert!(summary.starts_with("all "), "{summary}");
    } else {
        assert!(
            summary.starts_with(&format!("{} of {} missing", gate.missing(), gate.expected)),
            "{summary}"
        );
    }
}

#[tokio::test]
async fn a_foreign_gateway_needs_the_admin_token() {
    let mut bench_args = args(&["--url", "http://127.0.0.1:9", "--count", "1"]);
    bench_args.admin_token = None;
    let error = bench::run(bench_args).await.expect_err("no token");
    assert!(format!("{error:#}").contains("--admin-token"), "{error:#}");
}

on_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    repeated_runs_against_a_running_gateway_do_not_collide
);
async fn repeated_runs_against_a_running_gateway_do_not_collide(backend: Backend) {
    let app = common::spawn_app(backend).await;
    for _ in 0..2 {
        let report = bench::run(args(&[
            "--url",
            &app.base,
            "--admin-token",
            common::ADMIN_TOKEN,
            "--count",
            "20",
            "--connections",
            "2",
            "--destinations",
            "3",
            "--sources",
            "2",
            "--level",
            "STANDARD",
            "--throughput",
            "100",
            "--drain-timeout",
            "20s",
        ]))
        .await
        .expect("bench run");
        assert_eq!(report.load.accepted, 20, "{report}");
        assert_eq!(report.load.messages_accepted, 60, "{report}");
        assert_eq!(report.load.errors(), 0, "{report}");
        assert!(!report.parameters.in_process);
        let text = report.to_string();
        assert!(
            text.contains(&format!("  gateway       {}\n", app.base)),
            "{text}"
        );
        assert!(
            text.contains("  sources       2 × STANDARD, 100 msg/s each\n"),
            "{text}"
        );
        assert_eq!(report.drain_completed(), Some(true), "{text}");
        assert_full_loop(&report);
        assert!(
            report.memory.is_none(),
            "the gateway is not in this process"
        );
    }
    let (status, sources) = app.admin(reqwest::Method::GET, "/sources", None).await;
    assert_eq!(status, 200);
    let bench_sources = sources
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|source| source["level"] == "STANDARD" && source["throughput"] == 100)
                .count()
        })
        .unwrap_or_default();
    assert_eq!(bench_sources, 4, "{sources}");
    app.stop().await;
}

on_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    the_table_has_a_consistent_row_per_run
);
async fn the_table_has_a_consistent_row_per_run(backend: Backend) {
    // PostgreSQL adds its full loop to the SQLite runs.
    let database = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(TestDatabase::create(backend).await),
    };
    let mut flags = vec![
        "--table",
        "--count",
        "40",
        "--connections",
        "4",
        "--drain-timeout",
        "60s",
    ];
    if let Some(database) = &database {
        flags.extend([
            "--database",
            database.url(),
            "--gateway-arg=--db-max-connections=8",
        ]);
    }
    let suite = bench::suite::run(args(&flags))
        .await
        .expect("bench --table");
    let text = suite.to_string();
    println!("{text}");

    assert_eq!(suite.baseline.accepted, 40, "{text}");
    assert_eq!(suite.accept.load.accepted, 40, "{text}");
    assert_eq!(suite.accept.parameters.throughput, Some(1), "{text}");
    let mut full_loops = vec![("SQLite", &suite.full_loop)];
    if let Some((kind, report)) = &suite.full_loop_on_database {
        full_loops.push((kind, report));
    }
    assert_eq!(
        full_loops.len(),
        1 + usize::from(database.is_some()),
        "{text}"
    );
    for (_, report) in &full_loops {
        assert_eq!(report.load.accepted, 40, "{report}");
        assert_full_loop(report);
        assert!(report.memory.is_some(), "{report}");
    }

    // The printed table: a header, a rule, then the bare handler, accept
    // and each full loop, every cell filled and matching the reports.
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .map(|line| line.trim_matches('|').split(" | ").map(str::trim).collect())
        .collect();
    assert_eq!(rows.len(), 4 + full_loops.len(), "{text}");
    assert!(rows.iter().all(|row| row.len() == 10), "{text}");
    assert!(rows[2][0].starts_with("bare handler"), "{text}");
    assert!(rows[3][0].starts_with("accept, dispatch idle"), "{text}");
    for (row, (kind, report)) in rows[4..].iter().zip(&full_loops) {
        assert_eq!(row[0], format!("full loop with the gate, {kind}"), "{text}");
        assert_eq!(row[3], "0", "no errors: {text}");
        assert!(row[4].ends_with('×'), "{text}");
        assert_eq!(row[7], report.reads_summary(), "{text}");
        for cell in &row[5..7] {
            assert!(
                cell.replace(',', "").parse::<u64>().is_ok(),
                "{cell:?} is not a rate: {text}"
            );
        }
        for cell in &row[8..10] {
            assert!(cell.ends_with(" MB"), "{text}");
        }
    }
}
