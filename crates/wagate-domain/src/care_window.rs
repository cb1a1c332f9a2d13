//! The customer care window: a user who writes to a business number opens
//! (or extends) a 24-hour window in which the number may send them
//! anything; outside it, Meta takes templates only.

use serde_json::Value;

use crate::contact::ContactIds;

/// How long after a user's last message non-template messages may be sent.
pub const CARE_WINDOW_MS: i64 = 24 * 3600 * 1000;

/// The ids of the sender under which an incoming message opens the window:
/// the phone number and the BSUID, whichever the webhook gives. A `system`
/// message (the user changed numbers) is not the user writing to the
/// business and opens none.
pub fn opened_by<'a>(message: &Value, sender: &'a ContactIds) -> Vec<&'a str> {
    if message["type"] == "system" {
        return Vec::new();
    }
    sender
        .phone
        .iter()
        .chain(&sender.user_id)
        .map(String::as_str)
        .collect()
}

/// Until when (exclusive) a window last opened at `opened_at` stays open.
pub fn open_until(opened_at: i64) -> i64 {
    opened_at.saturating_add(CARE_WINDOW_MS)
}

/// Whether the window is open at `now`, given when the user last wrote
/// (`None`: never).
pub fn is_open(last_inbound_at: Option<i64>, now: i64) -> bool {
    last_inbound_at.is_some_and(|at| now < open_until(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sender(phone: Option<&str>, user_id: Option<&str>) -> ContactIds {
        ContactIds {
            phone: phone.map(Into::into),
            user_id: user_id.map(Into::into),
            parent_user_id: Some("SE.ENT.9".into()),
        }
    }

    #[test]
    fn a_message_opens_the_window_under_the_phone_and_the_bsuid() {
        let text = json!({"type": "text"});
        let both = sender(Some("+4670"), Some("SE.1"));
        assert_eq!(opened_by(&text, &both), ["+4670", "SE.1"]);
        let phone_only = sender(Some("+4670"), None);
        assert_eq!(opened_by(&text, &phone_only), ["+4670"]);
        let parent_only = sender(None, None);
        assert!(
            opened_by(&text, &parent_only).is_empty(),
            "a parent BSUID names no one to write to"
        );
    }

    #[test]
    fn a_system_message_opens_no_window() {
        let system = json!({"type": "system", "system": {"body": "changed"}});
        assert!(opened_by(&system, &sender(Some("+4670"), Some("SE.1"))).is_empty());
    }

    #[test]
    fn the_window_lasts_24_hours_from_the_last_message() {
        let at = 1_000;
        assert!(is_open(Some(at), at));
        assert!(is_open(Some(at), at + CARE_WINDOW_MS - 1));
        assert!(!is_open(Some(at), at + CARE_WINDOW_MS));
        assert!(!is_open(None, at), "never written: closed");
    }
}
