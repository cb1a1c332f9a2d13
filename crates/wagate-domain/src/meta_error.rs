//! Meta's Cloud API errors and what they mean for a message: the one table
//! that maps them to LINK result codes, and the codes worth resending.
//!
//! | what happened | LINK code |
//! | --- | --- |
//! | Meta error 131026 (message undeliverable: not a WhatsApp user, old app, …) | `112404` invalid contact |
//! | any other error Meta gives for a message (send refused, `failed` status) | `112403` not delivered, with Meta's message as the description |
//! | a resendable error ([`DEFAULT_RESEND_CODES`], HTTP 429/5xx) still there after the last resend | `112406` Meta error |
//! | no usable answer from Meta (connection, timeout, a body that is not the Cloud API's) after the last resend | `112408` system error |
//! | validity passed before the message could be submitted | `112403` not delivered, state EXPIRED |

use crate::ResultCode;

/// Cloud API error codes that are transient: the same request may succeed
/// later (throttling, temporary outages, "try again" errors).
pub const DEFAULT_RESEND_CODES: [i64; 10] = [
    1,      // API unknown
    2,      // API service temporarily unavailable
    4,      // application request limit reached
    80007,  // rate limit issues (WABA)
    130429, // rate limit hit (throughput)
    131000, // something went wrong
    131016, // service unavailable
    131049, // not delivered to maintain healthy ecosystem engagement
    131057, // account in maintenance mode
    133004, // server temporarily unavailable
];

/// Meta's code for "message undeliverable" (not a WhatsApp user, among
/// other reasons Meta does not tell apart).
pub const UNDELIVERABLE: i64 = 131026;

/// Meta's code for a message outside the 24-hour customer care window.
pub const REENGAGEMENT: i64 = 131047;

/// How a message ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinalFailure {
    /// Meta refused the message (at send, or later in a `failed` status).
    Refused { code: i64 },
    /// Meta kept answering with a transient error until resends ran out.
    StillTransient,
    /// Meta could not be reached (or answered something that is not the
    /// Cloud API's) until resends ran out.
    NoAnswer,
    /// Validity passed before the message was submitted.
    Expired,
}

impl FinalFailure {
    /// The LINK result code the delivery report carries.
    pub fn result_code(self) -> ResultCode {
        match self {
            Self::Refused {
                code: UNDELIVERABLE,
            } => ResultCode::InvalidContact,
            Self::Refused { .. } | Self::Expired => ResultCode::NotDelivered,
            Self::StillTransient => ResultCode::MetaError,
            Self::NoAnswer => ResultCode::SystemError,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_maps_every_kind_of_failure() {
        let cases = [
            (FinalFailure::Refused { code: 131026 }, 112404),
            (FinalFailure::Refused { code: 100 }, 112403),
            (FinalFailure::Refused { code: 131047 }, 112403),
            (FinalFailure::StillTransient, 112406),
            (FinalFailure::NoAnswer, 112408),
            (FinalFailure::Expired, 112403),
        ];
        for (failure, code) in cases {
            assert_eq!(failure.result_code().code(), code, "{failure:?}");
        }
        assert!(DEFAULT_RESEND_CODES.contains(&130429));
        assert!(!DEFAULT_RESEND_CODES.contains(&REENGAGEMENT));
    }
}
