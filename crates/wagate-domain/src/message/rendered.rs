//! A message rendered once for a whole request: its content serialized a
//! single time, then wrapped in each destination's envelope as text. The
//! Cloud API bodies of one message differ only in `to` (or `recipient`), so a
//! request to many destinations need not render, or hold as a JSON tree, the
//! same content once per destination.

use serde_json::Value;

use crate::address::Destination;

use super::{MessageType, render};

/// A message's content as Cloud API JSON text, ready to be addressed.
#[derive(Debug, Clone)]
pub struct RenderedMessage {
    kind: MessageType,
    content: String,
}

/// Room for the envelope around the content: the fixed fields (about 110
/// bytes) and the longest destination (a BSUID of about 140).
const ENVELOPE_BYTES: usize = 288;

impl RenderedMessage {
    pub(super) fn new(kind: MessageType, content: &super::Content) -> Self {
        Self {
            kind,
            content: render::content_body(content).to_string(),
        }
    }

    pub fn message_type(&self) -> MessageType {
        self.kind
    }

    /// The Cloud API request body for `to`: the same text as
    /// [`super::ValidMessage::render`]`(to).to_string()`, fields in the same
    /// order.
    pub fn body_for(&self, to: &Destination) -> String {
        let mut envelope = render::envelope(self.kind, to);
        // Stands where the content goes, so the fields come out in the order
        // the map gives them, whichever order that is.
        envelope.insert(self.kind.as_str().to_owned(), Value::Null);
        let mut body = String::with_capacity(self.content.len() + ENVELOPE_BYTES);
        body.push('{');
        for (index, (key, value)) in envelope.iter().enumerate() {
            if index > 0 {
                body.push(',');
            }
            body.push_str(&Value::from(key.as_str()).to_string());
            body.push(':');
            if key == self.kind.as_str() {
                body.push_str(&self.content);
            } else {
                body.push_str(&value.to_string());
            }
        }
        body.push('}');
        body
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::address::{Bsuid, Msisdn};
    use crate::message::Message;
    use crate::violation::Path;

    fn valid(message: Value) -> super::super::ValidMessage {
        let message: Message = serde_json::from_value(message).expect("deserializes");
        message
            .validate(&Path::root("messages").index(0))
            .expect("valid")
    }

    #[test]
    fn the_body_for_each_destination_is_the_rendered_json_text() {
        let destinations = [
            Destination::Msisdn(Msisdn::parse("+46701234567").expect("msisdn")),
            Destination::Bsuid(Bsuid::parse("SE.ENT.11815799212886844830").expect("bsuid")),
        ];
        for message in [
            json!({"type": "text", "text": {"body": "hi \"there\" \u{1F600}\n", "previewUrl": true}}),
            json!({"type": "image", "image": {"link": "https://example.com/a.png", "caption": "c"}}),
            json!({"type": "location", "location": {"latitude": 59.3, "longitude": 18.1}}),
        ] {
            let valid = valid(message);
            let once = valid.render_once();
            assert_eq!(once.message_type(), valid.message_type());
            for to in &destinations {
                let body = once.body_for(to);
                assert_eq!(body, valid.render(to).to_string());
                assert!(body.capacity() >= body.len());
            }
        }
    }
}
