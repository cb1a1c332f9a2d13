//! The per-source throughput limit as the simulator sees it: never more
//! sends than the limit within any one second. An upper bound only: nothing
//! here depends on how fast the machine is.

mod common;

use common::{Backend, hello_world, request, spawn_app_with};

const LIMIT: usize = 10;
const MESSAGES: usize = 35;

on_backends!(the_simulator_never_sees_more_than_the_limit_in_any_second);
async fn the_simulator_never_sees_more_than_the_limit_in_any_second(backend: Backend) {
    let app = spawn_app_with(backend, &["--sandbox-status-delay", "1ms"]).await;
    let tenant = app
        .tenant_with(
            "throttled",
            "+46700000200",
            serde_json::json!({"throughput": LIMIT}),
        )
        .await;
    let destinations: Vec<String> = (0..MESSAGES).map(|n| format!("+467040{n:05}")).collect();
    let destinations: Vec<&str> = destinations.iter().map(String::as_str).collect();
    let (status, answer) = app
        .send(&tenant, &request(&tenant, &destinations, hello_world()))
        .await;
    assert_eq!(status, 200, "{answer}");

    let mut arrivals: Vec<i64> = app
        .sim_received_at_least(MESSAGES)
        .await
        .iter()
        .filter_map(|record| record["at"].as_i64())
        .collect();
    arrivals.sort_unstable();
    assert_eq!(arrivals.len(), MESSAGES, "each message exactly once");
    // For each send, count the sends in the second starting with it.
    let busiest = arrivals
        .iter()
        .enumerate()
        .map(|(start, at)| {
            arrivals[start..]
                .iter()
                .take_while(|later| **later < at + 1000)
                .count()
        })
        .max()
        .unwrap_or(0);
    assert!(
        busiest <= LIMIT,
        "{busiest} sends within one second, limit {LIMIT}: {arrivals:?}"
    );
}
