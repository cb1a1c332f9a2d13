//! How long message content is kept (DESIGN.md, "Content retention").
//!
//! Content is the Cloud API body of a part (texts, captions, template
//! parameters, media links), an incoming message as Meta sent it, and the
//! body of a callback that carries an incoming message (with its media
//! URL). It is kept only while it is needed:
//!
//! - a part's body until the part has left the outbox: submitted, failed,
//!   expired or given up after its resends, i.e. once no further send of it
//!   can happen (Meta's later statuses never need the body);
//! - an incoming message until it is routed (its callbacks are built then);
//! - an incoming message's callback until it is delivered or given up.
//!
//! It is erased in the transaction that ends the need, keeping ids, states,
//! history and result codes. A request whose `customParameters` say
//! `"ott.whatsapp.logMessageContent": "true"` keeps its parts' content for
//! `--content-retention` from acceptance; a route that says so keeps its
//! incoming messages' content for `--inbound-content-retention` from
//! routing. What is kept is erased by the periodic clean-up
//! ([`crate::housekeeping`]) once that time has passed and it is no longer
//! needed.

use std::time::Duration;

use crate::store::{KeyValues, Millis};

/// LINK's recognised custom parameter that allows keeping (and logging)
/// message content.
pub const LOG_MESSAGE_CONTENT: &str = "ott.whatsapp.logMessageContent";

/// Whether custom parameters ask to keep message content: the value `true`
/// (any case; LINK's type is Boolean, taken as its text). The key is
/// matched without surrounding spaces, as LINK's own example has one.
pub fn asks_to_keep(parameters: &KeyValues) -> bool {
    parameters.iter().any(|(key, value)| {
        key.trim() == LOG_MESSAGE_CONTENT && value.trim().eq_ignore_ascii_case("true")
    })
}

/// Until when content that the parameters govern may be kept once it is no
/// longer needed: `now` (erased at once) unless they ask to keep it, then
/// `now` plus `retention`.
pub fn content_until(parameters: &KeyValues, retention: Duration, now: Millis) -> Millis {
    if asks_to_keep(parameters) {
        now.saturating_add(i64::try_from(retention.as_millis()).unwrap_or(i64::MAX))
    } else {
        now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parameters(pairs: &[(&str, &str)]) -> KeyValues {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn only_true_asks_to_keep_content() {
        let keep = |pairs: &[(&str, &str)]| asks_to_keep(&parameters(pairs));
        assert!(keep(&[(LOG_MESSAGE_CONTENT, "true")]));
        assert!(keep(&[(LOG_MESSAGE_CONTENT, "TRUE")]));
        assert!(keep(&[("ott.whatsapp.logMessageContent ", "true")]));
        assert!(!keep(&[(LOG_MESSAGE_CONTENT, "false")]));
        assert!(!keep(&[(LOG_MESSAGE_CONTENT, "yes")]));
        assert!(!keep(&[("other", "true")]));
        assert!(!keep(&[]));
    }

    #[test]
    fn kept_content_lasts_the_retention() {
        let day = Duration::from_secs(86_400);
        let kept = parameters(&[(LOG_MESSAGE_CONTENT, "true")]);
        assert_eq!(content_until(&kept, day, 1_000), 1_000 + 86_400_000);
        assert_eq!(content_until(&KeyValues::new(), day, 1_000), 1_000);
        assert_eq!(content_until(&kept, Duration::MAX, 1_000), i64::MAX);
    }
}
