//! Latency percentiles by the nearest-rank method: the p-th percentile of n
//! sorted samples is the sample at rank ⌈p/100 · n⌉ (1-based), so it is
//! always one of the measured values.

use std::time::Duration;

/// The nearest-rank `percent`-th percentile of `sorted` (ascending);
/// `None` when there are no samples. `percent` is clamped to 0..=100, and
/// 0 gives the smallest sample.
pub fn nearest_rank<T: Copy>(sorted: &[T], percent: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let count = sorted.len();
    let percent = if percent.is_nan() {
        0.0
    } else {
        percent.clamp(0.0, 100.0)
    };
    // Multiplying before dividing keeps whole ranks exact (90 · 10 / 100 is
    // 9, where 0.9 · 10 is 9.000000000000002).
    let rank = (percent * count as f64 / 100.0).ceil() as usize;
    Some(sorted[rank.clamp(1, count) - 1])
}

/// The figures the report shows for a set of request latencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatencySummary {
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl LatencySummary {
    /// Summarises `samples` (sorted in place); `None` when empty.
    pub fn of(samples: &mut [Duration]) -> Option<Self> {
        samples.sort_unstable();
        Some(Self {
            p50: nearest_rank(samples, 50.0)?,
            p90: nearest_rank(samples, 90.0)?,
            p99: nearest_rank(samples, 99.0)?,
            max: *samples.last()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_follows_the_textbook() {
        // The classic example: 15, 20, 35, 40, 50.
        let samples = [15, 20, 35, 40, 50];
        assert_eq!(nearest_rank(&samples, 5.0), Some(15));
        assert_eq!(nearest_rank(&samples, 30.0), Some(20));
        assert_eq!(nearest_rank(&samples, 40.0), Some(20));
        assert_eq!(nearest_rank(&samples, 50.0), Some(35));
        assert_eq!(nearest_rank(&samples, 100.0), Some(50));
    }

    #[test]
    fn whole_ranks_are_exact() {
        let samples: Vec<u32> = (1..=10).collect();
        assert_eq!(nearest_rank(&samples, 90.0), Some(9));
        assert_eq!(nearest_rank(&samples, 50.0), Some(5));
        assert_eq!(nearest_rank(&samples, 99.0), Some(10));
        let hundred: Vec<u32> = (1..=100).collect();
        assert_eq!(nearest_rank(&hundred, 99.0), Some(99));
        assert_eq!(nearest_rank(&hundred, 99.9), Some(100));
        let thousand: Vec<u32> = (1..=1000).collect();
        assert_eq!(nearest_rank(&thousand, 99.9), Some(999));
    }

    #[test]
    fn edges() {
        assert_eq!(nearest_rank::<u32>(&[], 50.0), None);
        assert_eq!(nearest_rank(&[7], 0.0), Some(7));
        assert_eq!(nearest_rank(&[7], 99.0), Some(7));
        assert_eq!(nearest_rank(&[1, 2], 0.0), Some(1));
        assert_eq!(nearest_rank(&[1, 2], -5.0), Some(1));
        assert_eq!(nearest_rank(&[1, 2], 250.0), Some(2));
        assert_eq!(nearest_rank(&[1, 2], f64::NAN), Some(1));
    }

    #[test]
    fn summary_sorts_and_picks() {
        let mut samples: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        let summary = LatencySummary::of(&mut samples).expect("samples");
        assert_eq!(summary.p50, Duration::from_millis(50));
        assert_eq!(summary.p90, Duration::from_millis(90));
        assert_eq!(summary.p99, Duration::from_millis(99));
        assert_eq!(summary.max, Duration::from_millis(100));
        assert_eq!(LatencySummary::of(&mut []), None);
    }
}
