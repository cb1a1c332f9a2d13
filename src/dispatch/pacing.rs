//! Per-source pacing: submissions of one business number are spaced at its
//! throughput limit (STANDARD 80/s, HIGH 1000/s, or the source's override).
//!
//! The spacing is [`MARGIN`] wider than the limit strictly needs, so that
//! network jitter between wagate and Meta cannot bunch submissions into more
//! than the limit within any one second at Meta's end.
//!
//! A submission that finds its slot still ahead sleeps on tokio's timer,
//! which wakes a worker thread on a millisecond tick: at 1000/s a slot is
//! about one tick long, so a late wake would cost a slot each time. The
//! pace therefore lets a few slots follow one another at once after such a
//! wake ([`burst`]), as many as the margin leaves room for beside
//! [`JITTER`]: however the wakes fall, no second and [`JITTER`] ever hold
//! more submissions than the limit, and over any longer stretch the pace
//! stays 1/limit widened by the margin. The 15 ms stand for all that may
//! come between a slot and its request reaching Meta: wagate's own work
//! before the send as well as the network. A pace made anew (the source's
//! throughput changed) starts with its burst, whatever the old one had just
//! granted.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// How much wider than 1/limit the spacing is.
pub const MARGIN: f64 = 0.03;

/// The network jitter between wagate and Meta the margin must still
/// absorb once bursts take their share of it: the slots of any one second
/// and this much more stay within the limit.
const JITTER: Duration = Duration::from_millis(15);

/// How late a sleep on tokio's timer may wake (its tick, and the time a
/// busy worker takes to notice): the slots a burst may make up for.
const TIMER_SLACK: Duration = Duration::from_millis(2);

/// A pace of at most `per_second` submissions in any one second.
pub struct Pacer {
    per_second: u32,
    limiter: DefaultDirectRateLimiter,
}

impl Pacer {
    pub fn new(per_second: u32) -> Self {
        let per_second = per_second.max(1);
        Self {
            per_second,
            limiter: RateLimiter::direct(quota(per_second)),
        }
    }

    pub fn per_second(&self) -> u32 {
        self.per_second
    }

    /// Waits for the next slot.
    pub async fn ready(&self) {
        while let Err(not_until) = self.limiter.check() {
            tokio::time::sleep(not_until.wait_time_from(self.limiter.clock().now())).await;
        }
    }
}

/// The pace at `per_second`: slots a [`period`] apart, a [`burst`] of them
/// at once after a pause.
fn quota(per_second: u32) -> Quota {
    Quota::with_period(period(per_second))
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst(per_second))
}

/// The spacing between slots at `per_second`: 1/limit widened by [`MARGIN`].
fn period(per_second: u32) -> Duration {
    let nanos = 1e9 * (1.0 + MARGIN) / f64::from(per_second.max(1));
    Duration::from_nanos(nanos.ceil() as u64).max(Duration::from_nanos(1))
}

/// How many slots may follow one another at once: enough to make up for a
/// sleep woken [`TIMER_SLACK`] late, and never more than the limit leaves
/// room for. A pace of burst b and period p holds at most b + ⌊w / p⌋
/// slots in any stretch of time w; over one second and [`JITTER`] that
/// must not pass the limit.
fn burst(per_second: u32) -> NonZeroU32 {
    let period = period(per_second);
    let whole_periods = (Duration::from_secs(1) + JITTER).as_nanos() / period.as_nanos().max(1);
    let headroom = u128::from(per_second).saturating_sub(whole_periods);
    let make_up = 1 + TIMER_SLACK.as_nanos().div_ceil(period.as_nanos().max(1));
    let slots = u32::try_from(headroom.min(make_up)).unwrap_or(1);
    NonZeroU32::new(slots).unwrap_or(NonZeroU32::MIN)
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    #[test]
    fn a_burst_never_puts_more_than_the_limit_in_one_second_and_the_jitter() {
        // (limit, burst): HIGH and STANDARD make up for a late wake; a
        // limit the margin leaves no room in beside the jitter gets no
        // burst.
        let table = [
            (1, 1),
            (2, 1),
            (10, 1),
            (34, 1),
            (50, 1),
            (68, 1),
            (80, 2),
            (500, 2),
            (1000, 3),
            (5000, 11),
        ];
        for (per_second, expected) in table {
            let slots = burst(per_second).get();
            assert_eq!(slots, expected, "burst at {per_second}/s");
            let whole_periods = 1_015_000_000 / period(per_second).as_nanos();
            assert!(
                u128::from(slots) + whole_periods <= u128::from(per_second),
                "{per_second}/s: {slots} + {whole_periods} slots in 1.015 s"
            );
        }
    }

    #[tokio::test]
    async fn without_a_burst_slots_are_a_period_apart() {
        let pacer = Pacer::new(20);
        let start = tokio::time::Instant::now();
        for _ in 0..6 {
            pacer.ready().await;
        }
        // 50 ms for 20/s widened by the 3 % margin; no burst (the margin
        // leaves no room at 20/s): six slots need five full periods.
        assert_eq!(period(20), Duration::from_micros(51_500));
        assert_eq!(burst(20).get(), 1);
        assert!(
            start.elapsed() >= Duration::from_micros(5 * 51_500),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test]
    async fn after_the_burst_the_pace_holds_on_tokios_timer() {
        let pacer = Pacer::new(1000);
        let start = tokio::time::Instant::now();
        for _ in 0..3 + 40 {
            pacer.ready().await;
        }
        // After the burst of three, forty more slots need forty periods of
        // 1.03 ms.
        assert_eq!(burst(1000).get(), 3);
        assert!(
            start.elapsed() >= Duration::from_micros(40 * 1030),
            "{:?}",
            start.elapsed()
        );
    }

    /// The pace itself, on a clock the test moves: a burst at once, then
    /// one slot a period; in the first second and 15 ms (the busiest, as it
    /// starts with the burst) the burst and the widened pace, within the
    /// limit.
    #[test]
    fn the_limiter_keeps_the_burst_and_the_limit() {
        // (limit, burst, slots in 1.015 s): 2 + 78 at 80/s, 3 + 985 at
        // 1000/s.
        for (per_second, at_once_expected, granted_expected) in [(80, 2, 80), (1000, 3, 988)] {
            let clock = FakeRelativeClock::default();
            let limiter = RateLimiter::direct_with_clock(quota(per_second), clock.clone());
            let mut at_once = 0;
            while limiter.check().is_ok() {
                at_once += 1;
            }
            assert_eq!(at_once, at_once_expected, "{per_second}/s at once");
            let step = Duration::from_micros(50);
            let mut granted = at_once;
            let mut elapsed = Duration::ZERO;
            while elapsed + step <= Duration::from_millis(1015) {
                clock.advance(step);
                elapsed += step;
                while limiter.check().is_ok() {
                    granted += 1;
                }
            }
            assert_eq!(granted, granted_expected, "{per_second}/s in 1.015 s");
        }
    }
}
