//! LINK result codes: the answers to requests and the codes of delivery
//! reports, with the descriptions the LINK document gives them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "u32", try_from = "u32")]
pub enum ResultCode {
    /// 112001: the request was accepted and its messages queued.
    Queued,
    /// 112400: bad or missing credentials (HTTP 401).
    Unauthorized,
    /// 112401: no access to the platformId/platformPartnerId or source (HTTP 403).
    NoAccess,
    /// 112402: the request is well-formed but cannot be honoured (HTTP 400).
    BadRequest,
    /// 112500: the gateway failed (HTTP 500).
    ServerError,
    /// 112501: Meta refused a management call (HTTP 400).
    ExternalRequestFailed,
    /// 112502: an uploaded file is missing, of an unsupported type or too
    /// large (HTTP 400).
    FileProcessingError,
    /// 112503: Meta did not answer a management call (HTTP 400).
    ExternalConnectionError,
    /// 112505: the body is not JSON (HTTP 400).
    InvalidPayload,
    /// 112506: the body fails schema validation (HTTP 400).
    ValidationError,
    /// 112000: unknown error (DLR).
    UnknownError,
    /// 112002: the Cloud API accepted the message (DLR).
    SentToWa,
    /// 112006: Meta's `sent` status (DLR).
    SentByWa,
    /// 112003: delivered to the phone (DLR).
    Delivered,
    /// 112007: read by the recipient (DLR).
    Read,
    /// 112008: deleted by the recipient (DLR).
    Deleted,
    /// 112403: not delivered (DLR).
    NotDelivered,
    /// 112404: the recipient is not a WhatsApp user (DLR).
    InvalidContact,
    /// 112406: Meta rejected the request (DLR).
    MetaError,
    /// 112408: the gateway could not reach WhatsApp (DLR).
    SystemError,
}

const ALL: [ResultCode; 20] = [
    ResultCode::Queued,
    ResultCode::Unauthorized,
    ResultCode::NoAccess,
    ResultCode::BadRequest,
    ResultCode::ServerError,
    ResultCode::ExternalRequestFailed,
    ResultCode::FileProcessingError,
    ResultCode::ExternalConnectionError,
    ResultCode::InvalidPayload,
    ResultCode::ValidationError,
    ResultCode::UnknownError,
    ResultCode::SentToWa,
    ResultCode::SentByWa,
    ResultCode::Delivered,
    ResultCode::Read,
    ResultCode::Deleted,
    ResultCode::NotDelivered,
    ResultCode::InvalidContact,
    ResultCode::MetaError,
    ResultCode::SystemError,
];

impl ResultCode {
    pub fn code(self) -> u32 {
        match self {
            Self::Queued => 112001,
            Self::Unauthorized => 112400,
            Self::NoAccess => 112401,
            Self::BadRequest => 112402,
            Self::ServerError => 112500,
            Self::ExternalRequestFailed => 112501,
            Self::FileProcessingError => 112502,
            Self::ExternalConnectionError => 112503,
            Self::InvalidPayload => 112505,
            Self::ValidationError => 112506,
            Self::UnknownError => 112000,
            Self::SentToWa => 112002,
            Self::SentByWa => 112006,
            Self::Delivered => 112003,
            Self::Read => 112007,
            Self::Deleted => 112008,
            Self::NotDelivered => 112403,
            Self::InvalidContact => 112404,
            Self::MetaError => 112406,
            Self::SystemError => 112408,
        }
    }

    /// The short description of the LINK document's tables.
    pub fn description(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Unauthorized => "Unauthorized",
            Self::NoAccess => "No access",
            Self::BadRequest => "Bad request",
            Self::ServerError => "Server error",
            Self::ExternalRequestFailed => "Request to external entity failed.",
            Self::FileProcessingError => "File processing error.",
            Self::ExternalConnectionError => "Http connection error towards external entity.",
            Self::InvalidPayload => "Invalid Payload",
            Self::ValidationError => "Validation error",
            Self::UnknownError => "Unknown error",
            Self::SentToWa => "sent to WA",
            Self::SentByWa => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Deleted => "deleted",
            Self::NotDelivered => "not delivered",
            Self::InvalidContact => "invalid contact",
            Self::MetaError => "Meta error",
            Self::SystemError => "system error",
        }
    }

    pub fn from_code(code: u32) -> Option<Self> {
        ALL.into_iter().find(|candidate| candidate.code() == code)
    }
}

impl From<ResultCode> for u32 {
    fn from(code: ResultCode) -> u32 {
        code.code()
    }
}

impl TryFrom<u32> for ResultCode {
    type Error = String;
    fn try_from(code: u32) -> Result<Self, String> {
        Self::from_code(code).ok_or_else(|| format!("unknown result code {code}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for code in ALL {
            assert!(seen.insert(code.code()), "{code:?} repeats a code");
            assert_eq!(ResultCode::from_code(code.code()), Some(code));
        }
        assert_eq!(ResultCode::Queued.code(), 112001);
        assert_eq!(ResultCode::ValidationError.code(), 112506);
    }
}
