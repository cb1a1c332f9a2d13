//! Per-source pacing: submissions of one business number are spaced evenly
//! at its throughput limit (STANDARD 80/s, HIGH 1000/s, or the source's
//! override), with no bursts.
//!
//! The spacing is [`MARGIN`] wider than the limit strictly needs, so that
//! network jitter between wagate and Meta cannot bunch submissions into more
//! than the limit within any one second at Meta's end.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// How much wider than 1/limit the spacing is.
pub const MARGIN: f64 = 0.03;

/// An even pace of at most `per_second` submissions per second.
pub struct Pacer {
    per_second: u32,
    limiter: DefaultDirectRateLimiter,
}

impl Pacer {
    pub fn new(per_second: u32) -> Self {
        let per_second = per_second.max(1);
        let quota = Quota::with_period(period(per_second))
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::MIN);
        Self {
            per_second,
            limiter: RateLimiter::direct(quota),
        }
    }

    pub fn per_second(&self) -> u32 {
        self.per_second
    }

    /// Waits for the next slot.
    pub async fn ready(&self) {
        self.limiter.until_ready().await;
    }
}

/// The spacing between slots at `per_second`: 1/limit widened by [`MARGIN`].
fn period(per_second: u32) -> Duration {
    let nanos = 1e9 * (1.0 + MARGIN) / f64::from(per_second.max(1));
    Duration::from_nanos(nanos.ceil() as u64).max(Duration::from_nanos(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn spaces_slots_at_least_one_period_apart() {
        let pacer = Pacer::new(50);
        let start = tokio::time::Instant::now();
        for _ in 0..6 {
            pacer.ready().await;
        }
        // Six slots without a burst need five full periods of 20.6 ms:
        // 20 ms for 50/s widened by the 3 % margin.
        assert_eq!(period(50), Duration::from_micros(20_600));
        assert!(
            start.elapsed() >= Duration::from_micros(5 * 20_600),
            "{:?}",
            start.elapsed()
        );
    }
}
