//! The recent past of the numbers the console charts: a sampler reads
//! them every `--console-sample-interval` from the same handles `/metrics`
//! exports ([`super::Metrics::sample`]) into a ring of at most
//! `--console-chart-points` samples, allocated once.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

use super::Metrics;
use crate::store::Millis;

/// The charted numbers at one moment: counters and a histogram's count
/// and sum as totals since start, gauges as levels.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sample {
    /// When it was taken (Unix milliseconds).
    pub at: Millis,
    /// Messages accepted, every dialect.
    pub accepted: u64,
    /// Parts the Cloud API accepted.
    pub submitted: u64,
    /// Delivery reports their gates accepted, and the sum of their
    /// latencies in seconds.
    pub reports: u64,
    pub report_seconds: f64,
    /// Parts in the outbox, every priority.
    pub outbox: u64,
    /// Callbacks not delivered nor given up (due or waiting).
    pub callbacks_pending: u64,
}

/// The last samples, oldest first, at most `capacity`; cheap to clone.
#[derive(Clone)]
pub struct History {
    samples: Arc<Mutex<VecDeque<Sample>>>,
    capacity: usize,
    interval: Duration,
}

impl History {
    /// Room for `capacity` samples (at least two: a rate needs two), taken
    /// every `interval`.
    pub fn new(capacity: usize, interval: Duration) -> Self {
        let capacity = capacity.max(2);
        Self {
            samples: Arc::new(Mutex::new(VecDeque::with_capacity(capacity))),
            capacity,
            interval,
        }
    }

    /// Adds `sample`, dropping the oldest when full.
    pub fn push(&self, sample: Sample) {
        let mut samples = self
            .samples
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if samples.len() == self.capacity {
            samples.pop_front();
        }
        samples.push_back(sample);
    }

    /// The samples, oldest first.
    pub fn samples(&self) -> Vec<Sample> {
        self.samples
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .copied()
            .collect()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The time the charts span: an interval per sample (360 of 10 s: an
    /// hour).
    pub fn window(&self) -> Duration {
        self.interval
            .saturating_mul(u32::try_from(self.capacity).unwrap_or(u32::MAX))
    }
}

/// Samples `metrics` into `history` every interval (the first at once)
/// until `stopped`.
pub async fn sample_every(metrics: Metrics, history: History, mut stopped: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(history.interval());
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stopped.changed() => return,
        }
        match metrics.sample().await {
            Some(sample) => history.push(sample),
            None => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(at: Millis) -> Sample {
        Sample {
            at,
            ..Sample::default()
        }
    }

    #[test]
    fn the_ring_keeps_the_last_capacity_samples() {
        let history = History::new(3, Duration::from_secs(10));
        assert!(history.samples().is_empty());
        for time in 1..=5 {
            history.push(at(time));
        }
        let kept: Vec<Millis> = history.samples().iter().map(|sample| sample.at).collect();
        assert_eq!(kept, [3, 4, 5]);
        assert_eq!(history.window(), Duration::from_secs(30));
        // A rate needs two samples.
        assert_eq!(History::new(0, Duration::from_secs(1)).capacity(), 2);
    }

    #[tokio::test]
    async fn the_sampler_stops_when_told_and_has_nothing_to_read_when_disabled() {
        let history = History::new(4, Duration::from_millis(1));
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(sample_every(Metrics::disabled(), history.clone(), stopped));
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("a disabled sampler ends at once")
            .expect("joined");
        assert!(history.samples().is_empty());
        drop(stop);
    }
}
