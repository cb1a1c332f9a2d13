//! `wagate bench`: short count-limited runs, against its own in-process
//! gateway and against a running one, must be accepted in full and print
//! their figures.

mod common;

use clap::Parser;
use common::Backend;
use wagate::bench::{self, BenchArgs};

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

    // Every accepted message reached the sandbox simulator.
    assert_eq!(report.drain_completed(), Some(true), "{text}");
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
