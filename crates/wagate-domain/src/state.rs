//! The state of one (messageId, messageIndex), as the status query shows it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum MessageState {
    Queued,
    Submitted,
    Sent,
    Delivered,
    Read,
    Deleted,
    Failed,
    Expired,
}

impl MessageState {
    /// Every state, in the order a part moves through them.
    pub const ALL: [Self; 8] = [
        Self::Queued,
        Self::Submitted,
        Self::Sent,
        Self::Delivered,
        Self::Read,
        Self::Deleted,
        Self::Failed,
        Self::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "QUEUED",
            Self::Submitted => "SUBMITTED",
            Self::Sent => "SENT",
            Self::Delivered => "DELIVERED",
            Self::Read => "READ",
            Self::Deleted => "DELETED",
            Self::Failed => "FAILED",
            Self::Expired => "EXPIRED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == text)
    }

    /// How far along the message is: a status only moves a part's state
    /// forward (Meta's statuses can arrive out of order, `delivered` before
    /// `sent`). Final failures rank above everything.
    pub fn progress(self) -> u8 {
        match self {
            Self::Queued => 0,
            Self::Submitted => 1,
            Self::Sent => 2,
            Self::Delivered => 3,
            Self::Read => 4,
            Self::Deleted => 5,
            Self::Failed | Self::Expired => 6,
        }
    }

    /// No status after this one changes what happened to the message.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Read | Self::Deleted | Self::Failed | Self::Expired
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in MessageState::ALL.map(MessageState::as_str) {
            assert_eq!(
                MessageState::parse(name).map(MessageState::as_str),
                Some(name)
            );
        }
        assert_eq!(MessageState::parse("queued"), None);
    }
}
