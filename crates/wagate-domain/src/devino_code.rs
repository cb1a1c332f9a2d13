//! Devino's statuses and error codes ("Getting statuses" of the Direct WA
//! API): which of the gateway's states a Devino status callback reports,
//! and the one table from Meta's errors to Devino's codes.
//!
//! | state | Devino status | errorCode |
//! | --- | --- | --- |
//! | SENT (Meta's `sent`) | `SENT` | 0 |
//! | DELIVERED | `DELIVERED` | 0 |
//! | READ | `READ` | 0 |
//! | FAILED after Meta accepted the message (Meta's `failed`) | `UNDELIVERED` | from Meta's error |
//! | FAILED without Meta ever accepting it (refused at submission, the care-window check, no answer) | `REJECTED` | from Meta's error |
//! | EXPIRED (validity passed) | `EXPIRED` | 2010 |
//! | QUEUED, SUBMITTED, DELETED | none: no callback | |
//!
//! | Meta error | Devino code |
//! | --- | --- |
//! | 131026 | 2305 |
//! | 131047 | 2312 |
//! | 132000 | 2308 |
//! | 132001 | 2309 |
//! | 132005 | 2311 |
//! | 130429, 131056 | 2301 |
//! | 131048 | 2302 |
//! | 131053 | 2303 |
//! | 131021 | 2307 |
//! | anything else, or no code at all | 2313 |

use crate::MessageState;

/// A status as Devino names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum DevinoStatus {
    Sent,
    Delivered,
    Read,
    Undelivered,
    Expired,
    Rejected,
}

impl DevinoStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "SENT",
            Self::Delivered => "DELIVERED",
            Self::Read => "READ",
            Self::Undelivered => "UNDELIVERED",
            Self::Expired => "EXPIRED",
            Self::Rejected => "REJECTED",
        }
    }
}

/// Devino's code for "expired time of life".
pub const EXPIRED: u32 = 2010;

/// Devino's code for an error it has no better word for.
pub const UNKNOWN: u32 = 2313;

/// Devino's code for one of Meta's errors.
pub fn error_code(meta_code: i64) -> u32 {
    match meta_code {
        131026 => 2305,
        131047 => 2312,
        132000 => 2308,
        132001 => 2309,
        132005 => 2311,
        130429 | 131056 => 2301,
        131048 => 2302,
        131053 => 2303,
        131021 => 2307,
        _ => UNKNOWN,
    }
}

/// The Devino status and error code of a state; `accepted` tells whether
/// Meta ever accepted the message (it has a wamid), `meta_error` is Meta's
/// error code when there is one. `None`: Devino has no such status, no
/// callback is sent.
pub fn status_of(
    state: MessageState,
    accepted: bool,
    meta_error: Option<i64>,
) -> Option<(DevinoStatus, u32)> {
    let failure = || meta_error.map_or(UNKNOWN, error_code);
    Some(match state {
        MessageState::Sent => (DevinoStatus::Sent, 0),
        MessageState::Delivered => (DevinoStatus::Delivered, 0),
        MessageState::Read => (DevinoStatus::Read, 0),
        MessageState::Failed if accepted => (DevinoStatus::Undelivered, failure()),
        MessageState::Failed => (DevinoStatus::Rejected, failure()),
        MessageState::Expired => (DevinoStatus::Expired, EXPIRED),
        MessageState::Queued | MessageState::Submitted | MessageState::Deleted => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_serializes_as_its_word() {
        for status in [
            DevinoStatus::Sent,
            DevinoStatus::Delivered,
            DevinoStatus::Read,
            DevinoStatus::Undelivered,
            DevinoStatus::Expired,
            DevinoStatus::Rejected,
        ] {
            assert_eq!(
                serde_json::to_value(status).ok(),
                Some(serde_json::Value::from(status.as_str()))
            );
        }
    }

    #[test]
    fn every_row_of_the_error_table() {
        let table = [
            (131026, 2305),
            (131047, 2312),
            (132000, 2308),
            (132001, 2309),
            (132005, 2311),
            (130429, 2301),
            (131056, 2301),
            (131048, 2302),
            (131053, 2303),
            (131021, 2307),
            (100, 2313),
            (131000, 2313),
            (0, 2313),
        ];
        for (meta, devino) in table {
            assert_eq!(error_code(meta), devino, "Meta error {meta}");
        }
    }

    #[test]
    fn every_state_maps_to_its_status() {
        let status = |state, accepted, error| {
            status_of(state, accepted, error).map(|(s, c)| (s.as_str(), c))
        };
        assert_eq!(status(MessageState::Sent, true, None), Some(("SENT", 0)));
        assert_eq!(
            status(MessageState::Delivered, true, None),
            Some(("DELIVERED", 0))
        );
        assert_eq!(status(MessageState::Read, true, None), Some(("READ", 0)));
        assert_eq!(
            status(MessageState::Failed, true, Some(131026)),
            Some(("UNDELIVERED", 2305))
        );
        assert_eq!(
            status(MessageState::Failed, true, None),
            Some(("UNDELIVERED", 2313))
        );
        // The gateway's own care-window check records Meta's 131047.
        assert_eq!(
            status(MessageState::Failed, false, Some(131047)),
            Some(("REJECTED", 2312))
        );
        assert_eq!(
            status(MessageState::Failed, false, None),
            Some(("REJECTED", 2313))
        );
        assert_eq!(
            status(MessageState::Expired, false, None),
            Some(("EXPIRED", 2010))
        );
        for internal in [
            MessageState::Queued,
            MessageState::Submitted,
            MessageState::Deleted,
        ] {
            assert_eq!(status(internal, true, None), None, "{internal:?}");
        }
    }
}
