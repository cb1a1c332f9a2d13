//! The overview's series, from the sampled metrics
//! ([`crate::metrics::history`]): a counter's rate and a histogram's mean
//! per interval between consecutive samples, a gauge's level at each.

use crate::metrics::history::Sample;
use crate::store::Millis;

/// A value at a time; `None` where there is none (no time passed, nothing
/// observed in the interval).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub at: Millis,
    pub value: Option<f64>,
}

/// What a counter went up by from `before` to `after`; a counter that went
/// down was reset, and counted `after` since.
fn increase(before: u64, after: u64) -> u64 {
    after.checked_sub(before).unwrap_or(after)
}

/// Per second, between each sample and the one before (none at the first).
pub fn rate(samples: &[Sample], counter: impl Fn(&Sample) -> u64) -> Vec<Point> {
    samples
        .windows(2)
        .map(|pair| {
            let (before, after) = (&pair[0], &pair[1]);
            let elapsed = after.at - before.at;
            let value = (elapsed > 0).then(|| {
                increase(counter(before), counter(after)) as f64 * 1000.0 / elapsed as f64
            });
            Point {
                at: after.at,
                value,
            }
        })
        .collect()
}

/// The mean of what a histogram observed between each sample and the one
/// before, from its `count` and `sum`; none where it observed nothing.
pub fn mean(
    samples: &[Sample],
    count: impl Fn(&Sample) -> u64,
    sum: impl Fn(&Sample) -> f64,
) -> Vec<Point> {
    samples
        .windows(2)
        .map(|pair| {
            let (before, after) = (&pair[0], &pair[1]);
            let (observed, total) = if count(after) >= count(before) {
                (count(after) - count(before), sum(after) - sum(before))
            } else {
                (count(after), sum(after))
            };
            let value = (observed > 0)
                .then(|| total / observed as f64)
                .filter(|mean| mean.is_finite() && *mean >= 0.0);
            Point {
                at: after.at,
                value,
            }
        })
        .collect()
}

/// A gauge's value at each sample.
pub fn level(samples: &[Sample], gauge: impl Fn(&Sample) -> u64) -> Vec<Point> {
    samples
        .iter()
        .map(|sample| Point {
            at: sample.at,
            value: Some(gauge(sample) as f64),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted(at: Millis, accepted: u64) -> Sample {
        Sample {
            at,
            accepted,
            ..Sample::default()
        }
    }

    fn values(points: &[Point]) -> Vec<Option<f64>> {
        points.iter().map(|point| point.value).collect()
    }

    #[test]
    fn a_rate_is_the_counter_s_increase_over_the_time_between_samples() {
        let samples = [
            accepted(0, 100),
            accepted(10_000, 150),
            accepted(20_000, 150),
            // Reset (a restart): counted from zero.
            accepted(30_000, 20),
            // No time passed: no rate.
            accepted(30_000, 25),
        ];
        let rates = rate(&samples, |sample| sample.accepted);
        assert_eq!(
            values(&rates),
            [Some(5.0), Some(0.0), Some(2.0), None],
            "none for the first sample"
        );
        assert_eq!(rates[0].at, 10_000);
        assert!(rate(&samples[..1], |sample| sample.accepted).is_empty());
        assert!(rate(&[], |sample| sample.accepted).is_empty());
    }

    #[test]
    fn a_mean_is_per_interval_and_none_when_nothing_was_observed() {
        let report = |at, reports, report_seconds| Sample {
            at,
            reports,
            report_seconds,
            ..Sample::default()
        };
        let samples = [
            report(0, 0, 0.0),
            report(10, 4, 2.0),
            report(20, 4, 2.0),
            report(30, 6, 5.0),
            report(40, 1, 0.25),
        ];
        let means = mean(
            &samples,
            |sample| sample.reports,
            |sample| sample.report_seconds,
        );
        assert_eq!(values(&means), [Some(0.5), None, Some(1.5), Some(0.25)]);
    }

    #[test]
    fn a_level_is_each_sample_s_gauge() {
        let samples = [
            Sample {
                at: 5,
                outbox: 7,
                ..Sample::default()
            },
            Sample {
                at: 6,
                ..Sample::default()
            },
        ];
        let levels = level(&samples, |sample| sample.outbox);
        assert_eq!(values(&levels), [Some(7.0), Some(0.0)]);
        assert_eq!(levels[0].at, 5);
    }
}
