//! `POST /{version}/{phone_number_id}/messages`: a send, checked in Meta's
//! order — access token, JSON, validation, the 24-hour care window, the
//! template (APPROVED in the number's WABA, see `templates`), then the
//! sandbox number table — answered with a `wamid` or Meta's error body, and
//! recorded. A send naming a media id its number does not know is accepted,
//! then fails with 131053. An accepted send gets
//! its statuses from a task of its own, one after the other, each posted
//! with whatever other statuses wait then (`status_queue`).
//!
//! A mark-as-read request (`"status": "read"`, with or without a typing
//! indicator) answers `{"success": true}`; it is kept with the sends
//! (without a wamid) but not counted as one.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::meta_error::MetaError;
use super::numbers::{Behaviour, Decision, MEDIA_UNAVAILABLE, Step};
use super::payload::{self, Business, Category, User};
use super::state::{SendRecord, recorded_body};
use super::validate::{self, Kind, Recipient};
use super::{Sim, ids};
use crate::clock::now_millis;

use super::templates::HELLO_WORLD;

/// An accepted send, waiting for its statuses.
struct Accepted {
    phone_number_id: String,
    wamid: String,
    recipient: User,
    category: Category,
    biz_opaque_callback_data: Option<String>,
    steps: &'static [Step],
}

enum Answer {
    MarkedRead,
    Accepted(Value, Accepted),
    Rejected(MetaError),
}

impl Sim {
    /// Handles one request to the messages endpoint.
    pub(super) fn send(
        &self,
        version: &str,
        phone_number_id: &str,
        token: Option<&str>,
        raw: &[u8],
    ) -> Response {
        let at = now_millis();
        let parsed: Option<Value> = serde_json::from_slice(raw).ok();
        let answer = self.answer(version, phone_number_id, token, raw, parsed.as_ref(), at);
        let body = recorded_body(raw);
        match answer {
            Answer::MarkedRead => {
                tracing::debug!(phone_number_id, "simulated mark as read");
                self.state().record_mark_read(SendRecord {
                    at,
                    phone_number_id: phone_number_id.to_owned(),
                    body,
                    status: StatusCode::OK.as_u16(),
                    wamid: None,
                    error_code: None,
                });
                Json(json!({"success": true})).into_response()
            }
            Answer::Rejected(error) => {
                tracing::debug!(phone_number_id, code = error.code, details = ?error.details, "simulated send rejected");
                self.state().record_send(SendRecord {
                    at,
                    phone_number_id: phone_number_id.to_owned(),
                    body,
                    status: error.http.as_u16(),
                    wamid: None,
                    error_code: Some(error.code),
                });
                error.into_response()
            }
            Answer::Accepted(response, accepted) => {
                tracing::debug!(phone_number_id, wamid = %accepted.wamid, "simulated send accepted");
                self.state().record_send(SendRecord {
                    at,
                    phone_number_id: phone_number_id.to_owned(),
                    body,
                    status: StatusCode::OK.as_u16(),
                    wamid: Some(accepted.wamid.clone()),
                    error_code: None,
                });
                let sim = self.clone();
                tokio::spawn(async move { sim.statuses(accepted).await });
                Json(response).into_response()
            }
        }
    }

    fn answer(
        &self,
        version: &str,
        phone_number_id: &str,
        token: Option<&str>,
        raw: &[u8],
        body: Option<&Value>,
        at: i64,
    ) -> Answer {
        if !is_version(version) {
            return Answer::Rejected(MetaError::unknown_path(&format!(
                "/{version}/{phone_number_id}/messages"
            )));
        }
        if token.is_none_or(|token| token.trim().is_empty()) {
            return Answer::Rejected(MetaError::unauthorized());
        }
        let Some(body) = body else {
            return Answer::Rejected(MetaError::invalid_parameter(
                "The request body is not valid JSON",
            ));
        };
        if body.get("status").is_some() {
            return match validate::check_mark_read(body) {
                Ok(()) => Answer::MarkedRead,
                Err(invalid) => Answer::Rejected(MetaError::invalid_parameter(invalid.details)),
            };
        }
        let send = match validate::check(body) {
            Ok(send) => send,
            Err(invalid) => return Answer::Rejected(MetaError::invalid_parameter(invalid.details)),
        };
        let identifier = match &send.recipient {
            Recipient::Phone { digits, .. } => digits.as_str(),
            Recipient::User { bsuid } => bsuid.as_str(),
        };
        let category = match &send.kind {
            Kind::Session { .. } => {
                if !self.state().window_open(phone_number_id, identifier, at) {
                    return Answer::Rejected(MetaError::re_engagement());
                }
                Category::Service
            }
            Kind::Template { .. } if self.config().any_template => Category::Marketing,
            Kind::Template {
                name,
                language,
                parameters,
            } => {
                let approved = {
                    let state = self.state();
                    let waba_id = state.waba_of(phone_number_id);
                    state.templates.approved(waba_id.as_deref(), name, language)
                };
                let Some(category) = approved else {
                    return Answer::Rejected(MetaError::template_translation(name, language));
                };
                if name == HELLO_WORLD
                    && let Some((component, count)) = parameters
                {
                    return Answer::Rejected(MetaError::parameter_count(component, *count, 0));
                }
                category.pricing()
            }
        };

        let digits = send.recipient.digits();
        let behaviour = Behaviour::of(&digits);
        let earlier = if behaviour.counts_attempts() {
            self.state().count_attempt(phone_number_id, raw)
        } else {
            0
        };
        let steps = match behaviour.decide(earlier) {
            Decision::Reject(rejection) => {
                let last_four = &digits[digits.len().saturating_sub(4)..];
                return Answer::Rejected(MetaError::sandbox(rejection, last_four));
            }
            // Like Meta, media are fetched after the send is accepted.
            Decision::Accept(_) if self.unknown_media(phone_number_id, body).is_some() => {
                MEDIA_UNAVAILABLE
            }
            Decision::Accept(steps) => steps,
        };

        let wamid = ids::wamid();
        let contact = match &send.recipient {
            Recipient::Phone { input, digits } => json!({"input": input, "wa_id": digits}),
            Recipient::User { bsuid } => json!({"input": bsuid, "user_id": bsuid}),
        };
        let response = json!({
            "messaging_product": "whatsapp",
            "contacts": [contact],
            "messages": [{"id": wamid, "message_status": "accepted"}],
        });
        let accepted = Accepted {
            phone_number_id: phone_number_id.to_owned(),
            wamid,
            recipient: self.user_of(&send.recipient),
            category,
            biz_opaque_callback_data: body
                .get("biz_opaque_callback_data")
                .and_then(Value::as_str)
                .map(str::to_owned),
            steps,
        };
        Answer::Accepted(response, accepted)
    }

    /// The recipient with whatever the contact book knows about them.
    fn user_of(&self, recipient: &Recipient) -> User {
        let state = self.state();
        match recipient {
            Recipient::Phone { digits, .. } => User {
                phone: Some(digits.clone()),
                user_id: state.user_of_phone(digits),
                parent_user_id: None,
            },
            Recipient::User { bsuid }
                if wagate_domain::Bsuid::parse(bsuid).is_ok_and(|user| user.is_parent()) =>
            {
                User {
                    phone: state.phone_of_user(bsuid),
                    user_id: None,
                    parent_user_id: Some(bsuid.clone()),
                }
            }
            Recipient::User { bsuid } => User {
                phone: state.phone_of_user(bsuid),
                user_id: Some(bsuid.clone()),
                parent_user_id: None,
            },
        }
    }

    /// Posts the statuses of one accepted message, in order, each after the
    /// status delay.
    async fn statuses(self, accepted: Accepted) {
        let conversation_id = ids::conversation_id();
        for &step in accepted.steps {
            tokio::time::sleep(self.config().status_delay).await;
            let display = self.state().display_number(&accepted.phone_number_id);
            let business = Business {
                phone_number_id: &accepted.phone_number_id,
                display_phone_number: &display,
            };
            let item = payload::status_item(&payload::Status {
                wamid: &accepted.wamid,
                step,
                timestamp: now_millis() / 1000,
                recipient: &accepted.recipient,
                conversation_id: &conversation_id,
                category: accepted.category,
                biz_opaque_callback_data: accepted.biz_opaque_callback_data.as_deref(),
            });
            if step == Step::Delivered {
                self.state().business.count_delivered(
                    &accepted.phone_number_id,
                    accepted.category,
                    now_millis(),
                );
            }
            self.post_status(&business, item).await;
        }
    }
}

/// A Graph API version: `v23.0`.
pub(super) fn is_version(text: &str) -> bool {
    text.strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(major, minor)| {
            [major, minor]
                .iter()
                .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_look_like_v23_0() {
        assert!(is_version("v23.0"));
        assert!(is_version("v9.12"));
        for bad in ["23.0", "v23", "v.0", "v23.", "vx.0", "v23.0.1", ""] {
            assert!(!is_version(bad), "{bad}");
        }
    }
}
