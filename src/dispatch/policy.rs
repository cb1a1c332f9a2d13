//! What a submission's result means for the part: submitted, resent later,
//! or failed for good (the resend policy of DESIGN.md), and the status that
//! records it. The LINK codes come from [`wagate_domain::meta_error`].

use std::time::Duration;

use serde_json::{Map, Value, json};
use wagate_domain::care_window;
use wagate_domain::message::MessageType;
use wagate_domain::meta_error::{FinalFailure, REENGAGEMENT};
use wagate_domain::{MessageState, ResultCode};

use crate::clock::rfc3339;
use crate::store::{ClaimedPart, Millis, NewStatus, OutcomeChange};
use crate::upstream::meta::{SendAccepted, SendError};

/// Which errors are resent, how often and how far apart.
#[derive(Debug, Clone)]
pub struct ResendPolicy {
    pub interval: Duration,
    /// Most resends of one part (so at most `max + 1` submissions).
    pub max: u32,
    /// Meta error codes worth resending; HTTP 429 and 5xx are always resent.
    pub codes: Vec<i64>,
}

impl ResendPolicy {
    /// The change a submission's result makes. `part.attempts` counts the
    /// submissions before this one.
    pub fn after_submission(
        &self,
        part: &ClaimedPart,
        result: Result<SendAccepted, SendError>,
        now: Millis,
    ) -> OutcomeChange {
        let error = match result {
            Ok(accepted) => return submitted(accepted),
            Err(error) => error,
        };
        let transient = match &error {
            SendError::Meta { error: meta, .. } => {
                self.codes.contains(&meta.code) || error.is_transient_status()
            }
            SendError::Unexpected { .. } | SendError::Unreachable(_) => error.is_transient_status(),
        };
        let mut details = error_details(&error);
        if transient && part.attempts < self.max {
            let due_at = now.saturating_add(millis(self.interval));
            let resend = part.attempts + 1;
            details.insert("nextAttemptAt".into(), json!(rfc3339(due_at)));
            details.insert("resend".into(), json!(resend));
            let code = match error {
                SendError::Meta { .. } => ResultCode::MetaError,
                SendError::Unexpected { .. } | SendError::Unreachable(_) => ResultCode::SystemError,
            };
            return OutcomeChange::Resend {
                due_at,
                sort_key: due_at - part.priority.lead_millis(),
                status: NewStatus {
                    state: MessageState::Queued,
                    result_code: code.code(),
                    description: format!(
                        "resend {resend} of {} scheduled: {}",
                        self.max,
                        describe(&error)
                    ),
                    details: Some(Value::Object(details)),
                },
            };
        }
        let failure = match &error {
            SendError::Meta { error: meta, .. } if !transient => {
                FinalFailure::Refused { code: meta.code }
            }
            SendError::Meta { .. } => FinalFailure::StillTransient,
            SendError::Unexpected { .. } | SendError::Unreachable(_) => FinalFailure::NoAnswer,
        };
        let description = if transient {
            format!(
                "gave up after {} resends: {}",
                part.attempts,
                describe(&error)
            )
        } else {
            describe(&error)
        };
        failed(failure, description, Some(Value::Object(details)))
    }
}

/// The part was not submitted and never will be: its validity passed.
pub fn expired(expires_at: Millis) -> OutcomeChange {
    failed(
        FinalFailure::Expired,
        "validity expired before the message could be submitted".into(),
        Some(json!({"expiredAt": rfc3339(expires_at)})),
    )
}

/// Whether the part needs an open customer care window and the user has not
/// written to the number within the last 24 hours (see
/// [`wagate_domain::care_window`]).
pub fn outside_care_window(part: &ClaimedPart, now: Millis) -> bool {
    let template = MessageType::parse(&part.message_type).is_some_and(MessageType::is_template);
    !template && !care_window::is_open(part.last_inbound_at, now)
}

/// The part is not sent: Meta would refuse it (131047) outside the window.
pub fn care_window_closed(part: &ClaimedPart) -> OutcomeChange {
    let mut details = Map::new();
    details.insert("metaErrorCode".into(), json!(REENGAGEMENT));
    if let Some(at) = part.last_inbound_at {
        details.insert("lastInboundAt".into(), json!(rfc3339(at)));
    }
    failed(
        FinalFailure::Refused { code: REENGAGEMENT },
        "not sent: the user has not written to this number in the last 24 hours \
         (outside the customer care window; only templates can be sent)"
            .into(),
        Some(Value::Object(details)),
    )
}

/// What a status's details say when the whole request could send nothing
/// (its delivery report is LINK's "request" report, not one per part).
pub const REQUEST_SCOPE: &str = "request";

/// The part cannot be submitted at all (its source is gone, or lacks what
/// the Cloud API needs): nothing of the request can be sent.
pub fn unsendable(reason: String) -> OutcomeChange {
    failed(
        FinalFailure::NoAnswer,
        reason,
        Some(json!({"scope": REQUEST_SCOPE})),
    )
}

fn submitted(accepted: SendAccepted) -> OutcomeChange {
    let mut details = Map::new();
    details.insert("waMessageId".into(), json!(accepted.wamid));
    if let Some(status) = accepted.message_status {
        details.insert("messageStatus".into(), json!(status));
    }
    if let Some(wa_id) = accepted.wa_id {
        details.insert("waId".into(), json!(wa_id));
    }
    OutcomeChange::Submitted {
        wamid: accepted.wamid,
        status: NewStatus {
            state: MessageState::Submitted,
            result_code: ResultCode::SentToWa.code(),
            description: ResultCode::SentToWa.description().into(),
            details: Some(Value::Object(details)),
        },
    }
}

/// A part settled without a submission: EXPIRED when its validity passed,
/// FAILED otherwise.
fn failed(failure: FinalFailure, description: String, details: Option<Value>) -> OutcomeChange {
    let state = match failure {
        FinalFailure::Expired => MessageState::Expired,
        _ => MessageState::Failed,
    };
    OutcomeChange::Finished {
        status: NewStatus {
            state,
            result_code: failure.result_code().code(),
            description,
            details,
        },
    }
}

/// Meta's own words where there are some: "(#100) Invalid parameter".
fn describe(error: &SendError) -> String {
    match error {
        SendError::Meta { error, .. } if !error.message.is_empty() => error.message.clone(),
        SendError::Meta { error, .. } => format!("Meta error {}", error.code),
        other => other.to_string(),
    }
}

fn error_details(error: &SendError) -> Map<String, Value> {
    let mut details = Map::new();
    match error {
        SendError::Meta { http_status, error } => {
            details.insert("httpStatus".into(), json!(http_status));
            details.insert("metaErrorCode".into(), json!(error.code));
            if let Some(subcode) = error.error_subcode {
                details.insert("metaErrorSubcode".into(), json!(subcode));
            }
            if let Some(text) = error.details() {
                details.insert("metaErrorDetails".into(), json!(text));
            }
            if let Some(trace) = &error.fbtrace_id {
                details.insert("fbtraceId".into(), json!(trace));
            }
        }
        SendError::Unexpected { http_status, .. } => {
            details.insert("httpStatus".into(), json!(http_status));
        }
        SendError::Unreachable(_) => {}
    }
    details
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use wagate_domain::Priority;
    use wagate_domain::meta_error::DEFAULT_RESEND_CODES;

    use super::*;
    use crate::upstream::meta::{MetaApiError, MetaErrorData};

    fn policy() -> ResendPolicy {
        ResendPolicy {
            interval: Duration::from_secs(60),
            max: 2,
            codes: DEFAULT_RESEND_CODES.to_vec(),
        }
    }

    fn part(attempts: u32) -> ClaimedPart {
        ClaimedPart {
            message_id: "m".into(),
            message_index: 0,
            account_id: "a".into(),
            destination: "+46701234567".into(),
            priority: Priority::High,
            message_type: "text".into(),
            cloud_body: "{}".into(),
            expires_at: i64::MAX,
            attempts,
            lease: "test#0".into(),
            last_inbound_at: None,
            request_id: None,
        }
    }

    fn meta(http_status: u16, code: i64) -> Result<SendAccepted, SendError> {
        Err(SendError::Meta {
            http_status,
            error: Box::new(MetaApiError {
                code,
                message: format!("(#{code}) something"),
                error_type: None,
                error_subcode: None,
                error_data: Some(MetaErrorData {
                    details: Some("exact details".into()),
                    other: Default::default(),
                }),
                fbtrace_id: None,
                other: Default::default(),
            }),
        })
    }

    fn status(change: &OutcomeChange) -> (MessageState, u32) {
        (change.status().state, change.status().result_code)
    }

    #[test]
    fn resendable_errors_are_resent_until_the_maximum() {
        let change = policy().after_submission(&part(0), meta(500, 131000), 1_000);
        let OutcomeChange::Resend {
            due_at, sort_key, ..
        } = &change
        else {
            panic!("expected a resend: {change:?}");
        };
        assert_eq!(*due_at, 61_000);
        assert_eq!(*sort_key, 61_000 - 60_000, "HIGH keeps its lead");
        assert_eq!(status(&change), (MessageState::Queued, 112406));
        assert!(change.status().description.starts_with("resend 1 of 2"));

        let last = policy().after_submission(&part(2), meta(500, 131000), 1_000);
        assert!(matches!(last, OutcomeChange::Finished { .. }));
        assert_eq!(status(&last), (MessageState::Failed, 112406));
        assert!(
            last.status()
                .description
                .contains("gave up after 2 resends")
        );
    }

    #[test]
    fn any_429_or_5xx_is_resent_and_other_errors_fail_at_once() {
        let throttled = policy().after_submission(&part(0), meta(429, 999_999), 0);
        assert!(matches!(throttled, OutcomeChange::Resend { .. }));
        let refused = policy().after_submission(&part(0), meta(400, 100), 0);
        assert_eq!(status(&refused), (MessageState::Failed, 112403));
        assert_eq!(refused.status().description, "(#100) something");
        assert_eq!(
            refused
                .status()
                .details
                .as_ref()
                .and_then(|d| d.get("metaErrorDetails")),
            Some(&json!("exact details"))
        );
        let not_a_user = policy().after_submission(&part(0), meta(400, 131026), 0);
        assert_eq!(status(&not_a_user), (MessageState::Failed, 112404));
        let configured = ResendPolicy {
            codes: vec![100],
            ..policy()
        };
        assert!(matches!(
            configured.after_submission(&part(0), meta(400, 100), 0),
            OutcomeChange::Resend { .. }
        ));
    }

    #[test]
    fn no_answer_is_resent_then_a_system_error() {
        let unreachable = || Err(SendError::Unreachable("connection refused".into()));
        let first = policy().after_submission(&part(0), unreachable(), 0);
        assert_eq!(status(&first), (MessageState::Queued, 112408));
        let last = policy().after_submission(&part(2), unreachable(), 0);
        assert_eq!(status(&last), (MessageState::Failed, 112408));
    }

    #[test]
    fn only_non_templates_need_the_care_window() {
        let now = 100 * care_window::CARE_WINDOW_MS;
        let text = |last_inbound_at| ClaimedPart {
            last_inbound_at,
            ..part(0)
        };
        assert!(outside_care_window(&text(None), now));
        assert!(outside_care_window(
            &text(Some(now - care_window::CARE_WINDOW_MS)),
            now
        ));
        assert!(!outside_care_window(
            &text(Some(now - care_window::CARE_WINDOW_MS + 1)),
            now
        ));
        let template = ClaimedPart {
            message_type: "template".into(),
            ..part(0)
        };
        assert!(!outside_care_window(&template, now));
        let closed = care_window_closed(&text(None));
        assert_eq!(status(&closed), (MessageState::Failed, 112403));
        assert!(closed.status().description.contains("24 hours"));
    }

    #[test]
    fn success_records_the_wamid_and_expiry_says_so() {
        let change = policy().after_submission(
            &part(0),
            Ok(SendAccepted {
                wamid: "wamid.X".into(),
                message_status: Some("accepted".into()),
                wa_id: None,
            }),
            0,
        );
        assert!(matches!(&change, OutcomeChange::Submitted { wamid, .. } if wamid == "wamid.X"));
        assert_eq!(status(&change), (MessageState::Submitted, 112002));
        let gone = expired(5);
        assert_eq!(status(&gone), (MessageState::Expired, 112403));
        assert!(gone.status().description.contains("validity expired"));
    }
}
