//! Message priority: HIGH before NORMAL before LOW, per sender, without
//! starving LOW.
//!
//! Work is served in order of its due time minus its priority's *lead*: a
//! HIGH message counts as if it had been queued 60 s earlier, a NORMAL one
//! 30 s earlier, a LOW one as queued. So under a backlog HIGH work overtakes
//! NORMAL and LOW work queued up to a minute before it, and LOW work waits
//! at most a minute longer than HIGH work queued at the same moment: it is
//! never starved, however much HIGH work keeps arriving.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Priority {
    Low,
    Normal,
    High,
}

impl Priority {
    pub const NAMES: &'static [&'static str] = &["LOW", "NORMAL", "HIGH"];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "LOW",
            Self::Normal => "NORMAL",
            Self::High => "HIGH",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "LOW" => Some(Self::Low),
            "NORMAL" => Some(Self::Normal),
            "HIGH" => Some(Self::High),
            _ => None,
        }
    }

    /// How far ahead of its due time work of this priority is served, in
    /// milliseconds.
    pub fn lead_millis(self) -> i64 {
        match self {
            Self::Low => 0,
            Self::Normal => 30_000,
            Self::High => 60_000,
        }
    }
}
