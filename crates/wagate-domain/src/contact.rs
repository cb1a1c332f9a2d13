//! Who a WhatsApp user is, as Meta's webhooks name them (a phone number,
//! a business-scoped user id, a parent BSUID), and the rule for which of
//! those pairs a tenant's contact book records.

use serde_json::Value;

/// A WhatsApp user's ids, as far as a webhook tells them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactIds {
    /// E.164, e.g. `+46701234567`.
    pub phone: Option<String>,
    /// Business-scoped user id, e.g. `SE.13491208655302741918`.
    pub user_id: Option<String>,
    /// Parent BSUID, e.g. `SE.ENT.11815799212886844830`.
    pub parent_user_id: Option<String>,
}

/// A phone number and the BSUIDs a webhook gave with it: what the contact
/// book records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactPair<'a> {
    pub phone: &'a str,
    pub user_id: Option<&'a str>,
    pub parent_user_id: Option<&'a str>,
}

impl ContactIds {
    /// The sender of an incoming Cloud API message (`from`, `from_user_id`),
    /// completed from its `contacts[]` entry (`user_id`, `parent_user_id`).
    pub fn of_sender(message: &Value, contact: Option<&Value>) -> Self {
        let text = |value: &Value| value.as_str().map(str::to_owned);
        Self {
            phone: text(&message["from"]).map(|digits| e164(&digits)),
            user_id: text(&message["from_user_id"])
                .or_else(|| contact.and_then(|contact| text(&contact["user_id"]))),
            parent_user_id: contact.and_then(|contact| text(&contact["parent_user_id"])),
        }
    }

    /// How LINK names the user: the phone number, else the BSUID.
    pub fn link_name(&self) -> Option<&str> {
        self.phone
            .as_deref()
            .or(self.user_id.as_deref())
            .or(self.parent_user_id.as_deref())
    }

    /// The pair to record in the contact book: only when the webhook names
    /// the phone number together with a BSUID (either one), since a pair is
    /// what lets a message to one reach the care window opened under the
    /// other.
    pub fn pair(&self) -> Option<ContactPair<'_>> {
        let phone = self.phone.as_deref()?;
        let (user_id, parent_user_id) = (self.user_id.as_deref(), self.parent_user_id.as_deref());
        (user_id.is_some() || parent_user_id.is_some()).then_some(ContactPair {
            phone,
            user_id,
            parent_user_id,
        })
    }
}

/// Meta's phone digits (`46701234567`) as E.164 (`+46701234567`).
pub fn e164(digits: &str) -> String {
    format!("+{}", digits.trim_start_matches('+'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ids(phone: Option<&str>, user_id: Option<&str>, parent: Option<&str>) -> ContactIds {
        ContactIds {
            phone: phone.map(Into::into),
            user_id: user_id.map(Into::into),
            parent_user_id: parent.map(Into::into),
        }
    }

    #[test]
    fn a_phone_with_either_bsuid_makes_a_pair() {
        let with_user = ids(Some("+4670"), Some("SE.1"), None);
        assert_eq!(
            with_user.pair(),
            Some(ContactPair {
                phone: "+4670",
                user_id: Some("SE.1"),
                parent_user_id: None
            })
        );
        let with_parent = ids(Some("+4670"), None, Some("SE.ENT.2"));
        assert_eq!(
            with_parent.pair().map(|pair| pair.parent_user_id),
            Some(Some("SE.ENT.2"))
        );
    }

    #[test]
    fn a_phone_alone_or_bsuids_alone_make_no_pair() {
        assert_eq!(ids(Some("+4670"), None, None).pair(), None);
        assert_eq!(ids(None, Some("SE.1"), Some("SE.ENT.2")).pair(), None);
    }

    #[test]
    fn the_sender_comes_from_the_message_and_its_contact_entry() {
        let message = json!({"from": "46701234567", "type": "text"});
        let contact = json!({"user_id": "SE.1", "parent_user_id": "SE.ENT.2"});
        assert_eq!(
            ContactIds::of_sender(&message, Some(&contact)),
            ids(Some("+46701234567"), Some("SE.1"), Some("SE.ENT.2"))
        );
        let by_bsuid = json!({"from_user_id": "SE.3"});
        let sender = ContactIds::of_sender(&by_bsuid, Some(&contact));
        assert_eq!(
            sender.user_id.as_deref(),
            Some("SE.3"),
            "the message's own id wins"
        );
        assert_eq!(sender.link_name(), Some("SE.3"));
    }
}
