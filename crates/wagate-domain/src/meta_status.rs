//! Meta's message statuses (`sent`, `delivered`, `read`, `deleted`,
//! `failed`) as the gateway's states and LINK result codes.
//!
//! | Meta status | state | LINK code |
//! | --- | --- | --- |
//! | `sent` | SENT | `112006` sent |
//! | `delivered` | DELIVERED | `112003` delivered |
//! | `read` | READ | `112007` read |
//! | `deleted` | DELETED | `112008` deleted |
//! | `failed` | FAILED | from the error code, see [`crate::meta_error`] (`112404` for 131026, else `112403`) |

use crate::meta_error::FinalFailure;
use crate::{MessageState, ResultCode};

/// The state and code a Meta status stands for; `None` for a status the
/// gateway does not know (it is kept, but changes nothing).
pub fn from_meta(status: &str, error_code: Option<i64>) -> Option<(MessageState, ResultCode)> {
    Some(match status {
        "sent" => (MessageState::Sent, ResultCode::SentByWa),
        "delivered" => (MessageState::Delivered, ResultCode::Delivered),
        "read" => (MessageState::Read, ResultCode::Read),
        "deleted" => (MessageState::Deleted, ResultCode::Deleted),
        "failed" => (
            MessageState::Failed,
            FinalFailure::Refused {
                code: error_code.unwrap_or_default(),
            }
            .result_code(),
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_every_status_of_the_table() {
        let code =
            |status, error| from_meta(status, error).map(|(state, code)| (state, code.code()));
        assert_eq!(code("sent", None), Some((MessageState::Sent, 112006)));
        assert_eq!(
            code("delivered", None),
            Some((MessageState::Delivered, 112003))
        );
        assert_eq!(code("read", None), Some((MessageState::Read, 112007)));
        assert_eq!(code("deleted", None), Some((MessageState::Deleted, 112008)));
        assert_eq!(
            code("failed", Some(131026)),
            Some((MessageState::Failed, 112404))
        );
        assert_eq!(
            code("failed", Some(131047)),
            Some((MessageState::Failed, 112403))
        );
        assert_eq!(code("warning", None), None);
    }
}
