//! The size of the machine a table was measured on: cores this process may
//! use and the memory installed (`MemTotal` of `/proc/meminfo`, Linux).

use std::fmt;

use super::rss::kilobyte_field;

/// Cores and memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Machine {
    pub cores: Option<usize>,
    /// Bytes of memory installed.
    pub memory: Option<u64>,
}

impl Machine {
    /// This machine.
    pub fn here() -> Self {
        Self {
            cores: std::thread::available_parallelism()
                .ok()
                .map(std::num::NonZero::get),
            memory: std::fs::read_to_string("/proc/meminfo")
                .ok()
                .and_then(|meminfo| kilobyte_field(&meminfo, "MemTotal")),
        }
    }
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cores {
            Some(cores) => write!(f, "{cores} cores")?,
            None => f.write_str("? cores")?,
        }
        match self.memory {
            Some(bytes) => write!(
                f,
                ", {:.1} GB RAM",
                bytes as f64 / (1024.0 * 1024.0 * 1024.0)
            ),
            None => f.write_str(", ? GB RAM"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_cores_and_gigabytes() {
        let machine = Machine {
            cores: Some(2),
            memory: Some(24_683_520 * 1024),
        };
        assert_eq!(machine.to_string(), "2 cores, 23.5 GB RAM");
        let unknown = Machine {
            cores: None,
            memory: None,
        };
        assert_eq!(unknown.to_string(), "? cores, ? GB RAM");
    }

    #[test]
    fn meminfo_gives_the_total() {
        let meminfo = "MemTotal:       24683520 kB\nMemFree:          590000 kB\n";
        assert_eq!(kilobyte_field(meminfo, "MemTotal"), Some(24_683_520 * 1024));
    }
}
