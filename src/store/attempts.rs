//! Callback tries as the rows that record them: a batch of tries (see
//! [`CallbackStore::record_attempts`]), typed, which SQLite binds a row at a
//! time and PostgreSQL a column at a time (one array a field).
//!
//! [`CallbackStore::record_attempts`]: crate::store::CallbackStore::record_attempts

use std::collections::HashMap;

use super::{DeliveryAttempt, Millis};

/// Which of `attempts` may be recorded: those whose delivery is still
/// pending and held by the lease the try was claimed with. `holders` maps
/// each pending delivery that was looked up to its lease owner. (SQLite's
/// record; PostgreSQL's decides the same in the statement that records,
/// `RECORD_HELD`, to spare a round trip. The store contract tests hold
/// both to it.)
pub fn held_by_their_lease(
    attempts: &[DeliveryAttempt],
    holders: &HashMap<i64, Option<String>>,
) -> Vec<bool> {
    attempts
        .iter()
        .map(|attempt| {
            holders
                .get(&attempt.delivery_id)
                .is_some_and(|owner| owner.as_deref() == Some(attempt.lease.as_str()))
        })
        .collect()
}

/// The tries of `attempts` that `recorded` says may be recorded.
pub fn recordable<'a>(
    attempts: &'a [DeliveryAttempt],
    recorded: &[bool],
) -> Vec<&'a DeliveryAttempt> {
    attempts
        .iter()
        .zip(recorded)
        .filter_map(|(attempt, recorded)| recorded.then_some(attempt))
        .collect()
}

/// One try: its delivery, the delivery's state after it, when to try again
/// (if at all), and what the try met.
pub struct AttemptRow<'a> {
    pub id: i64,
    pub state: &'static str,
    pub next: Option<Millis>,
    pub at: Millis,
    pub status: Option<u16>,
    pub error: Option<&'a str>,
    pub duration: i64,
}

/// The state a delivery is in after `attempt`.
fn state_after(attempt: &DeliveryAttempt) -> &'static str {
    match (attempt.delivered, attempt.next_attempt_at) {
        (true, _) => "DELIVERED",
        (false, Some(_)) => "PENDING",
        (false, None) => "GAVE_UP",
    }
}

/// The tries as rows, in order.
pub fn attempt_rows<'a>(attempts: &[&'a DeliveryAttempt]) -> Vec<AttemptRow<'a>> {
    attempts
        .iter()
        .map(|attempt| AttemptRow {
            id: attempt.delivery_id,
            state: state_after(attempt),
            next: attempt.next_attempt_at,
            at: attempt.at,
            status: attempt.http_status,
            error: attempt.error.as_deref(),
            duration: attempt.duration_ms,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(delivered: bool, next_attempt_at: Option<Millis>) -> DeliveryAttempt {
        DeliveryAttempt {
            delivery_id: 7,
            lease: "l#1".into(),
            at: 1_000,
            http_status: Some(503),
            error: Some("HTTP 503".into()),
            duration_ms: 12,
            next_attempt_at,
            delivered,
        }
    }

    #[test]
    fn each_try_says_what_its_delivery_becomes() {
        let tries = [
            attempt(true, None),
            attempt(false, Some(2_000)),
            attempt(false, None),
        ];
        let rows = attempt_rows(&tries.iter().collect::<Vec<_>>());
        let states: Vec<&str> = rows.iter().map(|row| row.state).collect();
        assert_eq!(states, ["DELIVERED", "PENDING", "GAVE_UP"]);
        let next: Vec<Option<Millis>> = rows.iter().map(|row| row.next).collect();
        assert_eq!(next, [None, Some(2_000), None]);
        assert_eq!(rows[0].status, Some(503));
        assert_eq!(rows[0].error, Some("HTTP 503"));
        assert_eq!((rows[0].id, rows[0].at, rows[0].duration), (7, 1_000, 12));
        assert!(attempt_rows(&[]).is_empty());
    }
}
