//! This process's resident memory, from `/proc/self/status` (Linux): the
//! current `VmRSS` and the high-water mark `VmHWM`, read once or sampled
//! in the background through a run to catch its peak. Elsewhere there are
//! no figures, and the report says so.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Time between two samples.
const SAMPLE_INTERVAL: Duration = Duration::from_millis(100);

/// Where the kernel shows the process's memory.
const STATUS_PATH: &str = "/proc/self/status";

/// One reading of the process's memory, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// Resident now (`VmRSS`).
    pub rss: u64,
    /// The most ever resident since the process started (`VmHWM`).
    pub high_water: u64,
}

/// What a run used: the most resident at any sample and at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footprint {
    /// The largest `VmRSS` sampled during the run (the end included).
    pub peak: u64,
    /// `VmRSS` at the end of the run.
    pub last: u64,
    /// `VmHWM` at the end: the process's peak, earlier runs included.
    pub process_peak: u64,
}

/// The `VmRSS` and `VmHWM` lines of a `/proc/<pid>/status` text; `None`
/// when either is missing or unreadable.
pub fn parse_status(status: &str) -> Option<Reading> {
    Some(Reading {
        rss: kilobyte_field(status, "VmRSS")?,
        high_water: kilobyte_field(status, "VmHWM")?,
    })
}

/// The `name:   1234 kB` line of a `/proc` text, in bytes.
pub fn kilobyte_field(text: &str, name: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let value = line.strip_prefix(name)?.strip_prefix(':')?.trim();
        let kilobytes = value.strip_suffix("kB")?.trim().parse::<u64>().ok()?;
        kilobytes.checked_mul(1024)
    })
}

/// Reads this process's memory now; `None` where `/proc` is not available.
pub fn read() -> Option<Reading> {
    parse_status(&std::fs::read_to_string(STATUS_PATH).ok()?)
}

/// Samples `VmRSS` every [`SAMPLE_INTERVAL`] until stopped.
pub struct Sampler {
    stop: watch::Sender<bool>,
    task: JoinHandle<u64>,
}

impl Sampler {
    /// Starts sampling; the first sample is taken at once.
    pub fn start() -> Self {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut peak = 0;
            let mut interval = tokio::time::interval(SAMPLE_INTERVAL);
            loop {
                tokio::select! {
                    _ = interval.tick() => {
                        if let Some(reading) = read() {
                            peak = peak.max(reading.rss);
                        }
                    }
                    _ = stopped.changed() => return peak,
                }
            }
        });
        Self { stop, task }
    }

    /// Stops sampling and takes a last reading; `None` without `/proc`.
    pub async fn stop(self) -> Option<Footprint> {
        // The task may have ended already (a panic); then its peak is lost.
        let _ = self.stop.send(true);
        let sampled = self.task.await.unwrap_or_default();
        let last = read()?;
        Some(Footprint {
            peak: sampled.max(last.rss),
            last: last.rss,
            process_peak: last.high_water,
        })
    }
}

/// Bytes as mebibytes for people: `225.3 MB`.
pub fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\twagate\nUmask:\t0022\nState:\tS (sleeping)\n\
        VmPeak:\t  912340 kB\nVmSize:\t  901230 kB\nVmHWM:\t  230712 kB\n\
        VmRSS:\t  204800 kB\nRssAnon:\t  190000 kB\nThreads:\t9\n";

    #[test]
    fn reads_rss_and_high_water_in_bytes() {
        assert_eq!(
            parse_status(STATUS),
            Some(Reading {
                rss: 204_800 * 1024,
                high_water: 230_712 * 1024,
            })
        );
    }

    #[test]
    fn a_missing_or_odd_field_gives_nothing() {
        assert_eq!(parse_status(""), None);
        assert_eq!(parse_status("VmRSS:\t 10 kB\n"), None, "no VmHWM");
        assert_eq!(parse_status("VmHWM:\t 10 kB\nVmRSS:\t 10 MB\n"), None);
        assert_eq!(parse_status("VmHWM:\t 10 kB\nVmRSS:\t ten kB\n"), None);
        // A longer name that starts the same is another field.
        assert_eq!(parse_status("VmHWM:\t 1 kB\nVmRSSX:\t 2 kB\n"), None);
    }

    #[test]
    fn megabytes_have_one_decimal() {
        assert_eq!(megabytes(0), "0.0 MB");
        assert_eq!(megabytes(236_257_280), "225.3 MB");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn the_sampler_sees_this_process() {
        let footprint = Sampler::start().stop().await.expect("/proc on Linux");
        assert!(footprint.last > 0);
        assert!(footprint.peak >= footprint.last);
        assert!(footprint.process_peak >= footprint.last);
    }
}
