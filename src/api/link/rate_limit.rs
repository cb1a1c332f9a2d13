//! The per-source limit on LINK's management calls that reach Meta
//! (business profile, phone number information, analytics): at most `N`
//! calls in any rolling window (`--management-rate-limit N/duration`,
//! default `10/1m`). Over it the call is refused with `429` and
//! `Retry-After`, before Meta is asked.
//!
//! Each source keeps the instants of its last `N` admitted calls (a sliding
//! log: exact, where a token bucket would let calls through as it refills).
//! At most [`MAX_SOURCES`] sources are tracked: past that, sources whose
//! calls have all left the window are dropped, and while the table is
//! still full a new source is refused like one over its limit. `N` is at
//! most [`MAX_CALLS`], so a table holds a bounded number of instants.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Sources tracked at most.
pub const MAX_SOURCES: usize = 100_000;
/// The largest `N` of `N/duration`.
pub const MAX_CALLS: u32 = 1_000;

/// `N/duration`: `N` calls in any rolling `duration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub calls: u32,
    pub window: Duration,
}

impl FromStr for RateLimit {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (calls, window) = text.split_once('/').ok_or_else(|| {
            format!("{text:?}: expected calls/duration, e.g. 10/1m (ten calls in any minute)")
        })?;
        let calls: u32 = calls
            .trim()
            .parse()
            .ok()
            .filter(|calls| (1..=MAX_CALLS).contains(calls))
            .ok_or_else(|| format!("{text:?}: the call count must be 1 to {MAX_CALLS}"))?;
        let window = humantime::parse_duration(window.trim())
            .ok()
            .filter(|window| !window.is_zero())
            .ok_or_else(|| {
                format!("{text:?}: the window must be a duration above zero, e.g. 1m")
            })?;
        Ok(Self { calls, window })
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}",
            self.calls,
            humantime::format_duration(self.window)
        )
    }
}

/// The limiter shared by the management calls.
pub struct ManagementLimiter {
    limit: RateLimit,
    /// Source id → instants of its admitted calls within the window, oldest first.
    calls: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl ManagementLimiter {
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            calls: Mutex::new(HashMap::new()),
        }
    }

    /// Admits a call of `source` at `now`, or says how long until one
    /// would be admitted.
    pub fn admit(&self, source: &str, now: Instant) -> Result<(), Duration> {
        let window = self.limit.window;
        let in_window = |at: &Instant| now.saturating_duration_since(*at) < window;
        let mut table = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        if !table.contains_key(source) && table.len() >= MAX_SOURCES {
            table.retain(|_, calls| calls.back().is_some_and(in_window));
            if table.len() >= MAX_SOURCES {
                tracing::warn!(
                    "the management rate limiter's table is full; refusing a new source"
                );
                return Err(window);
            }
        }
        let calls = table.entry(source.to_owned()).or_default();
        while calls.front().is_some_and(|at| !in_window(at)) {
            calls.pop_front();
        }
        if calls.len() >= self.limit.calls as usize {
            let oldest = calls.front().copied().unwrap_or(now);
            return Err(window.saturating_sub(now.saturating_duration_since(oldest)));
        }
        calls.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_calls_per_duration() {
        assert_eq!(
            "10/1m".parse(),
            Ok(RateLimit {
                calls: 10,
                window: Duration::from_secs(60)
            })
        );
        assert_eq!(
            " 2 / 500ms ".parse::<RateLimit>().map(|limit| limit.window),
            Ok(Duration::from_millis(500))
        );
        for bad in ["10", "0/1m", "x/1m", "10/", "10/0s", "10/soon", "1001/1m"] {
            assert!(bad.parse::<RateLimit>().is_err(), "{bad}");
        }
        assert_eq!(
            "10/1m".parse::<RateLimit>().map(|limit| limit.to_string()),
            Ok("10/1m".to_owned())
        );
    }

    #[test]
    fn admits_n_calls_in_any_rolling_window_per_source() {
        let limiter = ManagementLimiter::new(RateLimit {
            calls: 2,
            window: Duration::from_secs(60),
        });
        let start = Instant::now();
        let at = |seconds: u64| start + Duration::from_secs(seconds);
        assert_eq!(limiter.admit("a", at(0)), Ok(()));
        assert_eq!(limiter.admit("a", at(10)), Ok(()));
        // The third within the minute waits until the first leaves it.
        assert_eq!(limiter.admit("a", at(20)), Err(Duration::from_secs(40)));
        assert_eq!(limiter.admit("b", at(20)), Ok(()));
        // A refused call does not count: at 60 s the first has left.
        assert_eq!(limiter.admit("a", at(60)), Ok(()));
        assert_eq!(limiter.admit("a", at(65)), Err(Duration::from_secs(5)));
        assert_eq!(limiter.admit("a", at(70)), Ok(()));
    }
}
