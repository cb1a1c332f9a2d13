//! A simulated WhatsApp user writes to the business: the 24-hour care
//! window opens for that user and business number, and Meta's inbound
//! message webhook is posted (signed) to the gateway.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::payload::{self, Business, User};
use super::{Sim, ids, validate};
use crate::clock::now_millis;

/// A message from a simulated user.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Inbound {
    /// The business number's Cloud API id.
    pub phone_number_id: String,
    /// The business number as shown in `metadata` (its digits are used).
    pub display_phone_number: String,
    /// The user's phone number, `+4670…`.
    pub from: Option<String>,
    /// The user's business-scoped user id, `SE.1234…`.
    pub from_user_id: Option<String>,
    /// The user's profile name.
    pub name: Option<String>,
    /// A text message…
    pub text: Option<String>,
    /// …or a raw Cloud API inbound message object (`{"type": "image",
    /// "image": {…}}`); `from`, `from_user_id`, `id` and `timestamp` are
    /// filled in when missing.
    pub message: Option<Value>,
}

/// Why an inbound message cannot be simulated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    #[error("phoneNumberId is required")]
    MissingPhoneNumberId,
    #[error("one of text and message is required")]
    MissingContent,
    #[error("give text or message, not both")]
    BothContents,
    #[error("one of from (a phone number) and fromUserId (a BSUID) is required")]
    MissingSender,
    #[error("from: {0:?} is not a phone number (5 to 20 digits, optionally after +)")]
    InvalidFrom(String),
    #[error("fromUserId: {0:?} is not a business-scoped user id (CC.id or CC.ENT.id)")]
    InvalidUserId(String),
    #[error("message: {0}")]
    InvalidMessage(String),
}

impl Sim {
    /// A simulated user writes to the business: opens the care window for
    /// (phone_number_id, user), posts Meta's inbound-message webhook to the
    /// webhook URL and returns the message's `wamid`. A webhook that could
    /// not be delivered is recorded in [`Sim::webhooks`] as such.
    pub async fn inbound(&self, inbound: Inbound) -> Result<String, SimError> {
        if inbound.phone_number_id.trim().is_empty() {
            return Err(SimError::MissingPhoneNumberId);
        }
        let phone = inbound.from.as_deref().map(phone_digits).transpose()?;
        let user_id = match inbound.from_user_id.as_deref() {
            Some(text) if validate::is_bsuid(text) => Some(text.to_owned()),
            Some(text) => return Err(SimError::InvalidUserId(text.to_owned())),
            None => None,
        };
        if phone.is_none() && user_id.is_none() {
            return Err(SimError::MissingSender);
        }
        let mut message = match (inbound.text, inbound.message) {
            (Some(text), None) => {
                let mut message = Map::new();
                message.insert("type".into(), json!("text"));
                message.insert("text".into(), json!({ "body": text }));
                message
            }
            (None, Some(Value::Object(message))) => message,
            (None, Some(_)) => {
                return Err(SimError::InvalidMessage("must be a JSON object".into()));
            }
            (None, None) => return Err(SimError::MissingContent),
            (Some(_), Some(_)) => return Err(SimError::BothContents),
        };
        if !message.get("type").is_some_and(Value::is_string) {
            return Err(SimError::InvalidMessage(
                "must have a type, e.g. \"text\" or \"image\"".into(),
            ));
        }

        let at = now_millis();
        if let Some(phone) = &phone {
            message.entry("from").or_insert_with(|| json!(phone));
        }
        if let Some(user_id) = &user_id {
            message
                .entry("from_user_id")
                .or_insert_with(|| json!(user_id));
        }
        message.entry("id").or_insert_with(|| json!(ids::wamid()));
        message
            .entry("timestamp")
            .or_insert_with(|| json!((at / 1000).to_string()));
        let Some(id) = message.get("id").and_then(Value::as_str).map(str::to_owned) else {
            return Err(SimError::InvalidMessage("id must be a string".into()));
        };
        self.remember_media(&inbound.phone_number_id, &Value::Object(message.clone()));

        let display: String = inbound
            .display_phone_number
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        self.state().inbound(
            &inbound.phone_number_id,
            &display,
            phone.as_deref(),
            user_id.as_deref(),
            at,
        );
        let business = Business {
            phone_number_id: &inbound.phone_number_id,
            display_phone_number: if display.is_empty() {
                &inbound.phone_number_id
            } else {
                &display
            },
        };
        let user = User {
            phone,
            user_id,
            parent_user_id: None,
        };
        let body = payload::inbound(
            &business,
            &user,
            inbound.name.as_deref(),
            Value::Object(message),
        );
        tracing::debug!(phone_number_id = %inbound.phone_number_id, %id, "simulated inbound message");
        self.deliver(body).await;
        Ok(id)
    }
}

/// `+46 70-123 45 67` → `46701234567`.
fn phone_digits(text: &str) -> Result<String, SimError> {
    let trimmed = text.trim();
    let rest = trimmed.strip_prefix('+').unwrap_or(trimmed);
    let mut digits = String::with_capacity(rest.len());
    for character in rest.chars() {
        match character {
            '0'..='9' => digits.push(character),
            ' ' | '-' => {}
            _ => return Err(SimError::InvalidFrom(text.to_owned())),
        }
    }
    if (5..=20).contains(&digits.len()) {
        Ok(digits)
    } else {
        Err(SimError::InvalidFrom(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimConfig;

    fn inbound() -> Inbound {
        Inbound {
            phone_number_id: "pnid".into(),
            display_phone_number: "+46 70 000 00 00".into(),
            from: Some("+46701234567".into()),
            from_user_id: None,
            name: Some("Ann".into()),
            text: Some("hi".into()),
            message: None,
        }
    }

    #[test]
    fn phone_numbers_become_digits() {
        assert_eq!(phone_digits("+46 70-123 45 67"), Ok("46701234567".into()));
        assert_eq!(phone_digits("46701234567"), Ok("46701234567".into()));
        assert!(phone_digits("+4670abc").is_err());
        assert!(phone_digits("+1234").is_err());
    }

    #[tokio::test]
    async fn bad_inbound_messages_are_refused() {
        let sim = Sim::new(SimConfig::default());
        let cases = [
            (
                Inbound {
                    text: None,
                    ..inbound()
                },
                SimError::MissingContent,
            ),
            (
                Inbound {
                    message: Some(json!({"type": "text", "text": {"body": "x"}})),
                    ..inbound()
                },
                SimError::BothContents,
            ),
            (
                Inbound {
                    from: None,
                    ..inbound()
                },
                SimError::MissingSender,
            ),
            (
                Inbound {
                    from_user_id: Some("123".into()),
                    ..inbound()
                },
                SimError::InvalidUserId("123".into()),
            ),
            (
                Inbound {
                    text: None,
                    message: Some(json!({"image": {"id": "1"}})),
                    ..inbound()
                },
                SimError::InvalidMessage("must have a type, e.g. \"text\" or \"image\"".into()),
            ),
            (
                Inbound {
                    phone_number_id: " ".into(),
                    ..inbound()
                },
                SimError::MissingPhoneNumberId,
            ),
        ];
        for (case, expected) in cases {
            assert_eq!(sim.inbound(case).await, Err(expected));
        }
        assert!(sim.webhooks(0).is_empty());
    }

    #[tokio::test]
    async fn an_inbound_message_is_recorded_even_without_a_webhook_url() {
        let sim = Sim::new(SimConfig::default());
        let id = sim
            .inbound(Inbound {
                from_user_id: Some("SE.42".into()),
                text: None,
                message: Some(
                    json!({"type": "image", "image": {"id": "77", "mime_type": "image/jpeg"}}),
                ),
                ..inbound()
            })
            .await
            .expect("inbound");
        let webhooks = sim.webhooks(0);
        assert_eq!(webhooks.len(), 1);
        assert!(!webhooks[0].delivered);
        let body: Value = serde_json::from_str(webhooks[0].body.get()).expect("JSON");
        let value = &body["entry"][0]["changes"][0]["value"];
        assert_eq!(value["metadata"]["display_phone_number"], "46700000000");
        assert_eq!(value["contacts"][0]["wa_id"], "46701234567");
        assert_eq!(value["contacts"][0]["user_id"], "SE.42");
        let message = &value["messages"][0];
        assert_eq!(message["id"], id.as_str());
        assert_eq!(message["from"], "46701234567");
        assert_eq!(message["from_user_id"], "SE.42");
        assert_eq!(message["type"], "image");
        assert_eq!(message["image"]["id"], "77");
        assert!(message["timestamp"].is_string());
        let stats = sim.stats();
        assert_eq!((stats.webhooks_sent, stats.webhooks_failed), (0, 0));
    }
}
