//! The test harness's own rules: when a PostgreSQL variant runs, is
//! skipped, or fails for want of a server.

mod common;

use common::db::{Availability, postgres_availability};

#[test]
fn a_postgres_variant_runs_skips_or_fails_by_the_environment() {
    let url = Some("postgres://postgres@127.0.0.1:5432/postgres");
    // (WAGATE_TEST_POSTGRES_URL, WAGATE_TEST_REQUIRE_POSTGRES) → decision.
    let table: [(Option<&str>, Option<&str>, &str); 12] = [
        (url, None, "run"),
        (url, Some("1"), "run"),
        (url, Some("0"), "run"),
        (None, None, "skip"),
        (None, Some(""), "skip"),
        (None, Some("0"), "skip"),
        (None, Some("1"), "fail"),
        (None, Some("yes"), "fail"),
        (Some(""), None, "skip"),
        (Some("  \t"), None, "skip"),
        (Some(""), Some("1"), "fail"),
        (Some(" \n"), Some("1"), "fail"),
    ];
    for (url, required, expected) in table {
        let decision = match postgres_availability(url, required) {
            Availability::Run => "run",
            Availability::Skip(_) => "skip",
            Availability::Fail(_) => "fail",
        };
        assert_eq!(decision, expected, "url {url:?}, required {required:?}");
    }
}
